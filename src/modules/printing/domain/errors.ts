/**
 * Error catalog of the printing context: why a position has no notice. Codes are PiemontePAY's (as the
 * debt-positions catalog's), so that epayapi answers them as they are; the admin API and the Sportello
 * map `kind` to their own protocol (problem+json, a plain page).
 */
import { defineCatalog } from '../../../shared/domain-error.js';
import { ESITO } from '../../../shared/piemontepay/codes.js';

export class NoticeError extends defineCatalog({
  POSITION_NOT_FOUND: { code: ESITO.POSITION_NOT_FOUND, kind: 'not-found' },
  /** Paid (or its document paid with the other plan): the receipt stands for it. */
  PAID: { code: ESITO.ALREADY_PAID, kind: 'conflict' },
  CANCELLED: { code: ESITO.ALREADY_CANCELLED, kind: 'conflict' },
  EXPIRED: { code: ESITO.EXPIRED, kind: 'conflict' },
  /** A payment under way (awaiting its receipt): a notice could lead to paying twice. */
  PAYMENT_IN_PROGRESS: { code: ESITO.PAYMENT_IN_PROGRESS, kind: 'conflict' },
  /** An ANONIMO fine whose amount is still 0: nothing to pay until its MODIFICA. */
  AWAITING_AMOUNT: { code: ESITO.AMOUNT_NOT_POSITIVE, kind: 'conflict' },
}) {}

export type NoticeErrorName = NoticeError['errorName'];
