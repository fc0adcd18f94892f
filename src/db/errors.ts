/**
 * Connection-level database failures, told apart from every other error in one place: the server
 * restarted or failed over, a pooler closed the connection, nothing listens, a connection could not be
 * had in time. Such a failure says nothing about the request: the edges answer "unavailable, retry"
 * (PAA_SYSTEM_ERROR, 503) and the worker's loops pause and retry; it is never a crash.
 */

/** SQLSTATEs of a connection lost or refused: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket errors of a server that is not there (or no longer). */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
/** node-postgres and pg-pool say it in words only (pg-boss appends its queue to the message). */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // 'Connection terminated unexpectedly', '... due to connection timeout'
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^timeout exceeded when trying to connect/, // pg-pool: no client within connectionTimeoutMillis
  /^terminating connection due to/, // 57P01's text, when the code was lost on the way
];

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * Whether `err` (or what it wraps: drizzle's DrizzleQueryError `cause`, an AggregateError's `errors`,
 * pg-boss's copies of an error as a plain object) is a connection-level failure of the database.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return rootUnavailable(err, 0) !== undefined;
}

function rootUnavailable(err: unknown, depth: number): ErrorLike | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as ErrorLike;
  if (typeof e.code === 'string') {
    if (
      UNAVAILABLE_SQLSTATES.has(e.code) ||
      /^08[0-9A-Z]{3}$/.test(e.code) ||
      UNAVAILABLE_SOCKET_CODES.has(e.code)
    )
      return e;
  }
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(e.message as string)))
    return e;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = rootUnavailable(inner, depth + 1);
      if (found) return found;
    }
  }
  return rootUnavailable(e.cause, depth + 1);
}

/** What may be logged of a database error: its code and the driver's own message, never the SQL nor its parameters. */
export interface DbErrorSummary {
  code?: string;
  message: string;
}

/**
 * A database error as it may be logged. drizzle's DrizzleQueryError carries the statement and its
 * parameters in its message (personal data: fiscal codes, names, receipts), so the driver's error it
 * wraps is described instead; pg's DatabaseError `detail` can quote values and is left out too.
 */
export function dbErrorSummary(err: unknown): DbErrorSummary {
  const unavailable = rootUnavailable(err, 0);
  let e: ErrorLike | undefined = unavailable ?? (err as ErrorLike | undefined);
  // unwrap drizzle's wrapper (its message is "Failed query: ... params: ...")
  for (
    let i = 0;
    i < 5 &&
    e &&
    typeof e === 'object' &&
    e.cause &&
    typeof e.message === 'string' &&
    e.message.startsWith('Failed query:');
    i++
  )
    e = e.cause;
  // class 22 (data exception) messages end with the offending value ("…: \"RSSMRA80A01H501U\""): cut before it
  const text =
    e && typeof e.message === 'string' && !e.message.startsWith('Failed query:')
      ? e.message.split('\n')[0]!
      : 'database error';
  const message = (
    e && typeof e.code === 'string' && e.code.startsWith('22') ? text.split(': ')[0]! : text
  ).slice(0, 200);
  const code = e && typeof e.code === 'string' ? e.code : undefined;
  return code ? { code, message } : { message };
}

/**
 * The state of one loop (or component) against database outages: while the database is unavailable
 * it waits longer and longer between attempts (from `baseMs`, doubling, up to `maxMs`) and logs one line
 * when the outage starts and one when it is over, instead of a line at every attempt.
 */
export class OutageBackoff {
  private failures = 0;
  private since = 0;

  constructor(
    private readonly what: string,
    private readonly logger:
      { warn(obj: object, msg: string): void; info(obj: object, msg: string): void } | undefined,
    private readonly baseMs: number,
    private readonly maxMs = 5_000,
  ) {}

  /** Whether the last attempt failed for want of the database. */
  get down(): boolean {
    return this.failures > 0;
  }

  /**
   * Records an attempt that failed: for a connection-level failure returns how long to wait before the
   * next one (logging only the first of the outage); for any other error returns undefined (the caller
   * logs it as before).
   */
  failed(err: unknown): number | undefined {
    if (!isDatabaseUnavailable(err)) return undefined;
    if (this.failures === 0) {
      this.since = Date.now();
      this.logger?.warn(
        { loop: this.what, db: dbErrorSummary(err) },
        'database unavailable: pausing and retrying with backoff',
      );
    }
    this.failures++;
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, 16));
  }

  /** Records an attempt that reached the database: ends the outage, if there was one, with a line. */
  succeeded(): void {
    if (this.failures === 0) return;
    this.logger?.info(
      { loop: this.what, attempts: this.failures, outageMs: Date.now() - this.since },
      'database available again: resumed',
    );
    this.failures = 0;
  }
}
