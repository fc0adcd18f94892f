/**
 * The rules of verification and activation (paVerifyPaymentNotice, paGetPayment, paGetPaymentV2):
 * who may ask, which positions can be paid, and what Cassa answers about a payable one. Pure:
 * the service loads the data, these functions decide.
 */
import { createHash } from 'node:crypto';
import {
  ANONIMO,
  effectiveStatus,
  type Component,
  type DebtPositionStatus,
  type Debtor,
  type PaymentReference,
} from '../../debt-positions/domain/debt-position.js';
import {
  documentConflict,
  type DocumentPlace,
  type SiblingState,
} from '../../debt-positions/domain/documents.js';
import { paaFault } from './faults.js';
import { truncateChars } from '../../../shared/text.js';

export const STAND_IN_PROBE_NOTICE = '000000000000000000';
/** ctPaymentPA(V2).dueDate is required: a position without due date or validity end answers this "no expiry" date. */
export const NO_DUE_DATE = '2099-12-31';
export const MAX_TRANSFERS = 5;
export const MAX_METADATA = 15;

export type TransferType = 'POSTAL' | 'PAGOPA';
export type PrimitiveVersion = 1 | 2;

/** What the node says about itself in every request. */
export interface CallerIds {
  idPA: string;
  idBrokerPA: string;
  idStation: string;
}

/** The ente a request names (idPA), as Cassa knows it. */
export interface Creditor {
  enteId: number;
  fiscalCode: string;
  companyName: string;
  officeName: string | null;
  idBrokerPA: string | null;
  idStation: string | null;
  active: boolean;
  province: string | null;
}

/** The intermediary identifiers that apply to enti without their own (CASSA_ID_BROKER_PA / CASSA_ID_STATION). */
export interface IntermediaryDefaults {
  idBrokerPA?: string | undefined;
  idStation?: string | undefined;
}

export interface PayablePosition {
  id: number;
  iuv: string;
  noticeNumber: string;
  amountCents: number;
  components: Component[];
  causale: string;
  status: DebtPositionStatus;
  validFrom: string | null;
  validTo: string | null;
  dueDate: string | null;
  debtor: Debtor;
  paymentReferences: PaymentReference[];
  /** Its document (GovPay's documento), when it has one: its place and the other positions of the document. */
  document?: PositionInDocument | undefined;
}

export interface PositionInDocument {
  id: number;
  place: DocumentPlace;
  siblings: SiblingState[];
}

export interface PaymentTypeAccounts {
  iban: string | null;
  ibanPostale: string | null;
  ibanAppoggio: string | null;
  transferCategory: string;
  marcaDaBollo: boolean;
}

export interface MapEntry {
  key: string;
  value: string;
}

/** Where pagoPA's ctSubject (a debtor, a payer) is reached: its optional address and e-mail. */
export interface SubjectAddress {
  streetName?: string | undefined;
  civicNumber?: string | undefined;
  postalCode?: string | undefined;
  city?: string | undefined;
  stateProvinceRegion?: string | undefined;
  country?: string | undefined;
  email?: string | undefined;
}

export interface Subject extends SubjectAddress {
  type: 'F' | 'G';
  id: string;
  fullName: string;
}

export interface MarcaDaBolloRequest {
  hashDocumento: string;
  tipoBollo: '01';
  provinciaResidenza: string;
}

export interface Transfer {
  idTransfer: number;
  amountCents: number;
  fiscalCodePA: string;
  /** Exactly one of iban and marcaDaBollo. */
  iban?: string | undefined;
  marcaDaBollo?: MarcaDaBolloRequest | undefined;
  remittanceInformation: string;
  transferCategory: string;
  metadata: MapEntry[];
}

/** The one payment option of a verify answer. */
export interface PaymentOption {
  amountCents: number;
  dueDate: string | undefined;
  description: string;
  allCCP: boolean;
}

/** The data of an activation answer (ctPaymentPA / ctPaymentPAV2). */
export interface PaymentData {
  creditorReferenceId: string;
  amountCents: number;
  dueDate: string;
  description: string;
  companyName: string;
  officeName: string | null;
  debtor: Subject;
  transfers: Transfer[];
  metadata: MapEntry[];
}

/**
 * The checks pagoPA expects before anything else, in its order: the ente (idPA), then the
 * intermediary (idBrokerPA), then the station (idStation). An ente without its own broker or
 * station is served under the global ones; with none configured, no identifier matches.
 */
export function assertCaller(
  req: CallerIds,
  creditor: Creditor | undefined,
  defaults: IntermediaryDefaults,
  opts: { acceptInactive?: boolean } = {},
): asserts creditor is Creditor {
  if (!creditor || (!creditor.active && !opts.acceptInactive)) {
    throw paaFault('PAA_ID_DOMINIO_ERRATO', req.idPA, `L'ente ${req.idPA} non è servito da questa stazione`);
  }
  const broker = creditor.idBrokerPA ?? defaults.idBrokerPA;
  if (broker === undefined || broker !== req.idBrokerPA) {
    throw paaFault(
      'PAA_ID_INTERMEDIARIO_ERRATO',
      req.idPA,
      `idBrokerPA ${req.idBrokerPA} non è l'intermediario dell'ente`,
    );
  }
  const station = creditor.idStation ?? defaults.idStation;
  if (station === undefined || station !== req.idStation) {
    throw paaFault(
      'PAA_STAZIONE_INT_ERRATA',
      req.idPA,
      `idStation ${req.idStation} non è la stazione dell'ente`,
    );
  }
}

/**
 * Whether the notice can be paid now, with the fault pagoPA expects when not. Not yet active
 * positions and ANONIMO zero-amount fines (waiting for the offender's data) answer
 * PAA_PAGAMENTO_SCONOSCIUTO, as GPD does for positions not yet published. PAYMENT_IN_PROGRESS is
 * never set by the pagoPA flow (activation leaves the position open): when another channel set it,
 * the answer is PAA_PAGAMENTO_IN_CORSO.
 */
export function assertPayable(
  position: PayablePosition | undefined,
  idPA: string,
  today: string,
): asserts position is PayablePosition {
  if (!position) throw paaFault('PAA_PAGAMENTO_SCONOSCIUTO', idPA, 'Numero avviso sconosciuto');
  switch (
    effectiveStatus(
      {
        status: position.status,
        validFrom: position.validFrom ?? undefined,
        validTo: position.validTo ?? undefined,
      },
      today,
    )
  ) {
    case 'PAID':
      throw paaFault('PAA_PAGAMENTO_DUPLICATO', idPA, 'La posizione debitoria risulta già pagata');
    case 'EXPIRED':
      throw paaFault('PAA_PAGAMENTO_SCADUTO', idPA, 'La posizione debitoria è scaduta');
    case 'CANCELLED':
      throw paaFault('PAA_PAGAMENTO_ANNULLATO', idPA, 'La posizione debitoria è stata annullata');
    case 'NOT_YET_ACTIVE':
      throw paaFault('PAA_PAGAMENTO_SCONOSCIUTO', idPA, 'La posizione debitoria non è ancora pagabile');
    case 'PAYMENT_IN_PROGRESS':
      throw paaFault(
        'PAA_PAGAMENTO_IN_CORSO',
        idPA,
        'La posizione debitoria ha un pagamento in corso su un altro canale',
      );
    default:
  }
  if (position.amountCents <= 0) {
    throw paaFault(
      'PAA_PAGAMENTO_SCONOSCIUTO',
      idPA,
      'La posizione debitoria attende ancora i dati del trasgressore',
    );
  }
  if (position.document) assertDocumentAllows(position.document, idPA);
}

/**
 * The document's rule (debt-positions/domain/documents.ts): another plan paid settles the debt, as GPD
 * answers for an option of a paid position (PAA_PAGAMENTO_DUPLICATO, "risulta concluso"); another plan
 * being paid (in progress, or activated within the payment token's lifetime) is PAA_PAGAMENTO_IN_CORSO.
 */
export function assertDocumentAllows(d: Pick<PositionInDocument, 'place' | 'siblings'>, idPA: string): void {
  switch (documentConflict(d.place, d.siblings)) {
    case 'OTHER_PLAN_PAID':
      throw paaFault(
        'PAA_PAGAMENTO_DUPLICATO',
        idPA,
        'Il documento della posizione risulta già pagato in un altro modo (soluzione unica, rate o soglia)',
      );
    case 'OTHER_PLAN_IN_PROGRESS':
      throw paaFault(
        'PAA_PAGAMENTO_IN_CORSO',
        idPA,
        'Il documento della posizione ha un pagamento in corso in un altro modo (soluzione unica, rate o soglia)',
      );
    default:
  }
}

/** True when every transfer can be credited to a postal account (verify's allCCP). */
export function allTransfersPostal(pt: PaymentTypeAccounts): boolean {
  return !pt.marcaDaBollo && pt.ibanPostale !== null;
}

/** The due date an activation answers: the position's, else the end of its validity, else NO_DUE_DATE. */
export function answeredDueDate(p: Pick<PayablePosition, 'dueDate' | 'validTo'>): string {
  return p.dueDate ?? p.validTo ?? NO_DUE_DATE;
}

/**
 * The option a verification answers. dueDate is always given (like the activation's): the node's
 * checks on an OK verify want every tag but officeName (SANP "Fase di verifica").
 */
export function paymentOption(p: PayablePosition, pt: PaymentTypeAccounts): PaymentOption {
  return {
    amountCents: p.amountCents,
    dueDate: p.dueDate ?? p.validTo ?? NO_DUE_DATE,
    description: p.causale,
    allCCP: allTransfersPostal(pt),
  };
}

const XSD_EMAIL = /^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;
const COUNTRY = /^[A-Z]{2}$/;

function text(v: string | null | undefined, max: number): string | undefined {
  if (v === null || v === undefined) return undefined;
  const t = v.trim();
  return t ? t.slice(0, max) : undefined;
}

/** ctSubject of the debtor; an ANONIMO debtor is the natural person "ANONIMO" (the value pagoPA documents). */
export function debtorSubject(p: PayablePosition): Subject {
  const d = p.debtor;
  const anonymous = d.fiscalCode === ANONIMO;
  const person = [d.name, d.surname].filter((s) => s && s.trim()).join(' ');
  const fullName = text(d.type === 'G' ? d.company : person, 70) ?? text(d.company, 70) ?? ANONIMO;
  const email = d.email && XSD_EMAIL.test(d.email) && d.email.length <= 256 ? d.email : undefined;
  return {
    type: anonymous ? 'F' : (d.type ?? 'F'),
    id: anonymous ? ANONIMO : d.fiscalCode.slice(0, 16),
    fullName,
    streetName: text(d.address, 70),
    civicNumber: text(d.civic, 16),
    postalCode: text(d.postalCode, 16),
    city: text(d.locality, 35),
    stateProvinceRegion: text(d.province, 35),
    country: d.nation && COUNTRY.test(d.nation) ? d.nation : undefined,
    email,
  };
}

function reference(p: PayablePosition, name: string): string | undefined {
  return p.paymentReferences.find((r) => r.name === name)?.value;
}

/**
 * The digital stamp (marca da bollo) requested by a transfer. Cassa's model has no field for it: the
 * position's payment references `hashDocumento` (base64 SHA-256 of the document) and
 * `provinciaResidenza` carry it when the gestionale knows them; otherwise the hash identifies the
 * request (SHA-256 of ente, IUV and transfer) and the province is the debtor's, else the ente's.
 */
export function marcaDaBollo(
  p: PayablePosition,
  creditor: Creditor,
  idTransfer: number,
): MarcaDaBolloRequest {
  const hash =
    reference(p, 'hashDocumento') ??
    createHash('sha256').update(`${creditor.fiscalCode}|${p.iuv}|${idTransfer}`).digest('base64');
  if (hash.length < 4 || hash.length > 72 || !/^[A-Za-z0-9+/]+={0,2}$/.test(hash)) {
    throw paaFault('PAA_SEMANTICA', creditor.fiscalCode, 'hashDocumento della marca da bollo non valido');
  }
  const province = [reference(p, 'provinciaResidenza'), p.debtor.province, creditor.province].find(
    (v) => v && /^[A-Z]{2}$/.test(v),
  );
  if (!province)
    throw paaFault(
      'PAA_SEMANTICA',
      creditor.fiscalCode,
      'Provincia di residenza della marca da bollo non disponibile',
    );
  return { hashDocumento: hash, tipoBollo: '01', provinciaResidenza: province };
}

function componentMetadata(c: Component): MapEntry[] {
  const m: MapEntry[] = [];
  if (c.accountingYear !== undefined) m.push({ key: 'annoAccertamento', value: String(c.accountingYear) });
  if (c.accountingNumber !== undefined && c.accountingNumber !== '')
    m.push({ key: 'numeroAccertamento', value: truncateChars(c.accountingNumber, 140) });
  return m;
}

/**
 * The transfers of an activation: one per component of the position, all to the ente.
 * Accounts: transferType POSTAL picks the payment type's postal IBAN when it has one; otherwise
 * the bank IBAN (or the postal one when that is the only account). With V2 and transferType
 * PAGOPA, every transfer also carries an alternative account as metadata IBANAPPOGGIO, and a
 * postal account must appear in IBAN or in IBANAPPOGGIO (SANP best practice): the postal IBAN when
 * the transfer goes to another account, else the payment type's iban_appoggio, else its bank IBAN.
 * A payment type flagged marcaDaBollo pays digital stamps only: every transfer is a
 * richiestaMarcaDaBollo (V2 only).
 */
function alternativeAccount(pt: PaymentTypeAccounts, iban: string): string {
  if (pt.ibanPostale && pt.ibanPostale !== iban) return pt.ibanPostale;
  return pt.ibanAppoggio ?? (pt.iban && pt.iban !== iban ? pt.iban : iban);
}

export function transfers(
  p: PayablePosition,
  pt: PaymentTypeAccounts,
  creditor: Creditor,
  version: PrimitiveVersion,
  transferType: TransferType | undefined,
): Transfer[] {
  const id = creditor.fiscalCode;
  if (p.components.length < 1 || p.components.length > MAX_TRANSFERS) {
    throw paaFault(
      'PAA_SEMANTICA',
      id,
      `La posizione ha ${p.components.length} componenti: pagoPA ne accetta da 1 a ${MAX_TRANSFERS}`,
    );
  }
  const sum = p.components.reduce((s, c) => s + c.amountCents, 0);
  if (sum !== p.amountCents || p.components.some((c) => !(c.amountCents > 0))) {
    throw paaFault(
      'PAA_SEMANTICA',
      id,
      "Gli importi delle componenti non corrispondono all'importo della posizione",
    );
  }
  if (pt.marcaDaBollo && version === 1) {
    throw paaFault('PAA_SEMANTICA', id, 'La marca da bollo digitale richiede paGetPaymentV2');
  }
  let iban: string | undefined;
  if (!pt.marcaDaBollo) {
    iban =
      (transferType === 'POSTAL' ? (pt.ibanPostale ?? pt.iban) : (pt.iban ?? pt.ibanPostale)) ?? undefined;
    if (!iban) throw paaFault('PAA_SEMANTICA', id, 'Il tipo di pagamento non ha un IBAN di accredito');
  }
  const appoggio = version === 2 && transferType === 'PAGOPA' && iban ? alternativeAccount(pt, iban) : null;
  return p.components.map((c, i) => {
    const metadata = componentMetadata(c);
    if (appoggio) metadata.push({ key: 'IBANAPPOGGIO', value: appoggio });
    return {
      idTransfer: i + 1,
      amountCents: c.amountCents,
      fiscalCodePA: creditor.fiscalCode,
      ...(pt.marcaDaBollo ? { marcaDaBollo: marcaDaBollo(p, creditor, i + 1) } : { iban }),
      remittanceInformation: truncateChars(c.causale.trim() || p.causale, 140),
      transferCategory: pt.transferCategory,
      metadata,
    };
  });
}

/** Payment-level metadata: the position's payment references (at most 15 entries, texts of 1..140). */
export function positionMetadata(p: PayablePosition): MapEntry[] {
  return p.paymentReferences
    .filter(
      (r) => r.name !== 'hashDocumento' && r.name !== 'provinciaResidenza' && r.name.trim() && r.value.trim(),
    )
    .slice(0, MAX_METADATA)
    .map((r) => ({ key: truncateChars(r.name, 140), value: truncateChars(r.value, 140) }));
}

export function paymentData(
  p: PayablePosition,
  pt: PaymentTypeAccounts,
  creditor: Creditor,
  version: PrimitiveVersion,
  transferType: TransferType | undefined,
): PaymentData {
  return {
    creditorReferenceId: p.iuv,
    amountCents: p.amountCents,
    dueDate: answeredDueDate(p),
    description: truncateChars(p.causale, 140),
    companyName: creditor.companyName,
    officeName: creditor.officeName,
    debtor: debtorSubject(p),
    transfers: transfers(p, pt, creditor, version, transferType),
    metadata: positionMetadata(p),
  };
}
