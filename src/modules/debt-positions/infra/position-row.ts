/**
 * A debt position as its row of debt_position holds it: the one mapping between the domain (the draft, the debtor,
 * the position) and the columns, for every repository that writes or reads positions, in this module or another.
 * The debtor is in columns (positions are looked up by debtor), the components and payment references are jsonb.
 */
import { debtPosition } from '../../../db/schema.js';
import {
  ACTIVATION_HOLD_MINUTES,
  placeOf,
  type DocumentInfo,
  type SiblingState,
} from '../domain/documents.js';
import type {
  Component,
  DebtPosition,
  DebtPositionDraft,
  DebtPositionStatus,
  Debtor,
  PaymentReference,
} from '../domain/debt-position.js';

export type PositionRow = typeof debtPosition.$inferSelect;

/** The debtor as its columns hold it (null where the draft has nothing), under the schema's names. */
export interface DebtorRow {
  debtorType: 'F' | 'G' | null;
  debtorFiscalCode: string;
  debtorName: string | null;
  debtorSurname: string | null;
  debtorCompany: string | null;
  debtorAddress: string | null;
  debtorCivic: string | null;
  debtorPostalCode: string | null;
  debtorLocality: string | null;
  debtorProvince: string | null;
  debtorNation: string | null;
  debtorEmail: string | null;
}

export function debtorRow(d: Debtor): DebtorRow {
  return {
    debtorType: d.type,
    debtorFiscalCode: d.fiscalCode,
    debtorName: d.name ?? null,
    debtorSurname: d.surname ?? null,
    debtorCompany: d.company ?? null,
    debtorAddress: d.address ?? null,
    debtorCivic: d.civic ?? null,
    debtorPostalCode: d.postalCode ?? null,
    debtorLocality: d.locality ?? null,
    debtorProvince: d.province ?? null,
    debtorNation: d.nation ?? null,
    debtorEmail: d.email ?? null,
  };
}

export function debtorOf(r: Omit<DebtorRow, 'debtorType'> & { debtorType: string | null }): Debtor {
  return {
    type: (r.debtorType as 'F' | 'G' | null) ?? null,
    fiscalCode: r.debtorFiscalCode,
    name: r.debtorName ?? undefined,
    surname: r.debtorSurname ?? undefined,
    company: r.debtorCompany ?? undefined,
    address: r.debtorAddress ?? undefined,
    civic: r.debtorCivic ?? undefined,
    postalCode: r.debtorPostalCode ?? undefined,
    locality: r.debtorLocality ?? undefined,
    province: r.debtorProvince ?? undefined,
    nation: r.debtorNation ?? undefined,
    email: r.debtorEmail ?? undefined,
  };
}

const DEBTOR_KEYS = [
  'debtorType',
  'debtorFiscalCode',
  'debtorName',
  'debtorSurname',
  'debtorCompany',
  'debtorAddress',
  'debtorCivic',
  'debtorPostalCode',
  'debtorLocality',
  'debtorProvince',
  'debtorNation',
  'debtorEmail',
] as const satisfies readonly (keyof DebtorRow)[];

/** The debtor's columns of the position aliased `p`, selected as DebtorRow (for statements written in SQL). */
export function selectDebtor(p: string): string {
  return DEBTOR_KEYS.map((k) => `${p}.${debtPosition[k].name} as "${k}"`).join(', ');
}

const DEBTOR_NAMES: ReadonlySet<string> = new Set(DEBTOR_KEYS);

/** A row read with selectDebtor, its debtor's columns replaced by the Debtor they hold. */
export function withDebtor<T extends DebtorRow>(row: T): Omit<T, keyof DebtorRow> & { debtor: Debtor } {
  const rest = Object.fromEntries(Object.entries(row).filter(([k]) => !DEBTOR_NAMES.has(k)));
  return { ...(rest as Omit<T, keyof DebtorRow>), debtor: debtorOf(row) };
}

/** The columns a draft sets, under the schema's names: what an insert or an update of the draft writes. */
export function draftColumns(d: DebtPositionDraft) {
  return {
    idPosizioneDebitoria: d.idPosizioneDebitoria ?? null,
    amountCents: d.amountCents,
    components: d.components,
    causale: d.causale,
    descrizioneRata: d.descrizioneRata ?? null,
    ...debtorRow(d.debtor),
    dueDate: d.dueDate ?? null,
    validFrom: d.validFrom ?? null,
    validTo: d.validTo ?? null,
    paymentReferences: d.paymentReferences,
    payerNote: d.payerNote ?? null,
    referenceYear: d.referenceYear ?? null,
  };
}

type DraftColumns = ReturnType<typeof draftColumns>;

/** The type each draft column is read as by the statements that take drafts as parameters or as jsonb. */
const DRAFT_TYPES: { [K in keyof DraftColumns]: string } = {
  idPosizioneDebitoria: 'text',
  amountCents: 'bigint',
  components: 'jsonb',
  causale: 'text',
  descrizioneRata: 'text',
  debtorType: 'text',
  debtorFiscalCode: 'text',
  debtorName: 'text',
  debtorSurname: 'text',
  debtorCompany: 'text',
  debtorAddress: 'text',
  debtorCivic: 'text',
  debtorPostalCode: 'text',
  debtorLocality: 'text',
  debtorProvince: 'text',
  debtorNation: 'text',
  debtorEmail: 'text',
  dueDate: 'date',
  validFrom: 'date',
  validTo: 'date',
  paymentReferences: 'jsonb',
  payerNote: 'text',
  referenceYear: 'int',
};

const DRAFT_KEYS = Object.keys(DRAFT_TYPES) as (keyof DraftColumns)[];

/** The draft's column names, comma separated, in the order of draftValues and draftRecord's definition. */
export const DRAFT_COLUMN_LIST = DRAFT_KEYS.map((k) => debtPosition[k].name).join(', ');

/** The draft's columns as positional parameters from $`first`, each with its type (the VALUES of an insert). */
export function draftParameters(first: number): string {
  return DRAFT_KEYS.map((k, i) => `$${first + i}::${DRAFT_TYPES[k]}`).join(', ');
}

/** The values of draftParameters, in the same order (jsonb columns as their JSON text). */
export function draftValues(d: DebtPositionDraft): unknown[] {
  const c = draftColumns(d);
  return DRAFT_KEYS.map((k) => (DRAFT_TYPES[k] === 'jsonb' ? JSON.stringify(c[k]) : c[k]));
}

/** The column definition list of jsonb_to_recordset for rows made by draftRecord. */
export const DRAFT_RECORD_DEFINITION = DRAFT_KEYS.map(
  (k) => `${debtPosition[k].name} ${DRAFT_TYPES[k]}`,
).join(', ');

/** The draft as a jsonb record keyed by column name (for statements that insert many at once). */
export function draftRecord(d: DebtPositionDraft): Record<string, unknown> {
  const c = draftColumns(d);
  return Object.fromEntries(DRAFT_KEYS.map((k) => [debtPosition[k].name, c[k]]));
}

/** The document a position belongs to, when the statement joined it (identificativo and descrizione). */
export interface DocumentColumns {
  identificativo: string | null;
  descrizione: string | null;
}

export function positionOf(r: PositionRow, doc?: DocumentColumns | null): DebtPosition {
  const document: DocumentInfo | undefined =
    r.documentId !== null
      ? {
          id: r.documentId,
          identificativo: doc?.identificativo ?? '',
          descrizione: doc?.descrizione ?? '',
          place: placeOf(r),
        }
      : undefined;
  return {
    ...(document ? { document } : {}),
    id: r.id,
    enteId: r.enteId,
    paymentTypeId: r.paymentTypeId,
    idPosizioneDebitoria: r.idPosizioneDebitoria ?? undefined,
    iuv: r.iuv,
    noticeNumber: r.noticeNumber,
    amountCents: r.amountCents,
    components: r.components as Component[],
    causale: r.causale,
    descrizioneRata: r.descrizioneRata ?? undefined,
    debtor: debtorOf(r),
    dueDate: r.dueDate ?? undefined,
    validFrom: r.validFrom ?? undefined,
    validTo: r.validTo ?? undefined,
    paymentReferences: r.paymentReferences as PaymentReference[],
    payerNote: r.payerNote ?? undefined,
    referenceYear: r.referenceYear ?? undefined,
    status: r.status as DebtPositionStatus,
    statusChangedAt: r.statusChangedAt,
    cancellationReason: r.cancellationReason ?? undefined,
    contentHash: r.contentHash,
    version: r.version,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/**
 * The other positions of the document of the position aliased `p`, as a json array of SiblingState's columns
 * (empty when it has no document): a scalar subquery, so that the position and what may block it come in one
 * statement. `activationOpen`: an activation younger than ACTIVATION_HOLD_MINUTES without a receipt since.
 */
export function siblingsSql(p: string): string {
  return `(select coalesce(json_agg(json_build_object(
       'instalmentNumber', s.instalment_number, 'thresholdKind', s.threshold_kind, 'thresholdDays', s.threshold_days,
       'status', s.status,
       'activationOpen', exists (select 1 from payment_attempt a
          where a.position_id = s.id and a.created_at > now() - interval '${ACTIVATION_HOLD_MINUTES} minutes'
            and not exists (select 1 from receipt r where r.position_id = s.id and r.received_at >= a.created_at)))), '[]'::json)
     from debt_position s where s.document_id = ${p}.document_id and s.id <> ${p}.id)`;
}

interface SiblingJson {
  instalmentNumber: number | null;
  thresholdKind: string | null;
  thresholdDays: number | null;
  status: DebtPositionStatus;
  activationOpen: boolean;
}

/** The siblings siblingsSql read (json as parsed by the driver, or its text). */
export function siblingsOf(v: unknown): SiblingState[] {
  const rows = (typeof v === 'string' ? JSON.parse(v) : (v ?? [])) as SiblingJson[];
  return rows.map((r) => ({ place: placeOf(r), status: r.status, activationOpen: r.activationOpen }));
}
