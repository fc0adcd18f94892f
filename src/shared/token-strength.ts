/**
 * How guessable a secret token is: a conservative estimate of its entropy in bits, for refusing
 * weak admin tokens in production. Pure and deterministic.
 *
 * The estimate is length × bits per character of the alphabet the token draws from (hexadecimal 4,
 * digits 3.3, both cases of letters (base64) 6, with symbols 6.57), after discounting what a random token
 * practically never shows: a repeating pattern (`aaaa…`, `abcabc…`, `0123456789abcdef` twice) counts
 * as one period; too few distinct characters for its length count as an alphabet of that many;
 * a long run of consecutive or repeated characters (`abcdefgh`, `13579bdf`, `xxxxxxxx`) counts as
 * its first two. Real random tokens pass intact: `openssl rand -base64 32` (44 characters, about
 * 260 bits) and `openssl rand -hex 32` (64 characters, 256 bits).
 */

/** The strength the admin token must have in production: 32 random bytes' worth. */
export const MIN_TOKEN_BITS = 256;

/** Runs of this many characters with a constant step (0 = repeated) count as their first two. */
const RUN = 8;

function alphabetSize(chars: readonly number[]): number {
  let lower = false;
  let upper = false;
  let digit = false;
  let symbol = false;
  let other = false;
  let hexLower = true;
  let hexUpper = true;
  for (const c of chars) {
    if (c >= 0x61 && c <= 0x7a) {
      lower = true;
      hexUpper = false;
      if (c > 0x66) hexLower = false;
    } else if (c >= 0x41 && c <= 0x5a) {
      upper = true;
      hexLower = false;
      if (c > 0x46) hexUpper = false;
    } else if (c >= 0x30 && c <= 0x39) digit = true;
    else {
      hexLower = hexUpper = false;
      if (c > 0x20 && c < 0x7f) symbol = true;
      else other = true;
    }
  }
  if (digit && (lower || upper) && (hexLower || hexUpper)) return 16;
  const size = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (symbol ? 33 : 0) + (other ? 64 : 0);
  // both cases: a base64 alphabet, even when a short draw happens to show no digit or symbol
  return lower && upper ? Math.max(size, 64) : size;
}

/** The shortest period p of `chars` (chars[i] === chars[i + p] throughout), or its length. */
function period(chars: readonly number[]): number {
  for (let p = 1; p <= chars.length / 2; p++) {
    let ok = true;
    for (let i = p; i < chars.length && ok; i++) ok = chars[i] === chars[i - p];
    if (ok) return p;
  }
  return chars.length;
}

/** Characters left once long constant-step runs count as their first two. */
function withoutRuns(chars: readonly number[]): number[] {
  const out: number[] = [];
  let start = 0;
  while (start < chars.length) {
    let end = start + 1;
    if (end < chars.length) {
      const step = chars[end]! - chars[start]!;
      while (end + 1 < chars.length && chars[end + 1]! - chars[end]! === step) end++;
    }
    const len = end - start + 1;
    if (len >= RUN) {
      out.push(chars[start]!, chars[start + 1]!);
      start = end + 1;
    } else {
      out.push(chars[start]!);
      start++;
    }
  }
  return out;
}

/** Conservative entropy estimate of `token`, in bits (see above). */
export function estimateTokenBits(token: string): number {
  const all = Array.from(token, (ch) => ch.codePointAt(0)!);
  if (all.length === 0) return 0;
  const chars = withoutRuns(all.slice(0, period(all)));
  const alphabet = alphabetSize(all);
  if (alphabet <= 1) return 0;
  // the distinct characters a random draw of this length from this alphabet shows, on average
  const expected = alphabet * (1 - Math.pow(1 - 1 / alphabet, chars.length));
  const distinct = new Set(chars).size;
  const perChar = distinct < expected / 2 ? Math.log2(Math.max(distinct, 1)) : Math.log2(alphabet);
  return chars.length * perChar;
}
