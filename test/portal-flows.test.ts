import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createContainer } from '../src/app/container.js';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { createLogger } from '../src/app/logger.js';
import { loadConfig } from '../src/config/config.js';
import { buildServer } from '../src/http/server.js';
import { SecretBox } from '../src/shared/secret-box.js';
import { createTestDatabase } from './helpers/db.js';
import { until } from './helpers/until.js';
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
} from './helpers/portal.js';

// Payment flows of the Sportello, through HTTP: receipt links only for the browser that paid, a cart
// frozen once handed to Checkout, flows that ended (closed, expired after Checkout, given up with "Indietro"),
// conclusions that outlive the summary's two hours; the session behind them: conclusion URLs that name it by
// a public id (never the cookie's value, nor in the log), a new session id whenever personal data enter it.

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

async function addNotice(b: Browser, code: string, codiceFiscale = CF, ente = '') {
  if (!b.lastHtml.includes('form-add-notice')) await b.get('/sportello/');
  return b.submit('/sportello/avvisi', { codiceAvviso: code, codiceFiscale, ente });
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

  it('the receipt PDF downloads in the browser that paid or found the paid notice, and nowhere else', async () => {
    const p = await newPosition(cassa.c, { cents: 1700 });
    const b = new Browser(cassa.app);
    const conclusion = await landAndPay(b, p.iuv);
    await until(async () => (await status(p.iuv)) === 'PAID', 'the receipt');
    const page = await b.get(conclusion);
    const pdfLink = /class="receipt-pdf-link" href="([^"]+)"/.exec(page.body)?.[1];
    expect(pdfLink).toMatch(/^\/sportello\/ricevuta\/\d+\/[A-Za-z0-9_-]{32}\/pdf$/);
    const pdf = await b.get(pdfLink!);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(`attachment; filename="ricevuta-${p.noticeNumber}.pdf"`);
    expect(pdf.headers['cache-control']).toBe('no-store');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    // the receipt page links the same download
    const receiptPage = await b.get(pdfLink!.replace(/\/pdf$/, ''));
    expect(receiptPage.body).toContain(`id="link-receipt-pdf" href="${pdfLink}"`);

    // another browser, with no cookie or with its own: the same URL gives nothing
    expect((await new Browser(cassa.app).get(pdfLink!)).statusCode).toBe(404);
    const stranger = new Browser(cassa.app);
    await stranger.get('/sportello/');
    await addNotice(stranger, '301000000000000000'); // any notice: the stranger now has a cookie of its own
    const refused = await stranger.get(pdfLink!);
    expect(refused.statusCode).toBe(404);
    expect(refused.headers['content-type']).toContain('text/html');
    expect(refused.body).not.toContain(p.noticeNumber);

    // a citizen who finds the paid notice by its code and fiscal code: the download instead of a pay button
    const finder = new Browser(cassa.app);
    const found = await addNotice(finder, p.noticeNumber);
    expect(found.body).toContain('data-reason="POSITION_PAID"');
    const foundLink = /id="link-receipt-pdf" href="([^"]+)"/.exec(found.body)?.[1];
    expect(foundLink).toMatch(/^\/sportello\/ricevuta\/\d+\/[A-Za-z0-9_-]{32}\/pdf$/);
    expect(foundLink).not.toBe(pdfLink);
    const foundPdf = await finder.get(foundLink!);
    expect(foundPdf.statusCode).toBe(200);
    expect(foundPdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    // ...and with the wrong fiscal code, no link at all
    const wrongCf = new Browser(cassa.app);
    const notFound = await addNotice(wrongCf, p.noticeNumber, 'RSSMRA80A01H501U');
    expect(notFound.body).not.toContain('link-receipt-pdf');

    // journaled: downloads and refusals
    await cassa.c.audit.flush();
    const journal = await cassa.c.audit.query({ interface: 'portal', operation: 'ricevutaPdf', limit: 20 });
    expect(journal.items.some((e) => e.outcome === 'SCARICATA' && e.iuv === p.iuv)).toBe(true);
    expect(journal.items.some((e) => e.outcome === 'RICEVUTA_NON_DISPONIBILE')).toBe(true);
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

describe("a gestionale's summary: no way into a different session, the way back to it from the home", () => {
  it('"< Indietro" on a gestionale\'s summary closes the flow and goes back to the caller with codEsito 100; the home offers the way back to the summary; the manual summary\'s "Indietro" goes to the cart', async () => {
    const p = await newPosition(cassa.c);
    const b = new Browser(cassa.app);
    const id = nextPaymentId();
    await b.post(LANDING, landingForm({ iuv: p.iuv, identificativoPagamento: id }));
    const summary = await b.get('/sportello/pagamento');
    expect(summary.body).toContain(`data-iuv="${p.iuv}"`);
    const flow = b.flowOfLastPage();
    const home = await b.get('/sportello/');
    expect(home.body).toContain(`id="link-resume" href="/sportello/pagamento/${flow}"`);
    await b.get(`/sportello/pagamento/${flow}`);
    expect(b.lastHtml).toContain(
      `<form method="post" action="/sportello/pagamento/${flow}/indietro" id="form-back">`,
    );
    const gaveUp = await b.submit(`/sportello/pagamento/${flow}/indietro`, {});
    expect(gaveUp.statusCode).toBe(303);
    const backLink = String(gaveUp.headers.location);
    expect(backLink.startsWith(`${DEMO.returnUrl}?idPagamento=`)).toBe(true);
    const back = new URL(backLink);
    expect(back.searchParams.get('idPagamento')).toBe(id);
    expect(back.searchParams.get('codEsito')).toBe('100');
    await cassa.c.audit.flush();
    const [journaled] = (
      await cassa.c.db.executeSql(
        `select outcome, iuv from audit_event where interface = 'portal' and operation = 'tornaAlChiamante' order by id desc limit 1`,
      )
    ).rows as { outcome: string; iuv: string }[];
    expect(journaled).toEqual({ outcome: 'RINUNCIA', iuv: p.iuv });
    // the flow is closed: its page says so (Forward from the gestionale), "Prosegui" from it pays nothing
    const closed = await b.get(`/sportello/pagamento/${flow}`);
    expect(closed.statusCode).toBe(410);
    expect(closed.body).toContain('data-state="closed"');
    expect((await b.get('/sportello/')).body).not.toContain('id="link-resume"');
    const m = new Browser(cassa.app);
    const q = await newPosition(cassa.c);
    await addNotice(m, q.noticeNumber);
    const manual = await m.get('/sportello/pagamento');
    expect(manual.body).toContain('id="btn-back" href="/sportello/"');
    expect((await m.get('/sportello/')).body).not.toContain('id="link-resume"');
  });
});

describe('conclusion URLs name the session by a public id, never by the cookie', () => {
  it("the URLs handed to Checkout do not carry the cookie value; the cookie value in their place opens nothing; the e-mail only to the session's browser", async () => {
    const p = await newPosition(cassa.c);
    const b = new Browser(cassa.app);
    expect(
      (await b.post(LANDING, landingForm({ iuv: p.iuv, identificativoPagamento: nextPaymentId() })))
        .statusCode,
    ).toBe(303);
    await b.get('/sportello/pagamento');
    const go = await b.submit('/sportello/pagamento', {
      email: 'pino.test@example.org',
      emailConferma: 'pino.test@example.org',
      privacy: 'on',
    });
    expect(go.statusCode).toBe(303);
    const cookie = b.cookies.get(SESSION)!;
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const idCart = /\/checkout\/carts\/([^/?]+)/.exec(go.headers.location as string)![1]!;
    const cart = JSON.stringify(await (await fetch(`${sim.base}/sim/carts/${idCart}`)).json());
    expect(cart).toContain('/sportello/esito/');
    expect(cart).not.toContain(cookie);

    const back = pathOf(await pressOnCheckout(go.headers.location as string, 'pay'));
    const [, , , ref, outcome, token] = back.split('/');
    expect(outcome).toBe('ok');
    expect(ref).not.toBe(cookie);
    expect(back).not.toContain(cookie);
    // the cookie's value in place of the public id: not a conclusion
    expect(
      (await cassa.app.inject({ method: 'GET', url: `/sportello/esito/${cookie}/ok/${token}` })).statusCode,
    ).toBe(404);
    // the public id is no session cookie: planted, it opens no session
    const planted = await cassa.app.inject({
      method: 'GET',
      url: '/sportello/pagamento',
      headers: { cookie: `${SESSION}=${ref}` },
    });
    expect(planted.statusCode).toBe(303);
    expect(planted.headers.location).toBe('/sportello/');

    // the session's browser sees the e-mail; the URL alone (another browser) does not
    const own = await b.get(back);
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain('pino.test@example.org');
    const stranger = await cassa.app.inject({ method: 'GET', url: back });
    expect(stranger.statusCode).toBe(200);
    expect(stranger.body).toContain('data-outcome="ok"');
    expect(stranger.body).not.toContain('pino.test@example.org');
  });

  it('the request log line of a conclusion URL carries neither its public id nor its token (nor the cookie)', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk, _enc, done) => {
        lines.push(String(chunk));
        done();
      },
    });
    const { db, drop } = await createTestDatabase();
    const config = loadConfig({
      CASSA_ENV: 'test',
      CASSA_SECRET_KEYS: SecretBox.generateKeySpec('t1'),
      CASSA_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
      CASSA_LOG_LEVEL: 'info',
    });
    const c = await createContainer(config, { db, logger: createLogger(config, sink) });
    const app = await buildServer(c);
    try {
      const ref = 'R'.repeat(43);
      const res = await app.inject({
        method: 'GET',
        url: `/sportello/esito/${ref}/ok/${'T'.repeat(32)}?lang=en`,
        headers: { cookie: `${SESSION}=${'C'.repeat(43)}` },
      });
      expect(res.statusCode).toBe(404);
      // the notice's and the receipt's links carry a token too
      for (const url of [
        `/sportello/avviso/12345/${'A'.repeat(32)}`,
        `/sportello/ricevuta/12345/${'B'.repeat(32)}/pdf`,
      ])
        await app.inject({ method: 'GET', url, headers: { cookie: `${SESSION}=${'C'.repeat(43)}` } });
      const log = lines.join('');
      expect(log).toContain('/sportello/esito/…');
      expect(log).toContain('/sportello/avviso/…');
      expect(log).toContain('/sportello/ricevuta/…');
      for (const secret of [ref, 'T'.repeat(32), 'C'.repeat(43), 'A'.repeat(32), 'B'.repeat(32)])
        expect(log).not.toContain(secret);
    } finally {
      await app.close();
      await c.close();
      await drop();
    }
  });
});

describe('a new session id whenever personal data enter the session', () => {
  it('a planted cookie: adding a notice and confirming references each change its value; the old one stops working; "Prosegui" adds nothing to retire', async () => {
    const attacker = new Browser(cassa.app);
    await addNotice(attacker, '301999999999999999'); // not found: an empty session, and its cookie
    const planted = attacker.cookies.get(SESSION)!;
    expect(planted).toBeDefined();

    const victim = new Browser(cassa.app);
    victim.cookies.set(SESSION, planted);
    const p = await newPosition(cassa.c);
    expect((await addNotice(victim, p.noticeNumber)).statusCode).toBe(303);
    const afterNotice = victim.cookies.get(SESSION)!;
    expect(afterNotice).not.toBe(planted);
    // the attacker's cookie shows nothing of the victim's cart
    expect((await attacker.get('/sportello/')).body).not.toContain(p.noticeNumber);
    expect((await victim.get('/sportello/')).body).toContain(`data-notice="${p.noticeNumber}"`);

    const anon = await newPosition(cassa.c, {
      debtor: 'ANONIMO',
      cents: 4200,
      references: [{ name: 'Numero verbale', value: 'V-2026-0777' }],
    });
    expect((await addNotice(victim, anon.noticeNumber, '')).headers.location).toBe('/sportello/riferimenti');
    const afterPending = victim.cookies.get(SESSION)!;
    expect(afterPending).not.toBe(afterNotice);
    await victim.get('/sportello/riferimenti');
    expect((await victim.submit('/sportello/riferimenti', { riferimento_0: 'V-2026-0777' })).statusCode).toBe(
      303,
    );
    const afterReferences = victim.cookies.get(SESSION)!;
    expect(afterReferences).not.toBe(afterPending);
    const stale = await cassa.app.inject({
      method: 'GET',
      url: '/sportello/',
      headers: { cookie: `${SESSION}=${afterPending}` },
    });
    expect(stale.body).toContain('id="cart-empty"');

    await victim.get('/sportello/pagamento');
    const go = await victim.submit('/sportello/pagamento', {
      email: 'v@example.org',
      emailConferma: 'v@example.org',
      privacy: 'on',
      altcha: await solveCaptcha(victim),
    });
    expect(go.statusCode).toBe(303);
    // nothing joins the browser's key at "Prosegui" (the planted value was retired at the first
    // notice): the value stays, so a second click or another tab is not left with a dead cookie
    expect(victim.cookies.get(SESSION)).toBe(afterReferences);
    // the conclusion URLs still work after the rotation
    const back = pathOf(await pressOnCheckout(go.headers.location as string, 'pay'));
    const page = await victim.get(back);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('v@example.org');
  });

  it("a landing's flow is bound with a new cookie value: a planted value opens nothing; a failed claim changes nothing", async () => {
    const p = await newPosition(cassa.c);
    const attacker = new Browser(cassa.app);
    await addNotice(attacker, '301999999999999999');
    const planted = attacker.cookies.get(SESSION)!;
    const b = new Browser(cassa.app);
    b.cookies.set(SESSION, planted);
    await b.post(LANDING, landingForm({ iuv: p.iuv, identificativoPagamento: nextPaymentId() }));
    const bound = b.cookies.get(SESSION)!;
    expect(bound).not.toBe(planted);
    await b.get('/sportello/pagamento');
    const flow = b.flowOfLastPage();
    expect((await cassa.c.portal.flow(flow, planted)).state).toBe('unknown');
    expect((await cassa.c.portal.flow(flow, bound)).state).toBe('open');
    expect((await attacker.get('/sportello/')).body).not.toContain('id="link-resume"');
    // a page sending the browser to a flow's URL with a token that is not its own: no new value, the flow stays the browser's
    const forged = await b.get(`/sportello/pagamento/${flow}?accesso=${'A'.repeat(43)}`);
    expect(forged.statusCode).toBe(200);
    expect(b.cookies.get(SESSION)).toBe(bound);
    expect((await cassa.c.portal.flow(flow, bound)).state).toBe('open');
    // "Prosegui" keeps the value (a double click finds the flow)
    expect(
      (
        await b.submit('/sportello/pagamento', {
          email: 'a@example.org',
          emailConferma: 'a@example.org',
          privacy: 'on',
        })
      ).statusCode,
    ).toBe(303);
    expect(b.cookies.get(SESSION)).toBe(bound);
  });

  it("two landings bound at the same moment by one browser still carrying the same value: both flows stay the browser's", async () => {
    const [x, y] = [await newPosition(cassa.c), await newPosition(cassa.c)];
    const b = new Browser(cassa.app);
    await addNotice(b, '301999999999999999');
    const before = b.cookies.get(SESSION)!;
    const locations: string[] = [];
    for (const p of [x, y]) {
      const res = await cassa.app.inject({
        method: 'POST',
        url: LANDING,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(
          landingForm({ iuv: p.iuv, identificativoPagamento: nextPaymentId() }),
        ).toString(),
      });
      locations.push(String(res.headers.location));
    }
    const claims = await Promise.all(
      locations.map((url) =>
        cassa.app.inject({ method: 'GET', url, headers: { cookie: `${SESSION}=${before}` } }),
      ),
    );
    const values = claims.flatMap((c) =>
      (c.cookies as { name: string; value: string }[]).filter((k) => k.name === SESSION).map((k) => k.value),
    );
    expect(values).toHaveLength(1);
    for (const url of locations)
      expect((await cassa.c.portal.flow(url.split('/')[3]!.split('?')[0]!, values[0])).state).toBe('open');
  });
});
