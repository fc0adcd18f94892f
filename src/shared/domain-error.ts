/**
 * Base of every module's error catalog. `kind` says what went wrong in terms the edges map to their
 * own protocol (HTTP status, problem+json, SOAP fault, PiemontePAY codiceEsito); `code` is the
 * module's own code, stable for machines; `field` names the offending input when there is one.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  /** a service Cassa depends on (pagoPA Checkout...) failed or refused Cassa itself: not the caller's fault */
  | 'unavailable'
  /** a defect of Cassa (a message it built that breaks its own contract): never the caller's fault */
  | 'internal';

export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

export const HTTP_STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unavailable: 502,
  internal: 500,
};
