/**
 * Issue 10, item 1: one bad notification never blocks the others. A receipt valid for paForNode.xsd whose
 * amount + fee exceeds PiemontePAY's cmn:ImportoType used to make its TrasmettiNotifichePagamento fail the XSD
 * check, abort the grouping loop and keep every ente behind it WAITING forever. Now: totals are split, an
 * unrepresentable optional element is left out, a notification that cannot be represented at all is FAILED
 * (visible, replayable, releasable) and a group that fails is retried with backoff while the others go on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';
import { createEnteWithCaller, draft } from './helpers/fixtures.js';
import { startGestionale, type Gestionale, type Received } from './helpers/gestionale.js';
import { until } from './helpers/until.js';
import type { ReceiptInput } from '../src/modules/pagopa/domain/receipt.js';
import {
  buildValidMessages,
  NotificationsService,
} from '../src/modules/gestionali/application/notifications.js';
import { MAX_IMPORTO_CENTS, splitByTotal } from '../src/modules/gestionali/domain/notifications.js';
import { trasmettiAvvisiScaduti } from '../src/modules/gestionali/infra/piemontepay-xml/notification-writer.js';

const BROKER = '80087670016';
const STATION = '80087670016_01';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const MAX = MAX_IMPORTO_CENTS; // 999.999.999,99 €

function receipt(
  cf: string,
  pos: { iuv: string; noticeNumber: string },
  receiptId: string,
  amountCents: number,
  feeCents = 100,
): ReceiptInput {
  return {
    primitive: 'paSendRTV2',
    idPA: cf,
    idBrokerPA: BROKER,
    idStation: STATION,
    receiptId,
    noticeNumber: pos.noticeNumber,
    fiscalCode: cf,
    outcome: 'OK',
    creditorReferenceId: pos.iuv,
    amountCents,
    debtor: { type: 'F', id: 'TSTPNI70D01L219V', fullName: 'Pino Test' },
    transfers: [
      {
        idTransfer: '1',
        amountCents,
        fiscalCodePA: cf,
        remittanceInformation: 'Quota',
        transferCategory: '9/0101108TS/',
      },
    ],
    idPSP: 'BCITITMM',
    pspCompanyName: 'Banca di Prova',
    paymentMethod: 'CP',
    feeCents,
    paymentDateTime: '2025-07-01T10:11:12',
    applicationDate: '2025-07-01',
    standIn: false,
    rawXml: `<paSendRTV2Request><receiptId>${receiptId}</receiptId></paSendRTV2Request>`,
  };
}

const ofOperation = (g: Gestionale, op: string) => [...g.applied.values()].filter((r) => r.operation === op);
const items = (r: Received) =>
  r.body.CorpoNotifichePagamento.ElencoNotifichePagamento.NotificaPagamento as any[];
const iursOf = (g: Gestionale) =>
  ofOperation(g, 'TrasmettiNotifichePagamento').flatMap((r) => items(r).map((n) => n.DatiTransazionePSP.IUR));

describe('splitByTotal', () => {
  it('keeps order and puts as many items in a run as both limits allow', () => {
    expect(splitByTotal([5, 5, 5, 5], (x) => x, 3, 10)).toEqual([
      [5, 5],
      [5, 5],
    ]);
    expect(splitByTotal([1, 2, 3, 4, 5], (x) => x, 2, 100)).toEqual([[1, 2], [3, 4], [5]]);
    expect(splitByTotal([MAX, 1, MAX - 1, 1], (x) => x, 1000)).toEqual([[MAX], [1, MAX - 1], [1]]);
    expect(splitByTotal([], (x: number) => x, 10)).toEqual([]);
  });
});

describe('buildValidMessages', () => {
  const header = {
    idMessaggio: 'AS00000000000000000000000000000000',
    enteFiscalCode: '00429440068',
    codiceVersamento: 'BIBL',
  };
  const build = (items: readonly string[]) =>
    trasmettiAvvisiScaduti(
      header,
      items.map((iuv) => ({ iuv, dueDate: null, amountCents: 100 })),
    );

  it('keeps every run that validates as it is', () => {
    const r = buildValidMessages([['1', '2'], ['3']], build);
    expect(r.messages.map((m) => m.items)).toEqual([['1', '2'], ['3']]);
    expect(r.rejected).toEqual([]);
  });

  it('isolates the items that cannot be represented alone, with the XSD reason, and sends the rest of their run', () => {
    const r = buildValidMessages([['1', '', '2'], ['']], build);
    expect(r.messages.map((m) => m.items)).toEqual([['1', '2']]);
    expect(r.rejected.map((x) => x.item)).toEqual(['', '']);
    expect(r.rejected[0]!.error).toMatch(/IUV/);
  });
});

describe('notifications that cannot be sent as they are', () => {
  let t: TestApp;
  let g: Gestionale;
  let a: Awaited<ReturnType<typeof createEnteWithCaller>>;
  let b: Awaited<ReturnType<typeof createEnteWithCaller>>;

  beforeAll(async () => {
    t = await buildTestApp({
      env: {
        CASSA_ID_BROKER_PA: BROKER,
        CASSA_ID_STATION: STATION,
        CASSA_NOTIFICATION_BATCH_WINDOW_MS: '60000',
        CASSA_DELIVERY_POLL_MS: '20',
        CASSA_DELIVERY_RETRY_BASE_MS: '40',
        CASSA_DELIVERY_RETRY_CAP_MS: '150',
      },
    });
    g = await startGestionale();
    a = await createEnteWithCaller(t.c, { caller: 'GEST_A', cf: '15376371009', code: 'TARI' });
    b = await createEnteWithCaller(t.c, { caller: 'GEST_B', cf: '00429440068', code: 'BIBL', seg: '01' });
    for (const party of [a, b]) {
      await t.c.applications.update(party.caller, {
        scopes: ['CREAZIONE_IUV', 'RICHIESTA_STATO_POS_DEB', 'RICHIESTA_DATI_PAGAMENTO'],
        endpoints: [
          { kind: 'TRASMETTI_NOTIFICHE_PAGAMENTO', url: g.url, username: 'gest', password: 'pw' },
          { kind: 'TRASMETTI_AVVISI_SCADUTI', url: g.url, username: 'gest', password: 'pw' },
          { kind: 'TRASMETTI_RT', url: g.url, username: 'gest', password: 'pw' },
        ],
      });
    }
    t.c.loops.deliveries.start();
  });
  afterAll(async () => {
    await t.c.loops.deliveries.stop();
    await g.close();
    await t.close();
  });

  const position = (party: typeof a, id: string, amountCents: number) =>
    t.c.debtPositions.create(
      party.ctx,
      draft({ idPosizioneDebitoria: id, amountCents, components: [{ amountCents, causale: 'Quota' }] }),
    );

  it('notifies a 999.999.999,99 € payment with a fee (ImportoTransato left out), and the other entes behind it are not held back', async () => {
    // the big one first: its group is the oldest, as in the defect found
    const big = await position(a, 'BIG-1', MAX);
    const small = await position(b, 'SMALL-1', 300);
    await t.c.paForNode.sendReceipt(receipt(a.cf, big, 'rcpt-big-1', MAX, 100));
    await t.c.paForNode.sendReceipt(receipt(b.cf, small, 'rcpt-small-1', 300, 100));
    expect(await t.c.notifications.groupDue(0)).toBe(2);
    await until(
      () => iursOf(g).includes('rcpt-big-1') && iursOf(g).includes('rcpt-small-1'),
      'both notifications',
      10_000,
    );
    const bigItem = ofOperation(g, 'TrasmettiNotifichePagamento')
      .flatMap(items)
      .find((n) => n.DatiTransazionePSP.IUR === 'rcpt-big-1');
    expect(bigItem.ImportoPagato).toBe('999999999.99');
    expect(bigItem.DatiTransazionePSP.ImportoCommissioni).toBe('1.00');
    expect(bigItem.DatiTransazionePSP.ImportoTransato).toBeUndefined();
    const smallItem = ofOperation(g, 'TrasmettiNotifichePagamento')
      .flatMap(items)
      .find((n) => n.DatiTransazionePSP.IUR === 'rcpt-small-1');
    expect(smallItem.DatiTransazionePSP.ImportoTransato).toBe('4.00');
    expect(g.invalid).toEqual([]);
  });

  it('splits a group whose ImportoTotalePagamenti would exceed the XSD maximum into messages that each fit', async () => {
    const before = ofOperation(g, 'TrasmettiNotifichePagamento').length;
    const p1 = await position(a, 'HALF-1', 60_000_000_000);
    const p2 = await position(a, 'HALF-2', 60_000_000_000);
    const p3 = await position(a, 'HALF-3', 100);
    await t.c.paForNode.sendReceipt(receipt(a.cf, p1, 'rcpt-half-1', 60_000_000_000));
    await t.c.paForNode.sendReceipt(receipt(a.cf, p2, 'rcpt-half-2', 60_000_000_000));
    await t.c.paForNode.sendReceipt(receipt(a.cf, p3, 'rcpt-half-3', 100));
    expect(await t.c.notifications.groupDue(0)).toBe(3);
    await until(
      () => ['rcpt-half-1', 'rcpt-half-2', 'rcpt-half-3'].every((id) => iursOf(g).includes(id)),
      'the split messages',
      10_000,
    );
    const fresh = ofOperation(g, 'TrasmettiNotifichePagamento').slice(before);
    expect(fresh.map((m) => m.body.Testata.ImportoTotalePagamenti).sort()).toEqual([
      '600000000.00',
      '600000001.00',
    ]);
    expect(fresh.map((m) => m.body.Testata.NumeroPagamenti).sort()).toEqual(['1', '2']);
    expect(g.invalid).toEqual([]);
  });

  it('splits expired notices the same way (TrasmettiAvvisiScaduti)', async () => {
    const ids: string[] = [];
    for (const i of [1, 2]) {
      const p = await t.c.debtPositions.create(
        a.ctx,
        draft({
          idPosizioneDebitoria: `EXP-BIG-${i}`,
          amountCents: 70_000_000_000,
          components: [{ amountCents: 70_000_000_000, causale: 'Quota' }],
          validTo: '2099-01-31',
        }),
      );
      ids.push(p.iuv);
      await t.c.db.rows(sql`update debt_position set valid_to = '2020-01-31' where iuv = ${p.iuv}`);
    }
    await t.c.debtPositions.sweepCalendarTransitions();
    expect(await t.c.notifications.groupDue(0)).toBe(2);
    await until(() => ofOperation(g, 'TrasmettiAvvisiScaduti').length >= 2, 'two expiry messages', 10_000);
    const avvisi = ofOperation(g, 'TrasmettiAvvisiScaduti');
    expect(avvisi.map((m) => m.body.Testata.ImportoTotaleAvvisiScaduti)).toEqual([
      '700000000.00',
      '700000000.00',
    ]);
    expect(g.invalid).toEqual([]);
  });

  it('a notification that cannot be represented at all is FAILED (once), visible, the rest of its group goes, and the payment stays readable', async () => {
    const bad = await position(b, 'BAD-1', 500);
    const good = await position(b, 'GOOD-1', 700);
    await t.c.paForNode.sendReceipt(receipt(b.cf, bad, 'rcpt-bad-1', 500));
    await t.c.paForNode.sendReceipt(receipt(b.cf, good, 'rcpt-good-1', 700));
    // a row as an older version could have stored it: no notice number, which CodiceAvviso (String35, min 1) cannot carry
    await t.c.db.rows(sql`update debt_position set notice_number = '' where iuv = ${bad.iuv}`);
    let failedEvents = 0;
    const off = t.c.notifications.onFailed((n) => (failedEvents += n));
    expect(await t.c.notifications.groupDue(0)).toBe(2);
    await until(() => iursOf(g).includes('rcpt-good-1'), 'the good one', 10_000);
    expect(iursOf(g)).not.toContain('rcpt-bad-1');
    expect(failedEvents).toBe(1);
    // not taken again: no loop, no second log line
    expect(await t.c.notifications.groupDue(0)).toBe(0);
    expect(failedEvents).toBe(1);
    off();

    const failed = await t.app.inject({
      method: 'GET',
      url: '/admin/api/v1/notifications?status=FAILED',
      headers: auth,
    });
    expect(failed.statusCode).toBe(200);
    const [n] = failed.json().items;
    expect(n).toMatchObject({
      status: 'FAILED',
      iuv: bad.iuv,
      enteFiscalCode: b.cf,
      codiceVersamento: 'BIBL',
      receiptId: 'rcpt-bad-1',
    });
    expect(n.lastError).toMatch(/CodiceAvviso/);
    const lookup = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/enti/${b.cf}/notifications/${bad.iuv}`,
      headers: auth,
    });
    expect(lookup.json().items[0].status).toBe('FAILED');

    // the gestionale can still read the payment
    const pd = await t.app.inject({
      method: 'GET',
      url: `/epayapi/api/v1/organizations/${b.cf}/paymenttypes/BIBL/debtpositions/${bad.iuv}/paymentdata`,
      headers: { authorization: basic(b.caller, b.passphrase) },
    });
    expect(pd.statusCode).toBe(200);
    expect(JSON.stringify(pd.json())).toContain('rcpt-bad-1');

    // release: no longer failed; a replay after a fix sends it
    const released = await t.app.inject({
      method: 'POST',
      url: `/admin/api/v1/notifications/${n.id}/release`,
      headers: auth,
    });
    expect(released.json()).toMatchObject({ status: 'RELEASED' });
    expect(
      (
        await t.app.inject({ method: 'GET', url: '/admin/api/v1/notifications?status=FAILED', headers: auth })
      ).json().items,
    ).toEqual([]);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/admin/api/v1/notifications/${n.id}/release`,
          headers: auth,
        })
      ).statusCode,
    ).toBe(409);
    await t.c.db.rows(
      sql`update debt_position set notice_number = ${bad.noticeNumber} where iuv = ${bad.iuv}`,
    );
    const replayed = await t.app.inject({
      method: 'POST',
      url: `/admin/api/v1/notifications/${n.id}/replay`,
      headers: auth,
    });
    expect(replayed.statusCode).toBe(202);
    expect(replayed.json().status).toBe('WAITING');
    expect(await t.c.notifications.groupDue(0)).toBe(1);
    await until(() => iursOf(g).includes('rcpt-bad-1'), 'the replayed one', 10_000);
    // once in a message, a replay of the notification is refused (replay the delivery)
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/admin/api/v1/notifications/${n.id}/replay`,
          headers: auth,
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/admin/api/v1/notifications/999999/replay',
          headers: auth,
        })
      ).statusCode,
    ).toBe(404);
  });

  it('a group whose message fails for another reason is retried with backoff, then FAILED, while the next group goes on', async () => {
    // a fault in the enqueue of one ente's messages only (as a defect or a constraint would give)
    await t.c.db.rows(
      sql.raw(`create function test_refuse_outbound() returns trigger language plpgsql as $$
      begin if new.ente_id = (select id from ente where codice_fiscale = '${a.cf}') then raise exception 'test: enqueue refused'; end if; return new; end $$`),
    );
    await t.c.db.rows(
      sql`create trigger test_refuse_outbound before insert on outbound_message for each row execute function test_refuse_outbound()`,
    );
    try {
      const svc = new NotificationsService(t.c.db, {
        batchWindowMs: 0,
        maxGroupAttempts: 2,
        groupRetryBaseMs: 0,
      });
      const pa = await position(a, 'RETRY-A', 100);
      const pb = await position(b, 'RETRY-B', 200);
      await t.c.paForNode.sendReceipt(receipt(a.cf, pa, 'rcpt-retry-a', 100));
      await t.c.paForNode.sendReceipt(receipt(b.cf, pb, 'rcpt-retry-b', 200));
      await svc.groupDue(0); // a fails (attempt 1), b goes
      await until(() => iursOf(g).includes('rcpt-retry-b'), 'the other ente', 10_000);
      const look = async () =>
        (
          await t.app.inject({
            method: 'GET',
            url: `/admin/api/v1/enti/${a.cf}/notifications/${pa.iuv}`,
            headers: auth,
          })
        ).json().items[0];
      expect(await look()).toMatchObject({
        attempts: 1,
        lastError: expect.stringContaining('enqueue refused'),
      });
      expect(['RETRYING', 'WAITING']).toContain((await look()).status);
      await svc.groupDue(0); // attempt 2: FAILED
      expect(await look()).toMatchObject({ status: 'FAILED', attempts: 2 });
      expect(await svc.groupDue(0)).toBe(0);
    } finally {
      await t.c.db.rows(sql`drop trigger test_refuse_outbound on outbound_message`);
      await t.c.db.rows(sql`drop function test_refuse_outbound()`);
    }
    // the operator replays every FAILED notification once the cause is gone
    const r = await t.app.inject({
      method: 'POST',
      url: '/admin/api/v1/notifications/replay',
      headers: auth,
    });
    expect(r.json().replayed).toBeGreaterThanOrEqual(1);
    expect(await t.c.notifications.groupDue(0)).toBeGreaterThanOrEqual(1);
    await until(() => iursOf(g).includes('rcpt-retry-a'), 'the replayed group', 10_000);
  });
});
