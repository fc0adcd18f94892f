/**
 * Error catalog of the receipts read side (epayapi POST /rt, paymentdata, admin receipts).
 * Codes follow PiemontePAY's codiceEsito style; 188 and 189 are Cassa's own (documented in
 * docs/checkout.md) as PiemontePAY's table of codes for the RT copy is not published.
 */
import { DomainError, type ErrorKind } from '../../../shared/domain-error.js';

const catalog = {
  POSITION_NOT_FOUND: { code: '176', kind: 'not-found' },
  RECEIPT_NOT_FOUND: { code: '188', kind: 'not-found' },
  FORMAT_NOT_AVAILABLE: { code: '189', kind: 'invalid' },
} as const satisfies Record<string, { code: string; kind: ErrorKind }>;

export type ReceiptsErrorName = keyof typeof catalog;

export class ReceiptsError extends DomainError {
  readonly code: string;
  readonly kind: ErrorKind;

  constructor(
    readonly errorName: ReceiptsErrorName,
    message: string,
    field?: string,
  ) {
    super(message, field);
    this.name = 'ReceiptsError';
    this.code = catalog[errorName].code;
    this.kind = catalog[errorName].kind;
  }
}

export function receiptsError(name: ReceiptsErrorName, message: string, field?: string): ReceiptsError {
  return new ReceiptsError(name, message, field);
}
