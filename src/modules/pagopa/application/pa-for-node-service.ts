import type { Database } from '../../../db/database.js';
import { effectiveStatus } from '../../debt-positions/domain/debt-position.js';
import { romeDate } from '../../../shared/calendar.js';
import { paaFault } from '../domain/faults.js';
import {
  assertCaller,
  assertDocumentAllows,
  assertPayable,
  paymentData,
  paymentOption,
  type CallerIds,
  type Creditor,
  type IntermediaryDefaults,
  type PaymentData,
  type PaymentOption,
  type PrimitiveVersion,
  type TransferType,
} from '../domain/notice.js';
import { paidReason, receiptEffect, type ReceiptAnomaly, type ReceiptInput } from '../domain/receipt.js';
import * as repo from '../infra/pa-for-node-repository.js';
import { truncateChars } from '../../../shared/text.js';

export interface NoticeRequest extends CallerIds {
  /** qrCode.fiscalCode: the ente the notice belongs to. */
  fiscalCode: string;
  noticeNumber: string;
}

export interface ActivationRequest extends NoticeRequest {
  amountCents?: number | undefined;
  /** Checkout's idCart when the payment started on the ente's front-end. */
  paymentNote?: string | undefined;
  transferType?: TransferType | undefined;
  dueDate?: string | undefined;
}

export interface VerifyResult {
  iuv: string;
  option: PaymentOption;
  paymentDescription: string;
  fiscalCodePA: string;
  companyName: string;
  officeName: string | null;
}

export interface ActivationResult {
  data: PaymentData;
}

export interface ReceiptResult {
  iuv: string;
  anomaly: ReceiptAnomaly | null;
  paid: boolean;
}

/**
 * The creditor side of pagoPA's synchronous model (paForNode): verification, activation and
 * receipts for every ente Cassa intermediates. Faults are thrown as PaaFault; anything else is an
 * internal failure the edge answers as PAA_SYSTEM_ERROR.
 */
export class PaForNodeService {
  constructor(
    private readonly db: Database,
    private readonly intermediary: IntermediaryDefaults,
    private readonly clock: () => Date = () => new Date(),
    /** Told of every receipt stored anew (not of duplicates): the metrics count them. */
    private readonly onReceiptStored: (r: {
      primitive: ReceiptInput['primitive'];
      outcome: string;
      anomaly: ReceiptAnomaly | null;
    }) => void = () => undefined,
  ) {}

  private today(): string {
    return romeDate(this.clock());
  }

  private async loadPayable(req: NoticeRequest): Promise<repo.NoticeContext & { creditor: Creditor }> {
    const ctx = await repo.loadNotice(this.db, req.idPA, req.noticeNumber);
    assertCaller(req, ctx?.creditor, this.intermediary);
    if (req.fiscalCode !== req.idPA) {
      throw paaFault('PAA_SEMANTICA', req.idPA, `qrCode.fiscalCode ${req.fiscalCode} diverso da idPA`);
    }
    assertPayable(ctx.position, req.idPA, this.today());
    return ctx;
  }

  /** paVerifyPaymentNotice: the amount due now, as one option; the position does not change. */
  async verifyPaymentNotice(req: NoticeRequest): Promise<VerifyResult> {
    const { creditor, position, paymentType } = await this.loadPayable(req);
    const p = position!;
    // Building the transfers checks that the position can be activated (accounts, components).
    paymentData(p, paymentType!, creditor, 2, undefined);
    return {
      iuv: p.iuv,
      option: paymentOption(p, paymentType!),
      paymentDescription: truncateChars(p.causale, 140),
      fiscalCodePA: creditor.fiscalCode,
      companyName: creditor.companyName,
      officeName: creditor.officeName,
    };
  }

  /**
   * paGetPayment (V1) / paGetPaymentV2: the payment data, freshly built at every call, and a
   * payment_attempt row. The position stays open: the node blocks concurrent payments itself. For a
   * position of a document the attempt also holds the document's other plans (documents.ts).
   */
  async getPayment(req: ActivationRequest, version: PrimitiveVersion): Promise<ActivationResult> {
    const { creditor, position, paymentType } = await this.loadPayable(req);
    const p = position!;
    const data = paymentData(p, paymentType!, creditor, version, req.transferType);
    const attempt: repo.NewAttempt = {
      positionId: p.id,
      enteId: creditor.enteId,
      noticeNumber: p.noticeNumber,
      iuv: p.iuv,
      primitive: version === 2 ? 'paGetPaymentV2' : 'paGetPayment',
      amountCents: data.amountCents,
      transferType: req.transferType,
      paymentNote: req.paymentNote,
    };
    const doc = p.document;
    if (doc)
      // under the document's lock, the other plans read again: of two activations of different plans at once, one wins
      await repo.insertAttemptInDocument(this.db, doc.id, attempt, (siblings) =>
        assertDocumentAllows({ place: doc.place, siblings }, req.idPA),
      );
    else await repo.insertAttempt(this.db, attempt);
    return { data };
  }

  /**
   * paSendRT / paSendRTV2: the receipt is kept (raw XML included) and applied to its position in
   * one transaction, with or without a prior activation, whatever the position's state (see
   * receiptEffect). A receipt already kept for the same ente and receiptId answers
   * PAA_RECEIPT_DUPLICATA and changes nothing.
   *
   * A step this code does not show: a positive receipt (outcome OK) of a known position also records
   * the gestionale's payment notification (gestionale_notification, kind PAYMENT), in the same
   * transaction, by the database trigger receipt_gestionale_notification (migrations/0005_deliveries.sql).
   * It stays a trigger because every writer of a receipt relies on it, not only this one: the notifications
   * test inserts receipts in SQL and checks the notification inside that transaction, and the
   * notifications benchmark inserts its receipts in SQL. See repo.storeReceipt.
   */
  async sendReceipt(r: ReceiptInput): Promise<ReceiptResult> {
    const ctx = await repo.loadNotice(this.db, r.idPA, r.noticeNumber);
    // Money was collected: an ente since deactivated still gets its receipts.
    assertCaller(r, ctx?.creditor, this.intermediary, { acceptInactive: true });
    const creditor = ctx.creditor;
    // A receipt sent in broadcast for another ente's notice is kept without touching any position.
    const positionEnteId = r.fiscalCode === creditor.fiscalCode ? creditor.enteId : null;
    const today = this.today();
    const stored = await repo.storeReceipt(this.db, creditor.enteId, positionEnteId, r, (position) => {
      const current = position
        ? effectiveStatus(
            {
              status: position.status,
              validFrom: position.validFrom ?? undefined,
              validTo: position.validTo ?? undefined,
            },
            today,
          )
        : undefined;
      const effect = receiptEffect(
        position && current ? { status: current, amountCents: position.amountCents } : undefined,
        r,
        position?.document,
      );
      const anomaly =
        positionEnteId === null && effect.anomaly === 'UNKNOWN_POSITION' ? null : effect.anomaly;
      // the history says what the position was when paid (an expired one is EXPIRED even before the sweep records it)
      return {
        anomaly,
        markPaid: effect.markPaid,
        reason: paidReason(r.receiptId, r.primitive),
        ...(current ? { fromStatus: current } : {}),
      };
    });
    if (stored.id === null) {
      throw paaFault('PAA_RECEIPT_DUPLICATA', r.idPA, `Ricevuta ${r.receiptId} già acquisita`);
    }
    this.onReceiptStored({ primitive: r.primitive, outcome: r.outcome, anomaly: stored.anomaly });
    return { iuv: r.creditorReferenceId, anomaly: stored.anomaly, paid: stored.paid };
  }

  /**
   * paDemandPaymentNotice (spontaneous payments at a PSP, "Catalogo servizi"): no service is
   * configured in Cassa yet, so after the caller checks every request answers PAA_SEMANTICA.
   */
  async demandPaymentNotice(req: CallerIds & { idServizio: string }): Promise<never> {
    const ctx = await repo.loadNotice(this.db, req.idPA, '');
    assertCaller(req, ctx?.creditor, this.intermediary);
    throw paaFault(
      'PAA_SEMANTICA',
      req.idPA,
      `Servizio ${req.idServizio} non disponibile: l'ente non offre pagamenti spontanei presso i PSP`,
    );
  }
}
