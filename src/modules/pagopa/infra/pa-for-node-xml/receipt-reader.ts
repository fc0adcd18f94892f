/**
 * Reading pagoPA's receipt (paSendRTReq / paSendRTV2Request of paForNode.xsd) into the receipt use case's input.
 * It sits below the SOAP edge because the demo data also stores a receipt as pagoPA sent it (src/app/demo-seed.ts).
 */
import type { MapEntry } from '../../domain/notice.js';
import type { ReceiptInput, ReceiptParty, ReceiptPrimitive, ReceiptTransfer } from '../../domain/receipt.js';
import { decimalToCents } from '../../../../shared/money.js';
import type { XmlObject, XmlValue } from '../../../../shared/soap/soap-envelope.js';
import {
  callerIds,
  child,
  FISCAL_CODE_PA,
  list,
  NOTICE_NUMBER,
  Reader,
  str,
  TEXT35,
} from './request-reading.js';

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
