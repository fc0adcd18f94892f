import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { basic } from './helpers/app.js';
import { startLiveCassa, startSimulator, type LiveCassa } from './helpers/live.js';
import { run as simulatorCli } from '../simulator/src/main.js';
import { until } from './helpers/until.js';

// The whole payment cycle between Cassa and the bundled simulator of the pagoPA node, Checkout and
// a PSP, talking only over HTTP and SOAP on real ports: Cassa's Checkout client posts the cart to
// the simulator, the simulated Checkout calls Cassa's paForNode, the node delivers receipts.

const BASE = `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const AUTH = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };
const RETURN = {
  returnOkUrl: 'https://ente.example/ok',
  returnCancelUrl: 'https://ente.example/cancel',
  returnErrorUrl: 'https://ente.example/error',
  returnWaitingUrl: 'https://ente.example/waiting',
};

let cassa: LiveCassa;
let sim: Awaited<ReturnType<typeof startSimulator>>;
let seq = 0;

beforeAll(async () => {
  sim = await startSimulator();
  cassa = await startLiveCassa({ env: { CASSA_CHECKOUT_URL: `${sim.base}/checkout/ec/v2` } });
  await seedDemo(cassa.c);
});
afterAll(async () => {
  await sim?.close();
  await cassa?.close();
});
beforeEach(() => {
  sim.reset();
  Object.assign(sim.config, {
    stationUrl: cassa.soapUrl,
    primitiveVersion: 2,
    rtRetryIntervalMs: 50,
    rtRetryMax: 5,
    tokenTtlMs: 1_800_000,
  });
});
afterEach(() => {
  // Every answer Cassa gave the node validated against paForNode.xsd, and met pagoPA's semantic checks.
  expect(sim.journal.listViolations()).toEqual([]);
});

async function newPosition(importo = 25): Promise<{ iuv: string; noticeNumber: string }> {
  const res = await cassa.app.inject({
    method: 'POST',
    url: BASE,
    headers: AUTH,
    payload: {
      causale: 'Biblioteca-Copie',
      importo,
      codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
      nome: 'Pino',
      cognome: 'Test',
      dataScadenza: '2099-12-31T00:00:00',
      identificativoPagamento: `SIM-${process.pid}-${++seq}`,
    },
  });
  expect(res.statusCode).toBe(201);
  return { iuv: res.json().iuv, noticeNumber: res.json().codiceAvviso };
}

async function statusCode(iuv: string): Promise<string> {
  const res = await cassa.app.inject({ method: 'GET', url: `${BASE}/${iuv}/status`, headers: AUTH });
  return res.json().code;
}

async function receipts(iuv: string) {
  return (
    await cassa.c.db.executeSql(
      `select receipt_id, primitive, outcome, stand_in, payment_note, amount_cents, fee_cents, id_psp, raw_xml, payment_attempt_id from receipt where iuv = '${iuv}' order by id`,
    )
  ).rows as Record<string, any>[];
}

async function attempts(iuv: string) {
  return (
    await cassa.c.db.executeSql(
      `select primitive, payment_note, transfer_type, amount_cents from payment_attempt where iuv = '${iuv}' order by id`,
    )
  ).rows as Record<string, any>[];
}

async function startCart(noticeNumbers: string[], extra: { allCCP?: boolean } = {}) {
  return cassa.c.checkout.startCheckout({
    positions: noticeNumbers.map((n) => ({ enteFiscalCode: DEMO.ente, noticeNumber: n })),
    returnUrls: RETURN,
    emailNotice: 'pino.test@example.org',
    ...extra,
  });
}

/** What a browser does: open the payment page, press a button, read where it is sent. */
async function press(location: string, action: 'pay' | 'cancel' | 'fail' | 'abandon'): Promise<string> {
  const page = await fetch(location);
  expect(page.status).toBe(200);
  const html = await page.text();
  const form = new RegExp(`<form method="post" action="([^"]+/${action})">`).exec(html);
  expect(form, `the ${action} button`).not.toBeNull();
  const res = await fetch(new URL(form![1]!, location), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  return res.headers.get('location')!;
}

async function paid(iuv: string) {
  await until(async () => (await statusCode(iuv)) === '0', `position ${iuv} paid`);
}

async function pspPay(body: Record<string, unknown>) {
  const res = await fetch(`${sim.base}/sim/psp/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('payment through the simulated Checkout', () => {
  it('Paga: cart → verify → paGetPaymentV2 → returnOkUrl → paSendRTV2 → position paid, receipt kept', async () => {
    const a = await newPosition(25);
    const b = await newPosition(12.5);
    expect(await statusCode(a.iuv)).toBe('1');
    const { idCart, location } = await startCart([a.noticeNumber, b.noticeNumber]);
    expect(location).toMatch(new RegExp(`^${sim.base}/checkout/carts/`));
    const page = await (await fetch(location)).text();
    expect(page).toContain(a.noticeNumber);
    expect(page).toContain('25,00 €');
    expect(await press(location, 'pay')).toBe(RETURN.returnOkUrl);
    await paid(a.iuv);
    await paid(b.iuv);
    const [ra] = await receipts(a.iuv);
    const tokenA = sim.node.listAttempts().find((x) => x.noticeNumber === a.noticeNumber)!.paymentToken;
    expect(ra).toMatchObject({
      receipt_id: tokenA,
      primitive: 'paSendRTV2',
      outcome: 'OK',
      stand_in: false,
      payment_note: idCart,
      id_psp: 'SIMPSP01',
    });
    expect(Number(ra!.amount_cents)).toBe(2500);
    expect(Number(ra!.fee_cents)).toBe(100);
    expect(ra!.payment_attempt_id).not.toBeNull();
    expect(ra!.raw_xml).toContain(`<receiptId>${tokenA}</receiptId>`);
    expect(await attempts(a.iuv)).toEqual([
      expect.objectContaining({ primitive: 'paGetPaymentV2', payment_note: idCart, transfer_type: null }),
    ]);
    await until(
      () => sim.node.listDeliveries().every((d) => d.status === 'DELIVERED'),
      'both deliveries acknowledged',
    );
    expect(sim.node.listDeliveries()).toHaveLength(2);
  });

  it('Annulla: returnCancelUrl, nothing activated, the position stays payable', async () => {
    const p = await newPosition();
    const { location } = await startCart([p.noticeNumber]);
    expect(await press(location, 'cancel')).toBe(RETURN.returnCancelUrl);
    expect(await attempts(p.iuv)).toEqual([]);
    expect(await statusCode(p.iuv)).toBe('1');
  });

  it('Errore: activation recorded, no receipt, returnErrorUrl, the position stays payable', async () => {
    const p = await newPosition();
    const { location } = await startCart([p.noticeNumber], { allCCP: true });
    expect(await press(location, 'fail')).toBe(RETURN.returnErrorUrl);
    expect(await attempts(p.iuv)).toEqual([
      expect.objectContaining({ primitive: 'paGetPaymentV2', transfer_type: 'POSTAL' }),
    ]);
    expect(await receipts(p.iuv)).toEqual([]);
    expect(await statusCode(p.iuv)).toBe('1');
  });

  it('Abbandona: activation recorded, token expires, returnWaitingUrl; the position stays payable and can be paid again', async () => {
    sim.config.tokenTtlMs = 100;
    const p = await newPosition();
    const first = await startCart([p.noticeNumber]);
    expect(await press(first.location, 'abandon')).toBe(RETURN.returnWaitingUrl);
    const token = sim.node.listAttempts()[0]!.paymentToken;
    await until(() => sim.node.getAttempt(token)!.status === 'EXPIRED', 'the token to expire');
    expect(await receipts(p.iuv)).toEqual([]);
    expect(await statusCode(p.iuv)).toBe('1');
    sim.config.tokenTtlMs = 1_800_000;
    const second = await startCart([p.noticeNumber]);
    expect(await press(second.location, 'pay')).toBe(RETURN.returnOkUrl);
    await paid(p.iuv);
    expect(await attempts(p.iuv)).toHaveLength(2);
  });

  it('V1 station: paGetPayment and paSendRT', async () => {
    sim.config.primitiveVersion = 1;
    const p = await newPosition();
    const { location } = await startCart([p.noticeNumber]);
    expect(await press(location, 'pay')).toBe(RETURN.returnOkUrl);
    await paid(p.iuv);
    expect(await attempts(p.iuv)).toEqual([expect.objectContaining({ primitive: 'paGetPayment' })]);
    expect(await receipts(p.iuv)).toEqual([
      expect.objectContaining({ primitive: 'paSendRT', outcome: 'OK' }),
    ]);
  });

  it('an already paid position: Cassa answers the verify with PAA_PAGAMENTO_DUPLICATO and the browser goes to returnErrorUrl', async () => {
    const p = await newPosition();
    expect((await pspPay({ fiscalCode: DEMO.ente, noticeNumber: p.noticeNumber })).body.outcome).toBe('PAID');
    await paid(p.iuv);
    // Cassa refuses to start a cart for a paid position, so the cart goes to the simulator directly.
    const res = await fetch(`${sim.base}/checkout/ec/v2/carts`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        paymentNotices: [
          {
            noticeNumber: p.noticeNumber,
            fiscalCode: DEMO.ente,
            amount: 2500,
            companyName: 'Comune di Alessandria',
            description: 'Biblioteca',
          },
        ],
        returnUrls: RETURN,
      }),
    });
    expect(res.status).toBe(302);
    expect(await press(res.headers.get('location')!, 'pay')).toBe(RETURN.returnErrorUrl);
    expect(sim.checkout.list()[0]).toMatchObject({
      status: 'ERROR',
      steps: [{ verify: { outcome: 'KO', faultCode: 'PAA_PAGAMENTO_DUPLICATO' } }],
    });
  });
});

/** `npm run simulator -- <args>` in this process: its exit code and what it printed. */
async function simulatorCommand(
  args: string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((c) => out.push(String(c)) > 0);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((c) => err.push(String(c)) > 0);
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await simulatorCli(args);
    return { exitCode: process.exitCode ?? 0, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = before;
  }
}

describe('paper to payment: the simulator scans a printed notice (pay --pdf)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cassa-pay-pdf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pays the notice whose QR code it reads from the PDF Cassa printed (epayapi getPaymentNotice)', async () => {
    const p = await newPosition(37.5);
    const res = await cassa.app.inject({
      method: 'GET',
      url: `${BASE}/${p.iuv}/paymentnotice`,
      headers: AUTH,
    });
    expect(res.statusCode).toBe(200);
    const file = join(dir, `avviso-${p.noticeNumber}.pdf`);
    await writeFile(file, Buffer.from(res.json().paymentnotice, 'base64'));

    const r = await simulatorCommand(['pay', '--pdf', file, '--url', sim.base]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`avviso ${p.noticeNumber}, ente ${DEMO.ente}, 37.50 EUR`);
    expect(JSON.parse(r.stdout)).toMatchObject({
      outcome: 'PAID',
      verify: { ok: true, option: { amountCents: 3750 } },
    });
    await paid(p.iuv);
    expect((await receipts(p.iuv)).map((x) => Number(x.amount_cents))).toEqual([3750]);
  });

  it('pays the instalment named by --notice among the QR codes of a document, and nothing without a match', async () => {
    const created = await cassa.app.inject({
      method: 'POST',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types/${DEMO.paymentType}/documents`,
      headers: { authorization: `Bearer ${cassa.c.adminToken}` },
      payload: {
        identificativo: `SIM-DOC-${process.pid}-${++seq}`,
        descrizione: 'Rette scolastiche',
        causale: 'Retta mensa scolastica',
        debtor: { type: 'F', fiscalCode: 'TSTPNI70D01L219V', name: 'Pino', surname: 'Test' },
        singleSolution: { amountCents: 30000, dueDate: '2099-01-31' },
        instalments: [
          { amountCents: 10000, dueDate: '2099-01-31' },
          { amountCents: 10100, dueDate: '2099-02-28' },
          { amountCents: 10200, dueDate: '2099-03-31' },
        ],
      },
    });
    expect(created.statusCode).toBe(201);
    // single solution, then the instalments in order
    const positions = created.json().positions as {
      iuv: string;
      noticeNumber: string;
      amountCents: number;
    }[];
    const second = positions[2]!;
    expect(second.amountCents).toBe(10100);
    const pdf = await cassa.app.inject({
      method: 'GET',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types/${DEMO.paymentType}/debt-positions/${positions[0]!.iuv}/notice.pdf`,
      headers: { authorization: `Bearer ${cassa.c.adminToken}` },
    });
    expect(pdf.statusCode).toBe(200);
    const file = join(dir, 'documento.pdf');
    await writeFile(file, pdf.rawPayload);

    const none = await simulatorCommand([
      'pay',
      '--pdf',
      file,
      '--notice',
      '399999999999999999',
      '--url',
      sim.base,
    ]);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('no pagoPA QR code for notice 399999999999999999');
    // every option of the document was read off the paper: single solution and three instalments
    for (const x of positions) expect(none.stderr).toContain(`avviso ${x.noticeNumber}`);

    const r = await simulatorCommand([
      'pay',
      '--pdf',
      file,
      '--notice',
      second.noticeNumber,
      '--url',
      sim.base,
    ]);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      outcome: 'PAID',
      verify: { option: { amountCents: 10100 } },
    });
    await paid(second.iuv);
  });
});

describe('the node and the PSP', () => {
  it('pays a notice at a PSP without Checkout', async () => {
    const p = await newPosition(40);
    const r = await pspPay({ fiscalCode: DEMO.ente, noticeNumber: p.noticeNumber });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      outcome: 'PAID',
      verify: { ok: true, option: { amountCents: 4000 } },
      delivery: { status: 'DELIVERED' },
    });
    await paid(p.iuv);
    expect(await receipts(p.iuv)).toEqual([
      expect.objectContaining({ receipt_id: r.body.paymentToken, id_psp: 'SIMPSP02', stand_in: false }),
    ]);
  });

  it('a hybrid payment: activation V2, receipt V1', async () => {
    const p = await newPosition();
    const r = await pspPay({
      fiscalCode: DEMO.ente,
      noticeNumber: p.noticeNumber,
      version: 2,
      receiptVersion: 1,
    });
    expect(r.body.delivery.status).toBe('DELIVERED');
    await paid(p.iuv);
    expect(await attempts(p.iuv)).toEqual([expect.objectContaining({ primitive: 'paGetPaymentV2' })]);
    expect(await receipts(p.iuv)).toEqual([expect.objectContaining({ primitive: 'paSendRT' })]);
  });

  it('the stand-in probe is answered PAA_PAGAMENTO_SCONOSCIUTO', async () => {
    const res = await fetch(`${sim.base}/sim/stand-in/probe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fiscalCode: DEMO.ente }),
    });
    expect(await res.json()).toMatchObject({
      healthy: true,
      outcome: 'KO',
      faultCode: 'PAA_PAGAMENTO_SCONOSCIUTO',
    });
  });

  it('a receipt without activation (stand-in) pays the position', async () => {
    const p = await newPosition(30);
    const res = await fetch(`${sim.base}/sim/receipts/stand-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fiscalCode: DEMO.ente, noticeNumber: p.noticeNumber, amountCents: 3000 }),
    });
    expect(await res.json()).toMatchObject({ status: 'DELIVERED', standIn: true });
    await paid(p.iuv);
    expect(await receipts(p.iuv)).toEqual([
      expect.objectContaining({ stand_in: true, payment_attempt_id: null }),
    ]);
    expect(await attempts(p.iuv)).toEqual([]);
  });

  it('a duplicate receipt (same receiptId) is acknowledged and applied once', async () => {
    const p = await newPosition();
    const r = await pspPay({ fiscalCode: DEMO.ente, noticeNumber: p.noticeNumber });
    await paid(p.iuv);
    const dup = await fetch(`${sim.base}/sim/receipts/${r.body.paymentToken}/duplicate`, { method: 'POST' });
    const d = (await dup.json()) as Record<string, any>;
    expect(d).toMatchObject({ status: 'DELIVERED', receiptId: r.body.paymentToken });
    expect(['OK', 'KO']).toContain(d.attempts[0].outcome);
    if (d.attempts[0].outcome === 'KO') expect(d.attempts[0].faultCode).toBe('PAA_RECEIPT_DUPLICATA');
    expect(await receipts(p.iuv)).toHaveLength(1);
    const history = await cassa.c.db.executeSql(
      `select h.to_status from debt_position_status_history h join debt_position p on p.id = h.position_id where p.iuv = '${p.iuv}' and h.to_status = 'PAID'`,
    );
    expect(history.rows).toHaveLength(1);
  });

  it('retries paSendRT while the station is unreachable, and delivers once Cassa is back', async () => {
    const dead = await refusedUrl();
    sim.config.rtRetryMax = 10_000;
    const p = await newPosition();
    sim.node.faults.dropReceipts = true;
    const r = await pspPay({ fiscalCode: DEMO.ente, noticeNumber: p.noticeNumber });
    expect(r.body.delivery.status).toBe('DROPPED');
    sim.node.faults.dropReceipts = false;
    sim.config.stationUrl = dead;
    const id = r.body.delivery.id as number;
    await sim.node.retryNow(id);
    await until(() => sim.node.getDelivery(id)!.attempts.length >= 3, 'three failed attempts');
    expect(sim.node.getDelivery(id)!.attempts.every((a) => a.result === 'FAILED' && a.error)).toBe(true);
    expect(await statusCode(p.iuv)).toBe('1');
    sim.config.stationUrl = cassa.soapUrl;
    await until(() => sim.node.getDelivery(id)!.status === 'DELIVERED', 'the receipt delivered');
    await paid(p.iuv);
    expect(await receipts(p.iuv)).toHaveLength(1);
  });
});

/** A URL on 127.0.0.1 where nothing listens: a port taken and released. */
async function refusedUrl(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return `http://127.0.0.1:${port}/soap/paForNode`;
}
