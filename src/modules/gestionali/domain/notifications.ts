/**
 * The notifications Cassa sends to a gestionale's EPaywso2EntiService (EPaywso2EntiServiceTypes.xsd):
 * TrasmettiNotifichePagamento (positive receipts), TrasmettiAvvisiScaduti (positions expired unpaid) and
 * TrasmettiRT (copies of the receipts). What each message carries and how many items fit in one; the XML is
 * written in infra/piemontepay-xml/notification-writer.ts.
 */
import { randomUUID } from 'node:crypto';

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

export interface ExpiredNotice {
  iuv: string;
  dueDate: string | null;
  amountCents: number;
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
