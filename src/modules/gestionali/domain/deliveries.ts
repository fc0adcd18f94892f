/** Outbound deliveries to a gestionale's EPaywso2EntiService: statuses, operations, retry policy. */
import { defineCatalog } from '../../../shared/domain-error.js';
import { ESITO } from '../../../shared/piemontepay/codes.js';

export const DELIVERY_OPERATIONS = [
  'EsitoInserimentoListaDiCarico',
  'EsitoAggiornaPosizioniDebitorie',
  'TrasmettiNotifichePagamento',
  'TrasmettiAvvisiScaduti',
  'TrasmettiRT',
] as const;
export type DeliveryOperation = (typeof DELIVERY_OPERATIONS)[number];

/**
 * PENDING: waiting for its (next) attempt. SENDING: claimed by a worker. DELIVERED: the gestionale answered 000.
 * FAILING: attempts reached CASSA_DELIVERY_FAILING_AFTER; still retried at the cap interval, never dropped.
 */
export const DELIVERY_STATUSES = ['PENDING', 'SENDING', 'DELIVERED', 'FAILING'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  /** attempts after which a message shows as FAILING (it keeps being retried at the cap interval) */
  failingAfter: number;
}

/**
 * Delay before the next attempt after `attempts` failed attempts: exponential (base · 2^(attempts−1)), capped,
 * with "equal jitter" (half fixed, half random) so that many messages failing together do not retry in lockstep.
 */
export function retryDelayMs(
  attempts: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Result codes of the gestionale's answer (cmn:Result/Codice) that count as delivered. */
export function isDeliveredCode(codice: string | undefined): boolean {
  // 000 = OK. 012/112/150 = "IdMessaggio already received/processed": the gestionale has the message (a retry of
  // one it took while its answer was lost), so it counts as delivered. Any other code, or none, means "not
  // taken": retried with backoff, the code and message shown as the last error.
  return codice !== undefined && DELIVERED_CODES.has(codice);
}

const DELIVERED_CODES = new Set<string>([
  ESITO.OK,
  ESITO.MESSAGE_ALREADY_RECEIVED,
  ESITO.DUPLICATE_MESSAGE,
  ESITO.MESSAGE_ALREADY_PROCESSED,
]);

export class DeliveryError extends defineCatalog({
  NOT_FOUND: { code: 'DELIVERY_NOT_FOUND', kind: 'not-found' },
  BUSY: { code: 'DELIVERY_BEING_SENT', kind: 'conflict' },
  /** a message that does not validate against EPaywso2EntiServiceTypes.xsd: a defect of Cassa, refused at enqueue */
  INVALID_BODY: { code: 'DELIVERY_INVALID_BODY', kind: 'internal' },
  NOTIFICATION_NOT_FOUND: { kind: 'not-found' },
  /** replay: the notification is already in a message (replay the delivery instead); release: it is not FAILED */
  NOTIFICATION_CONFLICT: { kind: 'conflict' },
}) {}
