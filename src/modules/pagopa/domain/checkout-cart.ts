/**
 * A cart for pagoPA Checkout ("Checkout - EC API", POST /carts, specs openapi/checkout_v1.json and
 * checkout_v2.json): 1 to 5 payment notices of payable positions, the return URLs of the front end
 * that started it, an optional e-mail for the receipt and Cassa's own idCart, which Checkout hands
 * back to the ente in the paymentNote of every paGetPayment of the cart.
 */
import { effectiveStatus, type DebtPosition } from '../../debt-positions/domain/debt-position.js';
import { checkoutError } from './checkout-errors.js';

export const MAX_CART_NOTICES = 5;
const TEXT_MAX = 140;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type CheckoutApiVersion = 'v1' | 'v2';

/** A position as a cart needs it, with its ente (the creditor named on the notice). */
export interface PayablePosition {
  position: Pick<
    DebtPosition,
    'id' | 'iuv' | 'noticeNumber' | 'amountCents' | 'causale' | 'status' | 'validFrom' | 'validTo'
  >;
  ente: { codiceFiscale: string; denominazione: string; active: boolean };
}

/** PaymentNotice of the Checkout API: amount in euro cents. */
export interface PaymentNotice {
  noticeNumber: string;
  fiscalCode: string;
  amount: number;
  companyName: string;
  description: string;
}

/** Where Checkout sends the citizen's browser at the end; waiting is v2's "outcome unknown". */
export interface ReturnUrls {
  returnOkUrl: string;
  returnCancelUrl: string;
  returnErrorUrl: string;
  returnWaitingUrl?: string | undefined;
}

export interface CartNotice extends PaymentNotice {
  iuv: string;
  positionId: number;
}

export interface Cart {
  idCart: string;
  notices: CartNotice[];
  returnUrls: ReturnUrls;
  emailNotice?: string | undefined;
  allCCP?: boolean | undefined;
}

/** The request body of POST /carts: CartRequest (v1) or CartRequestV2 (v2, returnWaitingUrl required). */
export interface CartRequest {
  paymentNotices: PaymentNotice[];
  returnUrls: ReturnUrls;
  emailNotice?: string;
  idCart: string;
  allCCP?: boolean;
}

function clip(s: string): string {
  const t = s.trim();
  return t.length <= TEXT_MAX ? t : t.slice(0, TEXT_MAX);
}

/** Refuses a choice of notices that Checkout would refuse or that cannot be paid now. */
export function cartNotices(positions: PayablePosition[], today: string): CartNotice[] {
  if (positions.length === 0)
    throw checkoutError('CART_EMPTY', 'Il carrello non contiene avvisi da pagare', { field: 'positions' });
  if (positions.length > MAX_CART_NOTICES) {
    throw checkoutError(
      'CART_TOO_LARGE',
      `Il carrello contiene ${positions.length} avvisi: pagoPA Checkout ne accetta al massimo ${MAX_CART_NOTICES}`,
      { field: 'positions' },
    );
  }
  const seen = new Set<string>();
  return positions.map(({ position: p, ente }, i) => {
    const key = `${ente.codiceFiscale}/${p.noticeNumber}`;
    if (seen.has(key))
      throw checkoutError(
        'CART_DUPLICATE_NOTICE',
        `L'avviso ${p.noticeNumber} compare più volte nel carrello`,
        { field: `positions[${i}]` },
      );
    seen.add(key);
    const status = ente.active ? effectiveStatus(p, today) : 'CANCELLED';
    if (status !== 'PAYABLE' || p.amountCents <= 0) {
      throw checkoutError(
        'POSITION_NOT_PAYABLE',
        `L'avviso ${p.noticeNumber} non è pagabile (${status === 'PAYABLE' ? 'importo nullo' : status})`,
        { field: `positions[${i}]` },
      );
    }
    return {
      noticeNumber: p.noticeNumber,
      fiscalCode: ente.codiceFiscale,
      amount: p.amountCents,
      companyName: clip(ente.denominazione),
      description: clip(p.causale),
      iuv: p.iuv,
      positionId: p.id,
    };
  });
}

/** Checks the return URLs (absolute http(s)) and that v2 has its waiting URL. */
export function validateReturnUrls(urls: ReturnUrls, version: CheckoutApiVersion): ReturnUrls {
  const names: (keyof ReturnUrls)[] = [
    'returnOkUrl',
    'returnCancelUrl',
    'returnErrorUrl',
    ...(version === 'v2' ? (['returnWaitingUrl'] as const) : []),
  ];
  for (const name of names) {
    const value = urls[name];
    if (value === undefined || !isAbsoluteWebUrl(value)) {
      throw checkoutError('CART_RETURN_URL_INVALID', `${name} deve essere un URL assoluto http o https`, {
        field: `returnUrls.${name}`,
      });
    }
  }
  return version === 'v2'
    ? {
        returnOkUrl: urls.returnOkUrl,
        returnCancelUrl: urls.returnCancelUrl,
        returnErrorUrl: urls.returnErrorUrl,
        returnWaitingUrl: urls.returnWaitingUrl,
      }
    : {
        returnOkUrl: urls.returnOkUrl,
        returnCancelUrl: urls.returnCancelUrl,
        returnErrorUrl: urls.returnErrorUrl,
      };
}

export function validateEmail(email: string | undefined): string | undefined {
  const e = email?.trim();
  if (!e) return undefined;
  if (e.length > 256 || !EMAIL.test(e))
    throw checkoutError('CART_EMAIL_INVALID', "L'indirizzo e-mail per la ricevuta non è valido", {
      field: 'emailNotice',
    });
  return e;
}

/** The body Cassa sends: only the fields of the chosen API version. */
export function cartRequest(cart: Cart, version: CheckoutApiVersion): CartRequest {
  const body: CartRequest = {
    paymentNotices: cart.notices.map(({ noticeNumber, fiscalCode, amount, companyName, description }) => ({
      noticeNumber,
      fiscalCode,
      amount,
      companyName,
      description,
    })),
    returnUrls: validateReturnUrls(cart.returnUrls, version),
    idCart: cart.idCart,
  };
  if (cart.emailNotice !== undefined) body.emailNotice = cart.emailNotice;
  if (cart.allCCP !== undefined) body.allCCP = cart.allCCP;
  return body;
}

function isAbsoluteWebUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The Location Checkout answered, where the citizen's browser goes: an absolute https URL; plain
 * http only from the simulator or a local address (a man in the middle must not choose the page).
 */
export function checkoutLocation(value: string | null, opts: { allowHttp: boolean }): URL | null {
  if (!value) return null;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return null;
  }
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && (opts.allowHttp || LOCAL_HOSTS.has(u.hostname))) return u;
  return null;
}
