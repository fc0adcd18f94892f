import type { Logger } from 'pino';
import type { Database, Executor } from '../../../db/database.js';
import { safeErrorMessage } from '../../../shared/safe-error.js';
import { parseSoapRequest, SoapEnvelopeError } from '../../../shared/soap/soap-envelope.js';
import { ESITO } from '../../../shared/piemontepay/codes.js';
import type { BulkOutcome, BulkPositions } from '../../debt-positions/application/bulk-positions.js';
import type { DebtPositionsService } from '../../debt-positions/application/debt-positions-service.js';
import { DebtPositionError } from '../../debt-positions/domain/errors.js';
import { OUTCOME_OPERATION, type OutcomeItem } from '../domain/list-outcome.js';
import {
  ACK_OK,
  ackError,
  LIST_FIELD_NAMES,
  LIST_OPERATIONS,
  listResult,
  ListAckError,
  OUTCOME_OK,
  outcomeCode,
  type ListChange,
  type ListOperation,
} from '../domain/lists.js';
import { PiemontePaySchema } from '../infra/piemontepay-schemas.js';
import { listOutcomeXml } from '../infra/piemontepay-xml/list-outcome-writer.js';
import {
  changeOf,
  draftOf,
  idOf,
  positionsToInsert,
  positionsToUpdate,
  readHeader,
  totalOf,
} from '../infra/piemontepay-xml/list-reader.js';
import { ENTI2EPAYWSO_NS } from '../infra/piemontepay-xml/namespaces.js';
import * as repo from '../infra/lists-repository.js';
import { enqueueDelivery } from './deliveries.js';
import { formatCents } from '../../../shared/money.js';

export interface ListsOptions {
  /** positions per list (seed 001: 250; PiemontePAY's XSD and code: 1000) */
  maxPositions: number;
  /** processing attempts of a list before it is given up (ERRORE_IN_FASE_DI_ELABORAZIONE, Result 100) */
  maxAttempts?: number;
}

export interface ListCall {
  rawXml: string;
  /** why the body's bytes could not be read as text (not valid in their encoding): answered 101 after authentication */
  undecodable?: string | undefined;
  codiceChiamante: string;
  passphrase: string;
  correlationId?: string | undefined;
  /** The client address: failed authentications are counted and throttled (docs/security.md). */
  address?: string | undefined;
}

/** The synchronous acknowledgement, and what the journal records of the call. */
export interface ListAck {
  code: string;
  message: string;
  operation?: ListOperation | undefined;
  enteFiscalCode?: string | undefined;
  idMessaggio?: string | undefined;
  listId?: number | undefined;
}

/**
 * Liste di carico, PiemontePAY style: a list is validated (XSD, header), authorised and stored
 * before it is acknowledged; the worker then processes it in one transaction (positions,
 * per-position outcomes, the list's result and the outcome message for the gestionale).
 */
export class ListsService {
  private schema: PiemontePaySchema | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly maxAttempts: number;

  constructor(
    private readonly db: Database,
    private readonly debtPositions: DebtPositionsService,
    private readonly bulk: BulkPositions,
    private readonly opts: ListsOptions,
    private readonly logger?: Logger,
  ) {
    this.maxAttempts = opts.maxAttempts ?? 5;
  }

  /** Called after each stored list (a worker in the same process starts at once instead of at its next poll). */
  onStored(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Receives InserisciListaDiCarico / AggiornaPosizioniDebitorie. Throws ListAckError only for unauthenticated callers. */
  async receive(call: ListCall): Promise<ListAck> {
    // credentials first: an unauthenticated caller gets 401 whatever the body, and costs no XSD validation
    await this.authenticate(call);
    if (call.undecodable !== undefined)
      return { code: ESITO.MESSAGE_INVALID, message: call.undecodable.slice(0, 500) };
    // a DTD is refused before libxml2 reads the document (entities, external subsets): as on paForNode
    if (/<!DOCTYPE/i.test(call.rawXml))
      return { code: ESITO.MESSAGE_INVALID, message: 'I messaggi SOAP non possono contenere una DTD' };
    this.schema ??= new PiemontePaySchema('Enti2EPaywsoServiceTypes.xsd');
    const check = this.schema.checkEnvelope(call.rawXml);
    const known =
      check.element !== undefined && check.namespace === ENTI2EPAYWSO_NS
        ? LIST_OPERATIONS[check.element]
        : undefined;
    const ack: ListAck = { code: '', message: '', operation: known?.operation };
    if (check.errors.length > 0 || !known) {
      const why =
        !known && check.errors.length === 0
          ? `Elemento ${check.element ?? '(nessuno)'} non previsto dal servizio Enti2EPaywsoService`
          : check.errors.slice(0, 3).join('; ');
      return {
        ...ack,
        code: ESITO.MESSAGE_INVALID,
        message: `Errore di validazione XSD: ${why}`.slice(0, 500),
      };
    }
    let body;
    try {
      body = parseSoapRequest(call.rawXml, { alreadyWellFormed: true }).body;
    } catch (e) {
      if (e instanceof SoapEnvelopeError) return { ...ack, code: ESITO.MESSAGE_INVALID, message: e.message };
      throw e;
    }
    try {
      const header = readHeader(body);
      ack.enteFiscalCode = header.cfEnteCreditore;
      ack.idMessaggio = header.idMessaggio;
      const ctx = await this.authorize(call, header.cfEnteCreditore, header.codiceVersamento);
      const positions = known.kind === 'INSERIMENTO' ? positionsToInsert(body) : positionsToUpdate(body);
      // the XSD's String35/String50 allow blanks, which the outcome (required IdMessaggio / IdPosizioneDebitoria) could not echo
      if (header.idMessaggio === '')
        throw ackError('BLANK_ID', 'Il campo Testata/IdMessaggio non può essere vuoto');
      const blank = positions.findIndex((p) => idOf(p) === '');
      if (blank >= 0)
        throw ackError(
          'BLANK_ID',
          `Il campo IdPosizioneDebitoria della posizione ${blank + 1} non può essere vuoto`,
        );
      if (positions.length > this.opts.maxPositions) {
        throw ackError(
          'GENERIC',
          `La lista contiene ${positions.length} posizioni debitorie: al massimo ${this.opts.maxPositions} per lista`,
        );
      }
      if (header.numeroPosizioniDebitorie !== positions.length) {
        throw ackError(
          'COUNT_MISMATCH',
          `NumeroPosizioniDebitorie (${header.numeroPosizioniDebitorie}) non corrisponde alle posizioni della lista (${positions.length})`,
        );
      }
      if (known.kind === 'INSERIMENTO') {
        const total = totalOf(positions);
        if (total === null || total !== header.importoTotaleCents) {
          throw ackError(
            'TOTAL_MISMATCH',
            `ImportoTotaleListaDiCarico (${formatCents(header.importoTotaleCents ?? 0)}) non corrisponde alla somma degli ImportoTotale delle posizioni (${total === null ? 'non calcolabile' : formatCents(total)})`,
          );
        }
      }
      const listId = await repo.insertList(this.db, {
        kind: known.kind,
        applicationId: ctx.applicationId,
        enteId: ctx.enteId,
        paymentTypeId: ctx.paymentTypeId,
        idMessaggio: header.idMessaggio,
        multiBeneficiario: header.multiBeneficiario,
        declaredCount: header.numeroPosizioniDebitorie,
        declaredTotalCents: header.importoTotaleCents,
        rawXml: call.rawXml,
        correlationId: call.correlationId,
      });
      if (listId === null)
        throw ackError(
          'DUPLICATE_MESSAGE',
          `IdMessaggio ${header.idMessaggio} già ricevuto: la lista non è stata acquisita di nuovo`,
        );
      for (const l of this.listeners) l();
      return { ...ack, ...ACK_OK, listId };
    } catch (e) {
      if (e instanceof ListAckError && e.errorName !== 'CALLER_NOT_AUTHENTICATED')
        return { ...ack, code: e.code, message: e.message.slice(0, 500) };
      // a header the XSD accepts but Cassa cannot read: never an "Errore generico"
      if (e instanceof DebtPositionError)
        return { ...ack, code: ESITO.MESSAGE_INVALID, message: e.message.slice(0, 500) };
      throw e;
    }
  }

  /** Throws ListAckError CALLER_NOT_AUTHENTICATED unless codiceChiamante / passphrase name an active application. */
  private async authenticate(call: ListCall): Promise<void> {
    try {
      await this.debtPositions.authorize({
        codiceChiamante: call.codiceChiamante,
        passphrase: call.passphrase,
        enteCodiceFiscale: '',
        codiceVersamento: '',
        scope: 'CREAZIONE_IUV',
        address: call.address,
      });
    } catch (e) {
      if (e instanceof DebtPositionError && e.errorName === 'CALLER_NOT_AUTHENTICATED')
        throw ackError(
          'CALLER_NOT_AUTHENTICATED',
          'Credenziali del chiamante non valide o chiamante non attivo',
        );
      if (!(e instanceof DebtPositionError)) throw e;
      // any other refusal (ente, codice versamento, scope) comes after the credentials were accepted
    }
  }

  private async authorize(call: ListCall, enteCodiceFiscale: string, codiceVersamento: string) {
    try {
      return await this.debtPositions.authorize({
        codiceChiamante: call.codiceChiamante,
        passphrase: call.passphrase,
        enteCodiceFiscale,
        codiceVersamento,
        scope: 'CREAZIONE_IUV',
        address: call.address,
      });
    } catch (e) {
      if (!(e instanceof DebtPositionError)) throw e;
      switch (e.errorName) {
        case 'ENTE_UNKNOWN':
          throw ackError('ENTE_UNKNOWN', `CFEnteCreditore ${enteCodiceFiscale} sconosciuto o non attivo`);
        case 'PAYMENT_TYPE_UNKNOWN':
          throw ackError(
            'PAYMENT_TYPE_UNKNOWN',
            `CodiceVersamento ${codiceVersamento} sconosciuto per l'ente ${enteCodiceFiscale}`,
          );
        case 'PAYMENT_TYPE_NOT_ACTIVE':
          throw ackError('PAYMENT_TYPE_NOT_ACTIVE', `CodiceVersamento ${codiceVersamento} non attivo`);
        case 'SCOPE_MISSING':
        case 'PAYMENT_TYPE_NOT_ALLOWED':
          throw ackError(
            'NOT_AUTHORISED',
            `Il chiamante non è autorizzato a caricare liste per l'ente ${enteCodiceFiscale} e il CodiceVersamento ${codiceVersamento}`,
          );
        default:
          throw ackError(
            'CALLER_NOT_AUTHENTICATED',
            'Credenziali del chiamante non valide o chiamante non attivo',
          );
      }
    }
  }

  // ------------------------------------------------------------------------------------ processing

  /** Claims and processes the oldest pending list; false when there is none. */
  async processNext(): Promise<boolean> {
    let claimed: repo.ClaimedList | undefined;
    try {
      return await this.db.transaction(async (tx) => {
        claimed = await repo.claimPendingList(tx);
        if (!claimed) return false;
        await this.process(tx, claimed);
        return true;
      });
    } catch (e) {
      if (!claimed) throw e;
      await this.failed(claimed, e);
      return true;
    }
  }

  private async process(tx: Executor, list: repo.ClaimedList): Promise<void> {
    const body = parseSoapRequest(list.rawXml, { alreadyWellFormed: true }).body;
    const header = readHeader(body);
    const ctx = {
      enteId: list.enteId,
      paymentTypeId: list.paymentTypeId,
      codiceSegregazione: list.codiceSegregazione,
      applicationId: list.applicationId,
      actor: `application:${list.codiceChiamante}`,
    };
    const items: repo.ItemRow[] = [];
    if (list.kind === 'INSERIMENTO') {
      const positions = positionsToInsert(body);
      const outcomes = await applyToRead(
        positions.map((p) => attempt(() => draftOf(p))),
        (drafts) => this.bulk.createMany(tx, ctx, drafts, LIST_FIELD_NAMES),
      );
      positions.forEach((p, seq) => items.push(itemOf(seq, idOf(p), null, outcomes[seq]!)));
    } else {
      const positions = positionsToUpdate(body);
      const read = positions.map((p) => attempt(() => changeOf(p)));
      const outcomes = await applyToRead(read, (changes) =>
        this.bulk.changeMany(tx, ctx, changes, LIST_FIELD_NAMES),
      );
      positions.forEach((p, seq) => {
        const r = read[seq]!;
        const tipo =
          r instanceof DebtPositionError
            ? p.TipoAggiornamento === 'ANNULLAMENTO'
              ? 'ANNULLAMENTO'
              : 'MODIFICA'
            : r.kind;
        items.push(itemOf(seq, idOf(p), tipo, outcomes[seq]!));
      });
    }
    await repo.insertItems(tx, list.id, items);
    const ok = items.filter((i) => i.code === OUTCOME_OK.code).length;
    const result = listResult(ok, items.length - ok);
    await this.enqueueOutcome(tx, list, header, result, items);
    await repo.markProcessed(tx, list.id, 'ELABORATA', result.code, ok, items.length - ok);
  }

  private async enqueueOutcome(
    tx: Executor,
    list: repo.ClaimedList,
    header: ReturnType<typeof readHeader>,
    result: { code: string; message: string },
    items: readonly OutcomeItem[],
  ) {
    const kind = list.kind;
    await enqueueDelivery(tx, {
      enteId: list.enteId,
      paymentTypeId: list.paymentTypeId,
      kind:
        kind === 'INSERIMENTO' ? 'ESITO_INSERIMENTO_LISTA_DI_CARICO' : 'ESITO_AGGIORNA_POSIZIONI_DEBITORIE',
      applicationId: list.applicationId,
      operation: OUTCOME_OPERATION[kind],
      idMessaggio: list.idMessaggio,
      bodyXml: listOutcomeXml({
        kind,
        result,
        idMessaggio: header.idMessaggio,
        cfEnteCreditore: header.cfEnteCreditore,
        codiceVersamento: header.codiceVersamento,
        items,
      }),
    });
  }

  /** A processing attempt that failed as a whole (database down...): retried with backoff, then given up with Result 100. */
  private async failed(list: repo.ClaimedList, e: unknown): Promise<void> {
    // never the query's parameters (the list's positions: fiscal codes, names) in the stored reason
    const message = safeErrorMessage(e);
    this.logger?.error({ err: e, listId: list.id }, 'list processing failed');
    const attempts = await repo.recordFailure(
      this.db,
      list.id,
      message,
      Math.min(300, 2 ** list.attempts * 5),
    );
    if (attempts < this.maxAttempts) return;
    await this.db.transaction(async (tx) => {
      const header = readHeader(parseSoapRequest(list.rawXml, { alreadyWellFormed: true }).body);
      await this.enqueueOutcome(
        tx,
        list,
        header,
        { code: '100', message: 'Errore generico: elaborazione della lista non riuscita' },
        [],
      );
      await repo.markProcessed(tx, list.id, 'ERRORE_IN_FASE_DI_ELABORAZIONE', '100', 0, 0, message);
    });
  }

  // --------------------------------------------------------------------------------------- lookups

  async list(f: {
    enteFiscalCode?: string | undefined;
    status?: string | undefined;
    before?: number | undefined;
    limit: number;
  }) {
    const items = await repo.listLists(this.db, f);
    return { items, nextBefore: items.length === f.limit ? items.at(-1)!.id : null };
  }

  async get(id: number) {
    const l = await repo.findList(this.db, id);
    if (!l) return undefined;
    const [items, delivery] = await Promise.all([
      repo.listItems(this.db, id),
      repo.outcomeDelivery(this.db, l.applicationId, OUTCOME_OPERATION[l.kind], l.idMessaggio),
    ]);
    return { ...l, items, outcomeDelivery: delivery ?? null };
  }
}

function attempt<T>(fn: () => T): T | DebtPositionError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DebtPositionError) return e;
    throw e;
  }
}

/**
 * Each item's outcome, in the list's order: the error that stopped its reading, or what `apply` did
 * with it (one call for all the items that were read, in order).
 */
async function applyToRead<T>(
  read: readonly (T | DebtPositionError)[],
  apply: (valid: T[]) => Promise<BulkOutcome[]>,
): Promise<(BulkOutcome | DebtPositionError)[]> {
  const valid = read.flatMap((r, seq) => (r instanceof DebtPositionError ? [] : [{ seq, value: r }]));
  const done = await apply(valid.map((v) => v.value));
  const bySeq = new Map(valid.map((v, i) => [v.seq, done[i]!]));
  return read.map((r, seq) => bySeq.get(seq) ?? (r as DebtPositionError));
}

function itemOf(
  seq: number,
  id: string,
  tipo: ListChange['kind'] | null,
  r: BulkOutcome | DebtPositionError,
): repo.ItemRow {
  if (r instanceof DebtPositionError)
    return {
      seq,
      idPosizioneDebitoria: id,
      tipoAggiornamento: tipo,
      positionId: null,
      iuv: null,
      noticeNumber: null,
      code: outcomeCode(r.code),
      description: r.message,
    };
  if (r.ok)
    return {
      seq,
      idPosizioneDebitoria: id,
      tipoAggiornamento: tipo,
      positionId: r.positionId,
      iuv: r.iuv,
      noticeNumber: r.noticeNumber,
      code: OUTCOME_OK.code,
      description: OUTCOME_OK.description,
    };
  return {
    seq,
    idPosizioneDebitoria: id,
    tipoAggiornamento: tipo,
    positionId: r.positionId ?? null,
    iuv: r.iuv ?? null,
    noticeNumber: r.noticeNumber ?? null,
    code: outcomeCode(r.error.code),
    description: r.error.message,
  };
}
