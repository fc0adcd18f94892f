import {
  COUNTER_PSP,
  type ActivationResult,
  type Delivery,
  type PagoPaNode,
  type PspInfo,
  type VerifyResult,
} from './node.js';
import type { PrimitiveVersion, Subject } from './soap.js';

export interface PspPaymentInput {
  fiscalCode: string;
  noticeNumber: string;
  /** Paid amount; default: the amount the EC answered to the verify. */
  amountCents?: number;
  transferType?: 'POSTAL' | 'PAGOPA';
  feeCents?: number;
  payer?: Subject;
  /** Primitive version of this payment's activation and receipt (default: the station's). */
  version?: PrimitiveVersion;
  /** The receipt's version when it must differ from the activation's (a "hybrid" payment). */
  receiptVersion?: PrimitiveVersion;
}

export interface PspPaymentResult {
  outcome: 'PAID' | 'VERIFY_KO' | 'ACTIVATION_KO';
  verify: VerifyResult;
  activation: ActivationResult | undefined;
  paymentToken: string | undefined;
  delivery: Delivery | undefined;
}

/**
 * A notice paid "at a PSP" (a counter, home banking, an app), without Checkout: the PSP asks the
 * node to verify and activate it, collects the money and the node sends the receipt. Resolves after
 * the receipt's first delivery attempt (later retries go on in the background).
 */
export async function payAtPsp(
  node: PagoPaNode,
  input: PspPaymentInput,
  psp: PspInfo = COUNTER_PSP,
): Promise<PspPaymentResult> {
  const qr = { fiscalCode: input.fiscalCode, noticeNumber: input.noticeNumber };
  const verify = await node.verify(qr, { channel: 'psp' });
  if (!verify.ok)
    return {
      outcome: 'VERIFY_KO',
      verify,
      activation: undefined,
      paymentToken: undefined,
      delivery: undefined,
    };
  const activation = await node.activate(qr, {
    amountCents: input.amountCents ?? verify.option?.amountCents,
    transferType: input.transferType ?? (verify.option?.allCCP ? 'POSTAL' : undefined),
    option: verify.option,
    origin: { channel: 'psp' },
    version: input.version,
  });
  if (!activation.ok || !activation.attempt)
    return { outcome: 'ACTIVATION_KO', verify, activation, paymentToken: undefined, delivery: undefined };
  const token = activation.attempt.paymentToken;
  const sending = node.completePayment(
    token,
    input.feeCents === undefined ? psp : { ...psp, feeCents: input.feeCents },
    {
      payer: input.payer,
      version: input.receiptVersion ?? input.version,
    },
  );
  const delivery = await sending.done;
  return { outcome: 'PAID', verify, activation, paymentToken: token, delivery };
}
