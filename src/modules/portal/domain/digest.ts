/**
 * The digest of the redirect from a gestionale (seed 000 §2.1, PiemontePAY's
 * ChiamataEsternaComplexValidator.calcolaDigest): Base64(SHA-256(UTF-8 of
 * passphrase + sep + codiceChiamante + identificativoPagamento + iuv + url + sep)), where url is
 * the return URL registered for the caller (never one sent in the request) and sep is '%%%' (the
 * manual) or '%%%%' (PiemontePAY's code). Cassa accepts either unless the application restricts it.
 *
 * Comparison: CR and LF are ignored (Base64 encoders that wrap lines), and letters compare
 * case-insensitively as PiemontePAY's equalsIgnoreCase does, so that a gestionale that worked
 * there works here; that costs under one bit per letter of a 256-bit digest. The comparison runs
 * in constant time over the normalised values.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const SEPARATORS = ['%%%', '%%%%'] as const;
export type Separator = (typeof SEPARATORS)[number];
export type SeparatorSetting = 'any' | Separator;

export interface DigestFields {
  passphrase: string;
  codiceChiamante: string;
  identificativoPagamento: string;
  iuv: string;
  /** The caller's registered return URL. */
  returnUrl: string;
}

export type CodEsito = '000' | '100';

export function computeDigest(f: DigestFields, sep: Separator): string {
  const text = f.passphrase + sep + f.codiceChiamante + f.identificativoPagamento + f.iuv + f.returnUrl + sep;
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/**
 * The digest of the return link in 'signed' mode: the same fields plus codEsito, before the
 * closing separator, so that a citizen cannot turn a 100 into a 000:
 * Base64(SHA-256(passphrase + sep + codiceChiamante + identificativoPagamento + iuv + url + codEsito + sep)).
 */
export function computeReturnDigest(f: DigestFields, codEsito: CodEsito, sep: Separator): string {
  const text =
    f.passphrase + sep + f.codiceChiamante + f.identificativoPagamento + f.iuv + f.returnUrl + codEsito + sep;
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

function normalise(digest: string): Buffer {
  return Buffer.from(digest.replace(/[\r\n]/g, '').toUpperCase(), 'utf8');
}

function sameDigest(received: Buffer, expected: string): boolean {
  const e = normalise(expected);
  // lengths differ only for a malformed digest; compare against itself to spend the same time
  if (received.length !== e.length) {
    timingSafeEqual(e, e);
    return false;
  }
  return timingSafeEqual(received, e);
}

/** Which separator the received digest was computed with, among those allowed; null when none. */
export function matchDigest(received: string, f: DigestFields, setting: SeparatorSetting): Separator | null {
  const r = normalise(received);
  let matched: Separator | null = null;
  // every allowed separator is tried (no early exit), so the time does not tell which one matched
  for (const sep of SEPARATORS) {
    if (setting !== 'any' && setting !== sep) continue;
    if (sameDigest(r, computeDigest(f, sep)) && matched === null) matched = sep;
  }
  return matched;
}

/**
 * The GET link back to the caller (seed 000 §2.2):
 * {returnUrl}?idPagamento={identificativoPagamento}&digest={digest}&codEsito={000|100}, every value
 * URL-encoded (a Base64 '+' must not arrive as a space).
 */
export function returnLink(
  returnUrl: string,
  identificativoPagamento: string,
  digest: string,
  codEsito: CodEsito,
): string {
  const q = new URLSearchParams({ idPagamento: identificativoPagamento, digest, codEsito });
  return `${returnUrl}?${q.toString()}`;
}
