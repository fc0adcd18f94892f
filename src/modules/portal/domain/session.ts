/**
 * A citizen's way through the Sportello, as stored between pages (table portal_session).
 */
import { effectiveStatus, type DebtPositionStatus } from '../../debt-positions/domain/debt-position.js';
import {
  documentConflict,
  type DocumentPlace,
  type SiblingState,
} from '../../debt-positions/domain/documents.js';
import type { Separator } from './digest.js';
import type { RefusalReason } from './errors.js';

export const MAX_CART = 5;
/** How long a visit lives without activity; a Checkout payment fits in it with margin. */
export const SESSION_TTL_MS = 2 * 60 * 60 * 1000;

export type Outcome = 'ok' | 'ko' | 'annullato' | 'attesa';
export const OUTCOMES: readonly Outcome[] = ['ok', 'ko', 'annullato', 'attesa'];
/** How a flow ended: Checkout's outcome, or "indietro" (the citizen went back to the caller from the summary). */
export type FlowOutcome = Outcome | 'indietro';

export interface CartItem {
  positionId: number;
  enteFiscalCode: string;
  iuv: string;
  noticeNumber: string;
}

export interface PortalSession {
  id: string;
  kind: 'gestionale' | 'manual';
  applicationId: number | null;
  identificativoPagamento: string | null;
  callerDigest: string | null;
  digestSeparator: Separator | null;
  positions: CartItem[];
  pending: CartItem | null;
  email: string | null;
  privacyConsent: boolean;
  returnKey: string;
  /** The session's name in the conclusion URLs handed to Checkout: never the cookie's value (id). */
  publicId: string;
  idCart: string | null;
  outcome: FlowOutcome | null;
  concludedAt: Date | null;
  createdAt: Date;
  expiresAt: Date;
  /** The digest of the cookie of the browser the flow belongs to; null until a landing's flow is claimed. */
  browserKey: string | null;
  /** The cart's version, raised at every change: a summary page carries the one it showed. */
  revision: number;
  /** Set when a later landing of the same position in the same browser reopened the payment. */
  supersededAt: Date | null;
}

/**
 * Where a flow stands when one of its pages is used: open (the payment can go on), concluded
 * (Checkout's outcome is in), closed (the citizen went back to the caller with "< Indietro"),
 * superseded (reopened by a later landing), expired (no activity for SESSION_TTL_MS), or unknown
 * (no such flow in this browser).
 */
export type FlowState = 'open' | 'concluded' | 'closed' | 'superseded' | 'expired';

export function flowState(
  s: Pick<PortalSession, 'outcome' | 'supersededAt' | 'expiresAt'>,
  now: Date,
): FlowState {
  if (s.outcome === 'indietro') return 'closed';
  if (s.outcome !== null) return 'concluded';
  if (s.supersededAt !== null) return 'superseded';
  if (s.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'open';
}

/**
 * What the conclusion page says, from Checkout's outcome and the positions' state now (a reload
 * after the receipt shows the payment done):
 * - paid: every position has its receipt;
 * - received: Checkout reported success, the receipt is awaited;
 * - unknown: Checkout could not tell (returnWaitingUrl) and a payment may still be open at the node
 *   (an activation younger than the longest payment token); the outcome will follow from the receipt;
 * - abandoned: Checkout could not tell and nothing can be open any more (no activation, or its
 *   token has expired);
 * - cancelled / failed: the citizen cancelled, or the payment failed.
 */
export type ConclusionState = 'paid' | 'received' | 'unknown' | 'abandoned' | 'cancelled' | 'failed';

/**
 * How long after an activation (paGetPayment) a payment can still complete: the longest payment
 * token pagoPA issues (activatePaymentNotice's expirationTime, at most 1,800,000 ms). A payment
 * whose outcome Checkout could not tell is "unknown" within it, "abandoned" after it.
 */
export const PAYMENT_TOKEN_MAX_MS = 30 * 60 * 1000;

export function conclusionState(
  outcome: Outcome,
  statuses: DebtPositionStatus[],
  paymentMayBeOpen: boolean,
): ConclusionState {
  if (statuses.length > 0 && statuses.every((st) => st === 'PAID')) return 'paid';
  switch (outcome) {
    case 'ok':
      return 'received';
    case 'annullato':
      return 'cancelled';
    case 'ko':
      return 'failed';
    case 'attesa':
      return paymentMayBeOpen || statuses.some((st) => st === 'PAYMENT_IN_PROGRESS')
        ? 'unknown'
        : 'abandoned';
  }
}

/** Whether the citizen is offered to pay again: not while the outcome may still come (unknown), nor once paid. */
export function offersRetry(state: ConclusionState): boolean {
  return state === 'cancelled' || state === 'failed' || state === 'abandoned';
}

/** The outcome code the caller gets back for a conclusion (seed 000 §2.2.1): 000 only for a payment made. */
export function codEsitoOf(state: ConclusionState): '000' | '100' {
  return state === 'paid' || state === 'received' ? '000' : '100';
}

/** The three switchable parts of the personal-data page (seed 000 §3.2). */
export interface PersonalDataParts {
  email: boolean;
  privacy: boolean;
  captcha: boolean;
}

/**
 * The manual flow (no gestionale) shows all three parts: the e-mail receives pagoPA's receipt,
 * the consent is the same as for gestionali, and the captcha keeps robots from starting payments
 * on a public page.
 */
export const MANUAL_FLOW_PARTS: PersonalDataParts = { email: true, privacy: true, captcha: true };

export function skipsPersonalData(p: PersonalDataParts): boolean {
  return !p.email && !p.privacy && !p.captcha;
}

/** Why a position cannot be paid on the Sportello now, or null when it can (§3.4). */
export function unpayableReason(
  p: {
    status: DebtPositionStatus;
    validFrom?: string | undefined;
    validTo?: string | undefined;
    amountCents: number;
    document?: { place: DocumentPlace; siblings: readonly SiblingState[] } | undefined;
  },
  today: string,
): Extract<RefusalReason, `POSITION_${string}`> | null {
  switch (effectiveStatus(p, today)) {
    case 'PAID':
      return 'POSITION_PAID';
    case 'CANCELLED':
      return 'POSITION_CANCELLED';
    case 'PAYMENT_IN_PROGRESS':
      return 'POSITION_IN_PAYMENT';
    case 'EXPIRED':
      return 'POSITION_EXPIRED';
    case 'NOT_YET_ACTIVE':
      return 'POSITION_NOT_YET_PAYABLE';
    default:
  }
  // an ANONIMO fine still waiting for the offender's data (amount 0) cannot be paid yet
  if (p.amountCents <= 0) return 'POSITION_NOT_YET_PAYABLE';
  // its document paid (or being paid) in another way: single solution, instalments, a threshold option
  switch (p.document ? documentConflict(p.document.place, p.document.siblings) : null) {
    case 'OTHER_PLAN_PAID':
      return 'POSITION_DOCUMENT_PAID';
    case 'OTHER_PLAN_IN_PROGRESS':
      return 'POSITION_DOCUMENT_IN_PAYMENT';
    default:
      return null;
  }
}

/** A flow's public id, a claim token, a browser's cookie value: 256 random bits in base64url. */
export const FLOW_ID = /^[A-Za-z0-9_-]{43}$/;

export const IDENTIFICATIVO_PAGAMENTO = /^[A-Za-z0-9_-]{1,50}$/;
const CODICE_FISCALE = /^[A-Za-z0-9]{11,35}$/;
const IUV = /^[A-Za-z0-9]{1,35}$/;
const CODICE_CHIAMANTE = /^[A-Za-z0-9_.-]{1,50}$/;

export interface LandingForm {
  codiceChiamante: string;
  digest: string;
  iuv: string;
  codiceFiscale: string;
  identificativoPagamento: string;
}

/** The fields of the redirect, trimmed; the name of the first missing or malformed one otherwise. */
export function readLandingForm(
  body: unknown,
): { ok: true; form: LandingForm } | { ok: false; field: string } {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const s = (k: string) => (typeof b[k] === 'string' ? b[k].trim() : '');
  const form = {
    codiceChiamante: s('codiceChiamante'),
    digest: s('digest'),
    iuv: s('iuv'),
    codiceFiscale: s('codiceFiscale').toUpperCase(),
    identificativoPagamento: s('identificativoPagamento'),
  };
  if (!CODICE_CHIAMANTE.test(form.codiceChiamante)) return { ok: false, field: 'codiceChiamante' };
  if (!form.digest || form.digest.length > 100) return { ok: false, field: 'digest' };
  if (!IUV.test(form.iuv)) return { ok: false, field: 'iuv' };
  if (!CODICE_FISCALE.test(form.codiceFiscale)) return { ok: false, field: 'codiceFiscale' };
  if (!form.identificativoPagamento) return { ok: false, field: 'identificativoPagamento' };
  return { ok: true, form };
}

/** A notice code (18 digits) or an IUV (digits and letters, up to 35), spaces removed. */
export function readNoticeCode(raw: string): { noticeNumber?: string; iuv?: string } | null {
  const v = raw.replace(/[\s.-]/g, '');
  if (/^[0-3]\d{17}$/.test(v)) return { noticeNumber: v };
  if (/^[A-Za-z0-9]{1,35}$/.test(v)) return { iuv: v };
  return null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export function isEmail(v: string): boolean {
  return v.length <= 256 && EMAIL.test(v);
}

/** Payment references compare ignoring case and surrounding spaces. */
export function sameReference(a: string, b: string): boolean {
  return a.trim().toUpperCase() === b.trim().toUpperCase();
}
