import { randomBytes } from 'node:crypto';
import type { Journal } from './journal.js';
import { romeDate, romeDateTime } from './time.js';
import {
  OPERATIONS,
  ReceiptShapeError,
  centsToDecimal,
  decimalToCents,
  getPaymentOperation,
  getPaymentRequest,
  sendRTOperation,
  sendRTRequest,
  verifyRequest,
  type PaymentData,
  type PrimitiveVersion,
  type QrCode,
  type Receipt,
  type StationIds,
  type Subject,
} from './soap.js';
import type { StationAnswer, StationClient } from './station-client.js';

/** The node's settings that the control API may change at run time. */
export interface NodeSettings {
  stationUrl: string;
  idBrokerPA: string;
  idStation: string;
  primitiveVersion: PrimitiveVersion;
  rtRetryIntervalMs: number;
  rtRetryMax: number;
  tokenTtlMs: number;
}

/** Scriptable faults (control API PUT /sim/faults). */
export interface Faults {
  /** Waited before every call to the EC ("node slow"). */
  nodeDelayMs: number;
  /** Replaces the node's timeouts (7 s / 15 s) for every call to the EC. */
  ecTimeoutMs: number | null;
  /** The next N paSendRT deliveries fail without reaching the EC (as if it were unreachable), then are retried. */
  failReceiptDeliveries: number;
  /** Receipts are created but never delivered (status DROPPED): a receipt lost by the node. */
  dropReceipts: boolean;
}

export const NO_FAULTS: Faults = {
  nodeDelayMs: 0,
  ecTimeoutMs: null,
  failReceiptDeliveries: 0,
  dropReceipts: false,
};

export interface PspInfo {
  idPSP: string;
  PSPCompanyName: string;
  idChannel: string;
  channelDescription: string;
  pspFiscalCode?: string;
  pspPartitaIVA?: string;
  paymentMethod: string;
  feeCents: number;
}

/** The PSP behind the simulated Checkout (card payment). */
export const CHECKOUT_PSP: PspInfo = {
  idPSP: 'SIMPSP01',
  PSPCompanyName: 'PSP simulato (Cassa)',
  idChannel: 'SIMPSP01_ONLINE',
  channelDescription: 'Checkout simulato',
  pspFiscalCode: '00000000001',
  pspPartitaIVA: '00000000001',
  paymentMethod: 'CP',
  feeCents: 100,
};

/** The PSP of "pay at a PSP" (a counter or home banking paying the notice number). */
export const COUNTER_PSP: PspInfo = {
  idPSP: 'SIMPSP02',
  PSPCompanyName: 'Sportello simulato (Cassa)',
  idChannel: 'SIMPSP02_COUNTER',
  channelDescription: 'Sportello fisico',
  pspFiscalCode: '00000000002',
  pspPartitaIVA: '00000000002',
  paymentMethod: 'PO',
  feeCents: 150,
};

export const STAND_IN_PROBE_NOTICE = '000000000000000000';

export interface PaymentOption {
  amountCents: number;
  options: string;
  allCCP: boolean;
  dueDate?: string;
  description?: string;
  fiscalCodePA?: string;
  companyName?: string;
  officeName?: string;
}

export interface CallSummary {
  callId: number;
  ok: boolean;
  httpStatus: number | undefined;
  outcome: string | undefined;
  faultCode: string | undefined;
  faultString: string | undefined;
  description: string | undefined;
  error: string | undefined;
  xsdErrors: string[];
  semanticErrors: string[];
}

export interface VerifyResult extends CallSummary {
  option: PaymentOption | undefined;
}

export type AttemptStatus = 'ACTIVE' | 'PAID' | 'PAYMENT_FAILED' | 'EXPIRED';
export type AttemptOrigin = { channel: 'checkout'; cartId: string } | { channel: 'psp' };

export interface PaymentAttempt {
  paymentToken: string;
  fiscalCode: string;
  noticeNumber: string;
  primitive: 'paGetPayment' | 'paGetPaymentV2';
  status: AttemptStatus;
  createdAt: string;
  expiresAt: string;
  amountCents: number;
  paymentNote: string | undefined;
  transferType: 'POSTAL' | 'PAGOPA' | undefined;
  origin: AttemptOrigin;
  option: PaymentOption | undefined;
  data: PaymentData;
  receiptId: string | undefined;
}

export interface ActivationResult extends CallSummary {
  attempt: PaymentAttempt | undefined;
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED' | 'DROPPED';

export interface DeliveryAttempt {
  n: number;
  at: string;
  callId: number | undefined;
  result: 'DELIVERED' | 'FAILED';
  httpStatus?: number;
  outcome?: string;
  faultCode?: string;
  error?: string;
  xsdErrors?: string[];
}

export interface Delivery {
  id: number;
  receiptId: string;
  fiscalCode: string;
  noticeNumber: string;
  primitive: 'paSendRT' | 'paSendRTV2';
  standIn: boolean;
  /** Set when this delivery re-sends a receipt already delivered (control API "duplicate"). */
  duplicateOf: number | undefined;
  status: DeliveryStatus;
  createdAt: string;
  maxAttempts: number;
  nextAttemptAt: string | undefined;
  attempts: DeliveryAttempt[];
  xml: string;
}

/** A receipt handed to the delivery queue; `done` settles after its first delivery attempt. */
export interface Sending {
  delivery: Delivery;
  done: Promise<Delivery>;
}

export class NodeError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'CONFLICT' | 'INVALID',
    message: string,
  ) {
    super(message);
  }
}

export function newPaymentToken(): string {
  return randomBytes(16).toString('hex');
}

/** IUV (creditorReferenceId) of a notice number: aux digit 0 carries a 2-digit application code. */
export function iuvOfNotice(noticeNumber: string): string {
  return noticeNumber.startsWith('0') ? noticeNumber.slice(3) : noticeNumber.slice(1);
}

const EMAIL = /^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;

/**
 * The pagoPA node as the EC sees it: verify and activation calls to the station, payment tokens
 * with expiry, receipts (paSendRT/paSendRTV2) delivered with retries, the stand-in probe.
 * State is in memory.
 */
export class PagoPaNode {
  private attempts = new Map<string, PaymentAttempt>();
  private deliveries = new Map<number, Delivery>();
  private receipts = new Map<string, { receipt: Receipt; version: PrimitiveVersion; deliveryId: number }>();
  private timers = new Set<NodeJS.Timeout>();
  private retryTimers = new Map<number, NodeJS.Timeout>();
  private inFlight = new Set<number>();
  private deliverySeq = 0;
  faults: Faults = { ...NO_FAULTS };

  constructor(
    readonly settings: NodeSettings,
    private readonly client: StationClient,
    private readonly journal: Journal,
  ) {}

  private ids(fiscalCode: string): StationIds {
    return { idPA: fiscalCode, idBrokerPA: this.settings.idBrokerPA, idStation: this.settings.idStation };
  }

  private tuning() {
    return { delayMs: this.faults.nodeDelayMs, timeoutMs: this.faults.ecTimeoutMs ?? undefined };
  }

  // ------------------------------------------------------------------ verify

  async verify(qr: QrCode, refs: Record<string, string | number> = {}): Promise<VerifyResult> {
    const xml = verifyRequest(this.ids(qr.fiscalCode), qr);
    const answer = await this.client.call(this.settings.stationUrl, OPERATIONS.verify, xml, this.tuning(), {
      noticeNumber: qr.noticeNumber,
      ...refs,
    });
    const semanticErrors: string[] = [];
    let option: PaymentOption | undefined;
    if (answer.ok) {
      const b = answer.parsed.body ?? {};
      const po = (b.paymentList as Record<string, Record<string, string>> | undefined)
        ?.paymentOptionDescription;
      // SANP "Integrazione tramite API sincrone", verify phase: on OK paymentList is required and all other tags but officeName.
      if (!po) semanticErrors.push('paymentList missing in an OK paVerifyPaymentNoticeRes');
      for (const tag of ['paymentDescription', 'fiscalCodePA', 'companyName'])
        if (b[tag] === undefined) semanticErrors.push(`${tag} missing in an OK paVerifyPaymentNoticeRes`);
      if (po) {
        option = {
          amountCents: decimalToCents(po.amount) ?? 0,
          options: po.options ?? '',
          allCCP: po.allCCP === 'true' || po.allCCP === '1',
          dueDate: po.dueDate,
          description: b.paymentDescription as string | undefined,
          fiscalCodePA: b.fiscalCodePA as string | undefined,
          companyName: b.companyName as string | undefined,
          officeName: b.officeName as string | undefined,
        };
      }
      if (semanticErrors.length > 0)
        this.journal.violation({
          kind: 'semantic',
          operation: OPERATIONS.verify.operation,
          callId: answer.callId,
          errors: semanticErrors,
        });
    }
    return { ...summary(answer, semanticErrors), option };
  }

  /** The node's stand-in exit probe: a verify of notice 000000000000000000, answered PAA_PAGAMENTO_SCONOSCIUTO by a healthy EC. */
  async standInProbe(fiscalCode: string): Promise<VerifyResult & { healthy: boolean }> {
    const r = await this.verify({ fiscalCode, noticeNumber: STAND_IN_PROBE_NOTICE }, { probe: 'stand-in' });
    const healthy =
      r.xsdErrors.length === 0 && r.outcome === 'KO' && r.faultCode === 'PAA_PAGAMENTO_SCONOSCIUTO';
    return { ...r, healthy };
  }

  // ---------------------------------------------------------------- activate

  async activate(
    qr: QrCode,
    input: {
      amountCents?: number;
      paymentNote?: string;
      transferType?: 'POSTAL' | 'PAGOPA';
      option?: PaymentOption;
      origin: AttemptOrigin;
      version?: PrimitiveVersion;
    },
  ): Promise<ActivationResult> {
    const version = input.version ?? this.settings.primitiveVersion;
    const op = getPaymentOperation(version);
    const paymentToken = newPaymentToken();
    const xml = getPaymentRequest(version, this.ids(qr.fiscalCode), qr, {
      amountCents: input.amountCents,
      paymentNote: input.paymentNote,
      transferType: input.transferType,
    });
    const refs: Record<string, string> = { noticeNumber: qr.noticeNumber, paymentToken };
    if (input.origin.channel === 'checkout') refs.cartId = input.origin.cartId;
    const answer = await this.client.call(this.settings.stationUrl, op, xml, this.tuning(), refs);
    const semanticErrors: string[] = [];
    let attempt: PaymentAttempt | undefined;
    if (answer.ok) {
      const data = answer.parsed.body?.data as PaymentData | undefined;
      if (!data) semanticErrors.push(`data missing in an OK ${op.response}`);
      else {
        const transfers = data.transferList.transfer;
        const sum = transfers.reduce((s, t) => s + (decimalToCents(t.transferAmount) ?? 0), 0);
        const total = decimalToCents(data.paymentAmount);
        if (transfers.length === 0) semanticErrors.push('transferList has no transfer');
        if (total !== sum)
          semanticErrors.push(
            `paymentAmount ${data.paymentAmount} differs from the sum of the transfers ${centsToDecimal(sum)}`,
          );
        if (input.transferType === 'POSTAL' && transfers[0] && !transfers[0].IBAN)
          semanticErrors.push('transferType POSTAL but transfer 1 carries no IBAN');
      }
      if (semanticErrors.length > 0)
        this.journal.violation({
          kind: 'semantic',
          operation: op.operation,
          callId: answer.callId,
          errors: semanticErrors,
        });
      else {
        const now = Date.now();
        attempt = {
          paymentToken,
          fiscalCode: qr.fiscalCode,
          noticeNumber: qr.noticeNumber,
          primitive: op.operation as PaymentAttempt['primitive'],
          status: 'ACTIVE',
          createdAt: new Date(now).toISOString(),
          expiresAt: new Date(now + this.settings.tokenTtlMs).toISOString(),
          amountCents: decimalToCents(data!.paymentAmount) ?? 0,
          paymentNote: input.paymentNote,
          transferType: input.transferType,
          origin: input.origin,
          option: input.option,
          data: data!,
          receiptId: undefined,
        };
        this.attempts.set(paymentToken, attempt);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          const a = this.attempts.get(paymentToken);
          if (a && a.status === 'ACTIVE') a.status = 'EXPIRED';
        }, this.settings.tokenTtlMs);
        timer.unref();
        this.timers.add(timer);
      }
    }
    return { ...summary(answer, semanticErrors), attempt };
  }

  getAttempt(token: string): PaymentAttempt | undefined {
    return this.attempts.get(token);
  }

  listAttempts(): PaymentAttempt[] {
    return [...this.attempts.values()];
  }

  /** The PSP could not collect the money: the token is closed, no receipt goes to the EC. */
  failPayment(token: string): PaymentAttempt {
    const a = this.activeAttempt(token);
    a.status = 'PAYMENT_FAILED';
    return a;
  }

  private activeAttempt(token: string): PaymentAttempt {
    const a = this.attempts.get(token);
    if (!a) throw new NodeError('NOT_FOUND', `no payment token ${token}`);
    if (a.status === 'EXPIRED' || Date.parse(a.expiresAt) <= Date.now()) {
      a.status = 'EXPIRED';
      throw new NodeError('CONFLICT', `payment token ${token} expired at ${a.expiresAt}`);
    }
    if (a.status !== 'ACTIVE') throw new NodeError('CONFLICT', `payment token ${token} is ${a.status}`);
    return a;
  }

  // ---------------------------------------------------------------- receipts

  /**
   * The PSP collected the money (sendPaymentOutcome OK): the token becomes the receiptId of a full
   * receipt sent to the EC with paSendRT(V2).
   */
  completePayment(
    token: string,
    psp: PspInfo,
    extras: { payer?: Subject; email?: string; version?: PrimitiveVersion } = {},
  ): Sending {
    const a = this.activeAttempt(token);
    const d = a.data;
    const now = new Date();
    const payer = extras.payer ?? {
      ...d.debtor,
      'e-mail': extras.email && EMAIL.test(extras.email) ? extras.email : d.debtor['e-mail'],
    };
    const receipt: Receipt = {
      receiptId: a.paymentToken,
      noticeNumber: a.noticeNumber,
      fiscalCode: a.fiscalCode,
      outcome: 'OK',
      creditorReferenceId: d.creditorReferenceId,
      paymentAmount: d.paymentAmount,
      description: d.description,
      companyName: d.companyName ?? a.option?.companyName ?? 'Ente creditore',
      officeName: d.officeName,
      debtor: d.debtor,
      transfers: d.transferList.transfer,
      idPSP: psp.idPSP,
      pspFiscalCode: psp.pspFiscalCode,
      pspPartitaIVA: psp.pspPartitaIVA,
      PSPCompanyName: psp.PSPCompanyName,
      idChannel: psp.idChannel,
      channelDescription: psp.channelDescription,
      payer,
      paymentMethod: psp.paymentMethod,
      paymentNote: a.paymentNote,
      fee: centsToDecimal(psp.feeCents),
      primaryCiIncurredFee: undefined,
      paymentDateTime: romeDateTime(now),
      applicationDate: romeDate(now),
      transferDate: romeDate(new Date(now.getTime() + 86_400_000)),
      metadata: d.metadata,
      standIn: false,
    };
    const version = extras.version ?? this.settings.primitiveVersion;
    const xml = this.receiptXml(receipt, version);
    a.status = 'PAID';
    a.receiptId = receipt.receiptId;
    return this.deliver(receipt, version, xml, undefined);
  }

  /** A receipt of a payment taken in stand-in: no verify, no activation at the EC; standIn true. */
  standInReceipt(input: {
    fiscalCode: string;
    noticeNumber: string;
    amountCents: number;
    description?: string;
    companyName?: string;
    debtor?: Subject;
    iban?: string;
    transferCategory?: string;
    version?: PrimitiveVersion;
  }): Sending {
    const now = new Date();
    const amount = centsToDecimal(input.amountCents);
    const receipt: Receipt = {
      receiptId: newPaymentToken(),
      noticeNumber: input.noticeNumber,
      fiscalCode: input.fiscalCode,
      outcome: 'OK',
      creditorReferenceId: iuvOfNotice(input.noticeNumber),
      paymentAmount: amount,
      description: input.description ?? 'Pagamento in stand-in',
      companyName: input.companyName ?? 'Ente creditore',
      debtor: input.debtor ?? {
        uniqueIdentifier: { entityUniqueIdentifierType: 'F', entityUniqueIdentifierValue: 'ANONIMO' },
        fullName: 'ANONIMO',
      },
      // In stand-in the whole amount goes to fiscalCodePA (SANP "Stand In").
      transfers: [
        {
          idTransfer: '1',
          transferAmount: amount,
          fiscalCodePA: input.fiscalCode,
          IBAN: input.iban ?? 'IT60X0542811101000000123456',
          remittanceInformation: input.description ?? 'Pagamento in stand-in',
          transferCategory: input.transferCategory ?? '9/0101100IM/',
        },
      ],
      idPSP: COUNTER_PSP.idPSP,
      pspFiscalCode: COUNTER_PSP.pspFiscalCode,
      pspPartitaIVA: COUNTER_PSP.pspPartitaIVA,
      PSPCompanyName: COUNTER_PSP.PSPCompanyName,
      idChannel: COUNTER_PSP.idChannel,
      channelDescription: COUNTER_PSP.channelDescription,
      paymentMethod: COUNTER_PSP.paymentMethod,
      fee: centsToDecimal(COUNTER_PSP.feeCents),
      paymentDateTime: romeDateTime(now),
      applicationDate: romeDate(now),
      transferDate: romeDate(new Date(now.getTime() + 86_400_000)),
      standIn: true,
    };
    const version = input.version ?? this.settings.primitiveVersion;
    return this.deliver(receipt, version, this.receiptXml(receipt, version), undefined);
  }

  /** Sends an already sent receipt again, same receiptId (what the node does after a lost answer). */
  duplicateReceipt(receiptId: string): Sending {
    const known = this.receipts.get(receiptId);
    if (!known) throw new NodeError('NOT_FOUND', `no receipt ${receiptId}`);
    const original = this.deliveries.get(known.deliveryId)!;
    return this.deliver(known.receipt, known.version, original.xml, original.id);
  }

  private receiptXml(r: Receipt, version: PrimitiveVersion): string {
    try {
      return sendRTRequest(version, this.ids(r.fiscalCode), r);
    } catch (e) {
      if (e instanceof ReceiptShapeError) throw new NodeError('INVALID', e.message);
      throw e;
    }
  }

  private deliver(
    receipt: Receipt,
    version: PrimitiveVersion,
    xml: string,
    duplicateOf: number | undefined,
  ): Sending {
    const d: Delivery = {
      id: ++this.deliverySeq,
      receiptId: receipt.receiptId,
      fiscalCode: receipt.fiscalCode,
      noticeNumber: receipt.noticeNumber,
      primitive: sendRTOperation(version).operation as Delivery['primitive'],
      standIn: receipt.standIn === true,
      duplicateOf,
      status: 'PENDING',
      createdAt: new Date().toISOString(),
      maxAttempts: 1 + this.settings.rtRetryMax,
      nextAttemptAt: undefined,
      attempts: [],
      xml,
    };
    this.deliveries.set(d.id, d);
    if (!this.receipts.has(receipt.receiptId))
      this.receipts.set(receipt.receiptId, { receipt, version, deliveryId: d.id });
    if (this.faults.dropReceipts) {
      d.status = 'DROPPED';
      this.journal.record({
        direction: 'outbound',
        operation: d.primitive,
        url: this.settings.stationUrl,
        error: 'dropped (fault dropReceipts)',
        refs: { deliveryId: d.id, receiptId: d.receiptId },
      });
      return { delivery: d, done: Promise.resolve(d) };
    }
    return { delivery: d, done: this.attemptDelivery(d).then(() => d) };
  }

  private async attemptDelivery(d: Delivery): Promise<void> {
    if (d.status !== 'PENDING' || this.inFlight.has(d.id)) return;
    this.inFlight.add(d.id);
    d.nextAttemptAt = undefined;
    const n = d.attempts.length + 1;
    const at = new Date().toISOString();
    try {
      let attempt: DeliveryAttempt;
      if (this.faults.failReceiptDeliveries > 0) {
        this.faults.failReceiptDeliveries -= 1;
        const error = 'simulated failure (fault failReceiptDeliveries): not sent';
        const rec = this.journal.record({
          direction: 'outbound',
          operation: d.primitive,
          url: this.settings.stationUrl,
          error,
          refs: { deliveryId: d.id, receiptId: d.receiptId, attempt: n },
        });
        attempt = { n, at, callId: rec.id, result: 'FAILED', error };
      } else {
        const op = d.primitive === 'paSendRT' ? OPERATIONS.sendRT1 : OPERATIONS.sendRT2;
        try {
          const answer = await this.client.call(this.settings.stationUrl, op, d.xml, this.tuning(), {
            deliveryId: d.id,
            receiptId: d.receiptId,
            attempt: n,
          });
          attempt = {
            n,
            at,
            callId: answer.callId,
            result: receiptAccepted(answer) ? 'DELIVERED' : 'FAILED',
            httpStatus: answer.httpStatus,
            outcome: answer.parsed.outcome,
            faultCode: answer.parsed.fault?.faultCode ?? answer.parsed.soapFault?.faultcode,
            error: answer.error,
            xsdErrors: answer.xsdErrors.length > 0 ? answer.xsdErrors : undefined,
          };
        } catch (e) {
          attempt = {
            n,
            at,
            callId: undefined,
            result: 'FAILED',
            error: `simulator error: ${(e as Error).message}`,
          };
        }
      }
      d.attempts.push(attempt);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a reset may have changed it while the call was awaited
      if (d.status !== 'PENDING') return; // reset meanwhile
      if (attempt.result === 'DELIVERED') d.status = 'DELIVERED';
      else if (d.attempts.length >= d.maxAttempts) d.status = 'FAILED';
      else this.scheduleRetry(d);
    } finally {
      this.inFlight.delete(d.id);
    }
  }

  private scheduleRetry(d: Delivery): void {
    const wait = this.settings.rtRetryIntervalMs;
    d.nextAttemptAt = new Date(Date.now() + wait).toISOString();
    const timer = setTimeout(() => {
      this.retryTimers.delete(d.id);
      void this.attemptDelivery(d);
    }, wait);
    timer.unref();
    this.retryTimers.set(d.id, timer);
  }

  /** Runs a pending delivery's next attempt now instead of waiting for its retry time. */
  async retryNow(id: number): Promise<Delivery> {
    const d = this.deliveries.get(id);
    if (!d) throw new NodeError('NOT_FOUND', `no delivery ${id}`);
    if (d.status !== 'PENDING' && d.status !== 'FAILED' && d.status !== 'DROPPED')
      throw new NodeError('CONFLICT', `delivery ${id} is ${d.status}`);
    const t = this.retryTimers.get(id);
    if (t) clearTimeout(t);
    this.retryTimers.delete(id);
    if (d.status !== 'PENDING') {
      d.status = 'PENDING';
      d.maxAttempts = d.attempts.length + 1 + this.settings.rtRetryMax;
    }
    await this.attemptDelivery(d);
    return d;
  }

  getDelivery(id: number): Delivery | undefined {
    return this.deliveries.get(id);
  }

  listDeliveries(filter: { receiptId?: string } = {}): Delivery[] {
    const all = [...this.deliveries.values()];
    return filter.receiptId ? all.filter((d) => d.receiptId === filter.receiptId) : all;
  }

  reset(): void {
    this.stopTimers();
    this.attempts.clear();
    this.deliveries.clear();
    this.receipts.clear();
    this.faults = { ...NO_FAULTS };
  }

  stopTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.timers.clear();
    this.retryTimers.clear();
    for (const d of this.deliveries.values()) if (d.status === 'PENDING') d.nextAttemptAt = undefined;
  }
}

/** A paSendRT is delivered when the EC answers a valid OK, or KO PAA_RECEIPT_DUPLICATA (it has it already). */
function receiptAccepted(a: StationAnswer): boolean {
  if (!a.answered || a.httpStatus !== 200 || a.xsdErrors.length > 0) return false;
  return (
    a.parsed.outcome === 'OK' ||
    (a.parsed.outcome === 'KO' && a.parsed.fault?.faultCode === 'PAA_RECEIPT_DUPLICATA')
  );
}

function summary(a: StationAnswer, semanticErrors: string[]): CallSummary {
  return {
    callId: a.callId,
    ok: a.ok && semanticErrors.length === 0,
    httpStatus: a.httpStatus,
    outcome: a.parsed.outcome ?? (a.parsed.soapFault ? 'SOAP_FAULT' : undefined),
    faultCode: a.parsed.fault?.faultCode ?? a.parsed.soapFault?.faultcode,
    faultString: a.parsed.fault?.faultString ?? a.parsed.soapFault?.faultstring,
    description: a.parsed.fault?.description,
    error: a.error,
    xsdErrors: a.xsdErrors,
    semanticErrors,
  };
}
