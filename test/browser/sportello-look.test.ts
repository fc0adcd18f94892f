import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../../src/app/demo-seed.js';
import { enteHeader } from '../../src/http/portal/layout-data.js';
import { sendPage } from '../../src/http/portal/render.js';
import {
  expectAccessible,
  launchBrowser,
  newContext,
  postLanding,
  screenshot,
  SKIP_BROWSER_TESTS,
} from '../helpers/browser.js';
import { startLiveCassa, startSimulator, type LiveCassa } from '../helpers/live.js';
import { landingForm, newPosition, nextPaymentId } from '../helpers/portal.js';

// The Sportello's public-service look (Designers Italia, bootstrap-italia) in a real browser, on the
// pages a citizen reaches by GET or from a gestionale's landing: the slim header with the
// intermediary, the center header (the ente's name and logo on an ente's payment), the stepper, the
// footer's contacts and links, at 1280 and 375 px wide: no horizontal scroll, axe-clean, the skip
// link first. Pages are reached through the UI (the landing, Checkout's buttons), not by their URLs.

const SITE = {
  CASSA_INTERMEDIARY_NAME: 'Regione Demo - Intermediario tecnologico pagoPA',
  CASSA_INTERMEDIARY_URL: 'https://regione.example/',
  CASSA_SPORTELLO_ACCESSIBILITY_URL: 'https://form.agid.gov.it/view/00000000-0000-0000-0000-000000000000',
  CASSA_SPORTELLO_PRIVACY_URL: 'https://regione.example/privacy',
  CASSA_SPORTELLO_LEGAL_NOTES_URL: 'https://regione.example/note-legali',
  CASSA_SPORTELLO_COOKIE_POLICY_URL: 'https://regione.example/cookie',
  CASSA_SPORTELLO_INFO_PHONE: '800 333 444',
  CASSA_SPORTELLO_INFO_HOURS: 'Il servizio è gratuito, dal lunedì al venerdì dalle 8:00 alle 18:00',
  CASSA_SPORTELLO_INFO_URL: 'https://regione.example/pagamenti',
  CASSA_SPORTELLO_SUPPORT_URL: 'https://regione.example/segnalazioni',
  CASSA_SPORTELLO_SUPPORT_EMAIL: 'assistenza@regione.example',
};
const ENTE_NAME = 'Comune di Alessandria';

describe.skipIf(SKIP_BROWSER_TESTS)("the Sportello's look: header, stepper, footer", () => {
  let cassa: LiveCassa;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    sim = await startSimulator();
    [cassa, browser] = await Promise.all([
      startLiveCassa({
        env: { CASSA_CHECKOUT_URL: `${sim.base}/checkout/ec/v2`, CASSA_PORTAL_RATE_LIMIT: '0', ...SITE },
      }),
      launchBrowser(),
    ]);
    await seedDemo(cassa.c);
    Object.assign(sim.config, { stationUrl: cassa.soapUrl });
  });
  afterAll(async () => {
    await browser?.close();
    await sim?.close();
    await cassa?.close();
  });
  beforeEach(async () => {
    // the manual's caller AP_01: personal data without captcha (no wait for the proof of work)
    await cassa.c.applications.update(DEMO.codiceChiamante, {
      active: true,
      pageEmail: true,
      pagePrivacy: true,
      pageCaptcha: false,
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
    });
    ctx = await newContext(browser);
    page = await ctx.newPage();
  });
  afterEach(async () => {
    await ctx?.close();
  });

  const landing = async (o: { passphrase?: string } = {}) => {
    const p = await newPosition(cassa.c, { cents: 1200 });
    await postLanding(
      page,
      cassa.url,
      landingForm({ iuv: p.iuv, identificativoPagamento: nextPaymentId(), ...o }),
    );
    return p;
  };

  /** The header, stepper and footer every page has; `ente`: a page of the demo ente's payment. */
  async function expectShell(o: { ente: boolean; step?: string }) {
    // slim header: the intermediary (a link to its site) and the language switch
    expect((await page.textContent('.it-header-slim-wrapper #link-intermediary'))?.trim()).toBe(
      SITE.CASSA_INTERMEDIARY_NAME,
    );
    expect(await page.getAttribute('#link-intermediary', 'href')).toBe(SITE.CASSA_INTERMEDIARY_URL);
    expect(await page.locator('.it-header-slim-wrapper #link-lang').count()).toBe(1);
    // center header: the Sportello, or the ente with its logo (loaded: CSP img-src 'self')
    expect((await page.textContent('.it-header-center-wrapper #header-title'))?.trim()).toBe(
      o.ente ? ENTE_NAME : 'Sportello dei pagamenti',
    );
    if (o.ente) {
      const logo = page.locator('#header-ente-logo');
      expect(await logo.getAttribute('src')).toBe(`/sportello/enti/${DEMO.ente}/logo`);
      await expect
        .poll(() =>
          logo.evaluate(
            (img) =>
              (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
              (img as unknown as { naturalWidth: number }).naturalWidth > 0,
          ),
        )
        .toBe(true);
    } else {
      expect(await page.locator('#header-ente-logo').count()).toBe(0);
    }
    // stepper: one current step, the ones before it completed (said to screen readers)
    if (o.step) {
      expect(await page.getAttribute('#steps', 'data-step')).toBe(o.step);
      expect(await page.locator('#steps [aria-current="step"]').count()).toBe(1);
      expect(await page.getAttribute('#steps [aria-current="step"]', 'data-step')).toBe(o.step);
      const done = page.locator('#steps li[data-state="done"]');
      for (let i = 0; i < (await done.count()); i++)
        expect(await done.nth(i).textContent()).toContain('completato');
    }
    // footer: the installation's contacts and links, the ente's contacts on its payment's pages
    const footer = (await page.textContent('#footer'))!;
    expect(footer).toContain('800 333 444');
    expect(footer).toContain(SITE.CASSA_SPORTELLO_INFO_HOURS);
    expect(await page.locator('#footer-info a[href="tel:800333444"]').count()).toBe(1);
    expect(await page.getAttribute('#link-support-form', 'href')).toBe(SITE.CASSA_SPORTELLO_SUPPORT_URL);
    expect(
      await page.locator(`#footer-support a[href="mailto:${SITE.CASSA_SPORTELLO_SUPPORT_EMAIL}"]`).count(),
    ).toBe(1);
    expect(await page.getAttribute('#link-accessibility', 'href')).toBe(
      SITE.CASSA_SPORTELLO_ACCESSIBILITY_URL,
    );
    expect(await page.getAttribute('#link-privacy', 'href')).toBe(SITE.CASSA_SPORTELLO_PRIVACY_URL);
    expect(await page.getAttribute('#link-legal-notes', 'href')).toBe(SITE.CASSA_SPORTELLO_LEGAL_NOTES_URL);
    expect(await page.getAttribute('#link-cookie-policy', 'href')).toBe(
      SITE.CASSA_SPORTELLO_COOKIE_POLICY_URL,
    );
    expect(await page.textContent('#link-accessibility')).toBe('Dichiarazione di accessibilità');
    if (o.ente) {
      const info = (await page.textContent('#footer-ente-info'))!;
      expect(info).toContain(ENTE_NAME);
      expect(await page.locator('#footer-ente-info a[href="tel:0131000000"]').count()).toBe(1);
      expect(
        await page
          .locator('#footer-ente-info a[href="mailto:protocollo@comune.alessandria.example"]')
          .count(),
      ).toBe(1);
      expect(
        await page.locator('#footer-ente-info a[href="https://comune.alessandria.example/"]').count(),
      ).toBe(1);
    } else {
      expect(await page.locator('#footer-ente-info').count()).toBe(0);
    }
    // no link of the header or footer is a dead "#" or empty
    const hrefs = await page
      .locator('#header a, #footer a')
      .evaluateAll((as) =>
        as.map(
          (a) => (a as unknown as { getAttribute(n: string): string | null }).getAttribute('href') ?? '',
        ),
      );
    expect(hrefs.filter((h) => h === '' || h.startsWith('#'))).toEqual([]);
  }

  /** At 1280 and 375 px: no horizontal scroll, the stepper collapsed to its current step on a phone, axe, the skip link first, a screenshot each. */
  async function expectAtBothWidths(name: string, o: { step?: string } = {}) {
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: width === 375 ? 740 : 900 });
      const { scroll, inner } = await page.evaluate(() => {
        const g = globalThis as unknown as {
          document: { documentElement: { scrollWidth: number } };
          innerWidth: number;
        };
        return { scroll: g.document.documentElement.scrollWidth, inner: g.innerWidth };
      });
      expect(scroll, `${name} at ${width}px: horizontal scroll`).toBeLessThanOrEqual(inner);
      if (o.step) {
        expect(await page.locator('#steps li[aria-current="step"]').isVisible()).toBe(true);
        const others = await page
          .locator('#steps li:not([aria-current])')
          .evaluateAll((lis) =>
            lis.map(
              (li) =>
                (li as unknown as { getBoundingClientRect(): { height: number } }).getBoundingClientRect()
                  .height,
            ),
          );
        if (width === 375)
          expect(
            others.every((h) => h <= 1),
            `${name}: only the current step on a phone`,
          ).toBe(true);
        else
          expect(
            others.every((h) => h > 1),
            `${name}: every step on a desktop`,
          ).toBe(true);
      }
      await expectAccessible(page, `${name} at ${width}px`);
      await screenshot(page, `look-${name}-${width}`);
    }
    // keyboard: the skip link is the first stop and leads to the main content
    await page.evaluate(() =>
      (
        globalThis as unknown as { document: { activeElement: { blur?: () => void } | null } }
      ).document.activeElement?.blur?.(),
    );
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document
            .activeElement?.id,
      ),
    ).toBe('skip-link');
  }

  /** "Pagamento tramite pagoPA" where the payment is handed to pagoPA: the wordmark loaded, with its text alternative. */
  async function expectPagoPaMark() {
    const img = page.locator('#pagopa-mark img');
    expect(await img.getAttribute('alt')).toBe('pagoPA');
    expect(
      await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth),
    ).toBeGreaterThan(0);
  }

  it("home: the Sportello in the header, the installation's footer", async () => {
    await page.goto(`${cassa.url}/sportello/`);
    await expectShell({ ente: false });
    await expectAtBothWidths('home');
  });

  it("a gestionale's landing: the summary under the ente's name and logo, its contacts in the footer, the stepper", async () => {
    await landing();
    const step = await page.getAttribute('#steps', 'data-step');
    expect(['personalData', 'summary']).toContain(step);
    await expectShell({ ente: true, step: step! });
    await expectPagoPaMark();
    await expectAtBothWidths('summary', { step: step! });
  });

  it('the conclusion after Checkout: the last step current, every earlier one completed', async () => {
    await cassa.c.applications.update(DEMO.codiceChiamante, {
      pageEmail: false,
      pagePrivacy: false,
      pageCaptcha: false,
    });
    await landing();
    expect(page.url().startsWith(`${sim.base}/checkout/`), page.url()).toBe(true);
    await Promise.all([
      page.waitForURL(`${cassa.url}/**`),
      page.getByRole('button', { name: 'Paga', exact: true }).click(),
    ]);
    await page.waitForSelector('#conclusion');
    await expectShell({ ente: true, step: 'conclusion' });
    await expectPagoPaMark();
    expect(await page.locator('#steps li[data-state="done"]').count()).toBe(4);
    await expectAtBothWidths('conclusion', { step: 'conclusion' });
  });

  it("a refusal of the landing and a page that does not exist: the Sportello's header and footer", async () => {
    await landing({ passphrase: 'not-the-passphrase' });
    expect(await page.getAttribute('#refusal', 'data-reason')).toBe('DIGEST_INVALID');
    await expectShell({ ente: false });
    await expectAtBothWidths('refusal');

    const res = await page.goto(`${cassa.url}/sportello/pagina-che-non-esiste`);
    expect(res?.status()).toBe(404);
    await expectShell({ ente: false });
    await expectAtBothWidths('404');
  });

  it("an ente's page as sendPage renders it: the ente's name and logo (loaded under the portal's CSP), its contacts, the stepper", async () => {
    // a real page of Cassa first: its CSP is the one the rendered page is served with, from Cassa's origin
    const real = await page.goto(`${cassa.url}/sportello/`);
    const csp = real!.headers()['content-security-policy']!;
    expect(csp).toContain("img-src 'self' data:");
    let html = '';
    const req = {
      query: {},
      cookies: {},
      method: 'GET',
      url: '/sportello/anteprima-ente',
      server: cassa.app,
    };
    const reply = {
      code: () => reply,
      type: () => reply,
      header: () => reply,
      setCookie: () => reply,
      send: (b: string) => ((html = b), reply),
    };
    sendPage(req as never, reply as never, 'error', {
      status: 404,
      messageKey: '404',
      step: 'summary',
      headerEnte: await enteHeader(cassa.c, DEMO.ente),
    });
    await page.route(`${cassa.url}/sportello/anteprima-ente`, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/html; charset=utf-8',
        headers: { 'content-security-policy': csp },
        body: html,
      }),
    );
    await page.goto(`${cassa.url}/sportello/anteprima-ente`);
    await expectShell({ ente: true, step: 'summary' });
    await expectAtBothWidths('ente', { step: 'summary' });
  });

  it('in English: the header and footer follow the language switch', async () => {
    await page.goto(`${cassa.url}/sportello/`);
    await Promise.all([page.waitForEvent('load'), page.click('#link-lang')]);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect((await page.textContent('#header-title'))?.trim()).toBe('Payments desk');
    expect(await page.textContent('#link-accessibility')).toBe('Accessibility statement');
    expect(await page.textContent('#footer-info')).toContain('For information');
    // the hours are configured in Italian only: marked as Italian for screen readers
    expect(await page.locator(`#footer-info p[lang="it"]`).textContent()).toBe(
      SITE.CASSA_SPORTELLO_INFO_HOURS,
    );
    await expectAtBothWidths('home-en');
  });
});
