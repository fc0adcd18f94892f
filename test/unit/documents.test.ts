import { describe, expect, it } from 'vitest';
import type { DebtPositionStatus } from '../../src/modules/debt-positions/domain/debt-position.js';
import {
  comparePlaces,
  documentConflict,
  placeColumns,
  placeOf,
  planOf,
  validateDocumentPlan,
  validateDocumentRef,
  type DocumentPlace,
  type SiblingState,
} from '../../src/modules/debt-positions/domain/documents.js';
import { DebtPositionError } from '../../src/modules/debt-positions/domain/errors.js';

const SINGLE: DocumentPlace = { kind: 'SINGLE' };
const rata = (n: number): DocumentPlace => ({ kind: 'INSTALMENT', rata: n });
const entro5: DocumentPlace = { kind: 'THRESHOLD', tipo: 'ENTRO', giorni: 5 };
const oltre5: DocumentPlace = { kind: 'THRESHOLD', tipo: 'OLTRE', giorni: 5 };
const sib = (place: DocumentPlace, status: DebtPositionStatus, activationOpen = false): SiblingState => ({
  place,
  status,
  activationOpen,
});

function fieldOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof DebtPositionError) return e.field;
    throw e;
  }
  return 'no error';
}

describe('documents: plans', () => {
  it('puts every instalment in one plan and every other place in a plan of its own', () => {
    expect(planOf(rata(1))).toBe(planOf(rata(3)));
    expect(planOf(SINGLE)).not.toBe(planOf(rata(1)));
    expect(planOf(entro5)).not.toBe(planOf(oltre5));
    expect(planOf(entro5)).not.toBe(planOf(SINGLE));
  });

  it('paying one instalment leaves the other instalments payable', () => {
    expect(documentConflict(rata(2), [sib(rata(1), 'PAID'), sib(SINGLE, 'PAYABLE')])).toBeNull();
  });

  it('paying the single solution blocks every instalment, and an instalment paid blocks the single solution', () => {
    expect(documentConflict(rata(2), [sib(SINGLE, 'PAID'), sib(rata(1), 'PAYABLE')])).toBe('OTHER_PLAN_PAID');
    expect(documentConflict(SINGLE, [sib(rata(1), 'PAID'), sib(rata(2), 'PAYABLE')])).toBe('OTHER_PLAN_PAID');
  });

  it('threshold options exclude each other and the other plans', () => {
    expect(documentConflict(oltre5, [sib(entro5, 'PAID')])).toBe('OTHER_PLAN_PAID');
    expect(documentConflict(entro5, [sib(oltre5, 'PAYMENT_IN_PROGRESS')])).toBe('OTHER_PLAN_IN_PROGRESS');
  });

  it('a payment in progress or an open activation of another plan blocks; a paid one wins over it', () => {
    expect(documentConflict(SINGLE, [sib(rata(1), 'PAYMENT_IN_PROGRESS')])).toBe('OTHER_PLAN_IN_PROGRESS');
    expect(documentConflict(SINGLE, [sib(rata(1), 'PAYABLE', true)])).toBe('OTHER_PLAN_IN_PROGRESS');
    expect(documentConflict(SINGLE, [sib(rata(1), 'PAYABLE', true), sib(rata(2), 'PAID')])).toBe(
      'OTHER_PLAN_PAID',
    );
    // an open activation of the same plan blocks nothing
    expect(documentConflict(rata(2), [sib(rata(1), 'PAYABLE', true)])).toBeNull();
  });

  it('cancelled and expired siblings block nothing', () => {
    expect(documentConflict(SINGLE, [sib(rata(1), 'CANCELLED', true), sib(rata(2), 'EXPIRED')])).toBeNull();
    expect(documentConflict(SINGLE, [])).toBeNull();
  });

  it('maps places to columns and back', () => {
    for (const p of [SINGLE, rata(4), entro5, oltre5]) expect(placeOf(placeColumns(p))).toEqual(p);
  });

  it('orders single solution, thresholds (ENTRO first, then by days), instalments by number', () => {
    const oltre10: DocumentPlace = { kind: 'THRESHOLD', tipo: 'OLTRE', giorni: 10 };
    const sorted = [rata(2), oltre10, rata(1), oltre5, SINGLE, entro5].sort(comparePlaces);
    expect(sorted).toEqual([SINGLE, entro5, oltre5, oltre10, rata(1), rata(2)]);
  });
});

describe('documents: validation', () => {
  it('checks the documento reference and names the field', () => {
    const ok = { identificativo: 'TARI-2026-1', descrizione: 'TARI 2026' };
    expect(fieldOf(() => validateDocumentRef(ok))).toBe('no error');
    expect(fieldOf(() => validateDocumentRef({ ...ok, identificativo: 'x'.repeat(36) }))).toBe(
      'documento.identificativo',
    );
    expect(fieldOf(() => validateDocumentRef({ ...ok, descrizione: ' ' }))).toBe('documento.descrizione');
    expect(fieldOf(() => validateDocumentRef({ ...ok, rata: 0 }))).toBe('documento.rata');
    expect(fieldOf(() => validateDocumentRef({ ...ok, rata: 1, soglia: { tipo: 'ENTRO', giorni: 5 } }))).toBe(
      'documento.rata',
    );
    expect(
      fieldOf(() => validateDocumentRef({ ...ok, soglia: { tipo: 'PRIMA' as 'ENTRO', giorni: 5 } })),
    ).toBe('documento.soglia.tipo');
    expect(fieldOf(() => validateDocumentRef({ ...ok, soglia: { tipo: 'OLTRE', giorni: -1 } }))).toBe(
      'documento.soglia.giorni',
    );
  });

  it('wants at least one option, 2+ instalments with increasing due dates, distinct thresholds', () => {
    const plan = { singleSolution: true, instalments: [], thresholds: [] };
    expect(fieldOf(() => validateDocumentPlan(plan))).toBe('no error');
    expect(fieldOf(() => validateDocumentPlan({ ...plan, singleSolution: false }))).toBe('singleSolution');
    expect(fieldOf(() => validateDocumentPlan({ ...plan, instalments: ['2026-05-31'] }))).toBe('instalments');
    expect(fieldOf(() => validateDocumentPlan({ ...plan, instalments: ['2026-05-31', undefined] }))).toBe(
      'instalments[1].dueDate',
    );
    expect(
      fieldOf(() =>
        validateDocumentPlan({ ...plan, instalments: ['2026-05-31', '2026-07-31', '2026-07-31'] }),
      ),
    ).toBe('instalments[2].dueDate');
    expect(
      fieldOf(() =>
        validateDocumentPlan({
          ...plan,
          thresholds: [
            { tipo: 'ENTRO', giorni: 5 },
            { tipo: 'ENTRO', giorni: 5 },
          ],
        }),
      ),
    ).toBe('thresholds[1]');
    expect(
      fieldOf(() => validateDocumentPlan({ ...plan, thresholds: [{ tipo: 'OLTRE', giorni: 1.5 }] })),
    ).toBe('thresholds[0].giorni');
  });
});
