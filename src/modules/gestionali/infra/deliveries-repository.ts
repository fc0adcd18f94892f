import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/database.js';
import { namedStatement } from '../../../db/database.js';
import type { DeliveryOperation, DeliveryStatus } from '../domain/deliveries.js';

/** The fields of an OutboundMessage the store needs (application/deliveries.ts declares the public type). */
export interface NewOutboundMessage {
  enteId: number;
  paymentTypeId: number | null;
  kind: string;
  applicationId: number | null;
  operation: DeliveryOperation;
  idMessaggio: string;
  bodyXml: string;
}

const rowsOf = <T>(res: unknown) => (res as { rows: T[] }).rows;

/**
 * Inserts the messages, one row per recipient application: the given one, or (applicationId null) every
 * active application authorised on the payment type (any payment type of the ente when that is null too)
 * that has an endpoint of the kind. The endpoint is resolved as the application's endpoint of that kind for
 * the payment type, falling back to its endpoint with no payment type.
 */
export async function insertOutboundMessages(
  tx: Executor,
  ms: readonly NewOutboundMessage[],
): Promise<number> {
  const res = await tx.execute(sql`
    insert into outbound_message (id_messaggio, operation, kind, ente_id, payment_type_id, application_id, endpoint_id, endpoint_url, body_xml)
    select m.id_messaggio, m.operation, m.kind, m.ente_id, m.payment_type_id, a.application_id, e.id, e.url, m.body_xml
      from jsonb_to_recordset(${JSON.stringify(
        ms.map((m) => ({
          id_messaggio: m.idMessaggio,
          operation: m.operation,
          kind: m.kind,
          ente_id: m.enteId,
          payment_type_id: m.paymentTypeId,
          application_id: m.applicationId,
          body_xml: m.bodyXml,
        })),
      )}::jsonb) as m(id_messaggio text, operation text, kind text, ente_id bigint, payment_type_id bigint, application_id bigint, body_xml text)
      cross join lateral (
        select m.application_id where m.application_id is not null
        union
        select apt.application_id
          from application_payment_type apt
          join payment_type pt on pt.id = apt.payment_type_id
          join application ap on ap.id = apt.application_id and ap.active
         where m.application_id is null
           and pt.ente_id = m.ente_id and (m.payment_type_id is null or apt.payment_type_id = m.payment_type_id)
           and exists (select 1 from application_endpoint ae where ae.application_id = apt.application_id and ae.kind = m.kind
                          and (ae.payment_type_id is null or ae.payment_type_id = apt.payment_type_id))
      ) a
      left join lateral (
        select ae.id, ae.url from application_endpoint ae
         where ae.application_id = a.application_id and ae.kind = m.kind
           and (ae.payment_type_id is null or ae.payment_type_id = m.payment_type_id)
         order by ae.payment_type_id nulls last limit 1
      ) e on true
    on conflict (application_id, operation, id_messaggio) do nothing`);
  return (
    (res as { rowCount?: number; affectedRows?: number }).rowCount ??
    (res as { affectedRows?: number }).affectedRows ??
    0
  );
}

/** A message claimed for one attempt. */
export interface ClaimedMessage {
  id: number;
  idMessaggio: string;
  operation: DeliveryOperation;
  kind: string;
  enteId: number;
  paymentTypeId: number | null;
  applicationId: number;
  endpointUrl: string | null;
  bodyXml: string;
  attempts: number;
  /** this claim's token: the attempt's record applies only while the message still carries it */
  claimToken: number;
  enteFiscalCode: string;
  codiceChiamante: string;
}

/**
 * Claims due messages for this worker: at most `limit`, at most `freeSlots(url)` per endpoint URL, oldest due
 * first. The candidates are chosen per endpoint in SQL: the URLs saturated in this process (`saturated`) are
 * excluded and each other URL contributes at most `perEndpoint` of its oldest due messages, so that any number of
 * due messages to a hanging gestionale never hides another gestionale's. `for update skip locked` lets several
 * workers claim concurrently without waiting for each other. A claimed message is SENDING with a lease
 * (next_attempt_at = now() + leaseMs, so that a worker that dies mid-send leaves it due again) and a new
 * claim_token, which its attempt's record must carry.
 */
export async function claimDueMessages(
  db: Database,
  limit: number,
  leaseMs: number,
  perEndpoint: number,
  saturated: readonly string[],
  freeSlots: (endpointUrl: string) => number,
): Promise<ClaimedMessage[]> {
  if (limit <= 0) return [];
  return db.transaction(async (tx) => {
    const candidates = rowsOf<{ id: number; url: string | null }>(
      await tx.execute(sql`
        with due as (
          select id, endpoint_url, next_attempt_at,
                 row_number() over (partition by coalesce(endpoint_url, '') order by next_attempt_at, id) as rn
            from outbound_message
           where status <> 'DELIVERED' and next_attempt_at <= now()
             and coalesce(endpoint_url, '') <> all(${`{${saturated.map((u) => `"${u.replace(/["\\]/g, '\\$&')}"`).join(',')}}`}::text[])),
        picked as (select id from due where rn <= ${perEndpoint} order by next_attempt_at, id limit ${limit * 4})
        select m.id::int as id, m.endpoint_url as url from outbound_message m join picked using (id)
         where m.status <> 'DELIVERED' and m.next_attempt_at <= now()
         order by m.next_attempt_at, m.id
         for update of m skip locked`),
    );
    const taken = new Map<string, number>();
    const ids: number[] = [];
    for (const c of candidates) {
      if (ids.length >= limit) break;
      const key = c.url ?? '';
      const n = taken.get(key) ?? 0;
      if (n >= freeSlots(key)) continue;
      taken.set(key, n + 1);
      ids.push(c.id);
    }
    if (ids.length === 0) return [];
    return rowsOf<ClaimedMessage>(
      await tx.execute(sql`
        update outbound_message m set status = 'SENDING', next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000}::float8),
               claim_token = m.claim_token + 1, updated_at = now()
          from ente e, application ap
         where m.id = any(${`{${ids.join(',')}}`}::bigint[]) and e.id = m.ente_id and ap.id = m.application_id
        returning m.id::int as id, m.id_messaggio as "idMessaggio", m.operation, m.kind, m.ente_id::int as "enteId",
          m.payment_type_id::int as "paymentTypeId", m.application_id::int as "applicationId", m.endpoint_url as "endpointUrl",
          m.body_xml as "bodyXml", m.attempts, m.claim_token as "claimToken", e.codice_fiscale as "enteFiscalCode", ap.codice_chiamante as "codiceChiamante"`),
    );
  });
}

export interface ResolvedEndpoint {
  id: number;
  url: string;
  username: string | null;
  passwordEnc: string | null;
}

const findEndpointStmt = namedStatement(
  'gestionali.find-endpoint',
  `select id::int as id, url, username, password_enc as "passwordEnc" from application_endpoint
    where application_id = $1 and kind = $2 and (payment_type_id is null or payment_type_id = $3)
    order by payment_type_id nulls last limit 1`,
);

/** The endpoint a message goes to now (kind + payment type, falling back to the one without payment type). */
export async function findEndpoint(
  db: Database,
  applicationId: number,
  kind: string,
  paymentTypeId: number | null,
): Promise<ResolvedEndpoint | undefined> {
  const [row] = await db.run<ResolvedEndpoint>(findEndpointStmt, [applicationId, kind, paymentTypeId]);
  return row;
}

export interface AttemptRecord {
  messageId: number;
  claimToken: number;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  endpointId: number | null;
  endpointUrl: string | null;
  httpStatus: number | null;
  resultCode: string | null;
  delivered: boolean;
  outcome: string;
  error: string | null;
  /** when not delivered */
  nextAttemptInMs: number;
  nextStatus: DeliveryStatus;
}

const recordAttemptStmt = namedStatement(
  'gestionali.record-attempt',
  `with m as (
     update outbound_message set
       status = $10, attempts = $2, endpoint_id = coalesce($5, endpoint_id), endpoint_url = coalesce($6, endpoint_url),
       last_http_status = $7, last_result_code = $8, last_error = $11,
       next_attempt_at = case when $9 then next_attempt_at else now() + make_interval(secs => $12::float8 / 1000) end,
       delivered_at = case when $9 then now() else delivered_at end, updated_at = now()
     where id = $1 and status = 'SENDING' and claim_token = $14
     returning id)
   insert into outbound_attempt (message_id, attempt, started_at, duration_ms, endpoint_url, http_status, result_code, outcome, error)
   select m.id, $2, $3, $4, $6, $7, $8, $13, $11 from m`,
);

/**
 * Records an attempt and its effect on the message, in one statement (atomic). Only a message still SENDING
 * under the same claim is updated: a replay, or a re-claim after the lease ended (a new claim_token), does not
 * get overwritten by the late answer of the older attempt (which is then not recorded at all).
 */
export async function recordAttempt(db: Database, a: AttemptRecord): Promise<void> {
  await db.run(recordAttemptStmt, [
    a.messageId,
    a.attempt,
    a.startedAt,
    a.durationMs,
    a.endpointId,
    a.endpointUrl,
    a.httpStatus,
    a.resultCode,
    a.delivered,
    a.delivered ? 'DELIVERED' : a.nextStatus,
    a.error?.slice(0, 1000) ?? null,
    a.nextAttemptInMs,
    a.outcome,
    a.claimToken,
  ]);
}

export interface DeliveryRow {
  id: number;
  idMessaggio: string;
  operation: string;
  kind: string;
  enteFiscalCode: string;
  codiceVersamento: string | null;
  codiceChiamante: string;
  endpointUrl: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  lastHttpStatus: number | null;
  lastResultCode: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
  enteFiscalCode?: string | undefined;
  operation?: string | undefined;
  idMessaggio?: string | undefined;
  before?: number | undefined;
  limit: number;
}

/** A timestamptz column as ISO 8601 in UTC ("2026-03-10T08:15:30.123Z"), as the other admin lookups give them. */
export const isoTimestamp = (column: string) =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

const listColumns = sql`m.id::int as id, m.id_messaggio as "idMessaggio", m.operation, m.kind, e.codice_fiscale as "enteFiscalCode",
  pt.codice_versamento as "codiceVersamento", ap.codice_chiamante as "codiceChiamante", m.endpoint_url as "endpointUrl", m.status,
  m.attempts, ${isoTimestamp('m.next_attempt_at')} as "nextAttemptAt", m.last_error as "lastError", m.last_http_status as "lastHttpStatus",
  m.last_result_code as "lastResultCode", ${isoTimestamp('m.created_at')} as "createdAt", ${isoTimestamp('m.updated_at')} as "updatedAt",
  ${isoTimestamp('m.delivered_at')} as "deliveredAt"`;
const listFrom = sql`outbound_message m join ente e on e.id = m.ente_id join application ap on ap.id = m.application_id
  left join payment_type pt on pt.id = m.payment_type_id`;

/** Deliveries newest first (keyset on id). */
export async function listDeliveries(db: Database, f: DeliveryFilter): Promise<DeliveryRow[]> {
  const where = [sql`true`];
  if (f.status) where.push(sql`m.status = ${f.status}`);
  if (f.enteFiscalCode) where.push(sql`e.codice_fiscale = ${f.enteFiscalCode}`);
  if (f.operation) where.push(sql`m.operation = ${f.operation}`);
  if (f.idMessaggio) where.push(sql`m.id_messaggio = ${f.idMessaggio}`);
  if (f.before !== undefined) where.push(sql`m.id < ${f.before}`);
  return db.rows<DeliveryRow>(
    sql`select ${listColumns} from ${listFrom} where ${sql.join(where, sql` and `)} order by m.id desc limit ${f.limit}`,
  );
}

export interface AttemptRow {
  attempt: number;
  startedAt: string;
  durationMs: number;
  endpointUrl: string | null;
  httpStatus: number | null;
  resultCode: string | null;
  outcome: string;
  error: string | null;
}

export async function getDelivery(
  db: Database,
  id: number,
): Promise<(DeliveryRow & { bodyXml: string; attemptLog: AttemptRow[] }) | undefined> {
  const [row] = await db.rows<DeliveryRow & { bodyXml: string }>(
    sql`select ${listColumns}, m.body_xml as "bodyXml" from ${listFrom} where m.id = ${id}`,
  );
  if (!row) return undefined;
  const attemptLog = await db.rows<AttemptRow>(sql`
    select attempt, ${isoTimestamp('started_at')} as "startedAt", duration_ms as "durationMs", endpoint_url as "endpointUrl", http_status as "httpStatus",
           result_code as "resultCode", outcome, error
      from outbound_attempt where message_id = ${id} order by id desc limit 200`);
  return { ...row, attemptLog };
}

/**
 * Makes messages due now (replay). A DELIVERED message is sent again (same IdMessaggio: the gestionale discards
 * it if it already has it); a SENDING one is left alone (its attempt is in progress). Returns the ids replayed.
 */
export async function replayDeliveries(
  db: Database,
  where: { id?: number; status?: DeliveryStatus },
): Promise<number[]> {
  const cond = where.id !== undefined ? sql`id = ${where.id}` : sql`status = ${where.status ?? 'FAILING'}`;
  const rows = await db.rows<{ id: number }>(sql`
    update outbound_message set status = 'PENDING', next_attempt_at = now(), delivered_at = null, updated_at = now()
     where ${cond} and status <> 'SENDING' returning id::int as id`);
  return rows.map((r) => r.id);
}
