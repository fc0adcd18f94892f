/**
 * Errors as logs and stored reasons (last_error columns, journal details) may show them: what went wrong and
 * where, never the data involved. A failed query's error carries its SQL parameters (a debtor's fiscal code,
 * names, e-mail, an IBAN, a whole message body): drizzle puts them in its message and in `params`, PostgreSQL
 * echoes values in `detail` ("Key (…)=(…) already exists") and in data-exception messages ("invalid input syntax
 * for type integer: \"…\""). Only the fields below survive, and messages are cut before any echoed value.
 */
import { DrizzleQueryError } from 'drizzle-orm';

/** Fields of a PostgreSQL error (node-postgres DatabaseError, PGlite's) that name things, never values. */
const SAFE_DB_FIELDS = [
  'code',
  'severity',
  'constraint',
  'table',
  'column',
  'dataType',
  'schema',
  'routine',
] as const;
/** Other fields worth keeping on any error: machine codes, HTTP status, the offending field's name. */
const SAFE_FIELDS = ['code', 'kind', 'statusCode', 'field', 'errno', 'syscall'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object';
}

/** A PostgreSQL error: a five-character SQLSTATE and a severity. */
function isDatabaseError(e: unknown): e is Error & Record<string, unknown> {
  if (!(e instanceof Error) || !('severity' in e)) return false;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

function ownMessage(e: unknown): string {
  if (e instanceof DrizzleQueryError) return 'query failed';
  if (isDatabaseError(e)) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a driver's error, logged as a last resort: its message is not trusted to be text
    const m = String(e.message);
    // class 22 (data exception) messages end with the offending value: keep what kind of value was wrong
    return String(e.code).startsWith('22') ? m.split(': ')[0]! : m;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The message of an error and of its causes, without data: "query failed: invalid byte sequence for encoding \"UTF8\"". */
export function safeErrorMessage(err: unknown, depth = 0): string {
  const own = ownMessage(err);
  const cause = err instanceof Error ? (err as { cause?: unknown }).cause : undefined;
  if (cause === undefined || cause === null || depth >= 4) return own;
  return `${own}: ${safeErrorMessage(cause, depth + 1)}`;
}

/** The stack's frames only ("    at …"): its first lines repeat the message, which may carry data. */
function framesOf(e: Error): string {
  const stack = e.stack ?? '';
  const i = stack.indexOf('\n    at ');
  return i < 0 ? '' : stack.slice(i);
}

/** pino's serializer for `err`: type, safe message and frames, and the fields that name things. */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) {
    if (!isRecord(err)) return err;
    // a plain object thrown or rejected (pg-boss copies errors so): its naming fields, not its message
    const out: Record<string, unknown> = { type: 'object' };
    for (const k of SAFE_FIELDS)
      if (typeof err[k] === 'string' || typeof err[k] === 'number') out[k] = err[k];
    return out;
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a thrown object can have any shape: one without a constructor is still logged
  const type = err.constructor?.name || err.name;
  const out: Record<string, unknown> = {
    type,
    message: ownMessage(err),
    stack: `${type}: ${ownMessage(err)}${framesOf(err)}`,
  };
  const fields: readonly string[] = isDatabaseError(err) ? SAFE_DB_FIELDS : SAFE_FIELDS;
  for (const k of fields) {
    const v = (err as unknown as Record<string, unknown>)[k];
    if (v !== undefined && (typeof v === 'string' || typeof v === 'number')) out[k] = v;
  }
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== null && depth < 4) out.cause = serializeError(cause, depth + 1);
  return out;
}
