import type { Database } from '../../../db/database.js';
import { redactPayload } from '../domain/redaction.js';
import { isDatabaseUnavailable } from '../../../db/errors.js';
import {
  findEvents,
  insertEvents,
  type AuditEventFilter,
  type AuditEventInsert,
} from '../infra/audit-repository.js';

type EventRow = AuditEventInsert;

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

/** A page of the journal: `before` is the id of the last event of the previous page. */
export type AuditQuery = AuditEventFilter;

export interface AuditOptions {
  keepPayloads: boolean;
  payloadMaxBytes: number;
  /** Flush when this many events wait, or after flushIntervalMs, whichever comes first. */
  batchSize?: number;
  flushIntervalMs?: number;
  /** Events kept in memory while the database is unavailable (beyond: the oldest are given up, counted). */
  maxHeldEvents?: number;
  /** Called with the number of events given up: not written, and never will be (metrics). */
  onWriteFailure?: (events: number) => void;
}

// eslint-disable-next-line no-control-regex -- NUL, which no PostgreSQL text column accepts, is what is looked for
const NUL = /\u0000/g;

/**
 * Text as PostgreSQL's text columns can hold it: NUL (which no text column accepts) written as the six characters
 * `\u0000`, an unpaired surrogate (not valid UTF-8) as U+FFFD. A payload keeps every other character as received.
 */
export function journalText(s: string): string {
  return s
    .replace(NUL, '\\u0000')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function text(s: string | null | undefined, max: number): string | null {
  return s === null || s === undefined ? null : journalText(s).slice(0, max);
}

/** The SQLSTATE of a failed write, through drizzle's wrapper. */
function sqlStateOf(err: unknown): string | undefined {
  for (
    let e: unknown = err, i = 0;
    e && typeof e === 'object' && i < 5;
    e = (e as { cause?: unknown }).cause, i++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * Writes the audit journal. Events are buffered for a few milliseconds and written in one
 * multi-row insert, so that auditing does not add a round trip to every call; a clean shutdown
 * flushes. What a crash can lose is at most the last flush interval of journal lines, never
 * business data (documented in docs/decisions/0003-audit-journal.md).
 *
 * No request can erase other calls' lines: text is stored as PostgreSQL can hold it (journalText); a batch that
 * PostgreSQL refuses is written again row by row, a row it still refuses is kept without its payloads, and only a
 * row refused even so is given up, counted (onWriteFailure) and logged. While the database is unavailable the
 * events are held (up to maxHeldEvents) and written when it is back.
 */
export class AuditJournal {
  private buffer: EventRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxHeld: number;
  private outageAttempts = 0;
  /** Events given up since the process started. */
  lost = 0;

  constructor(
    private readonly db: Database,
    private readonly opts: AuditOptions,
    private readonly onError: (err: unknown) => void = () => undefined,
    /** after a batch is written (ends an outage reported through onError) */
    private readonly onWritten: () => void = () => undefined,
  ) {
    this.batchSize = opts.batchSize ?? 500;
    this.flushIntervalMs = opts.flushIntervalMs ?? 50;
    this.maxHeld = opts.maxHeldEvents ?? 100_000;
  }

  record(r: AuditRecord): void {
    this.buffer.push({
      at: r.at,
      interface: text(r.interface, 40)!,
      direction: r.direction,
      operation: text(r.operation, 80)!,
      caller: text(r.caller, 80),
      enteFiscalCode: text(r.enteFiscalCode, 16),
      iuv: text(r.iuv, 35),
      outcome: text(r.outcome, 40)!,
      httpStatus: r.httpStatus ?? null,
      durationMs: Math.min(2_147_483_647, Math.max(0, Math.round(r.durationMs))),
      correlationId: text(r.correlationId, 80)!,
      detail: text(r.detail, 1000),
      requestPayload: this.payload(r.requestPayload),
      responsePayload: this.payload(r.responsePayload),
    });
    if (this.buffer.length >= this.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushIntervalMs);
  }

  /**
   * Writes whatever is buffered; resolves when every event recorded so far is in the database, or held for a
   * database that is unavailable, or given up (counted).
   */
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
      if (batch.length > 0) await this.write(batch);
    })();
    return this.inflight;
  }

  /**
   * A clean shutdown: writes what is buffered; what is still held for an unavailable database is given up,
   * counted and logged (the process is going away).
   */
  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length > 0) {
      const held = this.buffer.length;
      this.buffer = [];
      this.giveUp(
        held,
        new Error(`${held} eventi del giornale non scritti alla chiusura: database non disponibile`),
      );
    }
  }

  private async write(batch: EventRow[]): Promise<void> {
    try {
      await insertEvents(this.db, batch);
      this.outageAttempts = 0;
      this.onWritten();
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        this.hold(batch, err);
        return;
      }
      // PostgreSQL refused something in the batch: one row must not cost the others
      await this.writeRowByRow(batch);
    }
  }

  private async writeRowByRow(batch: EventRow[]): Promise<void> {
    for (let i = 0; i < batch.length; i++) {
      const row = batch[i]!;
      try {
        await insertEvents(this.db, [row]);
      } catch (err) {
        if (isDatabaseUnavailable(err)) {
          this.hold(batch.slice(i), err);
          return;
        }
        this.onError(err);
        try {
          // kept without what could not be stored, saying why
          const why = `[non memorizzabile: ${sqlStateOf(err) ?? 'errore'}]`;
          await insertEvents(this.db, [
            {
              ...row,
              requestPayload: row.requestPayload === null ? null : why,
              responsePayload: row.responsePayload === null ? null : why,
              detail: why,
            },
          ]);
        } catch (again) {
          this.giveUp(1, again);
        }
      }
    }
    this.onWritten();
  }

  /** The database is unavailable: the events wait (oldest first) and a write is tried again with backoff. */
  private hold(events: EventRow[], err: unknown): void {
    this.onError(err);
    this.buffer = events.concat(this.buffer);
    if (this.buffer.length > this.maxHeld)
      this.giveUp(this.buffer.splice(0, this.buffer.length - this.maxHeld).length, err);
    const delay = Math.min(5_000, 100 * 2 ** Math.min(this.outageAttempts++, 10));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delay);
  }

  private giveUp(events: number, err: unknown): void {
    this.lost += events;
    this.opts.onWriteFailure?.(events);
    this.onError(err);
  }

  async query(q: AuditQuery) {
    await this.flush();
    // one more than the page: whether there is a next one
    const rows = await findEvents(this.db, { ...q, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    return { items: page, nextBefore: rows.length > q.limit ? page[page.length - 1]!.id : null };
  }

  private payload(p: string | null | undefined): string | null {
    if (!this.opts.keepPayloads || p === undefined || p === null) return null;
    const redacted = journalText(redactPayload(p));
    return Buffer.byteLength(redacted) > this.opts.payloadMaxBytes
      ? `${redacted.slice(0, this.opts.payloadMaxBytes)}…[troncato]`
      : redacted;
  }
}
