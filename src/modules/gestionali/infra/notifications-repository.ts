import { sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/database.js';
import { xmlDocumentBytes } from '../../../shared/soap/soap-envelope.js';
import type { Debtor } from '../../debt-positions/domain/debt-position.js';
import { selectDebtor, withDebtor, type DebtorRow } from '../../debt-positions/infra/position-row.js';
import type { PaymentNotification } from '../domain/notifications.js';

const rowsOf = <T>(res: unknown) => (res as { rows: T[] }).rows;

export type NotificationKind = 'PAYMENT' | 'EXPIRED';

export interface NotificationGroup {
  enteId: number;
  paymentTypeId: number;
  kind: NotificationKind;
  pending: number;
}

/**
 * A notification that may go into a message now: not grouped, not FAILED, not waiting for the retry of a group that
 * failed. (The first two conditions are the pending index's own.)
 */
const ELIGIBLE = sql.raw(
  `id_messaggio is null and failed_at is null and (retry_at is null or retry_at <= clock_timestamp())`,
);

/**
 * Groups (ente, payment type, kind) with notifications waiting to be put in a message, that are due: the
 * oldest has waited the batching window, or a full message is ready. Oldest group first, always in the same order.
 */
export async function dueNotificationGroups(
  db: Database,
  windowMs: number,
  fullAt: number,
): Promise<NotificationGroup[]> {
  // payments wait (not due) while no application of their payment type has a TRASMETTI_NOTIFICHE_PAGAMENTO endpoint
  return db.rows<NotificationGroup>(sql`
    select ente_id::int as "enteId", payment_type_id::int as "paymentTypeId", kind, count(*)::int as pending
      from gestionale_notification n where ${ELIGIBLE}
       and (kind <> 'PAYMENT' or exists (${recipientExists(sql`n.payment_type_id`, PAYMENT_KIND)}))
     group by ente_id, payment_type_id, kind
    having count(*) >= ${fullAt} or min(created_at) <= clock_timestamp() - make_interval(secs => ${windowMs / 1000}::float8)
     order by min(id)`);
}

/**
 * A group whose message could not be built: the notifications it would have taken (the oldest `limit` eligible)
 * count one more attempt, keep the reason and wait (base · 2^attempts, capped); those at `maxAttempts` become FAILED.
 * Returns the number of notifications that became FAILED.
 */
export async function recordGroupFailure(
  db: Database,
  g: { enteId: number; paymentTypeId: number; kind: NotificationKind },
  limit: number,
  error: string,
  backoff: { baseMs: number; capMs: number },
  maxAttempts: number,
): Promise<number> {
  const rows = await db.rows<{ failed: boolean }>(sql`
    with n as (
      select id from gestionale_notification
       where ${ELIGIBLE} and ente_id = ${g.enteId} and payment_type_id = ${g.paymentTypeId} and kind = ${g.kind}
       order by id limit ${limit} for update skip locked)
    update gestionale_notification g
       set attempts = g.attempts + 1, last_error = ${error.slice(0, 1000)},
           retry_at = clock_timestamp() + make_interval(secs => least(${backoff.capMs}::float8, ${backoff.baseMs}::float8 * power(2, least(g.attempts, 30))) / 1000),
           failed_at = case when g.attempts + 1 >= ${maxAttempts} then clock_timestamp() end
      from n where g.id = n.id
    returning g.failed_at is not null as failed`);
  return rows.filter((r) => r.failed).length;
}

/** Notifications that cannot be represented in their message: FAILED at once, with the reason (same transaction as the rest of the group). */
export async function markFailed(
  tx: Executor,
  failures: readonly { id: number; error: string }[],
): Promise<void> {
  if (failures.length === 0) return;
  await tx.execute(sql`
    update gestionale_notification g set failed_at = clock_timestamp(), last_error = left(m.error, 1000), attempts = g.attempts + 1
      from jsonb_to_recordset(${JSON.stringify(failures)}::jsonb) as m(id bigint, error text)
     where g.id = m.id`);
}

export interface GroupHeader {
  enteFiscalCode: string;
  codiceVersamento: string;
}

export async function groupHeader(
  tx: Executor,
  enteId: number,
  paymentTypeId: number,
): Promise<GroupHeader | undefined> {
  const [row] = rowsOf<GroupHeader>(
    await tx.execute(sql`
      select e.codice_fiscale as "enteFiscalCode", pt.codice_versamento as "codiceVersamento"
        from payment_type pt join ente e on e.id = pt.ente_id where pt.id = ${paymentTypeId} and e.id = ${enteId}`),
  );
  return row;
}

const PAYMENT_KIND = 'TRASMETTI_NOTIFICHE_PAGAMENTO';

/** "An active application authorised on the payment type has an endpoint of this kind", as a subquery. */
function recipientExists(paymentTypeId: SQL, kind: string): SQL {
  return sql`
      select 1 from application_payment_type apt join application ap on ap.id = apt.application_id and ap.active
       where apt.payment_type_id = ${paymentTypeId}
         and exists (select 1 from application_endpoint ae where ae.application_id = apt.application_id and ae.kind = ${kind}
                       and (ae.payment_type_id is null or ae.payment_type_id = ${paymentTypeId}))`;
}

/** Whether any active application authorised on the payment type has an endpoint of this kind. */
export async function hasRecipient(tx: Executor, paymentTypeId: number, kind: string): Promise<boolean> {
  const rows = rowsOf<{ one: number }>(
    await tx.execute(sql`select 1 as one where exists (${recipientExists(sql`${paymentTypeId}`, kind)})`),
  );
  return rows.length > 0;
}

/** A pending payment notification: the message's fields, with the position's debtor and the receipt's payer as stored. */
export interface PaymentNotificationRow extends Omit<PaymentNotification, 'debtor' | 'payer'> {
  notificationId: number;
  debtor: Debtor;
  payer: Record<string, string> | null;
  /** the receipt's document when asked: its bytes as pagoPA sent them, agreeing with its declaration (xmlDocumentBytes) */
  rawXml: Uint8Array | null;
}

/**
 * Takes (locks) up to `limit` pending PAYMENT notifications of the group, oldest first, with what their message
 * needs. `skip locked`: two workers grouping at once take different rows. The raw receipt XML only when asked.
 */
export async function takePendingPayments(
  tx: Executor,
  enteId: number,
  paymentTypeId: number,
  limit: number,
  withRawXml: boolean,
): Promise<PaymentNotificationRow[]> {
  const rows = rowsOf<
    Omit<PaymentNotificationRow, 'rawXml' | 'debtor'> &
      DebtorRow & { rawXml: string | null; rawBytes: Uint8Array | null }
  >(
    await tx.execute(sql`
      with n as (
        select id, position_id, receipt_id from gestionale_notification
         where ${ELIGIBLE} and ente_id = ${enteId} and payment_type_id = ${paymentTypeId} and kind = 'PAYMENT'
         order by id limit ${limit} for update skip locked)
      select n.id::int as "notificationId", p.id_posizione_debitoria as "idPosizioneDebitoria", p.reference_year as "referenceYear",
             p.iuv, p.notice_number as "noticeNumber", r.amount_cents::float8 as "amountCents", r.fee_cents::float8 as "feeCents",
             p.due_date::text as "dueDate", p.causale,
             coalesce((r.payment_date_time at time zone 'Europe/Rome')::date, r.application_date, (r.received_at at time zone 'Europe/Rome')::date)::text as "paymentDate",
             to_char(coalesce(r.payment_date_time, r.received_at) at time zone 'Europe/Rome', 'YYYY-MM-DD"T"HH24:MI:SS') as "paymentDateTime",
             ${sql.raw(selectDebtor('p'))},
             r.payer, r.id_psp as "idPSP", r.psp_company_name as "pspCompanyName", r.payment_method as "paymentMethod",
             r.receipt_id as "receiptId", p.components->0->>'datiSpecificiRiscossione' as "datiSpecificiRiscossione",
             ${withRawXml ? sql`r.raw_xml` : sql`null::text`} as "rawXml", ${withRawXml ? sql`r.raw_bytes` : sql`null::bytea`} as "rawBytes"
        from n join debt_position p on p.id = n.position_id join receipt r on r.id = n.receipt_id
       order by n.id`),
  );
  return rows.map(({ rawXml, rawBytes, ...row }) => ({
    ...withDebtor(row),
    rawXml: rawXml === null ? null : xmlDocumentBytes(rawXml, rawBytes).bytes,
  }));
}

export interface ExpiredNotificationRow {
  notificationId: number;
  iuv: string;
  dueDate: string | null;
  amountCents: number;
}

export async function takePendingExpired(
  tx: Executor,
  enteId: number,
  paymentTypeId: number,
  limit: number,
): Promise<ExpiredNotificationRow[]> {
  return rowsOf<ExpiredNotificationRow>(
    await tx.execute(sql`
      with n as (
        select id, position_id from gestionale_notification
         where ${ELIGIBLE} and ente_id = ${enteId} and payment_type_id = ${paymentTypeId} and kind = 'EXPIRED'
         order by id limit ${limit} for update skip locked)
      select n.id::int as "notificationId", p.iuv, coalesce(p.due_date, p.valid_to)::text as "dueDate", p.amount_cents::float8 as "amountCents"
        from n join debt_position p on p.id = n.position_id order by n.id`),
  );
}

/** Records which message(s) carried each notification (same transaction as the enqueue). */
export async function markGrouped(
  tx: Executor,
  marks: readonly { id: number; idMessaggio: string; rtIdMessaggio: string | null }[],
): Promise<void> {
  if (marks.length === 0) return;
  await tx.execute(sql`
    update gestionale_notification g set id_messaggio = m.id_messaggio, rt_id_messaggio = m.rt_id_messaggio, grouped_at = now()
      from jsonb_to_recordset(${JSON.stringify(marks.map((m) => ({ id: m.id, id_messaggio: m.idMessaggio, rt_id_messaggio: m.rtIdMessaggio })))}::jsonb)
           as m(id bigint, id_messaggio text, rt_id_messaggio text)
     where g.id = m.id`);
}

/**
 * GROUPED (in a message), WAITING (for the batching window), WAITING_FOR_ENDPOINT (a payment nobody can receive yet),
 * RETRYING (its group's message could not be built: retried after a delay), FAILED (cannot be sent: an operator
 * replays or releases it), RELEASED (an operator decided it is not sent).
 */
export const NOTIFICATION_STATUSES = [
  'GROUPED',
  'WAITING',
  'WAITING_FOR_ENDPOINT',
  'RETRYING',
  'FAILED',
  'RELEASED',
] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export interface NotificationLookupRow {
  id: number;
  kind: NotificationKind;
  enteFiscalCode: string;
  codiceVersamento: string;
  iuv: string;
  receiptId: string | null;
  createdAt: string;
  groupedAt: string | null;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  failedAt: string | null;
  releasedAt: string | null;
  idMessaggio: string | null;
  rtIdMessaggio: string | null;
}

const iso = (col: SQL) => sql`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

function lookupSelect(where: SQL, tail: SQL): SQL {
  return sql`
    select g.id::int as id, g.kind, e.codice_fiscale as "enteFiscalCode", pt.codice_versamento as "codiceVersamento", p.iuv,
           r.receipt_id as "receiptId", ${iso(sql`g.created_at`)} as "createdAt", ${iso(sql`g.grouped_at`)} as "groupedAt",
           case when g.id_messaggio is not null then 'GROUPED'
                when g.released_at is not null then 'RELEASED'
                when g.failed_at is not null then 'FAILED'
                when g.kind = 'PAYMENT' and not exists (${recipientExists(sql`g.payment_type_id`, PAYMENT_KIND)}) then 'WAITING_FOR_ENDPOINT'
                when g.retry_at > clock_timestamp() then 'RETRYING'
                else 'WAITING' end as status,
           g.attempts, g.last_error as "lastError", ${iso(sql`g.failed_at`)} as "failedAt", ${iso(sql`g.released_at`)} as "releasedAt",
           g.id_messaggio as "idMessaggio", g.rt_id_messaggio as "rtIdMessaggio"
      from gestionale_notification g join debt_position p on p.id = g.position_id join ente e on e.id = g.ente_id
      join payment_type pt on pt.id = g.payment_type_id
      left join receipt r on r.id = g.receipt_id
     where ${where} ${tail}`;
}

/** The notifications of a position (by ente and IUV), for the admin lookups. */
export async function notificationsOfPosition(
  db: Database,
  enteFiscalCode: string,
  iuv: string,
): Promise<NotificationLookupRow[]> {
  return db.rows<NotificationLookupRow>(
    lookupSelect(sql`e.codice_fiscale = ${enteFiscalCode} and p.iuv = ${iuv}`, sql`order by g.id`),
  );
}

export interface NotificationFilter {
  /** FAILED (not released), RELEASED, or every notification not yet grouped (PENDING) */
  status: 'FAILED' | 'RELEASED' | 'PENDING';
  enteFiscalCode?: string | undefined;
  before?: number | undefined;
  limit: number;
}

/** Notifications by state, newest first (keyset by id), for the admin API. */
export async function listNotifications(
  db: Database,
  f: NotificationFilter,
): Promise<NotificationLookupRow[]> {
  const state =
    f.status === 'FAILED'
      ? sql`g.failed_at is not null and g.released_at is null`
      : f.status === 'RELEASED'
        ? sql`g.released_at is not null`
        : sql`g.id_messaggio is null and g.failed_at is null`;
  const where = [state];
  if (f.enteFiscalCode) where.push(sql`e.codice_fiscale = ${f.enteFiscalCode}`);
  if (f.before !== undefined) where.push(sql`g.id < ${f.before}`);
  return db.rows<NotificationLookupRow>(
    lookupSelect(sql.join(where, sql` and `), sql`order by g.id desc limit ${f.limit}`),
  );
}

/** One notification by id, for the admin API. */
export async function getNotification(db: Database, id: number): Promise<NotificationLookupRow | undefined> {
  const [row] = await db.rows<NotificationLookupRow>(lookupSelect(sql`g.id = ${id}`, sql``));
  return row;
}

/**
 * An operator sends a FAILED (or RELEASED, or RETRYING) notification again: pending, due at once, attempts from zero.
 * Only notifications not yet in a message; returns the ids changed.
 */
export async function replayNotifications(
  db: Database,
  which: { id: number } | { failed: true },
): Promise<number[]> {
  const where = 'id' in which ? sql`id = ${which.id}` : sql`failed_at is not null and released_at is null`;
  const rows = await db.rows<{ id: number }>(sql`
    update gestionale_notification set failed_at = null, released_at = null, retry_at = null, attempts = 0
     where ${where} and id_messaggio is null
    returning id::int as id`);
  return rows.map((r) => r.id);
}

/** An operator decides a FAILED notification is not sent (the gestionale reads the payment through paymentdata). */
export async function releaseNotification(db: Database, id: number): Promise<boolean> {
  const rows = await db.rows<{ id: number }>(sql`
    update gestionale_notification set released_at = clock_timestamp()
     where id = ${id} and id_messaggio is null and failed_at is not null and released_at is null
    returning id::int as id`);
  return rows.length > 0;
}
