import { describe, expect, it } from 'vitest';
import { parsePagoPaQr, parsePosteDataMatrix } from '../../simulator/src/notice-scan.js';
import { NOTICE_LABELS, fillLabel } from '../../src/modules/printing/domain/notice-labels.js';
import { pagoPaQrText } from '../../src/modules/printing/domain/pagopa-qr.js';
import { posteDataMatrixText, posteText } from '../../src/modules/printing/domain/poste-datamatrix.js';
import {
  cutText,
  formatAmount,
  formatDate,
  groupNoticeNumber,
  MAX_LENGTH,
} from '../../src/modules/printing/domain/notice-texts.js';

describe('pagoPA QR text', () => {
  it('is PAGOPA|002|notice|ente CF|cents and parses back', () => {
    const text = pagoPaQrText('301000000000000144', '01234567890', 123456);
    expect(text).toBe('PAGOPA|002|301000000000000144|01234567890|123456');
    expect(parsePagoPaQr(text)).toMatchObject({
      noticeNumber: '301000000000000144',
      fiscalCode: '01234567890',
      amountCents: 123456,
    });
  });

  it('refuses what no PSP could pay', () => {
    expect(() => pagoPaQrText('30100000000000014', '01234567890', 1)).toThrow(/notice number/);
    expect(() => pagoPaQrText('301000000000000144', 'RSSMRA80A01H501U', 1)).toThrow(/fiscal code/);
    expect(() => pagoPaQrText('301000000000000144', '01234567890', 0)).toThrow(/amount/);
    expect(() => pagoPaQrText('301000000000000144', '01234567890', 1.5)).toThrow(/amount/);
    expect(() => pagoPaQrText('301000000000000144', '01234567890', 100_000_000_000)).toThrow(/amount/);
    expect(pagoPaQrText('301000000000000144', '01234567890', 99_999_999_999)).toMatch(/\|99999999999$/);
  });
});

describe('Poste DataMatrix text', () => {
  const input = {
    noticeNumber: '301000000000000144',
    postalAccount: '12345678',
    amountCents: 98765,
    creditorFiscalCode: '01234567890',
    debtorFiscalCode: 'rssmra80a01h501u',
    debtorName: 'Mario Rossi',
    subject: 'TARI 2025 - prima rata',
  };

  it('has the 256-character layout and round-trips through the scanner', () => {
    const text = posteDataMatrixText(input);
    expect(text).toHaveLength(256);
    expect(text.startsWith('codfase=NBPA;18301000000000000144120000123456781000000987653896')).toBe(true);
    expect(text.slice(63, 66)).toBe('1P1');
    expect(text.endsWith(' '.repeat(12) + 'A')).toBe(true);
    expect(parsePosteDataMatrix(text)).toEqual({
      text,
      noticeNumber: '301000000000000144',
      postalAccount: '000012345678',
      amountCents: 98765,
      documentType: '896',
      fiscalCode: '01234567890',
      debtorFiscalCode: 'RSSMRA80A01H501U',
      debtorName: 'MARIO ROSSI',
      subject: 'TARI 2025 - PRIMA RATA',
    });
  });

  it('folds accents and foreign letters to upper-case ASCII, keeps 256 characters', () => {
    expect(posteText('Società Čebelarska Straße; Œuvre — “x” €5\u{1F600}')).toBe(
      'SOCIETA CEBELARSKA STRASSE, OEUVRE - "X" EUR5',
    );
    const text = posteDataMatrixText({
      ...input,
      debtorName: 'Ünal Žagar-Müller de Saint-Exupéry Ł'.repeat(3),
      subject: 'È'.repeat(300),
      debtorFiscalCode: '',
    });
    expect(text).toHaveLength(256);
    expect(text).toMatch(/^[\x20-\x7e]+$/);
    const parsed = parsePosteDataMatrix(text)!;
    expect(parsed.debtorFiscalCode).toBe('');
    expect(parsed.debtorName).toBe('UNAL ZAGAR-MULLER DE SAINT-EXUPERY LUNAL');
    expect(parsed.subject).toBe('E'.repeat(110));
  });

  it('refuses fields the layout cannot hold', () => {
    expect(() => posteDataMatrixText({ ...input, postalAccount: '1234567890123' })).toThrow(/postal account/);
    expect(() => posteDataMatrixText({ ...input, amountCents: 10_000_000_000 })).toThrow(/amount/);
    expect(() => posteDataMatrixText({ ...input, noticeNumber: '12' })).toThrow(/notice number/);
  });
});

describe('notice texts', () => {
  it('groups the codice avviso by four', () => {
    expect(groupNoticeNumber('301000000000000144')).toBe('3010 0000 0000 0001 44');
  });

  it('writes amounts and dates the Italian way', () => {
    expect(formatAmount(123456)).toBe('1.234,56 €');
    expect(formatAmount(99_999_999_999)).toBe('999.999.999,99 €');
    expect(formatAmount(5)).toBe('0,05 €');
    expect(formatDate('2025-03-31')).toBe('31/03/2025');
    expect(() => formatDate('31/03/2025')).toThrow(RangeError);
  });

  it('cuts at the maximum length with an ellipsis, on one line', () => {
    expect(cutText('  Tassa\n rifiuti  ', MAX_LENGTH.subject)).toBe('Tassa rifiuti');
    const long = 'x'.repeat(91);
    const cut = cutText(long, MAX_LENGTH.subject);
    expect(cut).toHaveLength(90);
    expect(cut.endsWith('…')).toBe(true);
    expect(cutText('Mario Rossi Bianchi Verdi Neri Gialli Blu', MAX_LENGTH.recipientName)).toBe(
      'Mario Rossi Bianchi Verdi Neri Gia…',
    );
    // a character beyond the BMP counts one and is never split
    expect(cutText('😀'.repeat(40), 35)).toBe('😀'.repeat(34) + '…');
  });
});

describe('notice labels', () => {
  it('has every label in every language, and fills placeholders', () => {
    const keys = Object.keys(NOTICE_LABELS.it).sort();
    for (const labels of Object.values(NOTICE_LABELS)) {
      expect(Object.keys(labels).sort()).toEqual(keys);
      for (const v of Object.values(labels)) expect(v.trim()).not.toBe('');
    }
    expect(fillLabel(NOTICE_LABELS.it.instalmentOf, { n: 2, total: 5 })).toBe('RATA 2 di 5');
    expect(fillLabel(NOTICE_LABELS.sl.orInInstalments, { n: 3 })).toBe('ali v 3 obrokih');
  });
});
