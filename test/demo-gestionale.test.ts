import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoGestionale, type DemoGestionale } from '../demo-gestionale/src/app.js';
import {
  gestionaleConfig,
  loadGestionaleConfig,
  MANUAL_PASSPHRASE,
  returnUrlOf,
} from '../demo-gestionale/src/config.js';
import { CREATED_POSITIONS, DEMO_CITIZEN, MANUAL_POSITION } from '../demo-gestionale/src/demo-positions.js';
import {
  callDigest,
  digestsEqual,
  normalizeReceivedDigest,
  signedReturnDigest,
} from '../demo-gestionale/src/digest.js';
import { SPORTELLO_ENTRY_PATH } from '../demo-gestionale/src/payments.js';
import { DEMO, DEMO_GESTIONALE, seedDemo } from '../src/app/demo-seed.js';
import { gestionaleCsrf } from './helpers/demo-gestionale-csrf.js';
import { startLiveCassa, startSimulator, type LiveCassa } from './helpers/live.js';

// The demo gestionale against a real Cassa on a real port (and the pagoPA simulator to pay): it
// talks to Cassa only over HTTP, as a gestionale does.

const MANUAL = {
  passphrase: MANUAL_PASSPHRASE,
  codiceChiamante: 'AP_01',
  identificativoPagamento: 'POSDEB1_1234596724100',
  iuv: '190280072147087',
  returnUrl: 'https://applicativoChiamanteApp2.prova.it/biblioweb',
};

describe('digest (seed 000 §2.1, §3.1)', () => {
  it("computes the manual's example with PiemontePAY's '%%%%' and with the manual's '%%%'", () => {
    expect(MANUAL_PASSPHRASE).toBe(DEMO.passphrase);
    expect(callDigest({ ...MANUAL, separator: '%%%%' })).toBe('/ZYZk4VKLMSLGuX7L7G2xcLD0pSToOXo8WMu+jDFJog=');
    expect(callDigest({ ...MANUAL, separator: '%%%' })).toBe('uTeTpcAd7dYDZHNJwIeloWyJket2rOdNlTYMbAcWTDc=');
  });

  it("does not reproduce the digest the manual prints with either separator (the manual's example is not self-consistent)", () => {
    const printed = 'qlsh0JUK1JwA00jcVjbltehOswfsERV1j0Nes+Sb6rs=';
    expect(callDigest({ ...MANUAL, separator: '%%%%' })).not.toBe(printed);
    expect(callDigest({ ...MANUAL, separator: '%%%' })).not.toBe(printed);
  });

  it('hashes the UTF-8 bytes (the passphrase has a £)', () => {
    const latin1 = Buffer.from(
      `${MANUAL.passphrase}%%%%AP_01${MANUAL.identificativoPagamento}${MANUAL.iuv}${MANUAL.returnUrl}%%%%`,
      'latin1',
    );
    expect(callDigest({ ...MANUAL, separator: '%%%%' })).not.toBe(
      createHash('sha256').update(latin1).digest('base64'),
    );
  });

  it('signs the outcome in signed mode: 000 and 100 give different digests, both different from the call digest', () => {
    const call = callDigest({ ...MANUAL, separator: '%%%%' });
    const ok = signedReturnDigest({ ...MANUAL, separator: '%%%%', codEsito: '000' });
    const ko = signedReturnDigest({ ...MANUAL, separator: '%%%%', codEsito: '100' });
    expect(new Set([call, ok, ko]).size).toBe(3);
  });

  it("reads a digest whose '+' became a space in an unencoded query string; compares exactly", () => {
    expect(normalizeReceivedDigest('/ZYZk4VKLMSLGuX7L7G2xcLD0pSToOXo8WMu jDFJog=\r\n')).toBe(
      '/ZYZk4VKLMSLGuX7L7G2xcLD0pSToOXo8WMu+jDFJog=',
    );
    expect(digestsEqual('abc=', 'abc=')).toBe(true);
    expect(digestsEqual('abc=', 'ABC=')).toBe(false);
    expect(digestsEqual('abc=', 'abc')).toBe(false);
  });
});

describe('configuration', () => {
  it('has the documented defaults and refuses bad values', () => {
    const c = loadGestionaleConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8070,
      publicUrl: 'http://127.0.0.1:8070',
      cassaUrl: 'http://127.0.0.1:8080',
      codiceChiamante: 'AP_01',
      passphrase: MANUAL_PASSPHRASE,
      ente: '00429440068',
      paymentType: 'BIBL',
      digestSeparator: '%%%%',
      returnDigestMode: 'echo',
    });
    expect(returnUrlOf(c)).toBe('http://127.0.0.1:8070/ritorno');
    expect(
      loadGestionaleConfig({ GEST_DIGEST_SEPARATOR: '%%%', GEST_RETURN_DIGEST_MODE: 'signed' }),
    ).toMatchObject({ digestSeparator: '%%%', returnDigestMode: 'signed' });
    expect(() => loadGestionaleConfig({ GEST_DIGEST_SEPARATOR: '%%' })).toThrow(/GEST_DIGEST_SEPARATOR/);
    expect(() => loadGestionaleConfig({ GEST_RETURN_DIGEST_MODE: 'none' })).toThrow(
      /GEST_RETURN_DIGEST_MODE/,
    );
    expect(() => loadGestionaleConfig({ GEST_PUBLIC_URL: 'http://x.example/a?b=1' })).toThrow(
      /GEST_PUBLIC_URL/,
    );
  });
});

describe('the demo gestionale against a real Cassa', () => {
  let cassa: LiveCassa;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  const apps: DemoGestionale[] = [];

  beforeAll(async () => {
    sim = await startSimulator();
    cassa = await startLiveCassa();
    await seedDemo(cassa.c);
    Object.assign(sim.config, { stationUrl: cassa.soapUrl });
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await sim?.close();
    await cassa?.close();
  });

  async function gestionale(overrides: Parameters<typeof gestionaleConfig>[0] = {}): Promise<DemoGestionale> {
    const app = await buildDemoGestionale(
      gestionaleConfig({
        port: 0,
        cassaUrl: cassa.url,
        codiceChiamante: DEMO_GESTIONALE.codiceChiamante,
        passphrase: DEMO_GESTIONALE.passphrase,
        ...overrides,
      }),
    );
    apps.push(app);
    await app.gestionale.loadDemoPositions();
    await app.listen({ host: '127.0.0.1', port: 0 });
    return app;
  }

  /** The CSRF token that goes with a cookie header (the gestionale's forms carry it). */
  const tokens = new Map<string, string>();

  async function login(app: DemoGestionale): Promise<string> {
    const csrf = await gestionaleCsrf(app);
    const res = await app.inject({
      method: 'POST',
      url: '/accesso',
      headers: { cookie: csrf.cookie },
      payload: { codiceFiscale: DEMO_CITIZEN.codiceFiscale, _csrf: csrf.token },
    });
    expect(res.statusCode).toBe(303);
    const cookie = res.cookies.find((c) => c.name === 'gest_cf');
    expect(cookie?.value).toBe(DEMO_CITIZEN.codiceFiscale);
    const header = `${csrf.cookie}; gest_cf=${cookie!.value}`;
    tokens.set(header, csrf.token);
    return header;
  }

  /** A POST of one of the gestionale's forms, with its CSRF token. */
  const submit = (app: DemoGestionale, url: string, cookie: string, fields: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url,
      headers: { cookie },
      payload: { ...fields, _csrf: tokens.get(cookie) ?? '' },
    });

  function hidden(html: string, name: string): string {
    const m = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html);
    if (!m) throw new Error(`no hidden field ${name}`);
    return m[1]!
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }

  /** The cookies a redirect sets, added to a cookie header (post/redirect/get: the page after a POST is a GET). */
  function withCookies(cookie: string, res: { cookies: { name: string; value: string }[] }): string {
    const jar = new Map(
      cookie.split('; ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
    );
    for (const c of res.cookies) {
      if (c.value === '') jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** A POST of a form, then the GET its 303 points to (as a browser does). */
  async function submitAndFollow(
    app: DemoGestionale,
    url: string,
    cookie: string,
    fields: Record<string, string>,
  ) {
    const post = await submit(app, url, cookie, fields);
    expect(post.statusCode, `${url}: ${post.body}`).toBe(303);
    const page = await app.inject({
      method: 'GET',
      url: post.headers.location as string,
      headers: { cookie: withCookies(cookie, post) },
    });
    return { post, page };
  }

  /** "Paga": the POST answers 303 to GET /paga, the page with the form to the Sportello. */
  async function pay(app: DemoGestionale, cookie: string, iuv: string) {
    const { post, page: res } = await submitAndFollow(app, '/paga', cookie, { iuv });
    const form = res.statusCode === 200 && post.headers.location === '/paga';
    return {
      post,
      res,
      id: form ? hidden(res.body, 'identificativoPagamento') : '',
      digest: form ? hidden(res.body, 'digest') : '',
    };
  }

  const ret = (app: DemoGestionale, q: Record<string, string>) =>
    app.inject({ method: 'GET', url: `/ritorno?${new URLSearchParams(q).toString()}` });

  it('creates its positions in Cassa at start, and a restart is a harmless resend', async () => {
    const app = await gestionale();
    const again = await app.gestionale.loadDemoPositions();
    expect(again).toEqual({ created: 0, replayed: CREATED_POSITIONS.length });
    const mine = app.gestionale.store.positionsOf(DEMO_CITIZEN.codiceFiscale);
    expect(mine.map((p) => p.iuv)).toContain(MANUAL_POSITION.iuv);
    expect(mine).toHaveLength(CREATED_POSITIONS.length + 1);
    for (const p of mine) expect((await app.gestionale.cassa.status(p.iuv)).code).toBe('1');
  });

  it('shows the home page (no real authentication, said so) and the list of positions', async () => {
    const app = await gestionale();
    const home = await app.inject({ method: 'GET', url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('<html lang="it">');
    expect(home.body).toContain('<label for="codiceFiscale">');
    expect(home.body).toMatch(/Non c'è un vero accesso|Non c&#39;è un vero accesso/);
    expect(home.headers['cache-control']).toBe('no-store');
    const cookie = await login(app);
    const list = await app.inject({ method: 'GET', url: '/posizioni', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('<h1');
    for (const p of app.gestionale.store.positionsOf(DEMO_CITIZEN.codiceFiscale)) {
      expect(list.body).toContain(p.iuv);
      expect(list.body).toContain(p.codiceAvviso);
    }
    expect(list.body).toContain('100,00');
    expect(list.body).toContain('da pagare');
    expect((await app.inject({ method: 'GET', url: '/posizioni' })).statusCode).toBe(303);
    // an unknown citizen: back to the access page, with the reason once
    const csrf = await gestionaleCsrf(app);
    const unknown = await app.inject({
      method: 'POST',
      url: '/accesso',
      headers: { cookie: csrf.cookie },
      payload: { codiceFiscale: 'RSSMRA80A01H501U', _csrf: csrf.token },
    });
    expect(unknown.statusCode).toBe(303);
    expect(unknown.headers.location).toBe('/');
    expect(unknown.headers.location).not.toContain('RSSMRA80A01H501U');
    const shown = await app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: withCookies(csrf.cookie, unknown) },
    });
    expect(shown.body).toContain('Cittadino non riconosciuto');
    expect(shown.body).not.toContain('RSSMRA80A01H501U');
    const css = await app.inject({
      method: 'GET',
      url: '/static/bootstrap-italia/css/bootstrap-italia.min.css',
    });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
  });

  it('builds the form to the Sportello with a server-side digest and a fresh identificativoPagamento; no passphrase, no return URL in the page', async () => {
    const app = await gestionale();
    const cookie = await login(app);
    const { res, id, digest } = await pay(app, cookie, MANUAL_POSITION.iuv);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`action="${cassa.url}${SPORTELLO_ENTRY_PATH}"`);
    expect(res.body).not.toMatch(/<script/i);
    expect(hidden(res.body, 'codiceChiamante')).toBe(DEMO_GESTIONALE.codiceChiamante);
    expect(hidden(res.body, 'iuv')).toBe(MANUAL_POSITION.iuv);
    expect(hidden(res.body, 'codiceFiscale')).toBe(DEMO_CITIZEN.codiceFiscale);
    expect(id).toMatch(/^[A-Za-z0-9_]{1,50}$/);
    const returnUrl = returnUrlOf(app.gestionale.config);
    expect(digest).toBe(
      callDigest({
        passphrase: DEMO_GESTIONALE.passphrase,
        separator: '%%%%',
        codiceChiamante: DEMO_GESTIONALE.codiceChiamante,
        identificativoPagamento: id,
        iuv: MANUAL_POSITION.iuv,
        returnUrl,
      }),
    );
    for (const secret of [DEMO_GESTIONALE.passphrase, 'demo-gestionale%', returnUrl, '/ritorno'])
      expect(res.body).not.toContain(secret);
    // no form-action: browsers apply it to the Sportello's redirect to Checkout that follows the form
    expect(res.headers['content-security-policy']).not.toContain('form-action');
    expect(res.headers['content-security-policy']).toContain("script-src 'none'");
    const second = await pay(app, cookie, MANUAL_POSITION.iuv);
    expect(second.id).not.toBe(id);
    expect(second.digest).not.toBe(digest);
    // the manual's separator, when configured
    const app3 = await gestionale({ digestSeparator: '%%%' });
    const third = await pay(app3, await login(app3), MANUAL_POSITION.iuv);
    expect(third.digest).toBe(
      callDigest({
        passphrase: DEMO_GESTIONALE.passphrase,
        separator: '%%%',
        codiceChiamante: DEMO_GESTIONALE.codiceChiamante,
        identificativoPagamento: third.id,
        iuv: MANUAL_POSITION.iuv,
        returnUrl: returnUrlOf(app3.gestionale.config),
      }),
    );
    // post/redirect/get: the POST only chooses the position; each GET of the page is a fresh attempt (Back, reload)
    expect(second.post.headers.location).toBe('/paga');
    const chosen = second.post.cookies.find((c) => c.name === 'gest_paga');
    expect(chosen).toMatchObject({
      value: MANUAL_POSITION.iuv,
      path: '/paga',
      httpOnly: true,
      sameSite: 'Lax',
    });
    const again = await app.inject({
      method: 'GET',
      url: '/paga',
      headers: { cookie: withCookies(cookie, second.post) },
    });
    expect(again.statusCode).toBe(200);
    expect(hidden(again.body, 'identificativoPagamento')).not.toBe(second.id);
    expect(again.headers['cache-control']).toBe('no-store');
    // without a chosen position, or without a citizen, the page sends back
    expect((await app.inject({ method: 'GET', url: '/paga', headers: { cookie } })).headers.location).toBe(
      '/posizioni',
    );
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/paga',
          headers: { cookie: `gest_paga=${MANUAL_POSITION.iuv}` },
        })
      ).headers.location,
    ).toBe('/');
    // not the citizen's position, or no citizen: back to the list, with a notice shown once
    const unknown = await pay(app, cookie, '999999999999999');
    expect(unknown.post.headers.location).toBe('/posizioni');
    expect(unknown.res.body).toContain('Posizione non trovata tra le tue.');
    expect(unknown.post.cookies.find((c) => c.name === 'gest_paga')).toBeUndefined();
    const later = await app.inject({
      method: 'GET',
      url: '/posizioni',
      headers: { cookie: withCookies(cookie, unknown.post) },
    });
    expect(later.body).not.toContain('Posizione non trovata tra le tue.');
    const anonymous = await gestionaleCsrf(app);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/paga',
          headers: { cookie: anonymous.cookie },
          payload: { iuv: MANUAL_POSITION.iuv, _csrf: anonymous.token },
        })
      ).statusCode,
    ).toBe(303);
    // the gestionale's CSRF token stays with the gestionale: the form to the Sportello does not carry it
    expect(res.body).not.toContain('name="_csrf"');
  });

  it('refuses a return with an unknown idPagamento, a tampered digest or a bad codEsito, leaving the position as it was', async () => {
    const app = await gestionale();
    const cookie = await login(app);
    const { id, digest } = await pay(app, cookie, MANUAL_POSITION.iuv);
    const position = app.gestionale.store.position(MANUAL_POSITION.iuv)!;
    expect(position.state).toBe('PAGAMENTO_AVVIATO');
    const unknown = await ret(app, { idPagamento: 'GEST_never_issued', digest, codEsito: '000' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('Esito non riconosciuto');
    const tampered = await ret(app, {
      idPagamento: id,
      digest: callDigest({ ...MANUAL, separator: '%%%%' }),
      codEsito: '000',
    });
    expect(tampered.statusCode).toBe(400);
    expect(tampered.body).toContain('Esito non attendibile');
    expect((await ret(app, { idPagamento: id, digest, codEsito: '001' })).statusCode).toBe(400);
    expect((await ret(app, { idPagamento: id, codEsito: '000' })).statusCode).toBe(400);
    expect((await ret(app, { idPagamento: 'bad id!', digest, codEsito: '000' })).statusCode).toBe(400);
    expect(position.state).toBe('PAGAMENTO_AVVIATO');
    expect(app.gestionale.store.attempt(id)!.codEsito).toBeUndefined();
  });

  it('on 100 allows a new attempt; on 000 says "positive but definitive only at the notification" and does not mark it paid', async () => {
    const app = await gestionale();
    const cookie = await login(app);
    const first = await pay(app, cookie, MANUAL_POSITION.iuv);
    const ko = await ret(app, { idPagamento: first.id, digest: first.digest, codEsito: '100' });
    expect(ko.statusCode).toBe(200);
    expect(ko.body).toContain('Tentativo di pagamento non riuscito');
    expect(ko.body).toContain('è possibile riprovare');
    expect(app.gestionale.store.position(MANUAL_POSITION.iuv)!.state).toBe('TENTATIVO_NON_RIUSCITO');
    const second = await pay(app, cookie, MANUAL_POSITION.iuv);
    expect(second.res.statusCode).toBe(200);
    // PiemontePAY appends the digest unencoded: a '+' arrives as a space
    const raw = `/ritorno?idPagamento=${second.id}&digest=${second.digest}&codEsito=000`;
    const ok = await app.inject({ method: 'GET', url: raw });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.body).toContain('Pagamento concluso positivamente');
    expect(ok.body).toMatch(/definitivo solo all(&#39;|')arrivo della notifica di pagamento/);
    const position = app.gestionale.store.position(MANUAL_POSITION.iuv)!;
    expect(position.state).toBe('ESITO_POSITIVO_IN_ATTESA');
    expect(position.paid).toBeUndefined();
    // the first attempt's result stands: a changed codEsito on reload does not flip it
    const again = await ret(app, { idPagamento: first.id, digest: first.digest, codEsito: '000' });
    expect(again.body).toContain('vale il primo esito ricevuto');
    expect(app.gestionale.store.attempt(first.id)!.codEsito).toBe('100');
    // still payable until the notification (seed 000 §4.2)
    const list = await app.inject({ method: 'GET', url: '/posizioni', headers: { cookie } });
    expect(list.body).toContain('in attesa della notifica di pagamento');
    expect(list.body).toContain(`aria-label="Paga ${MANUAL_POSITION.causale}`);
  });

  it('in signed mode accepts only the digest over the fields plus codEsito, so a 100 cannot become a 000', async () => {
    const app = await gestionale({ returnDigestMode: 'signed' });
    const cookie = await login(app);
    const { id, digest } = await pay(app, cookie, MANUAL_POSITION.iuv);
    const fields = {
      passphrase: DEMO_GESTIONALE.passphrase,
      separator: '%%%%' as const,
      codiceChiamante: DEMO_GESTIONALE.codiceChiamante,
      identificativoPagamento: id,
      iuv: MANUAL_POSITION.iuv,
      returnUrl: returnUrlOf(app.gestionale.config),
    };
    expect((await ret(app, { idPagamento: id, digest, codEsito: '000' })).statusCode).toBe(400);
    const signed100 = signedReturnDigest({ ...fields, codEsito: '100' });
    expect((await ret(app, { idPagamento: id, digest: signed100, codEsito: '000' })).statusCode).toBe(400);
    const res = await ret(app, { idPagamento: id, digest: signed100, codEsito: '100' });
    expect(res.statusCode).toBe(200);
    expect(app.gestionale.store.position(MANUAL_POSITION.iuv)!.state).toBe('TENTATIVO_NON_RIUSCITO');
  });

  it('"verifica stato" asks Cassa: not paid stays open; paid through pagoPA becomes definitive, and Paga is no longer offered', async () => {
    const app = await gestionale();
    const cookie = await login(app);
    const target = app.gestionale.store
      .positionsOf(DEMO_CITIZEN.codiceFiscale)
      .find((p) => p.idPosizione === CREATED_POSITIONS[1].idPosizione)!;
    const { post, page: before } = await submitAndFollow(app, '/verifica-stato', cookie, { iuv: target.iuv });
    expect(post.headers.location).toBe('/verifica-stato');
    expect(before.statusCode).toBe(200);
    expect(before.body).toContain('Non Pagato (codice 1)');
    expect(target.state).toBe('DA_PAGARE');
    // the citizen pays the notice at a PSP (pagoPA simulator → Cassa's paForNode)
    const paid = await fetch(`${sim.base}/sim/psp/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fiscalCode: DEMO.ente, noticeNumber: target.codiceAvviso }),
    });
    expect(paid.status, await paid.clone().text()).toBe(200);
    const { page: after } = await submitAndFollow(app, '/verifica-stato', cookie, { iuv: target.iuv });
    expect(after.body).toContain('il pagamento è definitivo');
    expect(target.state).toBe('PAGATO_DEFINITIVO');
    expect(target.paid?.source).toBe('stato-cassa');
    expect(after.body).not.toContain(`aria-label="Paga ${target.causale}`);
    const refused = await pay(app, cookie, target.iuv);
    expect(refused.post.headers.location).toBe('/posizioni');
    expect(refused.res.body).toContain(`La posizione ${target.iuv} non si può pagare`);
    // the notification (issue 5) goes through the same function, and a duplicate changes nothing
    expect(
      app.gestionale.payments.markPaidDefinitive(target.iuv, { source: 'notifica', idMessaggio: 'M1' }).kind,
    ).toBe('already-paid');
    expect(target.paid?.source).toBe('stato-cassa');
    expect(app.gestionale.payments.markPaidDefinitive('000000000000000', { source: 'notifica' }).kind).toBe(
      'unknown-position',
    );
  });

  it("refuses its own forms without the CSRF token, or with another browser's: a redirect to a plain page", async () => {
    const app = await gestionale();
    const csrf = await gestionaleCsrf(app);
    const other = await gestionaleCsrf(app);
    const cases = [
      { url: '/accesso', cookie: csrf.cookie, payload: { codiceFiscale: DEMO_CITIZEN.codiceFiscale } },
      {
        url: '/accesso',
        cookie: csrf.cookie,
        payload: { codiceFiscale: DEMO_CITIZEN.codiceFiscale, _csrf: 'forged' },
      },
      {
        url: '/accesso',
        cookie: other.cookie.replace(/=.*/, '=not-the-secret'),
        payload: { codiceFiscale: DEMO_CITIZEN.codiceFiscale, _csrf: csrf.token },
      },
    ];
    for (const c of cases) {
      const res = await app.inject({
        method: 'POST',
        url: c.url,
        headers: { cookie: c.cookie },
        payload: c.payload,
      });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/modulo-scaduto');
      expect(res.cookies.find((k) => k.name === 'gest_cf')).toBeUndefined();
    }
    const expired = await app.inject({ method: 'GET', url: '/modulo-scaduto' });
    expect(expired.statusCode).toBe(403);
    expect(expired.headers['content-type']).toContain('text/html');
    expect(expired.body).toContain('Modulo scaduto');
    const cookie = await login(app);
    const paga = (await app.inject({ method: 'GET', url: '/posizioni', headers: { cookie } })).body;
    expect(paga.match(/name="_csrf"/g)?.length).toBeGreaterThan(2);
    for (const url of ['/paga', '/verifica-stato', '/esci', '/liste/prova']) {
      const res = await app.inject({
        method: 'POST',
        url,
        headers: { cookie },
        payload: { iuv: MANUAL_POSITION.iuv },
      });
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location, url).toBe('/modulo-scaduto');
      expect(
        res.cookies.find((k) => k.name === 'gest_paga'),
        url,
      ).toBeUndefined();
    }
    expect(app.gestionale.store.position(MANUAL_POSITION.iuv)!.state).toBe('DA_PAGARE');
    expect((await submit(app, '/esci', cookie, {})).statusCode).toBe(303);
  });

  it('says so when Cassa cannot be reached, without changing the position', async () => {
    const broken = await buildDemoGestionale(
      gestionaleConfig({ cassaUrl: 'http://127.0.0.1:1', seedOnStart: false }),
    );
    apps.push(broken);
    await broken.gestionale.loadDemoPositions();
    const cookie = await login(broken);
    const { page: res } = await submitAndFollow(broken, '/verifica-stato', cookie, {
      iuv: MANUAL_POSITION.iuv,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Non è stato possibile verificare lo stato');
    expect(broken.gestionale.store.position(MANUAL_POSITION.iuv)!.state).toBe('DA_PAGARE');
  });
});
