import type { Executor } from '../../../db/database.js';
import { romeToday } from '../../../shared/calendar.js';
import {
  assertCancellable,
  contentHash,
  DEFAULT_FIELD_NAMES,
  effectiveStatus,
  initialStatus,
  validateDraft,
  type DebtPosition,
  type DebtPositionDraft,
  type DebtPositionStatus,
  type DraftFieldNames,
  type DraftPatch,
} from '../domain/debt-position.js';
import { DebtPositionError, positionError } from '../domain/errors.js';
import { generateIuv } from '../domain/notice-number.js';
import {
  existingExternalIds,
  insertPositions,
  lockByExternalIds,
  nextIuvProgressivesIn,
  type NewBulkPosition,
} from '../infra/bulk-positions-repository.js';
import { savePosition } from '../infra/debt-positions-repository.js';
import { patchedPosition } from './debt-positions-service.js';

/** Who loads the positions: the ente and payment type, and the application the actor names. */
export interface BulkContext {
  enteId: number;
  paymentTypeId: number;
  codiceSegregazione: string;
  applicationId: number | null;
  /** status-history actor, e.g. application:GEST_01 */
  actor: string;
}

export type BulkOutcome =
  | { ok: true; positionId: number; iuv: string; noticeNumber: string }
  | {
      ok: false;
      error: DebtPositionError;
      positionId?: number | undefined;
      iuv?: string | undefined;
      noticeNumber?: string | undefined;
    };

export type BulkChange =
  | { kind: 'MODIFICA'; idPosizioneDebitoria: string; patch: DraftPatch }
  | { kind: 'ANNULLAMENTO'; idPosizioneDebitoria: string; reason?: string | undefined };

/** Rounds of fresh IUVs for positions whose generated IUV met one a gestionale supplied earlier. */
const MAX_IUV_ROUNDS = 20;

/**
 * Positions created, changed and cancelled many at a time (liste di carico), inside the caller's
 * transaction, with the same rules as one at a time (validateDraft, initialStatus, the fines rules).
 * Each item gets its own outcome: one bad position never blocks the others. Creation takes a whole
 * block of IUV numbers in one round trip and writes every position and its history in one statement.
 */
export class BulkPositions {
  constructor(private readonly clock: () => Date = () => new Date()) {}

  /** Creates the valid drafts; a draft whose gestionale's id exists already (or repeats in the batch) is refused (161). */
  async createMany(
    tx: Executor,
    ctx: BulkContext,
    drafts: readonly DebtPositionDraft[],
    names: DraftFieldNames = DEFAULT_FIELD_NAMES,
  ): Promise<BulkOutcome[]> {
    const today = romeToday(this.clock());
    const outcomes: (BulkOutcome | undefined)[] = new Array<BulkOutcome | undefined>(drafts.length);
    const pending: { index: number; status: DebtPositionStatus; hash: string }[] = [];
    const seen = new Set<string>();
    drafts.forEach((d, index) => {
      try {
        validateDraft(d, names);
        const status = initialStatus(d, today, names);
        if (d.idPosizioneDebitoria !== undefined) {
          if (seen.has(d.idPosizioneDebitoria))
            throw duplicate(d.idPosizioneDebitoria, names, 'ripetuto nella stessa lista');
          seen.add(d.idPosizioneDebitoria);
        }
        pending.push({ index, status, hash: contentHash(d) });
      } catch (e) {
        outcomes[index] = { ok: false, error: asPositionError(e) };
      }
    });
    const refuseExisting = async (items: typeof pending) => {
      const ids = items.flatMap((p) =>
        drafts[p.index]!.idPosizioneDebitoria === undefined ? [] : [drafts[p.index]!.idPosizioneDebitoria!],
      );
      const existing = await existingExternalIds(tx, ctx.enteId, ctx.paymentTypeId, ids);
      return items.filter((p) => {
        const id = drafts[p.index]!.idPosizioneDebitoria;
        if (id === undefined || !existing.has(id)) return true;
        outcomes[p.index] = { ok: false, error: duplicate(id, names, 'già presente') };
        return false;
      });
    };
    // Insert first and look up only what did not go in: an existing gestionale id fails on its unique
    // index, so the common case (all new) costs no lookup. (A lookup before the insert also went wrong
    // during bulk loads: with statistics not yet caught up, PostgreSQL scanned the ente's positions.)
    let todo = pending;
    for (let round = 0; todo.length > 0; round++) {
      if (round >= MAX_IUV_ROUNDS) {
        for (const p of todo)
          outcomes[p.index] = {
            ok: false,
            error: positionError('IUV_SPACE_EXHAUSTED', 'Impossibile generare uno IUV libero'),
          };
        break;
      }
      const numbers = await nextIuvProgressivesIn(tx, ctx.enteId, ctx.codiceSegregazione, todo.length);
      const batch: (NewBulkPosition & { index: number })[] = todo.map((p, i) => {
        const iuv = generateIuv(ctx.codiceSegregazione, numbers[i]!);
        return {
          index: p.index,
          iuv: iuv.iuv,
          noticeNumber: iuv.noticeNumber,
          status: p.status,
          contentHash: p.hash,
          draft: drafts[p.index]!,
        };
      });
      const inserted = await insertPositions(tx, ctx, batch);
      const missed = batch.filter((b) => {
        const id = inserted.get(b.iuv);
        if (id === undefined) return true;
        outcomes[b.index] = { ok: true, positionId: id, iuv: b.iuv, noticeNumber: b.noticeNumber };
        return false;
      });
      // not inserted: its gestionale's id was taken meanwhile (another list), or its IUV (supplied earlier): next round
      todo = await refuseExisting(missed.map((b) => pending.find((p) => p.index === b.index)!));
    }
    return outcomes.map((o) => o!);
  }

  /** Applies MODIFICA / ANNULLAMENTO in order (a position named twice sees the first change). */
  async changeMany(
    tx: Executor,
    ctx: BulkContext,
    changes: readonly BulkChange[],
    names: DraftFieldNames = DEFAULT_FIELD_NAMES,
  ): Promise<BulkOutcome[]> {
    const today = romeToday(this.clock());
    const positions = await lockByExternalIds(tx, ctx.enteId, ctx.paymentTypeId, [
      ...new Set(changes.map((c) => c.idPosizioneDebitoria)),
    ]);
    const outcomes: BulkOutcome[] = [];
    for (const change of changes) {
      const p = positions.get(change.idPosizioneDebitoria);
      if (!p) {
        outcomes.push({
          ok: false,
          error: positionError(
            'POSITION_NOT_FOUND',
            `Posizione debitoria ${change.idPosizioneDebitoria} non trovata`,
            names.idPosizioneDebitoria,
          ),
        });
        continue;
      }
      const ref = { positionId: p.id, iuv: p.iuv, noticeNumber: p.noticeNumber };
      try {
        const next =
          change.kind === 'MODIFICA'
            ? this.modified(p, change.patch, today, names)
            : cancelled(p, change.reason, today);
        await savePosition(
          tx,
          p,
          next.draft,
          next.status,
          next.status !== p.status
            ? { from: p.status, to: next.status, actor: ctx.actor, reason: next.reason }
            : null,
          next.cancellationReason,
        );
        positions.set(change.idPosizioneDebitoria, {
          ...p,
          ...next.draft,
          status: next.status,
          version: p.version + 1,
          cancellationReason: next.cancellationReason ?? p.cancellationReason,
        });
        outcomes.push({ ok: true, ...ref });
      } catch (e) {
        outcomes.push({ ok: false, error: asPositionError(e), ...ref });
      }
    }
    return outcomes;
  }

  private modified(p: DebtPosition, patch: DraftPatch, today: string, names: DraftFieldNames) {
    const { draft, status } = patchedPosition(p, patch, today, names);
    return { draft, status, reason: 'aggiornamento', cancellationReason: undefined as string | undefined };
  }
}

function cancelled(p: DebtPosition, reason: string | undefined, today: string) {
  assertCancellable(effectiveStatus(p, today));
  const draft: DebtPositionDraft = p;
  return {
    draft,
    status: 'CANCELLED' as const,
    reason: reason ?? 'annullamento',
    cancellationReason: reason ?? '',
  };
}

function duplicate(id: string, names: DraftFieldNames, why: string): DebtPositionError {
  return positionError(
    'DUPLICATE_ID_DIFFERENT_CONTENT',
    `Il campo ${names.idPosizioneDebitoria} ${id} è ${why}: per cambiare una posizione usare AggiornaPosizioniDebitorie`,
    names.idPosizioneDebitoria,
  );
}

function asPositionError(e: unknown): DebtPositionError {
  if (e instanceof DebtPositionError) return e;
  throw e;
}
