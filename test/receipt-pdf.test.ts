import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { projectPath } from '../src/shared/paths.js';
import { scanNoticePdf } from '../simulator/src/notice-scan.js';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';

/**
 * The receipt on paper (ricevuta di pagamento), from receipts stored through Cassa's own paSendRTV2
 * endpoint: every printed field read back with pdftotext, the verification QR decoded with ZXing,
 * texts that never leave the page, logos that draw or (broken) draw nothing; and where it is served:
 * epayapi POST /rt formatoRT PDF and the admin API. Pages are kept in test-results/pdf/ as PNG.
 */
const run = promisify(execFile);
const OUT = projectPath('test-results', 'pdf');
mkdirSync(OUT, { recursive: true });

const EPAY = '/epayapi/api/v1';
const BASE = `${EPAY}/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const AUTH = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const DEBTOR_CF = 'TSTPNI70D01L219V';
const PAYER_CF = 'RSSMRA80A01H501U';
const SECOND_ENTE = '80087670016';
const A4_WIDTH = 595.28;

let t: TestApp;
let enteId: number;
beforeAll(async () => {
  t = await buildTestApp();
  await seedDemo(t.c);
  enteId = (await t.c.organizations.resolveIds(DEMO.ente, DEMO.paymentType)).enteId;
});
afterAll(async () => t?.close());

async function createPosition(
  causale: string,
  importo: number,
): Promise<{ iuv: string; codiceAvviso: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: BASE,
    headers: AUTH,
    payload: { causale, importo, codiceFiscalePartitaIVAPagatore: DEBTOR_CF, nome: 'Pino', cognome: 'Test' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

interface Sent {
  iuv: string;
  noticeNumber: string;
  receiptId: string;
  outcome?: 'OK' | 'KO';
  debtorName?: string;
  payer?: { cf: string; name: string } | null;
  psp?: string;
  transfers: {
    cf: string;
    company?: string;
    iban?: string;
    stamp?: boolean;
    amount: string;
    remittance: string;
  }[];
}

async function sendReceipt(r: Sent): Promise<void> {
  const amount = r.transfers.reduce((s, x) => s + Math.round(Number(x.amount) * 100), 0);
  const subject = (tag: string, cf: string, name: string) =>
    `<${tag}><uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType><entityUniqueIdentifierValue>${cf}</entityUniqueIdentifierValue></uniqueIdentifier><fullName>${name}</fullName></${tag}>`;
  const envelope = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:paf="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd">
  <soapenv:Body>
    <paf:paSendRTV2Request>
      <idPA>${DEMO.ente}</idPA><idBrokerPA>${DEMO.idBrokerPA}</idBrokerPA><idStation>${DEMO.idStation}</idStation>
      <receipt>
        <receiptId>${r.receiptId}</receiptId>
        <noticeNumber>${r.noticeNumber}</noticeNumber>
        <fiscalCode>${DEMO.ente}</fiscalCode>
        <outcome>${r.outcome ?? 'OK'}</outcome>
        <creditorReferenceId>${r.iuv}</creditorReferenceId>
        <paymentAmount>${(amount / 100).toFixed(2)}</paymentAmount>
        <description>Descrizione della ricevuta</description>
        <companyName>Comune di Alessandria</companyName>
        ${subject('debtor', DEBTOR_CF, r.debtorName ?? 'Pino Test')}
        <transferList>${r.transfers
          .map(
            (x, i) =>
              `<transfer><idTransfer>${i + 1}</idTransfer><transferAmount>${x.amount}</transferAmount><fiscalCodePA>${x.cf}</fiscalCodePA>${x.company ? `<companyName>${x.company}</companyName>` : ''}${x.stamp ? '<MBDAttachment>UEsDBA==</MBDAttachment>' : `<IBAN>${x.iban}</IBAN>`}<remittanceInformation>${x.remittance}</remittanceInformation><transferCategory>9/0201133IM/</transferCategory></transfer>`,
          )
          .join('')}</transferList>
        <idPSP>BCITITMM</idPSP>
        <pspFiscalCode>00799960158</pspFiscalCode>
        <PSPCompanyName>${r.psp ?? 'Banca di Prova'}</PSPCompanyName>
        <idChannel>00799960158_01</idChannel>
        <channelDescription>app</channelDescription>
        <paymentMethod>CP</paymentMethod>
        <fee>1.50</fee>
        <paymentDateTime>2025-07-01T10:11:12</paymentDateTime>
        <applicationDate>2025-07-01</applicationDate>
        <transferDate>2025-07-02</transferDate>
        ${r.payer ? subject('payer', r.payer.cf, r.payer.name) : ''}
      </receipt>
    </paf:paSendRTV2Request>
  </soapenv:Body>
</soapenv:Envelope>`;
  const res = await t.app.inject({
    method: 'POST',
    url: '/soap/paForNode',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"paSendRTV2"' },
    payload: envelope,
  });
  expect(res.statusCode).toBe(200);
  expect(res.body).toContain('<outcome>OK</outcome>');
}

async function setLogo(mime: string | null, bytes: Buffer | null): Promise<void> {
  await t.c.db.executeSql('update ente set logo = $1, logo_mime = $2 where codice_fiscale = $3', [
    bytes,
    mime,
    DEMO.ente,
  ]);
}

/** The PDF kept under test-results/pdf, its text (pdftotext, reading order) and its first page as PNG. */
async function keep(name: string, pdf: Buffer): Promise<{ file: string; text: string }> {
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  const file = join(OUT, `${name}.pdf`);
  writeFileSync(file, pdf);
  await run('pdftoppm', ['-r', '110', '-png', '-singlefile', file, join(OUT, name)]);
  const { stdout } = await run('pdftotext', ['-enc', 'UTF-8', file, '-']);
  return { file, text: stdout.replace(/\s+/g, ' ') };
}

/** Every word's right edge (pdftotext -bbox), to check that nothing runs off the page. */
async function rightEdges(file: string): Promise<number[]> {
  const { stdout } = await run('pdftotext', ['-bbox', file, '-']);
  return [...stdout.matchAll(/xMax="([\d.]+)"/g)].map((m) => Number(m[1]));
}

async function images(file: string): Promise<number> {
  const { stdout } = await run('pdfimages', ['-list', file]);
  return stdout.trim().split('\n').length - 2;
}

/** A w×h PNG (RGB, a blue square with a white cross), encoded here: a real logo for doc.image. */
function png(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows: number[] = [];
  for (let y = 0; y < h; y++) {
    rows.push(0);
    for (let x = 0; x < w; x++) {
      const cross = Math.abs(x - w / 2) < w / 10 || Math.abs(y - h / 2) < h / 10;
      rows.push(...(cross ? [255, 255, 255] : [0, 102, 204]));
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('the receipt PDF of a receipt sent through paSendRTV2', () => {
  let pos: { iuv: string; codiceAvviso: string };
  let it_: { file: string; text: string };
  beforeAll(async () => {
    pos = await createPosition('Biblioteca - tessera annuale', 20);
    await sendReceipt({
      iuv: pos.iuv,
      noticeNumber: pos.codiceAvviso,
      receiptId: 'c5d1b3e8f0a94a2b8d1e',
      payer: { cf: PAYER_CF, name: 'Mario Rossi' },
      transfers: [
        {
          cf: DEMO.ente,
          iban: 'IT60X0542811101000000123456',
          amount: '15.00',
          remittance: 'Tessera biblioteca',
        },
        {
          cf: SECOND_ENTE,
          company: 'Regione Piemonte',
          iban: 'IT23A0336844430152923010097',
          amount: '5.00',
          remittance: 'Quota regionale',
        },
      ],
    });
    await setLogo('image/svg+xml', readFileSync(projectPath('resources', 'demo', 'logo-ente.svg')));
    const r = await t.c.receiptPdfs.ofPosition(enteId, pos.iuv, 'it');
    expect(r.fileName).toBe(`ricevuta-${pos.codiceAvviso}.pdf`);
    it_ = await keep('receipt-it', r.pdf);
  });

  it('prints the ente, the payment, the parties and the notice', () => {
    const text = it_.text;
    for (const expected of [
      'Ricevuta di pagamento',
      'Comune di Alessandria',
      `Codice fiscale ente: ${DEMO.ente}`,
      'Pagamento eseguito',
      'Causale',
      'Biblioteca - tessera annuale',
      'Importo',
      '20,00 €',
      'Commissione',
      '1,50 €',
      'Totale pagato',
      '21,50 €',
      'Data e ora del pagamento',
      '01/07/2025 10:11',
      'Metodo di pagamento',
      'carta di pagamento (CP)',
      'Banca di Prova (BCITITMM, CF 00799960158)',
      'Canale',
      'app',
      'Debitore: Nome',
      'Pino Test',
      DEBTOR_CF,
      'Pagatore: Nome',
      'Mario Rossi',
      PAYER_CF,
      'Codice avviso',
      pos.codiceAvviso.replace(/(.{4})(?=.)/g, '$1 '),
      'IUV',
      pos.iuv,
    ])
      expect(text, expected).toContain(expected);
  });

  it('prints each transfer with its ente, IBAN, causale and amount', () => {
    const text = it_.text;
    for (const expected of [
      'Versamenti',
      'Ente beneficiario',
      `Comune di Alessandria CF ${DEMO.ente}`,
      'IT60X0542811101000000123456',
      'Tessera biblioteca',
      '15,00 €',
      'Regione Piemonte',
      `CF ${SECOND_ENTE}`,
      'IT23A0336844430152923010097',
      'Quota regionale',
      '5,00 €',
    ])
      expect(text, expected).toContain(expected);
  });

  it("prints the receipt's own identifiers, when Cassa received it, and who issued it", async () => {
    const text = it_.text;
    const [row] = await t.c.db.rows<{ received_at: Date }>(
      (await import('drizzle-orm'))
        .sql`select received_at from receipt where receipt_id = 'c5d1b3e8f0a94a2b8d1e'`,
    );
    const received = new Intl.DateTimeFormat('it-IT', {
      timeZone: 'Europe/Rome',
      day: '2-digit',
      month: '2-digit',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    })
      .format(new Date(row!.received_at))
      .replace(',', '');
    for (const expected of [
      'Identificativi della ricevuta',
      'Identificativo ricevuta (IUR)',
      'c5d1b3e8f0a94a2b8d1e',
      'Esito',
      'OK (pagamento eseguito)',
      "Ricevuta registrata dall'ente il",
      received,
      'Codice di verifica',
      'pagoPA',
      'Cassa',
    ])
      expect(text, expected).toContain(expected);
  });

  it('carries a verification QR code (not a pagoPA payment QR: a receipt is never paid again)', async () => {
    const [page] = await scanNoticePdf(it_.file);
    expect(page!.qrCodes).toEqual([]);
    expect(page!.other).toContain(
      `CASSA|RICEVUTA|1|c5d1b3e8f0a94a2b8d1e|${pos.codiceAvviso}|${DEMO.ente}|2000`,
    );
  });

  it('is one tagged A4 page in Italian with the SVG logo drawn', async () => {
    const { stdout } = await run('pdfinfo', [it_.file]);
    expect(stdout).toMatch(/Pages:\s+1\n/);
    expect(stdout).toMatch(/Tagged:\s+yes/);
    expect(stdout).toMatch(/Page size:\s+595\.2\d? x 841\.8\d? pts \(A4\)/);
    expect(stdout).toMatch(/Title:\s+Ricevuta di pagamento/);
    const pdf = readFileSync(it_.file).toString('latin1');
    expect(pdf).toContain('/Lang (it-IT)');
    // the SVG logo is drawn as vectors inside its Figure (no raster image)
    expect(pdf).toContain('/S /Figure');
    expect(pdf).toContain('/Alt (Logo Comune di Alessandria)');
  });

  it('in English when asked', async () => {
    const r = await t.c.receiptPdfs.ofPosition(enteId, pos.iuv, 'en');
    const { text } = await keep('receipt-en', r.pdf);
    for (const expected of [
      'Payment receipt',
      'Payment made',
      'Reason for payment',
      'Total paid',
      '€21.50',
      'Payment date and time',
      '01/07/2025 10:11',
      'payment card (CP)',
      'Receipt identifier (IUR)',
      'Notice code',
      'Transfers',
    ])
      expect(text, expected).toContain(expected);
  });

  it('a PNG logo is embedded as an image; a broken or missing one draws nothing and breaks nothing', async () => {
    await setLogo('image/png', png(120, 80));
    const withPng = await keep(
      'receipt-png-logo',
      (await t.c.receiptPdfs.ofPosition(enteId, pos.iuv, 'it')).pdf,
    );
    expect(await images(withPng.file)).toBe(1);

    await setLogo('image/png', Buffer.from('not a png at all, just text'));
    const broken = await keep(
      'receipt-broken-logo',
      (await t.c.receiptPdfs.ofPosition(enteId, pos.iuv, 'it')).pdf,
    );
    expect(await images(broken.file)).toBe(0);
    expect(broken.text).toContain('Comune di Alessandria');
    expect(broken.text).toContain(pos.iuv);

    await setLogo('image/svg+xml', Buffer.from('<html>no svg here</html>'));
    const badSvg = await keep(
      'receipt-bad-svg',
      (await t.c.receiptPdfs.ofPosition(enteId, pos.iuv, 'it')).pdf,
    );
    expect(readFileSync(badSvg.file).toString('latin1')).not.toContain('/S /Figure\n/Alt (Logo');
    expect(badSvg.text).toContain('Ricevuta di pagamento');

    await setLogo(null, null);
    const none = await keep('receipt-no-logo', (await t.c.receiptPdfs.ofPosition(enteId, pos.iuv, 'it')).pdf);
    expect(none.text).toContain('Comune di Alessandria');
  });
});

describe('over-long texts', () => {
  it('are cut with an ellipsis and never run off the page', async () => {
    const causale = `${'Tassa occupazione suolo pubblico WWWWWWWWWW '.repeat(3)}fine`.slice(0, 140);
    const pos = await createPosition(causale, 30);
    const long = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
    await sendReceipt({
      iuv: pos.iuv,
      noticeNumber: pos.codiceAvviso,
      receiptId: long('R', 35),
      debtorName: long('Maria Giuseppina Wolkenstein-Waldburg ', 70),
      payer: { cf: PAYER_CF, name: long('WWWWWWWWWWWWWWWWWWWW', 70) },
      psp: long('Istituto Centrale delle Banche Popolari Italiane ', 70),
      transfers: [1, 2, 3, 4, 5].map((i) => ({
        cf: i === 1 ? DEMO.ente : SECOND_ENTE,
        company: long('Consorzio Intercomunale Servizi Socio-Assistenziali ', 140),
        iban: 'IT60X0542811101000000123456',
        stamp: i === 5,
        amount: '6.00',
        remittance: long('Quota di partecipazione al servizio WWW ', 140),
      })),
    });
    const r = await t.c.receiptPdfs.ofPosition(enteId, pos.iuv, 'it');
    const { file, text } = await keep('receipt-long-texts', r.pdf);
    expect(text).toContain('…');
    expect(text).toContain('marca da bollo digitale');
    // the longest receipt pagoPA sends (5 transfers, 2-line causale) still fits one page, note included
    expect((await run('pdfinfo', [file])).stdout).toMatch(/Pages:\s+1\n/);
    expect(text).toContain('registrata dall');
    const edges = await rightEdges(file);
    expect(edges.length).toBeGreaterThan(50);
    // the right margin is 18 mm: nothing beyond it
    expect(Math.max(...edges)).toBeLessThanOrEqual(A4_WIDTH - 18 * (72 / 25.4) + 0.5);
  });
});

describe('where the receipt PDF is served', () => {
  let paid: { iuv: string; codiceAvviso: string };
  let unpaid: { iuv: string; codiceAvviso: string };
  let negative: { iuv: string; codiceAvviso: string };
  beforeAll(async () => {
    paid = await createPosition('Biblioteca - prestito', 4);
    await sendReceipt({
      iuv: paid.iuv,
      noticeNumber: paid.codiceAvviso,
      receiptId: 'rcpt-served-0001',
      transfers: [
        { cf: DEMO.ente, iban: 'IT60X0542811101000000123456', amount: '4.00', remittance: 'Prestito' },
      ],
    });
    unpaid = await createPosition('Biblioteca - non pagata', 3);
    negative = await createPosition('Biblioteca - pagamento fallito', 3);
    await sendReceipt({
      iuv: negative.iuv,
      noticeNumber: negative.codiceAvviso,
      receiptId: 'rcpt-negative-0001',
      outcome: 'KO',
      transfers: [
        { cf: DEMO.ente, iban: 'IT60X0542811101000000123456', amount: '3.00', remittance: 'Fallito' },
      ],
    });
  });

  const rt = (body: Record<string, unknown>, headers: Record<string, string> = AUTH) =>
    t.app.inject({ method: 'POST', url: `${EPAY}/rt`, headers, payload: body });

  it('epayapi POST /rt formatoRT PDF: the PDF in ricevutaPdf and ricevuta, as Cassa publishes it', async () => {
    const res = await rt({
      iuv: paid.iuv,
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'PDF',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(res.statusCode, res.body).toBe(200);
    const b = res.json();
    expect(b).toMatchObject({
      codiceEsito: '000',
      descrizioneStatoPagamento: 'Pagato',
      iuvOriginario: paid.iuv,
      iuvEffettivo: paid.iuv,
    });
    expect(b.rtXml).toBeUndefined();
    expect(b.ricevuta).toBe(b.ricevutaPdf);
    const { text } = await keep('receipt-epayapi', Buffer.from(b.ricevutaPdf, 'base64'));
    expect(text).toContain('Ricevuta di pagamento');
    expect(text).toContain('rcpt-served-0001');
    expect(text).toContain('Biblioteca - prestito');
    // the answer conforms to the response schema Cassa publishes for getRT
    const doc = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const op = doc.paths[`${EPAY}/rt`]!.post as {
      responses: Record<string, { content: Record<string, { schema: object }> }>;
    };
    const schema = op.responses['200']!.content['application/json']!.schema as { properties: object };
    expect(Object.keys(schema.properties)).toContain('ricevutaPdf');
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate(b), JSON.stringify(validate.errors)).toBe(true);
  });

  it('epayapi: 188 for a position without a positive receipt, 176 for an unknown one', async () => {
    for (const p of [unpaid, negative]) {
      const res = await rt({
        iuv: p.iuv,
        codiceFiscale: DEBTOR_CF,
        formatoRT: 'PDF',
        codiceFiscaleEnte: DEMO.ente,
      });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ codiceEsito: '188' });
    }
    // the negative receipt still has its XML copy
    const xml = await rt({
      iuv: negative.iuv,
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'XML',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(xml.statusCode).toBe(200);
    const unknown = await rt({
      iuv: '01999999999999999',
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'PDF',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().codiceEsito).toBe('176');
    // another fiscal code: not the debtor's receipt
    const other = await rt({
      iuv: paid.iuv,
      codiceFiscale: PAYER_CF,
      formatoRT: 'PDF',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(other.statusCode).toBe(404);
    expect(other.json().codiceEsito).toBe('188');
  });

  it('epayapi: a caller without scope STAMPA_RT_GE is refused (403, 200)', async () => {
    await t.c.applications.create({
      codiceChiamante: 'NO_RT_PDF',
      descrizione: 'Senza RT',
      passphrase: 'no-rt-pdf-passphrase',
      scopes: ['CREAZIONE_IUV'],
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
    });
    const res = await rt(
      { iuv: paid.iuv, codiceFiscale: DEBTOR_CF, formatoRT: 'PDF', codiceFiscaleEnte: DEMO.ente },
      { authorization: basic('NO_RT_PDF', 'no-rt-pdf-passphrase') },
    );
    expect(res.statusCode).toBe(403);
    expect(res.json().codiceEsito).toBe('200');
    expect(res.json().ricevutaPdf).toBeUndefined();
  });

  const adminUrl = (iuv: string, code: string = DEMO.paymentType) =>
    `/admin/api/v1/enti/${DEMO.ente}/payment-types/${code}/debt-positions/${iuv}/receipt.pdf`;

  it('admin API: receipt.pdf as an attachment, in English with lang=en, journaled', async () => {
    const res = await t.app.inject({ method: 'GET', url: adminUrl(paid.iuv), headers: ADMIN });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="ricevuta-${paid.codiceAvviso}.pdf"`,
    );
    expect(res.headers['cache-control']).toBe('no-store');
    const { text } = await keep('receipt-admin', res.rawPayload);
    expect(text).toContain('rcpt-served-0001');
    const en = await t.app.inject({ method: 'GET', url: `${adminUrl(paid.iuv)}?lang=en`, headers: ADMIN });
    expect(en.statusCode).toBe(200);
    expect((await keep('receipt-admin-en', en.rawPayload)).text).toContain('Payment receipt');
    await t.c.audit.flush();
    const page = await t.c.audit.query({ interface: 'admin', operation: 'getReceiptPdf', limit: 10 });
    expect(page.items.some((e) => e.iuv === paid.iuv && e.enteFiscalCode === DEMO.ente)).toBe(true);
  });

  it('admin API: 404 problem+json without a positive receipt or position; 401 without the token', async () => {
    for (const iuv of [unpaid.iuv, negative.iuv]) {
      const res = await t.app.inject({ method: 'GET', url: adminUrl(iuv), headers: ADMIN });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 404, code: 'RECEIPT_NOT_FOUND' });
    }
    const unknown = await t.app.inject({ method: 'GET', url: adminUrl('01999999999999999'), headers: ADMIN });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    const anonymous = await t.app.inject({ method: 'GET', url: adminUrl(paid.iuv) });
    expect(anonymous.statusCode).toBe(401);
  });
});
