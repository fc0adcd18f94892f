import type { Browser, BrowserContext, Page, Request, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CITIZEN, MANUAL_POSITION } from '../../demo-gestionale/src/demo-positions.js';
import { DEMO, DEMO_GESTIONALE } from '../../src/app/demo-seed.js';
import {
  expectAccessible,
  launchBrowser,
  newContext,
  screenshot,
  SKIP_BROWSER_TESTS,
  startStack,
  type Stack,
} from '../helpers/browser.js';

// The two demo programs in a real browser, as a person on a phone (375 px) and on a desktop (1280 px)
// sees them: every page of the demo gestionale and of the simulated pagoPA Checkout fits the screen
// without scrolling sideways and passes axe; and the gestionale answers every POST of its forms with a
// redirect to a GET page, so that Back never asks to resubmit a form.

const WIDTHS = [375, 1280] as const;

/** The page does not scroll sideways: nothing is wider than the viewport. */
async function expectNoHorizontalScroll(page: Page, label: string): Promise<void> {
  const m = await page.evaluate(() => {
    const g = globalThis as unknown as {
      innerWidth: number;
      document: { documentElement: { scrollWidth: number }; body: { scrollWidth: number } };
    };
    return {
      doc: g.document.documentElement.scrollWidth,
      body: g.document.body.scrollWidth,
      inner: g.innerWidth,
    };
  });
  expect(m.doc, `${label}: document width ${m.doc} > viewport ${m.inner}`).toBeLessThanOrEqual(m.inner);
  expect(m.body, `${label}: body width ${m.body} > viewport ${m.inner}`).toBeLessThanOrEqual(m.inner);
}

describe.skipIf(SKIP_BROWSER_TESTS)('the demo programs in a browser', () => {
  let stack: Stack;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
    await stack.cassa.c.applications.update(DEMO_GESTIONALE.codiceChiamante, {
      pageEmail: true,
      pagePrivacy: true,
      pageCaptcha: false,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
  afterEach(async () => {
    await ctx?.close();
  });

  /** Every document request of the page (navigations, redirects followed), in order. */
  function navigations(p: Page): { method: string; url: string }[] {
    const seen: { method: string; url: string }[] = [];
    p.on('request', (r: Request) => {
      if (r.isNavigationRequest() && r.frame() === p.mainFrame())
        seen.push({ method: r.method(), url: r.url() });
    });
    return seen;
  }

  async function login(p: Page): Promise<void> {
    await p.goto(`${stack.gestUrl}/`);
    await p.selectOption('#codiceFiscale', DEMO_CITIZEN.codiceFiscale);
    await Promise.all([
      p.waitForURL(`${stack.gestUrl}/posizioni`),
      p.getByRole('button', { name: 'Accedi' }).click(),
    ]);
  }

  const idOnPage = (p: Page) => p.locator('input[name=identificativoPagamento]').getAttribute('value');

  describe('every page at 375 px and at 1280 px: no horizontal scroll, axe-clean, a screenshot', () => {
    for (const width of WIDTHS) {
      describe(`${width} px`, () => {
        beforeEach(async () => {
          ctx = await newContext(browser, { viewport: { width, height: width < 600 ? 800 : 900 } });
          page = await ctx.newPage();
        });

        /** Checks the page as shown now; `name` names the screenshot demo-<name>-<width>. */
        async function check(name: string): Promise<void> {
          await expectNoHorizontalScroll(page, `${name} at ${width} px`);
          await expectAccessible(page, `${name} at ${width} px`);
          await screenshot(page, `demo-${name}-${width}`);
        }

        it('the demo gestionale: access, positions, payment page, status check, return, lists, messages, refusals', async () => {
          // long content where the gestionale shows codes it receives: they must wrap or scroll inside their table
          stack.gest.gestionale.inbox.record({
            operation: 'TrasmettiNotifichePagamento',
            idMessaggio: `MSG-${'X'.repeat(80)}`,
            cfEnteCreditore: DEMO.ente,
            codiceVersamento: DEMO.paymentType,
            codice: '000',
            duplicate: false,
            details: [`IUV ${'9'.repeat(35)}: pagato, IUR ${'Y'.repeat(60)}`],
          });
          await page.goto(`${stack.gestUrl}/`);
          await check('gestionale-accesso');
          await login(page);
          await check('gestionale-posizioni');
          const region = page.locator('.table-responsive');
          if (width < 600) {
            // on a phone the positions are stacked: nothing to scroll, even inside the table's region
            expect(
              await region.evaluate(
                (el) =>
                  (el as unknown as { scrollWidth: number; clientWidth: number }).scrollWidth <=
                  (el as unknown as { clientWidth: number }).clientWidth,
              ),
            ).toBe(true);
            expect(
              await page
                .locator('tbody td[data-label="IUV"]')
                .first()
                .evaluate(
                  (el) =>
                    (
                      globalThis as unknown as { getComputedStyle(e: unknown): { display: string } }
                    ).getComputedStyle(el).display,
                ),
            ).toBe('block');
          }

          await page.getByRole('button', { name: `Verifica stato di ${MANUAL_POSITION.causale}` }).click();
          await page.waitForURL(`${stack.gestUrl}/verifica-stato`);
          expect(await page.textContent('main [role=status]')).toContain(
            `Cassa risponde per la posizione ${MANUAL_POSITION.iuv}`,
          );
          await check('gestionale-verifica-stato');

          await page.getByRole('button', { name: `Paga ${MANUAL_POSITION.causale}` }).click();
          await page.waitForURL(`${stack.gestUrl}/paga`);
          await page.locator('details summary').click(); // the developers' table of the fields sent, open
          expect(await page.locator('details').getAttribute('open')).not.toBeNull();
          await check('gestionale-paga');

          const id = (await idOnPage(page))!;
          const attempt = stack.gest.gestionale.store.attempt(id)!;
          await page.goto(
            `${stack.gestUrl}/ritorno?${new URLSearchParams({ idPagamento: id, digest: attempt.digest, codEsito: '100' }).toString()}`,
          );
          expect(await page.textContent('h1')).toBe('Tentativo di pagamento non riuscito');
          await check('gestionale-ritorno');
          await page.goto(`${stack.gestUrl}/ritorno?idPagamento=GEST_never_issued&digest=x&codEsito=000`);
          expect(await page.textContent('h1')).toBe('Esito non riconosciuto');
          await check('gestionale-ritorno-rifiutato');

          await page.goto(`${stack.gestUrl}/liste`);
          await check('gestionale-liste-vuote');
          await Promise.all([
            page.waitForURL(`${stack.gestUrl}/liste`),
            page.getByRole('button', { name: 'Carica lista di prova' }).click(),
          ]);
          expect(await page.locator('main .alert').count()).toBe(1);
          expect(await page.locator('main table').count()).toBeGreaterThan(0);
          await check('gestionale-liste');

          await page.goto(`${stack.gestUrl}/messaggi`);
          await check('gestionale-messaggi');

          await page.goto(`${stack.gestUrl}/modulo-scaduto`);
          expect(await page.textContent('h1')).toBe('Modulo scaduto');
          await check('gestionale-modulo-scaduto');
        });

        it("the simulator's Checkout: the payment page (two notices), a concluded cart, an unknown cart", async () => {
          const base = { fiscalCode: DEMO.ente, companyName: 'Comune di Alessandria' };
          const returnUrls = {
            returnOkUrl: `${stack.gestUrl}/ok`,
            returnCancelUrl: `${stack.gestUrl}/annullato`,
            returnErrorUrl: `${stack.gestUrl}/errore`,
            returnWaitingUrl: `${stack.gestUrl}/attesa`,
          };
          const cart = () =>
            stack.sim.checkout.create(2, {
              paymentNotices: [
                {
                  ...base,
                  noticeNumber: '301000000000000001',
                  amount: 123_456,
                  description: 'Biblioteca-Copie eseguite su prenotazione tramite operatore',
                },
                {
                  ...base,
                  noticeNumber: '301000000000000002',
                  amount: 450,
                  description: 'Biblioteca-Sanzione per restituzione in ritardo',
                },
              ],
              returnUrls,
              emailNotice: 'un.indirizzo.di.posta.molto.lungo.per.la.ricevuta@comune.alessandria.example',
            });
          const open = cart();
          await page.goto(`${stack.sim.base}/checkout/carts/${open.id}`);
          expect(await page.textContent('main')).toContain('301000000000000002');
          await check('checkout-carrello');

          const done = cart();
          await stack.sim.checkout.act(done.id, 'cancel');
          await page.goto(`${stack.sim.base}/checkout/carts/${done.id}`);
          expect(await page.textContent('h1')).toBe('Carrello già concluso');
          await check('checkout-carrello-concluso');

          const res = await page.goto(
            `${stack.sim.base}/checkout/carts/00000000-0000-0000-0000-000000000000`,
          );
          expect(res!.status()).toBe(404);
          await check('checkout-carrello-sconosciuto');
        });
      });
    }
  });

  describe('post/redirect/get: Back and reload never re-send a form of the gestionale', () => {
    beforeEach(async () => {
      ctx = await newContext(browser);
      page = await ctx.newPage();
    });

    /** Back (or forward): the entry is loaded again with a GET, answered 200, and no POST goes out. */
    async function expectGetOnHistory(
      nav: { method: string; url: string }[],
      go: () => Promise<Response | null>,
      url: string,
      status = 200,
    ): Promise<Response> {
      const before = nav.length;
      const res = await go();
      expect(res, `history navigation to ${url}`).not.toBeNull();
      expect(res!.request().method()).toBe('GET');
      expect(res!.status()).toBe(status);
      expect(page.url()).toBe(url);
      expect(nav.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
      return res!;
    }

    it('the forms answer 303 to a GET page; Back and Forward load pages with GET; the payment page issues a fresh identificativoPagamento each time', async () => {
      const nav = navigations(page);
      const posted: { url: string; status: number; location?: string }[] = [];
      page.on('response', (r) => {
        if (r.request().method() === 'POST' && r.url().startsWith(stack.gestUrl))
          posted.push({ url: r.url(), status: r.status(), location: r.headers().location });
      });

      await login(page);
      const list = `${stack.gestUrl}/posizioni`;
      expect(posted).toEqual([{ url: `${stack.gestUrl}/accesso`, status: 303, location: '/posizioni' }]);

      // "Paga": POST → 303 → GET /paga
      await page.getByRole('button', { name: `Paga ${MANUAL_POSITION.causale}` }).click();
      await page.waitForURL(`${stack.gestUrl}/paga`);
      expect(posted.at(-1)).toEqual({ url: `${stack.gestUrl}/paga`, status: 303, location: '/paga' });
      const first = await idOnPage(page);
      await expectGetOnHistory(nav, () => page.goBack(), list);
      await expectGetOnHistory(nav, () => page.goForward(), `${stack.gestUrl}/paga`);
      const second = await idOnPage(page);
      expect(second).not.toBe(first);
      const reloaded = await page.reload();
      expect(reloaded!.request().method()).toBe('GET');
      const third = await idOnPage(page);
      expect(new Set([first, second, third]).size).toBe(3);

      // the form to the Sportello stays a POST to Cassa (PiemontePAY's protocol); Back from the Sportello
      // reaches the payment page by GET, with a new attempt that the Sportello accepts
      const sportello = `${stack.cassa.url}/sportello/**`;
      await Promise.all([
        page.waitForURL(sportello),
        page.getByRole('button', { name: 'Vai allo Sportello dei pagamenti' }).click(),
      ]);
      expect(nav.some((r) => r.method === 'POST' && r.url.startsWith(`${stack.cassa.url}/epayweb/`))).toBe(
        true,
      );
      await expectGetOnHistory(nav, () => page.goBack(), `${stack.gestUrl}/paga`);
      const fourth = await idOnPage(page);
      expect([first, second, third]).not.toContain(fourth);
      await Promise.all([
        page.waitForURL(sportello),
        page.getByRole('button', { name: 'Vai allo Sportello dei pagamenti' }).click(),
      ]);
      expect(await page.locator('#refusal').count()).toBe(0);
      expect(await page.textContent('main')).toContain(MANUAL_POSITION.iuv);

      // "Verifica stato": POST → 303 → GET /verifica-stato with Cassa's answer
      await page.goto(list);
      await page.getByRole('button', { name: `Verifica stato di ${MANUAL_POSITION.causale}` }).click();
      await page.waitForURL(`${stack.gestUrl}/verifica-stato`);
      expect(posted.at(-1)).toEqual({
        url: `${stack.gestUrl}/verifica-stato`,
        status: 303,
        location: '/verifica-stato',
      });
      expect(await page.textContent('main')).toContain(
        `Cassa risponde per la posizione ${MANUAL_POSITION.iuv}`,
      );
      await expectGetOnHistory(nav, () => page.goBack(), list);
      await expectGetOnHistory(nav, () => page.goForward(), `${stack.gestUrl}/verifica-stato`);

      // "Carica lista di prova": POST → 303 → GET /liste
      await page.goto(`${stack.gestUrl}/liste`);
      await page.getByRole('button', { name: 'Carica lista di prova' }).click();
      await page.waitForURL(`${stack.gestUrl}/liste`);
      expect(posted.at(-1)).toMatchObject({
        url: `${stack.gestUrl}/liste/prova`,
        status: 303,
        location: '/liste',
      });
      await page.goto(`${stack.gestUrl}/messaggi`);
      await expectGetOnHistory(nav, () => page.goBack(), `${stack.gestUrl}/liste`);

      // "Esci": POST → 303 → GET /
      await page.goto(list);
      await Promise.all([
        page.waitForURL(`${stack.gestUrl}/`),
        page.getByRole('button', { name: 'Esci' }).click(),
      ]);
      expect(posted.at(-1)).toEqual({ url: `${stack.gestUrl}/esci`, status: 303, location: '/' });

      // every POST of the gestionale's forms was answered by a redirect; no personal data went into a URL
      expect(posted.map((p) => new URL(p.url).pathname)).toEqual([
        '/accesso',
        '/paga',
        '/verifica-stato',
        '/liste/prova',
        '/esci',
      ]);
      for (const p of posted) expect(p.status, p.url).toBe(303);
      for (const r of nav) expect(r.url).not.toContain(DEMO_CITIZEN.codiceFiscale);
    });

    it('a form refused for its CSRF token, or a position that cannot be paid, ends on a GET page too', async () => {
      const nav = navigations(page);
      await login(page);
      // the token of another browser: refused, and the refusal is a page of its own (403) reached by GET
      await page
        .locator('form[action="/paga"] input[name=_csrf]')
        .first()
        .evaluate((el) => el.setAttribute('value', 'forged'));
      const [refused] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${stack.gestUrl}/modulo-scaduto`),
        page.getByRole('button', { name: `Paga ${MANUAL_POSITION.causale}` }).click(),
      ]);
      expect(refused.request().method()).toBe('GET');
      expect(refused.status()).toBe(403);
      expect(await page.textContent('h1')).toBe('Modulo scaduto');
      await page.goto(`${stack.gestUrl}/messaggi`);
      await expectGetOnHistory(nav, () => page.goBack(), `${stack.gestUrl}/modulo-scaduto`, 403);
      expect(nav.filter((r) => r.method === 'POST')).toHaveLength(2); // /accesso and the refused /paga, once each

      // a position that became unpayable since the list was shown: back to the list with a warning, by GET
      await page.goto(`${stack.gestUrl}/posizioni`);
      const p = stack.gest.gestionale.store.position(MANUAL_POSITION.iuv)!;
      const state = p.state;
      p.state = 'ANNULLATA';
      try {
        await page.getByRole('button', { name: `Paga ${MANUAL_POSITION.causale}` }).click();
        await page.waitForURL(`${stack.gestUrl}/posizioni`);
        expect(await page.textContent('main [role=status]')).toContain(
          `La posizione ${MANUAL_POSITION.iuv} non si può pagare`,
        );
        // shown once: a reload is the plain list
        await page.reload();
        expect(await page.locator('main [role=status]').count()).toBe(0);
      } finally {
        p.state = state;
      }
    });
  });
});
