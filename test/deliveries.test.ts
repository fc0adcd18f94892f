/**
 * Outbound deliveries to a gestionale's EPaywso2EntiService, against a real HTTP listener playing the
 * gestionale: delivered once, retried with the same IdMessaggio while the gestionale is down, FAILING but
 * still retried, replayable from the admin API, and a hanging gestionale does not stall another's deliveries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ADMIN_TOKEN, buildTestApp, type TestApp } from './helpers/app.js';
import { createEnteWithCaller } from './helpers/fixtures.js';
import { startGestionale, until, type Gestionale } from './deliveries-gestionale.js';
import { enqueueDelivery } from '../src/modules/gestionali/application/deliveries.js';
import { retryDelayMs } from '../src/modules/gestionali/domain/deliveries.js';
import { newIdMessaggio } from '../src/modules/gestionali/domain/notifications.js';
import { trasmettiAvvisiScaduti } from '../src/modules/gestionali/infra/piemontepay-xml/notification-writer.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Party {
  cf: string;
  code: string;
  caller: string;
  enteId: number;
  paymentTypeId: number;
  applicationId: number;
}

async function gestionaleFor(
  t: TestApp,
  g: Gestionale,
  opts: { cf: string; seg: string; caller: string },
): Promise<Party> {
  const { cf, code, caller } = await createEnteWithCaller(t.c, opts);
  await t.c.applications.update(caller, {
    endpoints: [
      { kind: 'TRASMETTI_AVVISI_SCADUTI', url: g.url, username: `${caller}-user`, password: 's3gr3to' },
    ],
  });
  const { enteId, paymentTypeId } = await t.c.organizations.resolveIds(cf, code);
  const [app] = await t.c.db.rows<{ id: number }>(
    sql`select id::int as id from application where codice_chiamante = ${caller}`,
  );
  return { cf, code, caller, enteId, paymentTypeId, applicationId: app!.id };
}

/** A valid TrasmettiAvvisiScaduti message for the party (any operation would do: the sender does not look inside). */
async function enqueue(t: TestApp, p: Party, iuv = '01000000000000123'): Promise<string> {
  const idMessaggio = newIdMessaggio('AS');
  const bodyXml = trasmettiAvvisiScaduti({ idMessaggio, enteFiscalCode: p.cf, codiceVersamento: p.code }, [
    { iuv, dueDate: '2025-01-31', amountCents: 1234 },
  ]);
  await t.c.db.transaction((tx) =>
    enqueueDelivery(tx, {
      enteId: p.enteId,
      paymentTypeId: p.paymentTypeId,
      kind: 'TRASMETTI_AVVISI_SCADUTI',
      applicationId: p.applicationId,
      operation: 'TrasmettiAvvisiScaduti',
      idMessaggio,
      bodyXml,
    }),
  );
  return idMessaggio;
}

async function message(t: TestApp, idMessaggio: string) {
  const [m] = await t.c.db.rows<{
    id: number;
    status: string;
    attempts: number;
    lastError: string | null;
    lastHttpStatus: number | null;
  }>(sql`
    select id::int as id, status, attempts, last_error as "lastError", last_http_status as "lastHttpStatus" from outbound_message where id_messaggio = ${idMessaggio}`);
  return m!;
}

describe('retry policy', () => {
  it('grows exponentially up to the cap, with jitter within [delay/2, delay]', () => {
    const policy = { baseMs: 1000, capMs: 60_000, failingAfter: 5 };
    const low = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(n, policy, () => 0));
    const high = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(n, policy, () => 1));
    expect(high).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(low).toEqual(high.map((h) => h / 2));
    expect(retryDelayMs(1000, policy, () => 1)).toBe(60000);
  });
});

describe('deliveries to a gestionale that answers, fails, comes back', () => {
  let t: TestApp;
  let g: Gestionale;
  let p: Party;

  beforeAll(async () => {
    t = await buildTestApp({
      env: {
        CASSA_DELIVERY_TIMEOUT_MS: '2000',
        CASSA_DELIVERY_RETRY_BASE_MS: '40',
        CASSA_DELIVERY_RETRY_CAP_MS: '150',
        CASSA_DELIVERY_FAILING_AFTER: '3',
        CASSA_DELIVERY_POLL_MS: '20',
      },
    });
    g = await startGestionale();
    p = await gestionaleFor(t, g, { cf: '15376371009', seg: '02', caller: 'GEST_A' });
    t.c.loops.deliveries.start();
  });
  afterAll(async () => {
    await t.c.loops.deliveries.stop();
    await g.close();
    await t.close();
  });

  it('delivers a message once, with Basic credentials and the operation SOAPAction, and journals the call', async () => {
    g.mode = { kind: 'ok' };
    const id = await enqueue(t, p);
    await until(async () => (await message(t, id)).status === 'DELIVERED', 10_000, 'delivery');
    expect(g.arrivals.get(id)).toBe(1);
    const r = g.applied.get(id)!;
    expect(r.operation).toBe('TrasmettiAvvisiScaduti');
    expect(r.authorization).toBe(`Basic ${Buffer.from('GEST_A-user:s3gr3to').toString('base64')}`);
    expect(r.body.CorpoAvvisiScaduti.ElencoAvvisiScaduti.AvvisoScaduto[0]).toMatchObject({
      IUV: '01000000000000123',
      Importo: '12.34',
    });
    expect(await message(t, id)).toMatchObject({ attempts: 1, lastError: null, lastHttpStatus: 200 });
    await t.c.audit.flush();
    const journal = await t.c.db.rows<{ outcome: string; ente: string; direction: string }>(sql`
      select outcome, ente_fiscal_code as ente, direction from audit_event where interface = 'EPaywso2EntiService' and correlation_id = ${id}`);
    expect(journal).toEqual([{ outcome: 'OK', ente: p.cf, direction: 'OUT' }]);
    expect(g.invalid).toEqual([]);
  });

  it('keeps retrying with the same IdMessaggio while the gestionale is down, shows the last error, and delivers each message once it is back', async () => {
    g.mode = { kind: 'http', status: 500 };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await enqueue(t, p, `0100000000000${1000 + i}`));
    // each was tried (same IdMessaggio) at least 4 times: FAILING after 3, still retried at the cap
    await until(() => ids.every((id) => (g.arrivals.get(id) ?? 0) >= 4), 20_000, 'retries');
    for (const id of ids) {
      const m = await message(t, id);
      expect(m.attempts).toBeGreaterThanOrEqual(3);
      expect(m.lastError).toMatch(/^HTTP 500/);
      expect(m.lastHttpStatus).toBe(500);
      expect(['FAILING', 'SENDING']).toContain(m.status);
      expect(g.applied.has(id)).toBe(false);
    }
    const failing = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/deliveries?status=FAILING&ente=${p.cf}`,
      headers: auth,
    });
    expect(failing.statusCode).toBe(200);
    expect(failing.json().items.length).toBeGreaterThan(0);

    g.mode = { kind: 'ok' };
    await until(
      async () => {
        const rows = await Promise.all(ids.map((id) => message(t, id)));
        return rows.every((m) => m.status === 'DELIVERED');
      },
      20_000,
      'deliveries after the gestionale is back',
    );
    for (const id of ids) expect(g.applied.get(id)?.idMessaggio).toBe(id);
    // applied once each, though received several times
    expect([...g.applied.keys()].filter((k) => ids.includes(k))).toHaveLength(5);
    const delivered = await t.c.db.rows<{ n: number }>(
      sql`select count(*)::int as n from outbound_message where status = 'DELIVERED' and id_messaggio in ${sql.raw(`('${ids.join("','")}')`)}`,
    );
    expect(delivered[0]!.n).toBe(5);
    expect(g.invalid).toEqual([]);
  });

  it('treats a Result code other than 000 as not delivered, and a "duplicate IdMessaggio" answer as delivered', async () => {
    g.mode = { kind: 'code', codice: '200' };
    const id = await enqueue(t, p, '01000000000009999');
    await until(
      async () => (await message(t, id)).attempts >= 1 && (await message(t, id)).status !== 'SENDING',
      10_000,
      'refused attempt',
    );
    expect((await message(t, id)).lastError).toBe('Result 200: errore di prova');
    g.mode = { kind: 'code', codice: '150' };
    await until(async () => (await message(t, id)).status === 'DELIVERED', 10_000, 'delivery on 150');
  });
});

describe('a hanging gestionale and replays', () => {
  let t: TestApp;
  let hanging: Gestionale;
  let healthy: Gestionale;
  let a: Party;
  let b: Party;

  beforeAll(async () => {
    t = await buildTestApp({
      env: {
        CASSA_DELIVERY_TIMEOUT_MS: '8000',
        CASSA_DELIVERY_CONCURRENCY: '4',
        CASSA_DELIVERY_PER_ENDPOINT: '2',
        CASSA_DELIVERY_RETRY_BASE_MS: '60000',
        CASSA_DELIVERY_RETRY_CAP_MS: '60000',
        CASSA_DELIVERY_FAILING_AFTER: '1',
        CASSA_DELIVERY_POLL_MS: '20',
      },
    });
    hanging = await startGestionale();
    healthy = await startGestionale();
    a = await gestionaleFor(t, hanging, { cf: '15376371009', seg: '02', caller: 'GEST_HANG' });
    b = await gestionaleFor(t, healthy, { cf: '80087670016', seg: '03', caller: 'GEST_OK' });
  });
  afterAll(async () => {
    await hanging.close();
    await t.c.loops.deliveries.stop();
    await healthy.close();
    await t.close();
  });

  it("delivers another gestionale's messages while one hangs, holding at most the per-endpoint limit of connections to it", async () => {
    hanging.mode = { kind: 'hang' };
    const stuck: string[] = [];
    for (let i = 0; i < 6; i++) stuck.push(await enqueue(t, a, `0200000000000${1000 + i}`));
    const flowing: string[] = [];
    for (let i = 0; i < 5; i++) flowing.push(await enqueue(t, b, `0300000000000${1000 + i}`));
    t.c.loops.deliveries.start();
    await until(
      () => flowing.every((id) => healthy.applied.has(id)),
      6_000,
      "the healthy gestionale's deliveries",
    );
    // the hanging gestionale has not answered anything yet (its timeout is 8 s), and holds 2 connections at most
    const attemptsOnHanging = await t.c.db.rows<{ n: number }>(sql`
      select count(*)::int as n from outbound_attempt at join outbound_message m on m.id = at.message_id where m.application_id = ${a.applicationId}`);
    expect(attemptsOnHanging[0]!.n).toBe(0);
    expect(hanging.requests.length).toBe(2);
    expect(healthy.invalid).toEqual([]);
  });

  it('replays a failing delivery from the admin API, with the same IdMessaggio', async () => {
    healthy.mode = { kind: 'http', status: 503 };
    const id = await enqueue(t, b, '03000000000077777');
    await until(async () => (await message(t, id)).status === 'FAILING', 10_000, 'FAILING after one attempt');
    const m = await message(t, id);
    const detail = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/deliveries/${m.id}`,
      headers: auth,
    });
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      idMessaggio: id,
      status: 'FAILING',
      attempts: 1,
      lastError: expect.stringMatching(/^HTTP 503/),
      lastHttpStatus: 503,
    });
    expect(detail.json().attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, httpStatus: 503, outcome: 'HTTP_ERROR' }),
    ]);
    expect(detail.json().bodyXml).toContain(id);

    healthy.mode = { kind: 'ok' };
    // the next attempt is a minute away: only the replay sends it now
    const replay = await t.app.inject({
      method: 'POST',
      url: `/admin/api/v1/deliveries/${m.id}/replay`,
      headers: auth,
    });
    expect(replay.statusCode).toBe(202);
    await until(async () => (await message(t, id)).status === 'DELIVERED', 5_000, 'replayed delivery');
    expect(healthy.arrivals.get(id)).toBe(2);
    expect(healthy.applied.get(id)?.idMessaggio).toBe(id);

    const unknown = await t.app.inject({
      method: 'GET',
      url: '/admin/api/v1/deliveries/999999',
      headers: auth,
    });
    expect(unknown.statusCode).toBe(404);
    const list = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/deliveries?operation=TrasmettiAvvisiScaduti&limit=2`,
      headers: auth,
    });
    expect(list.json().items).toHaveLength(2);
    expect(list.json().nextBefore).toBe(list.json().items[1].id);
  });
});
