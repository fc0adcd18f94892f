import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createContainer } from '../src/app/container.js';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { createLogger } from '../src/app/logger.js';
import { loadConfig } from '../src/config/config.js';
import { buildServer } from '../src/http/server.js';
import { SecretBox } from '../src/shared/secret-box.js';
import { createTestDatabase } from './helpers/db.js';
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

// The findings of the Sportello's review: the session cookie's value never in a URL (nor in the log),
// a new session id whenever personal data enter the session, plain pages for every error, the way
// back on a gestionale's summary, ANONIMO notices, page titles, a cart with a notice paid elsewhere,
// the ente's code checked on its own field.

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

async function addNotice(b: Browser, code: string, codiceFiscale = CF, ente = '') {
  if (!b.lastHtml.includes('form-add-notice')) await b.get('/sportello/');
  return b.submit('/sportello/avvisi', { codiceAvviso: code, codiceFiscale, ente });
}

const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';
const positionId = async (iuv: string) =>
  (
    (await cassa.c.db.executeSql(`select id::int as id from debt_position where iuv = '${iuv}'`)).rows[0] as {
      id: number;
    }
  ).id;

describe('1. conclusion URLs name the session by a public id, never by the cookie', () => {
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
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
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
      const log = lines.join('');
      expect(log).toContain('/sportello/esito/…');
      for (const secret of [ref, 'T'.repeat(32), 'C'.repeat(43)]) expect(log).not.toContain(secret);
    } finally {
      await app.close();
      await c.close();
      await drop();
    }
  });
});

describe('2. a new session id whenever personal data enter the session', () => {
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

describe('4. every error under /sportello and at the landing path is a plain page', () => {
  it('a GET (reload, bookmark) or another method on the landing: a page saying where to start again', async () => {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await cassa.app.inject({ method, url: LANDING });
      expect(res.statusCode, method).toBe(405);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers.allow).toBe('POST');
      expect(res.body).toContain('id="error" data-status="405"');
      expect(res.body).toContain('riparti dal servizio');
      expect(res.body).toContain('href="/sportello/"');
    }
  });

  it('a URL with a bad %-encoding under /sportello: a plain 400 page, not JSON; elsewhere unchanged', async () => {
    for (const url of ['/sportello/esito/%ZZ/ok/x', '/sportello/%ZZ', '/sportello/esito/a/ok/%E0%A4%A']) {
      const res = await cassa.app.inject({ method: 'GET', url });
      expect(res.headers['content-type'], url).toContain('text/html');
      expect([400, 404]).toContain(res.statusCode);
      expect(res.body).toContain('id="error"');
      expect(res.body).not.toContain('FST_ERR');
    }
    const api = await cassa.app.inject({ method: 'GET', url: '/epayapi/api/v1/%ZZ' });
    expect(api.statusCode).toBe(400);
    expect(api.headers['content-type']).toContain('application/json');
  });
});

describe("5. a gestionale's summary: no way into a different session, the way back to it from the home", () => {
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

describe('6. an ANONIMO notice on the summary', () => {
  it('"Debitore: non indicato" and the payment references, no "Persona fisica" nor ANONIMO as a fiscal code; in English too', async () => {
    const p = await newPosition(cassa.c, {
      debtor: 'ANONIMO',
      cents: 4200,
      references: [{ name: 'Numero verbale', value: 'V-2026-0042' }],
    });
    const b = new Browser(cassa.app);
    await addNotice(b, p.noticeNumber, '');
    await b.get('/sportello/riferimenti');
    expect((await b.submit('/sportello/riferimenti', { riferimento_0: 'V-2026-0042' })).statusCode).toBe(303);
    const page = await b.get('/sportello/pagamento');
    const dl = /<dl[^>]*summary-position[\s\S]*?<\/dl>/.exec(page.body)![0];
    expect(dl).toContain('Debitore');
    expect(dl).toContain('non indicato (avviso con preavviso)');
    expect(dl).toContain('Numero verbale');
    expect(dl).toContain('V-2026-0042');
    expect(dl).not.toContain('Persona fisica');
    expect(dl).not.toContain('Codice fiscale / Partita IVA');
    expect(dl).not.toContain('>ANONIMO<');
    const en = await b.get('/sportello/pagamento?lang=en');
    expect(en.body).toContain('not given (notice with advance notice)');
    expect(en.body).not.toContain('Natural person');
  });
});

describe('7. every page has a title of its own', () => {
  it('home, references, summary, conclusion, refusal, errors: "<page> - Sportello dei pagamenti", in Italian and English', async () => {
    const seen: Record<string, string> = {};
    const b = new Browser(cassa.app);
    seen.home = titleOf((await b.get('/sportello/')).body);
    const anon = await newPosition(cassa.c, {
      debtor: 'ANONIMO',
      cents: 100,
      references: [{ name: 'Numero verbale', value: 'T-1' }],
    });
    await addNotice(b, anon.noticeNumber, '');
    seen.references = titleOf((await b.get('/sportello/riferimenti')).body);
    await b.submit('/sportello/riferimenti', { riferimento_0: 'T-1' });
    seen.summary = titleOf((await b.get('/sportello/pagamento')).body);
    const go = await b.submit('/sportello/pagamento', {
      email: 't@example.org',
      emailConferma: 't@example.org',
      privacy: 'on',
      altcha: await solveCaptcha(b),
    });
    seen.conclusion = titleOf(
      (await b.get(pathOf(await pressOnCheckout(go.headers.location as string, 'cancel')))).body,
    );
    seen.refusal = titleOf((await new Browser(cassa.app).post(LANDING, { codiceChiamante: 'X' })).body);
    seen.notFound = titleOf((await cassa.app.inject({ method: 'GET', url: '/sportello/nope' })).body);
    seen.csrf = titleOf(
      (
        await cassa.app.inject({
          method: 'POST',
          url: '/sportello/avvisi',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'codiceAvviso=1',
        })
      ).body,
    );
    seen.landingGet = titleOf((await cassa.app.inject({ method: 'GET', url: LANDING })).body);
    expect(seen).toEqual({
      home: 'Paga un avviso - Sportello dei pagamenti',
      references: 'Riferimenti del pagamento - Sportello dei pagamenti',
      summary: 'Paga con pagoPA con IUV - Sportello dei pagamenti',
      conclusion: 'Pagamento annullato - Sportello dei pagamenti',
      refusal: 'Impossibile procedere - Sportello dei pagamenti',
      notFound: 'Pagina non trovata - Sportello dei pagamenti',
      csrf: 'Modulo scaduto - Sportello dei pagamenti',
      landingGet: 'Pagamento da riavviare - Sportello dei pagamenti',
    });
    expect(titleOf((await cassa.app.inject({ method: 'GET', url: '/sportello/nope?lang=en' })).body)).toBe(
      'Page not found - Payments desk',
    );
    expect(
      titleOf(
        (
          await cassa.app.inject({
            method: 'POST',
            url: `${LANDING}?lang=en`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: 'codiceChiamante=X',
          })
        ).body,
      ),
    ).toBe('Cannot proceed - Payments desk');
  });
});

describe('8. a notice of the cart paid (or in payment) elsewhere', () => {
  it('"Prosegui" names the notice that cannot be paid and keeps the solved captcha for the retry', async () => {
    const [a, z] = [await newPosition(cassa.c, { cents: 1100 }), await newPosition(cassa.c, { cents: 2200 })];
    const b = new Browser(cassa.app);
    await addNotice(b, a.noticeNumber);
    await addNotice(b, z.noticeNumber);
    // meanwhile the second notice is being paid elsewhere (e.g. at a PSP)
    await cassa.c.debtPositions.markAwaitingReceipt([await positionId(z.iuv)], 'test', 'pagato altrove');
    await b.get('/sportello/pagamento');
    const captcha = await solveCaptcha(b);
    const refused = await b.submit('/sportello/pagamento', {
      email: 'c@example.org',
      emailConferma: 'c@example.org',
      privacy: 'on',
      altcha: captcha,
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(`L&#39;avviso ${z.noticeNumber} non si può più pagare`);
    expect(refused.body).toContain('in attesa della ricevuta telematica');
    expect(refused.body).toContain(`href="#position-${z.iuv}"`);
    expect(refused.body).not.toContain(`L&#39;avviso ${a.noticeNumber} non si può più pagare`);
    expect(refused.body).not.toContain('pagoPA non ha accettato');
    // remove it and go on with the same captcha solution: it was not used up
    const home = await b.get('/sportello/');
    const rid = new RegExp(`data-notice="${z.noticeNumber}"[\\s\\S]*?name="positionId" value="(\\d+)"`).exec(
      home.body,
    )![1]!;
    await b.submit('/sportello/avvisi/rimuovi', { positionId: rid });
    await b.get('/sportello/pagamento');
    const go = await b.submit('/sportello/pagamento', {
      email: 'c@example.org',
      emailConferma: 'c@example.org',
      privacy: 'on',
      altcha: captcha,
    });
    expect(go.statusCode).toBe(303);
    expect((go.headers.location as string).startsWith(`${sim.base}/checkout/carts/`)).toBe(true);
  });
});

describe("9. the ente's code on its own field", () => {
  it('an ente code that is not 11 digits is reported on the ente field, not as "Avviso non trovato"', async () => {
    const p = await newPosition(cassa.c);
    const b = new Browser(cassa.app);
    const res = await addNotice(b, p.noticeNumber, CF, '1234');
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<a href="#ente">');
    expect(res.body).toContain('ha 11 cifre');
    expect(res.body).not.toContain('Avviso non trovato');
    expect((await addNotice(b, p.noticeNumber, CF, DEMO.ente)).statusCode).toBe(303);
  });
});
