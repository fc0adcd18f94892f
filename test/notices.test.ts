import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanNoticePdf, type ScannedPage } from '../simulator/src/notice-scan.js';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import type { CallContext } from '../src/modules/debt-positions/application/debt-positions-service.js';
import type { DebtPositionDraft } from '../src/modules/debt-positions/domain/debt-position.js';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';

/**
 * Payment notices where they are served: epayapi's getPaymentNotice, the admin API's notice.pdf; and
 * the positions that have none (paid, cancelled, expired, in payment, unknown). Each PDF is read back
 * as a PSP would (rasterised, QR and DataMatrix decoded) and compared with the position.
 */

const run = promisify(execFile);
const EPAY = `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const ADMIN = `/admin/api/v1/enti/${DEMO.ente}/payment-types/${DEMO.paymentType}/debt-positions`;
const AUTH = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };
const ADMIN_AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };
const DEMO_POSTAL_ACCOUNT = DEMO.ibanPostale.slice(-12);

// a movable "now": positions created with a validity end, then the clock moved past it
let now = new Date('2030-03-10T10:00:00Z');
let t: TestApp;
let ctx: CallContext;
let dir: string;

beforeAll(async () => {
  t = await buildTestApp({ clock: () => now });
  await seedDemo(t.c);
  ctx = await t.c.debtPositions.authorize({
    codiceChiamante: DEMO.codiceChiamante,
    passphrase: DEMO.passphrase,
    enteCodiceFiscale: DEMO.ente,
    codiceVersamento: DEMO.paymentType,
    scope: 'CREAZIONE_IUV',
  });
  dir = await mkdtemp(join(tmpdir(), 'cassa-notices-'));
  await mkdir('test-results/pdf', { recursive: true });
});
afterAll(async () => {
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function create(d: Partial<DebtPositionDraft> = {}): Promise<{ iuv: string; noticeNumber: string }> {
  const amountCents = d.amountCents ?? 4_250;
  const causale = d.causale ?? 'Biblioteca - sanzione per ritardata restituzione';
  return t.c.debtPositions.create(ctx, {
    amountCents,
    components: [{ amountCents, causale: causale.slice(0, 80) }],
    causale,
    debtor: { type: 'F', fiscalCode: 'TSTPNI70D01L219V', name: 'Pino', surname: 'Test' },
    paymentReferences: [],
    ...d,
  });
}

/** The PDF scanned as a PSP's app would, its text as pdftotext gives it, and a copy kept for people. */
async function read(pdf: Buffer, name: string): Promise<{ pages: ScannedPage[]; text: string }> {
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const file = join(dir, `${name}.pdf`);
  await writeFile(file, pdf);
  const pages = await scanNoticePdf(file);
  for (const p of pages) await writeFile(`test-results/pdf/notices-${name}-${p.page}.png`, p.png);
  const { stdout } = await run('pdftotext', ['-layout', file, '-']);
  return { pages, text: stdout };
}

async function epayNotice(iuv: string, headers: Record<string, string> = AUTH) {
  return t.app.inject({ method: 'GET', url: `${EPAY}/${iuv}/paymentnotice`, headers });
}

async function epayNoticeOf(paymentType: string, iuv: string) {
  return t.app.inject({
    method: 'GET',
    url: `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${paymentType}/debtpositions/${iuv}/paymentnotice`,
    headers: AUTH,
  });
}

describe('epayapi getPaymentNotice', () => {
  it("answers the payable position's notice as base64 PDF: its QR and Bollettino carry the position", async () => {
    const res = await epayNotice(DEMO.payable.iuv);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-client-attivo']).toBe('true');
    const body = res.json();
    expect(body.result).toMatchObject({ code: '000' });
    const { pages, text } = await read(Buffer.from(body.paymentnotice, 'base64'), 'epayapi-payable');
    const noticeNumber = `001${DEMO.payable.iuv}`;
    expect(pages.flatMap((p) => p.qrCodes)).toEqual([
      expect.objectContaining({
        noticeNumber,
        fiscalCode: DEMO.ente,
        amountCents: DEMO.payable.importo * 100,
      }),
    ]);
    // the library's payment type credits a postal account: the Bollettino, with its DataMatrix
    expect(pages.flatMap((p) => p.dataMatrices)).toEqual([
      expect.objectContaining({
        noticeNumber,
        postalAccount: DEMO_POSTAL_ACCOUNT,
        amountCents: DEMO.payable.importo * 100,
        fiscalCode: DEMO.ente,
        debtorFiscalCode: DEMO.debtor.codiceFiscalePartitaIVAPagatore,
      }),
    ]);
    expect(text).toContain(noticeNumber.replace(/(\d{4})(?=\d)/g, '$1 '));
    expect(text).toContain('Comune di Alessandria');
    expect(text).toContain('Comune di Alessandria - Servizio Tesoreria');
  });

  it.each([
    ['paid', () => DEMO.paid.iuv, '178', /già pagata.*POST \/rt/],
    ['cancelled', () => DEMO.cancelled.iuv, '179', /annullata/],
  ])('refuses a %s position with 409 and its code', async (_what, iuv, code, message) => {
    const res = await epayNotice(iuv());
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({ code, campo: 'iuv' });
    expect(res.json().description).toMatch(message);
    expect(res.json().paymentnotice).toBeUndefined();
  });

  it('refuses an unknown IUV with 404 (176)', async () => {
    const res = await epayNotice('01999999999999999');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: '176' });
  });

  it('refuses a caller without the scope STAMPA_AVVISO_PAGAMENTO (200), and one without credentials (401)', async () => {
    await t.c.applications.create({
      codiceChiamante: 'NO_PRINT',
      descrizione: 'senza stampa avvisi',
      passphrase: 'no-print-passphrase-0123',
      scopes: ['CREAZIONE_IUV'],
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
    });
    const forbidden = await epayNotice(DEMO.payable.iuv, {
      authorization: basic('NO_PRINT', 'no-print-passphrase-0123'),
    });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ code: '200' });
    const anonymous = await epayNotice(DEMO.payable.iuv, {});
    expect(anonymous.statusCode).toBe(401);
  });

  it('journals the call with its outcome, without the PDF', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `${EPAY}/${DEMO.payable.iuv}/paymentnotice`,
      headers: { ...AUTH, 'x-correlation-id': 'notice-journal-0001' },
    });
    expect(res.statusCode).toBe(200);
    await t.c.audit.flush();
    const { items } = await t.c.audit.query({ correlationId: 'notice-journal-0001', limit: 5 });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      interface: 'epayapi',
      operation: 'getPaymentNotice',
      outcome: '000',
      iuv: DEMO.payable.iuv,
      caller: DEMO.codiceChiamante,
    });
    expect(items[0]!.responsePayload ?? null).toBeNull();
  });
});

describe('admin notice.pdf', () => {
  it('answers application/pdf as an attachment avviso-<noticeNumber>.pdf', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `${ADMIN}/${DEMO.payable.iuv}/notice.pdf`,
      headers: ADMIN_AUTH,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="avviso-001${DEMO.payable.iuv}.pdf"`,
    );
    const { pages } = await read(res.rawPayload, 'admin-payable');
    expect(pages.flatMap((p) => p.qrCodes.map((q) => q.noticeNumber))).toEqual([`001${DEMO.payable.iuv}`]);
  });

  it('answers problem+json: 409 for a paid position naming its receipt, 404 for an unknown one or another payment type', async () => {
    const paid = await t.app.inject({
      method: 'GET',
      url: `${ADMIN}/${DEMO.paid.iuv}/notice.pdf`,
      headers: ADMIN_AUTH,
    });
    expect(paid.statusCode).toBe(409);
    expect(paid.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(paid.json()).toMatchObject({ status: 409, code: '178' });
    expect(paid.json().detail).toContain(`/receipts?ente=${DEMO.ente}&iuv=${DEMO.paid.iuv}`);
    const unknown = await t.app.inject({
      method: 'GET',
      url: `${ADMIN}/01999999999999999/notice.pdf`,
      headers: ADMIN_AUTH,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: '176' });
    await t.c.organizations.createPaymentType(DEMO.ente, {
      codiceVersamento: 'ALTR',
      descrizione: 'Altro',
      iban: 'IT60X0542811101000000123456',
      transferCategory: '9/0101108TS/',
    });
    const other = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types/ALTR/debt-positions/${DEMO.payable.iuv}/notice.pdf`,
      headers: ADMIN_AUTH,
    });
    expect(other.statusCode).toBe(404);
  });

  it('needs the admin token', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${ADMIN}/${DEMO.payable.iuv}/notice.pdf` });
    expect(res.statusCode).toBe(401);
  });
});

describe('bad input', () => {
  async function adminNotice(iuv: string) {
    return t.app.inject({ method: 'GET', url: `${ADMIN}/${iuv}/notice.pdf`, headers: ADMIN_AUTH });
  }

  it('has no notice for an expired position (187), whether or not the sweep has recorded it', async () => {
    const p = await create({ validTo: '2030-03-11' });
    expect((await adminNotice(p.iuv)).statusCode).toBe(200);
    now = new Date('2030-03-13T10:00:00Z');
    try {
      const res = await epayNotice(p.iuv);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: '187' });
    } finally {
      now = new Date('2030-03-10T10:00:00Z');
    }
  });

  it('has no notice for a position with a payment in progress (177)', async () => {
    const p = await create();
    const [id] = (
      await t.c.db.executeSql(`select id::int as id from debt_position where iuv = '${p.iuv}'`)
    ).rows.map((r: { id: number }) => r.id);
    await t.c.debtPositions.markAwaitingReceipt([id!], 'test', 'Checkout ok');
    const res = await epayNotice(p.iuv);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: '177' });
  });

  it('prints an ANONIMO position without a recipient, and refuses one still at 0 (163)', async () => {
    const anonymous = { type: null, fiscalCode: 'ANONIMO' } as const;
    const paying = await create({
      debtor: anonymous,
      paymentReferences: [{ name: 'Verbale', value: 'V-1' }],
    });
    const res = await epayNotice(paying.iuv);
    expect(res.statusCode, res.body).toBe(200);
    const { pages, text } = await read(Buffer.from(res.json().paymentnotice, 'base64'), 'anonimo');
    expect(pages.flatMap((p) => p.qrCodes.map((q) => q.noticeNumber))).toEqual([paying.noticeNumber]);
    expect(text).not.toContain('ANONIMO');
    const zero = await create({
      debtor: anonymous,
      amountCents: 0,
      components: [{ amountCents: 0, causale: 'Verbale' }],
      paymentReferences: [{ name: 'Verbale', value: 'V-2' }],
    });
    const refused = await epayNotice(zero.iuv);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: '163' });
  });

  it('prints the longest causale and names the database holds, cut at the guideline lengths', async () => {
    const causale = `Servizio di prestito interbibliotecario ${'lunghissimo '.repeat(12)}`.slice(0, 140);
    const p = await create({
      causale,
      debtor: { type: 'F', fiscalCode: 'TSTPNI70D01L219V', name: 'N'.repeat(70), surname: 'Ç'.repeat(70) },
    });
    const res = await adminNotice(p.iuv);
    expect(res.statusCode).toBe(200);
    const { pages, text } = await read(res.rawPayload, 'long-texts');
    expect(pages.flatMap((x) => x.qrCodes.map((q) => q.noticeNumber))).toEqual([p.noticeNumber]);
    expect(text).toContain('…');
    expect(text).not.toContain(causale);
  });

  it('prints the notice of an ente without a logo', async () => {
    await t.c.organizations.updateEnte(DEMO.ente, { logo: null });
    try {
      const res = await adminNotice(DEMO.payable.iuv);
      expect(res.statusCode).toBe(200);
      const { pages } = await read(res.rawPayload, 'no-logo');
      expect(pages.flatMap((x) => x.qrCodes.map((q) => q.noticeNumber))).toEqual([`001${DEMO.payable.iuv}`]);
    } finally {
      const { readFileSync } = await import('node:fs');
      await t.c.organizations.updateEnte(DEMO.ente, {
        logo: {
          mime: 'image/svg+xml',
          base64: readFileSync('resources/demo/logo-ente.svg').toString('base64'),
        },
      });
    }
  });
});

describe("a document's notice", () => {
  const positionsOf = async () =>
    (
      await t.c.db.executeSql(
        `select p.id::int as id, p.iuv, p.notice_number as "noticeNumber", p.instalment_number as rata, p.amount_cents::int as cents
           from debt_position p join document d on d.id = p.document_id
          where d.identificativo = 'TARI-000123' order by p.instalment_number nulls first`,
      )
    ).rows as { id: number; iuv: string; noticeNumber: string; rata: number | null; cents: number }[];

  it("prints the demo TARI's single solution and its three instalments, whichever position is asked, each with its QR", async () => {
    const [single, ...instalments] = await positionsOf();
    const res = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types/TARI/debt-positions/${instalments[1]!.iuv}/notice.pdf`,
      headers: ADMIN_AUTH,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toContain(`avviso-${instalments[1]!.noticeNumber}.pdf`);
    const notice = await t.c.notices.notice({ enteFiscalCode: DEMO.ente, iuv: instalments[1]!.iuv });
    expect(notice.document.subject).toBe('TARI - Tassa sui rifiuti, utenza domestica');
    expect(notice.document.single?.noticeNumber).toBe(single!.noticeNumber);
    expect(notice.document.instalments.map((i) => [i.instalment, i.noticeNumber, i.amountCents])).toEqual(
      instalments.map((i) => [i.rata, i.noticeNumber, i.cents]),
    );
    const { pages } = await read(res.rawPayload, 'document-tari');
    expect(
      pages
        .flatMap((p) => p.qrCodes)
        .map((q) => [q.noticeNumber, q.amountCents])
        .sort(),
    ).toEqual([single!, ...instalments].map((p) => [p.noticeNumber, p.cents]).sort());
  });

  it('leaves out the single solution once an instalment is paid, and has no notice for the single solution', async () => {
    const [single, first, ...rest] = await positionsOf();
    await t.c.db.executeSql(`update debt_position set status = 'PAID' where id = ${first!.id}`);
    try {
      const notice = await t.c.notices.notice({ positionId: rest[0]!.id });
      expect(notice.document.single).toBeUndefined();
      expect(notice.document.instalments.map((i) => i.noticeNumber)).toEqual(rest.map((r) => r.noticeNumber));
      const refused = await epayNoticeOf('TARI', single!.iuv);
      expect(refused.statusCode).toBe(403); // AP_01 is not authorised on TARI: the caller's rights come first
      const admin = await t.app.inject({
        method: 'GET',
        url: `/admin/api/v1/enti/${DEMO.ente}/payment-types/TARI/debt-positions/${single!.iuv}/notice.pdf`,
        headers: ADMIN_AUTH,
      });
      expect(admin.statusCode).toBe(409);
      expect(admin.json()).toMatchObject({ code: '178' });
      expect(admin.json().detail).toMatch(/già stato pagato in un altro modo/);
    } finally {
      await t.c.db.executeSql(`update debt_position set status = 'PAYABLE' where id = ${first!.id}`);
    }
  });
});

describe('batch (mass printing)', () => {
  it('builds the notices of many positions in the order asked, with the reason of those that have none', async () => {
    const a = await create();
    const b = await create({ amountCents: 100 });
    const ids = (
      await t.c.db.executeSql(
        `select id::int as id, iuv from debt_position where iuv in ('${a.iuv}', '${b.iuv}', '${DEMO.paid.iuv}')`,
      )
    ).rows as { id: number; iuv: string }[];
    const id = (iuv: string) => ids.find((r) => r.iuv === iuv)!.id;
    const items = await t.c.notices.noticeDocumentsFor([
      id(b.iuv),
      id(DEMO.paid.iuv),
      999_999_999,
      id(a.iuv),
    ]);
    expect(items.map((i) => [i.positionId, i.ok ? i.notice.noticeNumber : i.error.code])).toEqual([
      [id(b.iuv), b.noticeNumber],
      [id(DEMO.paid.iuv), '178'],
      [999_999_999, '176'],
      [id(a.iuv), a.noticeNumber],
    ]);
    const first = items[0]!;
    expect(first.ok && first.notice.document.single?.amountCents).toBe(100);
  });
});
