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
import {
  MAX_NOTIFICATIONS_PER_MESSAGE,
  MAX_RT_PER_MESSAGE,
  newIdMessaggio,
  partyFromReceipt,
  trasmettiAvvisiScaduti,
  trasmettiNotifichePagamento,
  trasmettiRT,
  type PaymentNotification,
} from '../domain/notifications.js';
import {
  dueNotificationGroups,
  groupHeader,
  hasRecipient,
  markGrouped,
  notificationsOfPosition,
  takePendingExpired,
  takePendingPayments,
  type NotificationGroup,
  type NotificationLookupRow,
  type PaymentNotificationRow,
} from '../infra/notifications-repository.js';
import { enqueueDeliveries, type OutboundMessage } from './deliveries.js';

export interface NotificationsOptions {
  batchWindowMs: number;
  pollMs: number;
}

export class NotificationsService {
  private running = false;
  private loop: Promise<void> | undefined;
  private stopSleep: (() => void) | undefined;

  constructor(
    private readonly db: Database,
    private readonly opts: NotificationsOptions,
    private readonly logger?: Logger,
  ) {}

  /** Worker role: group due notifications every pollMs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.groupDue();
        } catch (err) {
          this.logger?.error({ err }, 'grouping notifications failed; retried');
        }
        if (!this.running) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.opts.pollMs);
          this.stopSleep = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopSleep?.();
    await this.loop;
  }

  /** Groups every due (ente, payment type, kind) into messages; returns the number of notifications grouped. */
  async groupDue(windowMs = this.opts.batchWindowMs): Promise<number> {
    let grouped = 0;
    for (const g of await dueNotificationGroups(this.db, windowMs, MAX_NOTIFICATIONS_PER_MESSAGE)) {
      // the whole group is due: flush all of it, a message at a time
      for (;;) {
        const n = await this.groupOne(g);
        grouped += n;
        if (n < MAX_NOTIFICATIONS_PER_MESSAGE) break;
      }
    }
    return grouped;
  }

  /** The notifications of a position, with the messages that carry them (admin lookups). */
  ofPosition(enteFiscalCode: string, iuv: string): Promise<NotificationLookupRow[]> {
    return notificationsOfPosition(this.db, enteFiscalCode, iuv);
  }

  private groupOne(g: NotificationGroup): Promise<number> {
    return this.db.transaction(async (tx) => {
      const header = await groupHeader(tx, g.enteId, g.paymentTypeId);
      if (!header) return 0;
      const messages: OutboundMessage[] = [];
      const base = { enteId: g.enteId, paymentTypeId: g.paymentTypeId, applicationId: null };
      if (g.kind === 'EXPIRED') {
        const rows = await takePendingExpired(tx, g.enteId, g.paymentTypeId, MAX_NOTIFICATIONS_PER_MESSAGE);
        if (rows.length === 0) return 0;
        const idMessaggio = newIdMessaggio('AS');
        messages.push({
          ...base,
          kind: 'TRASMETTI_AVVISI_SCADUTI',
          operation: 'TrasmettiAvvisiScaduti',
          idMessaggio,
          bodyXml: trasmettiAvvisiScaduti({ idMessaggio, ...header }, rows),
        });
        await enqueueDeliveries(tx, messages);
        await markGrouped(tx, rows.map((r) => ({ id: r.notificationId, idMessaggio, rtIdMessaggio: null })));
        return rows.length;
      }
      // nobody to tell yet: the payments stay pending (WAITING_FOR_ENDPOINT) and go when an endpoint appears
      if (!(await hasRecipient(tx, g.paymentTypeId, 'TRASMETTI_NOTIFICHE_PAGAMENTO'))) return 0;
      const wantsRT = await hasRecipient(tx, g.paymentTypeId, 'TRASMETTI_RT');
      const rows = await takePendingPayments(tx, g.enteId, g.paymentTypeId, MAX_NOTIFICATIONS_PER_MESSAGE, wantsRT);
      if (rows.length === 0) return 0;
      const idMessaggio = newIdMessaggio('NP');
      messages.push({
        ...base,
        kind: 'TRASMETTI_NOTIFICHE_PAGAMENTO',
        operation: 'TrasmettiNotifichePagamento',
        idMessaggio,
        bodyXml: trasmettiNotifichePagamento({ idMessaggio, ...header, pagamentiSpontanei: false }, rows.map(toNotification)),
      });
      const rtIds = new Map<number, string>();
      if (wantsRT) {
        for (let i = 0; i < rows.length; i += MAX_RT_PER_MESSAGE) {
          const chunk = rows.slice(i, i + MAX_RT_PER_MESSAGE);
          const rtId = newIdMessaggio('RT');
          for (const r of chunk) rtIds.set(r.notificationId, rtId);
          messages.push({
            ...base,
            kind: 'TRASMETTI_RT',
            operation: 'TrasmettiRT',
            idMessaggio: rtId,
            bodyXml: trasmettiRT({ idMessaggio: rtId, ...header }, chunk.map((r) => ({ id: r.receiptId, xml: r.rawXml ?? '' }))),
          });
        }
      }
      await enqueueDeliveries(tx, messages);
      await markGrouped(tx, rows.map((r) => ({ id: r.notificationId, idMessaggio, rtIdMessaggio: rtIds.get(r.notificationId) ?? null })));
      return rows.length;
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
    debtor: {
      type: r.debtorType === 'F' || r.debtorType === 'G' ? r.debtorType : null,
      fiscalCode: r.debtorFiscalCode,
      name: r.debtorName,
      surname: r.debtorSurname,
      company: r.debtorCompany,
      address: r.debtorAddress,
      civic: r.debtorCivic,
      postalCode: r.debtorPostalCode,
      locality: r.debtorLocality,
      province: r.debtorProvince,
      nation: r.debtorNation,
      email: r.debtorEmail,
    },
    payer: partyFromReceipt(r.payer),
    idPSP: r.idPSP,
    pspCompanyName: r.pspCompanyName,
    paymentMethod: r.paymentMethod,
    receiptId: r.receiptId,
    datiSpecificiRiscossione: r.datiSpecificiRiscossione,
  };
}
