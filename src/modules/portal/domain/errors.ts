/**
 * Error catalog of the citizen portal (the Sportello). Refusals of a gestionale's redirect end on a
 * page that offers only the way back to the Sportello's home (seed 000 §2.2, §3.3, §3.4), never to
 * the caller; problems of a citizen's input are shown next to the field of the form. The Sportello's
 * edge answers `kind` with its HTTP status; a failure of pagoPA Checkout is Checkout's own error
 * (`CheckoutError` in pagopa/domain/checkout-errors.ts), not one of these.
 */
import { defineCatalog } from '../../../shared/domain-error.js';

/**
 * A gestionale's redirect refused. `code` is the outcome the audit journal records, in the manual's
 * words; `journal` is the manual's log line, without fiscal codes.
 */
export class PortalRefusal extends defineCatalog({
  // the redirect is not trusted (§3.3)
  REQUEST_INVALID: { code: 'RICHIESTA_NON_VALIDA', kind: 'invalid' },
  CALLER_UNKNOWN: { code: 'CHIAMANTE_NON_RICONOSCIUTO', kind: 'forbidden' },
  DIGEST_INVALID: { code: 'DIGEST_NON_VALIDO', kind: 'forbidden' },
  PAYMENT_ID_INVALID: { code: 'IDENTIFICATIVO_NON_VALIDO', kind: 'invalid' },
  PAYMENT_ID_REUSED: { code: 'IDENTIFICATIVO_GIA_USATO', kind: 'conflict' },
  IUV_NOT_FOUND: { code: 'IUV_NON_TROVATO', kind: 'not-found' },
  PAYMENT_TYPE_NOT_ALLOWED: { code: 'TIPO_PAGAMENTO_NON_AUTORIZZATO', kind: 'forbidden' },
  // the position cannot be paid (§3.4)
  POSITION_PAID: { code: 'POSIZIONE_PAGATA', kind: 'conflict' },
  POSITION_CANCELLED: { code: 'POSIZIONE_ANNULLATA', kind: 'conflict' },
  POSITION_IN_PAYMENT: { code: 'POSIZIONE_IN_ATTESA_DI_RICEVUTA', kind: 'conflict' },
  POSITION_EXPIRED: { code: 'POSIZIONE_SCADUTA', kind: 'conflict' },
  POSITION_NOT_YET_PAYABLE: { code: 'POSIZIONE_NON_ANCORA_PAGABILE', kind: 'conflict' },
  // its document was paid, or is being paid, in another way (single solution, instalments, threshold)
  POSITION_DOCUMENT_PAID: { code: 'DOCUMENTO_PAGATO_IN_ALTRO_MODO', kind: 'conflict' },
  POSITION_DOCUMENT_IN_PAYMENT: { code: 'DOCUMENTO_IN_PAGAMENTO_IN_ALTRO_MODO', kind: 'conflict' },
}) {
  constructor(
    reason: RefusalReason,
    /** For the journal: the manual's log line, never a fiscal code. */
    readonly journal: string,
    readonly context: {
      caller?: string | undefined;
      enteFiscalCode?: string | undefined;
      iuv?: string | undefined;
    } = {},
  ) {
    super(reason, journal);
  }

  get reason(): RefusalReason {
    return this.errorName;
  }
}

export type RefusalReason = PortalRefusal['errorName'];

/** Why a position cannot be paid now (§3.4): the refusals that name its status. */
export type UnpayableReason = Extract<RefusalReason, `POSITION_${string}`>;

/** A problem of a citizen's input on the portal's own forms: shown next to the field. */
export class PortalInputError extends defineCatalog({
  NOTICE_REQUIRED: { kind: 'invalid' },
  NOTICE_FORMAT: { kind: 'invalid' },
  FISCAL_CODE_REQUIRED: { kind: 'invalid' },
  NOTICE_NOT_FOUND: { kind: 'invalid' },
  NOTICE_AMBIGUOUS: { kind: 'invalid' },
  NOTICE_ALREADY_IN_CART: { kind: 'invalid' },
  /** another way of paying the same document is in the cart (its single solution and an instalment, say) */
  NOTICE_OTHER_PLAN_IN_CART: { kind: 'invalid' },
  /** paid or in payment elsewhere since it entered the cart: a conflict with the position's state */
  NOTICE_NOT_PAYABLE: { kind: 'conflict' },
  ENTE_FORMAT: { kind: 'invalid' },
  CART_FULL: { kind: 'invalid' },
  CART_EMPTY: { kind: 'invalid' },
  REFERENCES_MISMATCH: { kind: 'invalid' },
  EMAIL_REQUIRED: { kind: 'invalid' },
  EMAIL_INVALID: { kind: 'invalid' },
  EMAIL_MISMATCH: { kind: 'invalid' },
  PRIVACY_REQUIRED: { kind: 'invalid' },
  CAPTCHA_REQUIRED: { kind: 'invalid' },
  CAPTCHA_INVALID: { kind: 'invalid' },
  CAPTCHA_REPLAYED: { kind: 'invalid' },
}) {
  declare readonly field: string;

  constructor(
    problem: InputProblem,
    field: string,
    /** Extra values for the message (e.g. the status of a notice). */
    readonly params: Record<string, string> = {},
  ) {
    super(problem, undefined, field);
  }

  get problem(): InputProblem {
    return this.errorName;
  }
}

export type InputProblem = PortalInputError['errorName'];

/** Several problems of one form, shown together. */
export class PortalInputErrors extends Error {
  constructor(readonly problems: PortalInputError[]) {
    super(problems.map((p) => p.problem).join(', '));
    this.name = 'PortalInputErrors';
  }
}

/** A notice found but not payable (home page): the message names its status. */
export class NoticeNotPayable extends defineCatalog({ NOTICE_NOT_PAYABLE: { kind: 'conflict' } }) {
  constructor(
    readonly reason: UnpayableReason,
    /** The position found (a paid one: the citizen is offered its receipt). */
    readonly positionId?: number,
  ) {
    super('NOTICE_NOT_PAYABLE', reason);
  }
}

/** "Prosegui" from a summary showing a cart that has changed since (in another window of the browser). */
export class CartChanged extends defineCatalog({ CART_CHANGED: { kind: 'conflict' } }) {
  constructor() {
    super('CART_CHANGED');
  }
}
