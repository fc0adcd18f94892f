/**
 * The paForNode operations as XML: reading requests into the pagoPA module's inputs (syntax
 * problems are PAA_SINTASSI_EXTRAXSD) and writing responses (ctResponse + data) as strings.
 * Element names are spelled exactly as in paForNode.xsd.
 */
import type {
  ActivationRequest,
  NoticeRequest,
  VerifyResult,
} from '../../modules/pagopa/application/pa-for-node-service.js';
import { paaFault, type PaaFault } from '../../modules/pagopa/domain/faults.js';
import type {
  CallerIds,
  MapEntry,
  PaymentData,
  PrimitiveVersion,
  Subject,
  TransferType,
} from '../../modules/pagopa/domain/notice.js';
import type {
  ReceiptInput,
  ReceiptParty,
  ReceiptPrimitive,
  ReceiptTransfer,
} from '../../modules/pagopa/domain/receipt.js';
import { centsToDecimal, decimalToCents } from '../../shared/money.js';
import type { XmlObject, XmlValue } from '../../shared/soap/soap-envelope.js';
import { el, optEl, xmlEscape } from '../../shared/soap/xml-text.js';

export const OPERATIONS = {
  paVerifyPaymentNotice: { request: 'paVerifyPaymentNoticeReq', response: 'paVerifyPaymentNoticeRes' },
  paGetPayment: { request: 'paGetPaymentReq', response: 'paGetPaymentRes' },
  paGetPaymentV2: { request: 'paGetPaymentV2Request', response: 'paGetPaymentV2Response' },
  paSendRT: { request: 'paSendRTReq', response: 'paSendRTRes' },
  paSendRTV2: { request: 'paSendRTV2Request', response: 'paSendRTV2Response' },
  paDemandPaymentNotice: {
    request: 'paDemandPaymentNoticeRequest',
    response: 'paDemandPaymentNoticeResponse',
  },
} as const;

export type Operation = keyof typeof OPERATIONS;

const OPERATION_OF_ELEMENT = new Map<string, Operation>(
  Object.entries(OPERATIONS).map(([op, e]) => [e.request, op as Operation]),
);

export function operationOfElement(element: string): Operation | undefined {
  return OPERATION_OF_ELEMENT.get(element);
}

export function isOperation(name: string): name is Operation {
  return Object.hasOwn(OPERATIONS, name);
}

// ------------------------------------------------------------------ reading

function child(o: XmlValue | undefined, name: string): XmlValue | undefined {
  return o !== undefined && typeof o === 'object' && !Array.isArray(o) ? o[name] : undefined;
}

function str(o: XmlValue | undefined, name: string): string | undefined {
  const v = child(o, name);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function list(v: XmlValue | undefined): XmlValue[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

const TEXT35 = /^.{1,35}$/su;
const FISCAL_CODE_PA = /^[0-9]{11}$/;
const NOTICE_NUMBER = /^[0-9]{18}$/;
const AMOUNT = /^\d+\.\d{2}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The idPA a fault names: the request's when it has a plausible one. */
export function faultIdOf(body: XmlObject, fallback: string): string {
  const idPA = str(body, 'idPA');
  return idPA && TEXT35.test(idPA) ? idPA : fallback;
}

class Reader {
  constructor(
    private readonly id: string,
    private readonly what: string,
  ) {}

  fail(field: string, problem: string): never {
    throw paaFault('PAA_SINTASSI_EXTRAXSD', this.id, `${this.what}: ${field} ${problem}`);
  }

  required(o: XmlValue | undefined, name: string, pattern: RegExp, path = name): string {
    const v = str(o, name);
    if (v === undefined) this.fail(path, 'mancante');
    if (!pattern.test(v)) this.fail(path, 'non valido');
    return v;
  }

  optional(o: XmlValue | undefined, name: string, pattern: RegExp): string | undefined {
    const v = str(o, name);
    if (v !== undefined && !pattern.test(v)) this.fail(name, 'non valido');
    return v;
  }
}

function callerIds(r: Reader, body: XmlObject): CallerIds {
  return {
    idPA: r.required(body, 'idPA', TEXT35),
    idBrokerPA: r.required(body, 'idBrokerPA', TEXT35),
    idStation: r.required(body, 'idStation', TEXT35),
  };
}

export function readNoticeRequest(body: XmlObject, faultId: string, operation: Operation): NoticeRequest {
  const r = new Reader(faultId, operation);
  const ids = callerIds(r, body);
  const qr = child(body, 'qrCode');
  if (qr === undefined) r.fail('qrCode', 'mancante');
  return {
    ...ids,
    fiscalCode: r.required(qr, 'fiscalCode', FISCAL_CODE_PA, 'qrCode.fiscalCode'),
    noticeNumber: r.required(qr, 'noticeNumber', NOTICE_NUMBER, 'qrCode.noticeNumber'),
  };
}

export function readActivationRequest(
  body: XmlObject,
  faultId: string,
  operation: Operation,
): ActivationRequest {
  const r = new Reader(faultId, operation);
  const notice = readNoticeRequest(body, faultId, operation);
  const amount = r.optional(body, 'amount', AMOUNT);
  const dueDate = r.optional(body, 'dueDate', DATE);
  return {
    ...notice,
    amountCents:
      amount === undefined ? undefined : (decimalToCents(amount) ?? r.fail('amount', 'non valido')),
    paymentNote: r.optional(body, 'paymentNote', /^.{1,210}$/su),
    transferType: r.optional(body, 'transferType', /^(POSTAL|PAGOPA)$/) as TransferType | undefined,
    dueDate,
  };
}

export function readDemandRequest(body: XmlObject, faultId: string): CallerIds & { idServizio: string } {
  const r = new Reader(faultId, 'paDemandPaymentNotice');
  const ids = callerIds(r, body);
  const idServizio = r.required(body, 'idServizio', /^.{5}$/su);
  r.required(body, 'idSoggettoServizio', /^.{5}$/su);
  r.required(body, 'datiSpecificiServizioRequest', /^[A-Za-z0-9+/=\s]+$/);
  return { ...ids, idServizio };
}

function metadataOf(o: XmlValue | undefined): MapEntry[] | undefined {
  const entries = list(child(o, 'mapEntry'))
    .map((e) => ({ key: str(e, 'key'), value: str(e, 'value') }))
    .filter((e): e is MapEntry => e.key !== undefined && e.value !== undefined);
  return entries.length > 0 ? entries : undefined;
}

function party(o: XmlValue | undefined): ReceiptParty | undefined {
  if (o === undefined || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const uid = child(o, 'uniqueIdentifier');
  return {
    type: str(uid, 'entityUniqueIdentifierType'),
    id: str(uid, 'entityUniqueIdentifierValue'),
    fullName: str(o, 'fullName'),
    streetName: str(o, 'streetName'),
    civicNumber: str(o, 'civicNumber'),
    postalCode: str(o, 'postalCode'),
    city: str(o, 'city'),
    stateProvinceRegion: str(o, 'stateProvinceRegion'),
    country: str(o, 'country'),
    email: str(o, 'e-mail'),
  };
}

function cents(v: string | undefined): number | undefined {
  return v === undefined ? undefined : (decimalToCents(v) ?? undefined);
}

/**
 * A receipt, read leniently (GovPay issue #860): unknown elements are ignored and optional data
 * that does not fit is kept only in the raw XML. What identifies the receipt and the payment is
 * required; without it the receipt cannot be kept (PAA_SINTASSI_EXTRAXSD).
 */
export function readReceiptRequest(
  body: XmlObject,
  faultId: string,
  primitive: ReceiptPrimitive,
  rawXml: string,
): ReceiptInput {
  const r = new Reader(faultId, primitive);
  const ids = callerIds(r, body);
  const rc = child(body, 'receipt');
  if (rc === undefined || typeof rc !== 'object' || Array.isArray(rc)) r.fail('receipt', 'mancante');
  const amount = r.required(rc, 'paymentAmount', /^\d{1,12}(\.\d{1,2})?$/, 'receipt.paymentAmount');
  const transfers: ReceiptTransfer[] = list(child(child(rc, 'transferList'), 'transfer')).map((t) => ({
    idTransfer: str(t, 'idTransfer'),
    amountCents: cents(str(t, 'transferAmount')) ?? null,
    fiscalCodePA: str(t, 'fiscalCodePA'),
    companyName: str(t, 'companyName'),
    iban: str(t, 'IBAN'),
    mbdAttachment: str(t, 'MBDAttachment'),
    remittanceInformation: str(t, 'remittanceInformation'),
    transferCategory: str(t, 'transferCategory'),
    metadata: metadataOf(child(t, 'metadata')),
  }));
  const standIn = str(rc, 'standIn') ?? str(rc, 'standin');
  return {
    primitive,
    ...ids,
    receiptId: r.required(rc, 'receiptId', /^.{1,70}$/su, 'receipt.receiptId'),
    noticeNumber: r.required(rc, 'noticeNumber', NOTICE_NUMBER, 'receipt.noticeNumber'),
    fiscalCode: r.required(rc, 'fiscalCode', FISCAL_CODE_PA, 'receipt.fiscalCode'),
    outcome: r.required(rc, 'outcome', /^(OK|KO)$/, 'receipt.outcome') as 'OK' | 'KO',
    creditorReferenceId: r.required(rc, 'creditorReferenceId', TEXT35, 'receipt.creditorReferenceId'),
    amountCents: decimalToCents(amount)!,
    description: str(rc, 'description'),
    companyName: str(rc, 'companyName'),
    officeName: str(rc, 'officeName'),
    debtor: party(child(rc, 'debtor')),
    payer: party(child(rc, 'payer')),
    transfers,
    idPSP: str(rc, 'idPSP'),
    pspFiscalCode: str(rc, 'pspFiscalCode'),
    pspCompanyName: str(rc, 'PSPCompanyName'),
    idChannel: str(rc, 'idChannel'),
    channelDescription: str(rc, 'channelDescription'),
    paymentMethod: str(rc, 'paymentMethod'),
    paymentNote: str(rc, 'paymentNote'),
    feeCents: cents(str(rc, 'fee')),
    paymentDateTime: str(rc, 'paymentDateTime'),
    applicationDate: str(rc, 'applicationDate'),
    transferDate: str(rc, 'transferDate'),
    metadata: metadataOf(child(rc, 'metadata')),
    standIn: standIn === 'true' || standIn === '1',
    rawXml,
  };
}

// ------------------------------------------------------------------ writing

const OK = '<outcome>OK</outcome>';

export function faultBody(f: Pick<PaaFault, 'code' | 'faultString' | 'id' | 'description'>): string {
  return `<outcome>KO</outcome><fault>${el('faultCode', f.code)}${el('faultString', f.faultString)}${el('id', f.id)}${optEl('description', f.description)}</fault>`;
}

export function okBody(): string {
  return OK;
}

export function verifyBody(v: VerifyResult): string {
  const o = v.option;
  return (
    `${OK}<paymentList><paymentOptionDescription><amount>${centsToDecimal(o.amountCents)}</amount><options>EQ</options>` +
    `${optEl('dueDate', o.dueDate)}${el('detailDescription', o.description)}<allCCP>${o.allCCP}</allCCP></paymentOptionDescription></paymentList>` +
    `${el('paymentDescription', v.paymentDescription)}${el('fiscalCodePA', v.fiscalCodePA)}${el('companyName', v.companyName)}${optEl('officeName', v.officeName)}`
  );
}

function metadataXml(entries: MapEntry[]): string {
  if (entries.length === 0) return '';
  let s = '<metadata>';
  for (const e of entries) s += `<mapEntry>${el('key', e.key)}${el('value', e.value)}</mapEntry>`;
  return `${s}</metadata>`;
}

function subjectXml(name: string, s: Subject): string {
  return (
    `<${name}><uniqueIdentifier><entityUniqueIdentifierType>${s.type}</entityUniqueIdentifierType>${el('entityUniqueIdentifierValue', s.id)}</uniqueIdentifier>` +
    `${el('fullName', s.fullName)}${optEl('streetName', s.streetName)}${optEl('civicNumber', s.civicNumber)}${optEl('postalCode', s.postalCode)}` +
    `${optEl('city', s.city)}${optEl('stateProvinceRegion', s.stateProvinceRegion)}${optEl('country', s.country)}${optEl('e-mail', s.email)}</${name}>`
  );
}

export function paymentBody(d: PaymentData, version: PrimitiveVersion): string {
  let transfers = '';
  for (const t of d.transfers) {
    const account = t.marcaDaBollo
      ? `<richiestaMarcaDaBollo>${el('hashDocumento', t.marcaDaBollo.hashDocumento)}<tipoBollo>${t.marcaDaBollo.tipoBollo}</tipoBollo>${el('provinciaResidenza', t.marcaDaBollo.provinciaResidenza)}</richiestaMarcaDaBollo>`
      : el('IBAN', t.iban ?? '');
    transfers +=
      `<transfer><idTransfer>${t.idTransfer}</idTransfer><transferAmount>${centsToDecimal(t.amountCents)}</transferAmount>${el('fiscalCodePA', t.fiscalCodePA)}` +
      `${account}${el('remittanceInformation', t.remittanceInformation)}${el('transferCategory', t.transferCategory)}${version === 2 || t.metadata.length > 0 ? metadataXml(t.metadata) : ''}</transfer>`;
  }
  return (
    `${OK}<data>${el('creditorReferenceId', d.creditorReferenceId)}<paymentAmount>${centsToDecimal(d.amountCents)}</paymentAmount>` +
    `<dueDate>${d.dueDate}</dueDate>${el('description', d.description)}${el('companyName', d.companyName)}${optEl('officeName', d.officeName)}` +
    `${subjectXml('debtor', d.debtor)}<transferList>${transfers}</transferList>${metadataXml(d.metadata)}</data>`
  );
}

export { xmlEscape };
