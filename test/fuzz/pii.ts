import type { Rng } from './prng.js';

/**
 * Personal data the fuzzer puts in requests: made up for each case (valid fiscal codes and IBANs,
 * unusual names), so that finding one of them in a log line points at the request that carried it.
 */

const ODD: Record<string, number> = {
  0: 1,
  1: 0,
  2: 5,
  3: 7,
  4: 9,
  5: 13,
  6: 15,
  7: 17,
  8: 19,
  9: 21,
  A: 1,
  B: 0,
  C: 5,
  D: 7,
  E: 9,
  F: 13,
  G: 15,
  H: 17,
  I: 19,
  J: 21,
  K: 2,
  L: 4,
  M: 18,
  N: 20,
  O: 11,
  P: 3,
  Q: 6,
  R: 8,
  S: 12,
  T: 14,
  U: 16,
  V: 10,
  W: 22,
  X: 25,
  Y: 24,
  Z: 23,
};
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
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const c = body[i]!;
    sum += i % 2 === 0 ? ODD[c]! : c >= '0' && c <= '9' ? Number(c) : c.charCodeAt(0) - 65;
  }
  return body + String.fromCharCode(65 + (sum % 26));
}

/** An 11-digit codice fiscale / partita IVA with a correct check digit. */
export function numericFiscalCode(rng: Rng): string {
  const body = String(rng.range(1, 9)) + rng.chars('0123456789', 9);
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(body[i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/** An Italian IBAN with correct check digits. */
export function italianIban(rng: Rng): string {
  const bban = rng.pick(Array.from(LETTERS)) + rng.chars('0123456789', 22);
  const numeric = (s: string) =>
    Array.from(s)
      .map((ch) => (ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch))
      .join('');
  let rem = 0;
  for (const d of numeric(`${bban}IT00`)) rem = (rem * 10 + Number(d)) % 97;
  return `IT${String(98 - rem).padStart(2, '0')}${bban}`;
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
