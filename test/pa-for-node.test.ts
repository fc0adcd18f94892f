import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import type { CallContext } from '../src/modules/debt-positions/application/debt-positions-service.js';
import { findReceiptsByPosition } from '../src/modules/pagopa/infra/pa-for-node-repository.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { draft } from './helpers/fixtures.js';
import { validateSoapResponse } from './helpers/xsd.js';

const BROKER = '80087670016';
const STATION = '80087670016_01';
// Enti without their own identifiers are served under these (CASSA_ID_BROKER_PA / CASSA_ID_STATION).
const GLOBAL_BROKER = '97735020584';
const GLOBAL_STATION = '97735020584_02';
const OTHER_ENTE = '15376371009';
const BANK_IBAN = 'IT60X0542811101000000123456';
const POSTAL_IBAN = DEMO.ibanPostale;
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const PAFN = 'http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd';

const RESPONSE: Record<string, string> = {
  paVerifyPaymentNotice: 'paVerifyPaymentNoticeRes',
  paGetPayment: 'paGetPaymentRes',
  paGetPaymentV2: 'paGetPaymentV2Response',
  paSendRT: 'paSendRTRes',
  paSendRTV2: 'paSendRTV2Response',
  paDemandPaymentNotice: 'paDemandPaymentNoticeResponse',
};
const REQUEST: Record<string, string> = {
  paVerifyPaymentNotice: 'paVerifyPaymentNoticeReq',
  paGetPayment: 'paGetPaymentReq',
  paGetPaymentV2: 'paGetPaymentV2Request',
  paSendRT: 'paSendRTReq',
  paSendRTV2: 'paSendRTV2Request',
  paDemandPaymentNotice: 'paDemandPaymentNoticeRequest',
};

const reader = new XMLParser({
  removeNSPrefix: true,
  parseTagValue: false,
  ignoreAttributes: true,
  isArray: (name) => name === 'transfer' || name === 'mapEntry',
});

// A clock the tests move: positions are created "today" and looked at later.
let now = new Date('2026-03-02T09:00:00Z');
let t: TestApp;
let demoCtx: CallContext;
let extraCtx: Record<string, CallContext>;

beforeAll(async () => {
  t = await buildTestApp({
    clock: () => now,
    env: {
      CASSA_ID_BROKER_PA: GLOBAL_BROKER,
      CASSA_ID_STATION: GLOBAL_STATION,
      CASSA_PUBLIC_URL: 'https://cassa.example.it',
    },
  });
  await seedDemo(t.c);
  const orgs = t.c.organizations;
  await orgs.createPaymentType(DEMO.ente, {
    codiceVersamento: 'BOLL',
    descrizione: 'Marca da bollo digitale',
    transferCategory: '9/0301116TS/',
    marcaDaBollo: true,
  });
  await orgs.createPaymentType(DEMO.ente, {
    codiceVersamento: 'BANK',
    descrizione: 'Solo conto bancario',
    iban: BANK_IBAN,
    ibanAppoggio: POSTAL_IBAN,
    transferCategory: '9/0101108TS/',
  });
  await orgs.createPaymentType(DEMO.ente, {
    codiceVersamento: 'NOIB',
    descrizione: 'Senza IBAN',
    iban: BANK_IBAN,
    transferCategory: '9/0101108TS/',
  });
  await orgs.createEnte({
    codiceFiscale: OTHER_ENTE,
    denominazione: 'Comune di Prova',
    codiceSegregazione: '02',
    ibanBancario: BANK_IBAN,
  });
  await orgs.createPaymentType(OTHER_ENTE, {
    codiceVersamento: 'TARI',
    descrizione: 'Tassa rifiuti',
    iban: BANK_IBAN,
    transferCategory: '9/0101108TS/',
  });
  await t.c.applications.create({
    codiceChiamante: 'SOAP_TEST',
    descrizione: 'Gestionale dei test SOAP',
    passphrase: 'soap-test-passphrase',
    scopes: ['CREAZIONE_IUV'],
    paymentTypes: [
      ...['BIBL', 'BOLL', 'BANK', 'NOIB'].map((codiceVersamento) => ({
        ente: DEMO.ente,
        codiceVersamento,
      })),
      { ente: OTHER_ENTE, codiceVersamento: 'TARI' },
    ],
  });
  const auth = (ente: string, code: string) =>
    t.c.debtPositions.authorize({
      codiceChiamante: 'SOAP_TEST',
      passphrase: 'soap-test-passphrase',
      enteCodiceFiscale: ente,
      codiceVersamento: code,
      scope: 'CREAZIONE_IUV',
    });
  demoCtx = await auth(DEMO.ente, 'BIBL');
  extraCtx = {
    BOLL: await auth(DEMO.ente, 'BOLL'),
    BANK: await auth(DEMO.ente, 'BANK'),
    NOIB: await auth(DEMO.ente, 'NOIB'),
    TARI: await auth(OTHER_ENTE, 'TARI'),
  };
});
afterAll(async () => t?.close());

let seq = 0;
async function position(overrides: Record<string, unknown> = {}, ctx: CallContext = demoCtx) {
  seq += 1;
  return t.c.debtPositions.create(ctx, draft({ idPosizioneDebitoria: `SOAP-${seq}`, ...overrides }));
}

function envelope(
  op: string,
  inner: string,
  opts: { envNs?: string; bodyNs?: string; element?: string } = {},
): string {
  const element = opts.element ?? REQUEST[op]!;
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${opts.envNs ?? SOAP11}" xmlns:pafn="${opts.bodyNs ?? PAFN}">` +
    `<soapenv:Header/><soapenv:Body><pafn:${element}>${inner}</pafn:${element}></soapenv:Body></soapenv:Envelope>`
  );
}

function ids(o: { idPA?: string; idBrokerPA?: string; idStation?: string } = {}): string {
  return `<idPA>${o.idPA ?? DEMO.ente}</idPA><idBrokerPA>${o.idBrokerPA ?? BROKER}</idBrokerPA><idStation>${o.idStation ?? STATION}</idStation>`;
}

function qr(noticeNumber: string, fiscalCode: string = DEMO.ente): string {
  return `<qrCode><fiscalCode>${fiscalCode}</fiscalCode><noticeNumber>${noticeNumber}</noticeNumber></qrCode>`;
}

interface Answer {
  status: number;
  contentType: string | undefined;
  xml: string;
  element: string;
  body: Record<string, any>;
}

/** POSTs a SOAP request; every answer must be a SOAP 1.1 envelope valid against the official schemas. */
async function post(payload: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/soap/paForNode',
    headers: { 'content-type': 'text/xml; charset=utf-8', ...headers },
    payload,
  });
  const { element } = validateSoapResponse(res.body);
  const parsed = reader.parse(res.body);
  return {
    status: res.statusCode,
    contentType: res.headers['content-type'] as string | undefined,
    xml: res.body,
    element,
    body: parsed.Envelope.Body[element],
  };
}

async function call(op: string, inner: string, opts: { soapAction?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.soapAction !== null) headers.soapaction = opts.soapAction ?? `"${op}"`;
  const a = await post(envelope(op, inner), headers);
  expect(a.element).toBe(RESPONSE[op]);
  expect(a.status).toBe(200);
  expect(a.contentType).toBe('text/xml; charset=utf-8');
  return a;
}

const verify = (notice: string, o: Parameters<typeof ids>[0] = {}, fiscalCode?: string) =>
  call('paVerifyPaymentNotice', ids(o) + qr(notice, fiscalCode ?? o.idPA ?? DEMO.ente));
const activate = (
  op: 'paGetPayment' | 'paGetPaymentV2',
  notice: string,
  extra = '',
  o: Parameters<typeof ids>[0] = {},
) => call(op, ids(o) + qr(notice, o.idPA ?? DEMO.ente) + extra);

function expectFault(a: Answer, code: string, id: string = DEMO.ente) {
  expect(a.body.outcome).toBe('KO');
  expect(a.body.fault.faultCode).toBe(code);
  expect(a.body.fault.id).toBe(id);
  expect(a.body.fault.faultString).toBeTruthy();
}

interface ReceiptOpts {
  receiptId: string;
  noticeNumber: string;
  iuv: string;
  amount: string;
  outcome?: 'OK' | 'KO';
  fiscalCode?: string;
  standIn?: boolean;
  extra?: string;
  ids?: Parameters<typeof ids>[0];
}

function receiptXml(op: 'paSendRT' | 'paSendRTV2', r: ReceiptOpts): string {
  const transfer =
    `<transfer><idTransfer>1</idTransfer><transferAmount>${r.amount}</transferAmount><fiscalCodePA>${DEMO.ente}</fiscalCodePA>` +
    `<IBAN>${BANK_IBAN}</IBAN><remittanceInformation>Quota</remittanceInformation><transferCategory>9/0201133IM/</transferCategory></transfer>`;
  return (
    ids(r.ids) +
    `<receipt><receiptId>${r.receiptId}</receiptId><noticeNumber>${r.noticeNumber}</noticeNumber><fiscalCode>${r.fiscalCode ?? DEMO.ente}</fiscalCode>` +
    `<outcome>${r.outcome ?? 'OK'}</outcome><creditorReferenceId>${r.iuv}</creditorReferenceId><paymentAmount>${r.amount}</paymentAmount>` +
    `<description>Quota</description><companyName>Comune di Alessandria</companyName>` +
    `<debtor><uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType><entityUniqueIdentifierValue>TSTPNI70D01L219V</entityUniqueIdentifierValue></uniqueIdentifier><fullName>Pino Test</fullName></debtor>` +
    `<transferList>${transfer}</transferList><idPSP>BCITITMM</idPSP><pspFiscalCode>00799960158</pspFiscalCode><PSPCompanyName>Banca di prova</PSPCompanyName>` +
    `<idChannel>00799960158_01</idChannel><channelDescription>app</channelDescription><paymentMethod>creditCard</paymentMethod>` +
    (op === 'paSendRTV2' ? '<paymentNote>cart-123</paymentNote>' : '') +
    `<fee>1.50</fee><paymentDateTime>2026-03-02T10:15:00</paymentDateTime><applicationDate>2026-03-02</applicationDate><transferDate>2026-03-03</transferDate>` +
    `${r.extra ?? ''}${r.standIn ? '<standIn>true</standIn>' : ''}</receipt>`
  );
}

const sendRT = (op: 'paSendRT' | 'paSendRTV2', r: ReceiptOpts) => call(op, receiptXml(op, r));

async function positionRow(iuv: string, enteCf: string = DEMO.ente) {
  const r = await t.c.db.executeSql(
    'select p.id::int as id, p.status, p.version from debt_position p join ente e on e.id = p.ente_id where e.codice_fiscale = $1 and p.iuv = $2',
    [enteCf, iuv],
  );
  return r.rows[0] as { id: number; status: string; version: number };
}

async function count(table: string, where = 'true', values: unknown[] = []): Promise<number> {
  const r = await t.c.db.executeSql(`select count(*)::int as n from ${table} where ${where}`, values);
  return r.rows[0].n;
}

async function journal(operation: string) {
  await t.c.audit.flush();
  const r = await t.c.db.executeSql(
    `select operation, caller, ente_fiscal_code as "enteFiscalCode", iuv, outcome from audit_event where interface = 'paForNode' and operation = $1 order by id desc limit 1`,
    [operation],
  );
  return r.rows[0];
}

describe('paVerifyPaymentNotice', () => {
  it('answers one EQ option with the amount, due date, description and the ente, leaving the position unchanged', async () => {
    const p = await position({ dueDate: '2026-04-30', causale: 'Quota & servizi <biblioteca>' });
    const before = await positionRow(p.iuv);
    const a = await verify(p.noticeNumber);
    expect(a.body.outcome).toBe('OK');
    expect(a.body.paymentList.paymentOptionDescription).toEqual({
      amount: '10.00',
      options: 'EQ',
      dueDate: '2026-04-30',
      detailDescription: 'Quota & servizi <biblioteca>',
      allCCP: 'true',
    });
    expect(a.body).toMatchObject({
      paymentDescription: 'Quota & servizi <biblioteca>',
      fiscalCodePA: DEMO.ente,
      companyName: 'Comune di Alessandria',
      officeName: 'Servizi Bibliotecari',
    });
    expect(await positionRow(p.iuv)).toEqual(before);
    expect(await journal('paVerifyPaymentNotice')).toEqual({
      operation: 'paVerifyPaymentNotice',
      caller: STATION,
      enteFiscalCode: DEMO.ente,
      iuv: p.iuv,
      outcome: 'OK',
    });
  });

  it('says allCCP false when the payment type has no postal account', async () => {
    const p = await position({}, extraCtx.NOIB);
    const a = await verify(p.noticeNumber);
    expect(a.body.paymentList.paymentOptionDescription.allCCP).toBe('false');
    // no due date on the position: the verify still gives one (the node wants every tag but officeName)
    expect(a.body.paymentList.paymentOptionDescription.dueDate).toBe('2099-12-31');
  });

  it('answers the stand-in probe 000000000000000000 with PAA_PAGAMENTO_SCONOSCIUTO', async () => {
    const a = await verify('000000000000000000');
    expectFault(a, 'PAA_PAGAMENTO_SCONOSCIUTO');
    expect((await journal('paVerifyPaymentNotice')).outcome).toBe('PAA_PAGAMENTO_SCONOSCIUTO');
  });

  it('checks the ente, then the intermediary, then the station', async () => {
    const p = await position();
    expectFault(
      await verify(p.noticeNumber, { idPA: '00000000000', idBrokerPA: '11111111111', idStation: 'x' }),
      'PAA_ID_DOMINIO_ERRATO',
      '00000000000',
    );
    expectFault(
      await verify(p.noticeNumber, { idBrokerPA: '11111111111', idStation: 'x' }),
      'PAA_ID_INTERMEDIARIO_ERRATO',
    );
    // The global broker does not apply to an ente with its own.
    expectFault(
      await verify(p.noticeNumber, { idBrokerPA: GLOBAL_BROKER, idStation: GLOBAL_STATION }),
      'PAA_ID_INTERMEDIARIO_ERRATO',
    );
    expectFault(await verify(p.noticeNumber, { idStation: `${BROKER}_02` }), 'PAA_STAZIONE_INT_ERRATA');
    expectFault(await verify('000000000000000000', { idStation: `${BROKER}_02` }), 'PAA_STAZIONE_INT_ERRATA');
  });

  it('serves an ente without its own identifiers under the global broker and station', async () => {
    const p = await position({}, extraCtx.TARI);
    const o = { idPA: OTHER_ENTE, idBrokerPA: GLOBAL_BROKER, idStation: GLOBAL_STATION };
    const a = await verify(p.noticeNumber, o);
    expect(a.body.outcome).toBe('OK');
    expect(a.body.companyName).toBe('Comune di Prova');
    expect(a.body.officeName).toBeUndefined();
    expectFault(
      await verify(p.noticeNumber, { ...o, idBrokerPA: BROKER }),
      'PAA_ID_INTERMEDIARIO_ERRATO',
      OTHER_ENTE,
    );
  });

  it('answers PAA_SEMANTICA when the notice belongs to another ente than idPA', async () => {
    const p = await position();
    expectFault(await verify(p.noticeNumber, {}, OTHER_ENTE), 'PAA_SEMANTICA');
  });

  it('answers PAA_PAGAMENTO_ANNULLATO, SCADUTO and, for not yet active positions, SCONOSCIUTO', async () => {
    const cancelled = await position();
    await t.c.debtPositions.cancel(demoCtx, cancelled.iuv, 'annullata');
    expectFault(await verify(cancelled.noticeNumber), 'PAA_PAGAMENTO_ANNULLATO');

    const expiring = await position({ validTo: '2026-03-05', dueDate: '2026-03-05' });
    const later = await position({ validFrom: '2026-04-01' });
    expectFault(await verify(later.noticeNumber), 'PAA_PAGAMENTO_SCONOSCIUTO');
    const saved = now;
    now = new Date('2026-03-10T09:00:00Z');
    try {
      expectFault(await verify(expiring.noticeNumber), 'PAA_PAGAMENTO_SCADUTO');
      expectFault(await activate('paGetPaymentV2', expiring.noticeNumber), 'PAA_PAGAMENTO_SCADUTO');
    } finally {
      now = saved;
    }
  });

  it('answers PAA_PAGAMENTO_SCONOSCIUTO for an ANONIMO zero-amount fine', async () => {
    const p = await position({
      amountCents: 0,
      components: [{ amountCents: 0, causale: 'Verbale' }],
      debtor: { type: null, fiscalCode: 'ANONIMO' },
    });
    expectFault(await verify(p.noticeNumber), 'PAA_PAGAMENTO_SCONOSCIUTO');
    expectFault(await activate('paGetPaymentV2', p.noticeNumber), 'PAA_PAGAMENTO_SCONOSCIUTO');
  });

  it('answers PAA_SINTASSI_EXTRAXSD for missing or malformed fields', async () => {
    const p = await position();
    expectFault(await call('paVerifyPaymentNotice', ids() + qr('12345')), 'PAA_SINTASSI_EXTRAXSD');
    expectFault(await call('paVerifyPaymentNotice', ids()), 'PAA_SINTASSI_EXTRAXSD');
    expectFault(
      await call(
        'paVerifyPaymentNotice',
        `<idPA>${DEMO.ente}</idPA><idStation>${STATION}</idStation>${qr(p.noticeNumber)}`,
      ),
      'PAA_SINTASSI_EXTRAXSD',
    );
    // Without a usable idPA the fault names the global intermediary.
    expectFault(
      await call('paVerifyPaymentNotice', `<idBrokerPA>${BROKER}</idBrokerPA>`),
      'PAA_SINTASSI_EXTRAXSD',
      GLOBAL_BROKER,
    );
  });

  it('ignores unknown extra elements and reads children whatever prefix they carry', async () => {
    const p = await position();
    const a = await call(
      'paVerifyPaymentNotice',
      `${ids()}<unexpected>x</unexpected>${qr(p.noticeNumber)}<another><deep/></another>`,
    );
    expect(a.body.outcome).toBe('OK');
    const other = `<S:Envelope xmlns:S="${SOAP11}"><S:Body><ns2:paVerifyPaymentNoticeReq xmlns:ns2="${PAFN}">${ids()}${qr(p.noticeNumber)}</ns2:paVerifyPaymentNoticeReq></S:Body></S:Envelope>`;
    const b = await post(other, { soapaction: 'paVerifyPaymentNotice' });
    expect(b.body.outcome).toBe('OK');
  });
});

describe('paGetPayment and paGetPaymentV2', () => {
  it('V2: answers the payment data and records an attempt with the paymentNote, without changing the position', async () => {
    const p = await position({
      dueDate: '2026-05-31',
      paymentReferences: [{ name: 'pratica', value: 'P-42' }],
      debtor: {
        type: 'F',
        fiscalCode: 'TSTPNI70D01L219V',
        name: 'Pino',
        surname: 'Test',
        email: 'pino.test@example.org',
        address: 'Via Roma',
        civic: '1',
        postalCode: '15121',
        locality: 'Alessandria',
        province: 'AL',
        nation: 'IT',
      },
    });
    const before = await positionRow(p.iuv);
    const a = await activate(
      'paGetPaymentV2',
      p.noticeNumber,
      '<amount>10.00</amount><paymentNote>cart-abc</paymentNote>',
    );
    expect(a.body.outcome).toBe('OK');
    const d = a.body.data;
    expect(d).toMatchObject({
      creditorReferenceId: p.iuv,
      paymentAmount: '10.00',
      dueDate: '2026-05-31',
      description: 'Quota',
      companyName: 'Comune di Alessandria',
      officeName: 'Servizi Bibliotecari',
    });
    expect(d.debtor).toEqual({
      uniqueIdentifier: { entityUniqueIdentifierType: 'F', entityUniqueIdentifierValue: 'TSTPNI70D01L219V' },
      fullName: 'Pino Test',
      streetName: 'Via Roma',
      civicNumber: '1',
      postalCode: '15121',
      city: 'Alessandria',
      stateProvinceRegion: 'AL',
      country: 'IT',
      'e-mail': 'pino.test@example.org',
    });
    expect(d.transferList.transfer).toEqual([
      {
        idTransfer: '1',
        transferAmount: '10.00',
        fiscalCodePA: DEMO.ente,
        IBAN: BANK_IBAN,
        remittanceInformation: 'Quota',
        transferCategory: '9/0201133IM/',
      },
    ]);
    expect(d.metadata.mapEntry).toEqual([{ key: 'pratica', value: 'P-42' }]);
    const attempts = await t.c.db.executeSql(
      'select primitive, payment_note, amount_cents::int as amount, transfer_type from payment_attempt where position_id = $1',
      [before.id],
    );
    expect(attempts.rows).toEqual([
      { primitive: 'paGetPaymentV2', payment_note: 'cart-abc', amount: 1000, transfer_type: null },
    ]);
    expect(await positionRow(p.iuv)).toEqual(before);
    expect(await journal('paGetPaymentV2')).toMatchObject({
      caller: STATION,
      enteFiscalCode: DEMO.ente,
      iuv: p.iuv,
      outcome: 'OK',
    });
  });

  it('answers a repeated activation with fresh data and a new attempt', async () => {
    const p = await position();
    const first = await activate('paGetPaymentV2', p.noticeNumber);
    const second = await activate('paGetPayment', p.noticeNumber);
    expect(first.body.data.paymentAmount).toBe('10.00');
    expect(second.body.data.paymentAmount).toBe('10.00');
    const { id } = await positionRow(p.iuv);
    expect(await count('payment_attempt', 'position_id = $1', [id])).toBe(2);
  });

  it('V1: answers ctPaymentPA, with a far due date when the position has none', async () => {
    const p = await position();
    const a = await activate('paGetPayment', p.noticeNumber);
    expect(a.body.data).toMatchObject({
      creditorReferenceId: p.iuv,
      dueDate: '2099-12-31',
      companyName: 'Comune di Alessandria',
    });
    expect(a.body.data.transferList.transfer[0].IBAN).toBe(BANK_IBAN);
  });

  it('uses the end of validity as due date when there is no due date', async () => {
    const p = await position({ validTo: '2026-06-30' });
    expect((await activate('paGetPaymentV2', p.noticeNumber)).body.data.dueDate).toBe('2026-06-30');
  });

  it('picks the postal IBAN for transferType POSTAL, the bank one otherwise', async () => {
    const p = await position();
    const postal = await activate('paGetPaymentV2', p.noticeNumber, '<transferType>POSTAL</transferType>');
    expect(postal.body.data.transferList.transfer[0].IBAN).toBe(POSTAL_IBAN);
    const v1 = await activate('paGetPayment', p.noticeNumber, '<transferType>POSTAL</transferType>');
    expect(v1.body.data.transferList.transfer[0].IBAN).toBe(POSTAL_IBAN);
    // Without a postal account the bank one is all there is.
    const bankOnly = await position({}, extraCtx.NOIB);
    const b = await activate('paGetPaymentV2', bankOnly.noticeNumber, '<transferType>POSTAL</transferType>');
    expect(b.body.data.transferList.transfer[0].IBAN).toBe(BANK_IBAN);
    const { id } = await positionRow(p.iuv);
    const types = await t.c.db.executeSql(
      'select transfer_type from payment_attempt where position_id = $1 order by id',
      [id],
    );
    expect(types.rows.map((r) => r.transfer_type)).toEqual(['POSTAL', 'POSTAL']);
  });

  it('V2 with transferType PAGOPA adds the IBANAPPOGGIO metadata', async () => {
    const p = await position({}, extraCtx.BANK);
    const a = await activate('paGetPaymentV2', p.noticeNumber, '<transferType>PAGOPA</transferType>');
    const tr = a.body.data.transferList.transfer[0];
    expect(tr.IBAN).toBe(BANK_IBAN);
    expect(tr.metadata.mapEntry).toEqual([{ key: 'IBANAPPOGGIO', value: POSTAL_IBAN }]);
  });

  it('answers one transfer per component, with the accounting data as transfer metadata', async () => {
    const p = await position({
      amountCents: 3550,
      components: [
        { amountCents: 2000, causale: 'Prestito', accountingYear: 2026, accountingNumber: 'A-1' },
        { amountCents: 1000, causale: 'Copie' },
        { amountCents: 550, causale: 'Spedizione' },
      ],
    });
    const a = await activate('paGetPaymentV2', p.noticeNumber);
    expect(a.body.data.paymentAmount).toBe('35.50');
    const transfers = a.body.data.transferList.transfer;
    expect(transfers.map((x: any) => [x.idTransfer, x.transferAmount, x.remittanceInformation])).toEqual([
      ['1', '20.00', 'Prestito'],
      ['2', '10.00', 'Copie'],
      ['3', '5.50', 'Spedizione'],
    ]);
    expect(transfers[0].metadata.mapEntry).toEqual([
      { key: 'annoAccertamento', value: '2026' },
      { key: 'numeroAccertamento', value: 'A-1' },
    ]);
    const v1 = await activate('paGetPayment', p.noticeNumber);
    expect(v1.body.data.transferList.transfer).toHaveLength(3);
  });

  it('answers digital stamp transfers (richiestaMarcaDaBollo) in V2 and PAA_SEMANTICA in V1', async () => {
    const hash = Buffer.alloc(32, 7).toString('base64');
    const p = await position(
      {
        amountCents: 1600,
        components: [{ amountCents: 1600, causale: 'Imposta di bollo' }],
        paymentReferences: [{ name: 'hashDocumento', value: hash }],
      },
      extraCtx.BOLL,
    );
    const a = await activate('paGetPaymentV2', p.noticeNumber);
    const tr = a.body.data.transferList.transfer[0];
    expect(tr.IBAN).toBeUndefined();
    expect(tr.richiestaMarcaDaBollo).toEqual({
      hashDocumento: hash,
      tipoBollo: '01',
      provinciaResidenza: 'AL',
    });
    expect(a.body.data.metadata).toBeUndefined();
    expectFault(await activate('paGetPayment', p.noticeNumber), 'PAA_SEMANTICA');
    const v = await verify(p.noticeNumber);
    expect(v.body.paymentList.paymentOptionDescription.allCCP).toBe('false');
  });

  it('answers an ANONIMO debtor with a positive amount as the person ANONIMO', async () => {
    const p = await position({ debtor: { type: null, fiscalCode: 'ANONIMO' } });
    const a = await activate('paGetPaymentV2', p.noticeNumber);
    expect(a.body.data.debtor).toEqual({
      uniqueIdentifier: { entityUniqueIdentifierType: 'F', entityUniqueIdentifierValue: 'ANONIMO' },
      fullName: 'ANONIMO',
    });
  });

  it('answers the faults of verification too, and records no attempt for them', async () => {
    const paid = await position();
    await sendRT('paSendRTV2', {
      receiptId: `rt-dup-${paid.iuv}`,
      noticeNumber: paid.noticeNumber,
      iuv: paid.iuv,
      amount: '10.00',
    });
    const attemptsBefore = await count('payment_attempt');
    expectFault(await activate('paGetPaymentV2', paid.noticeNumber), 'PAA_PAGAMENTO_DUPLICATO');
    expectFault(await activate('paGetPayment', paid.noticeNumber), 'PAA_PAGAMENTO_DUPLICATO');
    expectFault(await verify(paid.noticeNumber), 'PAA_PAGAMENTO_DUPLICATO');
    expectFault(await activate('paGetPaymentV2', '000000000000000000'), 'PAA_PAGAMENTO_SCONOSCIUTO');
    expectFault(
      await activate('paGetPaymentV2', paid.noticeNumber, '', { idStation: 'nope' }),
      'PAA_STAZIONE_INT_ERRATA',
    );
    expectFault(
      await activate('paGetPaymentV2', paid.noticeNumber, '<transferType>BANK</transferType>'),
      'PAA_SINTASSI_EXTRAXSD',
    );
    expectFault(
      await activate('paGetPaymentV2', paid.noticeNumber, '<amount>10</amount>'),
      'PAA_SINTASSI_EXTRAXSD',
    );
    expect(await count('payment_attempt')).toBe(attemptsBefore);
  });
});

describe('paSendRT and paSendRTV2', () => {
  it('V2 after a V2 activation: keeps the receipt with every column and makes the position PAID in the same step', async () => {
    const p = await position();
    await activate('paGetPaymentV2', p.noticeNumber, '<paymentNote>cart-123</paymentNote>');
    const { id } = await positionRow(p.iuv);
    const a = await sendRT('paSendRTV2', {
      receiptId: `tok-${p.iuv}`,
      noticeNumber: p.noticeNumber,
      iuv: p.iuv,
      amount: '10.00',
    });
    expect(a.body).toEqual({ outcome: 'OK' });
    expect((await positionRow(p.iuv)).status).toBe('PAID');
    const history = await t.c.db.executeSql(
      'select from_status, to_status, actor, reason from debt_position_status_history where position_id = $1 order by id desc limit 1',
      [id],
    );
    expect(history.rows[0]).toEqual({
      from_status: 'PAYABLE',
      to_status: 'PAID',
      actor: 'pagopa',
      reason: `ricevuta pagoPA tok-${p.iuv} (paSendRTV2)`,
    });
    const [r] = await findReceiptsByPosition(t.c.db, id);
    expect(r).toMatchObject({
      receiptId: `tok-${p.iuv}`,
      primitive: 'paSendRTV2',
      outcome: 'OK',
      noticeNumber: p.noticeNumber,
      iuv: p.iuv,
      fiscalCode: DEMO.ente,
      amountCents: 1000,
      feeCents: 150,
      applicationDate: '2026-03-02',
      transferDate: '2026-03-03',
      idPsp: 'BCITITMM',
      pspCompanyName: 'Banca di prova',
      pspFiscalCode: '00799960158',
      idChannel: '00799960158_01',
      channelDescription: 'app',
      paymentMethod: 'creditCard',
      paymentNote: 'cart-123',
      standIn: false,
      anomaly: null,
    });
    expect(r!.paymentDateTime?.toISOString()).toBe('2026-03-02T09:15:00.000Z');
    expect(r!.paymentAttemptId).not.toBeNull();
    expect(r!.debtor).toMatchObject({ type: 'F', id: 'TSTPNI70D01L219V', fullName: 'Pino Test' });
    expect(r!.transfers).toEqual([
      expect.objectContaining({ idTransfer: '1', amountCents: 1000, iban: BANK_IBAN }),
    ]);
    expect(r!.rawXml).toContain(`<receiptId>tok-${p.iuv}</receiptId>`);
    expect(await journal('paSendRTV2')).toMatchObject({
      caller: STATION,
      enteFiscalCode: DEMO.ente,
      iuv: p.iuv,
      outcome: 'OK',
    });
  });

  it('is idempotent on receiptId: a resent receipt answers PAA_RECEIPT_DUPLICATA and changes nothing', async () => {
    const p = await position();
    const rt = { receiptId: `again-${p.iuv}`, noticeNumber: p.noticeNumber, iuv: p.iuv, amount: '10.00' };
    expect((await sendRT('paSendRTV2', rt)).body.outcome).toBe('OK');
    const after = await positionRow(p.iuv);
    const receipts = await count('receipt');
    expectFault(await sendRT('paSendRTV2', rt), 'PAA_RECEIPT_DUPLICATA');
    expectFault(await sendRT('paSendRT', { ...rt, amount: '99.00' }), 'PAA_RECEIPT_DUPLICATA');
    expect(await count('receipt')).toBe(receipts);
    expect(await positionRow(p.iuv)).toEqual(after);
    expect((await journal('paSendRT')).outcome).toBe('PAA_RECEIPT_DUPLICATA');
  });

  it('keeps concurrent copies of one receipt once', async () => {
    const p = await position();
    const rt = { receiptId: `conc-${p.iuv}`, noticeNumber: p.noticeNumber, iuv: p.iuv, amount: '10.00' };
    const answers = await Promise.all([1, 2, 3].map(() => sendRT('paSendRTV2', rt)));
    expect(answers.filter((a) => a.body.outcome === 'OK')).toHaveLength(1);
    expect(answers.filter((a) => a.body.fault?.faultCode === 'PAA_RECEIPT_DUPLICATA')).toHaveLength(2);
    expect(await count('receipt', 'receipt_id = $1', [rt.receiptId])).toBe(1);
    const { id } = await positionRow(p.iuv);
    expect(await count('debt_position_status_history', "position_id = $1 and to_status = 'PAID'", [id])).toBe(
      1,
    );
  });

  it('accepts a stand-in receipt without any activation', async () => {
    const p = await position();
    const a = await sendRT('paSendRTV2', {
      receiptId: `si-${p.iuv}`,
      noticeNumber: p.noticeNumber,
      iuv: p.iuv,
      amount: '10.00',
      standIn: true,
    });
    expect(a.body.outcome).toBe('OK');
    const { id, status } = await positionRow(p.iuv);
    expect(status).toBe('PAID');
    const [r] = await findReceiptsByPosition(t.c.db, id);
    expect(r).toMatchObject({ standIn: true, paymentAttemptId: null, anomaly: null });
  });

  it('accepts V1 receipts after a V2 activation and V2 receipts after a V1 activation', async () => {
    const a = await position();
    await activate('paGetPaymentV2', a.noticeNumber);
    expect(
      (
        await sendRT('paSendRT', {
          receiptId: `v1-${a.iuv}`,
          noticeNumber: a.noticeNumber,
          iuv: a.iuv,
          amount: '10.00',
        })
      ).body.outcome,
    ).toBe('OK');
    const b = await position();
    await activate('paGetPayment', b.noticeNumber);
    expect(
      (
        await sendRT('paSendRTV2', {
          receiptId: `v2-${b.iuv}`,
          noticeNumber: b.noticeNumber,
          iuv: b.iuv,
          amount: '10.00',
        })
      ).body.outcome,
    ).toBe('OK');
    for (const p of [a, b]) {
      const row = await positionRow(p.iuv);
      expect(row.status).toBe('PAID');
      const [r] = await findReceiptsByPosition(t.c.db, row.id);
      expect(r!.paymentAttemptId).not.toBeNull();
    }
    const [ra] = await findReceiptsByPosition(t.c.db, (await positionRow(a.iuv)).id);
    expect(ra!.primitive).toBe('paSendRT');
  });

  it('records a second payment of a paid position as DOUBLE_PAYMENT, keeping it PAID', async () => {
    const p = await position();
    await sendRT('paSendRTV2', {
      receiptId: `first-${p.iuv}`,
      noticeNumber: p.noticeNumber,
      iuv: p.iuv,
      amount: '10.00',
    });
    const paid = await positionRow(p.iuv);
    const a = await sendRT('paSendRTV2', {
      receiptId: `second-${p.iuv}`,
      noticeNumber: p.noticeNumber,
      iuv: p.iuv,
      amount: '10.00',
    });
    expect(a.body.outcome).toBe('OK');
    expect(await positionRow(p.iuv)).toEqual(paid);
    const receipts = await findReceiptsByPosition(t.c.db, paid.id);
    expect(receipts.map((r) => [r.receiptId, r.anomaly])).toEqual([
      [`second-${p.iuv}`, 'DOUBLE_PAYMENT'],
      [`first-${p.iuv}`, null],
    ]);
  });

  it('keeps a cancelled position cancelled, flagging POSITION_CANCELLED', async () => {
    const p = await position();
    await t.c.debtPositions.cancel(demoCtx, p.iuv, 'annullata');
    const before = await positionRow(p.iuv);
    expect(
      (
        await sendRT('paSendRT', {
          receiptId: `c-${p.iuv}`,
          noticeNumber: p.noticeNumber,
          iuv: p.iuv,
          amount: '10.00',
        })
      ).body.outcome,
    ).toBe('OK');
    expect(await positionRow(p.iuv)).toEqual(before);
    expect((await findReceiptsByPosition(t.c.db, before.id))[0]!.anomaly).toBe('POSITION_CANCELLED');
  });

  it('makes an expired position PAID, flagging POSITION_EXPIRED', async () => {
    const p = await position({ validTo: '2026-03-05' });
    const saved = now;
    now = new Date('2026-03-10T09:00:00Z');
    try {
      expect(
        (
          await sendRT('paSendRTV2', {
            receiptId: `e-${p.iuv}`,
            noticeNumber: p.noticeNumber,
            iuv: p.iuv,
            amount: '10.00',
          })
        ).body.outcome,
      ).toBe('OK');
    } finally {
      now = saved;
    }
    const row = await positionRow(p.iuv);
    expect(row.status).toBe('PAID');
    expect((await findReceiptsByPosition(t.c.db, row.id))[0]!.anomaly).toBe('POSITION_EXPIRED');
  });

  it('makes a position PAID with a different amount, flagging AMOUNT_MISMATCH', async () => {
    const p = await position();
    expect(
      (
        await sendRT('paSendRTV2', {
          receiptId: `m-${p.iuv}`,
          noticeNumber: p.noticeNumber,
          iuv: p.iuv,
          amount: '9.00',
          standIn: true,
        })
      ).body.outcome,
    ).toBe('OK');
    const row = await positionRow(p.iuv);
    expect(row.status).toBe('PAID');
    expect((await findReceiptsByPosition(t.c.db, row.id))[0]).toMatchObject({
      anomaly: 'AMOUNT_MISMATCH',
      amountCents: 900,
    });
  });

  it('keeps a receipt of an unknown notice without a position (UNKNOWN_POSITION)', async () => {
    const a = await sendRT('paSendRTV2', {
      receiptId: 'unknown-1',
      noticeNumber: '301999999999999999',
      iuv: '01999999999999999',
      amount: '5.00',
    });
    expect(a.body.outcome).toBe('OK');
    const r = await t.c.db.executeSql(
      "select position_id, anomaly from receipt where receipt_id = 'unknown-1'",
    );
    expect(r.rows).toEqual([{ position_id: null, anomaly: 'UNKNOWN_POSITION' }]);
  });

  it('keeps a KO receipt without changing the position', async () => {
    const p = await position();
    const before = await positionRow(p.iuv);
    expect(
      (
        await sendRT('paSendRTV2', {
          receiptId: `ko-${p.iuv}`,
          noticeNumber: p.noticeNumber,
          iuv: p.iuv,
          amount: '10.00',
          outcome: 'KO',
        })
      ).body.outcome,
    ).toBe('OK');
    expect(await positionRow(p.iuv)).toEqual(before);
    expect((await findReceiptsByPosition(t.c.db, before.id))[0]).toMatchObject({
      outcome: 'KO',
      anomaly: null,
    });
  });

  it('reads receipts leniently: unknown elements (GovPay #860) and the lowercase standin of the docs', async () => {
    const p = await position();
    const a = await sendRT('paSendRTV2', {
      receiptId: `len-${p.iuv}`,
      noticeNumber: p.noticeNumber,
      iuv: p.iuv,
      amount: '10.00',
      extra: '<futureElement><nested>1</nested></futureElement><standin>true</standin>',
    });
    expect(a.body.outcome).toBe('OK');
    const row = await positionRow(p.iuv);
    expect(row.status).toBe('PAID');
    const [r] = await findReceiptsByPosition(t.c.db, row.id);
    expect(r!.standIn).toBe(true);
    expect(r!.rawXml).toContain('<futureElement>');
  });

  it('refuses receipts that cannot be identified, and those for an ente or station not served, writing nothing', async () => {
    const p = await position();
    const receipts = await count('receipt');
    expectFault(
      await call('paSendRTV2', ids() + '<receipt><noticeNumber>1</noticeNumber></receipt>'),
      'PAA_SINTASSI_EXTRAXSD',
    );
    expectFault(await call('paSendRTV2', ids()), 'PAA_SINTASSI_EXTRAXSD');
    const rt = { receiptId: `ref-${p.iuv}`, noticeNumber: p.noticeNumber, iuv: p.iuv, amount: '10.00' };
    expectFault(
      await sendRT('paSendRTV2', { ...rt, ids: { idPA: '00000000000' }, fiscalCode: '00000000000' }),
      'PAA_ID_DOMINIO_ERRATO',
      '00000000000',
    );
    expectFault(
      await sendRT('paSendRT', { ...rt, ids: { idBrokerPA: '11111111111' } }),
      'PAA_ID_INTERMEDIARIO_ERRATO',
    );
    expectFault(
      await sendRT('paSendRT', { ...rt, ids: { idStation: `${BROKER}_09` } }),
      'PAA_STAZIONE_INT_ERRATA',
    );
    expect(await count('receipt')).toBe(receipts);
    expect((await positionRow(p.iuv)).status).toBe('PAYABLE');
  });
});

describe('receipts in corner cases', () => {
  it('makes a not yet active position PAID, flagging POSITION_NOT_YET_ACTIVE', async () => {
    const p = await position({ validFrom: '2026-04-01' });
    expect(
      (
        await sendRT('paSendRTV2', {
          receiptId: `nya-${p.iuv}`,
          noticeNumber: p.noticeNumber,
          iuv: p.iuv,
          amount: '10.00',
        })
      ).body.outcome,
    ).toBe('OK');
    const row = await positionRow(p.iuv);
    expect(row.status).toBe('PAID');
    expect((await findReceiptsByPosition(t.c.db, row.id))[0]!.anomaly).toBe('POSITION_NOT_YET_ACTIVE');
  });

  it("keeps a broadcast receipt of another ente's notice for idPA, touching no position", async () => {
    const other = await position({}, extraCtx.TARI);
    const before = await positionRow(other.iuv, OTHER_ENTE);
    const a = await sendRT('paSendRTV2', {
      receiptId: `bc-${other.iuv}`,
      noticeNumber: other.noticeNumber,
      iuv: other.iuv,
      amount: '10.00',
      fiscalCode: OTHER_ENTE,
    });
    expect(a.body.outcome).toBe('OK');
    expect(await positionRow(other.iuv, OTHER_ENTE)).toEqual(before);
    const r = await t.c.db.executeSql(
      'select r.position_id, r.anomaly, e.codice_fiscale from receipt r join ente e on e.id = r.ente_id where receipt_id = $1',
      [`bc-${other.iuv}`],
    );
    expect(r.rows).toEqual([{ position_id: null, anomaly: null, codice_fiscale: DEMO.ente }]);
  });

  it('still takes the receipts of a deactivated ente, which no longer answers verifications', async () => {
    const cf = '80002270074';
    await t.c.organizations.createEnte({
      codiceFiscale: cf,
      denominazione: 'Comune chiuso',
      codiceSegregazione: '03',
      ibanBancario: BANK_IBAN,
      idBrokerPA: BROKER,
      idStation: STATION,
    });
    await t.c.organizations.updateEnte(cf, { active: false });
    const o = { idPA: cf };
    expectFault(await verify('301000000000000144', o), 'PAA_ID_DOMINIO_ERRATO', cf);
    const a = await sendRT('paSendRT', {
      receiptId: 'closed-1',
      noticeNumber: '301000000000000144',
      iuv: '01000000000000144',
      amount: '3.00',
      fiscalCode: cf,
      ids: o,
    });
    expect(a.body.outcome).toBe('OK');
    expect(await count('receipt', "receipt_id = 'closed-1' and anomaly = 'UNKNOWN_POSITION'")).toBe(1);
  });
});

describe('paDemandPaymentNotice', () => {
  const demand = (o: Parameters<typeof ids>[0] = {}) =>
    call(
      'paDemandPaymentNotice',
      `${ids(o)}<idServizio>00001</idServizio><idSoggettoServizio>00001</idSoggettoServizio><datiSpecificiServizioRequest>${Buffer.from('<x/>').toString('base64')}</datiSpecificiServizioRequest>`,
    );

  it('answers PAA_SEMANTICA while no spontaneous-payment service is configured, after the caller checks', async () => {
    expectFault(await demand(), 'PAA_SEMANTICA');
    expectFault(await demand({ idStation: 'other' }), 'PAA_STAZIONE_INT_ERRATA');
    expectFault(await call('paDemandPaymentNotice', ids()), 'PAA_SINTASSI_EXTRAXSD');
  });
});

describe('bad input at the SOAP edge', () => {
  async function soapFault(
    payload: string,
    headers: Record<string, string> = { soapaction: 'paVerifyPaymentNotice' },
    expected = 'soapenv:Client',
  ) {
    const a = await post(payload, headers);
    expect(a.status).toBe(500);
    expect(a.element).toBe('Fault');
    expect(a.contentType).toBe('text/xml; charset=utf-8');
    expect(a.body.faultcode).toBe(expected);
    return a;
  }
  const good = () => envelope('paVerifyPaymentNotice', ids() + qr('000000000000000000'));

  it('answers malformed XML, an empty body and a DTD with a Client fault', async () => {
    await soapFault(
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><a></b>',
    );
    await soapFault('');
    await soapFault('not xml at all');
    await soapFault(
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>${good().replace('<?xml version="1.0" encoding="UTF-8"?>', '')}`,
    );
    expect((await journal('paForNode')).outcome).toBe('soap:Client');
  });

  it('answers a SOAP 1.2 envelope with VersionMismatch', async () => {
    await soapFault(
      envelope('paVerifyPaymentNotice', ids() + qr('000000000000000000'), {
        envNs: 'http://www.w3.org/2003/05/soap-envelope',
      }),
      { soapaction: 'paVerifyPaymentNotice', 'content-type': 'application/soap+xml' },
      'soapenv:VersionMismatch',
    );
  });

  it('answers a wrong namespace, an unknown operation or a body without envelope with a Client fault', async () => {
    await soapFault(envelope('paVerifyPaymentNotice', ids(), { bodyNs: 'http://example.org/other' }));
    await soapFault(envelope('paVerifyPaymentNotice', ids(), { element: 'paaVerificaRPT' }), {
      soapaction: 'paaVerificaRPT',
    });
    await soapFault(
      `<pafn:paVerifyPaymentNoticeReq xmlns:pafn="${PAFN}">${ids()}</pafn:paVerifyPaymentNoticeReq>`,
    );
  });

  it('answers a mismatching SOAPAction with a Client fault, and accepts a missing, quoted, empty or namespaced one', async () => {
    await soapFault(good(), { soapaction: 'paGetPaymentV2' });
    expectFault(await post(good(), {}), 'PAA_PAGAMENTO_SCONOSCIUTO');
    for (const soapaction of [
      'urn:pagopa:paVerifyPaymentNotice',
      'paVerifyPaymentNotice',
      '"paVerifyPaymentNotice"',
      '""',
      'http://pagopa-api.pagopa.gov.it/paForNode/paVerifyPaymentNotice',
    ]) {
      const a = await post(good(), { soapaction });
      expect(a.element).toBe('paVerifyPaymentNoticeRes');
      expectFault(a, 'PAA_PAGAMENTO_SCONOSCIUTO');
    }
  });

  it('answers with SOAP whatever the content type, and refuses an oversized body with a Client fault', async () => {
    const a = await post(good(), {
      soapaction: 'paVerifyPaymentNotice',
      'content-type': 'application/octet-stream',
    });
    expectFault(a, 'PAA_PAGAMENTO_SCONOSCIUTO');
    const huge = good().replace(
      '<soapenv:Header/>',
      `<soapenv:Header><x>${'a'.repeat(1_100_000)}</x></soapenv:Header>`,
    );
    const f = await soapFault(huge);
    expect(f.body.faultstring).toMatch(/troppo grande/);
  });

  it('writes nothing for a malformed receipt', async () => {
    const receipts = await count('receipt');
    await soapFault(envelope('paSendRTV2', ids() + '<receipt><receiptId>x</receiptId>').slice(0, -30), {
      soapaction: 'paSendRTV2',
    });
    expect(await count('receipt')).toBe(receipts);
  });
});

describe('GET /soap/paForNode?wsdl', () => {
  it('serves the WSDL with the address of Cassa and its schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/soap/paForNode?wsdl' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(res.body).toContain('<soap:address location="https://cassa.example.it/soap/paForNode" />');
    expect(res.body).toContain('schemaLocation="https://cassa.example.it/soap/paForNode?xsd=paForNode.xsd"');
    const xsd = await t.app.inject({ method: 'GET', url: '/soap/paForNode?xsd=paForNode.xsd' });
    expect(xsd.body).toContain(
      'schemaLocation="https://cassa.example.it/soap/paForNode?xsd=sac-common-types-1.0.xsd"',
    );
    const common = await t.app.inject({ method: 'GET', url: '/soap/paForNode?xsd=sac-common-types-1.0.xsd' });
    expect(common.body).toContain('name="ctFaultBean"');
    expect(
      (await t.app.inject({ method: 'GET', url: '/soap/paForNode?xsd=../../etc/passwd' })).statusCode,
    ).toBe(404);
  });
});
