/**
 * Error catalog of the citizen portal. Refusals of a gestionale's redirect end on a page that
 * offers only the way back to the Sportello's home (seed 000 §2.2, §3.3, §3.4), never to the
 * caller; `journal` is what the audit journal records, in the manual's words, without fiscal codes.
 */
export const REFUSALS = {
  // the redirect is not trusted (§3.3)
  REQUEST_INVALID: { outcome: 'RICHIESTA_NON_VALIDA' },
  CALLER_UNKNOWN: { outcome: 'CHIAMANTE_NON_RICONOSCIUTO' },
  DIGEST_INVALID: { outcome: 'DIGEST_NON_VALIDO' },
  PAYMENT_ID_INVALID: { outcome: 'IDENTIFICATIVO_NON_VALIDO' },
  PAYMENT_ID_REUSED: { outcome: 'IDENTIFICATIVO_GIA_USATO' },
  IUV_NOT_FOUND: { outcome: 'IUV_NON_TROVATO' },
  PAYMENT_TYPE_NOT_ALLOWED: { outcome: 'TIPO_PAGAMENTO_NON_AUTORIZZATO' },
  // the position cannot be paid (§3.4)
  POSITION_PAID: { outcome: 'POSIZIONE_PAGATA' },
  POSITION_CANCELLED: { outcome: 'POSIZIONE_ANNULLATA' },
  POSITION_IN_PAYMENT: { outcome: 'POSIZIONE_IN_ATTESA_DI_RICEVUTA' },
  POSITION_EXPIRED: { outcome: 'POSIZIONE_SCADUTA' },
  POSITION_NOT_YET_PAYABLE: { outcome: 'POSIZIONE_NON_ANCORA_PAGABILE' },
} as const;

export type RefusalReason = keyof typeof REFUSALS;

export class PortalRefusal extends Error {
  readonly outcome: string;
  constructor(
    readonly reason: RefusalReason,
    /** For the journal: the manual's log line, never a fiscal code. */
    readonly journal: string,
    readonly context: {
      caller?: string | undefined;
      enteFiscalCode?: string | undefined;
      iuv?: string | undefined;
    } = {},
  ) {
    super(journal);
    this.name = 'PortalRefusal';
    this.outcome = REFUSALS[reason].outcome;
  }
}

/** Problems of a citizen's input on the portal's own forms: shown next to the field. */
export type InputProblem =
  | 'NOTICE_REQUIRED'
  | 'NOTICE_FORMAT'
  | 'FISCAL_CODE_REQUIRED'
  | 'NOTICE_NOT_FOUND'
  | 'NOTICE_AMBIGUOUS'
  | 'NOTICE_ALREADY_IN_CART'
  | 'NOTICE_NOT_PAYABLE'
  | 'ENTE_FORMAT'
  | 'CART_FULL'
  | 'CART_EMPTY'
  | 'REFERENCES_MISMATCH'
  | 'EMAIL_REQUIRED'
  | 'EMAIL_INVALID'
  | 'EMAIL_MISMATCH'
  | 'PRIVACY_REQUIRED'
  | 'CAPTCHA_REQUIRED'
  | 'CAPTCHA_INVALID'
  | 'CAPTCHA_REPLAYED'
  | 'CHECKOUT_REFUSED'
  | 'CHECKOUT_UNAVAILABLE';

export class PortalInputError extends Error {
  constructor(
    readonly problem: InputProblem,
    readonly field: string,
    /** Extra values for the message (e.g. the status of a notice). */
    readonly params: Record<string, string> = {},
  ) {
    super(problem);
    this.name = 'PortalInputError';
  }
}

/** A notice found but not payable (home page): the message names the status. */
export class NoticeNotPayable extends Error {
  constructor(
    readonly reason: Extract<RefusalReason, `POSITION_${string}`>,
    /** The position found (a paid one: the citizen is offered its receipt). */
    readonly positionId?: number,
  ) {
    super(reason);
    this.name = 'NoticeNotPayable';
  }
}

/** "Prosegui" from a summary showing a cart that has changed since (in another window of the browser). */
export class CartChanged extends Error {
  constructor() {
    super('CART_CHANGED');
    this.name = 'CartChanged';
  }
}
