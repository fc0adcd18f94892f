import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createContainer, type Container } from '../src/app/container.js';
import { DEMO, DEMO_RECEIPT, seedDemo } from '../src/app/demo-seed.js';
import { loadConfig } from '../src/config/config.js';
import { openDatabase } from '../src/db/database.js';
import { isDatabaseUnavailable } from '../src/db/errors.js';
import { buildServer } from '../src/http/server.js';
import { JOBS, startWorker, type Worker } from '../src/jobs/worker.js';
import type { CallContext } from '../src/modules/debt-positions/application/debt-positions-service.js';
import { projectPath } from '../src/shared/paths.js';
import { SecretBox } from '../src/shared/secret-box.js';
import { ADMIN_TOKEN, basic } from './helpers/app.js';
import { createEnteWithCaller, draft } from './helpers/fixtures.js';
import { until } from './helpers/until.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { insertListXml } from './helpers/lists.js';

/**
 * Losing the database (a restart, a failover, a pooler closing connections) is not a crash: Cassa's
 * PostgreSQL backends are terminated under load, or the server vanishes behind a TCP proxy, and every
 * request gets either its answer or the clean "unavailable" of its protocol, nothing is half-written,
 * and everything resumes when the server is back. PostgreSQL only: PGlite has no connection to lose.
 */
const SERVER_URL = process.env.CASSA_TEST_DATABASE_URL;

// An error event nobody listens to, or a rejection nobody handles, would end a real process: here they are caught and asserted on.
const escaped: unknown[] = [];
const onEscape = (e: unknown) => escaped.push(e);

let name: string;
let admin: pg.Client;
let proxy: TcpProxy;
let c: Container;
let app: FastifyInstance;
let worker: Worker | undefined;
let ctx: CallContext;
const logLines: { level: number; msg: string; time: number; loop?: string }[] = [];

async function terminateBackends(): Promise<number> {
  const r = await admin.query(
    `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and application_name = 'cassa'`,
    [name],
  );
  return r.rows[0].n as number;
}

beforeAll(async () => {
  if (!SERVER_URL) return;
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  name = `cassa_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  admin = new pg.Client({ connectionString: SERVER_URL, application_name: 'cassa-test-admin' });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const server = new URL(SERVER_URL);
  proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  const url = new URL(SERVER_URL);
  url.host = `127.0.0.1:${proxy.port}`;
  url.pathname = `/${name}`;
  // a short connect timeout: while the server does not answer, requests fail within it instead of hanging
  const db = await openDatabase({ url: url.toString(), poolSize: 5, connectTimeoutMs: 1000 });
  const config = loadConfig({
    CASSA_ENV: 'test',
    CASSA_SECRET_KEYS: SecretBox.generateKeySpec('t1'),
    CASSA_ADMIN_TOKEN: ADMIN_TOKEN,
    CASSA_LOG_LEVEL: 'info',
    CASSA_LIST_POLL_MS: '100',
    CASSA_DELIVERY_POLL_MS: '100',
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const j = JSON.parse(line) as { level: number; msg: string; loop?: string };
        logLines.push({ level: j.level, msg: j.msg, time: Date.now(), loop: j.loop });
      }
      done();
    },
  });
  c = await createContainer(config, { db, logger: pino({ level: 'info' }, sink) });
  await seedDemo(c);
  app = await buildServer(c);
  await app.ready();
  ctx = await c.debtPositions.authorize({
    codiceChiamante: DEMO.codiceChiamante,
    passphrase: DEMO.passphrase,
    enteCodiceFiscale: DEMO.ente,
    codiceVersamento: DEMO.paymentType,
    scope: 'CREAZIONE_IUV',
  });
}, 60_000);

afterAll(async () => {
  if (!SERVER_URL) return;
  await proxy?.up();
  await worker?.stop();
  await app?.close();
  await c?.close();
  await c?.db.close();
  await proxy?.close();
  await admin?.query(`drop database if exists ${name} with (force)`);
  await admin?.end();
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
});

afterEach(() => {
  expect(escaped.map((e) => (e instanceof Error ? e.message : String(e)))).toEqual([]);
});

let seq = 0;
async function payable() {
  seq++;
  return c.debtPositions.create(
    ctx,
    draft({
      idPosizioneDebitoria: `OUT-${seq}`,
      amountCents: 850,
      components: [{ amountCents: 850, causale: 'Quota' }],
    }),
  );
}

const demoReceipt = readFileSync(projectPath('resources', 'demo', DEMO_RECEIPT), 'utf8');
function receiptFor(p: { iuv: string; noticeNumber: string }, receiptId: string): string {
  return demoReceipt
    .replace('d7c3a1e0b5f24c6a9e8d0f1b2c3d4e5f', receiptId)
    .replace('001191890494852566', p.noticeNumber)
    .replace('<creditorReferenceId>191890494852566', `<creditorReferenceId>${p.iuv}`)
    .replace(/<paymentAmount>[^<]*</, '<paymentAmount>8.50<')
    .replace(/<transferAmount>[^<]*</, '<transferAmount>8.50<');
}

const sendReceipt = (xml: string) =>
  app.inject({
    method: 'POST',
    url: '/soap/paForNode',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'paSendRTV2' },
    payload: xml,
  });
const EPAY = `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const epayAuth = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };
const createPosition = (k: number) =>
  app.inject({
    method: 'POST',
    url: EPAY,
    headers: { ...epayAuth, 'content-type': 'application/json' },
    payload: {
      causale: 'Prestito',
      importo: 12.5,
      codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
      nome: 'Pino',
      cognome: 'Test',
      identificativoPagamento: `LOAD-${k}`,
    },
  });

/** A query on the test database through a connection of its own (not Cassa's pool, never terminated). */
async function onTestDb<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const url = new URL(SERVER_URL!);
  url.pathname = `/${name}`;
  const cl = new pg.Client({ connectionString: url.toString(), application_name: 'cassa-test-observer' });
  await cl.connect();
  try {
    return (await cl.query(text, values)).rows as T[];
  } finally {
    await cl.end();
  }
}

// a pure rule: run on both databases' runs
it('classifies connection-level failures as "database unavailable", and nothing else', () => {
  for (const e of [
    new Error('Connection terminated unexpectedly'),
    new Error('Connection terminated due to connection timeout'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Client has encountered a connection error and is not queryable'),
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    Object.assign(new Error('x'), { code: '08006' }),
    new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })]),
    Object.assign(new Error('Failed query: select 1\nparams: '), {
      cause: Object.assign(new Error('y'), { code: '57P01' }),
    }),
    { message: 'Connection terminated unexpectedly (Queue: q, Worker: w)' },
  ]) {
    expect(isDatabaseUnavailable(e), (e as Error).message).toBe(true);
  }
  for (const e of [
    new Error('boom'),
    Object.assign(new Error('duplicate key'), { code: '23505' }),
    Object.assign(new Error('syntax'), { code: '42601' }),
    undefined,
    'x',
  ]) {
    expect(isDatabaseUnavailable(e)).toBe(false);
  }
});

describe.skipIf(!SERVER_URL)('database outages (PostgreSQL)', () => {
  it('under load, backends terminated 5 times: no crash, every answer a success or the clean error, every receipt stored whole or not at all', async () => {
    const positions = await Promise.all(Array.from({ length: 150 }, () => payable()));
    // outcome: OK, FAULT, or whatever else came back (the test then fails on it)
    const receipts: { p: (typeof positions)[number]; id: string; outcome: string }[] = [];
    const creates: { status: number; body: Record<string, unknown> }[] = [];
    let next = 0;
    let stop = false;
    let k = 0;
    const receiptClients = Array.from({ length: 6 }, async () => {
      while (!stop && next < positions.length) {
        const p = positions[next++]!;
        const id = `drop-${p.iuv}`;
        const res = await sendReceipt(receiptFor(p, id));
        const outcome =
          res.statusCode === 200 && res.body.includes('<outcome>OK</outcome>')
            ? 'OK'
            : /<faultCode>PAA_SYSTEM_ERROR<\/faultCode>/.test(res.body)
              ? 'FAULT'
              : `${res.statusCode} ${res.body.slice(0, 300)}`;
        receipts.push({ p, id, outcome });
      }
    });
    const createClients = Array.from({ length: 3 }, async () => {
      while (!stop) {
        const res = await createPosition(k++);
        creates.push({ status: res.statusCode, body: res.json() });
      }
    });
    let terminated = 0;
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 300));
      terminated += await terminateBackends();
    }
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await Promise.all([...receiptClients, ...createClients]);

    if (process.env.OUTAGE_DEBUG)
      console.log({
        terminated,
        receipts: receipts.length,
        faults: receipts.filter((r) => r.outcome === 'FAULT').length,
        creates: creates.length,
        unavailable: creates.filter((cr) => cr.status === 503).length,
        lost: c.db.connections?.lost,
      });
    expect(terminated).toBeGreaterThan(0);
    // every answer: the operation's success or its protocol's clean "unavailable"
    expect(receipts.filter((r) => r.outcome !== 'OK' && r.outcome !== 'FAULT')).toEqual([]);
    for (const cr of creates) {
      if (cr.status === 201) expect(cr.body.codiceEsito).toBe('000');
      else
        expect(cr, JSON.stringify(cr)).toMatchObject({
          status: 503,
          body: {
            codiceEsito: '100',
            descrizioneEsito: 'Servizio temporaneamente non disponibile: riprovare più tardi',
          },
        });
    }
    expect(
      receipts.filter((r) => r.outcome === 'FAULT').length + creates.filter((cr) => cr.status === 503).length,
    ).toBeGreaterThan(0);

    // every receipt answered OK is stored exactly once and paid its position; a faulted one is whole or absent
    const stored = await onTestDb<{ receipt_id: string; n: number }>(
      `select receipt_id, count(*)::int as n from receipt where receipt_id like 'drop-%' group by receipt_id`,
    );
    const countOf = new Map(stored.map((s) => [s.receipt_id, s.n]));
    const state = await onTestDb<{ iuv: string; status: string; paid_history: number }>(
      `select p.iuv, p.status, (select count(*)::int from debt_position_status_history h where h.position_id = p.id and h.to_status = 'PAID') as paid_history
         from debt_position p where p.id_posizione_debitoria like 'OUT-%'`,
    );
    const stateOf = new Map(state.map((s) => [s.iuv, s]));
    for (const r of receipts) {
      const n = countOf.get(r.id) ?? 0;
      const s = stateOf.get(r.p.iuv)!;
      if (r.outcome === 'OK')
        expect({ id: r.id, n, status: s.status, history: s.paid_history }).toEqual({
          id: r.id,
          n: 1,
          status: 'PAID',
          history: 1,
        });
      else if (n === 0)
        expect({ id: r.id, status: s.status, history: s.paid_history }).toEqual({
          id: r.id,
          status: 'PAYABLE',
          history: 0,
        });
      // committed, but the answer was lost with the connection: the node's retry gets PAA_RECEIPT_DUPLICATA
      else
        expect({ id: r.id, n, status: s.status, history: s.paid_history }).toEqual({
          id: r.id,
          n: 1,
          status: 'PAID',
          history: 1,
        });
    }

    // and afterwards the pool has replaced its connections: everything works
    const after = await createPosition(k++);
    expect(after.statusCode).toBe(201);
    // a receipt refused during the outage is accepted when pagoPA sends it again; and a new one goes through
    const retry = receipts.find((r) => r.outcome === 'FAULT' && !countOf.get(r.id));
    if (retry)
      expect((await sendReceipt(receiptFor(retry.p, retry.id))).body).toContain('<outcome>OK</outcome>');
    const fresh = await payable();
    expect((await sendReceipt(receiptFor(fresh, `drop-after-${k}`))).body).toContain('<outcome>OK</outcome>');
    expect(c.db.connections!.lost).toBeGreaterThan(0);
  }, 60_000);

  it('while the server is unreachable: /health/ready is 503 with a reason, every edge answers its clean "unavailable" within the connect timeout; all recover', async () => {
    await proxy.down();
    try {
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'unavailable', reason: 'database unavailable' });

      const p = { iuv: '000000000000001', noticeNumber: '001000000000000001' };
      const soap = await sendReceipt(receiptFor(p, 'unreachable-1'));
      expect(soap.statusCode).toBe(200);
      expect(soap.body).toContain('<faultCode>PAA_SYSTEM_ERROR</faultCode>');

      const status = await app.inject({
        method: 'GET',
        url: `${EPAY}/000000000000001/status`,
        headers: epayAuth,
      });
      expect(status.statusCode).toBe(503);
      expect(status.json()).toEqual({
        code: '100',
        description: 'Servizio temporaneamente non disponibile: riprovare più tardi',
      });

      const adm = await app.inject({
        method: 'GET',
        url: '/admin/api/v1/enti',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(adm.statusCode).toBe(503);
      expect(adm.headers['content-type']).toContain('application/problem+json');
      expect(adm.json()).toMatchObject({ status: 503, title: 'DATABASE_UNAVAILABLE' });

      const portal = await app.inject({
        method: 'POST',
        url: '/epayweb/accessoLibero/pagaConIuv/accessoChiamanteEsterno',
        payload: 'codiceChiamante=AP_01&iuv=1&digest=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(portal.statusCode).toBe(503);
      expect(portal.headers['content-type']).toContain('text/html');

      // a server that accepts and never answers (dead route): the answer still comes, within the connect timeout
      await proxy.blackhole();
      const hung = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(hung.statusCode).toBe(503);
      // it comes at all (the pool's connect timeout ends the wait, the test's timeout would catch a hang)
      expect(hung.json()).toMatchObject({ reason: 'database unavailable' });
    } finally {
      await proxy.up();
    }
    const back = await until(
      async () =>
        (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200 ? true : undefined,
      'ready again',
      10_000,
    );
    expect(back).toBe(true);
    // an unknown IUV: the service answered from the database again (404 with PiemontePAY's code), not 503
    expect(
      (await app.inject({ method: 'GET', url: `${EPAY}/000000000000001/status`, headers: epayAuth }))
        .statusCode,
    ).toBe(404);
  }, 30_000);

  it('the worker outlives an outage: its loops back off (a few log lines, not several a second) and resume, pg-boss processes jobs again', async () => {
    worker = await startWorker(c, { pollingIntervalSeconds: 0.5 });
    const fx = await createEnteWithCaller(c, { cf: '15376371009', caller: 'GEST_OUT' });
    await new Promise((r) => setTimeout(r, 500));
    // the server goes away for 3 seconds, with a few terminations first (connections in use by the loops)
    await terminateBackends();
    const from = Date.now();
    await proxy.down();
    await new Promise((r) => setTimeout(r, 3_000));
    await proxy.up();
    const to = Date.now();
    const during = logLines.filter((l) => l.time >= from && l.time <= to && l.level >= 40);
    // each loop says once that the database is gone (OutageBackoff), not at every attempt: no message repeats per loop
    const pauses = during.filter((l) => /database unavailable: pausing/.test(l.msg)).map((l) => l.loop);
    expect(pauses.length, pauses.join(', ')).toBe(new Set(pauses).size);
    expect(during.filter((l) => /failed/.test(l.msg))).toEqual([]);

    // a list of carico goes through the lists runner, and its outcome message through the deliveries sender
    const idMessaggio = `OUT${Date.now()}`;
    const res = await app.inject({
      method: 'POST',
      url: '/soap/Enti2EPaywsoService',
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: '"http://www.csi.it/epay/epaywso/service/InserisciListaDiCarico"',
        authorization: basic(fx.caller, fx.passphrase),
      },
      payload: insertListXml({
        idMessaggio,
        cf: fx.cf,
        code: fx.code,
        positions: [{ id: `LST-${Date.now()}`, amount: '10.00' }],
      }),
    });
    expect(res.statusCode).toBe(200);
    await until(
      async () =>
        (
          await onTestDb<{ status: string }>(
            `select status from load_list where id_messaggio = $1 and status <> 'DA_ELABORARE'`,
            [idMessaggio],
          )
        )[0],
      'the list processed',
      15_000,
    );
    await until(
      async () =>
        (
          await onTestDb(
            `select 1 from outbound_message where operation = 'EsitoInserimentoListaDiCarico' and attempts > 0`,
          )
        )[0],
      'its outcome attempted',
      15_000,
    );
    // pg-boss: a job sent after the outage is processed
    const jobId = await worker.boss.send(JOBS.housekeeping, {});
    expect(jobId).toBeTruthy();
    await until(
      async () =>
        (await onTestDb(`select 1 from pgboss.job where id = $1 and state = 'completed'`, [jobId]))[0],
      'the job completed',
      20_000,
    );
    expect(logLines.some((l) => l.msg === 'database available again: resumed')).toBe(true);
  }, 60_000);
});
