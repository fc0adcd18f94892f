/** Error catalog of the printing module (notices and receipts on paper). */
import { defineCatalog } from '../../../shared/domain-error.js';

export class PrintingError extends defineCatalog({
  /** No positive receipt (outcome OK) for the position: nothing to print. */
  RECEIPT_NOT_FOUND: { code: 'RECEIPT_NOT_FOUND', kind: 'not-found' },
}) {}

export type PrintingErrorName = PrintingError['errorName'];
