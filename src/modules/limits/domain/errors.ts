/**
 * A gestionale's call refused before its credentials are checked: too many failed authentications
 * from its address, or for its codiceChiamante from an address it has not authenticated from
 * recently. Every edge answers it with HTTP 429 and Retry-After (docs/security.md).
 */
export class TooManyAuthFailures extends Error {
  readonly code = 'TOO_MANY_FAILURES';
  constructor(
    /** Whole seconds until the window that blocks the call ends (at least 1). */
    readonly retryAfterSeconds: number,
    /** What is over its limit: the caller (codiceChiamante) or the address. */
    readonly over: 'caller' | 'address',
  ) {
    super(`Troppi tentativi di autenticazione falliti: riprovare tra ${retryAfterSeconds} secondi`);
  }
}
