import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator/src/app.js';
import { loadSimConfig } from '../simulator/src/config.js';
import { PaForNodeSchema } from '../simulator/src/xsd.js';
import { startSimulator } from './helpers/live.js';
import { until } from './helpers/until.js';

// The simulator on its own, observed through a recording EC peer: a plain HTTP server that keeps
// every SOAP request and answers paForNode messages written here by hand (valid per the XSD unless a
// test scripts otherwise). The whole cycle against Cassa itself is in simulator-cycle.test.ts.

const EC = '00429440068';
const NOTICE = '301000000000000017';
const NOTICE2 = '301000000000000025';
const xsd = new PaForNodeSchema();
const parser = new XMLParser({
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (n) => n === 'transfer',
});

interface Received {
  action: string;
  body: string;
  element: string;
  fields: Record<string, any>;
}

type Script = (r: Received) => { status?: number; xml?: string; hang?: boolean } | undefined;

const env = (el: string, inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:paf="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><paf:${el}>${inner}</paf:${el}></soapenv:Body></soapenv:Envelope>`;
const ko = (el: string, code: string) =>
  env(
    el,
    `<outcome>KO</outcome><fault><faultCode>${code}</faultCode><faultString>${code}</faultString><id>${EC}</id></fault>`,
  );
const debtor =
  '<debtor><uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType><entityUniqueIdentifierValue>TSTPNI70D01L219V</entityUniqueIdentifierValue></uniqueIdentifier><fullName>Pino Test</fullName></debtor>';

function standardAnswer(r: Received): string {
  const notice = r.fields.qrCode?.noticeNumber ?? r.fields.receipt?.noticeNumber;
  switch (r.element) {
    case 'paVerifyPaymentNoticeReq':
      if (notice === '000000000000000000') return ko('paVerifyPaymentNoticeRes', 'PAA_PAGAMENTO_SCONOSCIUTO');
      return env(
        'paVerifyPaymentNoticeRes',
        `<outcome>OK</outcome><paymentList><paymentOptionDescription><amount>100.00</amount><options>EQ</options><dueDate>2099-12-31</dueDate><allCCP>false</allCCP></paymentOptionDescription></paymentList><paymentDescription>Quota</paymentDescription><fiscalCodePA>${EC}</fiscalCodePA><companyName>Comune di Prova</companyName>`,
      );
    case 'paGetPaymentV2Request':
    case 'paGetPaymentReq': {
      const v2 = r.element === 'paGetPaymentV2Request';
      const t2 = v2
        ? `<transfer><idTransfer>2</idTransfer><transferAmount>16.00</transferAmount><fiscalCodePA>${EC}</fiscalCodePA><richiestaMarcaDaBollo><hashDocumento>YWJjZGVmZ2g=</hashDocumento><tipoBollo>01</tipoBollo><provinciaResidenza>AL</provinciaResidenza></richiestaMarcaDaBollo><remittanceInformation>Bollo</remittanceInformation><transferCategory>9/0301116TS/</transferCategory></transfer>`
        : '';
      const amount = v2 ? '116.00' : '100.00';
      return env(
        v2 ? 'paGetPaymentV2Response' : 'paGetPaymentRes',
        `<outcome>OK</outcome><data><creditorReferenceId>${notice.slice(1)}</creditorReferenceId><paymentAmount>${amount}</paymentAmount><dueDate>2099-12-31</dueDate><description>Quota</description><companyName>Comune di Prova</companyName>${debtor}<transferList><transfer><idTransfer>1</idTransfer><transferAmount>100.00</transferAmount><fiscalCodePA>${EC}</fiscalCodePA><IBAN>IT60X0542811101000000123456</IBAN><remittanceInformation>Quota</remittanceInformation><transferCategory>9/0201133IM/</transferCategory></transfer>${t2}</transferList></data>`,
      );
    }
    case 'paSendRTV2Request':
      return env('paSendRTV2Response', '<outcome>OK</outcome>');
    case 'paSendRTReq':
      return env('paSendRTRes', '<outcome>OK</outcome>');
    default:
      return '<bad/>';
  }
}

class RecordingEc {
  received: Received[] = [];
  script: Script = () => undefined;
  private server: Server;
  url = '';
  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += String(c)));
      req.on('end', () => {
        const doc = parser.parse(body);
        const [element, fields] = Object.entries(doc.Envelope.Body)[0] as [string, Record<string, any>];
        const r: Received = { action: String(req.headers.soapaction), body, element, fields };
        this.received.push(r);
        const s = this.script(r);
        if (s?.hang) return;
        res.writeHead(s?.status ?? 200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(s?.xml ?? standardAnswer(r));
      });
    });
  }
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/soap/paForNode`;
  }
  close() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
  elements() {
    return this.received.map((r) => r.element);
  }
}

function cart(overrides: Record<string, unknown> = {}, version: 1 | 2 = 2) {
  return {
    paymentNotices: [
      {
        noticeNumber: NOTICE,
        fiscalCode: EC,
        amount: 10000,
        companyName: 'Comune di Prova',
        description: 'Quota',
      },
    ],
    returnUrls: {
      returnOkUrl: 'https://ente.example/ok',
      returnCancelUrl: 'https://ente.example/cancel',
      returnErrorUrl: 'https://ente.example/error',
      ...(version === 2 ? { returnWaitingUrl: 'https://ente.example/waiting' } : {}),
    },
    emailNotice: 'pino.test@example.org',
    idCart: 'CART-0001',
    ...overrides,
  };
}

let sim: Simulator & { base: string };
let ec: RecordingEc;

beforeAll(async () => {
  ec = new RecordingEc();
  await ec.start();
  sim = await startSimulator({ stationUrl: ec.url });
});
afterAll(async () => {
  await sim?.close();
  await ec?.close();
  xsd.dispose();
});
beforeEach(() => {
  sim.reset();
  Object.assign(sim.config, {
    primitiveVersion: 2,
    subscriptionKey: undefined,
    tokenTtlMs: 1_800_000,
    stationUrl: ec.url,
    rtRetryIntervalMs: 50,
    rtRetryMax: 5,
  });
  ec.received = [];
  ec.script = () => undefined;
});

async function postCart(body: unknown, version: 1 | 2 = 2, headers: Record<string, string> = {}) {
  return sim.app.inject({
    method: 'POST',
    url: `/checkout/ec/v${version}/carts`,
    payload: body as object,
    headers,
  });
}

async function openCart(body = cart(), version: 1 | 2 = 2): Promise<string> {
  const res = await postCart(body, version);
  expect(res.statusCode).toBe(302);
  return new URL(res.headers.location as string).pathname;
}

function expectAllValid() {
  for (const r of ec.received) expect(xsd.check(r.body, r.element).errors, r.element).toEqual([]);
  expect(sim.journal.listViolations()).toEqual([]);
}

describe('configuration', () => {
  it('reads the SIM_* environment with the contract defaults and refuses nonsense', () => {
    const c = loadSimConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8090,
      publicUrl: 'http://127.0.0.1:8090',
      stationUrl: 'http://127.0.0.1:8080/soap/paForNode',
      idBrokerPA: '80087670016',
      idStation: '80087670016_01',
      primitiveVersion: 2,
      rtRetryIntervalMs: 2000,
      rtRetryMax: 48,
      tokenTtlMs: 1_800_000,
      subscriptionKey: undefined,
    });
    expect(loadSimConfig({ SIM_PRIMITIVE_VERSION: '1', SIM_SUBSCRIPTION_KEY: 'k' })).toMatchObject({
      primitiveVersion: 1,
      subscriptionKey: 'k',
    });
    expect(() => loadSimConfig({ SIM_PRIMITIVE_VERSION: '3' })).toThrow(/SIM_PRIMITIVE_VERSION/);
    expect(() => loadSimConfig({ SIM_STATION_URL: 'not a url' })).toThrow(/SIM_STATION_URL/);
    expect(() => loadSimConfig({ SIM_TOKEN_TTL_MS: '1800001' })).toThrow(/SIM_TOKEN_TTL_MS/);
  });
});

describe('Checkout POST /carts', () => {
  it('answers 302 with a Location on its own payment page, for v2 and v1', async () => {
    const r2 = await postCart(cart());
    expect(r2.statusCode).toBe(302);
    expect(r2.headers.location).toMatch(new RegExp(`^${sim.base}/checkout/carts/[0-9a-f-]{36}$`));
    const r1 = await postCart(cart({}, 1), 1);
    expect(r1.statusCode).toBe(302);
    expect(
      sim.checkout
        .list()
        .map((c) => c.version)
        .sort(),
    ).toEqual([1, 2]);
  });

  it.each([
    ['no paymentNotices', { paymentNotices: undefined }, 400, /paymentNotices is required/],
    ['no notice', { paymentNotices: [] }, 400, /at least 1/],
    [
      'a short noticeNumber',
      {
        paymentNotices: [
          { noticeNumber: '3010', fiscalCode: EC, amount: 1, companyName: 'C', description: 'D' },
        ],
      },
      400,
      /noticeNumber/,
    ],
    [
      'amount 0',
      {
        paymentNotices: [
          { noticeNumber: NOTICE, fiscalCode: EC, amount: 0, companyName: 'C', description: 'D' },
        ],
      },
      400,
      /amount must be ≥ 1/,
    ],
    [
      'a decimal amount',
      {
        paymentNotices: [
          { noticeNumber: NOTICE, fiscalCode: EC, amount: 10.5, companyName: 'C', description: 'D' },
        ],
      },
      400,
      /amount must be integer/,
    ],
    [
      'no description',
      { paymentNotices: [{ noticeNumber: NOTICE, fiscalCode: EC, amount: 1, companyName: 'C' }] },
      400,
      /description is required/,
    ],
    [
      'a 141-char companyName',
      {
        paymentNotices: [
          { noticeNumber: NOTICE, fiscalCode: EC, amount: 1, companyName: 'x'.repeat(141), description: 'D' },
        ],
      },
      400,
      /companyName/,
    ],
    [
      'no returnWaitingUrl in v2',
      {
        returnUrls: {
          returnOkUrl: 'https://a.example/ok',
          returnCancelUrl: 'https://a.example/c',
          returnErrorUrl: 'https://a.example/e',
        },
      },
      400,
      /returnWaitingUrl is required/,
    ],
    [
      'a relative return URL',
      {
        returnUrls: {
          returnOkUrl: 'ok.html',
          returnCancelUrl: 'https://a.example/c',
          returnErrorUrl: 'https://a.example/e',
          returnWaitingUrl: 'https://a.example/w',
        },
      },
      400,
      /returnOkUrl must be an absolute URI/,
    ],
    ['a bad emailNotice', { emailNotice: 'nope' }, 400, /emailNotice/],
    ['allCCP as a string', { allCCP: 'false' }, 400, /allCCP must be boolean/],
    [
      'six notices',
      {
        paymentNotices: Array.from({ length: 6 }, (_, i) => ({
          noticeNumber: `30100000000000001${i}`,
          fiscalCode: EC,
          amount: 1,
          companyName: 'C',
          description: 'D',
        })),
      },
      422,
      /at most 5/,
    ],
    [
      'the same notice twice',
      {
        paymentNotices: [0, 1].map(() => ({
          noticeNumber: NOTICE,
          fiscalCode: EC,
          amount: 1,
          companyName: 'C',
          description: 'D',
        })),
      },
      422,
      /Duplicate payment notice/,
    ],
  ])('refuses %s with a ProblemJson %i, storing no cart', async (_what, overrides, status, detail) => {
    const res = await postCart(cart(overrides));
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ type: 'about:blank', status, instance: '/checkout/ec/v2/carts' });
    expect(res.json().detail).toMatch(detail);
    expect(sim.checkout.list()).toEqual([]);
  });

  it('accepts a v1 cart without returnWaitingUrl, and refuses malformed JSON with a ProblemJson 400', async () => {
    expect((await postCart(cart({}, 1), 1)).statusCode).toBe(302);
    const res = await sim.app.inject({
      method: 'POST',
      url: '/checkout/ec/v2/carts',
      headers: { 'content-type': 'application/json' },
      payload: '{"paymentNotices": [',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, title: 'Bad Request' });
  });

  it('requires the subscription key when SIM_SUBSCRIPTION_KEY is set (header or query)', async () => {
    sim.config.subscriptionKey = 'sim-key-123';
    expect((await postCart(cart())).statusCode).toBe(401);
    expect((await postCart(cart(), 2, { 'ocp-apim-subscription-key': 'wrong' })).json().message).toMatch(
      /invalid subscription key/,
    );
    expect((await postCart(cart(), 2, { 'ocp-apim-subscription-key': 'sim-key-123' })).statusCode).toBe(302);
    const q = await sim.app.inject({
      method: 'POST',
      url: '/checkout/ec/v2/carts?subscription-key=sim-key-123',
      payload: cart(),
    });
    expect(q.statusCode).toBe(302);
    expect(sim.checkout.list()).toHaveLength(2);
  });
});

describe('payment page', () => {
  it('lists the notices and offers four plain form buttons', async () => {
    const page = await openCart(
      cart({
        paymentNotices: [
          {
            noticeNumber: NOTICE,
            fiscalCode: EC,
            amount: 123456,
            companyName: 'Comune <di> Prova',
            description: 'Quota',
          },
        ],
      }),
    );
    const res = await sim.app.inject({ method: 'GET', url: page });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('<html lang="it">');
    expect(res.body).toContain(NOTICE);
    expect(res.body).toContain('1.234,56 €');
    expect(res.body).toContain('Comune &lt;di&gt; Prova');
    for (const action of ['pay', 'cancel', 'fail', 'abandon'])
      expect(res.body).toContain(`<form method="post" action="${page}/${action}">`);
    expect(res.body).not.toContain('<script');
  });

  it('Annulla: back to returnCancelUrl without calling the EC', async () => {
    const page = await openCart();
    const res = await sim.app.inject({
      method: 'POST',
      url: `${page}/cancel`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('https://ente.example/cancel');
    expect(ec.received).toEqual([]);
    const again = await sim.app.inject({ method: 'POST', url: `${page}/pay` });
    expect(again.statusCode).toBe(409);
  });

  it('Paga (V2): verify, paGetPaymentV2 with idCart and POSTAL, returnOkUrl, then a full paSendRTV2, all valid per the XSD', async () => {
    const page = await openCart(
      cart({
        allCCP: true,
        paymentNotices: [NOTICE, NOTICE2].map((n) => ({
          noticeNumber: n,
          fiscalCode: EC,
          amount: 10000,
          companyName: 'Comune di Prova',
          description: 'Quota',
        })),
      }),
    );
    const res = await sim.app.inject({ method: 'POST', url: `${page}/pay` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('https://ente.example/ok');
    await until(
      () =>
        sim.node.listDeliveries().length === 2 &&
        sim.node.listDeliveries().every((d) => d.status === 'DELIVERED'),
      'two receipts delivered',
    );
    expect(ec.elements()).toEqual([
      'paVerifyPaymentNoticeReq',
      'paGetPaymentV2Request',
      'paVerifyPaymentNoticeReq',
      'paGetPaymentV2Request',
      'paSendRTV2Request',
      'paSendRTV2Request',
    ]);
    expect(ec.received.map((r) => r.action)).toEqual([
      '"paVerifyPaymentNotice"',
      '"paGetPaymentV2"',
      '"paVerifyPaymentNotice"',
      '"paGetPaymentV2"',
      '"paSendRTV2"',
      '"paSendRTV2"',
    ]);
    const activation = ec.received[1]!.fields;
    expect(activation).toMatchObject({
      idPA: EC,
      idBrokerPA: '80087670016',
      idStation: '80087670016_01',
      paymentNote: 'CART-0001',
      transferType: 'POSTAL',
      amount: '100.00',
    });
    const tokens = sim.node.listAttempts().map((a) => a.paymentToken);
    expect(tokens.every((t) => /^[0-9a-f]{32}$/.test(t))).toBe(true);
    const receipt = ec.received[4]!.fields.receipt;
    expect(tokens).toContain(receipt.receiptId);
    expect(receipt).toMatchObject({
      noticeNumber: NOTICE,
      fiscalCode: EC,
      outcome: 'OK',
      creditorReferenceId: NOTICE.slice(1),
      paymentAmount: '116.00',
      companyName: 'Comune di Prova',
      idPSP: 'SIMPSP01',
      PSPCompanyName: expect.any(String),
      idChannel: expect.any(String),
      channelDescription: expect.any(String),
      fee: '1.00',
      paymentNote: 'CART-0001',
      standIn: 'false',
      payer: { fullName: 'Pino Test', 'e-mail': 'pino.test@example.org' },
    });
    expect(receipt.paymentDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(receipt.applicationDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(receipt.transferDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(receipt.transferList.transfer).toHaveLength(2);
    expect(receipt.transferList.transfer[1].MBDAttachment).toBeTruthy();
    expect(sim.checkout.list()[0]).toMatchObject({ status: 'PAID', redirectedTo: 'https://ente.example/ok' });
    expect(sim.node.listAttempts().every((a) => a.status === 'PAID')).toBe(true);
    expectAllValid();
  });

  it('Errore: activations done, no receipt, returnErrorUrl', async () => {
    const page = await openCart();
    const res = await sim.app.inject({ method: 'POST', url: `${page}/fail` });
    expect(res.headers.location).toBe('https://ente.example/error');
    expect(ec.elements()).toEqual(['paVerifyPaymentNoticeReq', 'paGetPaymentV2Request']);
    expect(sim.node.listAttempts()[0]!.status).toBe('PAYMENT_FAILED');
    expect(sim.node.listDeliveries()).toEqual([]);
  });

  it('Abbandona: activation done, token left to expire, returnWaitingUrl (v2) or returnErrorUrl (v1)', async () => {
    sim.config.tokenTtlMs = 1000;
    const page = await openCart();
    const res = await sim.app.inject({ method: 'POST', url: `${page}/abandon` });
    expect(res.headers.location).toBe('https://ente.example/waiting');
    const token = sim.node.listAttempts()[0]!.paymentToken;
    expect(sim.node.getAttempt(token)!.status).toBe('ACTIVE');
    await until(() => sim.node.getAttempt(token)!.status === 'EXPIRED', 'the token to expire');
    expect(sim.node.listDeliveries()).toEqual([]);
    const page1 = await openCart(cart({}, 1), 1);
    expect((await sim.app.inject({ method: 'POST', url: `${page1}/abandon` })).headers.location).toBe(
      'https://ente.example/error',
    );
  });

  it('a KO from the EC aborts the payment and sends the browser to returnErrorUrl', async () => {
    ec.script = (r) =>
      r.element === 'paGetPaymentV2Request'
        ? { xml: ko('paGetPaymentV2Response', 'PAA_PAGAMENTO_SCADUTO') }
        : undefined;
    const page = await openCart();
    const res = await sim.app.inject({ method: 'POST', url: `${page}/pay` });
    expect(res.headers.location).toBe('https://ente.example/error');
    const c = sim.checkout.list()[0]!;
    expect(c).toMatchObject({
      status: 'ERROR',
      steps: [{ activation: { outcome: 'KO', faultCode: 'PAA_PAGAMENTO_SCADUTO' } }],
    });
    expect(sim.node.listAttempts()).toEqual([]);
    expect(ec.elements()).not.toContain('paSendRTV2Request');
  });

  it('V1 mode: paGetPayment and paSendRT, valid per the XSD', async () => {
    sim.config.primitiveVersion = 1;
    const page = await openCart();
    expect((await sim.app.inject({ method: 'POST', url: `${page}/pay` })).headers.location).toBe(
      'https://ente.example/ok',
    );
    await until(() => sim.node.listDeliveries()[0]?.status === 'DELIVERED', 'the receipt delivered');
    expect(ec.elements()).toEqual(['paVerifyPaymentNoticeReq', 'paGetPaymentReq', 'paSendRTReq']);
    expect(ec.received[2]!.fields.receipt.standIn).toBe('false');
    expectAllValid();
  });
});

describe('node', () => {
  it('stand-in probe: verify of notice 000000000000000000, healthy when answered PAA_PAGAMENTO_SCONOSCIUTO', async () => {
    const res = await sim.app.inject({
      method: 'POST',
      url: '/sim/stand-in/probe',
      payload: { fiscalCode: EC },
    });
    expect(res.json()).toMatchObject({
      healthy: true,
      outcome: 'KO',
      faultCode: 'PAA_PAGAMENTO_SCONOSCIUTO',
    });
    expect(ec.received[0]!.fields.qrCode.noticeNumber).toBe('000000000000000000');
    ec.script = () => ({ xml: ko('paVerifyPaymentNoticeRes', 'PAA_SYSTEM_ERROR') });
    expect(
      (
        await sim.app.inject({ method: 'POST', url: '/sim/stand-in/probe', payload: { fiscalCode: EC } })
      ).json(),
    ).toMatchObject({ healthy: false, faultCode: 'PAA_SYSTEM_ERROR' });
  });

  it('records and logs an EC answer that violates paForNode.xsd, and does not treat it as OK', async () => {
    ec.script = (r) =>
      r.element === 'paVerifyPaymentNoticeReq'
        ? { xml: env('paVerifyPaymentNoticeRes', '<paf:outcome>OK</paf:outcome>') }
        : undefined;
    const res = await sim.app.inject({
      method: 'POST',
      url: '/sim/psp/payments',
      payload: { fiscalCode: EC, noticeNumber: NOTICE },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ outcome: 'VERIFY_KO', verify: { ok: false } });
    const violations = (await sim.app.inject({ method: 'GET', url: '/sim/violations' })).json();
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ kind: 'response', operation: 'paVerifyPaymentNotice' });
    expect(violations[0].errors.join()).toMatch(/outcome/);
  });

  it('records a semantic violation when paymentAmount differs from the sum of the transfers', async () => {
    ec.script = (r) =>
      r.element === 'paGetPaymentV2Request'
        ? {
            xml: standardAnswer(r).replace(
              '<paymentAmount>116.00</paymentAmount>',
              '<paymentAmount>117.00</paymentAmount>',
            ),
          }
        : undefined;
    const res = await sim.app.inject({
      method: 'POST',
      url: '/sim/psp/payments',
      payload: { fiscalCode: EC, noticeNumber: NOTICE },
    });
    expect(res.json()).toMatchObject({ outcome: 'ACTIVATION_KO' });
    expect(sim.journal.listViolations()).toEqual([
      expect.objectContaining({ kind: 'semantic', operation: 'paGetPaymentV2' }),
    ]);
  });

  it('pays at a PSP: verify, activation, receipt; the journal keeps every call', async () => {
    const res = await sim.app.inject({
      method: 'POST',
      url: '/sim/psp/payments',
      payload: { fiscalCode: EC, noticeNumber: NOTICE, feeCents: 200 },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      outcome: 'PAID',
      delivery: { status: 'DELIVERED', primitive: 'paSendRTV2', standIn: false },
    });
    expect(body.paymentToken).toMatch(/^[0-9a-f]{32}$/);
    expect(ec.received[2]!.fields.receipt).toMatchObject({
      receiptId: body.paymentToken,
      fee: '2.00',
      idPSP: 'SIMPSP02',
    });
    const calls = (await sim.app.inject({ method: 'GET', url: '/sim/calls?limit=10' })).json();
    expect(
      calls
        .filter((c: { direction: string }) => c.direction === 'outbound')
        .map((c: { operation: string }) => c.operation),
    ).toEqual(['paVerifyPaymentNotice', 'paGetPaymentV2', 'paSendRTV2']);
    expectAllValid();
  });

  it('retries a paSendRT answered with HTTP 500, an invalid answer or a KO, until delivered; PAA_RECEIPT_DUPLICATA counts as delivered', async () => {
    let n = 0;
    ec.script = (r) => {
      if (r.element !== 'paSendRTV2Request') return undefined;
      n++;
      if (n === 1) return { status: 500, xml: '<html>down</html>' };
      if (n === 2) return { xml: env('paSendRTV2Response', '<result>OK</result>') };
      if (n === 3) return { xml: ko('paSendRTV2Response', 'PAA_SYSTEM_ERROR') };
      return { xml: ko('paSendRTV2Response', 'PAA_RECEIPT_DUPLICATA') };
    };
    const res = await sim.app.inject({
      method: 'POST',
      url: '/sim/psp/payments',
      payload: { fiscalCode: EC, noticeNumber: NOTICE },
    });
    const id = res.json().delivery.id;
    const d = await until(async () => {
      const x = (await sim.app.inject({ method: 'GET', url: `/sim/deliveries/${id}` })).json();
      return x.status === 'DELIVERED' && x;
    }, 'delivery after retries');
    expect(d.attempts.map((a: { result: string }) => a.result)).toEqual([
      'FAILED',
      'FAILED',
      'FAILED',
      'DELIVERED',
    ]);
    expect(d.attempts[0]).toMatchObject({ httpStatus: 500 });
    expect(d.attempts[1].xsdErrors.length).toBeGreaterThan(0);
    expect(d.attempts[2]).toMatchObject({ outcome: 'KO', faultCode: 'PAA_SYSTEM_ERROR' });
    expect(d.attempts[3]).toMatchObject({ outcome: 'KO', faultCode: 'PAA_RECEIPT_DUPLICATA' });
    // The same bytes every time: a retry resends the receipt, it does not rebuild it.
    const bodies = ec.received.filter((r) => r.element === 'paSendRTV2Request').map((r) => r.body);
    expect(new Set(bodies).size).toBe(1);
  });

  it('gives up after SIM_RT_RETRY_MAX retries, and a forced retry delivers it later', async () => {
    sim.config.rtRetryMax = 2;
    let down = true;
    ec.script = (r) => (r.element === 'paSendRTV2Request' && down ? { status: 503, xml: 'busy' } : undefined);
    const { delivery } = (
      await sim.app.inject({
        method: 'POST',
        url: '/sim/psp/payments',
        payload: { fiscalCode: EC, noticeNumber: NOTICE },
      })
    ).json();
    const failed = await until(
      () => sim.node.getDelivery(delivery.id)!.status === 'FAILED' && sim.node.getDelivery(delivery.id),
      'the retries exhausted',
    );
    expect(failed.attempts).toHaveLength(3);
    down = false;
    const retried = (
      await sim.app.inject({ method: 'POST', url: `/sim/deliveries/${delivery.id}/retry` })
    ).json();
    expect(retried).toMatchObject({ status: 'DELIVERED' });
    expect(retried.attempts).toHaveLength(4);
  });

  it('a timeout of the EC counts as a failed delivery (fault ecTimeoutMs)', async () => {
    await sim.app.inject({ method: 'PUT', url: '/sim/faults', payload: { ecTimeoutMs: 100 } });
    let hang = true;
    ec.script = (r) => (r.element === 'paSendRTV2Request' && hang ? { hang: true } : undefined);
    const { delivery } = (
      await sim.app.inject({
        method: 'POST',
        url: '/sim/psp/payments',
        payload: { fiscalCode: EC, noticeNumber: NOTICE },
      })
    ).json();
    expect(delivery.attempts[0]).toMatchObject({ result: 'FAILED', error: 'timeout after 100 ms' });
    hang = false;
    await until(
      () => sim.node.getDelivery(delivery.id)!.status === 'DELIVERED',
      'delivered once the EC answers',
    );
  });

  it('faults: failReceiptDeliveries fails N deliveries without reaching the EC; dropReceipts loses them; nodeDelayMs is applied', async () => {
    expect(
      (
        await sim.app.inject({
          method: 'PUT',
          url: '/sim/faults',
          payload: { failReceiptDeliveries: 2, nodeDelayMs: 1 },
        })
      ).json(),
    ).toMatchObject({ failReceiptDeliveries: 2, nodeDelayMs: 1 });
    const { delivery } = (
      await sim.app.inject({
        method: 'POST',
        url: '/sim/psp/payments',
        payload: { fiscalCode: EC, noticeNumber: NOTICE },
      })
    ).json();
    const d = await until(
      () => sim.node.getDelivery(delivery.id)!.status === 'DELIVERED' && sim.node.getDelivery(delivery.id),
      'delivered after 2 simulated failures',
    );
    expect(d.attempts.map((a) => a.result)).toEqual(['FAILED', 'FAILED', 'DELIVERED']);
    expect(ec.elements().filter((e) => e === 'paSendRTV2Request')).toHaveLength(1);
    await sim.app.inject({ method: 'PUT', url: '/sim/faults', payload: { dropReceipts: true } });
    const dropped = (
      await sim.app.inject({
        method: 'POST',
        url: '/sim/psp/payments',
        payload: { fiscalCode: EC, noticeNumber: NOTICE2 },
      })
    ).json();
    expect(dropped.delivery).toMatchObject({ status: 'DROPPED', attempts: [] });
    expect(ec.elements().filter((e) => e === 'paSendRTV2Request')).toHaveLength(1);
    expect((await sim.app.inject({ method: 'DELETE', url: '/sim/faults' })).json()).toMatchObject({
      dropReceipts: false,
      failReceiptDeliveries: 0,
      nodeDelayMs: 0,
      ecTimeoutMs: null,
    });
  });

  it('sends a stand-in receipt without activation (standIn true) and a duplicate with the same receiptId', async () => {
    const res = await sim.app.inject({
      method: 'POST',
      url: '/sim/receipts/stand-in',
      payload: { fiscalCode: EC, noticeNumber: '001190280072147087', amountCents: 10000 },
    });
    expect(res.json()).toMatchObject({ status: 'DELIVERED', standIn: true });
    expect(ec.elements()).toEqual(['paSendRTV2Request']);
    const receipt = ec.received[0]!.fields.receipt;
    expect(receipt).toMatchObject({
      standIn: 'true',
      creditorReferenceId: '190280072147087',
      paymentAmount: '100.00',
    });
    const dup = await sim.app.inject({ method: 'POST', url: `/sim/receipts/${receipt.receiptId}/duplicate` });
    expect(dup.json()).toMatchObject({
      status: 'DELIVERED',
      receiptId: receipt.receiptId,
      duplicateOf: res.json().id,
    });
    expect(ec.received[1]!.body).toBe(ec.received[0]!.body);
    expect((await sim.app.inject({ method: 'POST', url: '/sim/receipts/nope/duplicate' })).statusCode).toBe(
      404,
    );
    expectAllValid();
  });

  it('control API: config changes at run time, bad input is a 400, reset forgets everything', async () => {
    expect(
      (await sim.app.inject({ method: 'PATCH', url: '/sim/config', payload: { primitiveVersion: 3 } }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await sim.app.inject({
          method: 'POST',
          url: '/sim/psp/payments',
          payload: { fiscalCode: '123', noticeNumber: NOTICE },
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await sim.app.inject({ method: 'PATCH', url: '/sim/config', payload: { primitiveVersion: 1 } })
      ).json(),
    ).toMatchObject({ primitiveVersion: 1 });
    await sim.app.inject({
      method: 'POST',
      url: '/sim/psp/payments',
      payload: { fiscalCode: EC, noticeNumber: NOTICE },
    });
    expect(ec.elements()).toEqual(['paVerifyPaymentNoticeReq', 'paGetPaymentReq', 'paSendRTReq']);
    await openCart();
    expect((await sim.app.inject({ method: 'GET', url: '/sim/carts' })).json()).toHaveLength(1);
    expect((await sim.app.inject({ method: 'GET', url: '/sim/attempts' })).json()).toHaveLength(1);
    expect((await sim.app.inject({ method: 'GET', url: '/sim/deliveries' })).json()).toHaveLength(1);
    await sim.app.inject({ method: 'POST', url: '/sim/reset' });
    for (const path of ['/sim/carts', '/sim/attempts', '/sim/deliveries', '/sim/calls', '/sim/violations'])
      expect((await sim.app.inject({ method: 'GET', url: path })).json()).toEqual([]);
  });
});
