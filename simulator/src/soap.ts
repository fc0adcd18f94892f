import { create } from 'xmlbuilder2';
import { XMLParser } from 'fast-xml-parser';
import { PA_FOR_NODE_NS, SOAP_ENV_NS } from './xsd.js';

/**
 * The paForNode messages the node sends (SOAP 1.1 document/literal, only the body's wrapper element
 * namespace-qualified: the XSD has no elementFormDefault) and the reading of the EC's answers.
 */

export type PrimitiveVersion = 1 | 2;

export const OPERATIONS = {
  verify: {
    operation: 'paVerifyPaymentNotice',
    request: 'paVerifyPaymentNoticeReq',
    response: 'paVerifyPaymentNoticeRes',
  },
  getPayment1: { operation: 'paGetPayment', request: 'paGetPaymentReq', response: 'paGetPaymentRes' },
  getPayment2: {
    operation: 'paGetPaymentV2',
    request: 'paGetPaymentV2Request',
    response: 'paGetPaymentV2Response',
  },
  sendRT1: { operation: 'paSendRT', request: 'paSendRTReq', response: 'paSendRTRes' },
  sendRT2: { operation: 'paSendRTV2', request: 'paSendRTV2Request', response: 'paSendRTV2Response' },
} as const;
export type OperationInfo = (typeof OPERATIONS)[keyof typeof OPERATIONS];

export const getPaymentOperation = (v: PrimitiveVersion): OperationInfo =>
  v === 1 ? OPERATIONS.getPayment1 : OPERATIONS.getPayment2;
export const sendRTOperation = (v: PrimitiveVersion): OperationInfo =>
  v === 1 ? OPERATIONS.sendRT1 : OPERATIONS.sendRT2;

export interface StationIds {
  idPA: string;
  idBrokerPA: string;
  idStation: string;
}

export interface QrCode {
  fiscalCode: string;
  noticeNumber: string;
}

type XmlValue = string | number | boolean | XmlObject | XmlObject[] | undefined;
interface XmlObject {
  [name: string]: XmlValue;
}

/** Drops undefined members (xmlbuilder2 would write them as empty elements). */
function compact(v: XmlValue): XmlValue {
  if (Array.isArray(v)) return v.map((x) => compact(x) as XmlObject);
  if (v && typeof v === 'object') {
    const out: XmlObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = compact(x);
    return out;
  }
  return v;
}

export function envelope(element: string, content: XmlObject): string {
  return create({ version: '1.0', encoding: 'UTF-8' })
    .ele(SOAP_ENV_NS, 'soapenv:Envelope')
    .att('http://www.w3.org/2000/xmlns/', 'xmlns:pafn', PA_FOR_NODE_NS)
    .ele(SOAP_ENV_NS, 'soapenv:Header')
    .up()
    .ele(SOAP_ENV_NS, 'soapenv:Body')
    .ele(PA_FOR_NODE_NS, `pafn:${element}`)
    .ele(compact(content) as XmlObject)
    .doc()
    .end({ prettyPrint: false });
}

export function verifyRequest(ids: StationIds, qr: QrCode): string {
  return envelope(OPERATIONS.verify.request, {
    ...ids,
    qrCode: { fiscalCode: qr.fiscalCode, noticeNumber: qr.noticeNumber },
  });
}

export interface GetPaymentInput {
  amountCents?: number;
  paymentNote?: string;
  transferType?: 'POSTAL' | 'PAGOPA';
  dueDate?: string;
}

export function getPaymentRequest(
  version: PrimitiveVersion,
  ids: StationIds,
  qr: QrCode,
  input: GetPaymentInput,
): string {
  return envelope(getPaymentOperation(version).request, {
    ...ids,
    qrCode: { fiscalCode: qr.fiscalCode, noticeNumber: qr.noticeNumber },
    amount: input.amountCents === undefined ? undefined : centsToDecimal(input.amountCents),
    paymentNote: input.paymentNote,
    transferType: input.transferType,
    dueDate: input.dueDate,
  });
}

// ------------------------------------------------------------------ receipts

export interface Subject {
  uniqueIdentifier: { entityUniqueIdentifierType: 'F' | 'G'; entityUniqueIdentifierValue: string };
  fullName: string;
  streetName?: string;
  civicNumber?: string;
  postalCode?: string;
  city?: string;
  stateProvinceRegion?: string;
  country?: string;
  'e-mail'?: string;
}

export interface MapEntry {
  key: string;
  value: string;
}

/** A transfer as the EC gave it at activation (ctTransferPA / ctTransferPAV2). */
export interface Transfer {
  idTransfer: string;
  transferAmount: string;
  fiscalCodePA: string;
  companyName?: string;
  IBAN?: string;
  richiestaMarcaDaBollo?: { hashDocumento: string; tipoBollo: string; provinciaResidenza: string };
  remittanceInformation: string;
  transferCategory: string;
  metadata?: { mapEntry: MapEntry[] };
}

/** The payment data of a paGetPayment(V2) answer (ctPaymentPA / ctPaymentPAV2). */
export interface PaymentData {
  creditorReferenceId: string;
  paymentAmount: string;
  dueDate: string;
  description: string;
  companyName?: string;
  officeName?: string;
  debtor: Subject;
  transferList: { transfer: Transfer[] };
  metadata?: { mapEntry: MapEntry[] };
}

export interface Receipt {
  receiptId: string;
  noticeNumber: string;
  fiscalCode: string;
  outcome: 'OK' | 'KO';
  creditorReferenceId: string;
  paymentAmount: string;
  description: string;
  companyName: string;
  officeName?: string;
  debtor: Subject;
  transfers: Transfer[];
  idPSP: string;
  pspFiscalCode?: string;
  pspPartitaIVA?: string;
  PSPCompanyName: string;
  idChannel: string;
  channelDescription: string;
  payer?: Subject;
  paymentMethod?: string;
  paymentNote?: string;
  fee?: string;
  primaryCiIncurredFee?: string;
  idBundle?: string;
  idCiBundle?: string;
  paymentDateTime?: string;
  applicationDate?: string;
  transferDate?: string;
  metadata?: { mapEntry: MapEntry[] };
  standIn?: boolean;
}

export class ReceiptShapeError extends Error {}

function subjectXml(s: Subject | undefined): XmlObject | undefined {
  if (!s) return undefined;
  return {
    uniqueIdentifier: { ...s.uniqueIdentifier },
    fullName: s.fullName,
    streetName: s.streetName,
    civicNumber: s.civicNumber,
    postalCode: s.postalCode,
    city: s.city,
    stateProvinceRegion: s.stateProvinceRegion,
    country: s.country,
    'e-mail': s['e-mail'],
  };
}

/** A marca da bollo's stand-in document: what the PSP bought, base64 in MBDAttachment. */
function mbdAttachment(t: Transfer): string {
  const b = t.richiestaMarcaDaBollo!;
  const xml = `<marcaDaBollo><hashDocumento>${b.hashDocumento}</hashDocumento><tipoBollo>${b.tipoBollo}</tipoBollo><provinciaResidenza>${b.provinciaResidenza}</provinciaResidenza><importo>${t.transferAmount}</importo><simulata>true</simulata></marcaDaBollo>`;
  return Buffer.from(xml, 'utf8').toString('base64');
}

function transferXml(version: PrimitiveVersion, t: Transfer): XmlObject {
  if (version === 1 && !t.IBAN)
    throw new ReceiptShapeError(
      `transfer ${t.idTransfer} is a marca da bollo: a paSendRT (V1) receipt cannot carry it`,
    );
  return {
    idTransfer: t.idTransfer,
    transferAmount: t.transferAmount,
    fiscalCodePA: t.fiscalCodePA,
    companyName: version === 2 ? t.companyName : undefined,
    IBAN: t.IBAN,
    MBDAttachment: version === 2 && !t.IBAN ? mbdAttachment(t) : undefined,
    remittanceInformation: t.remittanceInformation,
    transferCategory: t.transferCategory,
    metadata: t.metadata as XmlObject | undefined,
  };
}

export function sendRTRequest(version: PrimitiveVersion, ids: StationIds, r: Receipt): string {
  const v2 = version === 2;
  return envelope(sendRTOperation(version).request, {
    ...ids,
    receipt: {
      receiptId: r.receiptId,
      noticeNumber: r.noticeNumber,
      fiscalCode: r.fiscalCode,
      outcome: r.outcome,
      creditorReferenceId: r.creditorReferenceId,
      paymentAmount: r.paymentAmount,
      description: r.description,
      companyName: r.companyName,
      officeName: r.officeName,
      debtor: subjectXml(r.debtor),
      transferList: { transfer: r.transfers.map((t) => transferXml(version, t)) },
      idPSP: r.idPSP,
      pspFiscalCode: r.pspFiscalCode,
      pspPartitaIVA: r.pspPartitaIVA,
      PSPCompanyName: r.PSPCompanyName,
      idChannel: r.idChannel,
      channelDescription: r.channelDescription,
      payer: subjectXml(r.payer),
      paymentMethod: r.paymentMethod,
      paymentNote: v2 ? r.paymentNote : undefined,
      fee: r.fee,
      primaryCiIncurredFee: v2 ? r.primaryCiIncurredFee : undefined,
      idBundle: v2 ? r.idBundle : undefined,
      idCiBundle: v2 ? r.idCiBundle : undefined,
      paymentDateTime: r.paymentDateTime,
      applicationDate: r.applicationDate,
      transferDate: r.transferDate,
      metadata: r.metadata as XmlObject | undefined,
      standIn: r.standIn === undefined ? undefined : String(r.standIn),
    },
  });
}

// ------------------------------------------------------------------- answers

export interface FaultBean {
  faultCode: string;
  faultString: string;
  id: string;
  description?: string;
}

export interface ParsedAnswer {
  outcome: 'OK' | 'KO' | undefined;
  fault: FaultBean | undefined;
  /** The response element's content, children by local name, texts as strings. */
  body: Record<string, unknown> | undefined;
  /** faultcode/faultstring when the EC answered with a SOAP Fault. */
  soapFault: { faultcode: string; faultstring: string } | undefined;
}

const ARRAYS = new Set(['transfer', 'mapEntry']);
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => ARRAYS.has(name),
});

/** The text of a leaf element as parsed (parseTagValue off); '' when it is absent or not text. */
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export function parseAnswer(xml: string, responseElement: string): ParsedAnswer {
  const none: ParsedAnswer = { outcome: undefined, fault: undefined, body: undefined, soapFault: undefined };
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch {
    return none;
  }
  const body = (doc.Envelope as Record<string, unknown> | undefined)?.Body as
    Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') return none;
  const fault = body.Fault as Record<string, unknown> | undefined;
  if (fault && typeof fault === 'object')
    return { ...none, soapFault: { faultcode: text(fault.faultcode), faultstring: text(fault.faultstring) } };
  const res = body[responseElement] as Record<string, unknown> | undefined;
  if (!res || typeof res !== 'object') return none;
  const outcome = res.outcome === 'OK' || res.outcome === 'KO' ? res.outcome : undefined;
  const f = res.fault as Record<string, unknown> | undefined;
  return {
    outcome,
    fault:
      f && typeof f === 'object'
        ? {
            faultCode: text(f.faultCode),
            faultString: text(f.faultString),
            id: text(f.id),
            description: f.description === undefined ? undefined : text(f.description),
          }
        : undefined,
    body: res,
    soapFault: undefined,
  };
}

// --------------------------------------------------------------------- money

/** Integer cents → SOAP decimal with exactly two places ("12.50"). */
export function centsToDecimal(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`invalid cents ${cents}`);
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** SOAP decimal ("12.5", "12.50") → integer cents; undefined when not a decimal with ≤ 2 places. */
export function decimalToCents(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}
