/**
 * Error catalog of the receipts read side (epayapi POST /rt, paymentdata, admin receipts).
 * Codes follow PiemontePAY's codiceEsito style; 188 is Cassa's own (documented in docs/checkout.md)
 * as PiemontePAY's table of codes for the RT copy is not published.
 */
import { defineCatalog } from '../../../shared/domain-error.js';
import { ESITO } from '../../../shared/piemontepay/codes.js';

export class ReceiptsError extends defineCatalog({
  POSITION_NOT_FOUND: { code: ESITO.POSITION_NOT_FOUND, kind: 'not-found' },
  RECEIPT_NOT_FOUND: { code: ESITO.RECEIPT_NOT_FOUND, kind: 'not-found' },
}) {}

export type ReceiptsErrorName = ReceiptsError['errorName'];

export function receiptsError(name: ReceiptsErrorName, message: string, field?: string): ReceiptsError {
  return new ReceiptsError(name, message, field);
}
