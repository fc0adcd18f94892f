/**
 * What a receipt (paSendRT / paSendRTV2) does to the position it pays. Money was collected
 * whatever Cassa thinks of the position: a receipt is always kept; when the position was not
 * simply waiting for it, the receipt carries an anomaly for an operator.
 */
import type { DebtPositionStatus } from '../../debt-positions/domain/debt-position.js';
import {
  documentConflict,
  type DocumentPlace,
  type SiblingState,
} from '../../debt-positions/domain/documents.js';
import type { MapEntry, SubjectAddress } from './notice.js';

export type ReceiptPrimitive = 'paSendRT' | 'paSendRTV2';

export type ReceiptAnomaly =
  | 'DOUBLE_PAYMENT'
  | 'POSITION_CANCELLED'
  | 'POSITION_EXPIRED'
  | 'POSITION_NOT_YET_ACTIVE'
  | 'AMOUNT_MISMATCH'
  | 'UNKNOWN_POSITION'
  /** another plan of the position's document was already paid (single solution vs instalments, thresholds) */
  | 'DOCUMENT_PLAN_CONFLICT';

/** A receipt's debtor or payer (ctSubject), read leniently. */
export interface ReceiptParty extends SubjectAddress {
  type: string | undefined;
  id: string | undefined;
  fullName: string | undefined;
}

export interface ReceiptTransfer {
  idTransfer: string | undefined;
  amountCents: number | null;
  fiscalCodePA: string | undefined;
  companyName?: string | undefined;
  iban?: string | undefined;
  /** base64 of the digital stamp (paSendRTV2 MBDAttachment). */
  mbdAttachment?: string | undefined;
  remittanceInformation: string | undefined;
  transferCategory: string | undefined;
  metadata?: MapEntry[] | undefined;
}

/** A receipt as the node sent it, read leniently: only the fields that identify it are required. */
export interface ReceiptInput {
  primitive: ReceiptPrimitive;
  idPA: string;
  idBrokerPA: string;
  idStation: string;
  receiptId: string;
  noticeNumber: string;
  fiscalCode: string;
  outcome: 'OK' | 'KO';
  creditorReferenceId: string;
  amountCents: number;
  description?: string | undefined;
  companyName?: string | undefined;
  officeName?: string | undefined;
  debtor?: ReceiptParty | undefined;
  payer?: ReceiptParty | undefined;
  transfers: ReceiptTransfer[];
  idPSP?: string | undefined;
  pspFiscalCode?: string | undefined;
  pspCompanyName?: string | undefined;
  idChannel?: string | undefined;
  channelDescription?: string | undefined;
  paymentMethod?: string | undefined;
  paymentNote?: string | undefined;
  feeCents?: number | undefined;
  /** xs:dateTime as sent; without an offset it is read as Europe/Rome time. */
  paymentDateTime?: string | undefined;
  applicationDate?: string | undefined;
  transferDate?: string | undefined;
  metadata?: MapEntry[] | undefined;
  standIn: boolean;
  /** The whole SOAP request as received. */
  rawXml: string;
  /** The request's bytes as received, when they are not UTF-8 (a declared ISO-8859-1...): kept beside rawXml. */
  rawBytes?: Uint8Array | undefined;
}

export interface ReceiptEffect {
  anomaly: ReceiptAnomaly | null;
  /** Whether the position moves to PAID. */
  markPaid: boolean;
}

/**
 * Positive receipts: a position waiting for payment (PAYABLE, PAYMENT_IN_PROGRESS) becomes PAID,
 * flagged AMOUNT_MISMATCH when the amount differs (stand-in pays the amount last sent to ACA);
 * a not yet active or expired position becomes PAID too, flagged (the debt is settled, late or
 * early); an already paid position stays so (DOUBLE_PAYMENT, to refund); a cancelled position
 * stays cancelled (POSITION_CANCELLED: the ente's decision stands until an operator refunds or
 * reinstates); an unknown notice is kept without a position (UNKNOWN_POSITION). A position whose document
 * was already paid by another plan becomes PAID too, flagged DOCUMENT_PLAN_CONFLICT (the debt was paid twice).
 * Negative receipts (KO) are kept and change nothing.
 */
export function receiptEffect(
  position: { status: DebtPositionStatus; amountCents: number } | undefined,
  receipt: Pick<ReceiptInput, 'outcome' | 'amountCents'>,
  document?: { place: DocumentPlace; siblings: readonly SiblingState[] },
): ReceiptEffect {
  if (receipt.outcome !== 'OK') return { anomaly: null, markPaid: false };
  if (!position) return { anomaly: 'UNKNOWN_POSITION', markPaid: false };
  switch (position.status) {
    case 'PAID':
      return { anomaly: 'DOUBLE_PAYMENT', markPaid: false };
    case 'CANCELLED':
      return { anomaly: 'POSITION_CANCELLED', markPaid: false };
    default:
  }
  // the debt was already settled by another plan of the document (a PSP paid an old notice): the position is
  // paid all the same (money was collected for it), flagged for a refund
  if (document && documentConflict(document.place, document.siblings) === 'OTHER_PLAN_PAID')
    return { anomaly: 'DOCUMENT_PLAN_CONFLICT', markPaid: true };
  switch (position.status) {
    case 'EXPIRED':
      return { anomaly: 'POSITION_EXPIRED', markPaid: true };
    case 'NOT_YET_ACTIVE':
      return { anomaly: 'POSITION_NOT_YET_ACTIVE', markPaid: true };
    default:
      return {
        anomaly: position.amountCents === receipt.amountCents ? null : 'AMOUNT_MISMATCH',
        markPaid: true,
      };
  }
}

/** The reason written in the position's status history. */
export function paidReason(receiptId: string, primitive: ReceiptPrimitive): string {
  return `ricevuta pagoPA ${receiptId} (${primitive})`.slice(0, 400);
}
