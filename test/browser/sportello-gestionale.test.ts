import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { returnUrlOf } from '../../demo-gestionale/src/config.js';
import {
  CREATED_POSITIONS,
  DEMO_CITIZEN,
  MANUAL_POSITION,
} from '../../demo-gestionale/src/demo-positions.js';
import { DEMO, DEMO_GESTIONALE } from '../../src/app/demo-seed.js';
import {
  atPhoneAndDesktop,
  expectAccessible,
  expectOnlyHomeLinks,
  tickPrivacy,
  launchBrowser,
  newContext,
  postLanding,
  SKIP_BROWSER_TESTS,
  startStack,
  type Stack,
} from '../helpers/browser.js';
import { until } from '../helpers/until.js';
import { landingForm, newPosition, nextPaymentId } from '../helpers/portal.js';

// A person in a real browser: the demo gestionale "Pagamenti Vari del Comune di Alessandria" sends
// the citizen to Cassa's Sportello with PiemontePAY's redirect, the citizen pays (or not) in the
// simulated pagoPA Checkout and comes back to the gestionale, which checks the digest (seed 000).

describe.skipIf(SKIP_BROWSER_TESTS)('Sportello in a browser: the redirect from the demo gestionale', () => {
  let stack: Stack;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
  beforeEach(async () => {
    ctx = await newContext(browser);
    page = await ctx.newPage();
    await stack.cassa.c.applications.update(DEMO_GESTIONALE.codiceChiamante, {
      active: true,
      pageEmail: true,
      pagePrivacy: true,
      pageCaptcha: true,
      returnDigestMode: 'echo',
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
    });
  });
  afterEach(async () => {
    await ctx?.close();
    expect(stack.sim.journal.listViolations()).toEqual([]);
  });

  const gestPosition = (iuvOrIdx: number | string) => {
    const all = stack.gest.gestionale.store.positionsOf(DEMO_CITIZEN.codiceFiscale);
    const p =
      typeof iuvOrIdx === 'string'
        ? all.find((x) => x.iuv === iuvOrIdx)
        : all.find((x) => x.idPosizione === CREATED_POSITIONS[iuvOrIdx]!.idPosizione);
    if (!p) throw new Error(`no gestionale position ${iuvOrIdx}`);
    return p;
  };

  const cassaStatus = async (iuv: string) => (await stack.gest.gestionale.cassa.status(iuv)).code;

  /** The citizen "logs in" on the gestionale (chooses Pino Test) and sees the list. */
  async function loginOnGestionale(p: Page, shots = false) {
    await p.goto(`${stack.gestUrl}/`);
    if (shots) {
      await expectAccessible(p, 'gestionale: access');
      await atPhoneAndDesktop(p, 'gestionale-01-accesso');
    }
    await p.selectOption('#codiceFiscale', DEMO_CITIZEN.codiceFiscale);
    await Promise.all([
      p.waitForURL(`${stack.gestUrl}/posizioni`),
      p.getByRole('button', { name: 'Accedi' }).click(),
    ]);
    await expect.poll(() => p.locator('h1').textContent()).toContain('Le tue posizioni');
  }

  /** "Paga" on a position, then "Vai allo Sportello dei pagamenti": the browser posts the form to Cassa. */
  async function payOnGestionale(p: Page, causale: string, shots = false): Promise<string> {
    await p.getByRole('button', { name: `Paga ${causale}` }).click();
    await p.waitForURL(`${stack.gestUrl}/paga`);
    const id = await p.locator('input[name=identificativoPagamento]').getAttribute('value');
    if (shots) {
      await expectAccessible(p, 'gestionale: pay');
      await atPhoneAndDesktop(p, 'gestionale-03-paga');
    }
    await Promise.all([
      p.waitForURL(`${stack.cassa.url}/**`),
      p.getByRole('button', { name: 'Vai allo Sportello dei pagamenti' }).click(),
    ]);
    return id!;
  }

  it('the full path: gestionale → Sportello (personal data, captcha) → Checkout → Paga → conclusion → back to the gestionale, definitive once the receipt is in', async () => {
    const target = gestPosition(0);
    await loginOnGestionale(page, true);
    await expectAccessible(page, 'gestionale: positions');
    await atPhoneAndDesktop(page, 'gestionale-02-posizioni');
    const id = await payOnGestionale(page, target.causale, true);

    // Sportello: summary and personal data
    await page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`);
    const summary = page.locator(`.summary-position[data-iuv="${target.iuv}"]`);
    await expect.poll(() => summary.count()).toBe(1);
    const text = (await summary.textContent())!;
    for (const s of [
      'Comune di Alessandria',
      target.causale,
      target.iuv,
      '€ 12,00',
      'Pino',
      'Test',
      DEMO_CITIZEN.codiceFiscale,
    ])
      expect(text).toContain(s);
    expect(await page.inputValue('#email')).toBe(DEMO_CITIZEN.email);
    await page.fill('#email', 'pino.test@example.org');
    await page.fill('#emailConferma', 'pino.test@example.org');
    await tickPrivacy(page);
    await page.waitForSelector('#altcha[data-state=verified]');
    expect(await page.locator('#altcha-status').textContent()).not.toBe('');
    await expectAccessible(page, 'Sportello: summary and personal data');
    await atPhoneAndDesktop(page, 'sportello-01-riepilogo-dati-personali');

    // Checkout (the simulator)
    await Promise.all([page.waitForURL(`${stack.sim.base}/checkout/carts/**`), page.click('#prosegui')]);
    expect(await page.textContent('main')).toContain(target.codiceAvviso);
    await atPhoneAndDesktop(page, 'checkout-simulato');
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/esito/**`),
      page.getByRole('button', { name: 'Paga', exact: true }).click(),
    ]);

    // conclusion
    expect(await page.getAttribute('#conclusion', 'data-outcome')).toBe('ok');
    expect(await page.textContent('#conclusion-message')).toContain('Operazione terminata');
    await expectAccessible(page, 'Sportello: conclusion');
    await atPhoneAndDesktop(page, 'sportello-02-conclusione');
    const back = new URL((await page.getAttribute('#link-back-to-caller', 'href'))!);
    expect(`${back.origin}${back.pathname}`).toBe(returnUrlOf(stack.gest.gestionale.config));
    expect(back.searchParams.get('idPagamento')).toBe(id);
    expect(back.searchParams.get('codEsito')).toBe('000');
    await Promise.all([page.waitForURL(`${stack.gestUrl}/ritorno?**`), page.click('#link-back-to-caller')]);

    // back on the gestionale: positive, not definitive, the digest verified
    expect(await page.textContent('h1')).toBe('Pagamento concluso positivamente');
    expect(await page.textContent('main')).toMatch(/definitivo solo all'arrivo della notifica di pagamento/);
    await expectAccessible(page, 'gestionale: return');
    await atPhoneAndDesktop(page, 'gestionale-04-ritorno-positivo');
    expect(stack.gest.gestionale.store.attempt(id)!.codEsito).toBe('000');
    expect(target.state).toBe('ESITO_POSITIVO_IN_ATTESA');
    expect(target.paid).toBeUndefined();

    // the receipt arrives (simulated node → Cassa's paForNode); then "Verifica stato" makes it definitive
    await until(async () => (await cassaStatus(target.iuv)) === '0', 'the receipt to make the position paid');
    await page.goto(`${stack.gestUrl}/posizioni`);
    await page.getByRole('button', { name: `Verifica stato di ${target.causale}` }).click();
    await page.waitForURL(`${stack.gestUrl}/verifica-stato`);
    expect(await page.textContent('main')).toContain('il pagamento è definitivo');
    expect(target.state).toBe('PAGATO_DEFINITIVO');
    expect(await page.getByRole('button', { name: `Paga ${target.causale}` }).count()).toBe(0);
    await atPhoneAndDesktop(page, 'gestionale-05-definitivo');
  });

  it('cancel on Checkout: "Operazione annullata", back with codEsito 100, and a new attempt is allowed', async () => {
    const target = gestPosition(1);
    await loginOnGestionale(page);
    const first = await payOnGestionale(page, target.causale);
    await page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`);
    await page.fill('#emailConferma', DEMO_CITIZEN.email);
    await tickPrivacy(page);
    await page.waitForSelector('#altcha[data-state=verified]');
    await Promise.all([page.waitForURL(`${stack.sim.base}/checkout/carts/**`), page.click('#prosegui')]);
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/esito/**`),
      page.getByRole('button', { name: 'Annulla', exact: true }).click(),
    ]);
    expect(await page.getAttribute('#conclusion', 'data-outcome')).toBe('annullato');
    expect(await page.textContent('#conclusion-message')).toContain('Operazione annullata');
    await expectAccessible(page, 'Sportello: cancelled');
    await atPhoneAndDesktop(page, 'sportello-03-annullata');
    expect(
      new URL((await page.getAttribute('#link-back-to-caller', 'href'))!).searchParams.get('codEsito'),
    ).toBe('100');
    await Promise.all([page.waitForURL(`${stack.gestUrl}/ritorno?**`), page.click('#link-back-to-caller')]);
    expect(await page.textContent('h1')).toBe('Tentativo di pagamento non riuscito');
    expect(await page.textContent('main')).toContain('è possibile riprovare');
    expect(stack.gest.gestionale.store.attempt(first)!.codEsito).toBe('100');
    expect(target.state).toBe('TENTATIVO_NON_RIUSCITO');
    expect(await cassaStatus(target.iuv)).toBe('1');

    // a new attempt: a new identificativoPagamento, accepted by the Sportello
    await page.goto(`${stack.gestUrl}/posizioni`);
    const second = await payOnGestionale(page, target.causale);
    expect(second).not.toBe(first);
    await page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`);
    expect(await page.locator(`.summary-position[data-iuv="${target.iuv}"]`).count()).toBe(1);
  });

  it('with email, privacy and captcha off the personal-data page is skipped: from the landing straight to Checkout', async () => {
    await stack.cassa.c.applications.update(DEMO_GESTIONALE.codiceChiamante, {
      pageEmail: false,
      pagePrivacy: false,
      pageCaptcha: false,
    });
    const p = await newPosition(stack.cassa.c, { cents: 700 });
    // The demo gestionale's pages set no form-action (browsers apply it to the redirects that follow
    // the form, here to Checkout): checked on its page, then the form is posted as it would post it.
    const csp =
      (await page.request.get(`${stack.gestUrl}/posizioni`)).headers()['content-security-policy'] ?? '';
    expect(csp).not.toContain('form-action');
    const id = nextPaymentId();
    await postLanding(
      page,
      stack.cassa.url,
      landingForm({
        iuv: p.iuv,
        identificativoPagamento: id,
        codiceChiamante: DEMO_GESTIONALE.codiceChiamante,
        passphrase: DEMO_GESTIONALE.passphrase,
        returnUrl: returnUrlOf(stack.gest.gestionale.config),
      }),
    );
    expect(page.url().startsWith(`${stack.sim.base}/checkout/carts/`), page.url()).toBe(true);
    expect(await page.textContent('main')).toContain(p.noticeNumber);
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/esito/**`),
      page.getByRole('button', { name: 'Paga', exact: true }).click(),
    ]);
    expect(await page.getAttribute('#conclusion', 'data-outcome')).toBe('ok');
    const back = new URL((await page.getAttribute('#link-back-to-caller', 'href'))!);
    expect(back.searchParams.get('idPagamento')).toBe(id);
    expect(back.searchParams.get('codEsito')).toBe('000');
  });

  it('works without JavaScript when the captcha is off: personal data, Checkout, conclusion, back to the gestionale', async () => {
    await stack.cassa.c.applications.update(DEMO_GESTIONALE.codiceChiamante, { pageCaptcha: false });
    const noJs = await newContext(browser, { javaScriptEnabled: false });
    try {
      const p = await noJs.newPage();
      await loginOnGestionale(p);
      const id = await payOnGestionale(p, MANUAL_POSITION.causale);
      await p.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`);
      expect(await p.locator('#altcha').count()).toBe(0);
      await p.fill('#emailConferma', DEMO_CITIZEN.email);
      await tickPrivacy(p);
      await Promise.all([p.waitForURL(`${stack.sim.base}/checkout/carts/**`), p.click('#prosegui')]);
      await Promise.all([
        p.waitForURL(`${stack.cassa.url}/sportello/esito/**`),
        p.getByRole('button', { name: 'Paga', exact: true }).click(),
      ]);
      expect(await p.textContent('#conclusion-message')).toContain('Operazione terminata');
      await Promise.all([p.waitForURL(`${stack.gestUrl}/ritorno?**`), p.click('#link-back-to-caller')]);
      expect(await p.textContent('h1')).toBe('Pagamento concluso positivamente');
      expect(stack.gest.gestionale.store.attempt(id)!.codEsito).toBe('000');
    } finally {
      await noJs.close();
    }
  });

  it('"Messaggi ricevuti" with a table wider than the page: its scrollable region is reachable by keyboard (axe)', async () => {
    stack.gest.gestionale.inbox.record({
      operation: 'TrasmettiNotifichePagamento',
      idMessaggio: `MSG-${'X'.repeat(120)}`,
      cfEnteCreditore: DEMO.ente,
      codiceVersamento: DEMO.paymentType,
      codice: '000',
      duplicate: false,
      details: [`IUV ${'9'.repeat(35)}: ${'pagato '.repeat(10)}${'Y'.repeat(150)}`],
    });
    await page.setViewportSize({ width: 700, height: 900 });
    await page.goto(`${stack.gestUrl}/messaggi`);
    const region = page.locator('.table-responsive');
    expect(
      await region.evaluate(
        (el) =>
          (el as unknown as { scrollWidth: number; clientWidth: number }).scrollWidth >
          (el as unknown as { clientWidth: number }).clientWidth,
      ),
    ).toBe(true);
    expect(await region.getAttribute('tabindex')).toBe('0');
    await expectAccessible(page, 'gestionale: messages');
  });

  it('a gestionale\'s summary: from the Sportello\'s home the way back to it; "< Indietro" goes back to the gestionale with codEsito 100', async () => {
    const p = gestPosition(1);
    await loginOnGestionale(page);
    const id = await payOnGestionale(page, p.causale);
    await page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`);
    const summaryUrl = page.url();
    await Promise.all([page.waitForURL(`${stack.cassa.url}/sportello/`), page.click('#link-home-header')]);
    await expectAccessible(page, 'Sportello: home with a payment in progress');
    // the landing's first page carries its single-use token; the way back from the home is the flow's clean URL
    await Promise.all([page.waitForURL(summaryUrl.split('?')[0]!), page.click('#link-resume')]);
    expect(await page.locator(`.summary-position[data-iuv="${p.iuv}"]`).count()).toBe(1);
    // "< Indietro": back to the gestionale with codEsito 100 (the citizen gives up), the flow closed
    expect(await page.textContent('#btn-back')).toContain('Indietro');
    await Promise.all([page.waitForURL(`${stack.gestUrl}/ritorno?**`), page.click('#btn-back')]);
    const back = new URL(page.url());
    expect(back.searchParams.get('idPagamento')).toBe(id);
    expect(back.searchParams.get('codEsito')).toBe('100');
    expect(await page.textContent('h1')).toBe('Tentativo di pagamento non riuscito');
    expect(stack.gest.gestionale.store.attempt(id)!.codEsito).toBe('100');
    await page.goto(summaryUrl);
    expect(await page.getAttribute('#flow-ended', 'data-state')).toBe('closed');
    await atPhoneAndDesktop(page, 'sportello-06-pagamento-lasciato');
  });

  it("Back from the summary lands on the gestionale's page by GET (no form resubmission), and Forward finds the summary again", async () => {
    const target = gestPosition(1);
    await loginOnGestionale(page);
    await payOnGestionale(page, target.causale);
    await page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`);
    const summaryUrl = page.url();
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.isNavigationRequest() && r.method() === 'POST') posts.push(r.url());
    });
    const back = await page.goBack();
    expect(back!.request().method()).toBe('GET');
    expect(page.url().startsWith(`${stack.gestUrl}/`)).toBe(true);
    expect(await page.getByRole('button', { name: 'Vai allo Sportello dei pagamenti' }).count()).toBe(1);
    const forward = await page.goForward();
    expect(forward!.request().method()).toBe('GET');
    expect(page.url()).toBe(summaryUrl);
    expect(await page.locator(`.summary-position[data-iuv="${target.iuv}"]`).count()).toBe(1);
    expect(posts).toEqual([]);
  });

  describe('refusals (seed 000 §3.3) and state messages (§3.4): only the way back to the Sportello home', () => {
    const gestForm = (
      iuv: string,
      o: {
        identificativoPagamento?: string;
        codiceFiscale?: string;
        passphrase?: string;
        codiceChiamante?: string;
      } = {},
    ) =>
      landingForm({
        iuv,
        identificativoPagamento: o.identificativoPagamento ?? nextPaymentId(),
        codiceFiscale: o.codiceFiscale,
        codiceChiamante: o.codiceChiamante ?? DEMO_GESTIONALE.codiceChiamante,
        passphrase: o.passphrase ?? DEMO_GESTIONALE.passphrase,
        returnUrl: returnUrlOf(stack.gest.gestionale.config),
      });

    async function expectRefusal(
      form: Record<string, string>,
      reason: string,
      message: RegExp,
      shot?: string,
    ) {
      await postLanding(page, stack.cassa.url, form);
      expect(await page.getAttribute('#refusal', 'data-reason')).toBe(reason);
      expect(await page.textContent('#refusal')).toMatch(message);
      await expectOnlyHomeLinks(page, stack.cassa.url);
      expect(await page.content()).not.toContain(stack.gestUrl);
      if (shot) {
        await expectAccessible(page, `refusal ${reason}`);
        await atPhoneAndDesktop(page, shot);
      }
      await Promise.all([page.waitForURL(`${stack.cassa.url}/sportello/`), page.click('#link-home')]);
      expect(await page.locator('#form-add-notice').count()).toBe(1);
    }

    it('unknown caller, wrong digest, IUV not of that fiscal code, caller not allowed on the payment type', async () => {
      const p = await newPosition(stack.cassa.c);
      await expectRefusal(
        gestForm(p.iuv, { codiceChiamante: 'APP2_01' }),
        'CALLER_UNKNOWN',
        /sistema chiamante non è riconosciuto/,
        'sportello-04-rifiuto-chiamante',
      );
      await expectRefusal(
        gestForm(p.iuv, { passphrase: 'not-the-passphrase' }),
        'DIGEST_INVALID',
        /richiesta di pagamento non è stata riconosciuta/,
      );
      await expectRefusal(
        gestForm(p.iuv, { codiceFiscale: 'RSSMRA80A01H501U' }),
        'IUV_NOT_FOUND',
        /posizione debitoria non è stata riconosciuta/,
      );
      await expectRefusal(
        gestForm('190000000000099'),
        'IUV_NOT_FOUND',
        /posizione debitoria non è stata riconosciuta/,
      );
      await stack.cassa.c.applications.update(DEMO_GESTIONALE.codiceChiamante, { paymentTypes: [] });
      await expectRefusal(
        gestForm(p.iuv),
        'PAYMENT_TYPE_NOT_ALLOWED',
        /non è autorizzato a questo tipo di pagamento/,
      );
    });

    it('a reused identificativoPagamento', async () => {
      const p = await newPosition(stack.cassa.c);
      const form = gestForm(p.iuv);
      await postLanding(page, stack.cassa.url, form);
      await page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`);
      await expectRefusal(form, 'PAYMENT_ID_REUSED', /già stata usata/);
    });

    it('paid, cancelled, expired, in payment: each its message', async () => {
      await expectRefusal(
        gestForm(DEMO.paid.iuv),
        'POSITION_PAID',
        /risulta già effettuato/,
        'sportello-05-stato-pagata',
      );
      await expectRefusal(gestForm(DEMO.cancelled.iuv), 'POSITION_CANCELLED', /annullato dall'ente/);
      const expired = await newPosition(stack.cassa.c);
      await stack.cassa.c.db.executeSql(
        `update debt_position set valid_to = '2020-01-01' where iuv = '${expired.iuv}'`,
      );
      await expectRefusal(gestForm(expired.iuv), 'POSITION_EXPIRED', /non è più valido perché scaduto/);
      const inPayment = await newPosition(stack.cassa.c);
      const [row] = (
        await stack.cassa.c.db.executeSql(
          `select id::int as id from debt_position where iuv = '${inPayment.iuv}'`,
        )
      ).rows as { id: number }[];
      await stack.cassa.c.debtPositions.markAwaitingReceipt([row!.id], 'test', 'in attesa di ricevuta');
      await expectRefusal(
        gestForm(inPayment.iuv),
        'POSITION_IN_PAYMENT',
        /in attesa della ricevuta telematica/,
      );
    });
  });
});
