/**
 * Prometheus metrics (docs/operations.md "Metrics"): /metrics behind the admin token on the web server and
 * without it on the separate listener (CASSA_METRICS_PORT); requests, receipts, deliveries, lists counted;
 * a database that does not answer is `cassa_database_up 0`, never a failed scrape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { boundedLabel, Metrics } from '../src/app/metrics.js';
import type { Database } from '../src/db/database.js';
import { startMetricsListener } from '../src/http/metrics.js';
import { AuditJournal } from '../src/modules/audit/application/audit-journal.js';
import { enqueueDelivery } from '../src/modules/gestionali/application/deliveries.js';
import { newIdMessaggio } from '../src/modules/gestionali/domain/notifications.js';
import { trasmettiAvvisiScaduti } from '../src/modules/gestionali/infra/piemontepay-xml/notification-writer.js';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';
import { createEnteWithCaller } from './helpers/fixtures.js';
import { startGestionale, type Gestionale } from './helpers/gestionale.js';
import { until } from './helpers/until.js';
import { insertListXml } from './helpers/lists.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads the Prometheus text format (0.0.4): every sample with its labels; comment lines must be HELP or TYPE. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      expect(line).toMatch(/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, line).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const l of (m![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    samples.push({ name: m![1]!, labels, value: Number(m![3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`; undefined when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return hits.length === 0 ? undefined : hits.reduce((a, s) => a + s.value, 0);
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let t: TestApp;

async function scrape(): Promise<Sample[]> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(res.body);
}

beforeAll(async () => {
  t = await buildTestApp({
    env: {
      CASSA_METRICS_PORT: '0',
      CASSA_DELIVERY_TIMEOUT_MS: '2000',
      CASSA_DELIVERY_RETRY_BASE_MS: '60000',
      CASSA_DELIVERY_RETRY_CAP_MS: '60000',
      CASSA_DELIVERY_FAILING_AFTER: '1',
      CASSA_DELIVERY_POLL_MS: '20',
    },
  });
  await seedDemo(t.c);
});
afterAll(async () => {
  await t?.close();
});

describe('GET /metrics on the web server', () => {
  it('wants the admin token: none or a wrong one is 401 with a Bearer challenge', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="cassa-admin"');
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    const wrong = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}x` },
    });
    expect(wrong.statusCode).toBe(401);
    const basicAuth = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: basic('admin', ADMIN_TOKEN) },
    });
    expect(basicAuth.statusCode).toBe(401);
    expect(none.body).not.toContain('cassa_');
  });

  it('answers the Prometheus text format: cassa_info, the database up, process metrics, pool figures on PostgreSQL', async () => {
    const s = await scrape();
    const info = s.find((x) => x.name === 'cassa_info')!;
    expect(info.value).toBe(1);
    expect(info.labels).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      role: 'web',
      database: t.c.db.kind,
    });
    expect(value(s, 'cassa_database_up')).toBe(1);
    expect(value(s, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(value(s, 'nodejs_eventloop_lag_seconds')).toBeDefined();
    if (t.c.db.kind === 'postgres') {
      expect(value(s, 'cassa_database_pool_clients')).toBeGreaterThanOrEqual(1);
      expect(value(s, 'cassa_database_pool_waiting_requests')).toBeDefined();
      expect(value(s, 'cassa_database_pool_idle_clients')).toBeDefined();
      expect(value(s, 'cassa_database_connection_errors_total')).toBe(0);
    } else {
      expect(value(s, 'cassa_database_pool_clients')).toBeUndefined();
    }
    // every database gauge is there, at 0, for every known label value
    expect(
      value(s, 'cassa_deliveries', { status: 'FAILING', operation: 'TrasmettiNotifichePagamento' }),
    ).toBe(0);
    // (the demo data's paid position has a payment notification waiting for an endpoint)
    expect(value(s, 'cassa_notifications_pending', { kind: 'PAYMENT' })).toBe(1);
    expect(value(s, 'cassa_notifications_pending', { kind: 'EXPIRED' })).toBe(0);
    expect(value(s, 'cassa_notifications_failed', { kind: 'EXPIRED' })).toBe(0);
    expect(value(s, 'cassa_lists_failed', { kind: 'INSERIMENTO' })).toBe(0);
    expect(value(s, 'cassa_receipts_with_anomaly', { anomaly: 'DOUBLE_PAYMENT' })).toBe(0);
  });

  it('counts and times an epayapi call under its interface, operation and outcome', async () => {
    const labels = { interface: 'epayapi', operation: 'getDebtPositionStatus' };
    const before = await scrape();
    const res = await t.app.inject({
      method: 'GET',
      url: `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions/${DEMO.payable.iuv}/status`,
      headers: { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) },
    });
    expect(res.statusCode).toBe(200);
    await t.c.audit.flush();
    const [journaled] = await t.c.db.rows<{ outcome: string }>(sql`
      select outcome from audit_event where interface = 'epayapi' and operation = 'getDebtPositionStatus' order by id desc limit 1`);
    const after = await scrape();
    const outcome = { ...labels, outcome: journaled!.outcome };
    expect(
      (value(after, 'cassa_requests_total', outcome) ?? 0) -
        (value(before, 'cassa_requests_total', outcome) ?? 0),
    ).toBe(1);
    expect(
      (value(after, 'cassa_request_duration_seconds_count', labels) ?? 0) -
        (value(before, 'cassa_request_duration_seconds_count', labels) ?? 0),
    ).toBe(1);
    expect(value(after, 'cassa_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(
      value(after, 'cassa_request_duration_seconds_count', labels),
    );
    // no IUV, fiscal code or caller in any label
    for (const x of after)
      for (const v of Object.values(x.labels))
        expect(v).not.toMatch(new RegExp(`${DEMO.payable.iuv}|${DEMO.ente}|${DEMO.codiceChiamante}`));
  });

  it('counts a refused admin call under its protocol outcome, and routes without a journal under interface "other"', async () => {
    await t.app.inject({ method: 'GET', url: '/admin/api/v1/enti' });
    await t.app.inject({ method: 'GET', url: '/no/such/route/190280072147087' });
    const s = await scrape();
    expect(
      value(s, 'cassa_requests_total', {
        interface: 'admin',
        operation: 'GET /enti',
        outcome: 'UNAUTHORIZED',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(s, 'cassa_requests_total', { interface: 'other', operation: 'unmatched', outcome: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(s, 'cassa_requests_total', { interface: 'other', operation: 'GET /metrics', outcome: '401' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('receipts', () => {
  const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
  const PAFN = 'http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd';
  // aux digit 0, application code 01, the IUV (README: pay the demo notice 001190280072147087)
  const notice = `001${DEMO.payable.iuv}`;

  async function paSendRTV2(receiptId: string) {
    const receipt =
      `<idPA>${DEMO.ente}</idPA><idBrokerPA>${DEMO.idBrokerPA}</idBrokerPA><idStation>${DEMO.idStation}</idStation>` +
      `<receipt><receiptId>${receiptId}</receiptId><noticeNumber>${notice}</noticeNumber><fiscalCode>${DEMO.ente}</fiscalCode>` +
      `<outcome>OK</outcome><creditorReferenceId>${DEMO.payable.iuv}</creditorReferenceId><paymentAmount>100.00</paymentAmount>` +
      `<description>Quota</description><companyName>Comune di Alessandria</companyName>` +
      `<debtor><uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType><entityUniqueIdentifierValue>TSTPNI70D01L219V</entityUniqueIdentifierValue></uniqueIdentifier><fullName>Pino Test</fullName></debtor>` +
      `<transferList><transfer><idTransfer>1</idTransfer><transferAmount>100.00</transferAmount><fiscalCodePA>${DEMO.ente}</fiscalCodePA>` +
      `<IBAN>IT60X0542811101000000123456</IBAN><remittanceInformation>Quota</remittanceInformation><transferCategory>9/0201133IM/</transferCategory></transfer></transferList>` +
      `<idPSP>BCITITMM</idPSP><pspFiscalCode>00799960158</pspFiscalCode><PSPCompanyName>Banca di prova</PSPCompanyName>` +
      `<idChannel>00799960158_01</idChannel><channelDescription>app</channelDescription><paymentMethod>creditCard</paymentMethod>` +
      `<paymentNote>cart-123</paymentNote><fee>1.50</fee><paymentDateTime>2026-03-02T10:15:00</paymentDateTime><applicationDate>2026-03-02</applicationDate>` +
      `<transferDate>2026-03-03</transferDate></receipt>`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/soap/paForNode',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"paSendRTV2"' },
      payload: `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11}" xmlns:pafn="${PAFN}"><soapenv:Header/><soapenv:Body><pafn:paSendRTV2Request>${receipt}</pafn:paSendRTV2Request></soapenv:Body></soapenv:Envelope>`,
    });
    expect(res.statusCode).toBe(200);
    return res.body;
  }

  it('counts a paSendRTV2 receipt stored, then a second one for the same notice as a DOUBLE_PAYMENT anomaly; a duplicate is not counted', async () => {
    const stored = (s: Sample[], labels: Record<string, string> = {}) =>
      value(s, 'cassa_receipts_stored_total', { primitive: 'paSendRTV2', outcome: 'OK', ...labels }) ?? 0;
    const s0 = await scrape();
    expect(await paSendRTV2('rt-metrics-1')).toMatch(/<outcome>OK<\/outcome>/);
    const s1 = await scrape();
    expect(stored(s1) - stored(s0)).toBe(1);
    expect(stored(s1, { anomaly: 'none' }) - stored(s0, { anomaly: 'none' })).toBe(1);
    expect(
      value(s1, 'cassa_requests_total', { interface: 'paForNode', outcome: 'OK' }),
    ).toBeGreaterThanOrEqual(1);

    expect(await paSendRTV2('rt-metrics-2')).toMatch(/<outcome>OK<\/outcome>/);
    const s2 = await scrape();
    expect(stored(s2, { anomaly: 'DOUBLE_PAYMENT' }) - stored(s1, { anomaly: 'DOUBLE_PAYMENT' })).toBe(1);
    expect(value(s2, 'cassa_receipts_with_anomaly', { anomaly: 'DOUBLE_PAYMENT' })).toBe(1);

    // resent: PAA_RECEIPT_DUPLICATA, nothing stored, nothing counted
    expect(await paSendRTV2('rt-metrics-2')).toContain('PAA_RECEIPT_DUPLICATA');
    const s3 = await scrape();
    expect(stored(s3)).toBe(stored(s2));
    expect(
      value(s3, 'cassa_requests_total', { interface: 'paForNode', outcome: 'PAA_RECEIPT_DUPLICATA' }),
    ).toBe(1);
  });
});

describe('deliveries and lists, read from the database at scrape time', () => {
  let g: Gestionale;
  let party: Awaited<ReturnType<typeof createEnteWithCaller>>;

  beforeAll(async () => {
    g = await startGestionale();
    party = await createEnteWithCaller(t.c, { cf: '15376371009', seg: '02', caller: 'GEST_METRICS' });
    await t.c.applications.update(party.caller, {
      endpoints: [{ kind: 'TRASMETTI_AVVISI_SCADUTI', url: g.url, username: 'u', password: 'p' }],
    });
  });
  afterAll(async () => {
    await t.c.loops.deliveries.stop();
    await g.close();
  });

  it('shows a FAILING delivery in cassa_deliveries and the age of the oldest undelivered message', async () => {
    g.mode = { kind: 'http', status: 503 };
    const { enteId, paymentTypeId } = await t.c.organizations.resolveIds(party.cf, party.code);
    const [app] = await t.c.db.rows<{ id: number }>(
      sql`select id::int as id from application where codice_chiamante = ${party.caller}`,
    );
    const idMessaggio = newIdMessaggio('AS');
    const bodyXml = trasmettiAvvisiScaduti(
      { idMessaggio, enteFiscalCode: party.cf, codiceVersamento: party.code },
      [{ iuv: '01000000000000123', dueDate: '2025-01-31', amountCents: 1234 }],
    );
    await t.c.db.transaction((tx) =>
      enqueueDelivery(tx, {
        enteId,
        paymentTypeId,
        kind: 'TRASMETTI_AVVISI_SCADUTI',
        applicationId: app!.id,
        operation: 'TrasmettiAvvisiScaduti',
        idMessaggio,
        bodyXml,
      }),
    );
    const pending = await scrape();
    expect(
      value(pending, 'cassa_deliveries', { status: 'PENDING', operation: 'TrasmettiAvvisiScaduti' }),
    ).toBe(1);
    t.c.loops.deliveries.start();
    await until(
      async () => {
        const [m] = await t.c.db.rows<{ status: string }>(
          sql`select status from outbound_message where id_messaggio = ${idMessaggio}`,
        );
        return m?.status === 'FAILING';
      },
      'FAILING after one attempt',
      10_000,
    );
    await new Promise((r) => setTimeout(r, 20));
    const s = await scrape();
    expect(value(s, 'cassa_deliveries', { status: 'FAILING', operation: 'TrasmettiAvvisiScaduti' })).toBe(1);
    expect(value(s, 'cassa_deliveries', { status: 'PENDING' })).toBe(0);
    expect(
      value(s, 'cassa_deliveries_oldest_age_seconds', { operation: 'TrasmettiAvvisiScaduti' }),
    ).toBeGreaterThan(0);
    expect(value(s, 'cassa_deliveries_oldest_age_seconds', { operation: 'TrasmettiRT' })).toBe(0);
  });

  it('counts a stored lista di carico in the backlog, with its age', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/soap/Enti2EPaywsoService',
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: '"http://www.csi.it/epay/epaywso/service/InserisciListaDiCarico"',
        authorization: basic(party.caller, party.passphrase),
      },
      payload: insertListXml({
        idMessaggio: 'L-METRICS-1',
        cf: party.cf,
        code: party.code,
        positions: [{ id: 'M-1', amount: '10.00' }],
      }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<cmn:Codice>000</cmn:Codice>');
    const s = await scrape();
    expect(value(s, 'cassa_lists_pending', { kind: 'INSERIMENTO' })).toBe(1);
    expect(value(s, 'cassa_lists_pending', { kind: 'AGGIORNAMENTO' })).toBe(0);
    expect(value(s, 'cassa_lists_pending_oldest_age_seconds', { kind: 'INSERIMENTO' })).toBeDefined();
    expect(value(s, 'cassa_lists_failed', { kind: 'INSERIMENTO' })).toBe(0);
  });
});

describe('the separate metrics listener (CASSA_METRICS_PORT)', () => {
  it('serves /metrics without a token, and nothing else', async () => {
    expect(t.c.config.metrics).toEqual({ host: '127.0.0.1', port: 0 });
    const listener = await startMetricsListener(t.c);
    try {
      expect(listener.port).toBeGreaterThan(0);
      const res = await fetch(`${listener.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const s = parse(await res.text());
      expect(value(s, 'cassa_database_up')).toBe(1);
      expect(value(s, 'cassa_info')).toBe(1);
      expect((await fetch(`${listener.url}/admin/api/v1/enti`)).status).toBe(404);
      expect((await fetch(`${listener.url}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await listener.close();
    }
  });
});

describe('Metrics on their own', () => {
  const fakeDb = (executeSql: () => Promise<{ rows: any[] }>) =>
    ({ kind: 'postgres', executeSql }) as unknown as Database;

  it('reports cassa_database_up 0, and no database figures, when the database fails or does not answer in time', async () => {
    const failing = new Metrics(
      fakeDb(() => Promise.reject(new Error('connection refused'))),
      { processMetrics: false },
    );
    let s = parse(await failing.text());
    expect(value(s, 'cassa_database_up')).toBe(0);
    expect(value(s, 'cassa_deliveries')).toBeUndefined();
    expect(value(s, 'cassa_info', { role: 'none', database: 'postgres' })).toBe(1);

    const hanging = new Metrics(
      fakeDb(() => new Promise(() => undefined)),
      { processMetrics: false, queryTimeoutMs: 50 },
    );
    s = parse(await hanging.text());
    expect(value(s, 'cassa_database_up')).toBe(0);
    // the query that never came back is not sent again
    s = parse(await hanging.text());
    expect(value(s, 'cassa_database_up')).toBe(0);
  });

  it('queries the database once per scrape', async () => {
    let queries = 0;
    const m = new Metrics(
      fakeDb(() => {
        queries++;
        return Promise.resolve({
          rows: [
            {
              snapshot: JSON.stringify({
                deliveries: [],
                notifications: [],
                notificationsFailed: [],
                lists: [],
                anomalies: [],
                printJobs: { queued: 0, running: 0 },
              }),
            },
          ],
        });
      }),
      { processMetrics: false },
    );
    m.markRole('worker');
    await Promise.all([m.text(), m.text()]);
    expect(queries).toBe(1);
    const s = parse(await m.text());
    expect(queries).toBe(2);
    expect(value(s, 'cassa_info', { role: 'worker' })).toBe(1);
    m.markRole('web');
    expect(value(parse(await m.text()), 'cassa_info', { role: 'all' })).toBe(1);
  });

  it('bounds label values: anything a caller could make up is "other"', async () => {
    expect(boundedLabel('PAA_RECEIPT_DUPLICATA')).toBe('PAA_RECEIPT_DUPLICATA');
    expect(boundedLabel('000')).toBe('000');
    expect(boundedLabel('a b')).toBe('other');
    expect(boundedLabel('x'.repeat(41))).toBe('other');
    expect(boundedLabel(undefined)).toBe('other');
    const m = new Metrics(
      fakeDb(() => Promise.reject(new Error('no'))),
      { processMetrics: false },
    );
    for (let i = 0; i < 600; i++)
      m.observeRequest({
        interface: 'epayapi',
        operation: `op${i}`,
        outcome: 'weird outcome "x"',
        seconds: 0.01,
      });
    const s = parse(await m.text());
    expect(value(s, 'cassa_requests_total', { outcome: 'other' })).toBe(600);
    expect(value(s, 'cassa_requests_total', { operation: 'other' })).toBe(100);
    expect(
      new Set(s.filter((x) => x.name === 'cassa_requests_total').map((x) => x.labels.operation)).size,
    ).toBe(501);
  });

  it('counts the audit journal events given up', async () => {
    const m = new Metrics(
      fakeDb(() => Promise.reject(new Error('no'))),
      { processMetrics: false },
    );
    const db = {
      kind: 'pglite',
      run: () => Promise.reject(new Error('database down')),
    } as unknown as Database;
    const journal = new AuditJournal(db, {
      keepPayloads: false,
      payloadMaxBytes: 0,
      flushIntervalMs: 1,
      onWriteFailure: (n) => m.journalWriteFailed(n),
    });
    for (let i = 0; i < 3; i++)
      journal.record({
        at: new Date(),
        interface: 'test',
        direction: 'IN',
        operation: 'x',
        outcome: 'OK',
        durationMs: 1,
        correlationId: `c-${i}`,
      });
    await journal.flush();
    const s = parse(await m.text());
    expect(value(s, 'cassa_audit_journal_write_failures_total')).toBeGreaterThanOrEqual(1);
    expect(value(s, 'cassa_audit_journal_lost_events_total')).toBe(3);
  });
});
