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

/**
 * Which written forms of a decimal a caller takes (blanks around it are ignored in both):
 * - `plain`: what the epayapi and pagoPA's SOAP send: 1 to 12 digits, then optionally a point and 1 or 2
 *   digits ("100", "100.5", "100.50"); no sign.
 * - `xs:decimal`: every lexical form of an xs:decimal that is a PiemontePAY cmn:ImportoType (fractionDigits 2,
 *   totalDigits 12, 0.00 … 999999999.99): optional sign ("+10.00", "-0"), no integer part (".50"), no fraction
 *   digits ("10", "10."), leading zeros and trailing fraction zeros ("010.500": fractionDigits constrains the
 *   value, not the lexical form); at most 9 significant integer digits.
 */
export type DecimalSyntax = 'plain' | 'xs:decimal';

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** A decimal string to cents; null if not a decimal of that syntax, with more than two decimals, or negative. */
export function decimalToCents(s: string, syntax: DecimalSyntax = 'plain'): number | null {
  const m = DECIMAL.exec(s.trim());
  if (!m) return null;
  const sign = m[1]!;
  const integer = m[2]!;
  const decimals = m[3];
  let whole: string;
  let fraction: string;
  if (syntax === 'plain') {
    if (sign !== '' || integer.length < 1 || integer.length > 12) return null;
    if (decimals !== undefined && (decimals.length < 1 || decimals.length > 2)) return null;
    whole = integer;
    fraction = decimals ?? '';
  } else {
    if (integer === '' && !decimals) return null;
    whole = integer.replace(/^0+(?=\d)/, '') || '0';
    fraction = (decimals ?? '').replace(/0+$/, '');
    if (fraction.length > 2 || whole.length > 9) return null;
  }
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  // "-0" and "-0.00" are zero; a negative amount is not an amount
  if (sign === '-' && cents !== 0) return null;
  return cents;
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
