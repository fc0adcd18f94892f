/** Error catalog of the printing module (notices and receipts on paper). */
import { defineCatalog } from '../../../shared/domain-error.js';

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
}) {}

export type PrintingErrorName = PrintingError['errorName'];
