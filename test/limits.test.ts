/**
 * Issue 10, item 6: limits that hold behind a proxy, across instances and against guessing
 * (docs/security.md). The Sportello's request limit keyed on the address CASSA_TRUST_PROXY yields
 * (never a client-chosen X-Forwarded-For), counted in PostgreSQL so that two instances share it; the
 * HTTP Basic failure throttle of the epayapi and of Enti2EPaywsoService, per caller and per address,
 * that spares the gestionale's own known addresses and ends with its window.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer, type Container } from '../src/app/container.js';
import { loadConfig } from '../src/config/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { buildServer } from '../src/http/server.js';
import { SecretBox } from '../src/shared/secret-box.js';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';
import { createTestDatabase } from './helpers/db.js';
import { createEnteWithCaller } from './helpers/fixtures.js';
import { insertListXml, readAck } from './helpers/lists.js';

const LANDING = '/epayweb/accessoLibero/pagaConIuv/accessoChiamanteEsterno';

/** A gestionale's redirect to the Sportello (refused, 400, while under the limit), from `remoteAddress`. */
async function land(app: FastifyInstance, remoteAddress: string, forwardedFor?: string): Promise<number> {
  const res = await app.inject({
    method: 'POST',
    url: LANDING,
    remoteAddress,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    payload: 'codiceChiamante=X',
  });
  return res.statusCode;
}

describe('the Sportello behind one proxy hop (CASSA_TRUST_PROXY=1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { CASSA_TRUST_PROXY: '1', CASSA_PORTAL_RATE_LIMIT: '3' } });
  });
  afterAll(async () => t?.close());

  it('rotating spoofed X-Forwarded-For values does not escape the limit, while distinct clients behind the proxy are counted separately', async () => {
    // the client prepends a new address each time; the proxy (10.0.0.1) appends the one it saw
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push(await land(t.app, '10.0.0.1', `198.18.0.${i}, 203.0.113.7`));
    expect(codes).toEqual([400, 400, 400, 429, 429, 429]);
    for (const client of ['203.0.113.8', '203.0.113.9', '203.0.113.10']) {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push(await land(t.app, '10.0.0.1', client));
      expect(codes, client).toEqual([400, 400, 400, 429]);
    }
  });
});

describe('the Sportello behind a list of proxies (CASSA_TRUST_PROXY=10.0.0.1, 10.0.0.2)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      env: { CASSA_TRUST_PROXY: '10.0.0.1, 10.0.0.2', CASSA_PORTAL_RATE_LIMIT: '3' },
    });
  });
  afterAll(async () => t?.close());

  it('keys on the first address that is not a listed proxy, whatever the client prepends', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push(await land(t.app, '10.0.0.1', `198.18.0.${i}, 203.0.113.20, 10.0.0.2`));
    expect(codes).toEqual([400, 400, 400, 429, 429]);
    // another client through the same proxies has its own count
    expect(await land(t.app, '10.0.0.1', '203.0.113.21, 10.0.0.2')).toBe(400);
  });

  it('ignores X-Forwarded-For from an address that is not a listed proxy', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push(await land(t.app, '198.51.100.9', `198.18.1.${i}`));
    expect(codes).toEqual([400, 400, 400, 429, 429]);
  });
});

describe('two instances on one database', () => {
  let base: Awaited<ReturnType<typeof createTestDatabase>>;
  let second: Database;
  let a: Container;
  let b: Container;
  let appA: FastifyInstance;
  let appB: FastifyInstance;

  beforeAll(async () => {
    base = await createTestDatabase();
    // on PostgreSQL, two connection pools as two processes would have
    second = base.url ? await openDatabase({ url: base.url, poolSize: 5 }) : base.db;
    const config = loadConfig({
      CASSA_ENV: 'test',
      CASSA_SECRET_KEYS: SecretBox.generateKeySpec('t1'),
      CASSA_ADMIN_TOKEN: ADMIN_TOKEN,
      CASSA_LOG_LEVEL: 'silent',
      CASSA_PORTAL_RATE_LIMIT: '3',
    });
    a = await createContainer(config, { db: base.db });
    b = await createContainer(config, { db: second });
    appA = await buildServer(a);
    appB = await buildServer(b);
    await Promise.all([appA.ready(), appB.ready()]);
  });
  afterAll(async () => {
    await appA?.close();
    await appB?.close();
    await a?.close();
    await b?.close();
    if (second && second !== base.db) await second.close();
    await base?.drop();
  });

  it('share the Sportello count', async () => {
    const codes: number[] = [];
    for (const app of [appA, appB, appA, appB, appA]) codes.push(await land(app, '203.0.113.30'));
    expect(codes).toEqual([400, 400, 400, 429, 429]);
    const refused = await appB.inject({
      method: 'POST',
      url: LANDING,
      remoteAddress: '203.0.113.30',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'codiceChiamante=X',
    });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });
});

const GESTIONALE = '192.0.2.10';
const ATTACKER = '198.51.100.66';
const WINDOW_MS = 60_000;
const AUTH_ENV = {
  CASSA_AUTH_MAX_FAILURES_PER_CALLER: '5',
  CASSA_AUTH_MAX_FAILURES_PER_ADDRESS: '8',
  CASSA_AUTH_FAILURE_WINDOW_MS: String(WINDOW_MS),
};

/** A test app whose clock the test moves (the throttle's windows follow it). */
async function appWithClock(): Promise<{ t: TestApp; advance: (ms: number) => void }> {
  let now = Date.now();
  const t = await buildTestApp({ clock: () => new Date(now), env: AUTH_ENV });
  return { t, advance: (ms) => (now += ms) };
}

async function auditEvents(
  t: TestApp,
  query: Record<string, string>,
): Promise<{ caller: string | null; outcome: string; httpStatus: number | null; interface: string }[]> {
  await t.c.audit.flush();
  const res = await t.app.inject({
    method: 'GET',
    url: `/admin/api/v1/audit-events?${new URLSearchParams(query).toString()}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

describe('the epayapi throttles failed HTTP Basic authentications', () => {
  let t: TestApp;
  let advance: (ms: number) => void;
  let party: Awaited<ReturnType<typeof createEnteWithCaller>>;
  let n = 0;
  const create = (remoteAddress: string, passphrase: string, caller = party.caller) =>
    t.app.inject({
      method: 'POST',
      url: `/epayapi/api/v1/organizations/${party.cf}/paymenttypes/${party.code}/debtpositions`,
      remoteAddress,
      headers: { authorization: basic(caller, passphrase) },
      payload: {
        causale: 'Tassa rifiuti',
        importo: 10,
        codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
        nome: 'Pino',
        cognome: 'Test',
        identificativoPagamento: `LIM-${++n}`,
      },
    } as InjectOptions);

  beforeAll(async () => {
    ({ t, advance } = await appWithClock());
    party = await createEnteWithCaller(t.c);
  });
  afterAll(async () => t?.close());

  it("refuses the right passphrase from the attacker's address after N wrong ones, serves the gestionale's known address, and ends the block with its window", async () => {
    // the gestionale works from its own server: Cassa remembers the address
    expect((await create(GESTIONALE, party.passphrase)).statusCode).toBe(201);
    for (let i = 0; i < 5; i++) expect((await create(ATTACKER, `guess-${i}`)).statusCode).toBe(401);

    const refused = await create(ATTACKER, party.passphrase);
    expect(refused.statusCode).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
    expect(refused.json()).toMatchObject({
      codiceEsito: '100',
      descrizioneEsito: expect.stringMatching(/^Troppi tentativi di autenticazione falliti/),
    });
    expect(refused.headers['x-client-attivo']).toBe('false');
    // the other operations answer the same, in their own Result shape
    const status = await t.app.inject({
      method: 'GET',
      url: `/epayapi/api/v1/organizations/${party.cf}/paymenttypes/${party.code}/debtpositions/021234567890123456/status`,
      remoteAddress: ATTACKER,
      headers: { authorization: basic(party.caller, party.passphrase) },
    });
    expect(status.statusCode).toBe(429);
    expect(status.headers['retry-after']).toBeDefined();
    expect(status.json()).toMatchObject({
      code: '100',
      description: expect.stringContaining('Troppi tentativi'),
    });

    // the caller is over its limit: any address it has not authenticated from is refused...
    expect((await create('198.51.100.67', party.passphrase)).statusCode).toBe(429);
    // ...but its own server still works
    expect((await create(GESTIONALE, party.passphrase)).statusCode).toBe(201);

    advance(WINDOW_MS + 1000);
    expect((await create(ATTACKER, party.passphrase)).statusCode).toBe(201);
  });

  it('limits the failures from one address whatever the caller, without blocking the caller elsewhere', async () => {
    const guesser = '198.51.100.80';
    for (let i = 0; i < 8; i++) expect((await create(guesser, 'x', `NOBODY_${i}`)).statusCode).toBe(401);
    expect((await create(guesser, party.passphrase)).statusCode).toBe(429);
    // unknown callers do not count against GEST_TEST: a new address of its own is served
    expect((await create('198.51.100.81', party.passphrase)).statusCode).toBe(201);
    advance(WINDOW_MS + 1000);
    expect((await create(guesser, party.passphrase)).statusCode).toBe(201);
  });

  it('counts an IPv6 client by its /64, so rotating addresses in it does not escape the address limit', async () => {
    for (let i = 0; i < 8; i++)
      expect((await create(`2001:db8:1:2::${i + 1}`, 'x', `NOBODY_${i}`)).statusCode).toBe(401);
    expect((await create('2001:db8:1:2:ffff::1', party.passphrase)).statusCode).toBe(429);
    expect((await create('2001:db8:1:3::1', party.passphrase)).statusCode).toBe(201);
    advance(WINDOW_MS + 1000);
  });

  it('an operator ends a block at once with the admin API', async () => {
    const attacker = '198.51.100.90';
    for (let i = 0; i < 5; i++) expect((await create(attacker, `guess-${i}`)).statusCode).toBe(401);
    expect((await create(attacker, party.passphrase)).statusCode).toBe(429);
    const admin = (url: string) =>
      t.app.inject({
        method: 'DELETE',
        url: `/admin/api/v1${url}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
    expect((await admin(`/applications/${party.caller}/auth-failures`)).json()).toEqual({ cleared: 1 });
    expect((await create(attacker, party.passphrase)).statusCode).toBe(201);
  });

  it('journals the refusals as TOO_MANY_FAILURES', async () => {
    const events = await auditEvents(t, { interface: 'epayapi', outcome: 'TOO_MANY_FAILURES' });
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(events.every((e) => e.httpStatus === 429)).toBe(true);
    expect(events.some((e) => e.caller === party.caller)).toBe(true);
  });
});

describe('Enti2EPaywsoService throttles failed HTTP Basic authentications', () => {
  let t: TestApp;
  let advance: (ms: number) => void;
  let party: Awaited<ReturnType<typeof createEnteWithCaller>>;
  let n = 0;
  const send = (remoteAddress: string, passphrase: string) => {
    const id = `LIM-${++n}`;
    return t.app.inject({
      method: 'POST',
      url: '/soap/Enti2EPaywsoService',
      remoteAddress,
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: '"http://www.csi.it/epay/epaywso/service/InserisciListaDiCarico"',
        authorization: basic(party.caller, passphrase),
      },
      payload: insertListXml({
        idMessaggio: id,
        cf: party.cf,
        code: party.code,
        positions: [{ id, amount: '10.00' }],
      }),
    } as InjectOptions);
  };

  beforeAll(async () => {
    ({ t, advance } = await appWithClock());
    party = await createEnteWithCaller(t.c);
  });
  afterAll(async () => t?.close());

  it("refuses the right passphrase from the attacker's address after N wrong ones, serves the gestionale's known address, and ends the block with its window", async () => {
    const first = await send(GESTIONALE, party.passphrase);
    expect(first.statusCode).toBe(200);
    expect(readAck(first.body).code).toBe('000');
    for (let i = 0; i < 5; i++) expect((await send(ATTACKER, `guess-${i}`)).statusCode).toBe(401);

    const refused = await send(ATTACKER, party.passphrase);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['content-type']).toMatch(/^text\/xml/);
    expect(refused.body).toContain('<faultcode>soapenv:Client</faultcode>');
    expect(refused.body).toContain('Troppi tentativi di autenticazione falliti');

    const known = await send(GESTIONALE, party.passphrase);
    expect(known.statusCode).toBe(200);
    expect(readAck(known.body).code).toBe('000');

    advance(WINDOW_MS + 1000);
    const later = await send(ATTACKER, party.passphrase);
    expect(later.statusCode).toBe(200);
    expect(readAck(later.body).code).toBe('000');
  });

  it('journals the refusal as TOO_MANY_FAILURES', async () => {
    const events = await auditEvents(t, { interface: 'Enti2EPaywsoService', outcome: 'TOO_MANY_FAILURES' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ caller: party.caller, httpStatus: 429 });
  });
});
