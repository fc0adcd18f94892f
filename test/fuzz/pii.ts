import { numericCheckDigit, personCheckCharacter } from '../../src/shared/fiscal-code.js';
import { ibanCheckDigits } from '../../src/shared/iban.js';
import type { Rng } from './prng.js';

/**
 * Personal data the fuzzer puts in requests: made up for each case (valid fiscal codes and IBANs,
 * unusual names), so that finding one of them in a log line points at the request that carried it.
 */

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const MONTHS = 'ABCDEHLMPRST';

/** A person's codice fiscale with a correct check character. */
export function personFiscalCode(rng: Rng): string {
  const day = rng.range(1, 28) + (rng.chance(0.5) ? 40 : 0);
  const body =
    rng.chars(LETTERS, 6) +
    String(rng.range(40, 99)) +
    rng.pick(Array.from(MONTHS)) +
    String(day).padStart(2, '0') +
    rng.pick(Array.from('ABCDEFGHLMZ')) +
    String(rng.range(100, 999));
  return body + personCheckCharacter(body);
}

/** An 11-digit codice fiscale / partita IVA with a correct check digit. */
export function numericFiscalCode(rng: Rng): string {
  const body = String(rng.range(1, 9)) + rng.chars('0123456789', 9);
  return body + numericCheckDigit(body);
}

/** An Italian IBAN with correct check digits. */
export function italianIban(rng: Rng): string {
  const bban = rng.pick(Array.from(LETTERS)) + rng.chars('0123456789', 22);
  return `IT${ibanCheckDigits('IT', bban)}${bban}`;
}

const SYLLABLES = [
  'zor',
  'vin',
  'qua',
  'bel',
  'tri',
  'mox',
  'dal',
  'ker',
  'fio',
  'ruz',
  'pel',
  'gax',
  'lum',
  'sen',
  'wob',
  'yet',
];

/** A made-up name, 8-12 letters, capitalised: never a word that could appear in a log for another reason. */
export function personName(rng: Rng): string {
  let s = '';
  while (s.length < 8) s += rng.pick(SYLLABLES);
  s += rng.chars('bcdfglmnprstvz', rng.range(0, 2));
  return s[0]!.toUpperCase() + s.slice(1);
}

export function email(rng: Rng): string {
  return `${personName(rng).toLowerCase()}.${rng.chars('abcdefghijkmnpqrstuvwxyz23456789', 8)}@fuzz-${rng.chars('abcdefghijk', 6)}.example`;
}

export interface Person {
  fiscalCode: string;
  name: string;
  surname: string;
  email: string;
}

export function person(rng: Rng): Person {
  return {
    fiscalCode: personFiscalCode(rng),
    name: personName(rng),
    surname: personName(rng),
    email: email(rng),
  };
}

/**
 * What to look for in the log: the JSON-escaped value itself and every 8-character window of its
 * runs of letters and digits (a value split by an inserted control character still leaks its
 * pieces). Lower case: a server that upper-cases a fiscal code still logs it.
 */
export function needlesOf(value: unknown): string[] {
  if (typeof value !== 'string' || value.length === 0) return [];
  const out = new Set<string>();
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped.length >= 8 && escaped.length <= 2000) out.add(escaped.toLowerCase());
  for (const m of value.slice(0, 2000).matchAll(/[A-Za-z0-9]{8,}/g)) {
    const run = m[0].toLowerCase();
    for (let i = 0; i + 8 <= run.length; i++) out.add(run.slice(i, i + 8));
  }
  // a long repeated run (AAAA...) is no personal data of anyone, and a window of digits only (the
  // middle of an IBAN) could be any number of the log (an IUV, a time)
  return [...out].filter((n) => new Set(n).size > 3 && /[a-z]/.test(n));
}
