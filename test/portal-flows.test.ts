import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { until } from './helpers/live.js';
import { startLiveCassa, startSimulator, type LiveCassa } from './helpers/live.js';
import {
  Browser,
  LANDING,
  landingForm,
  newPosition,
  nextPaymentId,
  pathOf,
  pressOnCheckout,
  solveCaptcha,
} from './portal-helpers.js';

// Payment flows of the Sportello, through HTTP: receipt links only for the browser that paid, a cart
// frozen once handed to Checkout, flows that ended (closed, expired after Checkout), conclusions that
// outlive the summary's two hours.

let cassa: LiveCassa;
let sim: Awaited<ReturnType<typeof startSimulator>>;
const CF: string = DEMO.debtor.codiceFiscalePartitaIVAPagatore;
const SESSION = 'cassa_sportello';

beforeAll(async () => {
  sim = await startSimulator();
  cassa = await startLiveCassa({
    env: {
      CASSA_CHECKOUT_URL: `${sim.base}/checkout/ec/v2`,
      CASSA_PORTAL_RATE_LIMIT: '0',
      CASSA_PORTAL_CAPTCHA_MAX_NUMBER: '20000',
    },
  });
  await seedDemo(cassa.c);
  Object.assign(sim.config, { stationUrl: cassa.soapUrl });
});
afterAll(async () => {
  await sim?.close();
  await cassa?.close();
});
beforeEach(async () => {
  await cassa.c.applications.update(DEMO.codiceChiamante, {
    active: true,
    digestSeparator: 'any',
    pageEmail: true,
    pagePrivacy: true,
    pageCaptcha: false,
    returnDigestMode: 'echo',
    paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
  });
});

const status = async (iuv: string) =>
  (
    (await cassa.c.db.executeSql(`select status from debt_position where iuv = '${iuv}'`)).rows[0] as {
      status: string;
    }
  ).status;

async function landAndPay(b: Browser, iuv: string, action: 'pay' | 'cancel' | 'fail' = 'pay') {
  await b.post(LANDING, landingForm({ iuv, identificativoPagamento: nextPaymentId() }));
  await b.get('/sportello/pagamento');
  const go = await b.submit('/sportello/pagamento', {
    email: 'r@example.org',
    emailConferma: 'r@example.org',
    privacy: 'on',
  });
  expect(go.statusCode).toBe(303);
  return pathOf(await pressOnCheckout(go.headers.location as string, action));
}

async function addNotice(b: Browser, code: string) {
  if (!b.lastHtml.includes('form-add-notice')) await b.get('/sportello/');
  return b.submit('/sportello/avvisi', { codiceAvviso: code, codiceFiscale: CF, ente: '' });
}

describe('receipt links', () => {
  it("open only in the browser that paid; a token computed over a cookie of one's own opens nothing", async () => {
    const p = await newPosition(cassa.c, { cents: 1500 });
    const b = new Browser(cassa.app);
    const conclusion = await landAndPay(b, p.iuv);
    await until(async () => (await status(p.iuv)) === 'PAID', 'the receipt');
    const page = await b.get(conclusion);
    const link = /class="receipt-link" href="([^"]+)"/.exec(page.body)?.[1];
    expect(link).toMatch(/^\/sportello\/ricevuta\/\d+\/[A-Za-z0-9_-]{32}$/);
    const receipt = await b.get(link!);
    expect(receipt.statusCode).toBe(200);
    expect(receipt.body).toContain('id="receipt-iur"');
    expect(receipt.body).toContain('€ 15,00');

    // another browser: the same link, nothing
    expect((await new Browser(cassa.app).get(link!)).statusCode).toBe(404);
    // anyone can pick a cookie: a token keyed by it is not the installation's
    const position = link!.split('/')[3]!;
    const chosen = 'C'.repeat(43);
    const forged = createHmac('sha256', chosen)
      .update(`ricevuta:${position}`)
      .digest('base64url')
      .slice(0, 32);
    const res = await cassa.app.inject({
      method: 'GET',
      url: `/sportello/ricevuta/${position}/${forged}`,
      headers: { cookie: `${SESSION}=${chosen}` },
    });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain(CF);
  });
});

describe('a cart handed to Checkout is frozen', () => {
  it('a notice added meanwhile goes to a new cart; the conclusion shows and marks what Checkout paid', async () => {
    const [a, bPos] = [
      await newPosition(cassa.c, { cents: 1000 }),
      await newPosition(cassa.c, { cents: 2000 }),
    ];
    const win1 = new Browser(cassa.app);
    await addNotice(win1, a.noticeNumber);
    await win1.get('/sportello/pagamento');
    const go = await win1.submit('/sportello/pagamento', {
      email: 'f@example.org',
      emailConferma: 'f@example.org',
      privacy: 'on',
      altcha: await solveCaptcha(win1),
    });
    expect(go.statusCode).toBe(303);

    // a second window of the same browser: the cart in Checkout is not the one it edits
    const win2 = new Browser(cassa.app);
    for (const [k, v] of win1.cookies) win2.cookies.set(k, v);
    const home = await win2.get('/sportello/');
    expect(home.body).toContain('id="cart-empty"');
    expect(home.body).toContain('id="link-resume"');
    expect((await addNotice(win2, bPos.noticeNumber)).statusCode).toBe(303);
    expect((await win2.get('/sportello/')).body).toContain(`data-notice="${bPos.noticeNumber}"`);
    expect((await win2.get('/sportello/')).body).not.toContain(`data-notice="${a.noticeNumber}"`);

    const conclusion = await win1.get(pathOf(await pressOnCheckout(go.headers.location as string, 'pay')));
    expect(conclusion.body).toContain(`data-iuv="${a.iuv}"`);
    expect(conclusion.body).not.toContain(`data-iuv="${bPos.iuv}"`);
    await until(async () => (await status(a.iuv)) === 'PAID', 'A paid');
    expect(await status(bPos.iuv)).toBe('PAYABLE');
  });
});

describe('the manual flow after Checkout', () => {
  it('cancelled: "Riprova il pagamento" back to the cart; paid: no retry', async () => {
    const p = await newPosition(cassa.c, { cents: 700 });
    const b = new Browser(cassa.app);
    await addNotice(b, p.noticeNumber);
    await b.get('/sportello/pagamento');
    const go = await b.submit('/sportello/pagamento', {
      email: 'm@example.org',
      emailConferma: 'm@example.org',
      privacy: 'on',
      altcha: await solveCaptcha(b),
    });
    const cancelled = await b.get(pathOf(await pressOnCheckout(go.headers.location as string, 'cancel')));
    expect(cancelled.body).toContain('data-state="cancelled"');
    expect(cancelled.body).toContain('id="link-retry" href="/sportello/"');
    await b.get('/sportello/');
    expect((await addNotice(b, p.noticeNumber)).statusCode).toBe(303);
    await b.get('/sportello/pagamento');
    const again = await b.submit('/sportello/pagamento', {
      email: 'm@example.org',
      emailConferma: 'm@example.org',
      privacy: 'on',
      altcha: await solveCaptcha(b),
    });
    const paid = await b.get(pathOf(await pressOnCheckout(again.headers.location as string, 'pay')));
    expect(paid.body).toMatch(/data-state="(received|paid)"/);
    expect(paid.body).not.toContain('id="link-retry"');
  });
});

describe('flows that ended', () => {
  it('a flow handed to Checkout and then expired does not say that nothing was paid', async () => {
    const p = await newPosition(cassa.c);
    const b = new Browser(cassa.app);
    await b.post(LANDING, landingForm({ iuv: p.iuv, identificativoPagamento: nextPaymentId() }));
    await b.get('/sportello/pagamento');
    const flow = b.flowOfLastPage();
    expect(
      (
        await b.submit('/sportello/pagamento', {
          email: 'e@example.org',
          emailConferma: 'e@example.org',
          privacy: 'on',
        })
      ).statusCode,
    ).toBe(303);
    await cassa.c.db.executeSql(
      `update portal_session set expires_at = now() - interval '1 minute' where public_id = '${flow}'`,
    );
    const page = await b.get(`/sportello/pagamento/${flow}`);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('data-state="expired"');
    expect(page.body).toContain('Il pagamento era stato avviato su pagoPA');
    expect(page.body).not.toContain('Non è stato pagato nulla');
  });

  it("a conclusion reloaded after the summary's two hours still shows the payment as it stands", async () => {
    const p = await newPosition(cassa.c);
    const b = new Browser(cassa.app);
    const conclusion = await landAndPay(b, p.iuv, 'cancel');
    expect((await b.get(conclusion)).statusCode).toBe(200);
    const ref = conclusion.split('/')[3]!;
    const [row] = (
      await cassa.c.db.executeSql(
        `select expires_at > now() + interval '20 hours' as kept from portal_session where public_id = '${ref}'`,
      )
    ).rows as { kept: boolean }[];
    expect(row!.kept).toBe(true);
    await cassa.c.db.executeSql(
      `update portal_session set expires_at = now() - interval '1 hour' where public_id = '${ref}'`,
    );
    const later = await b.get(conclusion);
    expect(later.statusCode).toBe(200);
    expect(later.body).toContain('data-state="cancelled"');
  });

  it('a malformed flow id is the "not available" page, never a redirect built from it', async () => {
    for (const url of [
      '/sportello/pagamento/abc?accesso=x',
      `/sportello/pagamento/${'A'.repeat(42)}%0A?accesso=${'B'.repeat(43)}`,
    ]) {
      const res = await cassa.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers.location).toBeUndefined();
      expect(res.body).toContain('data-state="unknown"');
    }
  });
});
