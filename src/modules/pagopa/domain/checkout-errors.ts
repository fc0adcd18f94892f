/**
 * Error catalog of Cassa's pagoPA Checkout client. The first group are refusals of the cart Cassa
 * was asked to start (the citizen's choice of notices); the second are answers of Checkout itself
 * (its ProblemJson or no answer at all). `kind` tells the edge what to answer; 'unavailable' is
 * a failure of the payment service, not of the caller (HTTP 502 at an HTTP edge).
 */
import { defineCatalog } from '../../../shared/domain-error.js';

/** What Checkout said when it refused the cart (RFC 7807 ProblemJson), kept for the operator. */
export interface CheckoutProblem {
  status: number;
  title?: string | undefined;
  detail?: string | undefined;
  type?: string | undefined;
}

export class CheckoutError extends defineCatalog({
  // the cart
  CART_EMPTY: { kind: 'invalid' },
  CART_TOO_LARGE: { kind: 'invalid' },
  CART_DUPLICATE_NOTICE: { kind: 'invalid' },
  CART_RETURN_URL_INVALID: { kind: 'invalid' },
  CART_EMAIL_INVALID: { kind: 'invalid' },
  POSITION_NOT_FOUND: { kind: 'not-found' },
  POSITION_NOT_PAYABLE: { kind: 'conflict' },
  // Checkout's answer
  CHECKOUT_CART_REFUSED: { kind: 'unavailable' },
  CHECKOUT_NOTICES_REFUSED: { kind: 'conflict' },
  CHECKOUT_KEY_REFUSED: { kind: 'unavailable' },
  CHECKOUT_ERROR: { kind: 'unavailable' },
  CHECKOUT_TIMEOUT: { kind: 'unavailable' },
  CHECKOUT_UNREACHABLE: { kind: 'unavailable' },
  CHECKOUT_BAD_RESPONSE: { kind: 'unavailable' },
}) {
  constructor(
    code: CheckoutErrorCode,
    message: string,
    field?: string,
    readonly problem?: CheckoutProblem,
  ) {
    super(code, message, field);
  }
}

export type CheckoutErrorCode = CheckoutError['code'];

export function checkoutError(
  code: CheckoutErrorCode,
  message: string,
  opts: { field?: string; problem?: CheckoutProblem } = {},
): CheckoutError {
  return new CheckoutError(code, message, opts.field, opts.problem);
}
