/**
 * Documents (GovPay's documento): a whole document created at once by an operator (single solution,
 * instalments, threshold options, each a position with its own IUV and notice number), a position added to a
 * document by reference (a future GovPay PUT /pendenze), and a document read back with what is payable now.
 * The rules are in domain/documents.ts; docs/printing.md, "Documents and instalments".
 */
import type { Database, Executor } from '../../../db/database.js';
import { romeToday } from '../../../shared/calendar.js';
import {
  contentHash,
  DEFAULT_FIELD_NAMES,
  effectiveStatus,
  initialStatus,
  isPayable,
  validateDraft,
  type Component,
  type DebtPosition,
  type DebtPositionDraft,
  type DebtPositionStatus,
  type Debtor,
  type DraftFieldNames,
  type PaymentReference,
} from '../domain/debt-position.js';
import {
  documentConflict,
  placeOfRef,
  planOf,
  samePlace,
  validateDocumentPlan,
  validateDocumentRef,
  type DocumentConflict,
  type DocumentPlace,
  type DocumentRef,
  type ThresholdKind,
} from '../domain/documents.js';
import { positionError } from '../domain/errors.js';
import { generateIuv, type Iuv } from '../domain/notice-number.js';
import * as docs from '../infra/documents-repository.js';
import * as repo from '../infra/debt-positions-repository.js';
import type { NewPosition } from '../infra/debt-positions-repository.js';

/** Who creates the positions, for which ente and payment type (an operator, or a gestionale's call). */
export interface CreationContext {
  enteId: number;
  paymentTypeId: number;
  codiceSegregazione: string;
  applicationId: number | null;
  /** The status history's actor: `admin`, `application:<codiceChiamante>`. */
  actor: string;
}

/** One option of a document as the caller gives it: the position's draft fields but the debtor. */
export interface DocumentOptionInput {
  amountCents: number;
  dueDate?: string | undefined;
  validFrom?: string | undefined;
  validTo?: string | undefined;
  causale?: string | undefined;
  components?: Component[] | undefined;
  idPosizioneDebitoria?: string | undefined;
}

export interface NewDocumentInput {
  identificativo: string;
  descrizione: string;
  debtor: Debtor;
  /** The causale of every option that has none of its own. */
  causale?: string | undefined;
  paymentReferences?: PaymentReference[] | undefined;
  payerNote?: string | undefined;
  singleSolution?: DocumentOptionInput | undefined;
  instalments?: DocumentOptionInput[] | undefined;
  thresholds?: (DocumentOptionInput & { tipo: ThresholdKind; giorni: number })[] | undefined;
}

export interface CreatedPosition {
  place: DocumentPlace;
  iuv: string;
  noticeNumber: string;
  amountCents: number;
  dueDate: string | undefined;
  status: DebtPositionStatus;
}

export interface CreatedDocument {
  id: number;
  identificativo: string;
  descrizione: string;
  positions: CreatedPosition[];
}

/** A position of a document as it stands today: its status as of today, whether it can be paid now and what blocks it. */
export interface DocumentPositionState {
  position: DebtPosition;
  status: DebtPositionStatus;
  payableNow: boolean;
  blockedBy: DocumentConflict | null;
}

export interface DocumentState {
  id: number;
  identificativo: string;
  descrizione: string;
  createdAt: Date;
  positions: DocumentPositionState[];
}

/** Hands out the next IUV of the ente's numbering (DebtPositionsService's allocator). */
export type NextIuv = (enteId: number, codiceSegregazione: string) => Promise<Iuv>;

const MAX_IUV_ATTEMPTS = 1000;

/** A new position's IUV: the pre-allocated one, or after a collision with a supplied IUV the next number, taken inside the transaction. */
async function insertWithIuv(
  tx: Executor,
  ctx: CreationContext,
  first: Iuv,
  supplied: boolean,
  make: (iuv: Iuv) => NewPosition,
  documentId: number,
  place: DocumentPlace,
  path = '',
): Promise<{ id: number; iuv: Iuv }> {
  let iuv = first;
  for (let attempt = 0; attempt < MAX_IUV_ATTEMPTS; attempt++) {
    const p = make(iuv);
    const id = await docs.insertDocumentPosition(tx, p, documentId, place, ctx.actor);
    if (id !== null) return { id, iuv };
    const externalId = p.draft.idPosizioneDebitoria;
    if (
      externalId !== undefined &&
      (await repo.findByExternalId(tx, ctx.enteId, ctx.paymentTypeId, externalId)) !== undefined
    )
      throw positionError(
        'DUPLICATE_ID_DIFFERENT_CONTENT',
        `Esiste già una posizione debitoria con identificativo ${externalId}`,
        `${path ? `${path}.` : ''}idPosizioneDebitoria`,
      );
    if (supplied)
      throw positionError(
        'IUV_ALREADY_USED',
        `Lo IUV ${iuv.iuv} è già assegnato a un'altra posizione debitoria dell'ente`,
        'iuv',
      );
    iuv = generateIuv(
      ctx.codiceSegregazione,
      await docs.nextProgressive(tx, ctx.enteId, ctx.codiceSegregazione),
    );
  }
  throw positionError('IUV_SPACE_EXHAUSTED', 'Impossibile generare uno IUV libero');
}

function placeField(place: DocumentPlace): string {
  return place.kind === 'INSTALMENT'
    ? 'documento.rata'
    : place.kind === 'THRESHOLD'
      ? 'documento.soglia'
      : 'documento';
}

function describePlace(place: DocumentPlace): string {
  switch (place.kind) {
    case 'INSTALMENT':
      return `la rata ${place.rata}`;
    case 'THRESHOLD':
      return `la soglia ${place.tipo} ${place.giorni} giorni`;
    default:
      return 'la soluzione unica';
  }
}

/** Field names of one option of a document body: its own fields under its path, the document's shared ones at the top. */
function optionNames(path: string, ownCausale: boolean, ownComponents: boolean): DraftFieldNames {
  return {
    ...DEFAULT_FIELD_NAMES,
    amount: `${path}.amountCents`,
    components: ownComponents ? `${path}.components` : `${path}.amountCents`,
    componentAmount: (i) => (ownComponents ? `${path}.components[${i}].amountCents` : `${path}.amountCents`),
    componentCausale: (i) =>
      ownComponents ? `${path}.components[${i}].causale` : ownCausale ? `${path}.causale` : 'causale',
    causale: ownCausale ? `${path}.causale` : 'causale',
    validFrom: `${path}.validFrom`,
    validTo: `${path}.validTo`,
    dueDate: `${path}.dueDate`,
    idPosizioneDebitoria: `${path}.idPosizioneDebitoria`,
  };
}

export class DocumentsService {
  constructor(
    private readonly db: Database,
    private readonly nextIuv: NextIuv,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private today(): string {
    return romeToday(this.clock());
  }

  /** An operator's creation context for the ente and payment type (actor `admin`); refused when either is unknown. */
  async operatorContext(enteCf: string, codiceVersamento: string, actor = 'admin'): Promise<CreationContext> {
    const row = await docs.loadOperatorContext(this.db, enteCf, codiceVersamento);
    if (!row) throw positionError('ENTE_UNKNOWN', `Ente ${enteCf} sconosciuto`, 'cf');
    if (row.paymentTypeId === null)
      throw positionError(
        'PAYMENT_TYPE_UNKNOWN',
        `Tipo di pagamento ${codiceVersamento} sconosciuto per l'ente ${enteCf}`,
        'code',
      );
    return {
      enteId: row.enteId,
      paymentTypeId: row.paymentTypeId,
      codiceSegregazione: row.codiceSegregazione,
      applicationId: null,
      actor,
    };
  }

  /** The ente's id by its codice fiscale; refused when unknown. */
  async enteId(enteCf: string): Promise<number> {
    const row = await docs.loadOperatorContext(this.db, enteCf, '');
    if (!row) throw positionError('ENTE_UNKNOWN', `Ente ${enteCf} sconosciuto`, 'cf');
    return row.enteId;
  }

  /**
   * A whole document in one transaction: the document, then its single solution, threshold options and
   * instalments (numbered 1..N in the order given), each a position with a new IUV. Refused whole when any
   * part is invalid (the field is named) or when the ente already has a document with that identificativo.
   */
  async createDocument(ctx: CreationContext, input: NewDocumentInput): Promise<CreatedDocument> {
    validateDocumentRef(
      { identificativo: input.identificativo, descrizione: input.descrizione },
      { identificativo: 'identificativo', descrizione: 'descrizione', rata: 'rata', soglia: 'soglia' },
    );
    const instalments = input.instalments ?? [];
    const thresholds = input.thresholds ?? [];
    validateDocumentPlan({
      singleSolution: input.singleSolution !== undefined,
      instalments: instalments.map((i) => i.dueDate),
      thresholds: thresholds.map((t) => ({ tipo: t.tipo, giorni: t.giorni })),
    });
    const today = this.today();
    const options: { place: DocumentPlace; path: string; option: DocumentOptionInput }[] = [
      ...(input.singleSolution
        ? [
            {
              place: { kind: 'SINGLE' } as DocumentPlace,
              path: 'singleSolution',
              option: input.singleSolution,
            },
          ]
        : []),
      ...thresholds.map((t, i) => ({
        place: { kind: 'THRESHOLD' as const, tipo: t.tipo, giorni: t.giorni },
        path: `thresholds[${i}]`,
        option: t,
      })),
      ...instalments.map((o, i) => ({
        place: { kind: 'INSTALMENT' as const, rata: i + 1 },
        path: `instalments[${i}]`,
        option: o,
      })),
    ];
    const drafts = options.map(({ place, path, option }) => {
      const causale = option.causale ?? input.causale ?? '';
      const draft: DebtPositionDraft = {
        idPosizioneDebitoria: option.idPosizioneDebitoria,
        amountCents: option.amountCents,
        components: option.components ?? [{ amountCents: option.amountCents, causale }],
        causale,
        descrizioneRata:
          place.kind === 'INSTALMENT' ? `Rata ${place.rata} di ${instalments.length}` : undefined,
        debtor: input.debtor,
        dueDate: option.dueDate,
        validFrom: option.validFrom,
        validTo: option.validTo,
        paymentReferences: input.paymentReferences ?? [],
        payerNote: input.payerNote,
      };
      const names = optionNames(path, option.causale !== undefined, option.components !== undefined);
      validateDraft(draft, names);
      const status = initialStatus(draft, today, names);
      return { place, draft, status };
    });
    // the IUVs before the transaction (the allocator reads the sequence on its own connection)
    const iuvs: Iuv[] = [];
    for (const _ of drafts) iuvs.push(await this.nextIuv(ctx.enteId, ctx.codiceSegregazione));
    return this.db.transaction(async (tx) => {
      const doc = await docs.insertDocument(tx, ctx.enteId, input.identificativo, input.descrizione);
      if (!doc)
        throw positionError(
          'DOCUMENT_EXISTS',
          `Esiste già un documento con identificativo ${input.identificativo} per l'ente`,
          'identificativo',
        );
      const positions: CreatedPosition[] = [];
      for (const [i, { place, draft, status }] of drafts.entries()) {
        const hash = contentHash(draft, { document: input.identificativo, place: planOf(place), at: place });
        const { iuv } = await insertWithIuv(
          tx,
          ctx,
          iuvs[i]!,
          false,
          (v) => ({
            enteId: ctx.enteId,
            paymentTypeId: ctx.paymentTypeId,
            iuv: v.iuv,
            noticeNumber: v.noticeNumber,
            status,
            contentHash: hash,
            createdByApplicationId: ctx.applicationId,
            draft,
          }),
          doc.id,
          place,
          options[i]!.path,
        );
        positions.push({
          place,
          iuv: iuv.iuv,
          noticeNumber: iuv.noticeNumber,
          amountCents: draft.amountCents,
          dueDate: draft.dueDate,
          status,
        });
      }
      return { id: doc.id, identificativo: doc.identificativo, descrizione: doc.descrizione, positions };
    });
  }

  /**
   * One position added to a document by reference (GovPay's pendenza with its documento): the document is
   * created when the ente has none with that identificativo (its descrizione is the first one given), and
   * the place (single solution, rata n, soglia) must be free. Runs under the document's lock.
   */
  async createInDocument(
    ctx: CreationContext,
    draft: DebtPositionDraft,
    ref: DocumentRef,
    opts: { iuv: Iuv; supplied: boolean; status: DebtPositionStatus; contentHash: string },
  ): Promise<{ id: number; iuv: Iuv; documentId: number }> {
    validateDocumentRef(ref);
    const place = placeOfRef(ref);
    return this.db.transaction(async (tx) => {
      const { row } = await docs.lockOrCreateDocument(tx, ctx.enteId, ref.identificativo, ref.descrizione);
      const taken = await docs.placesTaken(tx, row.id);
      if (taken.some((t) => samePlace(t, place)))
        throw positionError(
          'DOCUMENT_PLACE_TAKEN',
          `Il documento ${ref.identificativo} ha già ${describePlace(place)}`,
          placeField(place),
        );
      const { id, iuv } = await insertWithIuv(
        tx,
        ctx,
        opts.iuv,
        opts.supplied,
        (v) => ({
          enteId: ctx.enteId,
          paymentTypeId: ctx.paymentTypeId,
          iuv: v.iuv,
          noticeNumber: v.noticeNumber,
          status: opts.status,
          contentHash: opts.contentHash,
          createdByApplicationId: ctx.applicationId,
          draft,
        }),
        row.id,
        place,
      );
      return { id, iuv, documentId: row.id };
    });
  }

  /** The ente's document with its positions, each with its status as of today and whether it can be paid now. */
  async getDocument(enteId: number, identificativo: string): Promise<DocumentState> {
    const doc = await docs.findDocument(this.db, enteId, identificativo);
    if (!doc)
      throw positionError('DOCUMENT_NOT_FOUND', `Documento ${identificativo} non trovato`, 'identificativo');
    const today = this.today();
    const rows = await docs.documentPositions(this.db, doc.id);
    const states = rows.map((r) => ({
      place: r.position.document!.place,
      status: effectiveStatus(r.position, today),
      activationOpen: r.activationOpen,
    }));
    return {
      id: doc.id,
      identificativo: doc.identificativo,
      descrizione: doc.descrizione,
      createdAt: doc.createdAt,
      positions: rows.map((r, i) => {
        const blockedBy = documentConflict(
          states[i]!.place,
          states.filter((_, j) => j !== i),
        );
        return {
          position: r.position,
          status: states[i]!.status,
          payableNow: isPayable(r.position, today) && blockedBy === null,
          blockedBy,
        };
      }),
    };
  }
}
