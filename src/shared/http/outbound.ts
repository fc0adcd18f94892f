/**
 * Cassa's one way of calling another system over HTTP (pagoPA Checkout, a gestionale's
 * EPaywso2EntiService): one request under a timeout, redirects not followed (a 3xx is an answer for
 * the caller to read, not a place for Cassa to go), the answer read up to an optional size cap, and
 * what happened on the wire returned as an outcome, never thrown. Whether an outcome counts as
 * success is the caller's business.
 */

export interface OutboundRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  /** The whole exchange, answer included: past it the call is abandoned and reported as a timeout. */
  timeoutMs: number;
  /**
   * Answers longer than this many bytes are not read (the rest of the stream is cancelled) and the call
   * is reported as unreachable, so a misbehaving endpoint cannot fill memory. Without it the whole answer is read.
   */
  maxAnswerBytes?: number | undefined;
  /**
   * Keep a leading UTF-8 byte-order mark in the answer's text (as the gestionali's deliveries always
   * journaled it) instead of dropping it as `Response.text()` does (Checkout).
   */
  keepByteOrderMark?: boolean | undefined;
}

export type OutboundOutcome =
  | { kind: 'answered'; status: number; headers: Headers; body: string; durationMs: number }
  | { kind: 'timeout'; durationMs: number }
  | { kind: 'unreachable'; reason: string; durationMs: number };

/** How much of an answer's text the callers keep for the journal. */
export const KEPT_ANSWER_CHARS = 16_384;

export async function callOutbound(req: OutboundRequest): Promise<OutboundOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const signal = AbortSignal.timeout(req.timeoutMs);
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal,
    });
    const max = req.maxAnswerBytes ?? Number.POSITIVE_INFINITY;
    const body = await readLimited(res, max, req.keepByteOrderMark ?? false);
    if (body === null)
      return { kind: 'unreachable', reason: `answer larger than ${max} bytes`, durationMs: elapsed() };
    return { kind: 'answered', status: res.status, headers: res.headers, body, durationMs: elapsed() };
  } catch (err) {
    if (signal.aborted) return { kind: 'timeout', durationMs: elapsed() };
    return { kind: 'unreachable', reason: describeNetworkError(err), durationMs: elapsed() };
  }
}

/**
 * The answer's text (UTF-8, malformed bytes as U+FFFD; a leading BOM dropped, as `Response.text()` does,
 * unless `keepBom`), or null (and the rest of the stream cancelled) when it exceeds `max` bytes.
 */
async function readLimited(res: Response, max: number, keepBom: boolean): Promise<string | null> {
  if (!res.body) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8', { ignoreBOM: keepBom }).decode(Buffer.concat(chunks));
}

/** "fetch failed" says nothing: the cause (ECONNREFUSED, ENOTFOUND, a TLS error) does. */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
