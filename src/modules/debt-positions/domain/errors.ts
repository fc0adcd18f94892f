/**
 * Error catalog of the debt-positions context. Codes are PiemontePAY's (EsitoChiamataEsterna for
 * the generic ones, CodiciEsito for the specific ones), so that a gestionale that already handles
 * PiemontePAY's answers understands Cassa's. The HTTP edge maps `kind` to a status.
 */
import { defineCatalog } from '../../../shared/domain-error.js';
import { ESITO } from '../../../shared/piemontepay/codes.js';

export class DebtPositionError extends defineCatalog({
  INVALID_FIELD: { code: ESITO.GENERIC_ERROR, kind: 'invalid' },
  COMPONENTS_INCONSISTENT: { code: ESITO.COMPONENTS_INCONSISTENT, kind: 'invalid' },
  TOO_MANY_COMPONENTS: { code: ESITO.TOO_MANY_COMPONENTS, kind: 'invalid' },
  COMPONENTS_NOT_MATCHING_TOTAL: { code: ESITO.COMPONENTS_NOT_MATCHING_TOTAL, kind: 'invalid' },
  VALIDITY_DATES: { code: ESITO.VALIDITY_DATES, kind: 'invalid' },
  AMOUNT_NOT_POSITIVE: { code: ESITO.AMOUNT_NOT_POSITIVE, kind: 'invalid' },
  REFERENCES_INVALID: { code: ESITO.REFERENCES_INVALID, kind: 'invalid' },
  /** riferimenti pagamento on a position that is not ANONIMO (fines with advance notice) */
  REFERENCES_NOT_ALLOWED: { code: ESITO.REFERENCES_NOT_ALLOWED, kind: 'invalid' },
  IUV_INVALID: { code: ESITO.IUV_ERROR, kind: 'invalid' },
  CALLER_NOT_AUTHENTICATED: { code: ESITO.GENERIC_ERROR, kind: 'unauthorized' },
  SCOPE_MISSING: { code: ESITO.NOT_AUTHORISED, kind: 'forbidden' },
  PAYMENT_TYPE_NOT_ALLOWED: { code: ESITO.NOT_AUTHORISED, kind: 'forbidden' },
  ENTE_UNKNOWN: { code: ESITO.ENTE_UNKNOWN, kind: 'not-found' },
  PAYMENT_TYPE_UNKNOWN: { code: ESITO.PAYMENT_TYPE_UNKNOWN, kind: 'not-found' },
  PAYMENT_TYPE_NOT_ACTIVE: { code: ESITO.PAYMENT_TYPE_NOT_ACTIVE, kind: 'forbidden' },
  POSITION_NOT_FOUND: { code: ESITO.POSITION_NOT_FOUND, kind: 'not-found' },
  DUPLICATE_ID_DIFFERENT_CONTENT: { code: ESITO.DUPLICATE_POSITION, kind: 'conflict' },
  IUV_ALREADY_USED: { code: ESITO.DUPLICATE_POSITION, kind: 'conflict' },
  PAYMENT_IN_PROGRESS: { code: ESITO.PAYMENT_IN_PROGRESS, kind: 'conflict' },
  ALREADY_PAID: { code: ESITO.ALREADY_PAID, kind: 'conflict' },
  ALREADY_CANCELLED: { code: ESITO.ALREADY_CANCELLED, kind: 'conflict' },
  EXPIRED: { code: ESITO.EXPIRED, kind: 'conflict' },
  DEBTOR_NOT_ANONYMOUS: { code: ESITO.DEBTOR_NOT_ANONYMOUS, kind: 'conflict' },
  DEBTOR_NOT_UPDATABLE: { code: ESITO.DEBTOR_NOT_UPDATABLE, kind: 'conflict' },
  IUV_SPACE_EXHAUSTED: { code: ESITO.IUV_ERROR, kind: 'conflict' },
  /** a document (GovPay's documento) with that identificativo already exists for the ente */
  DOCUMENT_EXISTS: { code: ESITO.DUPLICATE_POSITION, kind: 'conflict' },
  /** the document already has a position at that place (its single solution, that rata, that soglia) */
  DOCUMENT_PLACE_TAKEN: { code: ESITO.DUPLICATE_POSITION, kind: 'conflict' },
  DOCUMENT_NOT_FOUND: { code: ESITO.POSITION_NOT_FOUND, kind: 'not-found' },
}) {}

export type DebtPositionErrorName = DebtPositionError['errorName'];

export function positionError(
  name: DebtPositionErrorName,
  message: string,
  field?: string,
): DebtPositionError {
  return new DebtPositionError(name, message, field);
}
