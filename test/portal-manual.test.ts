import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { startLiveCassa, startSimulator, type LiveCassa } from './helpers/live.js';
import { Browser, LANDING, newPosition, pathOf, pressOnCheckout, solveCaptcha } from './helpers/portal.js';

// Paying without a gestionale: the home page, a cart of notices, ANONIMO fines by their
// references, the personal-data page of the manual flow; languages, headers, error pages and page titles.

let cassa: LiveCassa;
let sim: Awaited<ReturnType<typeof startSimulator>>;
const CF: string = DEMO.debtor.codiceFiscalePartitaIVAPagatore;

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

describe('home and cart', () => {
  it('adds notices by notice code or IUV with the fiscal code, up to 5, removes one, pays them in one Checkout cart', async () => {
    const b = new Browser(cassa.app);
    const home = await b.get('/sportello/');
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('<html lang="it">');
    expect(home.body).toContain('id="cart-empty"');
    expect(home.headers['cache-control']).toBe('no-store');
    const ps = [];
    for (let i = 0; i < 5; i++) ps.push(await newPosition(cassa.c, { cents: 1000 + i }));
    let r = await addNotice(b, ps[0]!.noticeNumber);
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/sportello/');
    r = await addNotice(b, ps[1]!.iuv, CF.toLowerCase());
    expect(r.statusCode).toBe(303);
    // the same notice twice
    await b.get('/sportello/');
    r = await addNotice(b, ps[1]!.noticeNumber);
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('già tra quelli da pagare');
    for (const p of ps.slice(2)) expect((await addNotice(b, p.noticeNumber)).statusCode).toBe(303);
    const full = await b.get('/sportello/');
    expect(full.body.match(/data-notice="/g)?.length).toBe(5);
    expect(full.body).toContain('id="cart-full"');
    // remove one
    const [, positionId] = /name="positionId" value="(\d+)"/.exec(full.body)!;
    r = await b.submit('/sportello/avvisi/rimuovi', { positionId: positionId! });
    expect(r.statusCode).toBe(303);
    const four = await b.get('/sportello/');
    expect(four.body.match(/data-notice="/g)?.length).toBe(4);
    // the manual flow shows e-mail, privacy and captcha; nothing prefilled
    const pay = await b.get('/sportello/pagamento');
    expect(pay.body.match(/class="row border-bottom pb-3 mb-3 summary-position"/g)?.length).toBe(4);
    for (const id of ['id="email"', 'id="privacy"', 'id="altcha"']) expect(pay.body).toContain(id);
    expect(pay.body).not.toContain(`value="${DEMO.debtor.email}"`);
    const go = await b.submit('/sportello/pagamento', {
      email: 'x@example.org',
      emailConferma: 'x@example.org',
      privacy: 'on',
      altcha: await solveCaptcha(b),
    });
    expect(go.statusCode).toBe(303);
    const idCart = /\/checkout\/carts\/([^/?]+)/.exec(go.headers.location as string)![1]!;
    const cart = (await (await fetch(`${sim.base}/sim/carts/${idCart}`)).json()) as Record<string, any>;
    expect(JSON.stringify(cart)).toContain(ps[4]!.noticeNumber);
    const conclusion = await fetch(`${sim.base}/checkout/carts/${idCart}`);
    expect(conclusion.status).toBe(200);
  });

  it('unknown notice, wrong fiscal code and a paid notice are told apart from a payable one', async () => {
    const b = new Browser(cassa.app);
    let r = await addNotice(b, '301999999999999999');
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('Avviso non trovato');
    const p = await newPosition(cassa.c);
    r = await addNotice(b, p.noticeNumber, 'RSSMRA80A01H501U');
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('Avviso non trovato');
    r = await addNotice(b, DEMO.paid.iuv);
    expect(r.statusCode).toBe(409);
    expect(r.body).toContain('già effettuato');
    r = await addNotice(b, 'not a code!');
    expect(r.statusCode).toBe(422);
  });

  it('ANONIMO fines: the payment references instead of the fiscal code', async () => {
    const p = await newPosition(cassa.c, {
      debtor: 'ANONIMO',
      cents: 4200,
      references: [{ name: 'Numero verbale', value: 'V-2026-0042' }],
    });
    const b = new Browser(cassa.app);
    let r = await addNotice(b, p.noticeNumber, '');
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/sportello/riferimenti');
    const page = await b.get('/sportello/riferimenti');
    expect(page.body).toContain('Numero verbale');
    r = await b.submit('/sportello/riferimenti', { riferimento_0: 'V-2026-9999' });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('non corrispondono');
    r = await b.submit('/sportello/riferimenti', { riferimento_0: ' v-2026-0042 ' });
    expect(r.statusCode).toBe(303);
    const home = await b.get('/sportello/');
    expect(home.body).toContain(`data-notice="${p.noticeNumber}"`);
  });
});

describe("the ente's code on its own field", () => {
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

describe('an ANONIMO notice on the summary', () => {
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

describe('a notice of the cart paid (or in payment) elsewhere', () => {
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

describe('language, headers, errors', () => {
  it('English with ?lang=en, remembered in a cookie', async () => {
    const b = new Browser(cassa.app);
    const en = await b.get('/sportello/?lang=en');
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('Pay a notice');
    expect(en.body).toContain('href="/sportello/?lang=it"');
    const again = await b.get('/sportello/');
    expect(again.body).toContain('Pay a notice');
    expect((await b.get('/sportello/?lang=it')).body).toContain('Paga un avviso');
  });

  it('security headers: strict CSP, no framing, nosniff; static assets of bootstrap-italia', async () => {
    const res = await cassa.app.inject({ method: 'GET', url: '/sportello/' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const css = await cassa.app.inject({
      method: 'GET',
      url: '/static/bootstrap-italia/css/bootstrap-italia.min.css',
    });
    expect(css.statusCode).toBe(200);
    expect(String(css.headers['cache-control'])).toContain('max-age');
    expect(
      (await cassa.app.inject({ method: 'GET', url: '/static/bootstrap-italia/js/bootstrap-italia.min.js' }))
        .statusCode,
    ).toBe(404);
    expect((await cassa.app.inject({ method: 'GET', url: '/static/portal/captcha.js' })).statusCode).toBe(
      200,
    );
  });

  it('plain error pages: unknown page, unknown conclusion, CSRF missing; / goes to the Sportello', async () => {
    const nf = await cassa.app.inject({ method: 'GET', url: '/sportello/nope' });
    expect(nf.statusCode).toBe(404);
    expect(nf.headers['content-type']).toContain('text/html');
    expect(nf.body).toContain('id="error"');
    const esito = await cassa.app.inject({
      method: 'GET',
      url: `/sportello/esito/${'a'.repeat(43)}/ok/${'b'.repeat(32)}`,
    });
    expect(esito.statusCode).toBe(404);
    const csrf = await cassa.app.inject({
      method: 'POST',
      url: '/sportello/avvisi',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'codiceAvviso=1',
    });
    expect(csrf.statusCode).toBe(403);
    expect(csrf.body).toContain('id="error"');
    expect(csrf.body).not.toContain('FST_CSRF');
    const root = await cassa.app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/sportello/');
  });
});

describe('every error under /sportello and at the landing path is a plain page', () => {
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

describe('every page has a title of its own', () => {
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

describe('rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { CASSA_PORTAL_RATE_LIMIT: '3' } });
  });
  afterAll(async () => t?.close());

  it('the public forms answer 429 with a plain page beyond the limit', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: LANDING,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'codiceChiamante=X',
      });
      codes.push(r.statusCode);
      if (r.statusCode === 429) expect(r.body).toContain('id="error"');
    }
    expect(codes.slice(0, 3)).toEqual([400, 400, 400]);
    expect(codes.slice(3)).toEqual([429, 429]);
  });
});
