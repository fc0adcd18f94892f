import {
  ANONIMO,
  type Component,
  type DebtPosition,
  type DebtPositionDraft,
  type Debtor,
  type DraftFieldNames,
} from '../../../modules/debt-positions/domain/debt-position.js';
import { positionError } from '../../../modules/debt-positions/domain/errors.js';
import type { DraftPatch } from '../../../modules/debt-positions/domain/debt-position.js';
import type { ReceiptDetail } from '../../../modules/pagopa/application/receipts-queries.js';
import { romeDate, romeDateTime, romeMidnight } from '../../../shared/calendar.js';
import { centsToDecimal, centsToEuros, decimalToCents, eurosToCents } from '../../../shared/money.js';
import { truncateChars } from '../../../shared/text.js';
import type { DebtPositionData, DebtPositionPaymentData } from './schemas.js';

/** epayapi's field names, so that every error names the field the gestionale sent. */
export const EPAYAPI_CREATE_FIELDS: DraftFieldNames = {
  amount: 'importo',
  components: 'componentiPagamento',
  componentAmount: (i) => `componentiPagamento[${i}].importo`,
  componentCausale: (i) => `componentiPagamento[${i}].causale`,
  causale: 'causale',
  debtorFiscalCode: 'codiceFiscalePartitaIVAPagatore',
  debtorName: 'nome',
  debtorSurname: 'cognome',
  debtorCompany: 'ragioneSociale',
  email: 'email',
  validFrom: 'dataInizioValidita',
  validTo: 'dataFineValidita',
  dueDate: 'dataScadenza',
  references: 'riferimentiPagamento',
  idPosizioneDebitoria: 'identificativoPagamento',
};

export const EPAYAPI_UPDATE_FIELDS: DraftFieldNames = {
  ...EPAYAPI_CREATE_FIELDS,
  components: 'componentiImporto',
  componentAmount: (i) => `componentiImporto[${i}].importo`,
  componentCausale: (i) => `componentiImporto[${i}].causaleDescrittiva`,
};

function cents(value: number | string, field: string): number {
  const c = typeof value === 'number' ? eurosToCents(value) : decimalToCents(value);
  if (c === null || c < 0)
    throw positionError(
      'INVALID_FIELD',
      `Il campo ${field} deve essere un importo non negativo con al massimo due decimali`,
      field,
    );
  return c;
}

/**
 * epayapi dates are date-time; Cassa keeps calendar dates (Europe/Rome). A value with an offset is
 * read as that instant in Rome; a bare date or a local date-time keeps its calendar date.
 */
function calendarDate(value: string | number | undefined, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  // epoch milliseconds: how Jackson writes a java.util.Date by default
  if (typeof value === 'number') return romeDate(new Date(value));
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const m = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (!m)
    throw positionError('INVALID_FIELD', `Il campo ${field} non contiene una data valida (ISO 8601)`, field);
  if (!m[4]) return m[1];
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime()))
    throw positionError('INVALID_FIELD', `Il campo ${field} non contiene una data valida (ISO 8601)`, field);
  return romeDate(instant);
}

function blankToUndefined(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}

function debtorFrom(b: {
  codiceFiscalePartitaIVAPagatore?: string | undefined;
  nome?: string | undefined;
  cognome?: string | undefined;
  ragioneSociale?: string | undefined;
  email?: string | undefined;
}): Debtor {
  const fiscalCode = b.codiceFiscalePartitaIVAPagatore?.trim().toUpperCase();
  if (!fiscalCode)
    throw positionError(
      'INVALID_FIELD',
      'Il campo codiceFiscalePartitaIVAPagatore è obbligatorio',
      'codiceFiscalePartitaIVAPagatore',
    );
  const email = blankToUndefined(b.email);
  if (fiscalCode === ANONIMO) return { type: null, fiscalCode: ANONIMO, email };
  const company = blankToUndefined(b.ragioneSociale);
  return company
    ? { type: 'G', fiscalCode, company, email }
    : { type: 'F', fiscalCode, name: blankToUndefined(b.nome), surname: blankToUndefined(b.cognome), email };
}

export function draftFromCreate(body: DebtPositionData): DebtPositionDraft {
  const causale = blankToUndefined(body.causale);
  if (!causale) throw positionError('INVALID_FIELD', 'Il campo causale è obbligatorio', 'causale');
  const given = body.componentiPagamento ?? [];
  const components: Component[] = given.map((c, i) => ({
    amountCents: cents(c.importo, `componentiPagamento[${i}].importo`),
    causale: blankToUndefined(c.causale) ?? truncateChars(causale, 80),
    accountingYear: c.annoAccertamento,
    accountingNumber: blankToUndefined(c.numeroAccertamento),
    datiSpecificiRiscossione: blankToUndefined(c.datiSpecificiRiscossione),
  }));
  let amountCents: number;
  if (body.importo !== undefined) amountCents = cents(body.importo, 'importo');
  else if (components.length > 0) amountCents = components.reduce((s, c) => s + c.amountCents, 0);
  else throw positionError('INVALID_FIELD', 'Il campo importo è obbligatorio', 'importo');
  const debtor = debtorFrom(body);
  if (debtor.type !== null) {
    Object.assign(debtor, {
      address: blankToUndefined(body.indirizzo),
      civic: blankToUndefined(body.civico),
      postalCode: blankToUndefined(body.cap),
      locality: blankToUndefined(body.localita),
      province: blankToUndefined(body.provincia),
      nation: blankToUndefined(body.nazione)?.toUpperCase(),
    });
  }
  return {
    idPosizioneDebitoria: blankToUndefined(body.identificativoPagamento),
    amountCents,
    components: components.length > 0 ? components : [{ amountCents, causale: truncateChars(causale, 80) }],
    causale,
    descrizioneRata: blankToUndefined(body.descrizioneRata),
    debtor,
    dueDate: calendarDate(body.dataScadenza, 'dataScadenza'),
    validFrom: calendarDate(body.dataInizioValidita, 'dataInizioValidita'),
    validTo: calendarDate(body.dataFineValidita, 'dataFineValidita'),
    paymentReferences: (body.riferimentiPagamento ?? []).map((r) => ({ name: r.nome, value: r.valore })),
    payerNote: blankToUndefined(body.notePerIlPagatore),
    referenceYear: body.annoRiferimento,
  };
}

export function patchFromUpdate(body: DebtPositionPaymentData): DraftPatch {
  const identity =
    body.codiceFiscalePartitaIVAPagatore !== undefined ||
    body.nome !== undefined ||
    body.cognome !== undefined ||
    body.ragioneSociale !== undefined;
  const namesGiven =
    body.nome !== undefined || body.cognome !== undefined || body.ragioneSociale !== undefined;
  const debtor: Partial<Debtor> | undefined = identity
    ? namesGiven
      ? debtorFrom(body)
      : // the fiscal code alone: the kind (F/G) and the names stay as stored
        {
          fiscalCode: body.codiceFiscalePartitaIVAPagatore?.trim().toUpperCase(),
          ...(body.email !== undefined ? { email: blankToUndefined(body.email) } : {}),
        }
    : body.email !== undefined
      ? { email: blankToUndefined(body.email) }
      : undefined;
  return {
    amountCents: body.importo !== undefined ? cents(body.importo, 'importo') : undefined,
    components: body.componentiImporto?.map((c, i) => ({
      amountCents: cents(c.importo, `componentiImporto[${i}].importo`),
      causale: c.causaleDescrittiva,
      accountingYear: c.annoAccertamento,
      accountingNumber: blankToUndefined(c.numeroAccertamento),
    })),
    causale: blankToUndefined(body.causale),
    debtor,
    dueDate: calendarDate(body.dataScadenza, 'dataScadenza'),
    validFrom: calendarDate(body.dataInizioValidita, 'dataInizioValidita'),
    validTo: calendarDate(body.dataFineValidita, 'dataFineValidita'),
    paymentReferences: body.riferimentiPagamento?.map((r) => ({ name: r.nome, value: r.valore })),
    payerNote: body.notePerIlPagatore,
  };
}

export function debtorDisplayName(d: Debtor): string {
  if (d.type === 'G') return d.company ?? '';
  if (d.type === 'F') return [d.name, d.surname].filter(Boolean).join(' ');
  return ANONIMO;
}

/** PaymentDataResult of a position; the payment fields come from its receipt once pagoPA sent it. */
export function paymentDataOf(
  p: DebtPosition,
  ente: { denominazione: string; codiceFiscale: string },
  paymentTypeDescrizione: string,
  receipt?: ReceiptDetail,
) {
  const base = {
    enteBeneficiario: ente.denominazione,
    codiceFiscaleEnteBeneficiario: ente.codiceFiscale,
    tipologiaVersamento: paymentTypeDescrizione,
    importoPagatoTotale: p.status === 'PAID' ? centsToEuros(p.amountCents) : undefined,
    importoPagato: p.status === 'PAID' ? centsToEuros(p.amountCents) : undefined,
    nomeECognomeRagioneSociale: debtorDisplayName(p.debtor),
    codiceFiscalePIva: p.debtor.fiscalCode,
    codiceAvviso: p.noticeNumber,
    identificativoUnicoVersamento: p.iuv,
  };
  if (!receipt || receipt.outcome !== 'OK') return base;
  const paidAt = receipt.paymentDateTime ?? receipt.receivedAt;
  return {
    ...base,
    // what the citizen paid for the notice; the PSP's fee is in infoAggiuntive
    importoPagatoTotale: centsToEuros(receipt.amountCents),
    importoPagato: centsToEuros(receipt.amountCents),
    numeroTransazione: receipt.receiptId,
    prestatoreDiServiziDiPagamento: receipt.pspCompanyName ?? receipt.idPsp ?? undefined,
    dataEOraOperazione: romeDateTime(paidAt),
    dataEsitoPagamento: receipt.applicationDate
      ? romeMidnight(receipt.applicationDate)
      : romeDateTime(paidAt),
    identificativoUnicoRiscossione: receipt.receiptId,
    infoAggiuntive: receiptInfo(receipt),
  };
}

function receiptInfo(r: ReceiptDetail): string {
  return [
    r.idPsp && `idPSP ${r.idPsp}`,
    r.idChannel && `canale ${r.idChannel}`,
    r.paymentMethod && `metodo ${r.paymentMethod}`,
    r.feeCents !== null && `commissione ${centsToDecimal(r.feeCents)}`,
    r.standIn && 'stand-in',
    r.anomaly && `anomalia ${r.anomaly}`,
  ]
    .filter(Boolean)
    .join('; ');
}
