import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../../db/database.js';
import { debtPosition } from '../../../db/schema.js';
import type { DebtPosition, DebtPositionDraft, DebtPositionStatus } from '../domain/debt-position.js';
import { iuvSequenceName } from '../../organizations/domain/organizations.js';
import { toDomain } from './debt-positions-repository.js';

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
  const d = p.draft;
  return {
    id_posizione_debitoria: d.idPosizioneDebitoria ?? null,
    iuv: p.iuv,
    notice_number: p.noticeNumber,
    amount_cents: d.amountCents,
    components: d.components,
    causale: d.causale,
    descrizione_rata: d.descrizioneRata ?? null,
    debtor_type: d.debtor.type,
    debtor_fiscal_code: d.debtor.fiscalCode,
    debtor_name: d.debtor.name ?? null,
    debtor_surname: d.debtor.surname ?? null,
    debtor_company: d.debtor.company ?? null,
    debtor_address: d.debtor.address ?? null,
    debtor_civic: d.debtor.civic ?? null,
    debtor_postal_code: d.debtor.postalCode ?? null,
    debtor_locality: d.debtor.locality ?? null,
    debtor_province: d.debtor.province ?? null,
    debtor_nation: d.debtor.nation ?? null,
    debtor_email: d.debtor.email ?? null,
    due_date: d.dueDate ?? null,
    valid_from: d.validFrom ?? null,
    valid_to: d.validTo ?? null,
    payment_references: d.paymentReferences,
    payer_note: d.payerNote ?? null,
    reference_year: d.referenceYear ?? null,
    status: p.status,
    content_hash: p.contentHash,
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
        id_posizione_debitoria text, iuv text, notice_number text, amount_cents bigint, components jsonb, causale text,
        descrizione_rata text, debtor_type text, debtor_fiscal_code text, debtor_name text, debtor_surname text,
        debtor_company text, debtor_address text, debtor_civic text, debtor_postal_code text, debtor_locality text,
        debtor_province text, debtor_nation text, debtor_email text, due_date date, valid_from date, valid_to date,
        payment_references jsonb, payer_note text, reference_year int, status text, content_hash text)
    ), p as (
      insert into debt_position (ente_id, payment_type_id, id_posizione_debitoria, iuv, notice_number, amount_cents, components,
        causale, descrizione_rata, debtor_type, debtor_fiscal_code, debtor_name, debtor_surname, debtor_company, debtor_address,
        debtor_civic, debtor_postal_code, debtor_locality, debtor_province, debtor_nation, debtor_email, due_date, valid_from,
        valid_to, payment_references, payer_note, reference_year, status, content_hash, created_by_application_id)
      select ${ctx.enteId}::bigint, ${ctx.paymentTypeId}::bigint, id_posizione_debitoria, iuv, notice_number, amount_cents, components,
        causale, descrizione_rata, debtor_type, debtor_fiscal_code, debtor_name, debtor_surname, debtor_company, debtor_address,
        debtor_civic, debtor_postal_code, debtor_locality, debtor_province, debtor_nation, debtor_email, due_date, valid_from,
        valid_to, payment_references, payer_note, reference_year, status, content_hash, ${ctx.applicationId}::bigint
        from input
      on conflict do nothing
      returning id, iuv, status
    ), h as (
      insert into debt_position_status_history (position_id, from_status, to_status, actor, reason)
      select id, null, status, ${ctx.actor}, 'creazione' from p
    )
    select id::int as id, iuv from p`)) as unknown as { rows: { id: number; iuv: string }[] };
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
       and id_posizione_debitoria = any(array(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)))`)) as unknown as {
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
  return new Map(rows.map((r) => [r.idPosizioneDebitoria!, toDomain(r)]));
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
  )) as unknown as { rows: { v: string }[] };
  return result.rows.map((r) => BigInt(r.v)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
