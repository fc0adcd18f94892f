/**
 * Liste di carico (PiemontePAY Enti2EPaywsoService): the acknowledgement codes, the per-position
 * outcome codes (CodiciEsito) and the reading of a list's XML into Cassa's drafts and changes.
 * Field names are the XSD's (Enti2EPaywsoServiceTypes.xsd), so that every outcome names the
 * element the gestionale sent.
 */
import type { DraftPatch } from '../../debt-positions/application/debt-positions-service.js';
import {
  ANONIMO,
  type Component,
  type DebtPositionDraft,
  type Debtor,
  type DraftFieldNames,
  type PaymentReference,
} from '../../debt-positions/domain/debt-position.js';
import { positionError } from '../../debt-positions/domain/errors.js';
import { DomainError, type ErrorKind } from '../../../shared/domain-error.js';
import { decimalToCents } from '../../../shared/money.js';
import { truncateChars } from '../../../shared/text.js';

export const ENTI2EPAYWSO_NS = 'http://www.csi.it/epay/epaywso/enti2epaywso/types';
export const EPAYWSO2ENTI_NS = 'http://www.csi.it/epay/epaywso/epaywso2enti/types';
export const EPAYWSO_COMMON_NS = 'http://www.csi.it/epay/epaywso/types';
export const SOAP_ACTION_BASE = 'http://www.csi.it/epay/epaywso/service/';

export type ListOperation = 'InserisciListaDiCarico' | 'AggiornaPosizioniDebitorie';
export type ListKind = 'INSERIMENTO' | 'AGGIORNAMENTO';
export const LIST_OPERATIONS: Record<string, { operation: ListOperation; kind: ListKind }> = {
  InserisciListaDiCaricoRequest: { operation: 'InserisciListaDiCarico', kind: 'INSERIMENTO' },
  AggiornaPosizioniDebitorieRequest: { operation: 'AggiornaPosizioniDebitorie', kind: 'AGGIORNAMENTO' },
};

export type ListStatus = 'DA_ELABORARE' | 'ELABORATA' | 'ERRORE_IN_FASE_DI_ELABORAZIONE';

/**
 * Acknowledgement codes (the synchronous Result of Enti2EPaywsoService), as PiemontePAY's WSO2
 * layer answers them (IssueEnum), plus CodiciEsito 154/155/157 for header checks.
 */
const ackCatalog = {
  OK: { code: '000', kind: 'invalid' },
  GENERIC: { code: '100', kind: 'invalid' },
  XSD: { code: '101', kind: 'invalid' },
  BLANK_ID: { code: '101', kind: 'invalid' },
  ENTE_UNKNOWN: { code: '102', kind: 'not-found' },
  PAYMENT_TYPE_UNKNOWN: { code: '103', kind: 'not-found' },
  NOT_AUTHORISED: { code: '104', kind: 'forbidden' },
  DUPLICATE_MESSAGE: { code: '112', kind: 'conflict' },
  COUNT_MISMATCH: { code: '154', kind: 'invalid' },
  TOTAL_MISMATCH: { code: '155', kind: 'invalid' },
  PAYMENT_TYPE_NOT_ACTIVE: { code: '157', kind: 'forbidden' },
  CALLER_NOT_AUTHENTICATED: { code: '100', kind: 'unauthorized' },
} as const satisfies Record<string, { code: string; kind: ErrorKind }>;

export type ListAckName = keyof typeof ackCatalog;

/** A list refused at once: answered with its code in the acknowledgement, nothing stored. */
export class ListAckError extends DomainError {
  readonly code: string;
  readonly kind: ErrorKind;
  constructor(
    readonly errorName: ListAckName,
    message: string,
  ) {
    super(message);
    this.name = 'ListAckError';
    this.code = ackCatalog[errorName].code;
    this.kind = ackCatalog[errorName].kind;
  }
}

export function ackError(name: ListAckName, message: string): ListAckError {
  return new ListAckError(name, message);
}

export const ACK_OK = { code: '000', message: 'Lista presa in carico' };

/** A list's result: 000 every position OK, 050 some, 051 none (CodiciEsito). */
export function listResult(ok: number, ko: number): { code: string; message: string } {
  if (ko === 0)
    return { code: '000', message: `Elaborazione completata: ${ok} posizioni elaborate correttamente` };
  if (ok === 0)
    return {
      code: '051',
      message: `Elaborazione completata: nessuna delle ${ko} posizioni elaborata correttamente`,
    };
  return {
    code: '050',
    message: `Elaborazione parzialmente completata: ${ok} posizioni elaborate correttamente, ${ko} con errori`,
  };
}

export const OUTCOME_OK = { code: '000', description: 'OK' };

/**
 * A per-position CodiceEsito as EPaywso2EntiServiceTypes.xsd allows it (CodiceEsitoType: [012][0-9]{2}).
 * Cassa's shared catalog has codes outside it (300, inconsistent components, from PiemontePAY's REST API):
 * they become 100 ("a field is not valid"), the description still naming the field.
 */
export function outcomeCode(code: string): string {
  return /^[012][0-9]{2}$/.test(code) ? code : '100';
}

/** A positions's field names as Enti2EPaywsoServiceTypes.xsd spells them. */
export const LIST_FIELD_NAMES: DraftFieldNames = {
  amount: 'ImportoTotale',
  components: 'ComponentiImporto',
  componentAmount: (i) => `ComponentiImporto/ComponenteImporto[${i + 1}]/Importo`,
  componentCausale: (i) => `ComponentiImporto/ComponenteImporto[${i + 1}]/CausaleDescrittiva`,
  causale: 'DescrizioneCausaleVersamento',
  debtorFiscalCode: 'SoggettoPagatore/IdentificativoUnivocoFiscale',
  debtorName: 'SoggettoPagatore/PersonaFisica/Nome',
  debtorSurname: 'SoggettoPagatore/PersonaFisica/Cognome',
  debtorCompany: 'SoggettoPagatore/PersonaGiuridica/RagioneSociale',
  email: 'SoggettoPagatore/EMail',
  validFrom: 'DataInizioValidita',
  validTo: 'DataFineValidita',
  dueDate: 'DataScadenza',
  references: 'RiferimentiPagamento',
  idPosizioneDebitoria: 'IdPosizioneDebitoria',
};

// ------------------------------------------------------------------------------------------------
// Reading the XML (already validated against the XSD; elements by local name, see soap-envelope.ts)

export type XmlNode = string | { [name: string]: XmlNode } | XmlNode[];
type Obj = { [name: string]: XmlNode };

function obj(v: XmlNode | undefined): Obj {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : {};
}
export function asArray(v: XmlNode | undefined): XmlNode[] {
  return v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v];
}
function text(v: XmlNode | undefined): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}
function cents(v: XmlNode | undefined, field: string): number | undefined {
  const t = text(v);
  if (t === undefined) return undefined;
  const c = decimalToCents(t, 'xs:decimal');
  if (c === null)
    throw positionError('INVALID_FIELD', `Il campo ${field} non contiene un importo valido`, field);
  return c;
}
/** xs:date may carry a time zone ("2026-03-10+01:00", "2026-03-10Z"): the calendar date is kept. */
function date(v: XmlNode | undefined): string | undefined {
  return text(v)?.slice(0, 10);
}
function int(v: XmlNode | undefined): number | undefined {
  const t = text(v);
  return t === undefined ? undefined : Number(t);
}

export interface ListHeader {
  idMessaggio: string;
  cfEnteCreditore: string;
  codiceVersamento: string;
  multiBeneficiario: boolean | undefined;
  numeroPosizioniDebitorie: number;
  /** only for InserisciListaDiCarico */
  importoTotaleCents: number | undefined;
}

export function readHeader(body: Obj): ListHeader {
  const t = obj(body.Testata);
  const multi = text(t.MultiBeneficiario);
  return {
    idMessaggio: text(t.IdMessaggio) ?? '',
    cfEnteCreditore: text(t.CFEnteCreditore) ?? '',
    codiceVersamento: text(t.CodiceVersamento) ?? '',
    multiBeneficiario: multi === undefined ? undefined : multi === 'true' || multi === '1',
    numeroPosizioniDebitorie: int(t.NumeroPosizioniDebitorie) ?? 0,
    importoTotaleCents: cents(t.ImportoTotaleListaDiCarico, 'ImportoTotaleListaDiCarico'),
  };
}

export function positionsToInsert(body: Obj): Obj[] {
  return asArray(obj(obj(body.ListaDiCarico).PosizioniDaInserire).PosizioneDaInserire).map(obj);
}

export function positionsToUpdate(body: Obj): Obj[] {
  return asArray(obj(obj(body.ElencoPosizioniDaAggiornare).PosizioniDaAggiornare).PosizioneDaAggiornare).map(
    obj,
  );
}

export function idOf(p: Obj): string {
  return text(p.IdPosizioneDebitoria) ?? '';
}

/** The sum of the positions' ImportoTotale, for the header check (155); null when one is unreadable. */
export function totalOf(positions: Obj[]): number | null {
  let sum = 0;
  for (const p of positions) {
    const c = decimalToCents(text(p.ImportoTotale) ?? '', 'xs:decimal');
    if (c === null) return null;
    sum += c;
  }
  return sum;
}

function debtorOf(s: Obj): Debtor {
  const fiscalCode = (text(s.IdentificativoUnivocoFiscale) ?? '').toUpperCase();
  const email = text(s.EMail);
  if (fiscalCode === ANONIMO) return { type: null, fiscalCode: ANONIMO, email };
  const pf = s.PersonaFisica === undefined ? undefined : obj(s.PersonaFisica);
  const pg = s.PersonaGiuridica === undefined ? undefined : obj(s.PersonaGiuridica);
  const common = {
    fiscalCode,
    email,
    address: text(s.Indirizzo),
    civic: text(s.Civico),
    postalCode: text(s.CAP),
    locality: text(s.Localita),
    province: text(s.Provincia),
    nation: text(s.Nazione),
  };
  if (pg) return { type: 'G', company: text(pg.RagioneSociale), ...common };
  return { type: 'F', name: text(pf?.Nome), surname: text(pf?.Cognome), ...common };
}

function componentsOf(p: Obj): Component[] {
  return asArray(obj(p.ComponentiImporto).ComponenteImporto).map((c, i) => {
    const o = obj(c);
    return {
      amountCents: cents(o.Importo, LIST_FIELD_NAMES.componentAmount(i)) ?? 0,
      causale: text(o.CausaleDescrittiva) ?? '',
      accountingYear: int(o.AnnoAccertamento),
      accountingNumber: text(o.NumeroAccertamento),
    };
  });
}

function referencesOf(p: Obj): PaymentReference[] {
  return asArray(obj(p.RiferimentiPagamento).Riferimento).map((r) => ({
    name: text(obj(r).Nome) ?? '',
    value: text(obj(r).Valore) ?? '',
  }));
}

/** Multi-beneficiary amounts: Cassa's positions have one beneficiary (the ente). */
function refuseSecondary(p: Obj): void {
  if (p.ImportoSecondarioAltroEnte !== undefined || p.ComponentiImportoSecondario !== undefined) {
    throw positionError(
      'INVALID_FIELD',
      'Posizioni multibeneficiario (ImportoSecondarioAltroEnte, ComponentiImportoSecondario) non gestite da Cassa',
      'ImportoSecondarioAltroEnte',
    );
  }
}

/** A PosizioneDaInserire as a draft; throws a DebtPositionError (its outcome) when unusable. */
export function draftOf(p: Obj): DebtPositionDraft {
  refuseSecondary(p);
  const causale = text(p.DescrizioneCausaleVersamento) ?? '';
  const amountCents = cents(p.ImportoTotale, LIST_FIELD_NAMES.amount) ?? 0;
  const components = componentsOf(p);
  const debtor = debtorOf(obj(p.SoggettoPagatore));
  const paymentReferences = referencesOf(p);
  // Fines with advance notice: references only on ANONIMO positions (PiemontePAY 194)
  if (paymentReferences.length > 0 && debtor.fiscalCode !== ANONIMO) {
    throw positionError(
      'REFERENCES_NOT_ALLOWED',
      'Il campo RiferimentiPagamento è ammesso solo per le posizioni con soggetto pagatore ANONIMO (modello Multe)',
      'RiferimentiPagamento',
    );
  }
  return {
    idPosizioneDebitoria: idOf(p),
    amountCents,
    components: components.length > 0 ? components : [{ amountCents, causale: truncateChars(causale, 80) }],
    causale,
    descrizioneRata: text(p.DescrizioneRata),
    debtor,
    dueDate: date(p.DataScadenza),
    validFrom: date(p.DataInizioValidita),
    validTo: date(p.DataFineValidita),
    paymentReferences,
    payerNote: text(p.NotePerIlPagatore),
    referenceYear: int(p.AnnoRiferimento),
  };
}

export type ListChange =
  | { kind: 'MODIFICA'; idPosizioneDebitoria: string; patch: DraftPatch }
  | { kind: 'ANNULLAMENTO'; idPosizioneDebitoria: string; reason?: string | undefined };

/** A PosizioneDaAggiornare as a change; absent fields keep their value. */
export function changeOf(p: Obj): ListChange {
  const id = idOf(p);
  if (text(p.TipoAggiornamento) === 'ANNULLAMENTO')
    return { kind: 'ANNULLAMENTO', idPosizioneDebitoria: id, reason: text(p.Motivazione) };
  refuseSecondary(p);
  const components = componentsOf(p);
  const references = referencesOf(p);
  return {
    kind: 'MODIFICA',
    idPosizioneDebitoria: id,
    patch: {
      amountCents: cents(p.ImportoTotale, LIST_FIELD_NAMES.amount),
      components: components.length > 0 ? components : undefined,
      causale: text(p.DescrizioneCausaleVersamento),
      debtor: p.SoggettoPagatore === undefined ? undefined : debtorOf(obj(p.SoggettoPagatore)),
      dueDate: date(p.DataScadenza),
      validFrom: date(p.DataInizioValidita),
      validTo: date(p.DataFineValidita),
      paymentReferences: references.length > 0 ? references : undefined,
    },
  };
}
