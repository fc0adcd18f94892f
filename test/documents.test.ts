/**
 * Documents (GovPay's documento) end to end: created through the admin API, paid through the real SOAP flow
 * (paVerifyPaymentNotice, paGetPaymentV2, paSendRTV2), read back through the admin API.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanNoticePdf } from '../simulator/src/notice-scan.js';
import { XMLParser } from 'fast-xml-parser';
import { DEMO, DEMO_DOCUMENT, seedDemo } from '../src/app/demo-seed.js';
import { ADMIN_TOKEN, buildTestApp, type TestApp } from './helpers/app.js';
import { validateSoapResponse } from './helpers/xsd.js';
import { Browser } from './helpers/portal.js';

const PAFN = 'http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd';
const BANK_IBAN = 'IT60X0542811101000000123456';
const reader = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreAttributes: true });

let t: TestApp;

beforeAll(async () => {
  // the real clock: the Sportello's sessions expire by the database's clock
  t = await buildTestApp();
  await seedDemo(t.c);
});
afterAll(async () => t?.close());

async function admin(method: 'GET' | 'POST', url: string, body?: unknown) {
  const res = await t.app.inject({
    method,
    url: `/admin/api/v1${url}`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: res.statusCode, body: res.json() };
}

const debtor = { type: 'F', fiscalCode: 'TSTPNI70D01L219V', name: 'Pino', surname: 'Test' };
let docSeq = 0;
function documentBody(overrides: Record<string, unknown> = {}) {
  docSeq += 1;
  return {
    identificativo: `DOC-${docSeq}`,
    descrizione: 'TARI 2026',
    debtor,
    causale: 'TARI 2026 utenza domestica',
    singleSolution: { amountCents: 30000, dueDate: '2026-04-30' },
    instalments: [
      { amountCents: 10100, dueDate: '2026-04-30' },
      { amountCents: 10100, dueDate: '2026-06-30' },
      { amountCents: 10100, dueDate: '2026-08-31' },
    ],
    ...overrides,
  };
}

interface CreatedPosition {
  place: string;
  rata?: number;
  soglia?: { tipo: string; giorni: number };
  iuv: string;
  noticeNumber: string;
  amountCents: number;
  dueDate: string | null;
}

async function createDocument(overrides: Record<string, unknown> = {}) {
  const res = await admin('POST', `/enti/${DEMO.ente}/payment-types/TARI/documents`, documentBody(overrides));
  expect(res.status).toBe(201);
  const positions = res.body.positions as CreatedPosition[];
  return {
    identificativo: res.body.identificativo as string,
    positions,
    single: positions.find((p) => p.place === 'SINGLE')!,
    rata: (n: number) => positions.find((p) => p.rata === n)!,
  };
}

// ---- SOAP, as pa-for-node.test.ts speaks it
const REQUEST: Record<string, string> = {
  paVerifyPaymentNotice: 'paVerifyPaymentNoticeReq',
  paGetPaymentV2: 'paGetPaymentV2Request',
  paSendRTV2: 'paSendRTV2Request',
};
function ids(): string {
  return `<idPA>${DEMO.ente}</idPA><idBrokerPA>${DEMO.idBrokerPA}</idBrokerPA><idStation>${DEMO.idStation}</idStation>`;
}
async function call(op: string, inner: string) {
  const element = REQUEST[op]!;
  const res = await t.app.inject({
    method: 'POST',
    url: '/soap/paForNode',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${op}"` },
    payload:
      `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="${PAFN}">` +
      `<soapenv:Header/><soapenv:Body><pafn:${element}>${inner}</pafn:${element}></soapenv:Body></soapenv:Envelope>`,
  });
  expect(res.statusCode).toBe(200);
  const { element: answer } = validateSoapResponse(res.body);
  return reader.parse(res.body).Envelope.Body[answer] as {
    outcome: string;
    fault?: { faultCode: string; description?: string };
  };
}
const qr = (notice: string) =>
  `<qrCode><fiscalCode>${DEMO.ente}</fiscalCode><noticeNumber>${notice}</noticeNumber></qrCode>`;
const verify = (notice: string) => call('paVerifyPaymentNotice', ids() + qr(notice));
const activate = (notice: string) => call('paGetPaymentV2', ids() + qr(notice) + '<amount>1.00</amount>');
let receiptSeq = 0;
async function pay(p: CreatedPosition, opts: { activate?: boolean } = {}) {
  if (opts.activate ?? true) expect((await activate(p.noticeNumber)).outcome).toBe('OK');
  receiptSeq += 1;
  const amount = (p.amountCents / 100).toFixed(2);
  const a = await call(
    'paSendRTV2',
    ids() +
      `<receipt><receiptId>doc-rt-${receiptSeq}</receiptId><noticeNumber>${p.noticeNumber}</noticeNumber><fiscalCode>${DEMO.ente}</fiscalCode>` +
      `<outcome>OK</outcome><creditorReferenceId>${p.iuv}</creditorReferenceId><paymentAmount>${amount}</paymentAmount>` +
      `<description>TARI</description><companyName>Comune di Alessandria</companyName>` +
      `<debtor><uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType><entityUniqueIdentifierValue>TSTPNI70D01L219V</entityUniqueIdentifierValue></uniqueIdentifier><fullName>Pino Test</fullName></debtor>` +
      `<transferList><transfer><idTransfer>1</idTransfer><transferAmount>${amount}</transferAmount><fiscalCodePA>${DEMO.ente}</fiscalCodePA>` +
      `<IBAN>${BANK_IBAN}</IBAN><remittanceInformation>TARI</remittanceInformation><transferCategory>9/0101108TS/</transferCategory></transfer></transferList>` +
      `<idPSP>BCITITMM</idPSP><pspFiscalCode>00799960158</pspFiscalCode><PSPCompanyName>Banca di prova</PSPCompanyName>` +
      `<idChannel>00799960158_01</idChannel><channelDescription>app</channelDescription><paymentMethod>creditCard</paymentMethod>` +
      `<fee>1.50</fee><paymentDateTime>2026-03-02T10:15:00</paymentDateTime><applicationDate>2026-03-02</applicationDate><transferDate>2026-03-03</transferDate></receipt>`,
  );
  expect(a.outcome).toBe('OK');
  return `doc-rt-${receiptSeq}`;
}
function expectFault(a: { outcome: string; fault?: { faultCode: string } }, code: string) {
  expect(a.outcome).toBe('KO');
  expect(a.fault?.faultCode).toBe(code);
}
async function anomalyOf(receiptId: string): Promise<string | null> {
  const r = await t.c.db.executeSql('select anomaly from receipt where receipt_id = $1', [receiptId]);
  return (r.rows[0] as { anomaly: string | null }).anomaly;
}
async function statusOf(iuv: string): Promise<string> {
  const r = await t.c.db.executeSql('select status from debt_position where iuv = $1', [iuv]);
  return (r.rows[0] as { status: string }).status;
}
// an activation holds the other plans for the payment token's lifetime, measured by the database's clock
// (payment_attempt.created_at): tests that need it over age the attempts
const afterHold = () =>
  t.c.db.executeSql("update payment_attempt set created_at = created_at - interval '31 minutes'");

describe('creating a document through the admin API', () => {
  it('creates the single solution and the instalments numbered in order, each with its IUV and notice number', async () => {
    const res = await admin('POST', `/enti/${DEMO.ente}/payment-types/TARI/documents`, documentBody());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ente: DEMO.ente, paymentType: 'TARI', descrizione: 'TARI 2026' });
    const positions = res.body.positions as CreatedPosition[];
    expect(positions.map((p) => [p.place, p.rata, p.amountCents, p.dueDate])).toEqual([
      ['SINGLE', undefined, 30000, '2026-04-30'],
      ['INSTALMENT', 1, 10100, '2026-04-30'],
      ['INSTALMENT', 2, 10100, '2026-06-30'],
      ['INSTALMENT', 3, 10100, '2026-08-31'],
    ]);
    for (const p of positions) {
      expect(p.noticeNumber).toMatch(/^3\d{17}$/);
      expect(p.noticeNumber.slice(1)).toBe(p.iuv);
    }
    expect(new Set(positions.map((p) => p.iuv)).size).toBe(4);

    const read = await admin('GET', `/enti/${DEMO.ente}/documents/${res.body.identificativo}`);
    expect(read.status).toBe(200);
    expect(read.body.positions.map((p: { payableNow: boolean }) => p.payableNow)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    // the admin view of one position names its document and place
    const one = await admin(
      'GET',
      `/enti/${DEMO.ente}/payment-types/TARI/debt-positions/${positions[2]!.iuv}`,
    );
    expect(one.body.document).toEqual({
      identificativo: res.body.identificativo,
      descrizione: 'TARI 2026',
      place: 'INSTALMENT',
      rata: 2,
    });
  });

  it('creates threshold options, listed ENTRO before OLTRE', async () => {
    const d = await createDocument({
      singleSolution: undefined,
      instalments: undefined,
      thresholds: [
        { tipo: 'OLTRE', giorni: 5, amountCents: 10000 },
        { tipo: 'ENTRO', giorni: 5, amountCents: 7000, causale: 'Sanzione ridotta (entro 5 giorni)' },
      ],
    });
    expect(d.positions.map((p) => [p.place, p.soglia])).toEqual([
      ['THRESHOLD', { tipo: 'OLTRE', giorni: 5 }],
      ['THRESHOLD', { tipo: 'ENTRO', giorni: 5 }],
    ]);
    const read = await admin('GET', `/enti/${DEMO.ente}/documents/${d.identificativo}`);
    expect(read.body.positions.map((p: { soglia: unknown }) => p.soglia)).toEqual([
      { tipo: 'ENTRO', giorni: 5 },
      { tipo: 'OLTRE', giorni: 5 },
    ]);
    // paying the reduced fine makes the full amount unpayable
    const entro = d.positions.find((p) => p.soglia?.tipo === 'ENTRO')!;
    const oltre = d.positions.find((p) => p.soglia?.tipo === 'OLTRE')!;
    await pay(entro);
    expectFault(await verify(oltre.noticeNumber), 'PAA_PAGAMENTO_DUPLICATO');
  });

  it('answers 409 for an identificativo the ente already has, and writes nothing', async () => {
    const d = await createDocument();
    const before = await t.c.db.executeSql('select count(*)::int as n from debt_position');
    const res = await admin(
      'POST',
      `/enti/${DEMO.ente}/payment-types/TARI/documents`,
      documentBody({ identificativo: d.identificativo }),
    );
    expect(res.status).toBe(409);
    expect(res.body.field).toBe('identificativo');
    const after = await t.c.db.executeSql('select count(*)::int as n from debt_position');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it.each([
    [{ instalments: [{ amountCents: 100, dueDate: '2026-04-30' }] }, 'instalments'],
    [
      {
        instalments: [
          { amountCents: 100, dueDate: '2026-06-30' },
          { amountCents: 100, dueDate: '2026-04-30' },
        ],
      },
      'instalments[1].dueDate',
    ],
    [{ singleSolution: { amountCents: 0 } }, 'singleSolution.amountCents'],
    [{ singleSolution: undefined, instalments: undefined }, 'singleSolution'],
    [{ identificativo: 'x'.repeat(36) }, 'identificativo'],
    [{ debtor: { ...debtor, fiscalCode: 'NOTACF' } }, 'debtor.fiscalCode'],
    [
      {
        singleSolution: {
          amountCents: 100,
          components: [{ amountCents: 50, causale: 'a' }],
        },
      },
      'singleSolution.components',
    ],
    [
      {
        thresholds: [
          { tipo: 'ENTRO', giorni: 5, amountCents: 100 },
          { tipo: 'ENTRO', giorni: 5, amountCents: 200 },
        ],
      },
      'thresholds[1]',
    ],
    [{ singleSolution: { amountCents: 100, dueDate: '30/04/2026' } }, 'singleSolution.dueDate'],
  ])('refuses a bad body with 400 naming the field (%o)', async (overrides, field) => {
    const before = await t.c.db.executeSql('select count(*)::int as n from document');
    const res = await admin(
      'POST',
      `/enti/${DEMO.ente}/payment-types/TARI/documents`,
      documentBody(overrides),
    );
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
    const after = await t.c.db.executeSql('select count(*)::int as n from document');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('answers 404 for an unknown document', async () => {
    expect((await admin('GET', `/enti/${DEMO.ente}/documents/NOPE`)).status).toBe(404);
  });
});

describe('paying a document through pagoPA', () => {
  it('an instalment paid leaves the other instalments payable and the single solution refused', async () => {
    const d = await createDocument();
    await pay(d.rata(1));
    await afterHold();
    expect(await statusOf(d.rata(1).iuv)).toBe('PAID');
    expect((await verify(d.rata(2).noticeNumber)).outcome).toBe('OK');
    expect((await activate(d.rata(2).noticeNumber)).outcome).toBe('OK');
    expectFault(await verify(d.single.noticeNumber), 'PAA_PAGAMENTO_DUPLICATO');
    expectFault(await activate(d.single.noticeNumber), 'PAA_PAGAMENTO_DUPLICATO');
    const read = await admin('GET', `/enti/${DEMO.ente}/documents/${d.identificativo}`);
    expect(
      read.body.positions.map(
        (p: { place: string; status: string; payableNow: boolean; blockedBy: string | null }) => [
          p.place,
          p.status,
          p.payableNow,
          p.blockedBy,
        ],
      ),
    ).toEqual([
      ['SINGLE', 'PAYABLE', false, 'OTHER_PLAN_PAID'],
      ['INSTALMENT', 'PAID', false, null],
      ['INSTALMENT', 'PAYABLE', true, null],
      ['INSTALMENT', 'PAYABLE', true, null],
    ]);
  });

  it('the single solution paid makes every instalment refused', async () => {
    const d = await createDocument();
    await pay(d.single);
    await afterHold();
    for (const n of [1, 2, 3]) {
      expectFault(await verify(d.rata(n).noticeNumber), 'PAA_PAGAMENTO_DUPLICATO');
      expectFault(await activate(d.rata(n).noticeNumber), 'PAA_PAGAMENTO_DUPLICATO');
    }
  });

  it('an activation holds the other plans (PAA_PAGAMENTO_IN_CORSO) until its token expires', async () => {
    const d = await createDocument();
    expect((await activate(d.single.noticeNumber)).outcome).toBe('OK');
    expectFault(await verify(d.rata(1).noticeNumber), 'PAA_PAGAMENTO_IN_CORSO');
    expectFault(await activate(d.rata(1).noticeNumber), 'PAA_PAGAMENTO_IN_CORSO');
    // the same plan is not held: the single solution can be activated again (the node's retry)
    expect((await activate(d.single.noticeNumber)).outcome).toBe('OK');
    await afterHold();
    expect((await verify(d.rata(1).noticeNumber)).outcome).toBe('OK');
  });

  it('a receipt for a plan that conflicts with a paid one is acknowledged, applied and flagged', async () => {
    const d = await createDocument();
    await pay(d.single);
    await afterHold();
    // a PSP paid an old instalment notice anyway: no activation, the receipt comes
    const receiptId = await pay(d.rata(2), { activate: false });
    expect(await anomalyOf(receiptId)).toBe('DOCUMENT_PLAN_CONFLICT');
    expect(await statusOf(d.rata(2).iuv)).toBe('PAID');
    // a receipt of the same plan as a paid one is no anomaly
    const d2 = await createDocument();
    await pay(d2.rata(1));
    await afterHold();
    expect(await anomalyOf(await pay(d2.rata(2)))).toBeNull();
  });

  it('of two activations of conflicting plans at the same moment, exactly one succeeds', async () => {
    for (let round = 0; round < 3; round++) {
      const d = await createDocument();
      const answers = await Promise.all([activate(d.single.noticeNumber), activate(d.rata(1).noticeNumber)]);
      expect(answers.map((a) => a.outcome).sort()).toEqual(['KO', 'OK']);
      expect(answers.find((a) => a.outcome === 'KO')!.fault!.faultCode).toBe('PAA_PAGAMENTO_IN_CORSO');
      await afterHold();
    }
  });
});

describe('the Sportello', () => {
  async function addNotice(b: Browser, code: string) {
    if (!b.lastHtml.includes('form-add-notice')) await b.get('/sportello/');
    return b.submit('/sportello/avvisi', { codiceAvviso: code, codiceFiscale: debtor.fiscalCode, ente: '' });
  }

  it('refuses an instalment once the single solution is paid, with a plain message, and takes the other plan before', async () => {
    const d = await createDocument();
    const b = new Browser(t.app);
    await addNotice(b, d.rata(1).noticeNumber);
    expect(b.lastHtml).not.toContain('già stato pagato in un altro modo');
    await pay(d.single);
    await afterHold();
    await addNotice(b, d.rata(2).noticeNumber);
    expect(b.lastHtml).toContain('già stato pagato in un altro modo');
  });

  it('keeps one way of paying a document per cart: a second instalment joins, the single solution does not', async () => {
    const d = await createDocument();
    const b = new Browser(t.app);
    await addNotice(b, d.rata(1).noticeNumber);
    await addNotice(b, d.rata(2).noticeNumber);
    expect(b.lastHtml).not.toContain('un altro modo di pagare lo stesso documento');
    await addNotice(b, d.single.noticeNumber);
    expect(b.lastHtml).toContain('un altro modo di pagare lo stesso documento');
    // the cart holds the two instalments, not the single solution
    const cart = await t.c.db.executeSql(
      `select positions from portal_session where positions::text like '%${d.rata(1).noticeNumber}%'`,
    );
    const items = (cart.rows[0] as { positions: { noticeNumber?: string }[] }).positions;
    expect(JSON.stringify(items)).toContain(d.rata(2).noticeNumber);
    expect(JSON.stringify(items)).not.toContain(d.single.noticeNumber);
  });

  it('says so in English too', async () => {
    const d = await createDocument();
    await pay(d.rata(1));
    await afterHold();
    const b = new Browser(t.app);
    await b.get('/sportello/?lang=en');
    await addNotice(b, d.single.noticeNumber);
    expect(b.lastHtml).toContain('has already been paid another way');
  });
});

describe('mass printing a document', () => {
  it('prints what the document still offers when the position standing for it is no longer payable', async () => {
    // the single solution comes first by due date: it stands for the document in the run, and is
    // blocked once instalment 1 is paid; instalments 2 and 3 must still be printed
    const d = await createDocument({
      singleSolution: { amountCents: 30000, dueDate: '2031-04-30' },
      instalments: [
        { amountCents: 10100, dueDate: '2031-04-30' },
        { amountCents: 10100, dueDate: '2031-06-30' },
        { amountCents: 10100, dueDate: '2031-08-31' },
      ],
    });
    await pay(d.rata(1));
    await afterHold();
    const created = await admin('POST', `/enti/${DEMO.ente}/print-jobs`, {
      filter: { paymentType: 'TARI', dueFrom: '2031-01-01', dueTo: '2031-12-31' },
      format: 'pdf',
    });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await t.c.printJobs.runNext();
    const status = await admin('GET', `/print-jobs/${id}`);
    expect(status.body).toMatchObject({ status: 'DONE', total: 1, skipped: 0 });
    const file = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/print-jobs/${id}/download`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const dir = await mkdtemp(join(tmpdir(), 'cassa-doc-print-'));
    try {
      const path = join(dir, 'run.pdf');
      await writeFile(path, file.rawPayload);
      const codes = (await scanNoticePdf(path)).flatMap((pg) => pg.qrCodes.map((q) => q.noticeNumber));
      expect(codes).toEqual([d.rata(2).noticeNumber, d.rata(3).noticeNumber]);
      const text = (await promisify(execFile)('pdftotext', [path, '-'])).stdout.replace(/\s+/g, ' ');
      expect(text).toContain('RATA 2 di 3');
      expect(text).toContain('RATA 3 di 3');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a position added to a document by reference (GovPay documento)', () => {
  it('creates the document when absent, adds the next instalment, refuses a taken place', async () => {
    const ctx = await t.c.documents.operatorContext(DEMO.ente, 'TARI');
    const create = (rata: number | undefined, id: string) =>
      t.c.debtPositions.create(
        { ...ctx, codiceChiamante: 'admin', applicationCode: null },
        {
          idPosizioneDebitoria: id,
          amountCents: 5000,
          components: [{ amountCents: 5000, causale: 'Rata' }],
          causale: 'Canone 2026',
          debtor: { type: 'F', fiscalCode: 'TSTPNI70D01L219V', name: 'Pino', surname: 'Test' },
          dueDate: '2026-05-31',
          paymentReferences: [],
        },
        { document: { identificativo: 'REF-DOC-1', descrizione: 'Canone 2026', rata } },
      );
    const first = await create(1, 'REF-1');
    const again = await create(1, 'REF-1');
    expect(again).toMatchObject({ iuv: first.iuv, replayed: true });
    await create(2, 'REF-2');
    await expect(create(2, 'REF-3')).rejects.toMatchObject({
      errorName: 'DOCUMENT_PLACE_TAKEN',
      field: 'documento.rata',
    });
    await create(undefined, 'REF-4');
    await expect(create(undefined, 'REF-5')).rejects.toMatchObject({ errorName: 'DOCUMENT_PLACE_TAKEN' });
    const read = await admin('GET', `/enti/${DEMO.ente}/documents/REF-DOC-1`);
    expect(read.body.positions.map((p: { place: string; rata?: number }) => [p.place, p.rata])).toEqual([
      ['SINGLE', undefined],
      ['INSTALMENT', 1],
      ['INSTALMENT', 2],
    ]);
  });
});

describe('demo data', () => {
  it('has the demo citizen’s TARI document with a single solution and three instalments', async () => {
    const read = await admin('GET', `/enti/${DEMO.ente}/documents/${DEMO_DOCUMENT.identificativo}`);
    expect(read.status).toBe(200);
    expect(read.body.positions.map((p: { place: string }) => p.place)).toEqual([
      'SINGLE',
      'INSTALMENT',
      'INSTALMENT',
      'INSTALMENT',
    ]);
  });
});
