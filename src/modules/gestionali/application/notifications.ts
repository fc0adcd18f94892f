/**
 * Turns the notifications recorded with each positive receipt and each expiry (table gestionale_notification,
 * written by triggers in the same transaction as the receipt / the expiry) into messages for the gestionali:
 * per ente and payment type, at most 1000 per message, once the oldest has waited the batching window (or a
 * full message is ready). Each group's message is enqueued (enqueueDeliveries) and its notifications marked with
 * its IdMessaggio in ONE transaction: a crash before the commit leaves them pending, after it they are queued
 * for delivery; a notification is never lost nor put in two messages.
 */
import type { Logger } from 'pino';
import type { Database } from '../../../db/database.js';
import { safeErrorMessage } from '../../../shared/safe-error.js';
import { isDatabaseUnavailable } from '../../../db/errors.js';
import { DeliveryError } from '../domain/deliveries.js';
import {
  MAX_NOTIFICATIONS_PER_MESSAGE,
  MAX_RT_PER_MESSAGE,
  newIdMessaggio,
  partyFromReceipt,
  splitByTotal,
  type PaymentNotification,
} from '../domain/notifications.js';
import {
  trasmettiAvvisiScaduti,
  trasmettiNotifichePagamento,
  trasmettiRT,
} from '../infra/piemontepay-xml/notification-writer.js';
import {
  dueNotificationGroups,
  getNotification,
  groupHeader,
  hasRecipient,
  listNotifications,
  markFailed,
  markGrouped,
  notificationsOfPosition,
  recordGroupFailure,
  releaseNotification,
  replayNotifications,
  takePendingExpired,
  takePendingPayments,
  type NotificationFilter,
  type NotificationGroup,
  type NotificationLookupRow,
  type PaymentNotificationRow,
} from '../infra/notifications-repository.js';
import { enqueueDeliveries, outboundBodyErrors, type OutboundMessage } from './deliveries.js';

export interface NotificationsOptions {
  batchWindowMs: number;
  /** attempts of a group whose message cannot be built before its notifications are FAILED (default 5) */
  maxGroupAttempts?: number;
  /** first retry delay of such a group, doubled at each attempt (default 5 s, at most 5 min) */
  groupRetryBaseMs?: number;
}

/** Told when notifications become FAILED (metrics). */
export type FailedListener = (count: number) => void;

/** A message built from some of the group's notifications, valid against the XSD. */
interface BuiltMessage<T> {
  items: T[];
  xml: string;
}

/**
 * Builds the messages for `items` (already in runs that fit a message), each validated against
 * EPaywso2EntiServiceTypes.xsd. A run that does not validate is examined item by item: an item whose own one-item
 * message does not validate cannot be represented at all and is rejected with the XSD's reason; the others go in a
 * message without it. One bad item never holds back the rest.
 */
export function buildValidMessages<T>(
  runs: readonly T[][],
  build: (items: readonly T[]) => string,
): { messages: BuiltMessage<T>[]; rejected: { item: T; error: string }[] } {
  const messages: BuiltMessage<T>[] = [];
  const rejected: { item: T; error: string }[] = [];
  for (const run of runs) {
    const xml = build(run);
    if (outboundBodyErrors(xml).length === 0) {
      messages.push({ items: run, xml });
      continue;
    }
    const good: T[] = [];
    for (const item of run) {
      const errors = outboundBodyErrors(build([item]));
      if (errors.length === 0) good.push(item);
      else
        rejected.push({
          item,
          error: `non rappresentabile secondo EPaywso2EntiServiceTypes.xsd: ${errors.slice(0, 3).join('; ')}`,
        });
    }
    if (good.length === 0) continue;
    const rest = build(good);
    const errors = outboundBodyErrors(rest);
    // each item is valid alone but not together: a defect of the builder, the group is retried and then FAILED
    if (errors.length > 0)
      throw new DeliveryError(
        'INVALID_BODY',
        `messaggio non valido secondo EPaywso2EntiServiceTypes.xsd: ${errors.slice(0, 3).join('; ')}`,
      );
    messages.push({ items: good, xml: rest });
  }
  return { messages, rejected };
}

export class NotificationsService {
  private readonly failedListeners = new Set<FailedListener>();
  private readonly maxGroupAttempts: number;
  private readonly groupRetryBaseMs: number;

  constructor(
    private readonly db: Database,
    private readonly opts: NotificationsOptions,
    private readonly logger?: Logger,
  ) {
    this.maxGroupAttempts = opts.maxGroupAttempts ?? 5;
    this.groupRetryBaseMs = opts.groupRetryBaseMs ?? 5_000;
  }

  /** Called with the number of notifications that have just become FAILED. */
  onFailed(listener: FailedListener): () => void {
    this.failedListeners.add(listener);
    return () => this.failedListeners.delete(listener);
  }

  /**
   * Groups every due (ente, payment type, kind) into messages, oldest group first; returns the number of
   * notifications grouped. A group that fails is recorded (retried later with backoff, FAILED after
   * maxGroupAttempts) and the others go on. The worker's grouping loop runs it every poll (src/jobs/worker-loops.ts).
   */
  async groupDue(windowMs = this.opts.batchWindowMs): Promise<number> {
    let grouped = 0;
    for (const g of await dueNotificationGroups(this.db, windowMs, MAX_NOTIFICATIONS_PER_MESSAGE)) {
      try {
        // the whole group is due: flush all of it, a message at a time
        for (;;) {
          const n = await this.groupOne(g);
          grouped += n.taken;
          // told only once the transaction that marked them has committed
          if (n.rejected.length > 0) this.failed(n.rejected.length, g, n.rejected[0]!.error);
          if (n.taken < MAX_NOTIFICATIONS_PER_MESSAGE) break;
        }
      } catch (err) {
        // the database unreachable is not the group's fault: no attempt is counted, the loop backs off
        if (isDatabaseUnavailable(err)) throw err;
        await this.groupFailed(g, err);
      }
    }
    return grouped;
  }

  /** The notifications of a position, with the messages that carry them (admin lookups). */
  ofPosition(enteFiscalCode: string, iuv: string): Promise<NotificationLookupRow[]> {
    return notificationsOfPosition(this.db, enteFiscalCode, iuv);
  }

  /** FAILED, RELEASED or pending notifications, newest first (admin API). */
  list(f: NotificationFilter): Promise<NotificationLookupRow[]> {
    return listNotifications(this.db, f);
  }

  async get(id: number): Promise<NotificationLookupRow> {
    const n = await getNotification(this.db, id);
    if (!n) throw new DeliveryError('NOTIFICATION_NOT_FOUND', `notifica ${id} sconosciuta`, 'id');
    return n;
  }

  /** Back to pending, due at once (a FAILED, RELEASED or RETRYING notification); not one already in a message. */
  async replay(id: number): Promise<NotificationLookupRow> {
    const n = await this.get(id);
    if ((await replayNotifications(this.db, { id })).length === 0) {
      throw new DeliveryError(
        'NOTIFICATION_CONFLICT',
        `notifica ${id} già inviata nel messaggio ${n.idMessaggio}: reinviare la consegna`,
        'id',
      );
    }
    return this.get(id);
  }

  /** Every FAILED notification back to pending; returns how many. */
  async replayFailed(): Promise<number> {
    return (await replayNotifications(this.db, { failed: true })).length;
  }

  /** A FAILED notification is not sent: it stops counting as failed (the gestionale reads the payment through paymentdata). */
  async release(id: number): Promise<NotificationLookupRow> {
    const n = await this.get(id);
    if (!(await releaseNotification(this.db, id))) {
      throw new DeliveryError(
        'NOTIFICATION_CONFLICT',
        `notifica ${id} non è in stato FAILED (stato ${n.status})`,
        'id',
      );
    }
    return this.get(id);
  }

  private async groupFailed(g: NotificationGroup, err: unknown): Promise<void> {
    const reason = safeErrorMessage(err).slice(0, 1000);
    try {
      const failed = await recordGroupFailure(
        this.db,
        g,
        MAX_NOTIFICATIONS_PER_MESSAGE,
        reason,
        { baseMs: this.groupRetryBaseMs, capMs: 300_000 },
        this.maxGroupAttempts,
      );
      this.logger?.warn(
        { err, enteId: g.enteId, paymentTypeId: g.paymentTypeId, kind: g.kind, failed },
        'a notification group could not be sent; the others go on',
      );
      if (failed > 0) this.failed(failed, g, reason);
    } catch (recordErr) {
      this.logger?.error({ err: recordErr }, 'could not record the failure of a notification group');
    }
  }

  private failed(
    count: number,
    g: { enteId: number; paymentTypeId: number; kind: string },
    reason: string,
  ): void {
    this.logger?.error(
      { enteId: g.enteId, paymentTypeId: g.paymentTypeId, kind: g.kind, failed: count, reason },
      'notifications FAILED: see GET /admin/api/v1/notifications?status=FAILED',
    );
    for (const l of this.failedListeners) l(count);
  }

  /** One message's worth of the group in one transaction: what was taken, and what was marked FAILED. */
  private groupOne(
    g: NotificationGroup,
  ): Promise<{ taken: number; rejected: { id: number; error: string }[] }> {
    return this.db.transaction(async (tx) => {
      const header = await groupHeader(tx, g.enteId, g.paymentTypeId);
      const none = { taken: 0, rejected: [] };
      if (!header) return none;
      const base = { enteId: g.enteId, paymentTypeId: g.paymentTypeId, applicationId: null };
      if (g.kind === 'EXPIRED') {
        const rows = await takePendingExpired(tx, g.enteId, g.paymentTypeId, MAX_NOTIFICATIONS_PER_MESSAGE);
        if (rows.length === 0) return none;
        const idMessaggi = new Map<number, string>();
        const built = buildValidMessages(
          splitByTotal(rows, (r) => r.amountCents, MAX_NOTIFICATIONS_PER_MESSAGE),
          (items) =>
            trasmettiAvvisiScaduti({ idMessaggio: 'AS00000000000000000000000000000000', ...header }, items),
        );
        const messages: OutboundMessage[] = built.messages.map((m) => {
          const idMessaggio = newIdMessaggio('AS');
          for (const r of m.items) idMessaggi.set(r.notificationId, idMessaggio);
          // the id is part of the body: rebuilt with the real one (same length and characters as the placeholder)
          return {
            ...base,
            kind: 'TRASMETTI_AVVISI_SCADUTI',
            operation: 'TrasmettiAvvisiScaduti',
            idMessaggio,
            bodyXml: trasmettiAvvisiScaduti({ idMessaggio, ...header }, m.items),
          };
        });
        await enqueueDeliveries(tx, messages, { validated: true });
        await markGrouped(
          tx,
          [...idMessaggi].map(([id, idMessaggio]) => ({ id, idMessaggio, rtIdMessaggio: null })),
        );
        const rejected = built.rejected.map((r) => ({ id: r.item.notificationId, error: r.error }));
        await markFailed(tx, rejected);
        return { taken: rows.length, rejected };
      }
      // nobody to tell yet: the payments stay pending (WAITING_FOR_ENDPOINT) and go when an endpoint appears
      if (!(await hasRecipient(tx, g.paymentTypeId, 'TRASMETTI_NOTIFICHE_PAGAMENTO'))) return none;
      const wantsRT = await hasRecipient(tx, g.paymentTypeId, 'TRASMETTI_RT');
      const rows = await takePendingPayments(
        tx,
        g.enteId,
        g.paymentTypeId,
        MAX_NOTIFICATIONS_PER_MESSAGE,
        wantsRT,
      );
      if (rows.length === 0) return none;
      const header0 = {
        idMessaggio: 'NP00000000000000000000000000000000',
        ...header,
        pagamentiSpontanei: false,
      };
      const rtHeader = { idMessaggio: 'RT00000000000000000000000000000000', ...header };
      const rtCopy = (r: PaymentNotificationRow) => ({ id: r.receiptId, xml: r.rawXml ?? '' });
      const buildNotifications = (candidates: PaymentNotificationRow[]) =>
        buildValidMessages(
          splitByTotal(candidates, (r) => r.amountCents, MAX_NOTIFICATIONS_PER_MESSAGE),
          (items) => trasmettiNotifichePagamento(header0, items.map(toNotification)),
        );
      let built = buildNotifications(rows);
      const rejected = built.rejected.map((r) => ({ id: r.item.notificationId, error: r.error }));
      let rt: ReturnType<typeof buildValidMessages<PaymentNotificationRow>> | undefined;
      if (wantsRT) {
        rt = buildValidMessages(
          splitByTotal(
            built.messages.flatMap((m) => m.items),
            () => 0,
            MAX_RT_PER_MESSAGE,
          ),
          (items) => trasmettiRT(rtHeader, items.map(rtCopy)),
        );
        if (rt.rejected.length > 0) {
          // a payment whose RT copy cannot be represented is FAILED as a whole (visible, replayable), not sent without it
          rejected.push(
            ...rt.rejected.map((r) => ({ id: r.item.notificationId, error: `copia RT: ${r.error}` })),
          );
          const out = new Set(rt.rejected.map((r) => r.item.notificationId));
          built = buildNotifications(
            built.messages.flatMap((m) => m.items).filter((r) => !out.has(r.notificationId)),
          );
        }
      }
      const messages: OutboundMessage[] = [];
      const marks = new Map<number, { idMessaggio: string; rtIdMessaggio: string | null }>();
      for (const m of built.messages) {
        const idMessaggio = newIdMessaggio('NP');
        for (const r of m.items) marks.set(r.notificationId, { idMessaggio, rtIdMessaggio: null });
        messages.push({
          ...base,
          kind: 'TRASMETTI_NOTIFICHE_PAGAMENTO',
          operation: 'TrasmettiNotifichePagamento',
          idMessaggio,
          bodyXml: trasmettiNotifichePagamento({ ...header0, idMessaggio }, m.items.map(toNotification)),
        });
      }
      for (const m of rt?.messages ?? []) {
        const items = m.items.filter((r) => marks.has(r.notificationId));
        if (items.length === 0) continue;
        const rtId = newIdMessaggio('RT');
        for (const r of items) marks.get(r.notificationId)!.rtIdMessaggio = rtId;
        messages.push({
          ...base,
          kind: 'TRASMETTI_RT',
          operation: 'TrasmettiRT',
          idMessaggio: rtId,
          bodyXml: trasmettiRT({ ...rtHeader, idMessaggio: rtId }, items.map(rtCopy)),
        });
      }
      await enqueueDeliveries(tx, messages, { validated: true });
      await markGrouped(
        tx,
        [...marks].map(([id, m]) => ({ id, ...m })),
      );
      await markFailed(tx, rejected);
      return { taken: rows.length, rejected };
    });
  }
}

function toNotification(r: PaymentNotificationRow): PaymentNotification {
  return {
    idPosizioneDebitoria: r.idPosizioneDebitoria,
    referenceYear: r.referenceYear,
    iuv: r.iuv,
    noticeNumber: r.noticeNumber,
    amountCents: r.amountCents,
    feeCents: r.feeCents,
    dueDate: r.dueDate,
    causale: r.causale,
    paymentDate: r.paymentDate,
    paymentDateTime: r.paymentDateTime,
    // the message names every field of the party: null where the position's debtor has none
    debtor: {
      ...r.debtor,
      name: r.debtor.name ?? null,
      surname: r.debtor.surname ?? null,
      company: r.debtor.company ?? null,
    },
    payer: partyFromReceipt(r.payer),
    idPSP: r.idPSP,
    pspCompanyName: r.pspCompanyName,
    paymentMethod: r.paymentMethod,
    receiptId: r.receiptId,
    datiSpecificiRiscossione: r.datiSpecificiRiscossione,
  };
}
