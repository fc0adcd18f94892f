import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { returnUrlOf } from '../../demo-gestionale/src/config.js';
import { DEMO, DEMO_GESTIONALE } from '../../src/app/demo-seed.js';
import {
  atPhoneAndDesktop,
  launchBrowser,
  newContext,
  postLanding,
  SKIP_BROWSER_TESTS,
  startStack,
  tickPrivacy,
  type Stack,
} from '../helpers/browser.js';
import { until } from '../helpers/until.js';
import { landingForm, newPosition, nextPaymentId } from '../helpers/portal.js';

// One payment per page: each landing from a gestionale is a payment flow of its own, the summary
// pays exactly what it shows, a page whose flow has ended says so, and every Checkout outcome gets
// the message matching the code the gestionale receives (seed 000 §2.2.1, §3.3).

describe.skipIf(SKIP_BROWSER_TESTS)('Sportello in a browser: payment flows and outcomes', () => {
  let stack: Stack;
  let browser: Browser;
  let ctx: BrowserContext;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
  beforeEach(async () => {
    ctx = await newContext(browser);
    await stack.cassa.c.applications.update(DEMO_GESTIONALE.codiceChiamante, {
      active: true,
      pageEmail: true,
      pagePrivacy: true,
      pageCaptcha: false,
      returnDigestMode: 'echo',
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
    });
  });
  afterEach(async () => {
    await ctx?.close();
    expect(stack.sim.journal.listViolations()).toEqual([]);
  });

  const gestForm = (iuv: string, identificativoPagamento: string) =>
    landingForm({
      iuv,
      identificativoPagamento,
      codiceChiamante: DEMO_GESTIONALE.codiceChiamante,
      passphrase: DEMO_GESTIONALE.passphrase,
      returnUrl: returnUrlOf(stack.gest.gestionale.config),
    });

  const status = async (iuv: string) =>
    (
      (await stack.cassa.c.db.executeSql(`select status from debt_position where iuv = '${iuv}'`))
        .rows[0] as { status: string }
    ).status;

  /** Lands on the Sportello from a gestionale's page, as the citizen's browser does. */
  async function land(page: Page, iuv: string, id = nextPaymentId()): Promise<string> {
    await postLanding(page, stack.cassa.url, gestForm(iuv, id));
    await page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`);
    return id;
  }

  async function fillPersonalData(page: Page) {
    await page.fill('#email', 'pino.test@example.org');
    await page.fill('#emailConferma', 'pino.test@example.org');
    await tickPrivacy(page);
  }

  /** "Prosegui" on the summary, then the person's choice on the simulated Checkout page, back to the conclusion. */
  async function payWith(page: Page, button: 'Paga' | 'Annulla' | 'Errore' | 'Abbandona') {
    await Promise.all([page.waitForURL(`${stack.sim.base}/checkout/carts/**`), page.click('#prosegui')]);
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/esito/**`),
      page.getByRole('button', { name: button, exact: true }).click(),
    ]);
  }

  const backCode = async (page: Page) =>
    new URL((await page.getAttribute('#link-back-to-caller', 'href'))!).searchParams.get('codEsito');

  it('two tabs, two positions: each tab pays the position it shows, not the last one landed', async () => {
    const x = await newPosition(stack.cassa.c, { cents: 300 });
    const y = await newPosition(stack.cassa.c, { cents: 550 });
    const tab1 = await ctx.newPage();
    const tab2 = await ctx.newPage();
    const idX = await land(tab1, x.iuv);
    const idY = await land(tab2, y.iuv);
    expect(await tab2.textContent('#summary')).toContain('€ 5,50');

    // back in tab 1: the summary still shows X, and "Prosegui" sends X to Checkout
    await tab1.bringToFront();
    expect(await tab1.textContent('#summary')).toContain('€ 3,00');
    await fillPersonalData(tab1);
    await Promise.all([tab1.waitForURL(`${stack.sim.base}/checkout/carts/**`), tab1.click('#prosegui')]);
    const checkout1 = (await tab1.textContent('main'))!;
    expect(checkout1).toContain(x.noticeNumber);
    expect(checkout1).not.toContain(y.noticeNumber);
    await Promise.all([
      tab1.waitForURL(`${stack.cassa.url}/sportello/esito/**`),
      tab1.getByRole('button', { name: 'Paga', exact: true }).click(),
    ]);
    expect(
      new URL((await tab1.getAttribute('#link-back-to-caller', 'href'))!).searchParams.get('idPagamento'),
    ).toBe(idX);

    // tab 2 is still Y's
    await tab2.bringToFront();
    await tab2.reload();
    await fillPersonalData(tab2);
    await Promise.all([tab2.waitForURL(`${stack.sim.base}/checkout/carts/**`), tab2.click('#prosegui')]);
    const checkout2 = (await tab2.textContent('main'))!;
    expect(checkout2).toContain(y.noticeNumber);
    expect(checkout2).not.toContain(x.noticeNumber);
    await Promise.all([
      tab2.waitForURL(`${stack.cassa.url}/sportello/esito/**`),
      tab2.getByRole('button', { name: 'Annulla', exact: true }).click(),
    ]);
    expect(
      new URL((await tab2.getAttribute('#link-back-to-caller', 'href'))!).searchParams.get('idPagamento'),
    ).toBe(idY);
    await until(async () => (await status(x.iuv)) === 'PAID', 'X paid');
    expect(await status(y.iuv)).toBe('PAYABLE');
  });

  it('the same position landed again in another tab: the older page says it was reopened and leads back to the gestionale (codEsito 100)', async () => {
    const p = await newPosition(stack.cassa.c, { cents: 400 });
    const tab1 = await ctx.newPage();
    const tab2 = await ctx.newPage();
    const first = await land(tab1, p.iuv);
    await land(tab2, p.iuv);
    await tab1.bringToFront();
    await fillPersonalData(tab1);
    const carts = stack.sim.checkout.list().length;
    await tab1.click('#prosegui');
    await tab1.waitForSelector('#flow-ended');
    expect(await tab1.getAttribute('#flow-ended', 'data-state')).toBe('superseded');
    expect(await tab1.textContent('#flow-ended')).toContain("riaperto dal servizio dell'ente");
    const back = new URL((await tab1.getAttribute('#link-back-to-caller', 'href'))!);
    expect(back.searchParams.get('idPagamento')).toBe(first);
    expect(back.searchParams.get('codEsito')).toBe('100');
    await atPhoneAndDesktop(tab1, 'flussi-01-riaperto-altrove');
    // nothing started from the old page; the new one pays
    expect(stack.sim.checkout.list().length).toBe(carts);
    await tab2.bringToFront();
    await fillPersonalData(tab2);
    await payWith(tab2, 'Paga');
    expect(await tab2.getAttribute('#conclusion', 'data-cod-esito')).toBe('000');
  });

  it('an expired flow, and a flow of another browser: each says so; nothing can be paid from them', async () => {
    const p = await newPosition(stack.cassa.c, { cents: 450 });
    const page = await ctx.newPage();
    await land(page, p.iuv);
    const url = page.url();
    const other = await newContext(browser);
    try {
      const stranger = await other.newPage();
      const res = await stranger.goto(url);
      expect(res!.status()).toBe(404);
      expect(await stranger.getAttribute('#flow-ended', 'data-state')).toBe('unknown');
      expect(await stranger.locator('#link-back-to-caller').count()).toBe(0);
      await atPhoneAndDesktop(stranger, 'flussi-04-altro-browser');
    } finally {
      await other.close();
    }
    await stack.cassa.c.db.executeSql(
      `update portal_session set expires_at = now() - interval '1 minute' where positions @> jsonb_build_array(jsonb_build_object('iuv', '${p.iuv}'))`,
    );
    const res = await page.reload();
    expect(res!.status()).toBe(410);
    expect(await page.getAttribute('#flow-ended', 'data-state')).toBe('expired');
    expect(
      new URL((await page.getAttribute('#link-back-to-caller', 'href'))!).searchParams.get('codEsito'),
    ).toBe('100');
    await atPhoneAndDesktop(page, 'flussi-02-scaduto');
  });

  it('the cart changed in another window: "Prosegui" on the older page pays nothing and shows the current cart; then it pays both', async () => {
    const a = await newPosition(stack.cassa.c, { cents: 1000 });
    const b = await newPosition(stack.cassa.c, { cents: 2000 });
    const win1 = await ctx.newPage();
    const win2 = await ctx.newPage();
    const add = async (page: Page, notice: string) => {
      await page.goto(`${stack.cassa.url}/sportello/`);
      await page.fill('#codiceAvviso', notice);
      await page.fill('#codiceFiscale', DEMO.debtor.codiceFiscalePartitaIVAPagatore);
      await Promise.all([page.waitForURL(`${stack.cassa.url}/sportello/`), page.click('#btn-add-notice')]);
    };
    await add(win1, a.noticeNumber);
    await Promise.all([
      win1.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`),
      win1.click('#btn-proceed'),
    ]);
    expect(await win1.locator('.summary-position').count()).toBe(1);
    await add(win2, b.noticeNumber);
    await win1.bringToFront();
    await fillPersonalData(win1);
    await win1.waitForSelector('#altcha[data-state=verified]');
    const carts = stack.sim.checkout.list().length;
    const [res] = await Promise.all([
      win1.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().includes('/sportello/pagamento/'),
      ),
      win1.click('#prosegui'),
    ]);
    expect(res.status()).toBe(409);
    await win1.waitForSelector('#cart-changed');
    expect(await win1.locator('.summary-position').count()).toBe(2);
    expect(await win1.textContent('#summary-total')).toBe('€ 30,00');
    expect(stack.sim.checkout.list().length).toBe(carts);
    await atPhoneAndDesktop(win1, 'flussi-03-carrello-cambiato');
    await win1.waitForSelector('#altcha[data-state=verified]');
    await Promise.all([win1.waitForURL(`${stack.sim.base}/checkout/carts/**`), win1.click('#prosegui')]);
    const checkout = (await win1.textContent('main'))!;
    expect(checkout).toContain(a.noticeNumber);
    expect(checkout).toContain(b.noticeNumber);
  });

  describe('every Checkout outcome: the message matches the code the gestionale gets', () => {
    it('pay: the payment registered (000); reloaded after the receipt, paid with the receipt to print', async () => {
      const p = await newPosition(stack.cassa.c, { cents: 1234 });
      const page = await ctx.newPage();
      await land(page, p.iuv);
      await fillPersonalData(page);
      await payWith(page, 'Paga');
      expect(['received', 'paid']).toContain(await page.getAttribute('#conclusion', 'data-state'));
      expect(await backCode(page)).toBe('000');
      expect(await page.textContent('#conclusion-message')).toContain('Operazione terminata');
      // the conclusion worth keeping: amount, ente, causale, codice avviso and IUV, date and time
      const text = (await page.textContent('#conclusion'))!;
      for (const s of ['€ 12,34', 'Comune di Alessandria', p.noticeNumber, p.iuv]) expect(text).toContain(s);
      expect(text).toMatch(/Data e ora operazione: \d{2}\/\d{2}\/\d{4}, \d{2}:\d{2}/);
      await until(async () => (await status(p.iuv)) === 'PAID', 'the receipt');
      await page.reload();
      expect(await page.getAttribute('#conclusion', 'data-state')).toBe('paid');
      expect(await page.textContent('#conclusion-message')).toContain('il pagamento è stato eseguito');
      expect(await page.textContent('#conclusion-detail')).toContain('La Ricevuta Telematica è arrivata');
      expect(await page.textContent('#conclusion-detail')).toContain('pino.test@example.org');
      expect(await backCode(page)).toBe('000');
      await atPhoneAndDesktop(page, 'esiti-01-pagato');
      // the receipt as a PDF, downloaded from the conclusion page
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('.receipt-pdf-link')]);
      expect(download.suggestedFilename()).toBe(`ricevuta-${p.noticeNumber}.pdf`);
      const pdf = readFileSync(await download.path());
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      await Promise.all([
        page.waitForURL(`${stack.cassa.url}/sportello/ricevuta/**`),
        page.click('.receipt-link'),
      ]);
      const receipt = (await page.textContent('#receipt'))!;
      for (const s of ['Comune di Alessandria', DEMO.ente, p.noticeNumber, p.iuv, '€ 12,34'])
        expect(receipt).toContain(s);
      expect((await page.textContent('#receipt-iur'))!.trim().length).toBeGreaterThan(0);
      await atPhoneAndDesktop(page, 'esiti-02-ricevuta');
      // the receipt's link opens nothing in another browser
      const other = await newContext(browser);
      try {
        expect((await (await other.newPage()).goto(page.url()))!.status()).toBe(404);
      } finally {
        await other.close();
      }
    });

    it('cancel: "Operazione annullata" (100) with the retry', async () => {
      const p = await newPosition(stack.cassa.c, { cents: 500 });
      const page = await ctx.newPage();
      await land(page, p.iuv);
      await fillPersonalData(page);
      await payWith(page, 'Annulla');
      expect(await page.getAttribute('#conclusion', 'data-state')).toBe('cancelled');
      expect(await page.textContent('#conclusion-message')).toContain('Operazione annullata');
      expect(await page.textContent('#conclusion-detail')).toContain('puoi riprovare');
      expect(await backCode(page)).toBe('100');
      await atPhoneAndDesktop(page, 'esiti-03-annullato');
    });

    it('error: "non riuscita" (100), never the green success', async () => {
      const p = await newPosition(stack.cassa.c, { cents: 600 });
      const page = await ctx.newPage();
      await land(page, p.iuv);
      await fillPersonalData(page);
      await payWith(page, 'Errore');
      expect(await page.getAttribute('#conclusion', 'data-state')).toBe('failed');
      expect(await page.locator('#conclusion .alert-success').count()).toBe(0);
      expect(await page.textContent('#conclusion-message')).toContain('non riuscita');
      expect(await backCode(page)).toBe('100');
      await atPhoneAndDesktop(page, 'esiti-04-errore');
    });

    it('abandon (Checkout times out): unknown while the token may be alive, the outcome to follow from the receipt (100); abandoned once it has expired (100)', async () => {
      const p = await newPosition(stack.cassa.c, { cents: 700 });
      const page = await ctx.newPage();
      await land(page, p.iuv);
      await fillPersonalData(page);
      await payWith(page, 'Abbandona');
      expect(await page.getAttribute('#conclusion', 'data-outcome')).toBe('attesa');
      expect(await page.getAttribute('#conclusion', 'data-state')).toBe('unknown');
      expect(await page.locator('#conclusion .alert-success').count()).toBe(0);
      expect(await page.textContent('#conclusion-message')).toContain('non è ancora noto');
      expect(await page.textContent('#conclusion-detail')).toContain(
        "L'esito arriverà con la Ricevuta Telematica",
      );
      expect(await backCode(page)).toBe('100');
      await atPhoneAndDesktop(page, 'esiti-05-esito-ignoto');
      // the payment token's 30 minutes pass (the activation is made older) and nothing came: abandoned
      await stack.cassa.c.db.executeSql(
        `update payment_attempt set created_at = now() - interval '31 minutes' where iuv = '${p.iuv}'`,
      );
      await page.reload();
      expect(await page.getAttribute('#conclusion', 'data-state')).toBe('abandoned');
      expect(await page.textContent('#conclusion-message')).toContain('abbandonato');
      expect(await backCode(page)).toBe('100');
      await atPhoneAndDesktop(page, 'esiti-06-abbandonato');
    });
  });
});
