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
  /** Mass printing: no job with this id (or its ente is another). */
  PRINT_JOB_NOT_FOUND: { code: 'PRINT_JOB_NOT_FOUND', kind: 'not-found' },
  /** Mass printing: the file is not ready (queued, running, failed) or no longer kept (expired). */
  PRINT_JOB_NOT_READY: { code: 'PRINT_JOB_NOT_READY', kind: 'conflict' },
  /** Mass printing: the ente to print for is unknown. */
  ENTE_UNKNOWN: { code: 'ENTE_UNKNOWN', kind: 'not-found' },
  /** Mass printing: the lista di carico is unknown, or of another ente. */
  LIST_NOT_FOUND: { code: 'LIST_NOT_FOUND', kind: 'not-found' },
  /** Mass printing: the filter's payment type is not one of the ente's. */
  PAYMENT_TYPE_UNKNOWN: { code: 'PAYMENT_TYPE_UNKNOWN', kind: 'not-found' },
  /** Mass printing: the list or the filter names no position to print. */
  NOTHING_TO_PRINT: { code: 'NOTHING_TO_PRINT', kind: 'conflict' },
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
