import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';
import { validateSoapResponse } from './helpers/xsd.js';

/**
 * Issue 10, item 8. A receipt sent in ISO-8859-1 is handed out exactly as received (bytes that agree
 * with their declaration) by every copy: TrasmettiRT, the admin API, epayapi POST /rt. Text lengths are
 * counted in characters, as the XSDs and PostgreSQL count them: an emoji is one.
 */
const EPAY = '/epayapi/api/v1';
const BASE = `${EPAY}/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const AUTH = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };
const DEBTOR_CF = DEMO.debtor.codiceFiscalePartitaIVAPagatore;
const PAFN = 'http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd';
const TEXT = 'Attività già pagata: àèìòù';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  // AP_02 (the demo gestionale) has every EPaywso2EntiService endpoint for BIBL: it gets the TrasmettiRT
  await seedDemo(t.c);
});
afterAll(async () => t?.close());

async function createPosition(payload: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: BASE,
    headers: AUTH,
    payload: {
      importo: 12.5,
      codiceFiscalePartitaIVAPagatore: DEBTOR_CF,
      nome: 'Pino',
      cognome: 'Test',
      ...payload,
    },
  });
}

function isoReceipt(p: { iuv: string; noticeNumber: string; receiptId: string }): string {
  return `<?xml version="1.0" encoding="ISO-8859-1"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:paf="${PAFN}">
  <soapenv:Body>
    <paf:paSendRTV2Request>
      <idPA>${DEMO.ente}</idPA><idBrokerPA>${DEMO.idBrokerPA}</idBrokerPA><idStation>${DEMO.idStation}</idStation>
      <receipt>
        <receiptId>${p.receiptId}</receiptId>
        <noticeNumber>${p.noticeNumber}</noticeNumber>
        <fiscalCode>${DEMO.ente}</fiscalCode>
        <outcome>OK</outcome>
        <creditorReferenceId>${p.iuv}</creditorReferenceId>
        <paymentAmount>12.50</paymentAmount>
        <description>${TEXT}</description>
        <companyName>Comune di Alessandria</companyName>
        <debtor>
          <uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType><entityUniqueIdentifierValue>${DEBTOR_CF}</entityUniqueIdentifierValue></uniqueIdentifier>
          <fullName>Pino Test</fullName>
        </debtor>
        <transferList>
          <transfer>
            <idTransfer>1</idTransfer><transferAmount>12.50</transferAmount><fiscalCodePA>${DEMO.ente}</fiscalCodePA>
            <IBAN>IT60X0542811101000000123456</IBAN><remittanceInformation>${TEXT}</remittanceInformation><transferCategory>9/0201133IM/</transferCategory>
          </transfer>
        </transferList>
        <idPSP>BCITITMM</idPSP><PSPCompanyName>Banca di Prova</PSPCompanyName><paymentMethod>CP</paymentMethod>
        <fee>1.00</fee><paymentDateTime>2025-07-01T10:11:12</paymentDateTime><applicationDate>2025-07-01</applicationDate>
      </receipt>
    </paf:paSendRTV2Request>
  </soapenv:Body>
</soapenv:Envelope>`;
}

/** The text of XML bytes, decoded as their own declaration says (UTF-8 when it says nothing). */
function decodeAsDeclared(bytes: Buffer): string {
  const declared =
    /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(
      bytes.subarray(0, 200).toString('latin1'),
    )?.[1] ?? 'utf-8';
  return new TextDecoder(declared.toLowerCase()).decode(bytes);
}

describe('a receipt in ISO-8859-1 is handed out as received', () => {
  let envelope: string;
  let bytes: Buffer;
  let receiptRowId: number;
  const receiptId = 'rcpt-iso-8859-1-0001';

  beforeAll(async () => {
    const created = await createPosition({ causale: 'Biblioteca - tessera' });
    expect(created.statusCode).toBe(201);
    const pos = created.json<{ iuv: string; codiceAvviso: string }>();
    envelope = isoReceipt({ iuv: pos.iuv, noticeNumber: pos.codiceAvviso, receiptId });
    bytes = Buffer.from(envelope, 'latin1');
    expect(bytes.includes(Buffer.from('à', 'utf8'))).toBe(false);
    const res = await t.app.inject({
      method: 'POST',
      url: '/soap/paForNode',
      headers: { 'content-type': 'text/xml; charset=ISO-8859-1', soapaction: '"paSendRTV2"' },
      payload: bytes,
    });
    expect(res.statusCode).toBe(200);
    validateSoapResponse(res.body);
    expect(res.body).toContain('<outcome>OK</outcome>');
    const [row] = await t.c.db.rows<{ id: number; description: string }>(
      sql`select id::int as id, transfers->0->>'remittanceInformation' as description from receipt where receipt_id = ${receiptId}`,
    );
    // read with its accents
    expect(row!.description).toBe(TEXT);
    receiptRowId = row!.id;
  });

  it('kept once: the same bytes again are a duplicate, nothing changes', async () => {
    const again = await t.app.inject({
      method: 'POST',
      url: '/soap/paForNode',
      headers: { 'content-type': 'text/xml', soapaction: 'paSendRTV2' },
      payload: bytes,
    });
    expect(again.body).toContain('PAA_RECEIPT_DUPLICATA');
    const [n] = await t.c.db.rows<{ n: number }>(
      sql`select count(*)::int as n from receipt where receipt_id = ${receiptId}`,
    );
    expect(n!.n).toBe(1);
  });

  it('admin GET /receipts/{id}/xml: the bytes as received, with the charset they are in', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/receipts/${receiptRowId}/xml`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=ISO-8859-1');
    expect(res.rawPayload.equals(bytes)).toBe(true);
    expect(decodeAsDeclared(res.rawPayload)).toContain(TEXT);
    // what a client honouring the Content-Type reads
    expect(new TextDecoder('iso-8859-1').decode(res.rawPayload)).toBe(envelope);
  });

  it('epayapi POST /rt: rtXml and ricevuta are the base64 of the bytes as received', async () => {
    const [pos] = await t.c.db.rows<{ iuv: string }>(sql`select iuv from receipt where id = ${receiptRowId}`);
    const res = await t.app.inject({
      method: 'POST',
      url: `${EPAY}/rt`,
      headers: AUTH,
      payload: { iuv: pos!.iuv, codiceFiscale: DEBTOR_CF, formatoRT: 'XML', codiceFiscaleEnte: DEMO.ente },
    });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    const got = Buffer.from(b.rtXml, 'base64');
    expect(got.equals(bytes)).toBe(true);
    expect(decodeAsDeclared(got)).toBe(envelope);
    expect(decodeAsDeclared(got)).not.toContain('Ã');
    expect(b.ricevuta).toBe(b.rtXml);
  });

  it('TrasmettiRT: the RT XML element is the base64 of the bytes as received', async () => {
    await t.c.notifications.groupDue(0);
    const rows = await t.c.db.rows<{ body: string }>(
      sql`select body_xml as body from outbound_message where operation = 'TrasmettiRT'`,
    );
    const rts = rows.flatMap((r) =>
      [...r.body.matchAll(/<RT><Id>([^<]*)<\/Id><XML>([^<]*)<\/XML><\/RT>/g)].map((m) => ({
        id: m[1],
        xml: m[2]!,
      })),
    );
    const mine = rts.find((r) => r.id === receiptId);
    expect(mine, JSON.stringify(rts.map((r) => r.id))).toBeDefined();
    const got = Buffer.from(mine!.xml, 'base64');
    expect(got.equals(bytes)).toBe(true);
    expect(decodeAsDeclared(got)).toContain(TEXT);
  });

  it('a UTF-8 receipt keeps no second copy of its bytes', async () => {
    const created = await createPosition({
      causale: 'Prestito UTF-8',
      identificativoPagamento: 'UTF8-BYTES-1',
    });
    const pos = created.json<{ iuv: string; codiceAvviso: string }>();
    const id = 'utf8-receipt-bytes-1';
    const xml = isoReceipt({ iuv: pos.iuv, noticeNumber: pos.codiceAvviso, receiptId: id }).replace(
      /encoding="ISO-8859-1"/i,
      'encoding="UTF-8"',
    );
    const r = await t.app.inject({
      method: 'POST',
      url: '/soap/paForNode',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'paSendRTV2' },
      payload: Buffer.from(xml, 'utf8'),
    });
    expect(r.body).toContain('<outcome>OK</outcome>');
    const [row] = await t.c.db.rows<{ kept: boolean }>(
      sql`select raw_bytes is not null as kept from receipt where receipt_id = ${id}`,
    );
    expect(row!.kept).toBe(false);
  });
});

describe('text lengths are counted in characters, as the XSDs count them', () => {
  // 140 characters, 142 UTF-16 units: the emoji at the end would be the ones cut
  const causale = `Biblioteca – tessera àèìòù ${'x'.repeat(111)}😀😀`;

  it('a 140-character causale with emoji is accepted, and round-trips through paVerifyPaymentNotice and the APIs', async () => {
    expect(Array.from(causale)).toHaveLength(140);
    expect(causale.length).toBe(142);
    const res = await createPosition({ causale });
    expect(res.statusCode, res.body).toBe(201);
    const { iuv, codiceAvviso } = res.json<{ iuv: string; codiceAvviso: string }>();

    const verify = await t.app.inject({
      method: 'POST',
      url: '/soap/paForNode',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'paVerifyPaymentNotice' },
      payload:
        `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="${PAFN}"><soapenv:Body>` +
        `<pafn:paVerifyPaymentNoticeReq><idPA>${DEMO.ente}</idPA><idBrokerPA>${DEMO.idBrokerPA}</idBrokerPA><idStation>${DEMO.idStation}</idStation>` +
        `<qrCode><fiscalCode>${DEMO.ente}</fiscalCode><noticeNumber>${codiceAvviso}</noticeNumber></qrCode></pafn:paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>`,
    });
    expect(verify.statusCode).toBe(200);
    validateSoapResponse(verify.body);
    expect(verify.body).toContain('<outcome>OK</outcome>');
    expect(verify.body).toContain(`<paymentDescription>${causale}</paymentDescription>`);

    // stored whole (varchar(140) counts characters too) and read back whole
    const pos = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types/${DEMO.paymentType}/debt-positions/${iuv}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(pos.json().causale).toBe(causale);
    const status = await t.app.inject({ method: 'GET', url: `${BASE}/${iuv}/status`, headers: AUTH });
    expect(status.json()).toMatchObject({ code: '1', result: { code: '000' } });
  });

  it('141 characters are refused, naming the field', async () => {
    const res = await createPosition({ causale: `${causale}!` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ codiceEsito: '100', campo: 'causale' });
    expect(res.json().descrizioneEsito).toContain('causale');
    // a component's causale: 80 characters
    const comp = await createPosition({
      causale: 'Quota',
      componentiPagamento: [{ importo: 12.5, causale: `${'y'.repeat(79)}😀` }],
    });
    expect(comp.statusCode, comp.body).toBe(201);
    const long = await createPosition({
      causale: 'Quota',
      componentiPagamento: [{ importo: 12.5, causale: `${'y'.repeat(80)}😀` }],
    });
    expect(long.statusCode).toBe(400);
    expect(long.json().campo).toContain('causale');
  });
});
