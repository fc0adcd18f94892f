import { sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/database.js';
import type { PrintFilter, PrintFormat, PrintJobStatus } from '../domain/print-jobs.js';

/** The print jobs' tables (0013_print_jobs.sql): jobs, their frozen items, a merged PDF's parts and chunks. */

/** The database itself, or an open transaction. */
type Runner = Database | Executor;

/** Runs a statement on either and returns its rows. */
async function q<T = Record<string, unknown>>(db: Runner, query: SQL): Promise<T[]> {
  if ('rows' in db) return db.rows<T>(query);
  const r: unknown = await db.execute(query);
  return (r as { rows: T[] }).rows;
}

export async function enteIdOf(db: Runner, fiscalCode: string): Promise<number | undefined> {
  const rows = await q<{ id: number }>(
    db,
    sql`select id::int as id from ente where codice_fiscale = ${fiscalCode}`,
  );
  return rows[0]?.id;
}

export async function listEnteId(db: Runner, listId: number): Promise<number | undefined> {
  const rows = await q<{ enteId: number }>(
    db,
    sql`select ente_id::int as "enteId" from load_list where id = ${listId}`,
  );
  return rows[0]?.enteId;
}

export async function paymentTypeId(db: Runner, enteId: number, code: string): Promise<number | undefined> {
  const rows = await q<{ id: number }>(
    db,
    sql`select id::int as id from payment_type where ente_id = ${enteId} and codice_versamento = ${code}`,
  );
  return rows[0]?.id;
}

export interface NewJob {
  publicId: string;
  enteId: number;
  listId: number | null;
  filter: PrintFilter | null;
  format: PrintFormat;
  createdBy: string;
}

export async function insertJob(tx: Executor, j: NewJob): Promise<number> {
  const rows = await q<{ id: number }>(
    tx,
    sql`
      insert into print_job (public_id, ente_id, list_id, filter, format, total, created_by)
      values (${j.publicId}, ${j.enteId}, ${j.listId}, ${j.filter === null ? null : JSON.stringify(j.filter)}::jsonb,
              ${j.format}, 0, ${j.createdBy})
      returning id::int as id`,
  );
  return rows[0]!.id;
}

/**
 * Freezes the items of a list's job: its positions in the list's order, one item per document (the first of
 * its positions in the list stands for it) and one per position on its own. Returns how many.
 */
export async function freezeListItems(tx: Executor, jobId: number, listId: number): Promise<number> {
  const rows = await q<{ n: number }>(
    tx,
    sql`
      with src as (
        select min(li.seq) as ord, li.position_id, case when p.threshold_kind is null then p.document_id end as document_id
          from load_list_item li join debt_position p on p.id = li.position_id
         where li.list_id = ${listId}
         group by 2, 3
      ), one as (
        select distinct on (coalesce(document_id, -position_id)) ord, position_id, document_id
          from src order by coalesce(document_id, -position_id), ord
      ), ins as (
        insert into print_job_item (job_id, seq, position_id, document_id)
        select ${jobId}::bigint, (row_number() over (order by ord))::int - 1, position_id, document_id from one
        returning 1
      )
      select count(*)::int as n from ins`,
  );
  return rows[0]!.n;
}

/**
 * Freezes the items of a filter's job: the ente's PAYABLE positions of the payment type, due in the dates,
 * by due date (none last) then creation; one item per document, as for a list.
 */
export async function freezeFilterItems(
  tx: Executor,
  jobId: number,
  f: { enteId: number; paymentTypeId: number | null; dueFrom: string | null; dueTo: string | null },
): Promise<number> {
  const rows = await q<{ n: number }>(
    tx,
    sql`
      with src as (
        select row_number() over (order by p.due_date nulls last, p.id) as ord, p.id as position_id,
               case when p.threshold_kind is null then p.document_id end as document_id
          from debt_position p
         where p.ente_id = ${f.enteId} and p.status = 'PAYABLE'
           and (${f.paymentTypeId}::bigint is null or p.payment_type_id = ${f.paymentTypeId}::bigint)
           and (${f.dueFrom}::date is null or p.due_date >= ${f.dueFrom}::date)
           and (${f.dueTo}::date is null or p.due_date <= ${f.dueTo}::date)
      ), one as (
        select distinct on (coalesce(document_id, -position_id)) ord, position_id, document_id
          from src order by coalesce(document_id, -position_id), ord
      ), ins as (
        insert into print_job_item (job_id, seq, position_id, document_id)
        select ${jobId}::bigint, (row_number() over (order by ord))::int - 1, position_id, document_id from one
        returning 1
      )
      select count(*)::int as n from ins`,
  );
  return rows[0]!.n;
}

export async function setTotal(tx: Executor, jobId: number, total: number): Promise<void> {
  await q(tx, sql`update print_job set total = ${total} where id = ${jobId}`);
}

export interface JobRow {
  id: number;
  publicId: string;
  enteFiscalCode: string;
  listId: number | null;
  filter: PrintFilter | null;
  format: PrintFormat;
  status: PrintJobStatus;
  total: number;
  done: number;
  skipped: number;
  bytes: number;
  attempts: number;
  lastError: string | null;
  createdBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  expiresAt: Date | null;
}

export async function findJob(db: Runner, publicId: string): Promise<JobRow | undefined> {
  const rows = await q<
    Omit<JobRow, 'filter' | 'createdAt' | 'startedAt' | 'finishedAt' | 'expiresAt'> & {
      filter: unknown;
      createdAt: string | Date;
      startedAt: string | Date | null;
      finishedAt: string | Date | null;
      expiresAt: string | Date | null;
    }
  >(
    db,
    sql`
      select j.id::int as id, j.public_id as "publicId", e.codice_fiscale as "enteFiscalCode", j.list_id::int as "listId",
             j.filter::text as filter, j.format, j.status, j.total, j.done, j.skipped, j.bytes::float8 as bytes, j.attempts,
             j.last_error as "lastError", j.created_by as "createdBy", j.created_at as "createdAt", j.started_at as "startedAt",
             j.finished_at as "finishedAt", j.expires_at as "expiresAt"
        from print_job j join ente e on e.id = j.ente_id
       where j.public_id = ${publicId}`,
  );
  const r = rows[0];
  if (!r) return undefined;
  const date = (v: string | Date | null) => (v === null ? null : new Date(v));
  return {
    ...r,
    filter: typeof r.filter === 'string' ? (JSON.parse(r.filter) as PrintFilter) : null,
    createdAt: new Date(r.createdAt),
    startedAt: date(r.startedAt),
    finishedAt: date(r.finishedAt),
    expiresAt: date(r.expiresAt),
  };
}

export interface SkippedItem {
  seq: number;
  noticeNumber: string;
  reason: string;
}

/** The items left out of the file, in print order (the first `limit`). */
export async function skippedItems(db: Runner, jobId: number, limit: number): Promise<SkippedItem[]> {
  return q<SkippedItem>(
    db,
    sql`
      select i.seq, p.notice_number as "noticeNumber", i.skip_reason as reason
        from print_job_item i join debt_position p on p.id = i.position_id
       where i.job_id = ${jobId} and i.outcome = 'SKIPPED'
       order by i.seq limit ${limit}`,
  );
}

// ------------------------------------------------------------------------------------------- the worker

export interface ClaimedJob {
  id: number;
  publicId: string;
  format: PrintFormat;
  total: number;
  attempts: number;
  token: string;
}

/**
 * Jobs whose worker went away (lease past its time) after their last allowed attempt: FAILED, with their
 * output kept until the retention period ends like any finished job's.
 */
export async function failAbandoned(db: Runner, maxAttempts: number, retentionDays: number): Promise<number> {
  const rows = await q<{ id: number }>(
    db,
    sql`
      update print_job set status = 'FAILED', lease_token = null, lease_until = null, finished_at = now(),
             expires_at = now() + make_interval(days => ${retentionDays}), updated_at = now(),
             last_error = coalesce(last_error, 'the worker printing the job stopped (lease expired)')
       where status = 'RUNNING' and lease_until < now() and attempts >= ${maxAttempts}
      returning id::int as id`,
  );
  return rows.length;
}

/**
 * Claims the oldest job waiting (QUEUED and due) or abandoned (RUNNING with its lease past its time) under a new
 * lease token: the job's writes check the token, so a worker that lost its lease never writes again.
 */
export async function claimJob(db: Runner, token: string, leaseMs: number): Promise<ClaimedJob | undefined> {
  const rows = await q<ClaimedJob>(
    db,
    sql`
      with c as (
        select id from print_job
         where (status = 'QUEUED' and next_attempt_at <= now()) or (status = 'RUNNING' and lease_until < now())
         order by id limit 1
         for update skip locked
      )
      update print_job j
         set status = 'RUNNING', lease_token = ${token},
             lease_until = now() + make_interval(secs => ${leaseMs / 1000}),
             attempts = j.attempts + 1, started_at = coalesce(j.started_at, now()), updated_at = now()
        from c where j.id = c.id
      returning j.id::int as id, j.public_id as "publicId", j.format, j.total, j.attempts, j.lease_token as token`,
  );
  return rows[0];
}

/** Thrown when a job's lease was taken over (the worker was too slow, or thought dead): it stops writing. */
export class LeaseLost extends Error {
  constructor() {
    super('the print job was claimed by another worker');
  }
}

/** Locks the job's row for this transaction if the lease is still ours, and renews it; LeaseLost otherwise. */
export async function holdLease(tx: Executor, jobId: number, token: string, leaseMs: number): Promise<void> {
  const rows = await q<{ id: number }>(
    tx,
    sql`
      update print_job set lease_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
       where id = ${jobId} and lease_token = ${token} and status = 'RUNNING'
      returning id::int as id`,
  );
  if (rows.length === 0) throw new LeaseLost();
}

export interface PendingItem {
  seq: number;
  positionId: number;
  documentId: number | null;
}

/** The next items without an outcome, in print order. */
export async function nextItems(db: Runner, jobId: number, limit: number): Promise<PendingItem[]> {
  return q<PendingItem>(
    db,
    sql`
      select seq, position_id::int as "positionId", document_id::int as "documentId"
        from print_job_item where job_id = ${jobId} and outcome is null
       order by seq limit ${limit}`,
  );
}

/** A merged PDF's part: a batch's notices, committed with the batch's outcomes (seq: its first item). */
export async function insertPart(tx: Executor, jobId: number, seq: number, data: Buffer): Promise<void> {
  await q(tx, sql`insert into print_job_part (job_id, seq, data) values (${jobId}, ${seq}, ${data})`);
}

/** A merged PDF's parts in order, one row read at a time (a part in memory, not the job's). */
export async function* parts(db: Runner, jobId: number): AsyncGenerator<Buffer> {
  for (let after = -1; ;) {
    const rows = await q<{ seq: number; data: string }>(
      db,
      sql`
        select seq, encode(data, 'base64') as data from print_job_part
         where job_id = ${jobId} and seq > ${after} order by seq limit 1`,
    );
    const row = rows[0];
    if (!row) return;
    after = row.seq;
    yield Buffer.from(row.data, 'base64');
  }
}

/** The merge pass (re)starts: chunks of an earlier, interrupted pass go. */
export async function deleteChunks(tx: Executor, jobId: number): Promise<void> {
  await q(tx, sql`delete from print_job_chunk where job_id = ${jobId}`);
}

/** The merged file is written: its parts go. */
export async function deleteParts(tx: Executor, jobId: number): Promise<void> {
  await q(tx, sql`delete from print_job_part where job_id = ${jobId}`);
}

export async function insertChunk(tx: Executor, jobId: number, seq: number, data: Buffer): Promise<void> {
  await q(tx, sql`insert into print_job_chunk (job_id, seq, data) values (${jobId}, ${seq}, ${data})`);
}

export interface ItemOutcome {
  seq: number;
  /** null: printed; otherwise why it was skipped */
  skipReason: string | null;
  /** a ZIP's entry: the notice's own PDF */
  pdf?: Buffer | undefined;
}

/** Records a batch's outcomes (and a ZIP's entries) and adds them to the job's progress. */
export async function recordBatch(
  tx: Executor,
  jobId: number,
  outcomes: readonly ItemOutcome[],
  bytes: number,
): Promise<void> {
  if (outcomes.length === 0) return;
  const json = JSON.stringify(
    outcomes.map((o) => ({
      seq: o.seq,
      outcome: o.skipReason === null ? 'PRINTED' : 'SKIPPED',
      reason: o.skipReason?.slice(0, 200) ?? null,
      pdf: o.pdf?.toString('base64') ?? null,
    })),
  );
  await q(
    tx,
    sql`
    update print_job_item i set outcome = x.outcome, skip_reason = x.reason, pdf = decode(x.pdf, 'base64')
      from jsonb_to_recordset(${json}::jsonb) as x(seq int, outcome text, reason text, pdf text)
     where i.job_id = ${jobId} and i.seq = x.seq and i.outcome is null`,
  );
  const skipped = outcomes.filter((o) => o.skipReason !== null).length;
  await q(
    tx,
    sql`
    update print_job set done = done + ${outcomes.length}, skipped = skipped + ${skipped}, bytes = bytes + ${bytes}
     where id = ${jobId}`,
  );
}

/** The job is DONE: its output is kept until `retentionDays` from now. */
export async function markDone(tx: Executor, jobId: number, retentionDays: number): Promise<void> {
  await q(
    tx,
    sql`
    update print_job set status = 'DONE', lease_token = null, lease_until = null, finished_at = now(),
           expires_at = now() + make_interval(days => ${retentionDays}), last_error = null, updated_at = now()
     where id = ${jobId}`,
  );
}

/**
 * A job handed back by a stopping worker (SIGTERM, a deploy): queued again at once, and the claim does not
 * count as an attempt, so restarts never use up the attempts a real failure needs.
 */
export async function release(db: Runner, jobId: number, token: string): Promise<void> {
  await q(
    db,
    sql`
    update print_job set status = 'QUEUED', lease_token = null, lease_until = null, next_attempt_at = now(), updated_at = now(),
           attempts = greatest(attempts - 1, 0)
     where id = ${jobId} and lease_token = ${token} and status = 'RUNNING'`,
  );
}

/**
 * An attempt that failed: retried after `retryAfterSeconds`, or FAILED when it was the last one. Only the
 * holder of the lease records it.
 */
export async function recordFailure(
  db: Runner,
  jobId: number,
  token: string,
  f: { message: string; retryAfterSeconds: number; final: boolean; retentionDays: number },
): Promise<void> {
  await q(
    db,
    sql`
    update print_job
       set status = ${f.final ? 'FAILED' : 'QUEUED'}, lease_token = null, lease_until = null,
           last_error = ${f.message.slice(0, 1000)},
           next_attempt_at = now() + make_interval(secs => ${f.retryAfterSeconds}),
           finished_at = case when ${f.final} then now() end,
           expires_at = case when ${f.final} then now() + make_interval(days => ${f.retentionDays}) end,
           updated_at = now()
     where id = ${jobId} and lease_token = ${token} and status = 'RUNNING'`,
  );
}

// ------------------------------------------------------------------------------------------ the download

/** A merged PDF's chunk, by number (one row at a time: about 1 MB in memory). */
export async function chunk(db: Runner, jobId: number, seq: number): Promise<Buffer | undefined> {
  const rows = await q<{ data: string }>(
    db,
    sql`select encode(data, 'base64') as data from print_job_chunk where job_id = ${jobId} and seq = ${seq}`,
  );
  return rows[0] ? Buffer.from(rows[0].data, 'base64') : undefined;
}

export interface EntryInfo {
  seq: number;
  noticeNumber: string;
  size: number;
}

/** A ZIP's entries in order: their item, notice number and size (not their bytes). */
export async function entries(db: Runner, jobId: number): Promise<EntryInfo[]> {
  return q<EntryInfo>(
    db,
    sql`
      select i.seq, p.notice_number as "noticeNumber", length(i.pdf)::int as size
        from print_job_item i join debt_position p on p.id = i.position_id
       where i.job_id = ${jobId} and i.outcome = 'PRINTED'
       order by i.seq`,
  );
}

/** The entries' bytes from item `fromSeq` on, `limit` of them. */
export async function entryBytes(
  db: Runner,
  jobId: number,
  fromSeq: number,
  limit: number,
): Promise<{ seq: number; pdf: Buffer }[]> {
  const rows = await q<{ seq: number; pdf: string }>(
    db,
    sql`
      select seq, encode(pdf, 'base64') as pdf from print_job_item
       where job_id = ${jobId} and outcome = 'PRINTED' and seq >= ${fromSeq}
       order by seq limit ${limit}`,
  );
  return rows.map((r) => ({ seq: r.seq, pdf: Buffer.from(r.pdf, 'base64') }));
}

// ----------------------------------------------------------------------------------------- retention

/** Finished jobs past their retention: their output removed, the job kept as EXPIRED. Returns how many. */
export async function expireJobs(db: Database): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await q<{ id: number }>(
      tx,
      sql`
        select id::int as id from print_job where status in ('DONE', 'FAILED') and expires_at <= now()
         order by id limit 100 for update skip locked`,
    );
    const ids = rows.map((r) => r.id);
    if (ids.length === 0) return 0;
    const list = sql.join(
      ids.map((i) => sql`${i}`),
      sql`, `,
    );
    await q(tx, sql`delete from print_job_chunk where job_id in (${list})`);
    await q(tx, sql`delete from print_job_part where job_id in (${list})`);
    await q(tx, sql`delete from print_job_item where job_id in (${list})`);
    await q(tx, sql`update print_job set status = 'EXPIRED', updated_at = now() where id in (${list})`);
    return ids.length;
  });
}

/** A merged PDF's size once merged (its parts' sizes counted until then). */
export async function setBytes(tx: Executor, jobId: number, bytes: number): Promise<void> {
  await q(tx, sql`update print_job set bytes = ${bytes} where id = ${jobId}`);
}
