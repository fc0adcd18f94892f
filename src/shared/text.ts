/**
 * Text lengths as the XSDs (xs:string maxLength) and PostgreSQL's varchar(n) count them: in
 * characters (Unicode code points), not in JavaScript's UTF-16 units, where an emoji or any
 * character beyond the Basic Multilingual Plane counts two.
 */

/** The number of characters (code points) of `s`. */
export function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // a high surrogate followed by a low one is one character
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * The first `max` characters of `s`: like `s.slice(0, max)` but counting code points, so that a
 * surrogate pair is never cut in half (a lone surrogate is not a character XML allows).
 */
export function truncateChars(s: string, max: number): string {
  if (s.length <= max) return s;
  let n = 0;
  let i = 0;
  while (i < s.length && n < max) {
    const c = s.charCodeAt(i);
    const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
    i += c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
    n++;
  }
  return s.slice(0, i);
}
