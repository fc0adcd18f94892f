/**
 * Outbound deliveries to a gestionale's EPaywso2EntiService, against a real HTTP listener playing the
 * gestionale: delivered once, retried with the same IdMessaggio while the gestionale is down, FAILING but
 * still retried, replayable from the admin API, and a hanging gestionale does not stall another's deliveries
 * (candidates are chosen per endpoint). A body invalid against the XSD is refused at enqueue, the late answer of
 * an expired lease changes nothing, and no more than 1 MB of an answer is read.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ADMIN_TOKEN, buildTestApp, type TestApp } from './helpers/app.js';
import { createEnteWithCaller } from './helpers/fixtures.js';
import { startGestionale, type Gestionale } from './helpers/gestionale.js';
import { until } from './helpers/until.js';
import { enqueueDelivery } from '../src/modules/gestionali/application/deliveries.js';
import { claimDueMessages, recordAttempt } from '../src/modules/gestionali/infra/deliveries-repository.js';
import { newIdMessaggio } from '../src/modules/gestionali/domain/notifications.js';
import { trasmettiAvvisiScaduti } from '../src/modules/gestionali/infra/piemontepay-xml/notification-writer.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CMN = 'http://www.csi.it/epay/epaywso/types';

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
  g: { url: string },
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
    await until(async () => (await message(t, id)).status === 'DELIVERED', 'delivery', 10_000);
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
    await until(() => ids.every((id) => (g.arrivals.get(id) ?? 0) >= 4), 'retries', 20_000);
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
      'deliveries after the gestionale is back',
      20_000,
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
      'refused attempt',
      10_000,
    );
    expect((await message(t, id)).lastError).toBe('Result 200: errore di prova');
    g.mode = { kind: 'code', codice: '150' };
    await until(async () => (await message(t, id)).status === 'DELIVERED', 'delivery on 150', 10_000);
  });

  it('refuses loudly to enqueue a body that is not valid against EPaywso2EntiServiceTypes.xsd, storing nothing', async () => {
    const bad = `<ent:EsitoInserimentoListaDiCaricoRequest xmlns:ent="http://www.csi.it/epay/epaywso/epaywso2enti/types" xmlns:cmn="${CMN}"><cmn:Result><cmn:Codice>300</cmn:Codice></cmn:Result></ent:EsitoInserimentoListaDiCaricoRequest>`;
    await expect(
      t.c.db.transaction((tx) =>
        enqueueDelivery(tx, {
          enteId: p.enteId,
          paymentTypeId: p.paymentTypeId,
          kind: 'ESITO_INSERIMENTO_LISTA_DI_CARICO',
          applicationId: p.applicationId,
          operation: 'EsitoInserimentoListaDiCarico',
          idMessaggio: 'REV-INVALID',
          bodyXml: bad,
        }),
      ),
    ).rejects.toMatchObject({ code: 'DELIVERY_INVALID_BODY' });
    expect(
      (await t.c.db.executeSql('select id from outbound_message where id_messaggio = $1', ['REV-INVALID']))
        .rows,
    ).toEqual([]);
  });
});

/** Four attempts at once, at most two to one endpoint, retries a minute apart: one gestionale can hang. */
const TWO_PER_ENDPOINT = {
  CASSA_DELIVERY_TIMEOUT_MS: '8000',
  CASSA_DELIVERY_CONCURRENCY: '4',
  CASSA_DELIVERY_PER_ENDPOINT: '2',
  CASSA_DELIVERY_RETRY_BASE_MS: '60000',
  CASSA_DELIVERY_RETRY_CAP_MS: '60000',
  CASSA_DELIVERY_POLL_MS: '20',
};

describe('a hanging gestionale and replays', () => {
  let t: TestApp;
  let hanging: Gestionale;
  let healthy: Gestionale;
  let a: Party;
  let b: Party;

  beforeAll(async () => {
    t = await buildTestApp({ env: { ...TWO_PER_ENDPOINT, CASSA_DELIVERY_FAILING_AFTER: '1' } });
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
      "the healthy gestionale's deliveries",
      6_000,
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
    await until(async () => (await message(t, id)).status === 'FAILING', 'FAILING after one attempt', 10_000);
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
    await until(async () => (await message(t, id)).status === 'DELIVERED', 'replayed delivery', 5_000);
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

describe('claims per endpoint, expired leases, the size of the answer', () => {
  let t: TestApp;
  let hanging: Gestionale;
  let healthy: Gestionale;
  let big: Server;
  let bigUrl: string;

  beforeAll(async () => {
    t = await buildTestApp({ env: TWO_PER_ENDPOINT });
    hanging = await startGestionale();
    healthy = await startGestionale();
    // a "gestionale" that answers 2 MB
    big = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end('<x>' + 'a'.repeat(2 * 1024 * 1024) + '</x>');
      });
    });
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    bigUrl = `http://127.0.0.1:${(big.address() as { port: number }).port}/EPaywso2EntiService`;
  });
  afterAll(async () => {
    await hanging.close();
    await t.c.loops.deliveries.stop();
    await healthy.close();
    await new Promise((resolve) => big.close(resolve));
    await t.close();
  });

  it('does not read more than 1 MB of the answer', async () => {
    const p = await gestionaleFor(t, { url: bigUrl }, { cf: '00429440068', seg: '04', caller: 'REV_BIG' });
    const id = await enqueue(t, p, '04000000000001000');
    await t.c.deliverySender.sendDueOnce();
    const s = await message(t, id);
    expect(s.attempts).toBe(1);
    expect(s.status).not.toBe('DELIVERED');
    expect(s.lastError).toMatch(/larger than 1048576 bytes/);
  });

  it("does not let the late answer of an expired lease overwrite the newer claim's attempt", async () => {
    const p = await gestionaleFor(t, healthy, { cf: '01307110484', seg: '05', caller: 'REV_LEASE' });
    // only this message is due
    await t.c.db.executeSql(
      `update outbound_message set next_attempt_at = now() + interval '1 hour' where status <> 'DELIVERED'`,
      [],
    );
    const id = await enqueue(t, p, '05000000000001000');
    const [first] = await claimDueMessages(t.c.db, 10, 60_000, 2, [], () => 2);
    expect(first?.idMessaggio).toBe(id);
    // the lease ends (the worker is presumed dead) and another claim takes it
    await t.c.db.executeSql(
      `update outbound_message set next_attempt_at = now() - interval '1 second' where id_messaggio = $1`,
      [id],
    );
    const [second] = await claimDueMessages(t.c.db, 10, 60_000, 2, [], () => 2);
    expect(second?.id).toBe(first!.id);
    expect(second!.claimToken).not.toBe(first!.claimToken);
    const record = (claimToken: number, delivered: boolean) =>
      recordAttempt(t.c.db, {
        messageId: first!.id,
        claimToken,
        attempt: 1,
        startedAt: new Date(),
        durationMs: 1,
        endpointId: null,
        endpointUrl: healthy.url,
        httpStatus: delivered ? 200 : 500,
        resultCode: delivered ? '000' : null,
        delivered,
        outcome: delivered ? 'OK' : 'HTTP_ERROR',
        error: delivered ? null : 'HTTP 500',
        nextAttemptInMs: 60_000,
        nextStatus: 'PENDING',
      });
    // the newer attempt ends first (HTTP 500), then the old one's late answer arrives: it changes nothing
    await record(second!.claimToken, false);
    await record(first!.claimToken, true);
    expect(await message(t, id)).toMatchObject({ status: 'PENDING', lastError: 'HTTP 500' });
    const attempts = await t.c.db.rows<{ n: number }>(
      sql`select count(*)::int as n from outbound_attempt where message_id = ${first!.id}`,
    );
    expect(attempts[0]!.n).toBe(1);
  });

  it('chooses candidates per endpoint: many due messages to a hanging gestionale do not hide one to a healthy gestionale', async () => {
    const a = await gestionaleFor(t, hanging, { cf: '15376371009', seg: '02', caller: 'REV_HANG' });
    const b = await gestionaleFor(t, healthy, { cf: '80087670016', seg: '03', caller: 'REV_OK' });
    hanging.mode = { kind: 'hang' };
    const stuck: string[] = [];
    // older than the healthy one, and more than the claim's candidates (limit × 4 = 16)
    for (let i = 0; i < 40; i++) stuck.push(await enqueue(t, a, `020000000000${String(10000 + i)}`));
    const flowing = await enqueue(t, b, '03000000000001000');
    t.c.loops.deliveries.start();
    await until(
      async () => (await message(t, flowing)).status === 'DELIVERED',
      "the healthy gestionale's delivery",
      6_000,
    );
    expect(healthy.applied.has(flowing)).toBe(true);
    // the hanging gestionale has answered nothing yet: its messages are still waiting or being sent
    const states = await Promise.all(stuck.map((id) => message(t, id)));
    expect(states.every((s) => s.attempts === 0 && (s.status === 'PENDING' || s.status === 'SENDING'))).toBe(
      true,
    );
    expect(hanging.requests.length).toBeLessThanOrEqual(2);
  });

  it('gives ISO 8601 timestamps in the admin deliveries API', async () => {
    const list = await t.app.inject({
      method: 'GET',
      url: '/admin/api/v1/deliveries?limit=5',
      headers: auth,
    });
    expect(list.statusCode).toBe(200);
    const item = list.json().items[0];
    expect(item.createdAt).toMatch(ISO);
    expect(item.updatedAt).toMatch(ISO);
    expect(item.nextAttemptAt).toMatch(ISO);
    const detail = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/deliveries/${item.id}`,
      headers: auth,
    });
    for (const a of detail.json().attemptLog) expect(a.startedAt).toMatch(ISO);
  });
});
