import type { Database } from '../../../db/database.js';
import { romeToday } from '../../../shared/calendar.js';
import type { SecretBox } from '../../../shared/secret-box.js';
import { isApplicationUsable, type Scope } from '../../applications/domain/applications.js';
import type { AuthThrottle } from '../../limits/application/auth-throttle.js';
import {
  assertCancellable,
  assertDebtorChangeAllowed,
  assertFineChangeAllowed,
  assertModifiable,
  contentHash,
  DEFAULT_FIELD_NAMES,
  effectiveStatus,
  initialStatus,
  piemontePayStatus,
  sameDebtorIdentity,
  validateDraft,
  type DebtPosition,
  type DebtPositionDraft,
  type DebtPositionStatus,
  type DraftFieldNames,
  type DraftPatch,
} from '../domain/debt-position.js';
import { positionError } from '../domain/errors.js';
import { generateIuv, parseSuppliedIuv, type Iuv, type IuvProblem } from '../domain/notice-number.js';
import * as repo from '../infra/debt-positions-repository.js';
import { IuvProgressiveAllocator } from './iuv-progressive-allocator.js';
import { DocumentsService } from './documents-service.js';
import type { DocumentRef } from '../domain/documents.js';

/** A gestionale's call, as its credentials and path name it. */
export interface GestionaleCall {
  codiceChiamante: string;
  passphrase: string;
  enteCodiceFiscale: string;
  codiceVersamento: string;
  scope: Scope;
  /** The client address (req.ip): with it, failed authentications are counted and throttled (docs/security.md). */
  address?: string | undefined;
}

/** The outcome of authorising a call: who calls, for which ente and payment type. */
export interface CallContext {
  applicationId: number;
  codiceChiamante: string;
  enteId: number;
  enteCodiceFiscale: string;
  enteDenominazione: string;
  codiceSegregazione: string;
  applicationCode: string | null;
  paymentTypeId: number;
  codiceVersamento: string;
  paymentTypeDescrizione: string;
}

export interface CreateResult {
  iuv: string;
  noticeNumber: string;
  idPosizioneDebitoria: string | undefined;
  /** True when an identical create had already been done: nothing new was written. */
  replayed: boolean;
}

/**
 * A generated IUV can meet one a gestionale supplied earlier with the ente's segregation code (it
 * then lives in Cassa's own numbering): the next number is taken. Bounded so that a broken
 * database cannot loop forever; each attempt is one insert.
 */
const MAX_IUV_ATTEMPTS = 1000;
const IUV_PROBLEMS: Record<IuvProblem, string> = {
  NOT_NUMERIC: 'solo cifre',
  BAD_LENGTH: '15 cifre per aux 0, 17 per aux 3',
  BAD_CHECK_DIGIT: 'cifre di controllo errate',
  WRONG_SEGREGATION_CODE: "codice di segregazione diverso da quello dell'ente",
  NO_APPLICATION_CODE: "l'ente non ha un codice applicativo per gli IUV aux 0",
};

export class DebtPositionsService {
  private readonly progressives: IuvProgressiveAllocator;
  private readonly throttle: AuthThrottle | undefined;
  /** Documents (GovPay's documento): whole documents, positions added by reference, their state. */
  readonly documents: DocumentsService;

  constructor(
    private readonly db: Database,
    private readonly secrets: SecretBox,
    private readonly clock: () => Date = () => new Date(),
    opts: { iuvBlockSize?: number; throttle?: AuthThrottle } = {},
  ) {
    this.throttle = opts.throttle;
    this.progressives = new IuvProgressiveAllocator(
      (enteId, seg, count) => repo.nextIuvProgressives(db, enteId, seg, count),
      opts.iuvBlockSize,
    );
    this.documents = new DocumentsService(db, (enteId, seg) => this.nextIuv(enteId, seg), clock);
  }

  /** The next IUV of the ente's own numbering (aux digit 3, its segregation code). */
  async nextIuv(enteId: number, codiceSegregazione: string): Promise<Iuv> {
    return generateIuv(codiceSegregazione, await this.progressives.next(enteId, codiceSegregazione));
  }

  today(): string {
    return romeToday(this.clock());
  }

  /** Authenticates the caller (constant time) and checks its scope and its right to the payment type. */
  async authorize(call: GestionaleCall): Promise<CallContext> {
    // the throttle's state comes with the call context (one statement); it writes only on failures
    const address = this.throttle ? call.address : undefined;
    const keys = this.throttle?.keys(call.codiceChiamante, address) ?? {
      callerKey: null,
      addressKey: null,
      address: null,
      now: this.clock(),
    };
    const { context: row, throttle } = await repo.loadCallContext(
      this.db,
      call.codiceChiamante,
      call.enteCodiceFiscale,
      call.codiceVersamento,
      keys,
    );
    if (address !== undefined) this.throttle!.check(throttle, keys.now);
    const passOk = this.secrets.matches(row?.passphraseEnc ?? null, call.passphrase);
    if (address !== undefined && (!row || !passOk))
      await this.throttle!.failed(row ? row.codiceChiamante : null, address, keys.now);
    if (
      !row ||
      !passOk ||
      !isApplicationUsable(
        { active: row.appActive, validFrom: row.appValidFrom, validTo: row.appValidTo },
        this.today(),
      )
    ) {
      throw positionError(
        'CALLER_NOT_AUTHENTICATED',
        'Credenziali del chiamante non valide o chiamante non attivo',
      );
    }
    if (address !== undefined)
      await this.throttle!.succeeded(row.codiceChiamante, address, throttle, keys.now);
    if (!row.scopes.includes(call.scope)) {
      throw positionError('SCOPE_MISSING', `Il chiamante non è autorizzato all'operazione (${call.scope})`);
    }
    if (row.enteId === null || !row.enteActive) {
      throw positionError(
        'ENTE_UNKNOWN',
        `Ente ${call.enteCodiceFiscale} sconosciuto o non attivo`,
        'organization',
      );
    }
    if (row.paymentTypeId === null) {
      throw positionError(
        'PAYMENT_TYPE_UNKNOWN',
        `Tipo di pagamento ${call.codiceVersamento} sconosciuto per l'ente ${call.enteCodiceFiscale}`,
        'paymentType',
      );
    }
    if (!row.authorised) {
      throw positionError(
        'PAYMENT_TYPE_NOT_ALLOWED',
        'Chiamante non autorizzato al tipo pagamento indicato',
        'paymentType',
      );
    }
    const today = this.today();
    if (
      !row.paymentTypeActive ||
      (row.paymentTypeValidFrom && row.paymentTypeValidFrom > today) ||
      (row.paymentTypeValidTo && row.paymentTypeValidTo < today)
    ) {
      throw positionError(
        'PAYMENT_TYPE_NOT_ACTIVE',
        `Il tipo di pagamento ${call.codiceVersamento} non è attivo`,
        'paymentType',
      );
    }
    return {
      applicationId: row.applicationId,
      codiceChiamante: row.codiceChiamante,
      enteId: row.enteId,
      enteCodiceFiscale: row.enteCodiceFiscale!,
      enteDenominazione: row.enteDenominazione!,
      codiceSegregazione: row.codiceSegregazione!,
      applicationCode: row.applicationCode,
      paymentTypeId: row.paymentTypeId,
      codiceVersamento: row.codiceVersamento!,
      paymentTypeDescrizione: row.paymentTypeDescrizione!,
    };
  }

  /**
   * Creates a position with a new aux-3 IUV, or with the IUV the gestionale supplies.
   * Idempotent on the gestionale's own id: the same id with the same content answers the same IUV;
   * with different content it is a conflict.
   */
  async create(
    ctx: Pick<
      CallContext,
      'enteId' | 'paymentTypeId' | 'codiceSegregazione' | 'applicationCode' | 'codiceChiamante'
    > & { applicationId: number | null },
    draft: DebtPositionDraft,
    opts: {
      suppliedIuv?: string | undefined;
      names?: DraftFieldNames;
      /** GovPay's documento: the position joins that document (created when absent) at its place. */
      document?: DocumentRef | undefined;
    } = {},
  ): Promise<CreateResult> {
    const names = opts.names ?? DEFAULT_FIELD_NAMES;
    validateDraft(draft, names);
    const status = initialStatus(draft, this.today(), names);
    const hash = contentHash(draft, { suppliedIuv: opts.suppliedIuv, document: opts.document });
    let supplied: Iuv | undefined;
    if (opts.suppliedIuv !== undefined) {
      const parsed = parseSuppliedIuv(opts.suppliedIuv, {
        segregationCode: ctx.codiceSegregazione,
        applicationCode: ctx.applicationCode,
      });
      if (!parsed.ok)
        throw positionError(
          'IUV_INVALID',
          `Il campo iuv non contiene uno IUV valido per l'ente (${IUV_PROBLEMS[parsed.problem]})`,
          'iuv',
        );
      supplied = parsed.value;
    }
    if (opts.document) return this.createInDocument(ctx, draft, opts.document, status, hash, supplied, names);
    for (let attempt = 0; attempt < MAX_IUV_ATTEMPTS; attempt++) {
      const iuv = supplied ?? generateIuv(ctx.codiceSegregazione, await this.nextProgressive(ctx));
      const id = await repo.insertPosition(
        this.db,
        {
          enteId: ctx.enteId,
          paymentTypeId: ctx.paymentTypeId,
          iuv: iuv.iuv,
          noticeNumber: iuv.noticeNumber,
          status,
          contentHash: hash,
          createdByApplicationId: ctx.applicationId,
          draft,
        },
        `application:${ctx.codiceChiamante}`,
      );
      if (id !== null)
        return {
          iuv: iuv.iuv,
          noticeNumber: iuv.noticeNumber,
          idPosizioneDebitoria: draft.idPosizioneDebitoria,
          replayed: false,
        };
      // A unique key was taken: the gestionale's id (a resend) or the IUV.
      const replay = await this.resent(ctx, draft, hash, names);
      if (replay) return replay;
      if (supplied)
        throw positionError(
          'IUV_ALREADY_USED',
          `Lo IUV ${supplied.iuv} è già assegnato a un'altra posizione debitoria dell'ente`,
          'iuv',
        );
      // a generated IUV collided with one a gestionale supplied earlier: take the next number
    }
    throw positionError('IUV_SPACE_EXHAUSTED', 'Impossibile generare uno IUV libero');
  }

  /**
   * A resend: the gestionale's id is taken by a position with the same content (its IUV is the
   * answer again); with other content it is refused. Undefined when the id is free (or not given).
   */
  private async resent(
    ctx: Pick<CallContext, 'enteId' | 'paymentTypeId'>,
    draft: DebtPositionDraft,
    hash: string,
    names: DraftFieldNames,
  ): Promise<CreateResult | undefined> {
    if (draft.idPosizioneDebitoria === undefined) return undefined;
    const existing = await repo.findByExternalId(
      this.db.orm,
      ctx.enteId,
      ctx.paymentTypeId,
      draft.idPosizioneDebitoria,
    );
    if (!existing) return undefined;
    if (existing.contentHash !== hash) {
      throw positionError(
        'DUPLICATE_ID_DIFFERENT_CONTENT',
        `Esiste già una posizione debitoria con identificativo ${draft.idPosizioneDebitoria} e contenuto diverso (IUV ${existing.iuv}): per cambiarla usare l'aggiornamento`,
        names.idPosizioneDebitoria,
      );
    }
    return {
      iuv: existing.iuv,
      noticeNumber: existing.noticeNumber,
      idPosizioneDebitoria: draft.idPosizioneDebitoria,
      replayed: true,
    };
  }

  /** create() for a position of a document: a resend with the same id and content answers the same IUV. */
  private async createInDocument(
    ctx: Pick<CallContext, 'enteId' | 'paymentTypeId' | 'codiceSegregazione' | 'codiceChiamante'> & {
      applicationId: number | null;
    },
    draft: DebtPositionDraft,
    ref: DocumentRef,
    status: DebtPositionStatus,
    hash: string,
    supplied: Iuv | undefined,
    names: DraftFieldNames,
  ): Promise<CreateResult> {
    const replay = await this.resent(ctx, draft, hash, names);
    if (replay) return replay;
    const first = supplied ?? (await this.nextIuv(ctx.enteId, ctx.codiceSegregazione));
    const { iuv } = await this.documents.createInDocument(
      {
        enteId: ctx.enteId,
        paymentTypeId: ctx.paymentTypeId,
        codiceSegregazione: ctx.codiceSegregazione,
        applicationId: ctx.applicationId,
        actor: ctx.applicationId === null ? ctx.codiceChiamante : `application:${ctx.codiceChiamante}`,
      },
      draft,
      ref,
      { iuv: first, supplied: supplied !== undefined, status, contentHash: hash },
    );
    return {
      iuv: iuv.iuv,
      noticeNumber: iuv.noticeNumber,
      idPosizioneDebitoria: draft.idPosizioneDebitoria,
      replayed: false,
    };
  }

  async get(ctx: Pick<CallContext, 'enteId' | 'paymentTypeId'>, iuv: string): Promise<DebtPosition> {
    const p = await repo.findByIuv(this.db.orm, ctx.enteId, iuv);
    if (!p || p.paymentTypeId !== ctx.paymentTypeId)
      throw positionError('POSITION_NOT_FOUND', `Posizione debitoria con IUV ${iuv} non trovata`, 'iuv');
    return { ...p, status: effectiveStatus(p, this.today()) };
  }

  async history(positionId: number) {
    return repo.statusHistory(this.db.orm, positionId);
  }

  /** PiemontePAY's status code (0 paid, 1 not paid, 2 cancelled, 3 not yet active, 4 no longer active). */
  async status(
    ctx: CallContext,
    iuv: string,
  ): Promise<{ code: string; description: string; status: DebtPositionStatus }> {
    const p = await this.get(ctx, iuv);
    return { ...piemontePayStatus(p.status), status: p.status };
  }

  /** Applies a gestionale's update; refused while paid, in payment, cancelled or expired. */
  async update(
    ctx: CallContext,
    iuv: string,
    patch: DraftPatch,
    names: DraftFieldNames = DEFAULT_FIELD_NAMES,
  ): Promise<DebtPosition> {
    return this.db.transaction(async (tx) => {
      const p = await repo.findByIuv(tx, ctx.enteId, iuv, true);
      if (!p || p.paymentTypeId !== ctx.paymentTypeId)
        throw positionError('POSITION_NOT_FOUND', `Posizione debitoria con IUV ${iuv} non trovata`, 'iuv');
      const { draft, status: next } = patchedPosition(p, patch, this.today(), names);
      const change =
        next !== p.status
          ? { from: p.status, to: next, actor: `application:${ctx.codiceChiamante}`, reason: 'aggiornamento' }
          : null;
      await repo.savePosition(tx, p, draft, next, change);
      return { ...p, ...draft, status: next, version: p.version + 1 };
    });
  }

  /** Cancels a position, with the gestionale's reason; refused while paid or in payment. */
  async cancel(ctx: CallContext, iuv: string, reason: string | undefined): Promise<DebtPosition> {
    if (reason !== undefined && reason.length > 400)
      throw positionError(
        'INVALID_FIELD',
        'Il campo motivazione supera la lunghezza massima di 400 caratteri',
        'motivazione',
      );
    return this.db.transaction(async (tx) => {
      const p = await repo.findByIuv(tx, ctx.enteId, iuv, true);
      if (!p || p.paymentTypeId !== ctx.paymentTypeId)
        throw positionError('POSITION_NOT_FOUND', `Posizione debitoria con IUV ${iuv} non trovata`, 'iuv');
      assertCancellable(effectiveStatus(p, this.today()));
      await repo.savePosition(
        tx,
        p,
        p,
        'CANCELLED',
        {
          from: p.status,
          to: 'CANCELLED',
          actor: `application:${ctx.codiceChiamante}`,
          reason: reason ?? 'annullamento',
        },
        reason ?? '',
      );
      return { ...p, status: 'CANCELLED' as const, cancellationReason: reason, version: p.version + 1 };
    });
  }

  /** Records the calendar-driven transitions; run by the worker. */
  async sweepCalendarTransitions(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await repo.sweepCalendarTransitions(this.db, this.today());
      total += n;
      if (n === 0) return total;
    }
  }

  /**
   * pagoPA Checkout told the citizen's browser the payment succeeded: the positions wait for their
   * receipt (PAYABLE → PAYMENT_IN_PROGRESS, with history). The receipt path then makes them PAID as
   * for any payable position; positions no longer PAYABLE (a receipt came first) are left alone.
   * Returns the ids that changed.
   */
  async markAwaitingReceipt(positionIds: number[], actor: string, reason: string): Promise<number[]> {
    return repo.markAwaitingReceipt(this.db, positionIds, actor, reason, this.today());
  }

  /**
   * Positions that waited longer than `maxWaitMs` for a receipt that never came (a KO, an abandoned
   * payment reported as successful) become PAYABLE again, so that the debt can still be paid.
   * Meant for the worker's periodic sweep.
   */
  async releaseStaleAwaitingReceipt(maxWaitMs: number): Promise<number> {
    let total = 0;
    const before = new Date(this.clock().getTime() - maxWaitMs);
    for (;;) {
      const n = await repo.releaseStaleAwaitingReceipt(this.db, before);
      total += n;
      if (n === 0) return total;
    }
  }

  private async nextProgressive(ctx: Pick<CallContext, 'enteId' | 'codiceSegregazione'>): Promise<bigint> {
    return this.progressives.next(ctx.enteId, ctx.codiceSegregazione);
  }
}

/**
 * A gestionale's change of a position under the rules for changes (shared with bulk updates): refused
 * once paid, in payment, cancelled or expired, and for a fine's debtor or amount it may not change;
 * the draft it leads to is validated as a new one and its status computed anew.
 */
export function patchedPosition(
  p: DebtPosition,
  patch: DraftPatch,
  today: string,
  names: DraftFieldNames,
): { draft: DebtPositionDraft; status: DebtPositionStatus } {
  assertModifiable(effectiveStatus(p, today));
  const draft = mergePatch(p, patch);
  if (!sameDebtorIdentity(p.debtor, draft.debtor)) assertDebtorChangeAllowed(p);
  assertFineChangeAllowed(p, patch, draft, names);
  validateDraft(draft, names);
  return { draft, status: initialStatus(draft, today, names) };
}

/** The draft an update leads to: the patch's fields over the position's (shared with bulk updates). */
export function mergePatch(p: DebtPosition, patch: DraftPatch): DebtPositionDraft {
  let components = patch.components ?? p.components;
  const amountCents = patch.amountCents ?? p.amountCents;
  // a new total on a single-component position moves that component with it
  if (patch.amountCents !== undefined && patch.components === undefined && p.components.length === 1) {
    components = [{ ...p.components[0]!, amountCents }];
  }
  return {
    idPosizioneDebitoria: p.idPosizioneDebitoria,
    amountCents,
    components,
    causale: patch.causale ?? p.causale,
    descrizioneRata: p.descrizioneRata,
    debtor: { ...p.debtor, ...stripUndefined(patch.debtor ?? {}) },
    dueDate: patch.dueDate ?? p.dueDate,
    validFrom: patch.validFrom ?? p.validFrom,
    validTo: patch.validTo ?? p.validTo,
    paymentReferences: patch.paymentReferences ?? p.paymentReferences,
    payerNote: patch.payerNote ?? p.payerNote,
    referenceYear: p.referenceYear,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
