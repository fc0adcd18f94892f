/**
 * The demo gestionale's EPaywso2EntiService (demo-gestionale/src/epaywso2enti): directly (credentials, XSD,
 * duplicates, the six operations), and the closed loop of seed 000 with real processes in-process — Cassa on a
 * real port with its notification and delivery loops, the pagoPA simulator, the demo gestionale: a payment at
 * the PSP becomes "pagato (definitivo)" only when Cassa's TrasmettiNotifichePagamento reaches the gestionale.
 */
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoGestionale, type DemoGestionale } from '../demo-gestionale/src/app.js';
import { DEMO_SOAP_CREDENTIALS, gestionaleConfig } from '../demo-gestionale/src/config.js';
import { CREATED_POSITIONS, DEMO_CITIZEN, MANUAL_POSITION } from '../demo-gestionale/src/demo-positions.js';
import { DEMO, DEMO_GESTIONALE, demoGestionaleEndpoints, seedDemo } from '../src/app/demo-seed.js';
import { listsLoop } from '../src/jobs/worker-loops.js';
import type { ClaimLoop } from '../src/jobs/claim-loop.js';
import { gestionaleCsrf } from './helpers/demo-gestionale-csrf.js';
import { piemontePaySchemas, readAck } from './helpers/lists.js';
import { startLiveCassa, startSimulator, type LiveCassa } from './helpers/live.js';
import { until } from './helpers/until.js';

const ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const SRV = 'http://www.csi.it/epay/epaywso/epaywso2enti/types';
const CMN = 'http://www.csi.it/epay/epaywso/types';
const PATH = '/soap/EPaywso2EntiService';
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`, 'utf8').toString('base64')}`;
const GOOD_AUTH = basic(DEMO_SOAP_CREDENTIALS.user, DEMO_SOAP_CREDENTIALS.password);

const envelope = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${ENV}" xmlns:srv="${SRV}" xmlns:cmn="${CMN}"><soapenv:Header/><soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`;
const testata = (id: string, extra: string) =>
  `<srv:Testata><srv:IdMessaggio>${id}</srv:IdMessaggio><srv:CFEnteCreditore>${DEMO.ente}</srv:CFEnteCreditore><srv:CodiceVersamento>BIBL</srv:CodiceVersamento>${extra}</srv:Testata>`;
const debitore = `<cmn:PersonaFisica><cmn:Cognome>Test</cmn:Cognome><cmn:Nome>Pino</cmn:Nome></cmn:PersonaFisica><cmn:IdentificativoUnivocoFiscale>TSTPNI70D01L219V</cmn:IdentificativoUnivocoFiscale>`;

function notifica(id: string, iuv: string, iur: string, importo = '100.00'): string {
  return envelope(
    `<srv:TrasmettiNotifichePagamentoRequest>${testata(id, `<srv:PagamentiSpontanei>false</srv:PagamentiSpontanei><srv:NumeroPagamenti>1</srv:NumeroPagamenti><srv:ImportoTotalePagamenti>${importo}</srv:ImportoTotalePagamenti>`)}` +
      `<srv:CorpoNotifichePagamento><srv:ElencoNotifichePagamento><srv:NotificaPagamento><srv:IdPosizioneDebitoria>POS-${iuv}</srv:IdPosizioneDebitoria><srv:IUV>${iuv}</srv:IUV>` +
      `<srv:ImportoPagato>${importo}</srv:ImportoPagato><srv:DataEsitoPagamento>2025-07-01</srv:DataEsitoPagamento><srv:SoggettoDebitore>${debitore}</srv:SoggettoDebitore>` +
      `<srv:DatiTransazionePSP><srv:IdPSP>BCITITMM</srv:IdPSP><srv:RagioneSocialePSP>Banca di Prova</srv:RagioneSocialePSP><srv:DataOraAvvioTransazione>2025-07-01T10:11:12</srv:DataOraAvvioTransazione><srv:IUR>${iur}</srv:IUR></srv:DatiTransazionePSP>` +
      `</srv:NotificaPagamento></srv:ElencoNotifichePagamento></srv:CorpoNotifichePagamento></srv:TrasmettiNotifichePagamentoRequest>`,
  );
}

describe("the demo gestionale's EPaywso2EntiService, directly", () => {
  let g: DemoGestionale;
  const post = (
    xml: string,
    authorization: string | null = GOOD_AUTH,
    operation = 'TrasmettiNotifichePagamento',
  ) =>
    g.inject({
      method: 'POST',
      url: PATH,
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: `"http://www.csi.it/epay/epaywso/service/${operation}"`,
        ...(authorization ? { authorization } : {}),
      },
      payload: xml,
    });
  const manual = () => g.gestionale.store.position(MANUAL_POSITION.iuv)!;

  beforeAll(async () => {
    g = await buildDemoGestionale(
      gestionaleConfig({ port: 0, seedOnStart: false, publicUrl: 'http://gest.example:8070' }),
    );
    await g.gestionale.loadDemoPositions();
  });
  afterAll(async () => {
    await g.close();
  });

  it('serves the WSDL with its address rewritten, and the XSDs it imports', async () => {
    const wsdl = await g.inject({ method: 'GET', url: `${PATH}?wsdl` });
    expect(wsdl.statusCode).toBe(200);
    expect(wsdl.body).toContain(
      '<soap:address location="http://gest.example:8070/soap/EPaywso2EntiService"/>',
    );
    expect(wsdl.body).toContain(
      'schemaLocation="http://gest.example:8070/soap/EPaywso2EntiService?xsd=EPaywso2EntiServiceTypes.xsd"',
    );
    const xsd = await g.inject({ method: 'GET', url: `${PATH}?xsd=EPaywsoCommonTypes.xsd` });
    expect(xsd.body).toContain('name="EPaywsoServiceResponse"');
    expect((await g.inject({ method: 'GET', url: `${PATH}?xsd=../../etc/passwd` })).statusCode).toBe(404);
  });

  it('refuses missing or wrong Basic credentials with 401 and applies nothing', async () => {
    for (const auth of [
      null,
      basic(DEMO_SOAP_CREDENTIALS.user, 'sbagliata'),
      basic('altro', DEMO_SOAP_CREDENTIALS.password),
    ]) {
      const res = await post(notifica('MSG-AUTH', MANUAL_POSITION.iuv, 'IUR-AUTH'), auth);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toContain('Basic');
      expect(res.body).toContain('Fault');
    }
    expect(manual().state).not.toBe('PAGATO_DEFINITIVO');
    // the same message with the right credentials is not a duplicate: nothing was applied before
    expect(g.gestionale.inbox.wasApplied('TrasmettiNotifichePagamento', 'MSG-AUTH')).toBe(false);
  });

  it('answers 101 to XML that is not well formed or not valid against EPaywso2EntiServiceTypes.xsd, applying nothing', async () => {
    const cases = [
      '<not xml',
      notifica('MSG-XSD-1', MANUAL_POSITION.iuv, 'IUR-X', '100.001'), // three decimals
      notifica('MSG-XSD-2', MANUAL_POSITION.iuv, 'IUR-X').replace(
        /<srv:DataEsitoPagamento>[^<]*<\/srv:DataEsitoPagamento>/,
        '',
      ), // required element missing
      notifica('MSG-XSD-3', MANUAL_POSITION.iuv, 'IUR-X').replaceAll(SRV, 'urn:altro'), // wrong namespace
      envelope('<srv:InserisciListaDiCaricoRequest/>'), // not an operation of this service
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>${notifica('MSG-XSD-4', MANUAL_POSITION.iuv, 'IUR-X').replace(/^<\?xml[^>]*\?>/, '')}`,
    ];
    for (const xml of cases) {
      const res = await post(xml);
      expect(res.statusCode).toBe(200);
      expect(readAck(res.body).code).toBe('101');
    }
    expect(manual().state).not.toBe('PAGATO_DEFINITIVO');
    expect(g.gestionale.inbox.messages().filter((m) => m.codice === '101')).toHaveLength(cases.length);
  });

  it('TrasmettiNotifichePagamento: 000 with the WSDL\'s EPaywsoServiceResponse; the position becomes "pagato (definitivo)" with IUR and PSP; a duplicate IdMessaggio changes nothing', async () => {
    const res = await post(notifica('MSG-PAY-1', MANUAL_POSITION.iuv, 'IUR-PRIMA'));
    expect(res.statusCode).toBe(200);
    expect(piemontePaySchemas().common.checkEnvelope(res.body).errors).toEqual([]);
    expect(res.body).toContain(`<cmn:EPaywsoServiceResponse xmlns:cmn="${CMN}">`);
    expect(readAck(res.body).code).toBe('000');
    expect(manual().state).toBe('PAGATO_DEFINITIVO');
    expect(manual().paid).toMatchObject({
      source: 'notifica',
      identificativoUnicoRiscossione: 'IUR-PRIMA',
      psp: 'Banca di Prova (BCITITMM)',
      importoPagatoCents: 10_000,
      idMessaggio: 'MSG-PAY-1',
    });

    // the same IdMessaggio again (Cassa's answer was lost): 000, discarded, nothing applied twice
    const again = await post(notifica('MSG-PAY-1', MANUAL_POSITION.iuv, 'IUR-ALTRA'));
    expect(readAck(again.body).code).toBe('000');
    expect(manual().paid?.identificativoUnicoRiscossione).toBe('IUR-PRIMA');
    const log = g.gestionale.inbox.messages().filter((m) => m.idMessaggio === 'MSG-PAY-1');
    expect(log.map((m) => m.duplicate)).toEqual([true, false]);

    const cookie = `gest_cf=${DEMO_CITIZEN.codiceFiscale}`;
    const page = await g.inject({ method: 'GET', url: '/posizioni', headers: { cookie } });
    expect(page.body).toContain('pagato (definitivo)');
    expect(page.body).toContain('IUR IUR-PRIMA, PSP Banca di Prova (BCITITMM)');
    const messaggi = await g.inject({ method: 'GET', url: '/messaggi' });
    expect(messaggi.body).toContain('MSG-PAY-1');
    expect(messaggi.body).toContain('duplicato');

    // a payment of a position the gestionale does not know: answered, recorded, not created
    expect(readAck((await post(notifica('MSG-PAY-2', '999999999999999', 'IUR-X'))).body).code).toBe('000');
    expect(g.gestionale.store.position('999999999999999')).toBeUndefined();
  });

  it('TrasmettiAvvisiScaduti marks a known unpaid position expired (no more "Paga"); TrasmettiRT keeps the RT, downloadable', async () => {
    g.gestionale.store.upsertPosition({
      idPosizione: 'SCAD_1',
      iuv: '100000000000001',
      codiceAvviso: '001100000000000001',
      causale: 'Prova scadenza',
      amountCents: 4200,
      codiceFiscale: DEMO_CITIZEN.codiceFiscale,
      debitore: 'Pino Test',
    });
    const avvisi = envelope(
      `<srv:TrasmettiAvvisiScadutiRequest>${testata('MSG-SCAD-1', '<srv:NumeroAvvisiScaduti>1</srv:NumeroAvvisiScaduti><srv:ImportoTotaleAvvisiScaduti>42.00</srv:ImportoTotaleAvvisiScaduti>')}` +
        `<srv:CorpoAvvisiScaduti><srv:ElencoAvvisiScaduti><srv:AvvisoScaduto><srv:IUV>100000000000001</srv:IUV><srv:DataScadenza>2020-01-31</srv:DataScadenza><srv:Importo>42.00</srv:Importo></srv:AvvisoScaduto></srv:ElencoAvvisiScaduti></srv:CorpoAvvisiScaduti></srv:TrasmettiAvvisiScadutiRequest>`,
    );
    expect(readAck((await post(avvisi, GOOD_AUTH, 'TrasmettiAvvisiScaduti')).body).code).toBe('000');
    expect(g.gestionale.store.position('100000000000001')!.state).toBe('SCADUTA');
    const csrf = await gestionaleCsrf(g);
    const paga = await g.inject({
      method: 'POST',
      url: '/paga',
      headers: { cookie: `gest_cf=${DEMO_CITIZEN.codiceFiscale}; ${csrf.cookie}` },
      payload: { iuv: '100000000000001', _csrf: csrf.token },
    });
    // refused: back to the list (post/redirect/get), no payment page
    expect(paga.statusCode).toBe(303);
    expect(paga.headers.location).toBe('/posizioni');
    expect(paga.cookies.find((c) => c.name === 'gest_paga')).toBeUndefined();

    const rtXml = `<pafn:paSendRTV2Req xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><receipt><receiptId>IUR-PRIMA</receiptId><creditorReferenceId>${MANUAL_POSITION.iuv}</creditorReferenceId></receipt></pafn:paSendRTV2Req>`;
    const rt = envelope(
      `<srv:TrasmettiRTRequest>${testata('MSG-RT-1', '<srv:NumeroRT>1</srv:NumeroRT>')}<srv:CorpoRT><srv:ElencoRT><srv:RT><srv:Id>IUR-PRIMA</srv:Id><srv:XML>${Buffer.from(rtXml).toString('base64')}</srv:XML></srv:RT></srv:ElencoRT></srv:CorpoRT></srv:TrasmettiRTRequest>`,
    );
    expect(readAck((await post(rt, GOOD_AUTH, 'TrasmettiRT')).body).code).toBe('000');
    const download = await g.inject({ method: 'GET', url: '/rt/IUR-PRIMA' });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toContain('attachment');
    expect(download.body).toBe(rtXml);
    const page = await g.inject({
      method: 'GET',
      url: '/posizioni',
      headers: { cookie: `gest_cf=${DEMO_CITIZEN.codiceFiscale}` },
    });
    expect(page.body).toContain('href="/rt/IUR-PRIMA"');
    expect((await g.inject({ method: 'GET', url: '/rt/NESSUNA' })).statusCode).toBe(404);
  });

  it('EsitoInserimentoListaDiCarico shows IUV and codice avviso per IdPosizioneDebitoria on "Liste di carico"; TrasmettiRichiesteDiRevoca is recorded', async () => {
    const esito = envelope(
      `<srv:EsitoInserimentoListaDiCaricoRequest><cmn:Result><cmn:Codice>050</cmn:Codice><cmn:Messaggio>Elaborata parzialmente</cmn:Messaggio></cmn:Result>` +
        `<srv:TestataEsito><srv:IdMessaggio>LISTA-ESTERNA-1</srv:IdMessaggio><srv:CFEnteCreditore>${DEMO.ente}</srv:CFEnteCreditore><srv:CodiceVersamento>BIBL</srv:CodiceVersamento></srv:TestataEsito>` +
        `<srv:EsitoInserimento><cmn:ElencoPosizioniDebitorieInserite>` +
        `<cmn:PosizioneDebitoriaInserita><cmn:IdPosizioneDebitoria>POS-A</cmn:IdPosizioneDebitoria><cmn:IUV>100000000000077</cmn:IUV><cmn:CodiceAvviso>001100000000000077</cmn:CodiceAvviso><cmn:CodiceEsito>000</cmn:CodiceEsito></cmn:PosizioneDebitoriaInserita>` +
        `<cmn:PosizioneDebitoriaInserita><cmn:IdPosizioneDebitoria>POS-B</cmn:IdPosizioneDebitoria><cmn:CodiceEsito>161</cmn:CodiceEsito><cmn:DescrizioneEsito>IdPosizioneDebitoria già presente</cmn:DescrizioneEsito></cmn:PosizioneDebitoriaInserita>` +
        `</cmn:ElencoPosizioniDebitorieInserite></srv:EsitoInserimento></srv:EsitoInserimentoListaDiCaricoRequest>`,
    );
    expect(readAck((await post(esito, GOOD_AUTH, 'EsitoInserimentoListaDiCarico')).body).code).toBe('000');
    const list = g.gestionale.inbox.list('LISTA-ESTERNA-1')!;
    expect(list.outcome?.codice).toBe('050');
    expect(list.positions).toEqual([
      expect.objectContaining({
        idPosizioneDebitoria: 'POS-A',
        iuv: '100000000000077',
        codiceAvviso: '001100000000000077',
        codiceEsito: '000',
      }),
      expect.objectContaining({
        idPosizioneDebitoria: 'POS-B',
        codiceEsito: '161',
        descrizioneEsito: 'IdPosizioneDebitoria già presente',
      }),
    ]);
    const page = await g.inject({ method: 'GET', url: '/liste' });
    expect(page.body).toContain('001100000000000077');
    expect(page.body).toContain('Carica lista di prova');

    const revoca = envelope(
      `<srv:TrasmettiRichiesteDiRevocaRequest>${testata('MSG-REV-1', '<srv:NumeroPagamenti>1</srv:NumeroPagamenti><srv:ImportoTotalePagamenti>1.00</srv:ImportoTotalePagamenti>')}<srv:CorpoRichiesteDiRevoca>` +
        `<srv:RichiestaDiRevocaResponse><srv:IdentificativoDominio>${DEMO.ente}</srv:IdentificativoDominio><srv:ApplicationId>APP</srv:ApplicationId><srv:IdentificativoMessaggioEsito>E1</srv:IdentificativoMessaggioEsito><srv:DataOraMessaggioEsito>2025-07-01T10:00:00</srv:DataOraMessaggioEsito><srv:RiferimentoMessaggioRevoca>R1</srv:RiferimentoMessaggioRevoca><srv:RiferimentoDataOraRevoca>2025-07-01T09:00:00</srv:RiferimentoDataOraRevoca><srv:IstitutoAttestante>${debitore}</srv:IstitutoAttestante><srv:ImportoPagato>1.00</srv:ImportoPagato><srv:IUV>1</srv:IUV><srv:CodiceContestoPagamento>n/a</srv:CodiceContestoPagamento><srv:InvioOkRispostaRevoca>true</srv:InvioOkRispostaRevoca><srv:XML>PHgvPg==</srv:XML><srv:DatiSingoloEsitoRevoca><srv:SingoloImportoRevocato>1.00</srv:SingoloImportoRevocato><srv:IUR>I</srv:IUR><srv:CausaleEsito>c</srv:CausaleEsito><srv:DatiAggiuntiviEsito>d</srv:DatiAggiuntiviEsito></srv:DatiSingoloEsitoRevoca></srv:RichiestaDiRevocaResponse>` +
        `<srv:ElencoRichiesteDiRevoca><srv:RichiestaDiRevoca><srv:IdentificativoDominio>${DEMO.ente}</srv:IdentificativoDominio><srv:ApplicationId>APP</srv:ApplicationId><srv:IdentificativoMessaggioRevoca>R1</srv:IdentificativoMessaggioRevoca><srv:DataOraMessaggioRevoca>2025-07-01T09:00:00</srv:DataOraMessaggioRevoca><srv:IstitutoAttestante>${debitore}</srv:IstitutoAttestante><srv:ImportoPagato>1.00</srv:ImportoPagato><srv:IUV>1</srv:IUV><srv:CodiceContestoPagamento>n/a</srv:CodiceContestoPagamento><srv:TipoRevoca>1</srv:TipoRevoca><srv:XML>PHgvPg==</srv:XML><srv:ListaDatiSingolaRevoca><srv:DatiSingolaRevoca><srv:SingoloImportoRevocato>1.00</srv:SingoloImportoRevocato><srv:IUR>I</srv:IUR><srv:Causale>c</srv:Causale><srv:DatiAggiuntivi>d</srv:DatiAggiuntivi></srv:DatiSingolaRevoca></srv:ListaDatiSingolaRevoca></srv:RichiestaDiRevoca></srv:ElencoRichiesteDiRevoca>` +
        `</srv:CorpoRichiesteDiRevoca></srv:TrasmettiRichiesteDiRevocaRequest>`,
    );
    expect(readAck((await post(revoca, GOOD_AUTH, 'TrasmettiRichiesteDiRevoca')).body).code).toBe('000');
    expect(g.gestionale.inbox.messages()[0]).toMatchObject({
      operation: 'TrasmettiRichiesteDiRevoca',
      idMessaggio: 'MSG-REV-1',
      codice: '000',
    });
  });
});

describe('the closed loop of seed 000: Cassa, the simulator and the demo gestionale', () => {
  let cassa: LiveCassa;
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let lists: ClaimLoop;
  const apps: DemoGestionale[] = [];

  async function gestionale(port = 0): Promise<DemoGestionale & { url: string }> {
    const app = await buildDemoGestionale(
      gestionaleConfig({
        port,
        cassaUrl: cassa.url,
        codiceChiamante: DEMO_GESTIONALE.codiceChiamante,
        passphrase: DEMO_GESTIONALE.passphrase,
      }),
    );
    apps.push(app);
    await app.gestionale.loadDemoPositions();
    await app.listen({ host: '127.0.0.1', port });
    return Object.assign(app, { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` });
  }
  const pointAt = (url: string) =>
    cassa.c.applications.update(DEMO_GESTIONALE.codiceChiamante, {
      endpoints: demoGestionaleEndpoints({ ...DEMO_GESTIONALE.soap, url: `${url}${PATH}` }),
    });
  async function payAtPsp(noticeNumber: string): Promise<void> {
    const res = await fetch(`${sim.base}/sim/psp/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fiscalCode: DEMO.ente, noticeNumber }),
    });
    expect(res.status).toBe(200);
  }

  beforeAll(async () => {
    sim = await startSimulator();
    cassa = await startLiveCassa({
      env: {
        CASSA_NOTIFICATION_BATCH_WINDOW_MS: '200',
        CASSA_DELIVERY_POLL_MS: '20',
        CASSA_DELIVERY_RETRY_BASE_MS: '50',
        CASSA_DELIVERY_RETRY_CAP_MS: '200',
      },
    });
    await seedDemo(cassa.c);
    Object.assign(sim.config, { stationUrl: cassa.soapUrl });
    cassa.c.loops.notifications.start();
    cassa.c.loops.deliveries.start();
    lists = listsLoop(cassa.c.lists, { concurrency: 1, pollMs: 20 }, cassa.c.logger);
    lists.start();
  });
  afterAll(async () => {
    await lists?.stop();
    await cassa?.c.loops.notifications.stop();
    await cassa?.c.loops.deliveries.stop();
    for (const a of apps) await a.close();
    await sim?.close();
    await cassa?.close();
  });

  it("the demo seed registers AP_02's five EPaywso2EntiService endpoints with the gestionale's credentials, once; AP_01 has none", async () => {
    const ap02 = await cassa.c.applications.get(DEMO_GESTIONALE.codiceChiamante);
    expect(ap02.endpoints.map((e) => e.kind).sort()).toEqual([
      'ESITO_AGGIORNA_POSIZIONI_DEBITORIE',
      'ESITO_INSERIMENTO_LISTA_DI_CARICO',
      'TRASMETTI_AVVISI_SCADUTI',
      'TRASMETTI_NOTIFICHE_PAGAMENTO',
      'TRASMETTI_RT',
    ]);
    expect(
      ap02.endpoints.every(
        (e) =>
          e.url === 'http://127.0.0.1:8070/soap/EPaywso2EntiService' &&
          e.username === DEMO_SOAP_CREDENTIALS.user &&
          e.hasPassword &&
          e.paymentType === null,
      ),
    ).toBe(true);
    expect(DEMO_GESTIONALE.soap.password).toBe(DEMO_SOAP_CREDENTIALS.password);
    expect((await cassa.c.applications.get(DEMO.codiceChiamante)).endpoints).toEqual([]);
    // seeding again keeps them as they are (also after an operator changed them)
    await pointAt('http://127.0.0.1:1');
    await seedDemo(cassa.c);
    expect(
      (await cassa.c.applications.get(DEMO_GESTIONALE.codiceChiamante)).endpoints.every(
        (e) => e.url === `http://127.0.0.1:1${PATH}`,
      ),
    ).toBe(true);
  });

  it('a payment at the PSP becomes "pagato (definitivo)" at the gestionale only through the notification, with IUR, PSP and the RT', async () => {
    const g = await gestionale();
    await pointAt(g.url);
    const target = g.gestionale.store
      .positionsOf(DEMO_CITIZEN.codiceFiscale)
      .find((p) => p.idPosizione === CREATED_POSITIONS[0].idPosizione)!;
    expect(target.state).toBe('DA_PAGARE');
    await payAtPsp(target.codiceAvviso);
    const paid = await until(
      () => (target.state === 'PAGATO_DEFINITIVO' ? target : undefined),
      'the payment notification at the gestionale',
      20_000,
    );
    expect(paid.paid).toMatchObject({
      source: 'notifica',
      importoPagatoCents: CREATED_POSITIONS[0].amountCents,
    });
    expect(paid.paid?.identificativoUnicoRiscossione).toBeTruthy();
    // the RT follows in its own message and is downloadable
    const rt = await until(() => g.gestionale.inbox.rtsOf(target.iuv)[0], 'the RT at the gestionale', 20_000);
    expect(rt.id).toBe(paid.paid?.identificativoUnicoRiscossione);
    expect(rt.xml).toContain(target.iuv);
    // (the demo data's paid position was notified too: its receipt is seeded through the receipt path)
    const notifications = g.gestionale.inbox
      .messages()
      .filter(
        (m) => m.operation === 'TrasmettiNotifichePagamento' && m.details.some((d) => d.includes(target.iuv)),
      );
    expect(notifications.filter((m) => !m.duplicate)).toHaveLength(1);
    expect(g.gestionale.inbox.messages().filter((m) => m.codice !== '000')).toEqual([]);
  });

  it('with the gestionale down, the notification waits and arrives once when it is up again', async () => {
    // a port where nothing listens yet
    const probe = await gestionale();
    const port = (probe.server.address() as AddressInfo).port;
    await probe.close();
    await pointAt(`http://127.0.0.1:${port}`);
    const target = probe.gestionale.store
      .positionsOf(DEMO_CITIZEN.codiceFiscale)
      .find((p) => p.idPosizione === CREATED_POSITIONS[1].idPosizione)!;
    await payAtPsp(target.codiceAvviso);
    await until(
      async () =>
        (
          await cassa.c.db.rows<{ n: number }>(
            sql`select coalesce(max(attempts), 0)::int as n from outbound_message where operation = 'TrasmettiNotifichePagamento' and status <> 'DELIVERED'`,
          )
        )[0]!.n >= 2,
      'failed delivery attempts while the gestionale is down',
      20_000,
    );
    const g = await gestionale(port);
    const position = g.gestionale.store.position(target.iuv)!;
    await until(
      () => position.state === 'PAGATO_DEFINITIVO',
      'the notification after the gestionale is back',
      20_000,
    );
    expect(position.paid?.source).toBe('notifica');
    // delivered: Cassa stops sending; applied once
    await until(
      async () =>
        (
          await cassa.c.db.rows<{ n: number }>(
            sql`select count(*)::int as n from outbound_message where status <> 'DELIVERED'`,
          )
        )[0]!.n === 0,
      'every message delivered',
      20_000,
    );
    const applied = g.gestionale.inbox
      .messages()
      .filter(
        (m) =>
          m.operation === 'TrasmettiNotifichePagamento' &&
          !m.duplicate &&
          m.details.some((d) => d.includes(target.iuv)),
      );
    expect(applied).toHaveLength(1);
  });

  it('"Carica lista di prova" sends InserisciListaDiCarico as AP_02; the outcome comes back with IUV and codice avviso and the positions become payable', async () => {
    const g = await gestionale();
    await pointAt(g.url);
    const csrf = await gestionaleCsrf(g);
    const res = await g.inject({
      method: 'POST',
      url: '/liste/prova',
      headers: { cookie: csrf.cookie },
      payload: { _csrf: csrf.token },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/liste');
    const notice = res.cookies.find((c) => c.name === 'gest_avviso')!;
    const shown = await g.inject({
      method: 'GET',
      url: '/liste',
      headers: { cookie: `${csrf.cookie}; gest_avviso=${notice.value}` },
    });
    expect(shown.body).toContain('Cassa l&#39;ha presa in carico (000)');
    const [list] = g.gestionale.inbox.allLists();
    expect(list!.ack?.codice).toBe('000');
    await until(() => list!.outcome, 'the list outcome at the gestionale', 20_000);
    expect(list!.outcome?.codice).toBe('000');
    expect(list!.positions).toHaveLength(3);
    for (const p of list!.positions) {
      expect(p).toMatchObject({ codiceEsito: '000' });
      expect(p.codiceAvviso).toMatch(/^\d{18}$/);
      expect(g.gestionale.store.position(p.iuv!)).toMatchObject({
        idPosizione: p.idPosizioneDebitoria,
        state: 'DA_PAGARE',
      });
    }
    const page = await g.inject({ method: 'GET', url: '/liste' });
    expect(page.body).toContain(list!.positions[0]!.codiceAvviso!);
  });
});
