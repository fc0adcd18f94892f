/**
 * The paForNode operations as XML: reading requests into the pagoPA module's inputs (syntax
 * problems are PAA_SINTASSI_EXTRAXSD) and writing responses (ctResponse + data) as strings.
 * Element names are spelled exactly as in paForNode.xsd. Receipts are read by
 * modules/pagopa/infra/pa-for-node-xml/receipt-reader.ts, which the demo data uses too.
 */
import type {
  ActivationRequest,
  NoticeRequest,
  VerifyResult,
} from '../../modules/pagopa/application/pa-for-node-service.js';
import type { PaaFault } from '../../modules/pagopa/domain/faults.js';
import type {
  CallerIds,
  MapEntry,
  PaymentData,
  PrimitiveVersion,
  Subject,
  TransferType,
} from '../../modules/pagopa/domain/notice.js';
import {
  callerIds,
  child,
  FISCAL_CODE_PA,
  NOTICE_NUMBER,
  Reader,
  str,
  TEXT35,
} from '../../modules/pagopa/infra/pa-for-node-xml/request-reading.js';
import { centsToDecimal, decimalToCents } from '../../shared/money.js';
import type { XmlObject } from '../../shared/soap/soap-envelope.js';
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

const AMOUNT = /^\d+\.\d{2}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The idPA a fault names: the request's when it has a plausible one. */
export function faultIdOf(body: XmlObject, fallback: string): string {
  const idPA = str(body, 'idPA');
  return idPA && TEXT35.test(idPA) ? idPA : fallback;
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
