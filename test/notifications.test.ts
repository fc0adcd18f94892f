/**
 * Payment notifications (TrasmettiNotifichePagamento), copies of the receipts (TrasmettiRT) and expired notices
 * (TrasmettiAvvisiScaduti) reaching a real HTTP listener playing the gestionale; every message valid against
 * EPaywso2EntiServiceTypes.xsd. A payment notification waits (WAITING_FOR_ENDPOINT) until an endpoint can take it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ADMIN_TOKEN, buildTestApp, type TestApp } from './helpers/app.js';
import { createEnteWithCaller, draft } from './helpers/fixtures.js';
import { startGestionale, type Gestionale, type Received } from './helpers/gestionale.js';
import { until } from './helpers/until.js';
import type { ReceiptInput } from '../src/modules/pagopa/domain/receipt.js';

const BROKER = '80087670016';
const STATION = '80087670016_01';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function receipt(
  cf: string,
  pos: { iuv: string; noticeNumber: string },
  receiptId: string,
  outcome: 'OK' | 'KO' = 'OK',
  amountCents = 1000,
): ReceiptInput {
  return {
    primitive: 'paSendRTV2',
    idPA: cf,
    idBrokerPA: BROKER,
    idStation: STATION,
    receiptId,
    noticeNumber: pos.noticeNumber,
    fiscalCode: cf,
    outcome,
    creditorReferenceId: pos.iuv,
    amountCents,
    debtor: { type: 'F', id: 'TSTPNI70D01L219V', fullName: 'Pino Test' },
    payer: {
      type: 'F',
      id: 'VRSMRA80A01L219X',
      fullName: 'Mario Versante Rossi',
      email: 'mario@example.org',
    },
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
    feeCents: 150,
    paymentDateTime: '2025-07-01T10:11:12',
    applicationDate: '2025-07-01',
    standIn: false,
    rawXml: `<paSendRTV2Request><receiptId>${receiptId}</receiptId></paSendRTV2Request>`,
  };
}

const notifiche = (g: Gestionale) =>
  [...g.applied.values()].filter((r) => r.operation === 'TrasmettiNotifichePagamento');
const iurs = (rs: Received[]) =>
  rs.flatMap((r) =>
    r.body.CorpoNotifichePagamento.ElencoNotifichePagamento.NotificaPagamento.map(
      (n: any) => n.DatiTransazionePSP.IUR,
    ),
  );

describe('notifications to the gestionale', () => {
  let t: TestApp;
  let g: Gestionale;
  let cf: string;
  let ctx: Awaited<ReturnType<typeof createEnteWithCaller>>['ctx'];

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
    const party = await createEnteWithCaller(t.c, { caller: 'GEST_NOTIFICHE' });
    cf = party.cf;
    ctx = party.ctx;
    await t.c.applications.update(party.caller, {
      endpoints: [
        { kind: 'TRASMETTI_NOTIFICHE_PAGAMENTO', url: g.url, username: 'gest', password: 'pw' },
        { kind: 'TRASMETTI_AVVISI_SCADUTI', url: g.url, username: 'gest', password: 'pw' },
        { kind: 'TRASMETTI_RT', url: g.url, username: 'gest', password: 'pw' },
      ],
    });
    t.c.loops.deliveries.start();
  });
  afterAll(async () => {
    await t.c.loops.deliveries.stop();
    await g.close();
    await t.close();
  });

  it('records a notification in the receipt transaction, for positive receipts only, and none when that transaction rolls back', async () => {
    const pos = await t.c.debtPositions.create(
      ctx,
      draft({ idPosizioneDebitoria: 'GEST-0', amountCents: 1000 }),
    );
    await t.c.paForNode.sendReceipt(receipt(cf, pos, 'rcpt-ko-0', 'KO'));
    const count = async () =>
      (await t.c.db.rows<{ n: number }>(sql`select count(*)::int as n from gestionale_notification`))[0]!.n;
    expect(await count()).toBe(0);
    await expect(
      t.c.db.transaction(async (tx) => {
        await tx.execute(sql`insert into receipt (ente_id, position_id, receipt_id, primitive, outcome, notice_number, iuv, fiscal_code, amount_cents, raw_xml)
          select ente_id, id, 'rcpt-rolled-back', 'paSendRTV2', 'OK', notice_number, iuv, ${cf}, amount_cents, '<x/>' from debt_position where iuv = ${pos.iuv}`);
        // drizzle types a raw statement's result as unknown
        const counted: unknown = await tx.execute(
          sql`select count(*)::int as n from gestionale_notification`,
        );
        expect((counted as { rows: { n: number }[] }).rows[0]!.n).toBe(1);
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect(await count()).toBe(0);
    await t.c.paForNode.sendReceipt(receipt(cf, pos, 'rcpt-ok-0'));
    expect(await count()).toBe(1);
  });

  it('groups the payments of a batching window in one XSD-valid message with PSP data, amounts and the position ids, and sends the RTs', async () => {
    const positions: { iuv: string; noticeNumber: string }[] = [];
    for (let i = 1; i <= 3; i++)
      positions.push(
        await t.c.debtPositions.create(
          ctx,
          draft({
            idPosizioneDebitoria: `GEST-${i}`,
            amountCents: 1000 * i,
            components: [{ amountCents: 1000 * i, causale: 'Quota' }],
            referenceYear: 2025,
          }),
        ),
      );
    for (const [i, pos] of positions.entries())
      await t.c.paForNode.sendReceipt(receipt(cf, pos, `rcpt-ok-${i + 1}`, 'OK', 1000 * (i + 1)));
    // the window (60 s) has not passed: nothing is grouped yet
    expect(await t.c.notifications.groupDue()).toBe(0);
    // once it has, the four pending payments go in one message
    expect(await t.c.notifications.groupDue(0)).toBe(4);
    await until(
      () => notifiche(g).length === 1 && [...g.applied.values()].some((r) => r.operation === 'TrasmettiRT'),
      'notification and RT',
      10_000,
    );
    const [msg] = notifiche(g);
    expect(msg!.body.Testata).toMatchObject({
      CFEnteCreditore: cf,
      CodiceVersamento: 'TARI',
      PagamentiSpontanei: 'false',
      NumeroPagamenti: '4',
      ImportoTotalePagamenti: '70.00',
    });
    const items = msg!.body.CorpoNotifichePagamento.ElencoNotifichePagamento.NotificaPagamento;
    expect(items.map((n: any) => n.IdPosizioneDebitoria)).toEqual(['GEST-0', 'GEST-1', 'GEST-2', 'GEST-3']);
    expect(items[2]).toMatchObject({
      IUV: positions[1]!.iuv,
      CodiceAvviso: positions[1]!.noticeNumber,
      ImportoPagato: '20.00',
      AnnoDiRiferimento: '2025',
      DataEsitoPagamento: '2025-07-01',
      SoggettoDebitore: {
        PersonaFisica: { Cognome: 'Test', Nome: 'Pino' },
        IdentificativoUnivocoFiscale: 'TSTPNI70D01L219V',
      },
      SoggettoVersante: {
        PersonaFisica: { Nome: 'Mario', Cognome: 'Versante Rossi' },
        IdentificativoUnivocoFiscale: 'VRSMRA80A01L219X',
        EMail: 'mario@example.org',
      },
      DatiTransazionePSP: {
        IdPSP: 'BCITITMM',
        RagioneSocialePSP: 'Banca di Prova',
        IUR: 'rcpt-ok-2',
        ImportoTransato: '21.50',
        ImportoCommissioni: '1.50',
        DataOraAvvioTransazione: '2025-07-01T10:11:12',
      },
    });
    const rt = [...g.applied.values()].find((r) => r.operation === 'TrasmettiRT')!;
    expect(rt.body.Testata.NumeroRT).toBe('4');
    expect(Buffer.from(rt.body.CorpoRT.ElencoRT.RT[1].XML, 'base64').toString('utf8')).toContain(
      '<receiptId>rcpt-ok-1</receiptId>',
    );
    expect(g.invalid).toEqual([]);

    // lookup: the position's notification and the delivery that carried it
    const lookup = () =>
      t.app.inject({
        method: 'GET',
        url: `/admin/api/v1/enti/${cf}/notifications/${positions[0]!.iuv}`,
        headers: auth,
      });
    // the gestionale answered; the sender records the outcome right after
    await until(
      async () => (await lookup()).json().deliveries.every((d: any) => d.status === 'DELIVERED'),
      'recorded deliveries',
      5_000,
    );
    const look = await lookup();
    expect(look.statusCode).toBe(200);
    expect(look.json().items).toEqual([
      expect.objectContaining({ kind: 'PAYMENT', receiptId: 'rcpt-ok-1', idMessaggio: msg!.idMessaggio }),
    ]);
    expect(
      look
        .json()
        .deliveries.map((d: any) => d.operation)
        .sort(),
    ).toEqual(['TrasmettiNotifichePagamento', 'TrasmettiRT']);
    expect(look.json().deliveries.every((d: any) => d.status === 'DELIVERED')).toBe(true);
  });

  it('delivers every notification once after the gestionale was down', async () => {
    g.mode = { kind: 'http', status: 502 };
    const before = new Set(iurs(notifiche(g)));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const pos = await t.c.debtPositions.create(ctx, draft({ idPosizioneDebitoria: `DOWN-${i}` }));
      await t.c.paForNode.sendReceipt(receipt(cf, pos, `rcpt-down-${i}`));
      ids.push(`rcpt-down-${i}`);
      await t.c.notifications.groupDue(0); // one message each
    }
    await until(
      () =>
        g.requests.filter((r) => r.operation === 'TrasmettiNotifichePagamento' && !before.has(r.idMessaggio))
          .length >= 10,
      'retries',
      15_000,
    );
    g.mode = { kind: 'ok' };
    await until(
      () => ids.every((id) => iurs(notifiche(g)).includes(id)),
      'notifications after the gestionale is back',
      15_000,
    );
    const all = iurs(notifiche(g));
    expect(all.length).toBe(new Set(all).size); // none applied twice
    expect(g.invalid).toEqual([]);
  });

  it('announces a position that expires unpaid once, from its status history', async () => {
    const pos = await t.c.debtPositions.create(
      ctx,
      draft({
        idPosizioneDebitoria: 'EXP-1',
        amountCents: 4200,
        components: [{ amountCents: 4200, causale: 'Quota' }],
        dueDate: '2099-01-31',
        validTo: '2099-01-31',
      }),
    );
    await t.c.db.rows(
      sql`update debt_position set valid_to = '2020-01-31', due_date = '2020-01-31' where iuv = ${pos.iuv}`,
    );
    expect(await t.c.debtPositions.sweepCalendarTransitions()).toBeGreaterThanOrEqual(1);
    // a second EXPIRED row for the same position (extended, expired again) is not announced again
    await t.c.db.rows(
      sql`insert into debt_position_status_history (position_id, from_status, to_status, actor) select id, 'PAYABLE', 'EXPIRED', 'test' from debt_position where iuv = ${pos.iuv}`,
    );
    expect(await t.c.notifications.groupDue(0)).toBe(1);
    await until(
      () => [...g.applied.values()].some((r) => r.operation === 'TrasmettiAvvisiScaduti'),
      'expired notice',
      10_000,
    );
    const avvisi = [...g.applied.values()].filter((r) => r.operation === 'TrasmettiAvvisiScaduti');
    expect(avvisi).toHaveLength(1);
    expect(avvisi[0]!.body.Testata).toMatchObject({
      NumeroAvvisiScaduti: '1',
      ImportoTotaleAvvisiScaduti: '42.00',
    });
    expect(avvisi[0]!.body.CorpoAvvisiScaduti.ElencoAvvisiScaduti.AvvisoScaduto).toEqual([
      { IUV: pos.iuv, DataScadenza: '2020-01-31', Importo: '42.00' },
    ]);
    expect(await t.c.notifications.groupDue(0)).toBe(0);
    expect(g.invalid).toEqual([]);
  });

  it('the worker groups due notifications by itself once the window has passed', async () => {
    const pos = await t.c.debtPositions.create(ctx, draft({ idPosizioneDebitoria: 'LOOP-1' }));
    await t.c.paForNode.sendReceipt(receipt(cf, pos, 'rcpt-loop-1'));
    await t.c.db.rows(
      sql`update gestionale_notification set created_at = created_at - interval '61 seconds' where id_messaggio is null`,
    );
    t.c.loops.notifications.start();
    try {
      await until(
        () => iurs(notifiche(g)).includes('rcpt-loop-1'),
        'notification by the worker loop',
        10_000,
      );
    } finally {
      await t.c.loops.notifications.stop();
    }
  });
});

describe('payment notifications waiting for an endpoint', () => {
  let t: TestApp;
  let g: Gestionale;

  beforeAll(async () => {
    t = await buildTestApp({
      env: {
        CASSA_ID_BROKER_PA: '80087670016',
        CASSA_ID_STATION: '80087670016_01',
        CASSA_NOTIFICATION_BATCH_WINDOW_MS: '0',
      },
    });
    g = await startGestionale();
  });
  afterAll(async () => {
    await g.close();
    await t.close();
  });

  it('keeps them pending (WAITING_FOR_ENDPOINT) while nobody can receive them, and sends them once an endpoint appears', async () => {
    const party = await createEnteWithCaller(t.c, { caller: 'REV_NOTIF' });
    const pos = await t.c.debtPositions.create(party.ctx, draft({ idPosizioneDebitoria: 'REV-N-1' }));
    const receipt: ReceiptInput = {
      primitive: 'paSendRTV2',
      idPA: party.cf,
      idBrokerPA: '80087670016',
      idStation: '80087670016_01',
      receiptId: 'rev-rcpt-1',
      noticeNumber: pos.noticeNumber,
      fiscalCode: party.cf,
      outcome: 'OK',
      creditorReferenceId: pos.iuv,
      amountCents: 1000,
      debtor: { type: 'F', id: 'TSTPNI70D01L219V', fullName: 'Pino Test' },
      payer: { type: 'F', id: 'TSTPNI70D01L219V', fullName: 'Pino Test' },
      transfers: [
        {
          idTransfer: '1',
          amountCents: 1000,
          fiscalCodePA: party.cf,
          remittanceInformation: 'Quota',
          transferCategory: '9/0101108TS/',
        },
      ],
      idPSP: 'BCITITMM',
      pspCompanyName: 'Banca di Prova',
      paymentMethod: 'CP',
      feeCents: 0,
      paymentDateTime: '2025-07-01T10:11:12',
      applicationDate: '2025-07-01',
      standIn: false,
      rawXml: '<paSendRTV2Request><receiptId>rev-rcpt-1</receiptId></paSendRTV2Request>',
    };
    await t.c.paForNode.sendReceipt(receipt);
    expect(await t.c.notifications.groupDue(0)).toBe(0);
    const lookup = async () =>
      (
        await t.app.inject({
          method: 'GET',
          url: `/admin/api/v1/enti/${party.cf}/notifications/${pos.iuv}`,
          headers: auth,
        })
      ).json();
    const waiting = await lookup();
    expect(waiting.items).toEqual([
      expect.objectContaining({
        kind: 'PAYMENT',
        status: 'WAITING_FOR_ENDPOINT',
        idMessaggio: null,
        createdAt: expect.stringMatching(ISO),
      }),
    ]);

    await t.c.applications.update(party.caller, {
      endpoints: [{ kind: 'TRASMETTI_NOTIFICHE_PAGAMENTO', url: g.url, username: 'u', password: 'p' }],
    });
    expect(await t.c.notifications.groupDue(0)).toBe(1);
    await t.c.deliverySender.sendDueOnce();
    await until(
      () => [...g.applied.values()].some((r) => r.operation === 'TrasmettiNotifichePagamento'),
      'the notification',
      5_000,
    );
    const grouped = await lookup();
    expect(grouped.items[0]).toMatchObject({ status: 'GROUPED', groupedAt: expect.stringMatching(ISO) });
    expect(g.invalid).toEqual([]);
  });
});
