/**
 * Review of the gestionali (issue 5): outcome codes valid against the XSD, blank identifiers, decimals as the XSD
 * allows them, ISO-8859-1 lists, missing Content-Type, credentials before the XSD, fines (amount without debtor,
 * references on a non-ANONIMO position), debtor names compared without case, claims per endpoint, late answers of
 * an expired lease, the size of the gestionale's answer, ISO timestamps, and payment notifications waiting for an
 * endpoint.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';
import { createEnteWithCaller, draft } from './helpers/fixtures.js';
import { envelope, insertListXml, piemontePaySchemas, readAck, updateListXml } from './lists-fixtures.js';
import { startGestionale, until, type Gestionale } from './deliveries-gestionale.js';
import { enqueueDelivery } from '../src/modules/gestionali/application/deliveries.js';
import { claimDueMessages, recordAttempt } from '../src/modules/gestionali/infra/deliveries-repository.js';
import { newIdMessaggio } from '../src/modules/gestionali/domain/notifications.js';
import { trasmettiAvvisiScaduti } from '../src/modules/gestionali/infra/piemontepay-xml/notification-writer.js';
import type { ReceiptInput } from '../src/modules/pagopa/domain/receipt.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SRV = 'http://www.csi.it/epay/epaywso/enti2epaywso/types';
const CMN = 'http://www.csi.it/epay/epaywso/types';

describe('liste di carico (review)', () => {
  const now = new Date('2026-03-10T10:00:00Z');
  let t: TestApp;
  let fx: Awaited<ReturnType<typeof createEnteWithCaller>>;
  let auth: string;

  beforeAll(async () => {
    t = await buildTestApp({ clock: () => now });
    fx = await createEnteWithCaller(t.c);
    auth = basic(fx.caller, fx.passphrase);
  });
  afterAll(async () => {
    await t?.close();
  });

  const send = (
    payload: string | Buffer,
    headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8' },
    authorization = auth,
  ) =>
    t.app.inject({
      method: 'POST',
      url: '/soap/Enti2EPaywsoService',
      headers: { ...headers, authorization },
      payload,
    });
  const ack = async (xml: string | Buffer, headers?: Record<string, string>) => {
    const res = await send(xml, headers);
    expect(res.statusCode).toBe(200);
    return readAck(res.body);
  };
  const processAll = async () => {
    while (await t.c.lists.processNext());
  };
  const rows = async <T>(text: string, values: unknown[] = []) =>
    (await t.c.db.executeSql(text, values)).rows as T[];
  const outcome = async (idMessaggio: string, operation = 'EsitoInserimentoListaDiCarico') => {
    const [m] = await rows<{ body_xml: string }>(
      'select body_xml from outbound_message where id_messaggio = $1 and operation = $2',
      [idMessaggio, operation],
    );
    expect(m).toBeDefined();
    expect(piemontePaySchemas().epaywso2enti.checkElement(m!.body_xml)).toEqual([]);
    return [
      ...m!.body_xml.matchAll(
        /<cmn:IdPosizioneDebitoria>([^<]*)<\/cmn:IdPosizioneDebitoria>.*?<cmn:CodiceEsito>(\d{3})<\/cmn:CodiceEsito>(?:<cmn:DescrizioneEsito>([^<]*)<\/cmn:DescrizioneEsito>)?/g,
      ),
    ].map((x) => ({ id: x[1], code: x[2], description: x[3] }));
  };
  const position = async (id: string) =>
    (
      await rows<{ amount: number; debtor: string; causale: string; name: string | null }>(
        'select amount_cents::int as amount, debtor_fiscal_code as debtor, causale, debtor_name as name from debt_position where id_posizione_debitoria = $1',
        [id],
      )
    )[0];

  it('answers multi-beneficiary positions and inconsistent components with codes the outcome XSD allows (no 300)', async () => {
    let xml = insertListXml({
      idMessaggio: 'REV-300',
      cf: fx.cf,
      code: fx.code,
      positions: [
        { id: 'REV-MULTI', amount: '10.00' },
        {
          id: 'REV-COMP',
          amount: '10.00',
          components: [
            { amount: '10.00', causale: 'A' },
            { amount: '0.00', causale: 'B' },
          ],
        },
      ],
    });
    xml = xml.replace(
      '<srv:ImportoTotale>10.00</srv:ImportoTotale>',
      '<srv:ImportoTotale>10.00</srv:ImportoTotale><srv:ImportoSecondarioAltroEnte>1.00</srv:ImportoSecondarioAltroEnte>',
    );
    expect((await ack(xml)).code).toBe('000');
    await processAll();
    const items = await outcome('REV-300');
    expect(items).toEqual([
      { id: 'REV-MULTI', code: '100', description: expect.stringMatching(/multibeneficiario/) },
      { id: 'REV-COMP', code: '100', description: expect.stringMatching(/ComponenteImporto\[2\]\/Importo/) },
    ]);
  });

  it('refuses at once a blank IdMessaggio or IdPosizioneDebitoria, which the outcome could not echo (101, nothing stored)', async () => {
    const blankId = insertListXml({
      idMessaggio: 'REV-BLANK',
      cf: fx.cf,
      code: fx.code,
      positions: [{ id: '   ', amount: '10.00' }],
    });
    expect(await ack(blankId)).toMatchObject({
      code: '101',
      message: expect.stringMatching(/IdPosizioneDebitoria/),
    });
    const blankMessage = insertListXml({
      idMessaggio: '  ',
      cf: fx.cf,
      code: fx.code,
      positions: [{ id: 'REV-BLANK-MSG', amount: '10.00' }],
    });
    expect(await ack(blankMessage)).toMatchObject({
      code: '101',
      message: expect.stringMatching(/IdMessaggio/),
    });
    expect(
      await rows('select id from load_list where id_messaggio in ($1, $2, $3)', ['REV-BLANK', '', '  ']),
    ).toEqual([]);
  });

  it('reads every decimal form the XSD accepts (".50", "+10.00", "10", "7.500", "28.0" in the header)', async () => {
    const xml = insertListXml({
      idMessaggio: 'REV-DEC',
      cf: fx.cf,
      code: fx.code,
      total: '+28.0',
      positions: [
        { id: 'REV-DEC-1', amount: '.50' },
        { id: 'REV-DEC-2', amount: '+10.00' },
        { id: 'REV-DEC-3', amount: '10' },
        { id: 'REV-DEC-4', amount: '7.500' },
      ],
    });
    expect((await ack(xml)).code).toBe('000');
    await processAll();
    expect((await outcome('REV-DEC')).map((i) => i.code)).toEqual(['000', '000', '000', '000']);
    expect(
      (await Promise.all(['REV-DEC-1', 'REV-DEC-2', 'REV-DEC-3', 'REV-DEC-4'].map(position))).map(
        (p) => p!.amount,
      ),
    ).toEqual([50, 1000, 1000, 750]);
    // a header total that differs is still 155, not a generic error
    const wrong = insertListXml({
      idMessaggio: 'REV-DEC-2',
      cf: fx.cf,
      code: fx.code,
      total: '.01',
      positions: [{ id: 'REV-DEC-5', amount: '1' }],
    });
    expect((await ack(wrong)).code).toBe('155');
  });

  it('decodes a list sent in ISO-8859-1, and answers a request without Content-Type with a SOAP acknowledgement', async () => {
    const xml = insertListXml({
      idMessaggio: 'REV-LATIN1',
      cf: fx.cf,
      code: fx.code,
      positions: [{ id: 'REV-LATIN1', amount: '5.00', causale: 'Tassa più àccessori' }],
    }).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    expect((await ack(Buffer.from(xml, 'latin1'), { 'content-type': 'text/xml' })).code).toBe('000');
    await processAll();
    expect((await position('REV-LATIN1'))!.causale).toBe('Tassa più àccessori');

    const noType = await send(Buffer.from('not xml at all'), {});
    expect(noType.statusCode).toBe(200);
    expect(readAck(noType.body).code).toBe('101');
  });

  it('checks the credentials before the body: 401 for a wrong passphrase whatever the body', async () => {
    const res = await send('not xml at all', { 'content-type': 'text/xml' }, basic(fx.caller, 'wrong'));
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Fault');
  });

  it('fines: the amount alone cannot activate an ANONIMO fine, references only on ANONIMO positions, debtor names compared without case', async () => {
    const ins = insertListXml({
      idMessaggio: 'REV-FINE',
      cf: fx.cf,
      code: fx.code,
      positions: [
        { id: 'REV-FINE-1', amount: '0.00', cf: 'ANONIMO', references: [{ name: 'VERBALE', value: '123' }] },
        { id: 'REV-NOTANON', amount: '10.00', name: 'Pino', surname: 'Test', cf: 'TSTPNI70D01L219V' },
      ],
    });
    expect((await ack(ins)).code).toBe('000');
    await processAll();
    expect((await outcome('REV-FINE')).map((i) => i.code)).toEqual(['000', '000']);

    const amountOnly = updateListXml({
      idMessaggio: 'REV-FINE-U1',
      cf: fx.cf,
      code: fx.code,
      updates: [{ tipo: 'MODIFICA', id: 'REV-FINE-1', amount: '50.00' }],
    });
    expect((await ack(amountOnly, undefined)).code).toBe('000');
    await processAll();
    const [refused] = await outcome('REV-FINE-U1', 'EsitoAggiornaPosizioniDebitorie');
    expect(refused).toMatchObject({
      id: 'REV-FINE-1',
      code: '100',
      description: expect.stringMatching(/SoggettoPagatore/),
    });
    expect(await position('REV-FINE-1')).toMatchObject({ amount: 0, debtor: 'ANONIMO' });

    // then debtor and amount together activate it
    const both = updateListXml({
      idMessaggio: 'REV-FINE-U2',
      cf: fx.cf,
      code: fx.code,
      updates: [
        {
          tipo: 'MODIFICA',
          id: 'REV-FINE-1',
          amount: '50.00',
          debtor: { cf: 'RSSMRA80A01L219M', name: 'Mario', surname: 'Rossi' },
        },
      ],
    });
    expect((await ack(both)).code).toBe('000');
    await processAll();
    expect((await outcome('REV-FINE-U2', 'EsitoAggiornaPosizioniDebitorie'))[0]!.code).toBe('000');
    expect(await position('REV-FINE-1')).toMatchObject({ amount: 5000, debtor: 'RSSMRA80A01L219M' });

    // RiferimentiPagamento on a MODIFICA of a position that is not ANONIMO: 194; the same debtor in capitals: accepted
    const refs = envelope(
      `<srv:AggiornaPosizioniDebitorieRequest xmlns:srv="${SRV}" xmlns:cmn="${CMN}"><srv:Testata><srv:IdMessaggio>REV-FINE-U3</srv:IdMessaggio><srv:CFEnteCreditore>${fx.cf}</srv:CFEnteCreditore>` +
        `<srv:CodiceVersamento>${fx.code}</srv:CodiceVersamento><srv:NumeroPosizioniDebitorie>2</srv:NumeroPosizioniDebitorie></srv:Testata><srv:ElencoPosizioniDaAggiornare><srv:PosizioniDaAggiornare>` +
        `<srv:PosizioneDaAggiornare><srv:TipoAggiornamento>MODIFICA</srv:TipoAggiornamento><srv:IdPosizioneDebitoria>REV-NOTANON</srv:IdPosizioneDebitoria>` +
        `<srv:RiferimentiPagamento><srv:Riferimento><srv:Nome>VERBALE</srv:Nome><srv:Valore>9</srv:Valore></srv:Riferimento></srv:RiferimentiPagamento></srv:PosizioneDaAggiornare>` +
        `<srv:PosizioneDaAggiornare><srv:TipoAggiornamento>MODIFICA</srv:TipoAggiornamento><srv:IdPosizioneDebitoria>REV-NOTANON</srv:IdPosizioneDebitoria><srv:ImportoTotale>12.00</srv:ImportoTotale>` +
        `<srv:SoggettoPagatore><cmn:PersonaFisica><cmn:Cognome>TEST</cmn:Cognome><cmn:Nome>PINO</cmn:Nome></cmn:PersonaFisica><cmn:IdentificativoUnivocoFiscale>tstpni70d01l219v</cmn:IdentificativoUnivocoFiscale></srv:SoggettoPagatore>` +
        `</srv:PosizioneDaAggiornare></srv:PosizioniDaAggiornare></srv:ElencoPosizioniDaAggiornare></srv:AggiornaPosizioniDebitorieRequest>`,
    );
    expect((await ack(refs)).code).toBe('000');
    await processAll();
    expect((await outcome('REV-FINE-U3', 'EsitoAggiornaPosizioniDebitorie')).map((i) => i.code)).toEqual([
      '194',
      '000',
    ]);
    expect(await position('REV-NOTANON')).toMatchObject({ amount: 1200 });
  });

  it('refuses loudly to enqueue a body that is not valid against EPaywso2EntiServiceTypes.xsd, storing nothing', async () => {
    const [ids] = await rows<{ ente: number; pt: number; app: number }>(
      `select e.id::int as ente, pt.id::int as pt, a.id::int as app from ente e join payment_type pt on pt.ente_id = e.id, application a where e.codice_fiscale = $1 and a.codice_chiamante = $2`,
      [fx.cf, fx.caller],
    );
    const bad = `<ent:EsitoInserimentoListaDiCaricoRequest xmlns:ent="http://www.csi.it/epay/epaywso/epaywso2enti/types" xmlns:cmn="${CMN}"><cmn:Result><cmn:Codice>300</cmn:Codice></cmn:Result></ent:EsitoInserimentoListaDiCaricoRequest>`;
    await expect(
      t.c.db.transaction((tx) =>
        enqueueDelivery(tx, {
          enteId: ids!.ente,
          paymentTypeId: ids!.pt,
          kind: 'ESITO_INSERIMENTO_LISTA_DI_CARICO',
          applicationId: ids!.app,
          operation: 'EsitoInserimentoListaDiCarico',
          idMessaggio: 'REV-INVALID',
          bodyXml: bad,
        }),
      ),
    ).rejects.toMatchObject({ code: 'DELIVERY_INVALID_BODY' });
    expect(await rows('select id from outbound_message where id_messaggio = $1', ['REV-INVALID'])).toEqual(
      [],
    );
  });
});

// -------------------------------------------------------------------------------------------------------------

interface Party {
  cf: string;
  code: string;
  enteId: number;
  paymentTypeId: number;
  applicationId: number;
}

async function partyFor(
  t: TestApp,
  url: string,
  opts: { cf: string; seg: string; caller: string },
): Promise<Party> {
  const { cf, code, caller } = await createEnteWithCaller(t.c, opts);
  await t.c.applications.update(caller, {
    endpoints: [{ kind: 'TRASMETTI_AVVISI_SCADUTI', url, username: 'u', password: 'p' }],
  });
  const { enteId, paymentTypeId } = await t.c.organizations.resolveIds(cf, code);
  const [app] = await t.c.db.rows<{ id: number }>(
    sql`select id::int as id from application where codice_chiamante = ${caller}`,
  );
  return { cf, code, enteId, paymentTypeId, applicationId: app!.id };
}

async function enqueue(t: TestApp, p: Party, iuv = '01000000000000123'): Promise<string> {
  const idMessaggio = newIdMessaggio('AS');
  const bodyXml = trasmettiAvvisiScaduti({ idMessaggio, enteFiscalCode: p.cf, codiceVersamento: p.code }, [
    { iuv, dueDate: '2025-01-31', amountCents: 1234 },
  ]);
  await t.c.db.transaction((tx) =>
    enqueueDelivery(tx, {
      enteId: p.enteId,
      paymentTypeId: p.paymentTypeId,
      kind: 'TRASMETTI_AVVISI_SCADUTI',
      applicationId: p.applicationId,
      operation: 'TrasmettiAvvisiScaduti',
      idMessaggio,
      bodyXml,
    }),
  );
  return idMessaggio;
}

const statusOf = async (t: TestApp, idMessaggio: string) =>
  (
    await t.c.db.rows<{ id: number; status: string; attempts: number; lastError: string | null }>(sql`
    select id::int as id, status, attempts, last_error as "lastError" from outbound_message where id_messaggio = ${idMessaggio}`)
  )[0]!;

describe('deliveries (review)', () => {
  let t: TestApp;
  let hanging: Gestionale;
  let healthy: Gestionale;
  let big: Server;
  let bigUrl: string;

  beforeAll(async () => {
    t = await buildTestApp({
      env: {
        CASSA_DELIVERY_TIMEOUT_MS: '8000',
        CASSA_DELIVERY_CONCURRENCY: '4',
        CASSA_DELIVERY_PER_ENDPOINT: '2',
        CASSA_DELIVERY_RETRY_BASE_MS: '60000',
        CASSA_DELIVERY_RETRY_CAP_MS: '60000',
        CASSA_DELIVERY_POLL_MS: '20',
      },
    });
    hanging = await startGestionale();
    healthy = await startGestionale();
    // a "gestionale" that answers 2 MB
    big = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end('<x>' + 'a'.repeat(2 * 1024 * 1024) + '</x>');
      });
    });
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    bigUrl = `http://127.0.0.1:${(big.address() as { port: number }).port}/EPaywso2EntiService`;
  });
  afterAll(async () => {
    await hanging.close();
    await t.c.loops.deliveries.stop();
    await healthy.close();
    await new Promise((resolve) => big.close(resolve));
    await t.close();
  });

  it('does not read more than 1 MB of the answer', async () => {
    const p = await partyFor(t, bigUrl, { cf: '00429440068', seg: '04', caller: 'REV_BIG' });
    const id = await enqueue(t, p, '04000000000001000');
    await t.c.deliverySender.sendDueOnce();
    const s = await statusOf(t, id);
    expect(s.attempts).toBe(1);
    expect(s.status).not.toBe('DELIVERED');
    expect(s.lastError).toMatch(/larger than 1048576 bytes/);
  });

  it("does not let the late answer of an expired lease overwrite the newer claim's attempt", async () => {
    const p = await partyFor(t, healthy.url, { cf: '01307110484', seg: '05', caller: 'REV_LEASE' });
    // only this message is due
    await t.c.db.executeSql(
      `update outbound_message set next_attempt_at = now() + interval '1 hour' where status <> 'DELIVERED'`,
      [],
    );
    const id = await enqueue(t, p, '05000000000001000');
    const [first] = await claimDueMessages(t.c.db, 10, 60_000, 2, [], () => 2);
    expect(first?.idMessaggio).toBe(id);
    // the lease ends (the worker is presumed dead) and another claim takes it
    await t.c.db.executeSql(
      `update outbound_message set next_attempt_at = now() - interval '1 second' where id_messaggio = $1`,
      [id],
    );
    const [second] = await claimDueMessages(t.c.db, 10, 60_000, 2, [], () => 2);
    expect(second?.id).toBe(first!.id);
    expect(second!.claimToken).not.toBe(first!.claimToken);
    const record = (claimToken: number, delivered: boolean) =>
      recordAttempt(t.c.db, {
        messageId: first!.id,
        claimToken,
        attempt: 1,
        startedAt: new Date(),
        durationMs: 1,
        endpointId: null,
        endpointUrl: healthy.url,
        httpStatus: delivered ? 200 : 500,
        resultCode: delivered ? '000' : null,
        delivered,
        outcome: delivered ? 'OK' : 'HTTP_ERROR',
        error: delivered ? null : 'HTTP 500',
        nextAttemptInMs: 60_000,
        nextStatus: 'PENDING',
      });
    // the newer attempt ends first (HTTP 500), then the old one's late answer arrives: it changes nothing
    await record(second!.claimToken, false);
    await record(first!.claimToken, true);
    expect(await statusOf(t, id)).toMatchObject({ status: 'PENDING', lastError: 'HTTP 500' });
    const attempts = await t.c.db.rows<{ n: number }>(
      sql`select count(*)::int as n from outbound_attempt where message_id = ${first!.id}`,
    );
    expect(attempts[0]!.n).toBe(1);
  });

  it('chooses candidates per endpoint: many due messages to a hanging gestionale do not hide one to a healthy gestionale', async () => {
    const a = await partyFor(t, hanging.url, { cf: '15376371009', seg: '02', caller: 'REV_HANG' });
    const b = await partyFor(t, healthy.url, { cf: '80087670016', seg: '03', caller: 'REV_OK' });
    hanging.mode = { kind: 'hang' };
    const stuck: string[] = [];
    // older than the healthy one, and more than the claim's candidates (limit × 4 = 16)
    for (let i = 0; i < 40; i++) stuck.push(await enqueue(t, a, `020000000000${String(10000 + i)}`));
    const flowing = await enqueue(t, b, '03000000000001000');
    t.c.loops.deliveries.start();
    await until(
      async () => (await statusOf(t, flowing)).status === 'DELIVERED',
      6_000,
      "the healthy gestionale's delivery",
    );
    expect(healthy.applied.has(flowing)).toBe(true);
    // the hanging gestionale has answered nothing yet: its messages are still waiting or being sent
    const states = await Promise.all(stuck.map((id) => statusOf(t, id)));
    expect(states.every((s) => s.attempts === 0 && (s.status === 'PENDING' || s.status === 'SENDING'))).toBe(
      true,
    );
    expect(hanging.requests.length).toBeLessThanOrEqual(2);
  });

  it('gives ISO 8601 timestamps in the admin deliveries API', async () => {
    const list = await t.app.inject({
      method: 'GET',
      url: '/admin/api/v1/deliveries?limit=5',
      headers: admin,
    });
    expect(list.statusCode).toBe(200);
    const item = list.json().items[0];
    expect(item.createdAt).toMatch(ISO);
    expect(item.updatedAt).toMatch(ISO);
    expect(item.nextAttemptAt).toMatch(ISO);
    const detail = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/deliveries/${item.id}`,
      headers: admin,
    });
    for (const a of detail.json().attemptLog) expect(a.startedAt).toMatch(ISO);
  });
});

// -------------------------------------------------------------------------------------------------------------

describe('payment notifications waiting for an endpoint (review)', () => {
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
          headers: admin,
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
      5_000,
      'the notification',
    );
    const grouped = await lookup();
    expect(grouped.items[0]).toMatchObject({ status: 'GROUPED', groupedAt: expect.stringMatching(ISO) });
    expect(g.invalid).toEqual([]);
  });
});
