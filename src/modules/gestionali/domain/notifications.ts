/**
 * The notifications Cassa sends to a gestionale's EPaywso2EntiService (EPaywso2EntiServiceTypes.xsd):
 * TrasmettiNotifichePagamento (positive receipts), TrasmettiAvvisiScaduti (positions expired unpaid) and
 * TrasmettiRT (copies of the receipts). Pure builders: rows in, request element out (no envelope).
 */
import { randomUUID } from 'node:crypto';
import { centsToDecimal } from '../../../shared/money.js';
import { el } from '../../../shared/soap/xml-text.js';
import { truncateChars } from '../../../shared/text.js';

export const EPAYWSO2ENTI_TYPES_NS = 'http://www.csi.it/epay/epaywso/epaywso2enti/types';
export const EPAYWSO_COMMON_NS = 'http://www.csi.it/epay/epaywso/types';

/** At most this many notifications (or expired notices) per message (maxOccurs of the XSD). */
export const MAX_NOTIFICATIONS_PER_MESSAGE = 1000;
/** RT copies per TrasmettiRT message (the XSD allows 1000; receipts are several KB each, so fewer). */
export const MAX_RT_PER_MESSAGE = 100;
/**
 * The largest amount cmn:ImportoType carries (maxInclusive 999999999.99, totalDigits 12), in cents: every amount
 * of a message (an item's and the header's total) must fit. One payment always fits (pagoPA's stAmount has the same
 * maximum); a sum may not, so messages are split by their total (splitByTotal) and ImportoTransato (amount + fee,
 * optional in the XSD) is left out when it does not fit.
 */
export const MAX_IMPORTO_CENTS = 99_999_999_999;

/**
 * Consecutive runs of `items`, in order, of at most `maxCount` items each and whose amounts add up to at most
 * `maxTotalCents`, so that the header's total of each message fits cmn:ImportoType. An item whose own amount
 * exceeds the maximum travels alone (its message will not validate and is isolated by the caller).
 */
export function splitByTotal<T>(
  items: readonly T[],
  amountOf: (item: T) => number,
  maxCount: number,
  maxTotalCents = MAX_IMPORTO_CENTS,
): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let total = 0;
  for (const item of items) {
    const amount = amountOf(item);
    if (run.length > 0 && (run.length >= maxCount || total + amount > maxTotalCents)) {
      runs.push(run);
      run = [];
      total = 0;
    }
    run.push(item);
    total += amount;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** IdMessaggio (String35): a prefix naming the operation and 32 hex digits. */
export function newIdMessaggio(prefix: 'NP' | 'AS' | 'RT' | 'LC' | 'AP'): string {
  return `${prefix}${randomUUID().replace(/-/g, '')}`;
}

export interface Party {
  /** F person, G company; null when unknown (ANONIMO) */
  type: 'F' | 'G' | null;
  fiscalCode: string;
  name: string | null;
  surname: string | null;
  company: string | null;
  address?: string | null;
  civic?: string | null;
  postalCode?: string | null;
  locality?: string | null;
  province?: string | null;
  nation?: string | null;
  email?: string | null;
}

export interface PaymentNotification {
  idPosizioneDebitoria: string | null;
  referenceYear: number | null;
  iuv: string;
  noticeNumber: string;
  amountCents: number;
  feeCents: number | null;
  dueDate: string | null;
  causale: string | null;
  /** YYYY-MM-DD (Europe/Rome) */
  paymentDate: string;
  /** YYYY-MM-DDThh:mm:ss (Europe/Rome) */
  paymentDateTime: string;
  debtor: Party;
  payer: Party | null;
  idPSP: string | null;
  pspCompanyName: string | null;
  paymentMethod: string | null;
  receiptId: string;
  datiSpecificiRiscossione: string | null;
}

export interface MessageHeader {
  idMessaggio: string;
  enteFiscalCode: string;
  codiceVersamento: string;
}

export function trasmettiNotifichePagamento(
  h: MessageHeader & { pagamentiSpontanei: boolean },
  items: readonly PaymentNotification[],
): string {
  checkCount(items.length, MAX_NOTIFICATIONS_PER_MESSAGE);
  const total = items.reduce((s, n) => s + n.amountCents, 0);
  const out: string[] = [
    `<TrasmettiNotifichePagamentoRequest xmlns="${EPAYWSO2ENTI_TYPES_NS}" xmlns:cmn="${EPAYWSO_COMMON_NS}"><Testata>`,
    el('IdMessaggio', h.idMessaggio),
    el('CFEnteCreditore', h.enteFiscalCode),
    el('CodiceVersamento', h.codiceVersamento),
    el('PagamentiSpontanei', h.pagamentiSpontanei ? 'true' : 'false'),
    el('NumeroPagamenti', String(items.length)),
    el('ImportoTotalePagamenti', centsToDecimal(total)),
    '</Testata><CorpoNotifichePagamento><ElencoNotifichePagamento>',
  ];
  for (const n of items) {
    out.push(
      '<NotificaPagamento>',
      opt('IdPosizioneDebitoria', cut(n.idPosizioneDebitoria, 50)),
      opt(
        'AnnoDiRiferimento',
        n.referenceYear !== null && n.referenceYear >= 1900 && n.referenceYear <= 2900
          ? String(n.referenceYear)
          : null,
      ),
      el('IUV', n.iuv.slice(0, 35)),
      el('ImportoPagato', centsToDecimal(n.amountCents)),
      opt('DataScadenza', n.dueDate),
      opt('DescrizioneCausaleVersamento', cut(n.causale, 140)),
      el('DataEsitoPagamento', n.paymentDate),
      soggetto('SoggettoDebitore', n.debtor),
      n.payer ? soggetto('SoggettoVersante', n.payer) : '',
      '<DatiTransazionePSP>',
      el('IdPSP', cut(n.idPSP, 35) ?? 'N/A'),
      opt('RagioneSocialePSP', cut(n.pspCompanyName, 250)),
      el('DataOraAvvioTransazione', n.paymentDateTime),
      el('IUR', n.receiptId.slice(0, 35)),
      el('DataOraAutorizzazione', n.paymentDateTime),
      opt('TipoSicurezza', cut(n.paymentMethod, 50)),
      // amount + fee may exceed cmn:ImportoType's maximum; the element is optional and then left out
      n.amountCents + (n.feeCents ?? 0) <= MAX_IMPORTO_CENTS
        ? el('ImportoTransato', centsToDecimal(n.amountCents + (n.feeCents ?? 0)))
        : '',
      n.feeCents !== null ? el('ImportoCommissioni', centsToDecimal(n.feeCents)) : '',
      '</DatiTransazionePSP>',
      opt('DatiSpecificiRiscossione', cut(n.datiSpecificiRiscossione, 140)),
      el('CodiceAvviso', n.noticeNumber),
      '</NotificaPagamento>',
    );
  }
  out.push('</ElencoNotifichePagamento></CorpoNotifichePagamento></TrasmettiNotifichePagamentoRequest>');
  return out.join('');
}

export interface ExpiredNotice {
  iuv: string;
  dueDate: string | null;
  amountCents: number;
}

export function trasmettiAvvisiScaduti(h: MessageHeader, items: readonly ExpiredNotice[]): string {
  checkCount(items.length, MAX_NOTIFICATIONS_PER_MESSAGE);
  const total = items.reduce((s, n) => s + n.amountCents, 0);
  const out: string[] = [
    `<TrasmettiAvvisiScadutiRequest xmlns="${EPAYWSO2ENTI_TYPES_NS}" xmlns:cmn="${EPAYWSO_COMMON_NS}"><Testata>`,
    el('IdMessaggio', h.idMessaggio),
    el('CFEnteCreditore', h.enteFiscalCode),
    el('CodiceVersamento', h.codiceVersamento),
    el('NumeroAvvisiScaduti', String(items.length)),
    el('ImportoTotaleAvvisiScaduti', centsToDecimal(total)),
    '</Testata><CorpoAvvisiScaduti><ElencoAvvisiScaduti>',
  ];
  for (const a of items) {
    out.push(
      '<AvvisoScaduto>',
      el('IUV', a.iuv.slice(0, 35)),
      opt('DataScadenza', a.dueDate),
      el('Importo', centsToDecimal(a.amountCents)),
      '</AvvisoScaduto>',
    );
  }
  out.push('</ElencoAvvisiScaduti></CorpoAvvisiScaduti></TrasmettiAvvisiScadutiRequest>');
  return out.join('');
}

export interface ReceiptCopy {
  /** RT/Id: the receipt's receiptId (IUR) */
  id: string;
  /**
   * the receipt as pagoPA sent it (the whole paSendRT/paSendRTV2 request): its bytes, which agree with its XML
   * declaration (ISO-8859-1 stays ISO-8859-1); a string is sent in UTF-8
   */
  xml: string | Uint8Array;
}

export function trasmettiRT(h: MessageHeader, items: readonly ReceiptCopy[]): string {
  checkCount(items.length, MAX_RT_PER_MESSAGE);
  const out: string[] = [
    `<TrasmettiRTRequest xmlns="${EPAYWSO2ENTI_TYPES_NS}"><Testata>`,
    el('IdMessaggio', h.idMessaggio),
    el('CFEnteCreditore', h.enteFiscalCode),
    el('CodiceVersamento', h.codiceVersamento),
    el('NumeroRT', String(items.length)),
    '</Testata><CorpoRT><ElencoRT>',
  ];
  for (const r of items)
    out.push(
      '<RT>',
      el('Id', truncateChars(r.id, 50)),
      el(
        'XML',
        (typeof r.xml === 'string'
          ? Buffer.from(r.xml, 'utf8')
          : Buffer.from(r.xml.buffer, r.xml.byteOffset, r.xml.byteLength)
        ).toString('base64'),
      ),
      '</RT>',
    );
  out.push('</ElencoRT></CorpoRT></TrasmettiRTRequest>');
  return out.join('');
}

// --- XML pieces --------------------------------------------------------------------------------------------

function checkCount(n: number, max: number): void {
  if (n < 1 || n > max) throw new RangeError(`a message carries 1..${max} items, not ${n}`);
}

function opt(name: string, value: string | null | undefined): string {
  return value === null || value === undefined || value.trim() === '' ? '' : el(name, value);
}

function cut(v: string | null | undefined, max: number): string | null {
  if (v === null || v === undefined) return null;
  const t = v.trim();
  return t === '' ? null : truncateChars(t, max);
}

const EMAIL = /^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;

/** cmn:SoggettoType (its children are in the common namespace). */
function soggetto(name: string, p: Party): string {
  const company = cut(p.company, 70);
  const surname = cut(p.surname, 70);
  const given = cut(p.name, 70);
  const juridical = p.type === 'G' || (p.type === null && company !== null && surname === null);
  const who = juridical
    ? `<cmn:PersonaGiuridica>${el('cmn:RagioneSociale', company ?? surname ?? 'ANONIMO')}</cmn:PersonaGiuridica>`
    : `<cmn:PersonaFisica>${el('cmn:Cognome', surname ?? company ?? 'ANONIMO')}${el('cmn:Nome', given ?? '-')}</cmn:PersonaFisica>`;
  const nation = p.nation && /^[A-Z]{2}$/.test(p.nation) ? p.nation : null;
  const email = p.email && p.email.length <= 256 && EMAIL.test(p.email) ? p.email : null;
  return [
    `<${name}>`,
    who,
    el('cmn:IdentificativoUnivocoFiscale', p.fiscalCode.slice(0, 35) || 'ANONIMO'),
    opt('cmn:Indirizzo', cut(p.address, 70)),
    opt('cmn:Civico', cut(p.civic, 16)),
    opt('cmn:CAP', cut(p.postalCode, 16)),
    opt('cmn:Localita', cut(p.locality, 35)),
    opt('cmn:Provincia', cut(p.province, 35)),
    opt('cmn:Nazione', nation),
    opt('cmn:EMail', email),
    `</${name}>`,
  ].join('');
}

/** A payer as pagoPA's receipt names it (one fullName): first word as Nome, the rest as Cognome. */
export function partyFromReceipt(
  p: {
    type?: string;
    id?: string;
    fullName?: string;
    streetName?: string;
    civicNumber?: string;
    postalCode?: string;
    city?: string;
    stateProvinceRegion?: string;
    country?: string;
    email?: string;
  } | null,
): Party | null {
  if (!p || !p.id) return null;
  const full = (p.fullName ?? '').trim();
  const type = p.type === 'G' ? 'G' : 'F';
  const space = full.indexOf(' ');
  return {
    type,
    fiscalCode: p.id,
    company: type === 'G' ? full || null : null,
    name: type === 'F' ? (space > 0 ? full.slice(0, space) : full || null) : null,
    surname: type === 'F' ? (space > 0 ? full.slice(space + 1) : full || null) : null,
    address: p.streetName ?? null,
    civic: p.civicNumber ?? null,
    postalCode: p.postalCode ?? null,
    locality: p.city ?? null,
    province: p.stateProvinceRegion ?? null,
    nation: p.country ?? null,
    email: p.email ?? null,
  };
}
