/** Italian fiscal codes: persons (16 characters, with check character) and legal entities / VAT (11 digits, Luhn-like check). */

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

const PERSON = /^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/;

export function isPersonFiscalCode(cf: string): boolean {
  return PERSON.test(cf) && personCheckCharacter(cf.slice(0, 15)) === cf[15];
}

/** The check character (16th) of a person's codice fiscale, from its first 15 characters. */
export function personCheckCharacter(first15: string): string {
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const c = first15[i]!;
    if (i % 2 === 0) sum += ODD[c]!;
    else sum += c >= '0' && c <= '9' ? Number(c) : c.charCodeAt(0) - 65;
  }
  return String.fromCharCode(65 + (sum % 26));
}

/** 11-digit codice fiscale numerico / partita IVA, with its check digit. */
export function isNumericFiscalCode(cf: string): boolean {
  return /^\d{11}$/.test(cf) && numericCheckDigit(cf.slice(0, 10)) === cf[10];
}

/** The check digit (11th) of a codice fiscale numerico / partita IVA, from its first 10 digits. */
export function numericCheckDigit(first10: string): string {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(first10[i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}
