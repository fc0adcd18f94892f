/**
 * Money is integer euro cents inside Cassa. JSON and SOAP carry euros with at most two decimals;
 * these are the only conversions at the boundary, and the only way amounts are written for people.
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

// Italian currency style writes 1234,56 (four-digit amounts ungrouped); Cassa's texts and the manual's
// screens group every thousand (1.234,56): hence useGrouping true ("always").
const EURO = new Intl.NumberFormat('it-IT', { style: 'currency', currency: 'EUR', useGrouping: true });

/**
 * An amount's figures in Italian notation, without the symbol: "1.234,56". Read from the formatter's
 * parts, so neither the space ICU puts before the symbol (a no-break space) nor the symbol's place leak out.
 */
export function euroFigures(cents: number): string {
  return EURO.formatToParts(cents / 100)
    .filter((p) => p.type !== 'currency' && p.type !== 'literal')
    .map((p) => p.value)
    .join('');
}

/** An amount as Italian text writes it, in messages: "1.234,56 €" (a plain space). */
export function formatCents(cents: number): string {
  return `${euroFigures(cents)} €`;
}
