/**
 * Documents (GovPay's `documento`): positions of one ente that pay the same debt. A position belongs to
 * its document as the single solution, as the n-th instalment (`rata`), or as a threshold option
 * (`soglia`: ENTRO / OLTRE n days, e.g. a fine reduced when paid within 5 days).
 *
 * Plans: the single solution is one plan, all the instalments together are one plan, each threshold
 * option is a plan of its own. Paying one plan settles the debt: a position is not payable while a
 * position of the same document in another plan is paid or being paid. Instalments of one plan never
 * block each other. Pure: the repositories load the siblings, these functions decide.
 */
import { charLength } from '../../../shared/text.js';
import type { DebtPositionStatus } from './debt-position.js';
import { positionError } from './errors.js';

export type ThresholdKind = 'ENTRO' | 'OLTRE';
export const THRESHOLD_KINDS: readonly ThresholdKind[] = ['ENTRO', 'OLTRE'];

export type DocumentPlace =
  | { kind: 'SINGLE' }
  | { kind: 'INSTALMENT'; rata: number }
  | { kind: 'THRESHOLD'; tipo: ThresholdKind; giorni: number };

/** A position's document as the position shows it. */
export interface DocumentInfo {
  id: number;
  identificativo: string;
  descrizione: string;
  place: DocumentPlace;
}

/** GovPay's `documento` of a pendenza: rata or soglia, or neither (the single solution). */
export interface DocumentRef {
  identificativo: string;
  descrizione: string;
  rata?: number | undefined;
  soglia?: { tipo: ThresholdKind; giorni: number } | undefined;
}

/**
 * How long an activation (paGetPayment) of a position holds the other plans of its document: the
 * lifetime of pagoPA's payment token (30 minutes at most), unless a receipt for that position came since.
 */
export const ACTIVATION_HOLD_MINUTES = 30;

/** The most instalments a document may have (the notice lists every one of them). */
export const MAX_INSTALMENTS = 100;
/** The longest threshold, in days. */
export const MAX_THRESHOLD_DAYS = 3650;

/** A position of the same document as another position sees it. */
export interface SiblingState {
  place: DocumentPlace;
  status: DebtPositionStatus;
  /** An activation younger than ACTIVATION_HOLD_MINUTES with no receipt since. */
  activationOpen: boolean;
}

/**
 * Why a position cannot be paid because of its document: another plan is PAID, or another plan is
 * being paid (PAYMENT_IN_PROGRESS, or activated by pagoPA within the hold); null when nothing blocks.
 */
export type DocumentConflict = 'OTHER_PLAN_PAID' | 'OTHER_PLAN_IN_PROGRESS';

export function placeOf(cols: {
  instalmentNumber: number | null;
  thresholdKind: string | null;
  thresholdDays: number | null;
}): DocumentPlace {
  if (cols.instalmentNumber !== null) return { kind: 'INSTALMENT', rata: cols.instalmentNumber };
  if (cols.thresholdKind !== null)
    return {
      kind: 'THRESHOLD',
      tipo: cols.thresholdKind as ThresholdKind,
      giorni: cols.thresholdDays ?? 0,
    };
  return { kind: 'SINGLE' };
}

export function placeColumns(place: DocumentPlace): {
  instalmentNumber: number | null;
  thresholdKind: ThresholdKind | null;
  thresholdDays: number | null;
} {
  switch (place.kind) {
    case 'INSTALMENT':
      return { instalmentNumber: place.rata, thresholdKind: null, thresholdDays: null };
    case 'THRESHOLD':
      return { instalmentNumber: null, thresholdKind: place.tipo, thresholdDays: place.giorni };
    default:
      return { instalmentNumber: null, thresholdKind: null, thresholdDays: null };
  }
}

/** The place a GovPay `documento` names. */
export function placeOfRef(ref: Pick<DocumentRef, 'rata' | 'soglia'>): DocumentPlace {
  if (ref.rata !== undefined) return { kind: 'INSTALMENT', rata: ref.rata };
  if (ref.soglia !== undefined)
    return { kind: 'THRESHOLD', tipo: ref.soglia.tipo, giorni: ref.soglia.giorni };
  return { kind: 'SINGLE' };
}

/** The plan a place belongs to: every instalment is in one plan, every other place is a plan of its own. */
export function planOf(place: DocumentPlace): string {
  switch (place.kind) {
    case 'INSTALMENT':
      return 'INSTALMENTS';
    case 'THRESHOLD':
      return `THRESHOLD:${place.tipo}:${place.giorni}`;
    default:
      return 'SINGLE';
  }
}

export function samePlace(a: DocumentPlace, b: DocumentPlace): boolean {
  return planOf(a) === planOf(b) && (a.kind !== 'INSTALMENT' || b.kind !== 'INSTALMENT' || a.rata === b.rata);
}

/**
 * Whether another plan of the document blocks paying the position at `place`: a paid one first (the
 * debt is settled), then one being paid. Cancelled and expired siblings block nothing.
 */
export function documentConflict(
  place: DocumentPlace,
  siblings: readonly SiblingState[],
): DocumentConflict | null {
  const plan = planOf(place);
  let inProgress = false;
  for (const s of siblings) {
    if (planOf(s.place) === plan) continue;
    if (s.status === 'PAID') return 'OTHER_PLAN_PAID';
    if (s.status === 'PAYMENT_IN_PROGRESS' || (s.activationOpen && s.status === 'PAYABLE')) inProgress = true;
  }
  return inProgress ? 'OTHER_PLAN_IN_PROGRESS' : null;
}

const KIND_ORDER = { SINGLE: 0, THRESHOLD: 1, INSTALMENT: 2 } as const;

/** The order a document lists its positions in: single solution, thresholds (ENTRO before OLTRE, then by days), instalments by number. */
export function comparePlaces(a: DocumentPlace, b: DocumentPlace): number {
  if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (a.kind === 'INSTALMENT' && b.kind === 'INSTALMENT') return a.rata - b.rata;
  if (a.kind === 'THRESHOLD' && b.kind === 'THRESHOLD')
    return a.tipo !== b.tipo ? (a.tipo === 'ENTRO' ? -1 : 1) : a.giorni - b.giorni;
  return 0;
}

// eslint-disable-next-line no-control-regex -- the control characters a notice cannot carry are what is looked for
const CONTROL = /[\u0000-\u001F\u007F\uFFFE\uFFFF]/;

function checkText(value: string, max: number, field: string): void {
  if (!value.trim()) throw positionError('INVALID_FIELD', `Il campo ${field} è obbligatorio`, field);
  if (charLength(value) > max)
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${field} supera la lunghezza massima di ${max} caratteri`,
      field,
    );
  if (CONTROL.test(value))
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${field} contiene caratteri di controllo non ammessi`,
      field,
    );
}

/** Field names of a document reference as the caller knows them. */
export interface DocumentFieldNames {
  identificativo: string;
  descrizione: string;
  rata: string;
  soglia: string;
}

export const DOCUMENT_FIELD_NAMES: DocumentFieldNames = {
  identificativo: 'documento.identificativo',
  descrizione: 'documento.descrizione',
  rata: 'documento.rata',
  soglia: 'documento.soglia',
};

/** GovPay's documento: identificativo 1..35, descrizione 1..80, rata ≥ 1 or soglia (ENTRO/OLTRE, giorni ≥ 0), not both. */
export function validateDocumentRef(
  ref: DocumentRef,
  names: DocumentFieldNames = DOCUMENT_FIELD_NAMES,
): void {
  checkText(ref.identificativo, 35, names.identificativo);
  checkText(ref.descrizione, 80, names.descrizione);
  if (ref.rata !== undefined && ref.soglia !== undefined)
    throw positionError(
      'INVALID_FIELD',
      `I campi ${names.rata} e ${names.soglia} sono alternativi`,
      names.rata,
    );
  if (ref.rata !== undefined && (!Number.isInteger(ref.rata) || ref.rata < 1 || ref.rata > MAX_INSTALMENTS))
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${names.rata} deve essere un numero tra 1 e ${MAX_INSTALMENTS}`,
      names.rata,
    );
  if (ref.soglia !== undefined) {
    if (!THRESHOLD_KINDS.includes(ref.soglia.tipo))
      throw positionError(
        'INVALID_FIELD',
        `Il campo ${names.soglia}.tipo deve essere ENTRO o OLTRE`,
        `${names.soglia}.tipo`,
      );
    const g = ref.soglia.giorni;
    if (!Number.isInteger(g) || g < 0 || g > MAX_THRESHOLD_DAYS)
      throw positionError(
        'INVALID_FIELD',
        `Il campo ${names.soglia}.giorni deve essere un numero di giorni tra 0 e ${MAX_THRESHOLD_DAYS}`,
        `${names.soglia}.giorni`,
      );
  }
}

/** The options of a whole document as a caller lists them (admin API). */
export interface DocumentPlan {
  singleSolution: boolean;
  /** The instalments' due dates in the caller's order (undefined where none is given). */
  instalments: readonly (string | undefined)[];
  thresholds: readonly { tipo: ThresholdKind; giorni: number }[];
}

/**
 * The shape of a whole document: at least one option; instalments are 2..MAX_INSTALMENTS (one
 * instalment alone is a single solution), each with a due date later than the previous one's (the
 * notice prints "rata n entro il …" in that order); threshold options distinct. The instalments'
 * total may differ from the single solution's amount (instalments often add interest).
 */
export function validateDocumentPlan(plan: DocumentPlan): void {
  if (!plan.singleSolution && plan.instalments.length === 0 && plan.thresholds.length === 0)
    throw positionError(
      'INVALID_FIELD',
      'Il documento deve contenere almeno una soluzione: singleSolution, instalments o thresholds',
      'singleSolution',
    );
  if (plan.instalments.length === 1)
    throw positionError(
      'INVALID_FIELD',
      'Il campo instalments deve contenere almeno 2 rate (una rata sola è la soluzione unica: singleSolution)',
      'instalments',
    );
  if (plan.instalments.length > MAX_INSTALMENTS)
    throw positionError(
      'INVALID_FIELD',
      `Il campo instalments contiene più di ${MAX_INSTALMENTS} rate`,
      'instalments',
    );
  let previous: string | undefined;
  plan.instalments.forEach((due, i) => {
    if (due === undefined)
      throw positionError(
        'INVALID_FIELD',
        `Il campo instalments[${i}].dueDate è obbligatorio per una rata`,
        `instalments[${i}].dueDate`,
      );
    if (previous !== undefined && due <= previous)
      throw positionError(
        'INVALID_FIELD',
        `Il campo instalments[${i}].dueDate deve essere successivo alla scadenza della rata precedente`,
        `instalments[${i}].dueDate`,
      );
    previous = due;
  });
  const seen = new Set<string>();
  plan.thresholds.forEach((t, i) => {
    validateDocumentRef(
      { identificativo: 'x', descrizione: 'x', soglia: t },
      { ...DOCUMENT_FIELD_NAMES, soglia: `thresholds[${i}]` },
    );
    const key = `${t.tipo}:${t.giorni}`;
    if (seen.has(key))
      throw positionError(
        'INVALID_FIELD',
        `Il campo thresholds[${i}] ripete la soglia ${t.tipo} ${t.giorni} giorni`,
        `thresholds[${i}]`,
      );
    seen.add(key);
  });
}
