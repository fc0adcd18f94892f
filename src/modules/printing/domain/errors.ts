/**
 * Error catalog of the printing module (notices and receipts on paper). Why a position has no notice
 * carries PiemontePAY's codes (as the debt-positions catalog's), so that epayapi answers them as they
 * are; the admin API and the Sportello map `kind` to their own protocol (problem+json, a plain page).
 */
import { defineCatalog } from '../../../shared/domain-error.js';
import { ESITO } from '../../../shared/piemontepay/codes.js';

export class PrintingError extends defineCatalog({
  /** No positive receipt (outcome OK) for the position: nothing to print. */
  RECEIPT_NOT_FOUND: { code: 'RECEIPT_NOT_FOUND', kind: 'not-found' },
  /** Notices: no such position (or not of the payment type named). */
  POSITION_NOT_FOUND: { code: ESITO.POSITION_NOT_FOUND, kind: 'not-found' },
  /** Notices: paid (or its document paid with the other plan): the receipt stands for it. */
  PAID: { code: ESITO.ALREADY_PAID, kind: 'conflict' },
  CANCELLED: { code: ESITO.ALREADY_CANCELLED, kind: 'conflict' },
  EXPIRED: { code: ESITO.EXPIRED, kind: 'conflict' },
  /** Notices: a payment under way (awaiting its receipt): a notice could lead to paying twice. */
  PAYMENT_IN_PROGRESS: { code: ESITO.PAYMENT_IN_PROGRESS, kind: 'conflict' },
  /** Notices: an ANONIMO fine whose amount is still 0: nothing to pay until its MODIFICA. */
  AWAITING_AMOUNT: { code: ESITO.AMOUNT_NOT_POSITIVE, kind: 'conflict' },
}) {}

export type PrintingErrorName = PrintingError['errorName'];
