/**
 * Money is integer euro cents inside Cassa. JSON and SOAP carry euros with at most two decimals;
 * these are the only conversions at the boundary.
 */

/** Euros as a JSON number (e.g. 100.5) to cents; null when it has more than two decimals or is not finite. */
export function eurosToCents(euros: number): number | null {
  if (!Number.isFinite(euros)) return null;
  const cents = Math.round(euros * 100);
  // Float noise grows with the amount (one ulp of 1e11 is ~1.5e-5): tolerate a few ulps, not a fixed 1e-6.
  if (Math.abs(euros * 100 - cents) > Math.max(1e-6, Math.abs(cents) * Number.EPSILON * 8)) return null;
  return Number.isSafeInteger(cents) ? cents : null;
}

/** Euros as a decimal string with two places ("100.00"), as SOAP and xs:decimal want it. */
export function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Cents to a JSON number of euros (exact for any amount below 2^53 cents). */
export function centsToEuros(cents: number): number {
  return Number(centsToDecimal(cents));
}

/** A decimal string ("100.5", "100.50") to cents; null if malformed or with more than two decimals. */
export function decimalToCents(s: string): number | null {
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(s.trim());
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}
