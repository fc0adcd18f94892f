import { sql } from 'drizzle-orm';
import { namedStatement, type Database, type Executor } from '../../../db/database.js';
import type { ListKind, ListStatus } from '../domain/lists.js';

export interface NewList {
  kind: ListKind;
  applicationId: number;
  enteId: number;
  paymentTypeId: number;
  idMessaggio: string;
  multiBeneficiario: boolean | undefined;
  declaredCount: number;
  declaredTotalCents: number | undefined;
  rawXml: string;
  correlationId: string | undefined;
}

const INSERT_LIST = namedStatement(
  'lists_insert',
  `insert into load_list (kind, application_id, ente_id, payment_type_id, id_messaggio, multi_beneficiario, declared_count,
     declared_total_cents, raw_xml, correlation_id)
   values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
   on conflict (application_id, id_messaggio) do nothing
   returning id::int as id`,
);

/** Stores a received list (one statement: atomic). Null when the application already sent this IdMessaggio. */
export async function insertList(db: Database, l: NewList): Promise<number | null> {
  const rows = await db.run<{ id: number }>(INSERT_LIST, [
    l.kind,
    l.applicationId,
    l.enteId,
    l.paymentTypeId,
    l.idMessaggio,
    l.multiBeneficiario ?? null,
    l.declaredCount,
    l.declaredTotalCents ?? null,
    l.rawXml,
    l.correlationId?.slice(0, 80) ?? null,
  ]);
  return rows[0]?.id ?? null;
}

export interface ClaimedList {
  id: number;
  kind: ListKind;
  applicationId: number;
  enteId: number;
  paymentTypeId: number;
  idMessaggio: string;
  rawXml: string;
  attempts: number;
  codiceSegregazione: string;
  codiceChiamante: string;
}

function rowsOf<T>(r: unknown): T[] {
  return (r as { rows: T[] }).rows;
}

/**
 * Claims the oldest pending list, locked until the caller's transaction ends (a crash releases it).
 * An AggiornaPosizioniDebitorie list waits for every earlier list of its ente and payment type,
 * so that it never overtakes the list that creates the positions it changes.
 */
export async function claimPendingList(tx: Executor): Promise<ClaimedList | undefined> {
  const rows = rowsOf<ClaimedList>(
    await tx.execute(sql`
      with c as (
        select l.id from load_list l
         where l.status = 'DA_ELABORARE' and l.next_attempt_at <= now()
           and (l.kind = 'INSERIMENTO' or not exists (
                 select 1 from load_list e
                  where e.status = 'DA_ELABORARE' and e.ente_id = l.ente_id and e.payment_type_id = l.payment_type_id and e.id < l.id))
         order by l.id
         limit 1
         for update of l skip locked
      )
      select l.id::int as id, l.kind, l.application_id::int as "applicationId", l.ente_id::int as "enteId",
             l.payment_type_id::int as "paymentTypeId", l.id_messaggio as "idMessaggio", l.raw_xml as "rawXml", l.attempts,
             e.codice_segregazione as "codiceSegregazione", a.codice_chiamante as "codiceChiamante"
        from c join load_list l on l.id = c.id join ente e on e.id = l.ente_id join application a on a.id = l.application_id`),
  );
  return rows[0];
}

export interface ItemRow {
  seq: number;
  idPosizioneDebitoria: string;
  tipoAggiornamento: 'MODIFICA' | 'ANNULLAMENTO' | null;
  positionId: number | null;
  iuv: string | null;
  noticeNumber: string | null;
  code: string;
  description: string | null;
}

export async function insertItems(tx: Executor, listId: number, items: readonly ItemRow[]): Promise<void> {
  if (items.length === 0) return;
  const json = JSON.stringify(
    items.map((i) => ({
      seq: i.seq,
      id_posizione_debitoria: i.idPosizioneDebitoria.slice(0, 50),
      tipo_aggiornamento: i.tipoAggiornamento,
      position_id: i.positionId,
      iuv: i.iuv,
      notice_number: i.noticeNumber,
      outcome_code: i.code,
      outcome_description: i.description?.slice(0, 200) ?? null,
    })),
  );
  await tx.execute(sql`
    insert into load_list_item (list_id, seq, id_posizione_debitoria, tipo_aggiornamento, position_id, iuv, notice_number, outcome_code, outcome_description)
    select ${listId}::bigint, seq, id_posizione_debitoria, tipo_aggiornamento, position_id, iuv, notice_number, outcome_code, outcome_description
      from jsonb_to_recordset(${json}::jsonb) as x(seq int, id_posizione_debitoria text, tipo_aggiornamento text, position_id bigint,
           iuv text, notice_number text, outcome_code text, outcome_description text)`);
}

export async function markProcessed(
  tx: Executor,
  listId: number,
  status: ListStatus,
  resultCode: string,
  ok: number,
  ko: number,
  lastError?: string,
): Promise<void> {
  await tx.execute(sql`
    update load_list set status = ${status}, result_code = ${resultCode}, ok_count = ${ok}, ko_count = ${ko}, processed_at = now(),
           last_error = coalesce(${lastError?.slice(0, 1000) ?? null}, last_error)
     where id = ${listId}`);
}

/** A failed processing attempt: retried later (backoff), counted; returns the attempts so far. */
export async function recordFailure(
  db: Database,
  listId: number,
  error: string,
  delaySeconds: number,
): Promise<number> {
  const rows = await db.rows<{ attempts: number }>(sql`
    update load_list set attempts = attempts + 1, last_error = ${error.slice(0, 1000)},
           next_attempt_at = now() + make_interval(secs => ${delaySeconds})
     where id = ${listId} and status = 'DA_ELABORARE'
    returning attempts`);
  return rows[0]?.attempts ?? 0;
}

export async function loadList(db: Database, listId: number): Promise<ClaimedList | undefined> {
  const rows = await db.rows<ClaimedList>(sql`
    select l.id::int as id, l.kind, l.application_id::int as "applicationId", l.ente_id::int as "enteId",
           l.payment_type_id::int as "paymentTypeId", l.id_messaggio as "idMessaggio", l.raw_xml as "rawXml", l.attempts,
           e.codice_segregazione as "codiceSegregazione", a.codice_chiamante as "codiceChiamante"
      from load_list l join ente e on e.id = l.ente_id join application a on a.id = l.application_id
     where l.id = ${listId}`);
  return rows[0];
}

// ------------------------------------------------------------------------------------------ lookups

export interface ListSummary {
  id: number;
  applicationId: number;
  kind: ListKind;
  idMessaggio: string;
  enteFiscalCode: string;
  codiceVersamento: string;
  codiceChiamante: string;
  status: ListStatus;
  resultCode: string | null;
  declaredCount: number;
  declaredTotalCents: number | null;
  okCount: number | null;
  koCount: number | null;
  attempts: number;
  lastError: string | null;
  receivedAt: Date;
  processedAt: Date | null;
}

const SUMMARY = sql`
  select l.id::int as id, l.application_id::int as "applicationId", l.kind, l.id_messaggio as "idMessaggio", e.codice_fiscale as "enteFiscalCode",
         pt.codice_versamento as "codiceVersamento", a.codice_chiamante as "codiceChiamante", l.status,
         l.result_code as "resultCode", l.declared_count as "declaredCount", l.declared_total_cents::float8 as "declaredTotalCents",
         l.ok_count as "okCount", l.ko_count as "koCount", l.attempts, l.last_error as "lastError",
         l.received_at as "receivedAt", l.processed_at as "processedAt"
    from load_list l join ente e on e.id = l.ente_id join payment_type pt on pt.id = l.payment_type_id
    join application a on a.id = l.application_id`;

function asDate(v: unknown): Date | null {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a driver's timestamp: a Date or its text, never a plain object
  return v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v));
}
function summary(r: ListSummary): ListSummary {
  return { ...r, receivedAt: asDate(r.receivedAt)!, processedAt: asDate(r.processedAt) };
}

export async function listLists(
  db: Database,
  f: {
    enteFiscalCode?: string | undefined;
    status?: string | undefined;
    before?: number | undefined;
    limit: number;
  },
): Promise<ListSummary[]> {
  const rows = await db.rows<ListSummary>(sql`${SUMMARY}
    where (${f.enteFiscalCode ?? null}::text is null or e.codice_fiscale = ${f.enteFiscalCode ?? null})
      and (${f.status ?? null}::text is null or l.status = ${f.status ?? null})
      and (${f.before ?? null}::bigint is null or l.id < ${f.before ?? null})
    order by l.id desc
    limit ${f.limit}`);
  return rows.map(summary);
}

export async function findList(db: Database, id: number): Promise<ListSummary | undefined> {
  const rows = await db.rows<ListSummary>(sql`${SUMMARY} where l.id = ${id}`);
  return rows[0] && summary(rows[0]);
}

export async function listItems(db: Database, listId: number): Promise<ItemRow[]> {
  return db.rows<ItemRow>(sql`
    select seq, id_posizione_debitoria as "idPosizioneDebitoria", tipo_aggiornamento as "tipoAggiornamento",
           position_id::int as "positionId", iuv, notice_number as "noticeNumber", outcome_code as code, outcome_description as description
      from load_list_item where list_id = ${listId} order by seq`);
}

export interface OutcomeDelivery {
  status: string;
  attempts: number;
  lastError: string | null;
  deliveredAt: Date | null;
}

/** The outcome message's delivery to the gestionale (0005_deliveries.sql), when enqueued. */
export async function outcomeDelivery(
  db: Database,
  applicationId: number,
  operation: string,
  idMessaggio: string,
): Promise<OutcomeDelivery | undefined> {
  const rows = await db.rows<OutcomeDelivery>(sql`
    select status, attempts, last_error as "lastError", delivered_at as "deliveredAt" from outbound_message
     where application_id = ${applicationId} and operation = ${operation} and id_messaggio = ${idMessaggio}`);
  return rows[0] && { ...rows[0], deliveredAt: asDate(rows[0].deliveredAt) };
}
