import type { Logger } from 'pino';
import type { Database, Executor } from '../../../db/database.js';
import type { DeliveriesConfig } from '../../../config/config.js';
import type { SecretBox } from '../../../shared/secret-box.js';
import type { AuditJournal } from '../../audit/application/audit-journal.js';
import type { EndpointKind } from '../../applications/domain/applications.js';
import {
  DeliveryError,
  isDeliveredCode,
  retryDelayMs,
  type DeliveryOperation,
  type DeliveryStatus,
} from '../domain/deliveries.js';
import {
  claimDueMessages,
  findEndpoint,
  getDelivery,
  insertOutboundMessages,
  listDeliveries,
  recordAttempt,
  replayDeliveries,
  type ClaimedMessage,
  type DeliveryFilter,
  type DeliveryRow,
} from '../infra/deliveries-repository.js';
import { callEPaywso2Enti, type SoapCallOutcome } from '../infra/deliveries-http.js';
import { PiemontePaySchema } from '../infra/piemontepay-schemas.js';

export type { DeliveryOperation } from '../domain/deliveries.js';

/** A message for a gestionale's EPaywso2EntiService, sent later (and again until delivered) by the worker. */
export interface OutboundMessage {
  enteId: number;
  paymentTypeId: number | null;
  /** application_endpoint.kind: ESITO_INSERIMENTO_LISTA_DI_CARICO | ESITO_AGGIORNA_POSIZIONI_DEBITORIE |
      TRASMETTI_NOTIFICHE_PAGAMENTO | TRASMETTI_AVVISI_SCADUTI | TRASMETTI_RT */
  kind: EndpointKind;
  /** the application the message is for (for list outcomes: the one that sent the list); null = every application
      authorised on the payment type that has an endpoint of that kind */
  applicationId: number | null;
  operation: DeliveryOperation;
  /** kept across retries */
  idMessaggio: string;
  /** the request element (namespaced per EPaywso2EntiServiceTypes.xsd), no envelope */
  bodyXml: string;
}

/**
 * Stores the message for delivery, inside the caller's transaction (so it is sent if and only if the caller's
 * writes commit). With `applicationId` null it is stored once per application authorised on the payment type
 * that has an endpoint of that kind (none: nothing to send). Enqueuing the same (application, operation,
 * idMessaggio) twice stores it once. Returns nothing; the worker sends within about a second.
 */
export async function enqueueDelivery(tx: Executor, m: OutboundMessage): Promise<void> {
  assertValidBody(m);
  await insertOutboundMessages(tx, [m]);
}

/**
 * The same for many messages in one statement (notifications batches). `validated`: the caller has already checked
 * every body with outboundBodyErrors (and isolated what failed), so they are not validated a second time.
 */
export async function enqueueDeliveries(
  tx: Executor,
  ms: readonly OutboundMessage[],
  opts: { validated?: boolean } = {},
): Promise<void> {
  if (!opts.validated) for (const m of ms) assertValidBody(m);
  if (ms.length > 0) await insertOutboundMessages(tx, ms);
}

let outboundSchema: PiemontePaySchema | undefined;

/** What EPaywso2EntiServiceTypes.xsd finds wrong with a request element (empty: valid). */
export function outboundBodyErrors(bodyXml: string): string[] {
  outboundSchema ??= new PiemontePaySchema('EPaywso2EntiServiceTypes.xsd');
  return outboundSchema.checkElement(bodyXml).map(withoutValues);
}

/**
 * libxml2 quotes the offending value ("The value 'x' is not accepted by the pattern…", "'x' is not a valid value of
 * the atomic type…"): the reasons Cassa stores and logs keep the element and the facet, never the value (it may be
 * a fiscal code, a name, an e-mail).
 */
function withoutValues(message: string): string {
  return message
    .replace(/\b(value|Value) '[^']*'/g, "$1 '…'")
    .replace(/(: |^)'[^']*' is not a valid value/g, "$1'…' is not a valid value");
}

/**
 * Safety net: every body is validated against EPaywso2EntiServiceTypes.xsd before it is stored. An invalid one is
 * a defect of Cassa: it is refused loudly (DeliveryError INVALID_BODY, which fails the caller's transaction and is
 * logged by it: a list is retried and then answered Result 100 without positions, notifications stay pending)
 * rather than sent to the gestionale, which would refuse it at every retry.
 */
function assertValidBody(m: OutboundMessage): void {
  const errors = outboundBodyErrors(m.bodyXml);
  if (errors.length > 0) {
    throw new DeliveryError(
      'INVALID_BODY',
      `${m.operation} ${m.idMessaggio} non valido secondo EPaywso2EntiServiceTypes.xsd: ${errors.slice(0, 3).join('; ')}`.slice(
        0,
        1000,
      ),
      'bodyXml',
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// The sender (worker role)

/**
 * Sends due messages: the rounds of a worker's claim loop (src/jobs/worker-loops.ts) claim them from PostgreSQL
 * (`for update skip locked`: any number of worker processes share the work) and POST each to its gestionale, at
 * most `concurrency` at a time in this process and at most `perEndpoint` per endpoint URL, so that a gestionale that
 * hangs holds at most `perEndpoint` slots (each for at most `timeoutMs`) and every other gestionale's messages keep
 * flowing. Idle, it polls every `pollMs`
 * (one indexed query); busy, it claims again as soon as a slot frees. A failed attempt is retried with exponential
 * backoff and jitter; after `failingAfter` attempts the message shows as FAILING and is still retried at the cap
 * interval, never dropped; an operator can replay it at once (admin API).
 */
export class DeliverySender {
  private inflight = 0;
  private readonly active = new Map<string, number>();
  private readonly sends = new Set<Promise<void>>();
  private readonly slotListeners = new Set<() => void>();

  constructor(
    private readonly db: Database,
    private readonly secrets: SecretBox,
    private readonly audit: AuditJournal,
    private readonly opts: DeliveriesConfig,
    private readonly logger?: Logger,
  ) {}

  /** Called each time an attempt ends and frees its slot (the worker's loop claims again at once). */
  onSlotFreed(listener: () => void): () => void {
    this.slotListeners.add(listener);
    return () => this.slotListeners.delete(listener);
  }

  /**
   * A round of the worker's loop (src/jobs/worker-loops.ts): claims what is due now, up to the free slots, and
   * starts sending it without waiting for the answers. `slotsFull`: every slot is now taken (none was free, or
   * everything claimable was due, so more may be waiting): the next claim waits for a slot to free.
   */
  async dispatchDue(): Promise<{ slotsFull: boolean }> {
    const free = this.opts.concurrency - this.inflight;
    if (free <= 0) return { slotsFull: true };
    const claimed = await this.claim();
    for (const m of claimed) void this.dispatch(m);
    return { slotsFull: claimed.length === free };
  }

  /** Claims what is due now (up to the free slots) and sends it; resolves when those attempts are recorded. */
  async sendDueOnce(): Promise<number> {
    const claimed = await this.claim();
    await Promise.allSettled(claimed.map((m) => this.dispatch(m)));
    return claimed.length;
  }

  /** Resolves when the attempts in progress have ended (each ends within the timeout). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.sends]);
  }

  private claim(): Promise<ClaimedMessage[]> {
    const free = this.opts.concurrency - this.inflight;
    const leaseMs = this.opts.timeoutMs + 30_000;
    const saturated = [...this.active].filter(([, n]) => n >= this.opts.perEndpoint).map(([url]) => url);
    return claimDueMessages(
      this.db,
      free,
      leaseMs,
      this.opts.perEndpoint,
      saturated,
      (url) => this.opts.perEndpoint - (this.active.get(url) ?? 0),
    );
  }

  private dispatch(m: ClaimedMessage): Promise<void> {
    const key = m.endpointUrl ?? '';
    this.inflight++;
    this.active.set(key, (this.active.get(key) ?? 0) + 1);
    const p = this.attempt(m)
      .catch((err: unknown) =>
        this.logger?.error(
          { err, messageId: m.id },
          'delivery attempt not recorded; retried when its lease ends',
        ),
      )
      .finally(() => {
        this.inflight--;
        const n = (this.active.get(key) ?? 1) - 1;
        if (n <= 0) this.active.delete(key);
        else this.active.set(key, n);
        this.sends.delete(p);
        for (const l of this.slotListeners) l();
      });
    this.sends.add(p);
    return p;
  }

  private async attempt(m: ClaimedMessage): Promise<void> {
    const startedAt = new Date();
    const endpoint = await findEndpoint(this.db, m.applicationId, m.kind, m.paymentTypeId);
    let outcome: SoapCallOutcome | { kind: 'no-endpoint'; durationMs: 0 };
    if (!endpoint) outcome = { kind: 'no-endpoint', durationMs: 0 };
    else {
      outcome = await callEPaywso2Enti({
        url: endpoint.url,
        operation: m.operation,
        bodyXml: m.bodyXml,
        username: endpoint.username,
        password: endpoint.passwordEnc ? this.secrets.decrypt(endpoint.passwordEnc) : null,
        timeoutMs: this.opts.timeoutMs,
      });
    }
    const verdict = judge(outcome, this.opts.timeoutMs, m.kind);
    const attempts = m.attempts + 1;
    const policy = {
      baseMs: this.opts.retryBaseMs,
      capMs: this.opts.retryCapMs,
      failingAfter: this.opts.failingAfter,
    };
    await recordAttempt(this.db, {
      messageId: m.id,
      claimToken: m.claimToken,
      attempt: attempts,
      startedAt,
      durationMs: outcome.durationMs,
      endpointId: endpoint?.id ?? null,
      endpointUrl: endpoint?.url ?? null,
      httpStatus: outcome.kind === 'answered' ? outcome.httpStatus : null,
      resultCode: outcome.kind === 'answered' ? (outcome.codice?.slice(0, 3) ?? null) : null,
      delivered: verdict.delivered,
      outcome: verdict.outcome,
      error: verdict.error,
      nextAttemptInMs: retryDelayMs(attempts, policy),
      nextStatus: attempts >= policy.failingAfter ? 'FAILING' : 'PENDING',
    });
    this.audit.record({
      at: startedAt,
      interface: 'EPaywso2EntiService',
      direction: 'OUT',
      operation: m.operation,
      caller: m.codiceChiamante,
      enteFiscalCode: m.enteFiscalCode,
      outcome: verdict.outcome,
      httpStatus: outcome.kind === 'answered' ? outcome.httpStatus : null,
      durationMs: outcome.durationMs,
      correlationId: m.idMessaggio,
      detail: verdict.error,
      requestPayload: m.bodyXml,
      responsePayload: outcome.kind === 'answered' ? outcome.body : null,
    });
  }
}

/** What an attempt's outcome means: delivered, or why not (shown as last_error). */
export function judge(
  outcome: SoapCallOutcome | { kind: 'no-endpoint' },
  timeoutMs: number,
  kind: string,
): { delivered: boolean; outcome: string; error: string | null } {
  switch (outcome.kind) {
    case 'no-endpoint':
      return {
        delivered: false,
        outcome: 'NO_ENDPOINT',
        error: `no ${kind} endpoint configured for the application`,
      };
    case 'timeout':
      return { delivered: false, outcome: 'TIMEOUT', error: `no answer within ${timeoutMs} ms` };
    case 'unreachable':
      return { delivered: false, outcome: 'UNREACHABLE', error: `unreachable: ${outcome.reason}` };
    case 'answered': {
      const msg = outcome.messaggio ? `: ${outcome.messaggio}` : '';
      if (outcome.httpStatus !== 200)
        return {
          delivered: false,
          outcome: 'HTTP_ERROR',
          error: `HTTP ${outcome.httpStatus}${msg}`.slice(0, 1000),
        };
      if (isDeliveredCode(outcome.codice))
        return { delivered: true, outcome: outcome.codice === '000' ? 'OK' : 'DUPLICATE', error: null };
      return {
        delivered: false,
        outcome: 'REFUSED',
        error: (outcome.codice
          ? `Result ${outcome.codice}${msg}`
          : 'answer without EPaywsoServiceResponse/Result/Codice'
        ).slice(0, 1000),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Lookups and replay (admin API)

export class DeliveriesQueries {
  constructor(private readonly db: Database) {}

  list(f: DeliveryFilter): Promise<DeliveryRow[]> {
    return listDeliveries(this.db, f);
  }

  async get(id: number) {
    const d = await getDelivery(this.db, id);
    if (!d) throw new DeliveryError('NOT_FOUND', `consegna ${id} sconosciuta`, 'id');
    return d;
  }

  /** Makes one message due now (also a DELIVERED one: same IdMessaggio, the gestionale discards what it has). */
  async replay(id: number) {
    if ((await replayDeliveries(this.db, { id })).length === 0) {
      const d = await this.get(id);
      throw new DeliveryError('BUSY', `consegna ${d.id} in corso di invio: riprovare tra poco`, 'id');
    }
    return this.get(id);
  }

  /** Makes every message of a status (FAILING by default, or PENDING) due now; returns how many. */
  async replayAll(status: DeliveryStatus): Promise<number> {
    return (await replayDeliveries(this.db, { status })).length;
  }
}
