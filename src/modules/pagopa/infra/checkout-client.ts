/**
 * HTTP client of pagoPA Checkout's EC API: POST {base}/carts with the subscription key, without
 * following the redirect (the 302 Location is for the citizen's browser, not for Cassa). It only
 * reports what happened on the wire; what that means is the service's business.
 */
import { callOutbound, KEPT_ANSWER_CHARS } from '../../../shared/http/outbound.js';
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

export class CheckoutClient {
  readonly cartsUrl: string;

  constructor(private readonly opts: CheckoutClientOptions) {
    this.cartsUrl = `${opts.url.replace(/\/+$/, '')}/carts`;
  }

  async postCarts(body: CartRequest): Promise<PostCartsOutcome> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (this.opts.subscriptionKey) headers['ocp-apim-subscription-key'] = this.opts.subscriptionKey;
    const o = await callOutbound({
      url: this.cartsUrl,
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      timeoutMs: this.opts.timeoutMs,
    });
    if (o.kind !== 'answered') return o;
    return {
      kind: 'answered',
      status: o.status,
      location: o.headers.get('location'),
      body: o.body.slice(0, KEPT_ANSWER_CHARS),
      durationMs: o.durationMs,
    };
  }
}
