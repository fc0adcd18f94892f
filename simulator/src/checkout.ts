import { randomUUID } from 'node:crypto';
import { CHECKOUT_OPENAPI, specFile } from './specs.js';
import { OpenApiDocument, type SchemaError } from './openapi-check.js';
import { CHECKOUT_PSP, NodeError, type CallSummary, type PagoPaNode } from './node.js';

/** Checkout EC API v1 / v2 (openapi/checkout_v1.json, checkout_v2.json). */
export type CheckoutVersion = 1 | 2;

export interface PaymentNotice {
  noticeNumber: string;
  fiscalCode: string;
  amount: number;
  companyName: string;
  description: string;
}

export interface CartRequest {
  paymentNotices: PaymentNotice[];
  returnUrls: {
    returnOkUrl: string;
    returnCancelUrl: string;
    returnErrorUrl: string;
    returnWaitingUrl?: string;
  };
  emailNotice?: string;
  idCart?: string;
  allCCP?: boolean;
}

/** RFC 7807 body as pagoPA's ProblemJson. */
export interface ProblemJson {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
}

export type CartStatus = 'OPEN' | 'PROCESSING' | 'PAID' | 'CANCELLED' | 'FAILED' | 'ABANDONED' | 'ERROR';
export type CartAction = 'pay' | 'cancel' | 'fail' | 'abandon';

export interface CartStep {
  noticeNumber: string;
  fiscalCode: string;
  verify?: CallSummary;
  activation?: CallSummary;
  paymentToken?: string;
  deliveryId?: number;
}

export interface Cart {
  id: string;
  version: CheckoutVersion;
  createdAt: string;
  updatedAt: string;
  status: CartStatus;
  request: CartRequest;
  location: string;
  /** Where the browser was sent when the cart was concluded. */
  redirectedTo: string | undefined;
  steps: CartStep[];
  error: string | undefined;
}

export class CartValidationError extends Error {
  constructor(readonly problem: ProblemJson) {
    super(problem.detail);
  }
}

export class CartStateError extends Error {
  constructor(
    readonly cart: Cart | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The maximum number of notices in a cart (payment-requests-service CARTS_MAX_ALLOWED_PAYMENT_NOTICES). */
export const MAX_NOTICES = 5;

function problem(status: number, title: string, detail: string): ProblemJson {
  return { type: 'about:blank', title, status, detail };
}

function describe(errors: SchemaError[]): string {
  return errors.map((e) => `${e.path} ${e.message}`).join('; ');
}

/**
 * The simulated Checkout: validates and stores carts, then, on the person's choice on the payment
 * page, drives the node (verify + activation of every notice, then the receipts) and tells where
 * to send the browser.
 */
export class Checkout {
  private readonly docs: Record<CheckoutVersion, OpenApiDocument>;
  private carts = new Map<string, Cart>();

  constructor(
    private readonly node: PagoPaNode,
    private readonly publicUrl: () => string,
    specsDir?: string,
  ) {
    this.docs = {
      1: new OpenApiDocument(specFile(CHECKOUT_OPENAPI[1], specsDir)),
      2: new OpenApiDocument(specFile(CHECKOUT_OPENAPI[2], specsDir)),
    };
  }

  /** 400 for a body the OpenAPI refuses; 422 for more than 5 notices or a notice twice (as the payment-requests service). */
  validate(version: CheckoutVersion, body: unknown): CartRequest {
    const doc = this.docs[version];
    const errors = doc.validate(doc.requestSchema('/carts', 'post'), body);
    const tooMany = errors.filter((e) => e.path === '/paymentNotices' && e.keyword === 'maxItems');
    const others = errors.filter((e) => !tooMany.includes(e));
    if (others.length > 0)
      throw new CartValidationError(problem(400, 'Bad Request', `Invalid cart request: ${describe(others)}`));
    if (tooMany.length > 0)
      throw new CartValidationError(
        problem(422, 'Unprocessable Entity', `Too many payment notices: at most ${MAX_NOTICES} per cart`),
      );
    const req = body as CartRequest;
    const seen = new Set<string>();
    for (const n of req.paymentNotices) {
      const key = `${n.fiscalCode}${n.noticeNumber}`;
      if (seen.has(key))
        throw new CartValidationError(
          problem(
            422,
            'Unprocessable Entity',
            `Duplicate payment notice ${n.fiscalCode}/${n.noticeNumber} in the cart`,
          ),
        );
      seen.add(key);
    }
    return req;
  }

  create(version: CheckoutVersion, body: unknown): Cart {
    const request = this.validate(version, body);
    const id = randomUUID();
    const now = new Date().toISOString();
    const cart: Cart = {
      id,
      version,
      createdAt: now,
      updatedAt: now,
      status: 'OPEN',
      request,
      location: `${this.publicUrl()}/checkout/carts/${id}`,
      redirectedTo: undefined,
      steps: request.paymentNotices.map((n) => ({ noticeNumber: n.noticeNumber, fiscalCode: n.fiscalCode })),
      error: undefined,
    };
    this.carts.set(id, cart);
    return cart;
  }

  get(id: string): Cart | undefined {
    return this.carts.get(id);
  }

  list(): Cart[] {
    return [...this.carts.values()];
  }

  reset(): void {
    this.carts.clear();
  }

  /**
   * The person's choice on the payment page. cancel: no activation, returnCancelUrl. pay: verify +
   * activate every notice, receipts sent (in the background), returnOkUrl. fail: activations done,
   * the PSP refuses, no receipt, returnErrorUrl. abandon: activations done, tokens left to expire,
   * returnWaitingUrl (v2) or returnErrorUrl (v1). Any KO from the EC: returnErrorUrl.
   */
  async act(id: string, action: CartAction): Promise<Cart> {
    const cart = this.carts.get(id);
    if (!cart) throw new CartStateError(undefined, `no cart ${id}`);
    if (cart.status !== 'OPEN') throw new CartStateError(cart, `cart ${id} is ${cart.status}`);
    const urls = cart.request.returnUrls;
    if (action === 'cancel') return this.conclude(cart, 'CANCELLED', urls.returnCancelUrl);
    cart.status = 'PROCESSING';
    try {
      for (const [i, n] of cart.request.paymentNotices.entries()) {
        const step = cart.steps[i]!;
        const qr = { fiscalCode: n.fiscalCode, noticeNumber: n.noticeNumber };
        const verify = await this.node.verify(qr, { cartId: cart.id });
        step.verify = strip(verify);
        if (!verify.ok)
          return this.conclude(
            cart,
            'ERROR',
            urls.returnErrorUrl,
            `paVerifyPaymentNotice of ${n.noticeNumber}: ${reason(verify)}`,
          );
        const activation = await this.node.activate(qr, {
          amountCents: verify.option?.amountCents,
          paymentNote: cart.request.idCart,
          transferType: cart.request.allCCP ? 'POSTAL' : undefined,
          option: verify.option,
          origin: { channel: 'checkout', cartId: cart.id },
        });
        step.activation = strip(activation);
        if (!activation.ok || !activation.attempt)
          return this.conclude(
            cart,
            'ERROR',
            urls.returnErrorUrl,
            `activation of ${n.noticeNumber}: ${reason(activation)}`,
          );
        step.paymentToken = activation.attempt.paymentToken;
      }
      if (action === 'fail') {
        for (const s of cart.steps) this.node.failPayment(s.paymentToken!);
        return this.conclude(cart, 'FAILED', urls.returnErrorUrl, 'payment refused by the PSP (simulated)');
      }
      if (action === 'abandon')
        return this.conclude(
          cart,
          'ABANDONED',
          cart.version === 2 ? urls.returnWaitingUrl! : urls.returnErrorUrl,
          'payment abandoned: the tokens are left to expire',
        );
      for (const s of cart.steps) {
        const sending = this.node.completePayment(s.paymentToken!, CHECKOUT_PSP, {
          email: cart.request.emailNotice,
        });
        s.deliveryId = sending.delivery.id;
      }
      return this.conclude(cart, 'PAID', urls.returnOkUrl);
    } catch (e) {
      if (e instanceof NodeError) return this.conclude(cart, 'ERROR', urls.returnErrorUrl, e.message);
      cart.status = 'ERROR';
      cart.error = (e as Error).message;
      throw e;
    }
  }

  private conclude(cart: Cart, status: CartStatus, url: string, error?: string): Cart {
    cart.status = status;
    cart.redirectedTo = url;
    cart.error = error;
    cart.updatedAt = new Date().toISOString();
    return cart;
  }
}

/** Only the CallSummary fields of a verify or activation result (which carry more). */
function strip(r: CallSummary): CallSummary {
  const {
    callId,
    ok,
    httpStatus,
    outcome,
    faultCode,
    faultString,
    description,
    error,
    xsdErrors,
    semanticErrors,
  } = r;
  return {
    callId,
    ok,
    httpStatus,
    outcome,
    faultCode,
    faultString,
    description,
    error,
    xsdErrors,
    semanticErrors,
  };
}

function reason(r: CallSummary): string {
  if (r.error) return r.error;
  if (r.xsdErrors.length > 0) return `invalid answer (${r.xsdErrors.length} XSD errors)`;
  if (r.semanticErrors.length > 0) return `semantic errors: ${r.semanticErrors.join('; ')}`;
  if (r.faultCode) return `${r.outcome} ${r.faultCode}${r.faultString ? ` (${r.faultString})` : ''}`;
  return `HTTP ${r.httpStatus} outcome ${r.outcome}`;
}
