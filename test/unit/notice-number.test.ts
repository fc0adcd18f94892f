import { describe, expect, it } from 'vitest';
import {
  checkDigit,
  generateIuv,
  iuvFromNoticeNumber,
  MAX_PROGRESSIVE,
  parseSuppliedIuv,
} from '../../src/modules/debt-positions/domain/notice-number.js';

/** The check digit computed independently of the code under test: (aux + code + base) mod 93, 2 digits. */
function mod93(digits: string): string {
  let rem = 0;
  for (const d of digits) rem = (rem * 10 + Number(d)) % 93;
  return String(rem).padStart(2, '0');
}

const CTX = { segregationCode: '01', applicationCode: '01' };

describe('checkDigit', () => {
  it('is (aux digit + code + base) mod 93 on two digits', () => {
    expect(checkDigit('3', '01', '0000000000001')).toBe('44');
    expect(checkDigit('0', '01', '1902800721470')).toBe('87');
    // a remainder below 10 is padded to two digits
    expect(checkDigit('3', '00', '0000000000000')).toBe('03');
  });

  it('agrees with an independent mod-93 computation on many bases', () => {
    for (const seg of ['00', '01', '47', '99']) {
      for (const base of [
        '0000000000001',
        '0000000000093',
        '1234567890123',
        '9999999999999',
        '5000000000000',
      ]) {
        expect(checkDigit('3', seg, base)).toBe(mod93(`3${seg}${base}`));
        expect(checkDigit('0', seg, base)).toBe(mod93(`0${seg}${base}`));
      }
    }
  });
});

describe('generateIuv', () => {
  it('produces the SACI worked example: aux 3, segregation code 01, base 0000000000001', () => {
    expect(generateIuv('01', 1n)).toEqual({
      iuv: '01000000000000144',
      noticeNumber: '301000000000000144',
      auxDigit: '3',
    });
  });

  it('formats a 17-digit IUV = segregation code + 13-digit base + check, and an 18-digit NAV = 3 + IUV', () => {
    for (const [seg, progressive] of [
      ['01', 2n],
      ['07', 123_456_789n],
      ['99', MAX_PROGRESSIVE],
      ['00', 1n],
    ] as const) {
      const r = generateIuv(seg, progressive);
      expect(r.iuv).toMatch(/^\d{17}$/);
      expect(r.noticeNumber).toMatch(/^\d{18}$/);
      expect(r.noticeNumber).toBe(`3${r.iuv}`);
      expect(r.auxDigit).toBe('3');
      expect(r.iuv.slice(0, 2)).toBe(seg);
      expect(BigInt(r.iuv.slice(2, 15))).toBe(progressive);
      expect(r.iuv.slice(15)).toBe(mod93(`3${r.iuv.slice(0, 15)}`));
    }
  });

  it('gives distinct IUVs to distinct progressives and to distinct segregation codes', () => {
    const iuvs = new Set<string>();
    for (let p = 1n; p <= 200n; p++) iuvs.add(generateIuv('01', p).iuv);
    for (let p = 1n; p <= 200n; p++) iuvs.add(generateIuv('02', p).iuv);
    expect(iuvs.size).toBe(400);
  });

  it('round-trips through parseSuppliedIuv and iuvFromNoticeNumber', () => {
    for (const p of [1n, 42n, 9_876_543_210n, MAX_PROGRESSIVE]) {
      const g = generateIuv('01', p);
      expect(parseSuppliedIuv(g.iuv, CTX)).toEqual({ ok: true, value: g });
      expect(iuvFromNoticeNumber(g.noticeNumber)).toBe(g.iuv);
    }
  });

  it.each([
    ['1', 1n],
    ['001', 1n],
    ['ab', 1n],
    ['', 1n],
    [' 1', 1n],
  ])('refuses segregation code %j with a RangeError', (seg, p) => {
    expect(() => generateIuv(seg, p)).toThrow(RangeError);
    expect(() => generateIuv(seg, p)).toThrow(/segregation code/);
  });

  it.each([0n, -1n, MAX_PROGRESSIVE + 1n, 10n ** 20n])('refuses progressive %s with a RangeError', (p) => {
    expect(() => generateIuv('01', p)).toThrow(RangeError);
    expect(() => generateIuv('01', p)).toThrow(/out of range/);
  });

  it('accepts the bounds of the progressive range', () => {
    expect(generateIuv('01', 1n).iuv.slice(2, 15)).toBe('0000000000001');
    expect(generateIuv('01', MAX_PROGRESSIVE).iuv.slice(2, 15)).toBe('9999999999999');
  });
});

describe('parseSuppliedIuv', () => {
  it('accepts an aux-3 IUV carrying the ente segregation code and a valid check digit', () => {
    const base = '0000000999999';
    const iuv = `01${base}${mod93(`301${base}`)}`;
    expect(parseSuppliedIuv(iuv, CTX)).toEqual({
      ok: true,
      value: { iuv, noticeNumber: `3${iuv}`, auxDigit: '3' },
    });
    expect(parseSuppliedIuv('01000000000000144', { segregationCode: '01', applicationCode: null })).toEqual({
      ok: true,
      value: { iuv: '01000000000000144', noticeNumber: '301000000000000144', auxDigit: '3' },
    });
  });

  it('refuses an aux-3 IUV whose check digit is wrong', () => {
    expect(parseSuppliedIuv('01000000000000145', CTX)).toEqual({ ok: false, problem: 'BAD_CHECK_DIGIT' });
    expect(parseSuppliedIuv('01000000000000199', CTX)).toEqual({ ok: false, problem: 'BAD_CHECK_DIGIT' });
    // a single changed digit in the base
    expect(parseSuppliedIuv('01000000000000244', CTX)).toEqual({ ok: false, problem: 'BAD_CHECK_DIGIT' });
  });

  it('refuses a well-formed aux-3 IUV of another segregation code', () => {
    const other = generateIuv('02', 1n).iuv;
    expect(parseSuppliedIuv(other, CTX)).toEqual({ ok: false, problem: 'WRONG_SEGREGATION_CODE' });
    expect(parseSuppliedIuv(other, { segregationCode: '02', applicationCode: null })).toMatchObject({
      ok: true,
    });
  });

  it.each([
    ['190280072147087', '001190280072147087'],
    ['190300072310110', '001190300072310110'],
    ['191890494852566', '001191890494852566'],
  ])('accepts the legacy aux-0 IUV %s with application code 01, notice number %s', (iuv, nav) => {
    expect(parseSuppliedIuv(iuv, CTX)).toEqual({
      ok: true,
      value: { iuv, noticeNumber: nav, auxDigit: '0' },
    });
  });

  it('checks an aux-0 IUV against the application code of the ente', () => {
    expect(parseSuppliedIuv('190280072147087', { segregationCode: '01', applicationCode: '02' })).toEqual({
      ok: false,
      problem: 'BAD_CHECK_DIGIT',
    });
    expect(parseSuppliedIuv('190280072147088', CTX)).toEqual({ ok: false, problem: 'BAD_CHECK_DIGIT' });
  });

  it('refuses an aux-0 IUV when the ente has no application code', () => {
    expect(parseSuppliedIuv('190280072147087', { segregationCode: '01', applicationCode: null })).toEqual({
      ok: false,
      problem: 'NO_APPLICATION_CODE',
    });
  });

  it.each([
    '',
    '1',
    '12345678901234',
    '1234567890123456',
    '012345678901234567',
    '0100000000000014',
    '0'.repeat(35),
  ])('refuses %j as BAD_LENGTH', (iuv) => {
    // the empty string is not numeric either; every other one is digits only
    expect(parseSuppliedIuv(iuv, CTX)).toEqual({
      ok: false,
      problem: iuv === '' ? 'NOT_NUMERIC' : 'BAD_LENGTH',
    });
  });

  it.each([
    '0100000000000014A',
    '01000000000000 44',
    ' 01000000000000144',
    '01000000000000144\n',
    '-1000000000000144',
    'RF18539007547034',
    '１９０２８００７２１４７０８７',
  ])('refuses %j as NOT_NUMERIC', (iuv) => {
    expect(parseSuppliedIuv(iuv, CTX)).toEqual({ ok: false, problem: 'NOT_NUMERIC' });
  });
});

describe('iuvFromNoticeNumber', () => {
  it('returns the IUV of an aux-3 notice number with a valid check digit', () => {
    expect(iuvFromNoticeNumber('301000000000000144')).toBe('01000000000000144');
  });

  it('returns the IUV of an aux-0 notice number, without the application code', () => {
    expect(iuvFromNoticeNumber('001190280072147087')).toBe('190280072147087');
    expect(iuvFromNoticeNumber('001190300072310110')).toBe('190300072310110');
    expect(iuvFromNoticeNumber('001191890494852566')).toBe('191890494852566');
  });

  it('refuses a notice number whose check digit does not match', () => {
    expect(iuvFromNoticeNumber('301000000000000145')).toBeNull();
    expect(iuvFromNoticeNumber('002190280072147087')).toBeNull(); // other application code
    expect(iuvFromNoticeNumber('001190280072147088')).toBeNull();
  });

  it('refuses aux digits Cassa does not issue, and malformed numbers', () => {
    expect(iuvFromNoticeNumber('101000000000000144')).toBeNull();
    expect(iuvFromNoticeNumber('201000000000000144')).toBeNull();
    expect(iuvFromNoticeNumber('901000000000000144')).toBeNull();
    expect(iuvFromNoticeNumber('30100000000000014')).toBeNull();
    expect(iuvFromNoticeNumber('3010000000000001440')).toBeNull();
    expect(iuvFromNoticeNumber('30100000000000014A')).toBeNull();
    expect(iuvFromNoticeNumber('')).toBeNull();
  });
});
