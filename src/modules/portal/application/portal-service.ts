import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isApplicationUsable } from '../../applications/domain/applications.js';
import { planOf } from '../../debt-positions/domain/documents.js';
import type { DebtPositionsService } from '../../debt-positions/application/debt-positions-service.js';
import { ANONIMO } from '../../debt-positions/domain/debt-position.js';
import { romeToday } from '../../../shared/calendar.js';
import type { CheckoutService } from '../../pagopa/application/checkout-service.js';
import type { ReceiptsQueries } from '../../pagopa/application/receipts-queries.js';
import type { ReturnUrls } from '../../pagopa/domain/checkout-cart.js';
import type { Database } from '../../../db/database.js';
import type { SecretBox } from '../../../shared/secret-box.js';
import { computeReturnDigest, matchDigest, returnLink, type CodEsito } from '../domain/digest.js';
import {
  CartChanged,
  NoticeNotPayable,
  PortalInputError,
  PortalInputErrors,
  PortalRefusal,
} from '../domain/errors.js';
import {
  codEsitoOf,
  conclusionState,
  FLOW_ID,
  flowState,
  IDENTIFICATIVO_PAGAMENTO,
  isEmail,
  MANUAL_FLOW_PARTS,
  MAX_CART,
  PAYMENT_TOKEN_MAX_MS,
  readLandingForm,
  readNoticeCode,
  sameReference,
  SESSION_TTL_MS,
  skipsPersonalData,
  unpayableReason,
  type CartItem,
  type ConclusionState,
  type FlowState,
  type Outcome,
  type PersonalDataParts,
  type PortalSession,
} from '../domain/session.js';
import * as repo from '../infra/portal-repository.js';
import type { CallerRow, PortalPosition } from '../infra/portal-repository.js';
import type { Captcha } from './captcha.js';

export interface Landed {
  session: PortalSession;
  parts: PersonalDataParts;
  /** Set when the personal-data page is skipped (§3.2): the browser goes straight to Checkout. */
  checkoutLocation?: string;
  /** Otherwise: the single-use token of the first GET of the flow's page, which binds it to the browser. */
  claimToken?: string;
}

/** A flow as one of its pages finds it; the session is there unless the flow is unknown to this browser. */
export type FlowLookup = { state: FlowState; session: PortalSession } | { state: 'unknown' };

/** A browser's Sportello cookie: its value, and whether it was just issued or changed (to be sent). */
export interface BrowserCookie {
  value: string;
  changed: boolean;
}

export interface PersonalDataInput {
  email?: string | undefined;
  emailConfirm?: string | undefined;
  privacy?: string | undefined;
  captcha?: string | undefined;
}

export interface Conclusion {
  session: PortalSession;
  positions: PortalPosition[];
  /** "Torna al sistema chiamante" (gestionale sessions only), with the code matching `state`. */
  returnLink: string | null;
  outcome: Outcome;
  /** What the page says: Checkout's outcome read with the positions' state now. */
  state: ConclusionState;
}

/** Builds the absolute conclusion URLs handed to Checkout for a session, named by its public id (never the cookie's value). */
export type ReturnUrlBuilder = (publicId: string, outcome: Outcome, token: string) => string;

const SESSION_ID = FLOW_ID;

/** The key a flow row keeps of a browser: the digest of its cookie's value (a database copy gives no cookie). */
export function browserKeyOf(cookie: string): string {
  return createHash('sha256').update(cookie).digest('hex');
}

const cartItem = (p: PortalPosition): CartItem => ({
  positionId: p.id,
  enteFiscalCode: p.enteFiscalCode,
  iuv: p.iuv,
  noticeNumber: p.noticeNumber,
});

/**
 * The citizen portal: the redirect from a gestionale (digest, single-use identificativoPagamento,
 * position checks), the manual flow (notice code and fiscal code or payment references, a cart of
 * up to 5 notices), the personal-data page, the start of the payment on pagoPA Checkout and the
 * conclusion with the link back to the caller. The state between pages is in portal_session.
 */
export class PortalService {
  constructor(
    private readonly db: Database,
    private readonly secrets: SecretBox,
    private readonly debtPositions: DebtPositionsService,
    private readonly checkout: CheckoutService,
    readonly captcha: Captcha,
    private readonly receipts: ReceiptsQueries,
    /** The key of the receipt links' HMAC: derived from the installation's secrets, never sent. */
    private readonly linkKey: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private today(): string {
    return romeToday(this.clock());
  }

  private expiry(): Date {
    return new Date(this.clock().getTime() + SESSION_TTL_MS);
  }

  /**
   * POST accessoChiamanteEsterno. Checks, in this order: the fields, the caller (known, active,
   * with a return URL), the digest, the identificativoPagamento (format, never used), the position
   * (IUV of that fiscal code), the caller's right to its payment type, and its status. Only an
   * accepted landing uses the identificativoPagamento up; a refused one can be retried with it.
   */
  async land(
    body: unknown,
    opts: { returnUrls: ReturnUrlBuilder; correlationId?: string | undefined },
  ): Promise<Landed> {
    const read = readLandingForm(body);
    if (!read.ok)
      throw new PortalRefusal(
        'REQUEST_INVALID',
        `Errore sul campo ${read.field}: campo mancante o non valido`,
      );
    const f = read.form;
    const caller = await repo.callerForLanding(this.db, f.codiceChiamante, f.identificativoPagamento);
    const usable =
      caller &&
      caller.returnUrl &&
      isApplicationUsable(
        { active: caller.active, validFrom: caller.validFrom, validTo: caller.validTo },
        this.today(),
      );
    if (!caller || !usable || !caller.returnUrl) {
      throw new PortalRefusal(
        'CALLER_UNKNOWN',
        `Chiamante esterno con codice ${f.codiceChiamante} non riconosciuto: Chiamante esterno non riconosciuto, non attivo o passphrase errata`,
        { caller: f.codiceChiamante },
      );
    }
    const ctx = { caller: caller.codiceChiamante, iuv: f.iuv };
    const sep = matchDigest(
      f.digest,
      {
        passphrase: this.secrets.decrypt(caller.passphraseEnc),
        codiceChiamante: f.codiceChiamante,
        identificativoPagamento: f.identificativoPagamento,
        iuv: f.iuv,
        returnUrl: caller.returnUrl,
      },
      caller.digestSeparator,
    );
    if (!sep)
      throw new PortalRefusal(
        'DIGEST_INVALID',
        `Errore sul campo digest, con valore ${f.digest}. Messaggio = Verifica digest fallita`,
        ctx,
      );
    if (!IDENTIFICATIVO_PAGAMENTO.test(f.identificativoPagamento)) {
      throw new PortalRefusal(
        'PAYMENT_ID_INVALID',
        'Errore sul campo identificativoPagamento: da 1 a 50 caratteri tra lettere, cifre, _ e -',
        ctx,
      );
    }
    if (caller.paymentIdUsed) {
      throw new PortalRefusal(
        'PAYMENT_ID_REUSED',
        `Errore sul campo identificativoPagamento, con valore ${f.identificativoPagamento}. Messaggio = identificativo già presente in archivio`,
        ctx,
      );
    }
    const candidates = (await repo.positionsForLanding(this.db, f.iuv, caller.id)).filter(
      (p) => p.debtorFiscalCode.toUpperCase() === f.codiceFiscale,
    );
    const position = candidates[0];
    if (!position)
      throw new PortalRefusal(
        'IUV_NOT_FOUND',
        `Errore sul campo iuv, con valore ${f.iuv}. Messaggio = Codice Iuv non trovato o non associato al codice fiscale indicato`,
        ctx,
      );
    const where = { ...ctx, enteFiscalCode: position.enteFiscalCode };
    if (!position.authorised)
      throw new PortalRefusal(
        'PAYMENT_TYPE_NOT_ALLOWED',
        'Chiamante non autorizzato al tipo pagamento indicato',
        where,
      );
    const unpayable = position.enteActive ? unpayableReason(position, this.today()) : 'POSITION_CANCELLED';
    if (unpayable) {
      throw new PortalRefusal(
        unpayable,
        `Errore sul campo iuv, con valore ${f.iuv}. Messaggio = Codice Iuv riferito a pagamento effettuato, annullato o in attesa di ricevuta oppure non più valido perché scaduto (${unpayable})`,
        where,
      );
    }
    const id = newId();
    const claimToken = newId();
    const session = await repo.openGestionaleSession(this.db, {
      id,
      applicationId: caller.id,
      identificativoPagamento: f.identificativoPagamento,
      callerDigest: f.digest.replace(/[\r\n]/g, ''),
      digestSeparator: sep,
      positions: [cartItem(position)],
      email: position.debtorEmail,
      returnKey: newId(),
      publicId: newId(),
      expiresAt: this.expiry(),
      claimHash: skipsPersonalData(partsOf(caller)) ? null : browserKeyOf(claimToken),
    });
    if (!session)
      throw new PortalRefusal(
        'PAYMENT_ID_REUSED',
        `Errore sul campo identificativoPagamento, con valore ${f.identificativoPagamento}. Messaggio = identificativo già presente in archivio`,
        where,
      );
    const parts = partsOf(caller);
    if (!skipsPersonalData(parts)) return { session, parts, claimToken };
    const location = await this.startCheckout(
      session,
      [position],
      position.debtorEmail ?? undefined,
      false,
      opts,
    );
    return { session, parts, checkoutLocation: location };
  }

  /**
   * The first GET of a landing's flow: binds the flow to the browser (its cookie, or a new one when
   * it has none), then gives the browser a new cookie value (against session fixation), which all
   * its flows follow. Older open flows of the same position in this browser become superseded.
   * Undefined when the token is wrong, used or expired: then nothing changes for the browser.
   * `cookie` is undefined in the answer when the browser keeps the value it has: another tab's
   * landing, bound a moment before with the same old value, already gave it the new one, and this
   * flow joins the new key (the old value never learns it).
   */
  async claim(
    publicId: string,
    token: string,
    cookie: string | undefined,
  ): Promise<{ session: PortalSession; cookie: string | undefined } | undefined> {
    if (!SESSION_ID.test(publicId) || !SESSION_ID.test(token)) return undefined;
    if (cookie === undefined || !SESSION_ID.test(cookie)) {
      // a browser without the Sportello's cookie: a new value nobody else knows, no other flow under it
      const fresh = newId();
      const session = await repo.claimForNewBrowser(
        this.db,
        publicId,
        browserKeyOf(fresh),
        browserKeyOf(token),
      );
      return session && { session, cookie: fresh };
    }
    const key = browserKeyOf(cookie);
    return repo.forBrowser(this.db, key, async (tx) => {
      const successor = await repo.successorOf(tx, key);
      const session = await repo.claimFlow(tx, publicId, successor ?? key, browserKeyOf(token));
      if (!session) return undefined;
      await repo.supersede(tx, successor ?? key, session);
      if (successor) return { session, cookie: undefined };
      const fresh = newId();
      await repo.rotate(tx, key, browserKeyOf(fresh));
      return { session, cookie: fresh };
    });
  }

  /** A flow of this browser by its public id, and where it stands. */
  async flow(publicId: string, cookie: string | undefined): Promise<FlowLookup> {
    if (!cookie || !SESSION_ID.test(cookie) || !SESSION_ID.test(publicId)) return { state: 'unknown' };
    const session = await repo.flow(this.db, publicId, browserKeyOf(cookie));
    return session ? { state: flowState(session, this.clock()), session } : { state: 'unknown' };
  }

  /** The browser's open manual cart (one per browser, shared by its windows). */
  async manualCart(cookie: string | undefined): Promise<PortalSession | undefined> {
    if (!cookie || !SESSION_ID.test(cookie)) return undefined;
    return repo.manualCart(this.db, browserKeyOf(cookie));
  }

  /** The browser's gestionale flows still open (for the Sportello's home: the way back to them). */
  async openFlows(cookie: string | undefined): Promise<PortalSession[]> {
    if (!cookie || !SESSION_ID.test(cookie)) return [];
    return repo.openFlows(this.db, browserKeyOf(cookie));
  }

  /** A manual cart, opened when the citizen first adds a notice; the browser gets a cookie if it had none. */
  async openManual(cookie: string | undefined): Promise<{ session: PortalSession; cookie: BrowserCookie }> {
    const browser =
      cookie && SESSION_ID.test(cookie)
        ? { value: cookie, changed: false }
        : { value: newId(), changed: true };
    const id = newId();
    await repo.openManualSession(this.db, id, newId(), newId(), this.expiry(), browserKeyOf(browser.value));
    return { session: (await repo.session(this.db, id))!, cookie: browser };
  }

  /**
   * A new cookie value for the browser (against session fixation): when a landing's flow is bound to
   * it and when a notice enters its cart, the steps that put someone's personal data under its key.
   * The old value stops working for all its flows; the caller sends the new one. Undefined when
   * another request of the same browser rotated it a moment before (its answer carries the value).
   */
  async rotate(cookie: string): Promise<string | undefined> {
    const key = browserKeyOf(cookie);
    return repo.forBrowser(this.db, key, async (tx) => {
      if (await repo.successorOf(tx, key)) return undefined;
      const fresh = newId();
      await repo.rotate(tx, key, browserKeyOf(fresh));
      return fresh;
    });
  }

  /** Whether the session's cart can still change (manual flow, not concluded, not yet handed to Checkout). */
  editable(s: PortalSession | undefined): s is PortalSession {
    return s !== undefined && s.kind === 'manual' && s.outcome === null && s.idCart === null;
  }

  /**
   * Adds a notice by its code (notice number or IUV) and the debtor's fiscal code. An ANONIMO
   * position (fines with advance notice) asks for its payment references instead: the result is
   * then 'references' and the position waits in `pending`.
   */
  async addNotice(
    s: PortalSession,
    input: { code?: string | undefined; codiceFiscale?: string | undefined; ente?: string | undefined },
  ): Promise<'added' | 'references'> {
    if (s.positions.length >= MAX_CART)
      throw new PortalInputError('CART_FULL', 'codiceAvviso', { max: String(MAX_CART) });
    const rawCode = (input.code ?? '').trim();
    if (!rawCode) throw new PortalInputError('NOTICE_REQUIRED', 'codiceAvviso');
    const code = readNoticeCode(rawCode);
    if (!code) throw new PortalInputError('NOTICE_FORMAT', 'codiceAvviso');
    const ente = (input.ente ?? '').trim();
    if (ente && !/^\d{11}$/.test(ente)) throw new PortalInputError('ENTE_FORMAT', 'ente');
    const cf = (input.codiceFiscale ?? '').trim().toUpperCase();
    const rows = await repo.positionsByCode(this.db, code, ente || null);
    const byDebtor = cf
      ? rows.filter((p) => p.debtorFiscalCode.toUpperCase() === cf && p.debtorFiscalCode !== ANONIMO)
      : [];
    const anonymous = rows.filter((p) => p.debtorFiscalCode === ANONIMO);
    const chosen = byDebtor.length > 0 ? byDebtor : anonymous;
    if (chosen.length === 0) throw new PortalInputError('NOTICE_NOT_FOUND', 'codiceAvviso');
    if (chosen.length > 1) throw new PortalInputError('NOTICE_AMBIGUOUS', 'ente');
    const p = chosen[0]!;
    if (s.positions.some((i) => i.positionId === p.id))
      throw new PortalInputError('NOTICE_ALREADY_IN_CART', 'codiceAvviso');
    if (p.debtorFiscalCode === ANONIMO) {
      await repo.saveCart(this.db, s.id, s.positions, cartItem(p), this.expiry());
      return 'references';
    }
    this.assertPayable(p);
    await this.assertNoOtherPlanInCart(s, p);
    await repo.saveCart(this.db, s.id, [...s.positions, cartItem(p)], null, this.expiry());
    return 'added';
  }

  /**
   * One cart pays a document one way: its single solution and one of its instalments (or two threshold
   * options) together would have pagoPA refuse the second activation, the whole cart with it.
   */
  private async assertNoOtherPlanInCart(s: PortalSession, p: PortalPosition): Promise<void> {
    const doc = p.document;
    if (!doc || s.positions.length === 0) return;
    const inCart = await this.positions(s);
    const plan = planOf(doc.place);
    if (inCart.some((c) => c.document?.id === doc.id && planOf(c.document.place) !== plan))
      throw new PortalInputError('NOTICE_OTHER_PLAN_IN_CART', 'codiceAvviso');
  }

  /** The position waiting for its payment references, with the names to ask for. */
  async pendingReferences(s: PortalSession): Promise<PortalPosition | undefined> {
    if (!s.pending) return undefined;
    return (await repo.positionsByIds(this.db, [s.pending.positionId]))[0];
  }

  /** Every reference of the ANONIMO position must be given (case and spaces aside). */
  async submitReferences(s: PortalSession, values: string[]): Promise<void> {
    const p = await this.pendingReferences(s);
    if (!p) throw new PortalInputError('NOTICE_NOT_FOUND', 'codiceAvviso');
    const refs = p.paymentReferences;
    const ok = refs.length > 0 && refs.every((r, i) => sameReference(r.value, values[i] ?? ''));
    if (!ok) throw new PortalInputError('REFERENCES_MISMATCH', 'riferimento_0');
    this.assertPayable(p);
    if (s.positions.length >= MAX_CART)
      throw new PortalInputError('CART_FULL', 'codiceAvviso', { max: String(MAX_CART) });
    await repo.saveCart(this.db, s.id, [...s.positions, cartItem(p)], null, this.expiry());
  }

  async removeNotice(s: PortalSession, positionId: number): Promise<void> {
    await repo.saveCart(
      this.db,
      s.id,
      s.positions.filter((p) => p.positionId !== positionId),
      s.pending,
      this.expiry(),
    );
  }

  async cancelPending(s: PortalSession): Promise<void> {
    await repo.saveCart(this.db, s.id, s.positions, null, this.expiry());
  }

  async positions(s: PortalSession): Promise<PortalPosition[]> {
    return repo.positionsByIds(
      this.db,
      s.positions.map((p) => p.positionId),
    );
  }

  /**
   * What the summary page shows of a flow, with one read of its caller: the positions, the parts of
   * the personal-data page, and the origin of the caller's return URL (where "< Indietro" leads).
   */
  async summary(
    s: PortalSession,
  ): Promise<{ positions: PortalPosition[]; parts: PersonalDataParts; callerOrigin: string | null }> {
    const [positions, caller] = await Promise.all([
      this.positions(s),
      s.kind === 'gestionale' && s.applicationId !== null
        ? repo.callerById(this.db, s.applicationId)
        : undefined,
    ]);
    return {
      positions,
      parts: caller ? partsOf(caller) : MANUAL_FLOW_PARTS,
      callerOrigin: caller?.returnUrl ? new URL(caller.returnUrl).origin : null,
    };
  }

  /** The parts of the personal-data page for a session: the caller's flags, or the manual flow's. */
  async parts(s: PortalSession): Promise<PersonalDataParts> {
    if (s.kind === 'manual' || s.applicationId === null) return MANUAL_FLOW_PARTS;
    const caller = await repo.callerById(this.db, s.applicationId);
    return caller ? partsOf(caller) : MANUAL_FLOW_PARTS;
  }

  /**
   * "Prosegui": checks the personal data the page asked for (e-mail twice, consent, captcha —
   * verified last, so that a typo does not use a solved captcha up), then starts the payment on
   * pagoPA Checkout and answers where the browser goes.
   */
  async startPayment(
    s: PortalSession,
    input: PersonalDataInput,
    opts: { returnUrls: ReturnUrlBuilder; correlationId?: string | undefined; revision?: number | undefined },
  ): Promise<string> {
    if (s.outcome !== null || s.positions.length === 0)
      throw new PortalInputError('CART_EMPTY', 'codiceAvviso');
    // the page showed another cart (changed meanwhile in another window): pay nothing it did not show
    if (s.kind === 'manual' && opts.revision !== s.revision) throw new CartChanged();
    const parts = await this.parts(s);
    const problems: PortalInputError[] = [];
    const email = (input.email ?? '').trim();
    if (parts.email) {
      if (!email) problems.push(new PortalInputError('EMAIL_REQUIRED', 'email'));
      else if (!isEmail(email)) problems.push(new PortalInputError('EMAIL_INVALID', 'email'));
      else if (email.toLowerCase() !== (input.emailConfirm ?? '').trim().toLowerCase())
        problems.push(new PortalInputError('EMAIL_MISMATCH', 'emailConferma'));
    }
    const consent = input.privacy === 'on' || input.privacy === 'true' || input.privacy === '1';
    if (parts.privacy && !consent) problems.push(new PortalInputError('PRIVACY_REQUIRED', 'privacy'));
    if (problems.length > 0) throw new PortalInputErrors(problems);
    // a notice may have been paid (or be in payment) elsewhere since it entered the cart: said per
    // notice, before the captcha is checked, so that a solved captcha is not used up by a cart that
    // cannot be sent
    const positions = await this.positions(s);
    const unpayable = positions.flatMap((p) => {
      const reason = p.enteActive ? unpayableReason(p, this.today()) : 'POSITION_CANCELLED';
      return reason
        ? [
            new PortalInputError('NOTICE_NOT_PAYABLE', `position-${p.iuv}`, {
              notice: p.noticeNumber,
              reason,
            }),
          ]
        : [];
    });
    if (positions.length < s.positions.length)
      unpayable.push(new PortalInputError('CART_EMPTY', 'codiceAvviso'));
    if (unpayable.length > 0) throw new PortalInputErrors(unpayable);
    if (parts.captcha) {
      const check = await this.captcha.check(input.captcha);
      if (check !== 'ok')
        throw new PortalInputErrors([
          new PortalInputError(
            check === 'missing'
              ? 'CAPTCHA_REQUIRED'
              : check === 'replayed'
                ? 'CAPTCHA_REPLAYED'
                : 'CAPTCHA_INVALID',
            'altcha',
          ),
        ]);
    }
    const emailNotice = parts.email ? email : s.kind === 'gestionale' ? (s.email ?? undefined) : undefined;
    return this.startCheckout(s, positions, emailNotice, parts.privacy && consent, opts);
  }

  private async startCheckout(
    s: PortalSession,
    positions: PortalPosition[],
    email: string | undefined,
    consent: boolean,
    opts: { returnUrls: ReturnUrlBuilder; correlationId?: string | undefined },
  ): Promise<string> {
    const urls: ReturnUrls = {
      returnOkUrl: opts.returnUrls(s.publicId, 'ok', this.returnToken(s, 'ok')),
      returnCancelUrl: opts.returnUrls(s.publicId, 'annullato', this.returnToken(s, 'annullato')),
      returnErrorUrl: opts.returnUrls(s.publicId, 'ko', this.returnToken(s, 'ko')),
      returnWaitingUrl: opts.returnUrls(s.publicId, 'attesa', this.returnToken(s, 'attesa')),
    };
    // Checkout's refusal or failure goes on as its CheckoutError: the edge says which ('unavailable': 502)
    const started = await this.checkout.startCheckout({
      positions: positions.map((p) => ({ enteFiscalCode: p.enteFiscalCode, noticeNumber: p.noticeNumber })),
      returnUrls: urls,
      emailNotice: email || undefined,
      correlationId: opts.correlationId,
      caller: s.kind === 'gestionale' ? `portal:${s.identificativoPagamento}` : 'portal',
    });
    await repo.savePersonalData(this.db, s.id, email ?? null, consent, started.idCart, this.expiry());
    return started.location;
  }

  /** The secret part of a conclusion URL: only Checkout learns it, so a citizen cannot forge an "ok". */
  returnToken(s: Pick<PortalSession, 'publicId' | 'returnKey'>, outcome: Outcome): string {
    return createHmac('sha256', s.returnKey)
      .update(`${s.publicId}:${outcome}`)
      .digest('base64url')
      .slice(0, 32);
  }

  /**
   * Back from Checkout. The outcome is fixed at the first return (a later visit of another
   * conclusion URL changes nothing); on 'ok' the positions wait for their receipt.
   */
  async conclude(publicId: string, outcome: Outcome, token: string): Promise<Conclusion | undefined> {
    const s = SESSION_ID.test(publicId) ? await repo.sessionByPublicId(this.db, publicId) : undefined;
    if (!s || !s.idCart) return undefined;
    const expected = Buffer.from(this.returnToken(s, outcome));
    const given = Buffer.from(token);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    let fixed = s.outcome;
    if (fixed === null && (await repo.conclude(this.db, s.id, outcome))) {
      fixed = outcome;
      if (outcome === 'ok') {
        await this.debtPositions.markAwaitingReceipt(
          s.positions.map((p) => p.positionId),
          'portal',
          `pagoPA Checkout: esito positivo, in attesa della ricevuta (idCart ${s.idCart})`,
        );
      }
    }
    const current = (await repo.session(this.db, s.id)) ?? s;
    // a flow closed with "< Indietro" and then paid in a Checkout window left open: Checkout's word
    const stored = current.outcome ?? fixed;
    const final: Outcome = stored === null || stored === 'indietro' ? outcome : stored;
    const positions = await this.positions(current);
    const mayBeOpen =
      final === 'attesa' &&
      (await repo.recentlyActivated(
        this.db,
        positions.map((p) => p.id),
        PAYMENT_TOKEN_MAX_MS,
      ));
    const state = conclusionState(
      final,
      positions.map((p) => p.status),
      mayBeOpen,
    );
    return {
      session: current,
      positions,
      returnLink: await this.callerReturnLink(current, codEsitoOf(state)),
      outcome: final,
      state,
    };
  }

  /**
   * "< Indietro" from a gestionale's summary: the flow is closed (the caller is told codEsito 100,
   * so it cannot later be paid from this flow and told otherwise) and the way back is returned.
   */
  async giveUp(s: PortalSession): Promise<string | null> {
    await repo.conclude(this.db, s.id, 'indietro');
    return this.giveUpLink(s);
  }

  /** The conclusion URL of a concluded flow (where "Prosegui" on one of its old pages leads). */
  conclusionPath(s: PortalSession): string | null {
    if (s.outcome === null || s.outcome === 'indietro') return null;
    return `/sportello/esito/${s.publicId}/${s.outcome}/${this.returnToken(s, s.outcome)}`;
  }

  /**
   * "< Indietro" from a gestionale's summary, or the way back from a superseded or expired flow:
   * the caller's return URL with codEsito 100 (a payment not made, seed 000 §3.3). Null for the
   * manual flow.
   */
  giveUpLink(s: PortalSession): Promise<string | null> {
    return this.callerReturnLink(s, '100');
  }

  /**
   * A paid position's receipt as the citizen may see it: the position and the receipt pagoPA sent.
   * Undefined when it has none (not paid, or paid before Cassa).
   */
  async receiptOf(positionId: number) {
    const [position] = await repo.positionsByIds(this.db, [positionId]);
    if (!position || position.status !== 'PAID') return undefined;
    const receipt = await this.receipts.ofPosition(position.enteId, position.iuv);
    return receipt && receipt.outcome === 'OK' ? { position, receipt } : undefined;
  }

  /**
   * The receipt link's secret for a position in a browser: an HMAC under the installation's key over
   * the browser's key and the position, so only the browser that reached the position (its cookie)
   * can open it, only until its cookie changes, and nobody can compute one for a cookie of their own.
   */
  receiptToken(cookie: string, positionId: number): string {
    return this.linkToken('ricevuta', cookie, positionId);
  }

  checkReceiptToken(cookie: string | undefined, positionId: number, token: string): boolean {
    return this.checkLinkToken('ricevuta', cookie, positionId, token);
  }

  /**
   * The notice download link's secret for a position in a browser: as the receipt's (an HMAC over the
   * browser's key and the position, under another label), handed out only on the pages of positions the
   * browser proved (notice code and fiscal code, or a gestionale's landing), and only until its cookie
   * changes: no guessable public URL for a notice that names its debtor.
   */
  noticeToken(cookie: string, positionId: number): string {
    return this.linkToken('avviso', cookie, positionId);
  }

  checkNoticeToken(cookie: string | undefined, positionId: number, token: string): boolean {
    return this.checkLinkToken('avviso', cookie, positionId, token);
  }

  private linkToken(purpose: 'ricevuta' | 'avviso', cookie: string, positionId: number): string {
    return createHmac('sha256', this.linkKey)
      .update(`${purpose}:${browserKeyOf(cookie)}:${positionId}`)
      .digest('base64url')
      .slice(0, 32);
  }

  private checkLinkToken(
    purpose: 'ricevuta' | 'avviso',
    cookie: string | undefined,
    positionId: number,
    token: string,
  ): boolean {
    if (!cookie || !SESSION_ID.test(cookie)) return false;
    const expected = Buffer.from(this.linkToken(purpose, cookie, positionId));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** The way back to a gestionale, with the outcome code the page's message matches. */
  private async callerReturnLink(s: PortalSession, codEsito: CodEsito): Promise<string | null> {
    if (s.kind !== 'gestionale' || s.applicationId === null || !s.identificativoPagamento || !s.callerDigest)
      return null;
    const caller = await repo.callerById(this.db, s.applicationId);
    if (!caller?.returnUrl) return null;
    const digest =
      caller.returnDigestMode === 'signed'
        ? computeReturnDigest(
            {
              passphrase: this.secrets.decrypt(caller.passphraseEnc),
              codiceChiamante: caller.codiceChiamante,
              identificativoPagamento: s.identificativoPagamento,
              iuv: s.positions[0]!.iuv,
              returnUrl: caller.returnUrl,
            },
            codEsito,
            s.digestSeparator ?? '%%%%',
          )
        : s.callerDigest;
    return returnLink(caller.returnUrl, s.identificativoPagamento, digest, codEsito);
  }

  private assertPayable(p: PortalPosition): void {
    const reason = p.enteActive ? unpayableReason(p, this.today()) : 'POSITION_CANCELLED';
    if (reason) throw new NoticeNotPayable(reason, p.id);
  }

  async purgeExpired(): Promise<number> {
    return repo.purgeExpired(this.db);
  }
}

function partsOf(c: CallerRow): PersonalDataParts {
  return { email: c.pageEmail, privacy: c.pagePrivacy, captcha: c.pageCaptcha };
}

function newId(): string {
  return randomBytes(32).toString('base64url');
}
