import { describe, expect, it } from 'vitest';
import { listResult, outcomeCode } from '../../src/modules/gestionali/domain/lists.js';
import { decimalToCents } from '../../src/shared/money.js';

/** How a list's amounts are read (list-reader.ts): cmn:ImportoType's xs:decimal. */
const importoToCents = (s: string): number | null => decimalToCents(s, 'xs:decimal');

// The rules of a load list (lista di carico) that do not need a database: the list's result code, the
// per-position codes the outcome XSD allows, and the amounts as cmn:ImportoType lets a gestionale write them.

describe("listResult: a list's result (CodiciEsito)", () => {
  it('000 when every position went through, with how many', () => {
    expect(listResult(3, 0)).toEqual({
      code: '000',
      message: 'Elaborazione completata: 3 posizioni elaborate correttamente',
    });
  });

  it('050 when some did and some did not', () => {
    expect(listResult(1, 5)).toEqual({
      code: '050',
      message: 'Elaborazione parzialmente completata: 1 posizioni elaborate correttamente, 5 con errori',
    });
    expect(listResult(999, 1).code).toBe('050');
  });

  it('051 when none did', () => {
    expect(listResult(0, 2)).toEqual({
      code: '051',
      message: 'Elaborazione completata: nessuna delle 2 posizioni elaborata correttamente',
    });
  });

  it('an empty list (nothing failed) is 000', () => {
    expect(listResult(0, 0).code).toBe('000');
  });
});

describe('outcomeCode: a per-position CodiceEsito as the outcome XSD allows it ([012][0-9]{2})', () => {
  it('keeps every code of the XSD range', () => {
    for (const code of ['000', '050', '100', '112', '161', '194', '218', '299'])
      expect(outcomeCode(code)).toBe(code);
  });

  it("turns any other code (Cassa's shared catalog has 300 and more) into 100, a field not valid", () => {
    for (const code of ['300', '399', '404', '900', '', '0', '00', '0000', '1000', 'abc', ' 000', '000\n'])
      expect(outcomeCode(code), JSON.stringify(code)).toBe('100');
  });
});

describe('importoToCents: the amounts of a list (xs:decimal, fractionDigits 2, totalDigits 12)', () => {
  it('reads the usual form', () => {
    expect(importoToCents('10.00')).toBe(1000);
    expect(importoToCents('20.50')).toBe(2050);
    expect(importoToCents('0.01')).toBe(1);
    expect(importoToCents('0.00')).toBe(0);
    expect(importoToCents(' 12.34 ')).toBe(1234);
  });

  it('reads every lexical form the XSD accepts: sign, no integer part, no or fewer fraction digits', () => {
    expect(importoToCents('+10.00')).toBe(1000);
    expect(importoToCents('.50')).toBe(50);
    expect(importoToCents('10')).toBe(1000);
    expect(importoToCents('10.')).toBe(1000);
    expect(importoToCents('10.5')).toBe(1050);
    expect(importoToCents('-0')).toBe(0);
    expect(importoToCents('-0.00')).toBe(0);
    expect(importoToCents('+.5')).toBe(50);
  });

  it('trailing fraction zeros and leading zeros are the same value (fractionDigits counts the value)', () => {
    expect(importoToCents('7.500')).toBe(750);
    expect(importoToCents('28.0')).toBe(2800);
    expect(importoToCents('010.500')).toBe(1050);
    expect(importoToCents('0000000000001.10000')).toBe(110);
  });

  it('the largest amount, 999999999.99, and nothing above it', () => {
    expect(importoToCents('999999999.99')).toBe(99_999_999_999);
    expect(importoToCents('1000000000')).toBeNull();
    expect(importoToCents('1000000000.00')).toBeNull();
  });

  it('refuses a third significant decimal, a negative amount, and whatever is not a decimal', () => {
    for (const s of [
      '0.001',
      '10.005',
      '-1',
      '-0.01',
      '',
      ' ',
      '.',
      '+',
      '-',
      '+-1',
      '1,50',
      '1.2.3',
      '1e3',
      '0x10',
      'NaN',
      'Infinity',
      '1 000',
      '€10',
    ])
      expect(importoToCents(s), JSON.stringify(s)).toBeNull();
  });
});
