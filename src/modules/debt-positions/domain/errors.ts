/**
 * Error catalog of the debt-positions context. Codes are PiemontePAY's (EsitoChiamataEsterna for
 * the generic ones, CodiciEsito for the specific ones), so that a gestionale that already handles
 * PiemontePAY's answers understands Cassa's. The HTTP edge maps `kind` to a status.
 */
import { DomainError, type ErrorKind } from '../../../shared/domain-error.js';

const catalog = {
  INVALID_FIELD: { code: '100', kind: 'invalid' },
  COMPONENTS_INCONSISTENT: { code: '300', kind: 'invalid' },
  TOO_MANY_COMPONENTS: { code: '183', kind: 'invalid' },
  COMPONENTS_NOT_MATCHING_TOTAL: { code: '184', kind: 'invalid' },
  VALIDITY_DATES: { code: '185', kind: 'invalid' },
  AMOUNT_NOT_POSITIVE: { code: '163', kind: 'invalid' },
  REFERENCES_INVALID: { code: '193', kind: 'invalid' },
  /** riferimenti pagamento on a position that is not ANONIMO (fines with advance notice) */
  REFERENCES_NOT_ALLOWED: { code: '194', kind: 'invalid' },
  IUV_INVALID: { code: '250', kind: 'invalid' },
  CALLER_NOT_AUTHENTICATED: { code: '100', kind: 'unauthorized' },
  SCOPE_MISSING: { code: '200', kind: 'forbidden' },
  PAYMENT_TYPE_NOT_ALLOWED: { code: '200', kind: 'forbidden' },
  ENTE_UNKNOWN: { code: '151', kind: 'not-found' },
  PAYMENT_TYPE_UNKNOWN: { code: '153', kind: 'not-found' },
  PAYMENT_TYPE_NOT_ACTIVE: { code: '157', kind: 'forbidden' },
  POSITION_NOT_FOUND: { code: '176', kind: 'not-found' },
  DUPLICATE_ID_DIFFERENT_CONTENT: { code: '161', kind: 'conflict' },
  IUV_ALREADY_USED: { code: '161', kind: 'conflict' },
  PAYMENT_IN_PROGRESS: { code: '177', kind: 'conflict' },
  ALREADY_PAID: { code: '178', kind: 'conflict' },
  ALREADY_CANCELLED: { code: '179', kind: 'conflict' },
  EXPIRED: { code: '187', kind: 'conflict' },
  DEBTOR_NOT_ANONYMOUS: { code: '218', kind: 'conflict' },
  DEBTOR_NOT_UPDATABLE: { code: '196', kind: 'conflict' },
  IUV_SPACE_EXHAUSTED: { code: '250', kind: 'conflict' },
} as const satisfies Record<string, { code: string; kind: ErrorKind }>;

export type DebtPositionErrorName = keyof typeof catalog;

export class DebtPositionError extends DomainError {
  readonly code: string;
  readonly kind: ErrorKind;

  constructor(
    readonly errorName: DebtPositionErrorName,
    message: string,
    field?: string,
  ) {
    super(message, field);
    this.name = 'DebtPositionError';
    this.code = catalog[errorName].code;
    this.kind = catalog[errorName].kind;
  }
}

export function positionError(
  name: DebtPositionErrorName,
  message: string,
  field?: string,
): DebtPositionError {
  return new DebtPositionError(name, message, field);
}
