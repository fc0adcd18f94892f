/**
 * The pagoPA QR code of a payment notice (Avviso di pagamento, Allegato 2, "Codice QR"):
 * `PAGOPA|002|<codice avviso, 18 digits>|<ente creditore's fiscal code, 11 digits>|<amount in cents>`,
 * printed as a version 4 symbol (33×33 modules), error correction M, 25 mm square.
 */

export const PAGOPA_QR_PREFIX = 'PAGOPA';
export const PAGOPA_QR_VERSION = '002';
/** The guideline's symbol: version 4 at error correction level M (62 bytes; the text is at most 54). */
export const PAGOPA_QR_SYMBOL = { version: 4, errorCorrectionLevel: 'M' } as const;
/** The largest amount a notice prints: 999.999.999,99 €. */
export const MAX_NOTICE_AMOUNT_CENTS = 99_999_999_999;

/**
 * The QR text for one payable option. The inputs come from stored positions, so a wrong one is a bug
 * in the caller: it throws a RangeError naming the field (never its value) instead of printing a code
 * that no PSP could pay.
 */
export function pagoPaQrText(noticeNumber: string, creditorFiscalCode: string, amountCents: number): string {
  if (!/^\d{18}$/.test(noticeNumber)) throw new RangeError('notice number: 18 digits expected');
  if (!/^\d{11}$/.test(creditorFiscalCode)) throw new RangeError('ente fiscal code: 11 digits expected');
  checkAmount(amountCents);
  return [PAGOPA_QR_PREFIX, PAGOPA_QR_VERSION, noticeNumber, creditorFiscalCode, String(amountCents)].join(
    '|',
  );
}

export function checkAmount(amountCents: number): void {
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0 || amountCents > MAX_NOTICE_AMOUNT_CENTS) {
    throw new RangeError('amount: integer cents from 1 to 99999999999 expected');
  }
}
