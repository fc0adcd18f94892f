/**
 * HTTP client of pagoPA Checkout's EC API: POST {base}/carts with the subscription key, without
 * following the redirect (the 302 Location is for the citizen's browser, not for Cassa). It only
 * reports what happened on the wire; what that means is the service's business.
 */
import type { CartRequest } from '../domain/checkout-cart.js';

export interface CheckoutClientOptions {
  /** Base URL including the version segment, e.g. https://api.platform.pagopa.it/checkout/ec/v2 */
  url: string;
  subscriptionKey: string | undefined;
  timeoutMs: number;
}

export type PostCartsOutcome =
  | { kind: 'answered'; status: number; location: string | null; body: string; durationMs: number }
  | { kind: 'timeout'; durationMs: number }
  | { kind: 'unreachable'; reason: string; durationMs: number };

const MAX_BODY_CHARS = 16_384;

export class CheckoutClient {
  readonly cartsUrl: string;

  constructor(private readonly opts: CheckoutClientOptions) {
    this.cartsUrl = `${opts.url.replace(/\/+$/, '')}/carts`;
  }

  async postCarts(body: CartRequest): Promise<PostCartsOutcome> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.opts.subscriptionKey) headers['ocp-apim-subscription-key'] = this.opts.subscriptionKey;
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    try {
      const res = await fetch(this.cartsUrl, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        redirect: 'manual',
        signal,
      });
      const text = await res.text();
      return {
        kind: 'answered',
        status: res.status,
        location: res.headers.get('location'),
        body: text.slice(0, MAX_BODY_CHARS),
        durationMs: elapsed(),
      };
    } catch (err) {
      if (signal.aborted) return { kind: 'timeout', durationMs: elapsed() };
      return { kind: 'unreachable', reason: describeNetworkError(err), durationMs: elapsed() };
    }
  }
}

/** "fetch failed" says nothing: the cause (ECONNREFUSED, ENOTFOUND, a TLS error) does. */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
