import { createHash } from 'node:crypto';
import { isNumericFiscalCode, isPersonFiscalCode } from '../../../shared/fiscal-code.js';
import { formatCents } from '../../../shared/money.js';
import { charLength } from '../../../shared/text.js';
import type { DocumentInfo } from './documents.js';
import { positionError } from './errors.js';

export const MAX_AMOUNT_CENTS = 99_999_999_999; // 999.999.999,99 €
export const ANONIMO = 'ANONIMO';

export type DebtPositionStatus =
  'NOT_YET_ACTIVE' | 'PAYABLE' | 'PAYMENT_IN_PROGRESS' | 'PAID' | 'CANCELLED' | 'EXPIRED';

export interface Component {
  amountCents: number;
  causale: string;
  accountingYear?: number | undefined;
  accountingNumber?: string | undefined;
  /** PiemontePAY's datiSpecificiRiscossione of the component (pagoPA taxonomy, e.g. 9/0101108TS/). */
  datiSpecificiRiscossione?: string | undefined;
}

export interface PaymentReference {
  name: string;
  value: string;
}

export interface Debtor {
  /** F = natural person, G = legal person; null for ANONIMO (fines with advance notice). */
  type: 'F' | 'G' | null;
  fiscalCode: string;
  name?: string | undefined;
  surname?: string | undefined;
  company?: string | undefined;
  address?: string | undefined;
  civic?: string | undefined;
  postalCode?: string | undefined;
  locality?: string | undefined;
  province?: string | undefined;
  nation?: string | undefined;
  email?: string | undefined;
}

/** What a gestionale (or an operator) says a position is: everything but its identity and status. */
export interface DebtPositionDraft {
  idPosizioneDebitoria?: string | undefined;
  amountCents: number;
  components: Component[];
  causale: string;
  descrizioneRata?: string | undefined;
  debtor: Debtor;
  dueDate?: string | undefined;
  validFrom?: string | undefined;
  validTo?: string | undefined;
  paymentReferences: PaymentReference[];
  payerNote?: string | undefined;
  referenceYear?: number | undefined;
}

export interface DebtPosition extends DebtPositionDraft {
  id: number;
  enteId: number;
  paymentTypeId: number;
  iuv: string;
  noticeNumber: string;
  status: DebtPositionStatus;
  statusChangedAt: Date;
  cancellationReason?: string | undefined;
  contentHash: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  /** The document (GovPay's documento) the position belongs to, and its place there. */
  document?: DocumentInfo | undefined;
}

const EXTERNAL_ID = /^[A-Za-z0-9_-]{1,50}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isAnonymous(debtor: Debtor): boolean {
  return debtor.fiscalCode === ANONIMO;
}

// Control characters (and the non-characters U+FFFE/U+FFFF) cannot travel in pagoPA's XML.
// eslint-disable-next-line no-control-regex -- the control characters pagoPA's XML cannot carry are what is looked for
const CONTROL = /[\u0000-\u001F\u007F\uFFFE\uFFFF]/;

/** Every text of a position: within its length, and printable (it goes into pagoPA's XML as is). */
function checkLength(value: string | undefined, max: number, field: string): void {
  if (value !== undefined && value.length > max && charLength(value) > max) {
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${field} supera la lunghezza massima di ${max} caratteri`,
      field,
    );
  }
  if (value !== undefined && CONTROL.test(value)) {
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${field} contiene caratteri di controllo non ammessi`,
      field,
    );
  }
}

function checkDate(value: string | undefined, field: string): void {
  if (value === undefined) return;
  if (
    !ISO_DATE.test(value) ||
    Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ||
    new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value
  ) {
    throw positionError('INVALID_FIELD', `Il campo ${field} non contiene una data valida`, field);
  }
  // a real day is not enough: year 0 is no date PostgreSQL (nor pagoPA) takes; PiemontePAY's years run 1900–2900
  const year = Number(value.slice(0, 4));
  if (year < 1900 || year > 2999)
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${field} non contiene una data valida (anno tra 1900 e 2999)`,
      field,
    );
}

/** Field names as the caller knows them, so that errors name the caller's field. */
export interface DraftFieldNames {
  amount: string;
  components: string;
  componentAmount: (i: number) => string;
  componentCausale: (i: number) => string;
  causale: string;
  debtorFiscalCode: string;
  debtorName: string;
  debtorSurname: string;
  debtorCompany: string;
  email: string;
  validFrom: string;
  validTo: string;
  dueDate: string;
  references: string;
  idPosizioneDebitoria: string;
}

/** Changes a gestionale may ask for on an existing position; absent fields keep their value. */
export interface DraftPatch {
  amountCents?: number | undefined;
  components?: DebtPositionDraft['components'] | undefined;
  causale?: string | undefined;
  debtor?: Partial<DebtPositionDraft['debtor']> | undefined;
  dueDate?: string | undefined;
  validFrom?: string | undefined;
  validTo?: string | undefined;
  paymentReferences?: DebtPositionDraft['paymentReferences'] | undefined;
  payerNote?: string | undefined;
}

export const DEFAULT_FIELD_NAMES: DraftFieldNames = {
  amount: 'amountCents',
  components: 'components',
  componentAmount: (i) => `components[${i}].amountCents`,
  componentCausale: (i) => `components[${i}].causale`,
  causale: 'causale',
  debtorFiscalCode: 'debtor.fiscalCode',
  debtorName: 'debtor.name',
  debtorSurname: 'debtor.surname',
  debtorCompany: 'debtor.company',
  email: 'debtor.email',
  validFrom: 'validFrom',
  validTo: 'validTo',
  dueDate: 'dueDate',
  references: 'paymentReferences',
  idPosizioneDebitoria: 'idPosizioneDebitoria',
};

/**
 * The rules every position obeys, whoever loads it (REST, SOAP lists, operators).
 * Throws a DebtPositionError naming the first offending field.
 */
export function validateDraft(d: DebtPositionDraft, names: DraftFieldNames = DEFAULT_FIELD_NAMES): void {
  if (d.idPosizioneDebitoria !== undefined && !EXTERNAL_ID.test(d.idPosizioneDebitoria)) {
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${names.idPosizioneDebitoria} deve contenere da 1 a 50 caratteri tra lettere, cifre, '_' e '-'`,
      names.idPosizioneDebitoria,
    );
  }
  if (!Number.isSafeInteger(d.amountCents) || d.amountCents < 0 || d.amountCents > MAX_AMOUNT_CENTS) {
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${names.amount} deve essere un importo tra 0,00 e 999.999.999,99 euro`,
      names.amount,
    );
  }
  const anonymous = isAnonymous(d.debtor);
  if (d.amountCents === 0 && !anonymous) {
    throw positionError(
      'AMOUNT_NOT_POSITIVE',
      `Il campo ${names.amount} deve essere maggiore di zero (solo le posizioni ANONIMO del modello Multe possono avere importo zero)`,
      names.amount,
    );
  }
  if (d.components.length < 1) {
    throw positionError(
      'COMPONENTS_INCONSISTENT',
      `Il campo ${names.components} deve contenere almeno una componente`,
      names.components,
    );
  }
  if (d.components.length > 5) {
    throw positionError(
      'TOO_MANY_COMPONENTS',
      `Il campo ${names.components} contiene più di 5 componenti`,
      names.components,
    );
  }
  let sum = 0;
  d.components.forEach((c, i) => {
    if (!Number.isSafeInteger(c.amountCents) || c.amountCents < 0 || c.amountCents > MAX_AMOUNT_CENTS) {
      throw positionError(
        'INVALID_FIELD',
        `Il campo ${names.componentAmount(i)} non contiene un importo valido`,
        names.componentAmount(i),
      );
    }
    if (c.amountCents === 0 && !anonymous) {
      throw positionError(
        'COMPONENTS_INCONSISTENT',
        `Il campo ${names.componentAmount(i)} deve essere maggiore di zero`,
        names.componentAmount(i),
      );
    }
    if (!c.causale.trim())
      throw positionError(
        'INVALID_FIELD',
        `Il campo ${names.componentCausale(i)} è obbligatorio`,
        names.componentCausale(i),
      );
    checkLength(c.causale, 80, names.componentCausale(i));
    checkLength(c.datiSpecificiRiscossione, 140, `${names.components}[${i}].datiSpecificiRiscossione`);
    sum += c.amountCents;
  });
  if (sum !== d.amountCents) {
    throw positionError(
      'COMPONENTS_NOT_MATCHING_TOTAL',
      `Il campo ${names.components}: la somma delle componenti (${formatCents(sum)}) non corrisponde all'importo totale (${formatCents(d.amountCents)})`,
      names.components,
    );
  }
  if (!d.causale.trim())
    throw positionError('INVALID_FIELD', `Il campo ${names.causale} è obbligatorio`, names.causale);
  checkLength(d.causale, 140, names.causale);
  checkLength(d.descrizioneRata, 16, 'descrizioneRata');
  checkLength(d.payerNote, 1000, 'notePerIlPagatore');
  validateDebtor(d.debtor, names);
  checkDate(d.dueDate, names.dueDate);
  checkDate(d.validFrom, names.validFrom);
  checkDate(d.validTo, names.validTo);
  if (d.validFrom && d.validTo && d.validFrom > d.validTo) {
    throw positionError(
      'VALIDITY_DATES',
      `Il campo ${names.validFrom} è successivo a ${names.validTo}`,
      names.validFrom,
    );
  }
  if (d.dueDate && d.validTo && d.dueDate > d.validTo) {
    throw positionError(
      'VALIDITY_DATES',
      `Il campo ${names.dueDate} è successivo a ${names.validTo}`,
      names.dueDate,
    );
  }
  if (d.paymentReferences.length > 5) {
    throw positionError(
      'REFERENCES_INVALID',
      `Il campo ${names.references} contiene più di 5 riferimenti`,
      names.references,
    );
  }
  d.paymentReferences.forEach((r, i) => {
    if (!r.name.trim() || !r.value.trim()) {
      throw positionError(
        'REFERENCES_INVALID',
        `Il campo ${names.references}[${i}] richiede nome e valore`,
        `${names.references}[${i}]`,
      );
    }
    checkLength(r.name, 70, `${names.references}[${i}].nome`);
    checkLength(r.value, 70, `${names.references}[${i}].valore`);
  });
  if (
    d.referenceYear !== undefined &&
    (!Number.isInteger(d.referenceYear) || d.referenceYear < 1900 || d.referenceYear > 2999)
  ) {
    throw positionError(
      'INVALID_FIELD',
      'Il campo annoRiferimento non contiene un anno valido',
      'annoRiferimento',
    );
  }
}

function validateDebtor(debtor: Debtor, names: DraftFieldNames): void {
  if (isAnonymous(debtor)) return;
  const cf = debtor.fiscalCode;
  if (!isPersonFiscalCode(cf) && !isNumericFiscalCode(cf)) {
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${names.debtorFiscalCode} non contiene un codice fiscale o una partita IVA validi`,
      names.debtorFiscalCode,
    );
  }
  if (debtor.type === 'F') {
    if (!debtor.name?.trim())
      throw positionError(
        'INVALID_FIELD',
        `Il campo ${names.debtorName} è obbligatorio per una persona fisica`,
        names.debtorName,
      );
    if (!debtor.surname?.trim())
      throw positionError(
        'INVALID_FIELD',
        `Il campo ${names.debtorSurname} è obbligatorio per una persona fisica`,
        names.debtorSurname,
      );
    checkLength(debtor.name, 70, names.debtorName);
    checkLength(debtor.surname, 70, names.debtorSurname);
  } else if (debtor.type === 'G') {
    if (!debtor.company?.trim())
      throw positionError(
        'INVALID_FIELD',
        `Il campo ${names.debtorCompany} è obbligatorio per una persona giuridica`,
        names.debtorCompany,
      );
    checkLength(debtor.company, 140, names.debtorCompany);
  } else {
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${names.debtorFiscalCode} richiede un soggetto di tipo F o G`,
      names.debtorFiscalCode,
    );
  }
  if (debtor.email !== undefined && (!EMAIL.test(debtor.email) || debtor.email.length > 256)) {
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${names.email} non contiene un indirizzo email valido`,
      names.email,
    );
  }
  if (debtor.nation !== undefined && !/^[A-Z]{2}$/.test(debtor.nation)) {
    throw positionError(
      'INVALID_FIELD',
      'Il campo nazione deve essere un codice ISO di 2 lettere maiuscole',
      'nazione',
    );
  }
  checkLength(debtor.address, 70, 'indirizzo');
  checkLength(debtor.civic, 16, 'civico');
  checkLength(debtor.postalCode, 16, 'cap');
  checkLength(debtor.locality, 35, 'localita');
  checkLength(debtor.province, 35, 'provincia');
}

/** The status a new position starts in. A position whose validity has already ended is refused. */
export function initialStatus(
  d: Pick<DebtPositionDraft, 'validFrom' | 'validTo'>,
  today: string,
  names: Pick<DraftFieldNames, 'validTo'> = DEFAULT_FIELD_NAMES,
): DebtPositionStatus {
  if (d.validTo && d.validTo < today) {
    throw positionError('VALIDITY_DATES', `Il campo ${names.validTo} è già trascorso`, names.validTo);
  }
  return d.validFrom && d.validFrom > today ? 'NOT_YET_ACTIVE' : 'PAYABLE';
}

/**
 * The status as of `today`: calendar-driven transitions (activation at validity start, expiry after
 * validity end) apply at once on read, whether or not the worker's sweep has recorded them yet.
 */
export function effectiveStatus(
  p: Pick<DebtPosition, 'status' | 'validFrom' | 'validTo'>,
  today: string,
): DebtPositionStatus {
  if (p.status !== 'NOT_YET_ACTIVE' && p.status !== 'PAYABLE') return p.status;
  if (p.validTo && p.validTo < today) return 'EXPIRED';
  if (p.validFrom && p.validFrom > today) return 'NOT_YET_ACTIVE';
  return 'PAYABLE';
}

/** Whether the gestionale may still change the position, and why not. */
export function assertModifiable(status: DebtPositionStatus): void {
  switch (status) {
    case 'PAID':
      throw positionError(
        'ALREADY_PAID',
        'La posizione debitoria risulta già pagata e non può essere modificata',
      );
    case 'PAYMENT_IN_PROGRESS':
      throw positionError(
        'PAYMENT_IN_PROGRESS',
        'La posizione debitoria ha un pagamento in corso e non può essere modificata',
      );
    case 'CANCELLED':
      throw positionError('ALREADY_CANCELLED', 'La posizione debitoria risulta già annullata');
    case 'EXPIRED':
      throw positionError('EXPIRED', 'La posizione debitoria è scaduta e non può essere modificata');
    default:
  }
}

/** Whether the gestionale may still cancel the position, and why not: unlike a change, an expired one may be. */
export function assertCancellable(status: DebtPositionStatus): void {
  switch (status) {
    case 'PAID':
      throw positionError(
        'ALREADY_PAID',
        'La posizione debitoria risulta già pagata e non può essere annullata',
      );
    case 'PAYMENT_IN_PROGRESS':
      throw positionError(
        'PAYMENT_IN_PROGRESS',
        'La posizione debitoria ha un pagamento in corso e non può essere annullata',
      );
    case 'CANCELLED':
      throw positionError('ALREADY_CANCELLED', 'La posizione debitoria risulta già annullata');
    default:
  }
}

/**
 * Fines with advance notice: the debtor of a position can only be set once, from ANONIMO,
 * while the amount is still zero (PiemontePAY codes 218 and 196).
 */
export function assertDebtorChangeAllowed(current: Pick<DebtPositionDraft, 'debtor' | 'amountCents'>): void {
  if (!isAnonymous(current.debtor)) {
    throw positionError(
      'DEBTOR_NOT_ANONYMOUS',
      'Il soggetto pagatore può essere modificato solo se la posizione è intestata ad ANONIMO',
      'codiceFiscalePartitaIVAPagatore',
    );
  }
  if (current.amountCents !== 0) {
    throw positionError(
      'DEBTOR_NOT_UPDATABLE',
      'Anagrafica non aggiornabile per importo diverso da 0 (mod. Multe)',
      'codiceFiscalePartitaIVAPagatore',
    );
  }
}

/**
 * Fines with advance notice, on a change of a stored position: `RiferimentiPagamento` only while it is ANONIMO
 * (194), and an ANONIMO zero-amount fine becomes payable only with its debtor and its amount together (an amount
 * alone would make it payable while still ANONIMO, and its debtor could then never be set: 196).
 */
export function assertFineChangeAllowed(
  current: Pick<DebtPositionDraft, 'debtor' | 'amountCents'>,
  patch: { paymentReferences?: readonly PaymentReference[] | undefined },
  next: Pick<DebtPositionDraft, 'debtor' | 'amountCents'>,
  names: DraftFieldNames = DEFAULT_FIELD_NAMES,
): void {
  if (patch.paymentReferences !== undefined && !isAnonymous(current.debtor)) {
    throw positionError(
      'REFERENCES_NOT_ALLOWED',
      `Il campo ${names.references} è ammesso solo per le posizioni con soggetto pagatore ANONIMO (modello Multe)`,
      names.references,
    );
  }
  if (
    isAnonymous(current.debtor) &&
    current.amountCents === 0 &&
    next.amountCents > 0 &&
    isAnonymous(next.debtor)
  ) {
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${names.debtorFiscalCode} è obbligatorio per attivare una posizione del modello Multe: soggetto pagatore e ${names.amount} vanno indicati insieme`,
      names.debtorFiscalCode,
    );
  }
}

/** The same debtor: fiscal code, type and names compared without regard to case or surrounding blanks (Pino = PINO). */
export function sameDebtorIdentity(a: Debtor, b: Debtor): boolean {
  const eq = (x: string | null | undefined, y: string | null | undefined) =>
    (x ?? '').trim().toUpperCase() === (y ?? '').trim().toUpperCase();
  return (
    eq(a.fiscalCode, b.fiscalCode) &&
    a.type === b.type &&
    eq(a.name, b.name) &&
    eq(a.surname, b.surname) &&
    eq(a.company, b.company)
  );
}

/** Payable right now through pagoPA: an ANONIMO zero-amount fine waits for its MODIFICA first. */
export function isPayable(
  p: Pick<DebtPosition, 'status' | 'validFrom' | 'validTo' | 'amountCents'>,
  today: string,
): boolean {
  return effectiveStatus(p, today) === 'PAYABLE' && p.amountCents > 0;
}

/** PiemontePAY epayapi `Status.code`: 0 paid, 1 not paid, 2 cancelled, 3 not yet active, 4 no longer active. */
export function piemontePayStatus(status: DebtPositionStatus): { code: string; description: string } {
  switch (status) {
    case 'PAID':
      return { code: '0', description: 'Pagato' };
    case 'CANCELLED':
      return { code: '2', description: "Annullato dall'Ente" };
    case 'NOT_YET_ACTIVE':
      return { code: '3', description: 'Non ancora attiva' };
    case 'EXPIRED':
      return { code: '4', description: "Non piu' attiva" };
    default:
      return { code: '1', description: 'Non Pagato' };
  }
}

/** A stable fingerprint of a draft: a resent create with the same content is recognised as such. */
export function contentHash(d: DebtPositionDraft, extra: Record<string, unknown> = {}): string {
  return createHash('sha256')
    .update(canonicalJson({ ...d, ...extra }))
    .digest('hex');
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}
