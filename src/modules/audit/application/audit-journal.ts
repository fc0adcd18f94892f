import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import { namedStatement, type Database } from '../../../db/database.js';
import { auditEvent } from '../../../db/schema.js';
import { redactPayload } from '../domain/redaction.js';

type EventRow = typeof auditEvent.$inferInsert;

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

async function insertEvents(db: Database, batch: EventRow[]): Promise<void> {
  const col = <K extends keyof EventRow>(k: K) => batch.map((e) => e[k] ?? null);
  await db.run(INSERT_EVENTS, [
    batch.map((e) => (e.at as Date).toISOString()),
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

/** One inbound or outbound call, as the journal keeps it (like GovPay's Giornale degli Eventi). */
export interface AuditRecord {
  at: Date;
  interface: string;
  direction: 'IN' | 'OUT';
  operation: string;
  caller?: string | null | undefined;
  enteFiscalCode?: string | null | undefined;
  iuv?: string | null | undefined;
  outcome: string;
  httpStatus?: number | null | undefined;
  durationMs: number;
  correlationId: string;
  detail?: string | null | undefined;
  requestPayload?: string | null | undefined;
  responsePayload?: string | null | undefined;
}

export interface AuditQuery {
  interface?: string | undefined;
  operation?: string | undefined;
  caller?: string | undefined;
  enteFiscalCode?: string | undefined;
  iuv?: string | undefined;
  outcome?: string | undefined;
  correlationId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset cursor: the id of the last event of the previous page. */
  before?: number | undefined;
  limit: number;
}

export interface AuditOptions {
  keepPayloads: boolean;
  payloadMaxBytes: number;
  /** Flush when this many events wait, or after flushIntervalMs, whichever comes first. */
  batchSize?: number;
  flushIntervalMs?: number;
  /** Called with the number of events given up: not written, and never will be (metrics). */
  onWriteFailure?: (events: number) => void;
}

/**
 * Writes the audit journal. Events are buffered for a few milliseconds and written in one
 * multi-row insert, so that auditing does not add a round trip to every call; a clean shutdown
 * flushes. What a crash can lose is at most the last flush interval of journal lines, never
 * business data (documented in docs/decisions/0003-audit-journal.md).
 */
export class AuditJournal {
  private buffer: EventRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;

  constructor(
    private readonly db: Database,
    private readonly opts: AuditOptions,
    private readonly onError: (err: unknown) => void = () => undefined,
    /** after a batch is written (ends an outage reported through onError) */
    private readonly onWritten: () => void = () => undefined,
  ) {
    this.batchSize = opts.batchSize ?? 500;
    this.flushIntervalMs = opts.flushIntervalMs ?? 50;
  }

  record(r: AuditRecord): void {
    this.buffer.push({
      at: r.at,
      interface: r.interface,
      direction: r.direction,
      operation: r.operation.slice(0, 80),
      caller: r.caller?.slice(0, 80) ?? null,
      enteFiscalCode: r.enteFiscalCode?.slice(0, 16) ?? null,
      iuv: r.iuv?.slice(0, 35) ?? null,
      outcome: r.outcome.slice(0, 40),
      httpStatus: r.httpStatus ?? null,
      durationMs: Math.max(0, Math.round(r.durationMs)),
      correlationId: r.correlationId.slice(0, 80),
      detail: r.detail?.slice(0, 1000) ?? null,
      requestPayload: this.payload(r.requestPayload),
      responsePayload: this.payload(r.responsePayload),
    });
    if (this.buffer.length >= this.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushIntervalMs);
  }

  /** Writes whatever is buffered; resolves when every event recorded so far is in the database. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buffer;
    this.buffer = [];
    const previous = this.inflight;
    this.inflight = (async () => {
      await previous;
      if (batch.length === 0) return;
      try {
        await insertEvents(this.db, batch);
        this.onWritten();
      } catch (err) {
        this.opts.onWriteFailure?.(batch.length);
        this.onError(err);
      }
    })();
    return this.inflight;
  }

  async query(q: AuditQuery) {
    await this.flush();
    const where: SQL[] = [];
    if (q.interface) where.push(eq(auditEvent.interface, q.interface));
    if (q.operation) where.push(eq(auditEvent.operation, q.operation));
    if (q.caller) where.push(eq(auditEvent.caller, q.caller));
    if (q.enteFiscalCode) where.push(eq(auditEvent.enteFiscalCode, q.enteFiscalCode));
    if (q.iuv) where.push(eq(auditEvent.iuv, q.iuv));
    if (q.outcome) where.push(eq(auditEvent.outcome, q.outcome));
    if (q.correlationId) where.push(eq(auditEvent.correlationId, q.correlationId));
    if (q.from) where.push(gte(auditEvent.at, q.from));
    if (q.to) where.push(lte(auditEvent.at, q.to));
    if (q.before !== undefined) where.push(lt(auditEvent.id, q.before));
    const rows = await this.db.orm
      .select()
      .from(auditEvent)
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(auditEvent.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return { items: page, nextBefore: rows.length > q.limit ? page[page.length - 1]!.id : null };
  }

  private payload(p: string | null | undefined): string | null {
    if (!this.opts.keepPayloads || p === undefined || p === null) return null;
    const redacted = redactPayload(p);
    return Buffer.byteLength(redacted) > this.opts.payloadMaxBytes ? `${redacted.slice(0, this.opts.payloadMaxBytes)}…[troncato]` : redacted;
  }
}
