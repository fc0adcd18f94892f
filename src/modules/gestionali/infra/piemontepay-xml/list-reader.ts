/**
 * Reading a lista di carico (InserisciListaDiCaricoRequest, AggiornaPosizioniDebitorieRequest of
 * Enti2EPaywsoServiceTypes.xsd) into Cassa's header, drafts and changes. The body has already been validated
 * against the XSD; elements are read by local name (see soap-envelope.ts). A position that cannot be used throws
 * its outcome (a DebtPositionError) naming the element the gestionale sent (LIST_FIELD_NAMES).
 */
import {
  ANONIMO,
  type Component,
  type DebtPositionDraft,
  type Debtor,
  type PaymentReference,
} from '../../../debt-positions/domain/debt-position.js';
import { positionError } from '../../../debt-positions/domain/errors.js';
import { truncateChars } from '../../../../shared/text.js';
import {
  assertReferencesAllowed,
  LIST_FIELD_NAMES,
  type ListChange,
  type ListHeader,
} from '../../domain/lists.js';
import { decimalToCents } from '../../../../shared/money.js';

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
  assertReferencesAllowed(debtor, paymentReferences);
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
