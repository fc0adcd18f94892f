import { randomUUID } from 'node:crypto';
import type { CheckoutConfig, PagopaEnv } from '../../../config/config.js';
import type { Database } from '../../../db/database.js';
import type { AuditJournal } from '../../audit/application/audit-journal.js';
import { iuvFromNoticeNumber } from '../../debt-positions/domain/notice-number.js';
import {
  cartNotices,
  cartRequest,
  checkoutLocation,
  validateEmail,
  validateReturnUrls,
  type Cart,
  type CartRequest,
  type ReturnUrls,
} from '../domain/checkout-cart.js';
import { checkoutError, CheckoutError, type CheckoutProblem } from '../domain/checkout-errors.js';
import { CheckoutClient, type PostCartsOutcome } from '../infra/checkout-client.js';
import * as repo from '../infra/checkout-repository.js';
import { romeToday } from '../../../shared/calendar.js';

export type { PositionRef } from '../infra/checkout-repository.js';

export interface StartCheckout {
  /** The positions to pay, 1 to 5, each by its ente's fiscal code and notice number (or IUV). */
  positions: repo.PositionRef[];
  returnUrls: ReturnUrls;
  emailNotice?: string | undefined;
  /** All transfers may use postal IBANs (Checkout then asks paGetPayment with transferType POSTAL). */
  allCCP?: boolean | undefined;
  /** Journaled with the call: the request that caused it, and who asked. */
  correlationId?: string | undefined;
  caller?: string | undefined;
}

export interface StartedCheckout {
  idCart: string;
  /** Where to send the citizen's browser (Checkout's payment page). */
  location: string;
}

/**
 * Starts payments on pagoPA Checkout: checks that every chosen position can be paid now, records
 * the cart (with Cassa's idCart, which comes back in paGetPayment's paymentNote), asks Checkout for
 * it and returns the page the browser is sent to. Every call is journaled (interface checkout, OUT).
 */
export class CheckoutService {
  private readonly client: CheckoutClient;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditJournal,
    private readonly config: CheckoutConfig & { env: PagopaEnv },
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.client = new CheckoutClient(config);
  }

  async startCheckout(req: StartCheckout): Promise<StartedCheckout> {
    const found = await repo.loadPositions(this.db, req.positions);
    const positions = found.map((p, i) => {
      if (!p) {
        const ref = req.positions[i]!;
        throw checkoutError(
          'POSITION_NOT_FOUND',
          `Avviso ${ref.noticeNumber ?? ref.iuv ?? ''} dell'ente ${ref.enteFiscalCode} non trovato`,
          { field: `positions[${i}]` },
        );
      }
      return p;
    });
    const cart: Cart = {
      idCart: randomUUID(),
      notices: cartNotices(positions, romeToday(this.clock())),
      returnUrls: validateReturnUrls(req.returnUrls, this.config.apiVersion),
      emailNotice: validateEmail(req.emailNotice),
      allCCP: req.allCCP,
    };
    const body = cartRequest(cart, this.config.apiVersion);
    const cartId = await repo.insertCart(this.db, {
      idCart: cart.idCart,
      notices: cart.notices,
      email: cart.emailNotice,
      returnUrls: cart.returnUrls,
      outcome: 'SENDING',
    });
    const at = this.clock();
    const outcome = await this.client.postCarts(body);
    let result: StartedCheckout | CheckoutError;
    try {
      result = { idCart: cart.idCart, location: this.locationOf(outcome) };
    } catch (e) {
      if (!(e instanceof CheckoutError)) throw e;
      result = e;
    }
    this.journal(at, body, outcome, result, req);
    await repo.recordCartOutcome(
      this.db,
      cartId,
      result instanceof CheckoutError ? cartOutcomeOf(result, outcome) : 'REDIRECTED',
      result instanceof CheckoutError ? null : result.location,
    );
    if (result instanceof CheckoutError) throw result;
    return result;
  }

  async getCart(idCart: string) {
    return repo.findCart(this.db, idCart);
  }

  /** Checkout's answer as Cassa reads it: the 302 Location, or the catalogued reason there is none. */
  private locationOf(o: PostCartsOutcome): string {
    if (o.kind === 'timeout')
      throw checkoutError(
        'CHECKOUT_TIMEOUT',
        `pagoPA Checkout non ha risposto entro ${this.config.timeoutMs} ms`,
      );
    if (o.kind === 'unreachable')
      throw checkoutError('CHECKOUT_UNREACHABLE', `pagoPA Checkout non raggiungibile (${o.reason})`);
    if (o.status === 302) {
      const location = checkoutLocation(o.location, { allowHttp: this.config.env === 'simulator' });
      if (!location)
        throw checkoutError(
          'CHECKOUT_BAD_RESPONSE',
          'pagoPA Checkout ha risposto senza un indirizzo di pagamento valido (Location)',
        );
      return location.href;
    }
    const problem = problemOf(o.status, o.body);
    const said = problem.detail ?? problem.title ?? `HTTP ${o.status}`;
    if (o.status === 400)
      throw checkoutError(
        'CHECKOUT_CART_REFUSED',
        `pagoPA Checkout ha rifiutato il carrello come formalmente non valido: ${said}`,
        { problem },
      );
    if (o.status === 401 || o.status === 403)
      throw checkoutError(
        'CHECKOUT_KEY_REFUSED',
        `pagoPA Checkout ha rifiutato la chiave di sottoscrizione (HTTP ${o.status})`,
        { problem },
      );
    if (o.status === 422)
      throw checkoutError(
        'CHECKOUT_NOTICES_REFUSED',
        `pagoPA Checkout non accetta gli avvisi del carrello: ${said}`,
        { problem },
      );
    if (o.status >= 400)
      throw checkoutError(
        'CHECKOUT_ERROR',
        `pagoPA Checkout ha risposto con un errore (HTTP ${o.status}): ${said}`,
        { problem },
      );
    throw checkoutError(
      'CHECKOUT_BAD_RESPONSE',
      `pagoPA Checkout ha risposto HTTP ${o.status} invece di un reindirizzamento`,
    );
  }

  private journal(
    at: Date,
    body: CartRequest,
    o: PostCartsOutcome,
    result: StartedCheckout | CheckoutError,
    req: StartCheckout,
  ): void {
    const first = body.paymentNotices[0]!;
    const failed = result instanceof CheckoutError;
    this.audit.record({
      at,
      interface: 'checkout',
      direction: 'OUT',
      operation: 'postCarts',
      caller: req.caller,
      enteFiscalCode: first.fiscalCode,
      iuv: iuvFromNoticeNumber(first.noticeNumber),
      outcome: o.kind === 'answered' ? String(o.status) : o.kind.toUpperCase(),
      httpStatus: o.kind === 'answered' ? o.status : null,
      durationMs: o.durationMs,
      correlationId: req.correlationId ?? body.idCart,
      detail: `idCart ${body.idCart}; avvisi ${body.paymentNotices.map((n) => n.noticeNumber).join(',')}${failed ? `; ${result.code}: ${result.message}` : ''}`,
      requestPayload: JSON.stringify(body),
      responsePayload: o.kind === 'answered' ? o.body || (o.location ? `Location: ${o.location}` : '') : null,
    });
  }
}

function cartOutcomeOf(e: CheckoutError, o: PostCartsOutcome): string {
  if (o.kind === 'timeout') return 'TIMEOUT';
  if (o.kind === 'unreachable') return 'UNREACHABLE';
  if (e.code === 'CHECKOUT_BAD_RESPONSE') return 'BAD_RESPONSE';
  return `REFUSED_${o.status}`;
}

/** RFC 7807 ProblemJson, as far as the body is one. */
function problemOf(status: number, body: string): CheckoutProblem {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.slice(0, 500) : undefined);
    return {
      status: typeof j.status === 'number' ? j.status : status,
      title: str(j.title),
      detail: str(j.detail),
      type: str(j.type),
    };
  } catch {
    return { status };
  }
}
