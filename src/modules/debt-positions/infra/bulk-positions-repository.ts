import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../../db/database.js';
import { debtPosition } from '../../../db/schema.js';
import type { DebtPosition, DebtPositionDraft, DebtPositionStatus } from '../domain/debt-position.js';
import { iuvSequenceName } from '../../organizations/domain/organizations.js';
import { DRAFT_COLUMN_LIST, DRAFT_RECORD_DEFINITION, draftRecord, positionOf } from './position-row.js';

/**
 * Many positions at once, inside the caller's transaction: one statement for the positions and
 * their first status-history rows (the rows travel as one jsonb parameter, the same text on PGlite
 * and PostgreSQL), one to find which of the gestionale's ids already exist.
 */

export interface NewBulkPosition {
  iuv: string;
  noticeNumber: string;
  status: DebtPositionStatus;
  contentHash: string;
  draft: DebtPositionDraft;
}

function rowOf(p: NewBulkPosition) {
  return {
    iuv: p.iuv,
    notice_number: p.noticeNumber,
    status: p.status,
    content_hash: p.contentHash,
    ...draftRecord(p.draft),
  };
}

/**
 * Inserts the positions (skipping any whose IUV, notice number or gestionale's id is taken) and a
 * 'creazione' history row for each inserted one. Returns the inserted ones by IUV.
 */
export async function insertPositions(
  tx: Executor,
  ctx: { enteId: number; paymentTypeId: number; applicationId: number | null; actor: string },
  positions: readonly NewBulkPosition[],
): Promise<Map<string, number>> {
  if (positions.length === 0) return new Map();
  const json = JSON.stringify(positions.map(rowOf));
  const result = (await tx.execute(sql`
    with input as (
      select * from jsonb_to_recordset(${json}::jsonb) as x(
        iuv text, notice_number text, status text, content_hash text, ${sql.raw(DRAFT_RECORD_DEFINITION)})
    ), p as (
      insert into debt_position (ente_id, payment_type_id, iuv, notice_number, status, content_hash, created_by_application_id,
        ${sql.raw(DRAFT_COLUMN_LIST)})
      select ${ctx.enteId}::bigint, ${ctx.paymentTypeId}::bigint, iuv, notice_number, status, content_hash, ${ctx.applicationId}::bigint,
        ${sql.raw(DRAFT_COLUMN_LIST)}
        from input
      on conflict do nothing
      returning id, iuv, status
    ), h as (
      insert into debt_position_status_history (position_id, from_status, to_status, actor, reason)
      select id, null, status, ${ctx.actor}, 'creazione' from p
    )
    select id::int as id, iuv from p`)) as { rows: { id: number; iuv: string }[] };
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a driver's row, typed by a cast: a guard, not a conversion
  return new Map(result.rows.map((r) => [r.iuv, Number(r.id)]));
}

/**
 * Which of these gestionale's ids already name a position of the ente and payment type. `= any(array(...))`
 * makes it an index lookup per id (a join with the set-returning function would scan the ente's positions).
 */
export async function existingExternalIds(
  tx: Executor,
  enteId: number,
  paymentTypeId: number,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const result = (await tx.execute(sql`
    select id_posizione_debitoria as id from debt_position
     where ente_id = ${enteId} and payment_type_id = ${paymentTypeId}
       and id_posizione_debitoria = any(array(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)))`)) as {
    rows: { id: string }[];
  };
  return new Set(result.rows.map((r) => r.id));
}

/** The positions with these gestionale's ids, locked for update (in id order: no deadlock between lists). */
export async function lockByExternalIds(
  tx: Executor,
  enteId: number,
  paymentTypeId: number,
  ids: readonly string[],
): Promise<Map<string, DebtPosition>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select()
    .from(debtPosition)
    .where(
      and(
        eq(debtPosition.enteId, enteId),
        eq(debtPosition.paymentTypeId, paymentTypeId),
        inArray(debtPosition.idPosizioneDebitoria, [...ids]),
      ),
    )
    .orderBy(asc(debtPosition.id))
    .for('update');
  return new Map(rows.map((r) => [r.idPosizioneDebitoria!, positionOf(r)]));
}

/**
 * The next `count` numbers of the ente's IUV sequence, in increasing order, on the caller's
 * transaction (on PGlite the one connection is the transaction's until it ends). nextval is never
 * rolled back: numbers of a failed transaction are skipped, as the IUV decision allows.
 */
export async function nextIuvProgressivesIn(
  tx: Executor,
  enteId: number,
  codiceSegregazione: string,
  count: number,
): Promise<bigint[]> {
  const result = (await tx.execute(
    sql`select nextval(${iuvSequenceName(enteId, codiceSegregazione)}::regclass)::text as v from generate_series(1, ${count}::int)`,
  )) as { rows: { v: string }[] };
  return result.rows.map((r) => BigInt(r.v)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
