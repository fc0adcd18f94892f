/**
 * pagoPA notice numbers (numero avviso, NAV) and IUVs, per SACI "Generazione dello IUV":
 *   NAV = <aux digit 1n>[<application code 2n>]<IUV>, 18 digits.
 *   aux 3: IUV = <segregation code 2n><base 13n><check 2n>  (17 digits)  — what Cassa generates
 *   aux 0: IUV = <base 13n><check 2n>  (15 digits), NAV = 0 + application code + IUV  — legacy, accepted
 * The check digit is (aux + segregation|application code + base) mod 93, on 2 digits.
 */

export const MAX_PROGRESSIVE = 9_999_999_999_999n; // 13 digits

export function checkDigit(auxDigit: string, code: string, base: string): string {
  return (BigInt(`${auxDigit}${code}${base}`) % 93n).toString().padStart(2, '0');
}

export interface Iuv {
  iuv: string;
  noticeNumber: string;
  auxDigit: '0' | '3';
}

/** The aux-3 IUV for a progressive number of an ente's segregation code. */
export function generateIuv(segregationCode: string, progressive: bigint): Iuv {
  if (!/^\d{2}$/.test(segregationCode)) throw new RangeError('segregation code must be 2 digits');
  if (progressive < 1n || progressive > MAX_PROGRESSIVE) throw new RangeError('IUV progressive out of range');
  const base = progressive.toString().padStart(13, '0');
  const iuv = `${segregationCode}${base}${checkDigit('3', segregationCode, base)}`;
  return { iuv, noticeNumber: `3${iuv}`, auxDigit: '3' };
}

export type IuvProblem =
  'NOT_NUMERIC' | 'BAD_LENGTH' | 'BAD_CHECK_DIGIT' | 'WRONG_SEGREGATION_CODE' | 'NO_APPLICATION_CODE';

export interface IuvContext {
  segregationCode: string;
  /** 2-digit application code, needed to form the notice number of a legacy aux-0 IUV. */
  applicationCode: string | null;
}

/**
 * Validates an IUV supplied by a gestionale and derives its notice number.
 * 17 digits: aux 3, must carry the ente's segregation code; 15 digits: legacy aux 0.
 */
export function parseSuppliedIuv(
  iuv: string,
  ctx: IuvContext,
): { ok: true; value: Iuv } | { ok: false; problem: IuvProblem } {
  if (!/^\d+$/.test(iuv)) return { ok: false, problem: 'NOT_NUMERIC' };
  if (iuv.length === 17) {
    const seg = iuv.slice(0, 2);
    const base = iuv.slice(2, 15);
    if (checkDigit('3', seg, base) !== iuv.slice(15)) return { ok: false, problem: 'BAD_CHECK_DIGIT' };
    if (seg !== ctx.segregationCode) return { ok: false, problem: 'WRONG_SEGREGATION_CODE' };
    return { ok: true, value: { iuv, noticeNumber: `3${iuv}`, auxDigit: '3' } };
  }
  if (iuv.length === 15) {
    if (!ctx.applicationCode) return { ok: false, problem: 'NO_APPLICATION_CODE' };
    const base = iuv.slice(0, 13);
    if (checkDigit('0', ctx.applicationCode, base) !== iuv.slice(13))
      return { ok: false, problem: 'BAD_CHECK_DIGIT' };
    return { ok: true, value: { iuv, noticeNumber: `0${ctx.applicationCode}${iuv}`, auxDigit: '0' } };
  }
  return { ok: false, problem: 'BAD_LENGTH' };
}

/** Accepts a notice number (18 digits) and returns its IUV, validating the check digit. */
export function iuvFromNoticeNumber(noticeNumber: string): string | null {
  if (!/^\d{18}$/.test(noticeNumber)) return null;
  const aux = noticeNumber[0]!;
  if (aux === '3') {
    const iuv = noticeNumber.slice(1);
    return checkDigit('3', iuv.slice(0, 2), iuv.slice(2, 15)) === iuv.slice(15) ? iuv : null;
  }
  if (aux === '0') {
    const app = noticeNumber.slice(1, 3);
    const iuv = noticeNumber.slice(3);
    return checkDigit('0', app, iuv.slice(0, 13)) === iuv.slice(13) ? iuv : null;
  }
  return null;
}
