import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import { namedStatement, type Database } from '../../../db/database.js';
import { auditEvent } from '../../../db/schema.js';

export type AuditEventInsert = typeof auditEvent.$inferInsert;
export type AuditEventRow = typeof auditEvent.$inferSelect;

/**
 * One statement whatever the batch size (arrays, one per column), so that it is prepared once. The
 * journal is written in batches after the calls anyway (a crash can lose the last interval): its
 * commits do not wait for the WAL to reach the disk (synchronous_commit off for this transaction).
 */
const INSERT_EVENTS = namedStatement(
  'audit_insert_events',
  `with async_commit as (select set_config('synchronous_commit', 'off', true))
   insert into audit_event (at, interface, direction, operation, caller, ente_fiscal_code, iuv, outcome, http_status,
     duration_ms, correlation_id, detail, request_payload, response_payload)
   select u.* from async_commit, unnest($1::timestamptz[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[],
     $7::varchar[], $8::varchar[], $9::int[], $10::int[], $11::varchar[], $12::varchar[], $13::text[], $14::text[]) as u`,
);

/** Writes a batch of journal lines in one statement: all of them, or none (PostgreSQL refused one). */
export async function insertEvents(db: Database, batch: readonly AuditEventInsert[]): Promise<void> {
  const col = <K extends keyof AuditEventInsert>(k: K) => batch.map((e) => e[k] ?? null);
  await db.run(INSERT_EVENTS, [
    batch.map((e) => e.at.toISOString()),
    col('interface'),
    col('direction'),
    col('operation'),
    col('caller'),
    col('enteFiscalCode'),
    col('iuv'),
    col('outcome'),
    col('httpStatus'),
    col('durationMs'),
    col('correlationId'),
    col('detail'),
    col('requestPayload'),
    col('responsePayload'),
  ]);
}

export interface AuditEventFilter {
  interface?: string | undefined;
  operation?: string | undefined;
  caller?: string | undefined;
  enteFiscalCode?: string | undefined;
  iuv?: string | undefined;
  outcome?: string | undefined;
  correlationId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset cursor: events with a smaller id only. */
  before?: number | undefined;
  limit: number;
}

/** Journal lines matching every given field, newest first, at most `limit`. */
export async function findEvents(db: Database, f: AuditEventFilter): Promise<AuditEventRow[]> {
  const where: SQL[] = [];
  if (f.interface) where.push(eq(auditEvent.interface, f.interface));
  if (f.operation) where.push(eq(auditEvent.operation, f.operation));
  if (f.caller) where.push(eq(auditEvent.caller, f.caller));
  if (f.enteFiscalCode) where.push(eq(auditEvent.enteFiscalCode, f.enteFiscalCode));
  if (f.iuv) where.push(eq(auditEvent.iuv, f.iuv));
  if (f.outcome) where.push(eq(auditEvent.outcome, f.outcome));
  if (f.correlationId) where.push(eq(auditEvent.correlationId, f.correlationId));
  if (f.from) where.push(gte(auditEvent.at, f.from));
  if (f.to) where.push(lte(auditEvent.at, f.to));
  if (f.before !== undefined) where.push(lt(auditEvent.id, f.before));
  return db.orm
    .select()
    .from(auditEvent)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditEvent.id))
    .limit(f.limit);
}
