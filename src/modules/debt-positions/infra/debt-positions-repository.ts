import { and, eq, sql } from 'drizzle-orm';
import { namedStatement, type Database, type Executor } from '../../../db/database.js';
import { debtPosition, debtPositionStatusHistory, document } from '../../../db/schema.js';
import { iuvSequenceName } from '../../organizations/domain/organizations.js';
import type { AuthThrottleKeys, AuthThrottleRow } from '../../limits/domain/auth-throttle-state.js';
import type { DebtPosition, DebtPositionDraft, DebtPositionStatus } from '../domain/debt-position.js';
import { DRAFT_COLUMN_LIST, draftColumns, draftParameters, draftValues, positionOf } from './position-row.js';

/** Everything a gestionale's call needs, read in one round trip: its application, the ente and the payment type. */
export interface CallContextRow {
  applicationId: number;
  codiceChiamante: string;
  passphraseEnc: string;
  scopes: string[];
  appActive: boolean;
  appValidFrom: string | null;
  appValidTo: string | null;
  enteId: number | null;
  enteCodiceFiscale: string | null;
  enteDenominazione: string | null;
  enteActive: boolean | null;
  codiceSegregazione: string | null;
  applicationCode: string | null;
  paymentTypeId: number | null;
  codiceVersamento: string | null;
  paymentTypeDescrizione: string | null;
  paymentTypeActive: boolean | null;
  paymentTypeValidFrom: string | null;
  paymentTypeValidTo: string | null;
  authorised: boolean;
}

// Always one row: the throttle columns, and the call context's columns null when the caller is unknown.
const LOAD_CALL_CONTEXT = namedStatement(
  'debt_positions_load_call_context',
  `select ctx.*, rc.count::int as "callerFailures", rc.reset_at as "callerResetAt", ra.count::int as "addressFailures",
          ra.reset_at as "addressResetAt", ka.last_success_at as "addressKnownAt"
     from (select 1) as one
     left join rate_limit rc on rc.key = $4::text and rc.reset_at > $7::timestamptz
     left join rate_limit ra on ra.key = $5::text and ra.reset_at > $7::timestamptz
     left join auth_known_address ka on ka.codice_chiamante = $1::text and ka.address = $6::text
     left join lateral (
   select a.id::int as "applicationId", a.codice_chiamante as "codiceChiamante", a.passphrase_enc as "passphraseEnc",
          a.scopes, a.active as "appActive", a.valid_from as "appValidFrom", a.valid_to as "appValidTo",
          e.id::int as "enteId", e.codice_fiscale as "enteCodiceFiscale", e.denominazione as "enteDenominazione",
          e.active as "enteActive", e.codice_segregazione as "codiceSegregazione", e.application_code as "applicationCode",
          pt.id::int as "paymentTypeId", pt.codice_versamento as "codiceVersamento", pt.descrizione as "paymentTypeDescrizione",
          pt.active as "paymentTypeActive", pt.valid_from as "paymentTypeValidFrom", pt.valid_to as "paymentTypeValidTo",
          (apt.application_id is not null) as authorised
     from application a
     left join ente e on e.codice_fiscale = $2
     left join payment_type pt on pt.ente_id = e.id and pt.codice_versamento = upper($3)
     left join application_payment_type apt on apt.application_id = a.id and apt.payment_type_id = pt.id
    where a.codice_chiamante = $1
     ) ctx on true`,
);
/** Its row: the call context's columns are all null when the lateral join finds no application (an unknown caller). */
type LoadedCallContext = AuthThrottleRow & (CallContextRow | { [K in keyof CallContextRow]: null });

export async function loadCallContext(
  db: Database,
  codiceChiamante: string,
  enteCf: string,
  codiceVersamento: string,
  throttle: AuthThrottleKeys,
): Promise<{ context: CallContextRow | undefined; throttle: AuthThrottleRow }> {
  const [row] = await db.run<LoadedCallContext>(LOAD_CALL_CONTEXT, [
    codiceChiamante,
    enteCf,
    codiceVersamento,
    throttle.callerKey,
    throttle.addressKey,
    throttle.address,
    throttle.now.toISOString(),
  ]);
  const { callerFailures, callerResetAt, addressFailures, addressResetAt, addressKnownAt, ...context } = row!;
  return {
    context: context.applicationId === null ? undefined : context,
    throttle: {
      callerFailures,
      callerResetAt: date(callerResetAt),
      addressFailures,
      addressResetAt: date(addressResetAt),
      addressKnownAt: date(addressKnownAt),
    },
  };
}

const date = (v: Date | string | null) => (v === null ? null : new Date(v));

const NEXT_IUV_PROGRESSIVES = namedStatement(
  'debt_positions_next_iuv_progressives',
  'select nextval($1::regclass)::text as v from generate_series(1, $2::int)',
);

/** The next `count` numbers of the ente's IUV sequence for a segregation code, in increasing order. */
export async function nextIuvProgressives(
  db: Database,
  enteId: number,
  codiceSegregazione: string,
  count: number,
): Promise<bigint[]> {
  const rows = await db.run<{ v: string }>(NEXT_IUV_PROGRESSIVES, [
    iuvSequenceName(enteId, codiceSegregazione),
    count,
  ]);
  return rows.map((r) => BigInt(r.v)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface NewPosition {
  enteId: number;
  paymentTypeId: number;
  iuv: string;
  noticeNumber: string;
  status: DebtPositionStatus;
  contentHash: string;
  createdByApplicationId: number | null;
  draft: DebtPositionDraft;
}

const INSERT_POSITION = namedStatement(
  'debt_positions_insert',
  `with p as (
     insert into debt_position (ente_id, payment_type_id, iuv, notice_number, status, content_hash, created_by_application_id,
       ${DRAFT_COLUMN_LIST})
     values ($1, $2, $3, $4, $5, $6, $7, ${draftParameters(9)})
     on conflict do nothing
     returning id, status
   ), h as (
     insert into debt_position_status_history (position_id, from_status, to_status, actor, reason)
     select id, null, status, $8, 'creazione' from p
   )
   select id::int as id from p`,
);

/**
 * Inserts a position and its first status-history entry in one statement (atomic without a
 * transaction of its own). Returns null when a unique key is taken: the gestionale's id or the IUV.
 */
export async function insertPosition(db: Database, p: NewPosition, actor: string): Promise<number | null> {
  const rows = await db.run<{ id: number }>(INSERT_POSITION, [
    p.enteId,
    p.paymentTypeId,
    p.iuv,
    p.noticeNumber,
    p.status,
    p.contentHash,
    p.createdByApplicationId,
    actor,
    ...draftValues(p.draft),
  ]);
  return rows[0]?.id ?? null;
}

export async function findByExternalId(
  db: Executor,
  enteId: number,
  paymentTypeId: number,
  idPosizioneDebitoria: string,
): Promise<DebtPosition | undefined> {
  const [row] = await db
    .select()
    .from(debtPosition)
    .where(
      and(
        eq(debtPosition.enteId, enteId),
        eq(debtPosition.paymentTypeId, paymentTypeId),
        eq(debtPosition.idPosizioneDebitoria, idPosizioneDebitoria),
      ),
    )
    .limit(1);
  return row && positionOf(row);
}

export async function findByIuv(
  db: Executor,
  enteId: number,
  iuv: string,
  forUpdate = false,
): Promise<DebtPosition | undefined> {
  const q = db
    .select({ p: debtPosition, identificativo: document.identificativo, descrizione: document.descrizione })
    .from(debtPosition)
    .leftJoin(document, eq(document.id, debtPosition.documentId))
    .where(and(eq(debtPosition.enteId, enteId), eq(debtPosition.iuv, iuv)))
    .limit(1);
  const [row] = forUpdate ? await q.for('update', { of: debtPosition }) : await q;
  return row && positionOf(row.p, row);
}

export interface StatusChange {
  from: DebtPositionStatus;
  to: DebtPositionStatus;
  actor: string;
  reason?: string | undefined;
}

/** Writes a changed position (and its status change, if any) inside the caller's transaction. */
export async function savePosition(
  tx: Executor,
  p: DebtPosition,
  draft: DebtPositionDraft,
  status: DebtPositionStatus,
  change: StatusChange | null,
  cancellationReason?: string,
): Promise<void> {
  const now = new Date();
  await tx
    .update(debtPosition)
    .set({
      ...draftColumns(draft),
      status,
      ...(change ? { statusChangedAt: now } : {}),
      ...(cancellationReason !== undefined ? { cancellationReason } : {}),
      version: p.version + 1,
      updatedAt: now,
    })
    .where(eq(debtPosition.id, p.id));
  if (change) {
    await tx.insert(debtPositionStatusHistory).values({
      positionId: p.id,
      fromStatus: change.from,
      toStatus: change.to,
      actor: change.actor,
      reason: change.reason ?? null,
      at: now,
    });
  }
}

export async function statusHistory(db: Executor, positionId: number) {
  return db
    .select({
      from: debtPositionStatusHistory.fromStatus,
      to: debtPositionStatusHistory.toStatus,
      at: debtPositionStatusHistory.at,
      actor: debtPositionStatusHistory.actor,
      reason: debtPositionStatusHistory.reason,
    })
    .from(debtPositionStatusHistory)
    .where(eq(debtPositionStatusHistory.positionId, positionId))
    .orderBy(debtPositionStatusHistory.id);
}

/**
 * Records the calendar-driven transitions (NOT_YET_ACTIVE → PAYABLE, → EXPIRED) that reads already
 * apply on the fly, so that the history and the stored status catch up. Batched; returns the count.
 */
export async function sweepCalendarTransitions(db: Database, today: string, batch = 1000): Promise<number> {
  const rows = await db.rows<{ n: number }>(sql`
    with due as (
      select id, status as from_status,
             case when valid_to is not null and valid_to < ${today}::date then 'EXPIRED' else 'PAYABLE' end as to_status
        from debt_position
       where (status = 'NOT_YET_ACTIVE' and (valid_from <= ${today}::date or valid_to < ${today}::date))
          or (status = 'PAYABLE' and valid_to < ${today}::date)
       order by id
       limit ${batch}
       for update skip locked
    ), upd as (
      update debt_position d set status = due.to_status, status_changed_at = now(), version = d.version + 1, updated_at = now()
        from due where d.id = due.id
      returning d.id
    ), h as (
      insert into debt_position_status_history (position_id, from_status, to_status, actor, reason)
      select id, from_status, to_status, 'system', 'transizione di calendario' from due
    )
    select count(*)::int as n from upd`);
  return rows[0]?.n ?? 0;
}

const MARK_AWAITING_RECEIPT = namedStatement(
  'debt_positions_mark_awaiting_receipt',
  `with upd as (
     update debt_position set status = 'PAYMENT_IN_PROGRESS', status_changed_at = now(), version = version + 1, updated_at = now()
      where id = any($1::bigint[]) and status = 'PAYABLE' and (valid_to is null or valid_to >= $4::date)
     returning id
   ), h as (
     insert into debt_position_status_history (position_id, from_status, to_status, actor, reason)
     select id, 'PAYABLE', 'PAYMENT_IN_PROGRESS', $2, $3 from upd
   )
   select id::int as id from upd`,
);

/**
 * PAYABLE → PAYMENT_IN_PROGRESS for the given positions, with history; positions in any other
 * status (already PAID by a receipt that came first, cancelled, expired) are left alone.
 */
export async function markAwaitingReceipt(
  db: Database,
  positionIds: number[],
  actor: string,
  reason: string,
  today: string,
): Promise<number[]> {
  if (positionIds.length === 0) return [];
  return (
    await db.run<{ id: number }>(MARK_AWAITING_RECEIPT, [positionIds, actor, reason.slice(0, 400), today])
  ).map((r) => r.id);
}

const RELEASE_STALE_AWAITING = namedStatement(
  'debt_positions_release_stale_awaiting',
  `with due as (
     select id from debt_position
      where status = 'PAYMENT_IN_PROGRESS' and status_changed_at < $1
      order by id limit $2 for update skip locked
   ), upd as (
     update debt_position d set status = 'PAYABLE', status_changed_at = now(), version = d.version + 1, updated_at = now()
       from due where d.id = due.id
     returning d.id
   ), h as (
     insert into debt_position_status_history (position_id, from_status, to_status, actor, reason)
     select id, 'PAYMENT_IN_PROGRESS', 'PAYABLE', 'system', 'nessuna ricevuta pagoPA entro il tempo di attesa' from upd
   )
   select count(*)::int as n from upd`,
);

/** PAYMENT_IN_PROGRESS older than `before` (no receipt came) → PAYABLE again; batched, returns the count. */
export async function releaseStaleAwaitingReceipt(db: Database, before: Date, batch = 1000): Promise<number> {
  const [row] = await db.run<{ n: number }>(RELEASE_STALE_AWAITING, [before, batch]);
  return row?.n ?? 0;
}
