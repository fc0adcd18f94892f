import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';

/**
 * The receipts pagoPA sent, read back: PiemontePAY's POST /rt (the original XML in base64) and
 * GET …/paymentdata filled from the receipt, for gestionali; the admin receipts endpoints for
 * operators. Receipts arrive through Cassa's own paSendRTV2 endpoint, and (for corner cases the
 * node rarely produces) as rows written by a test-only SQL fixture.
 */
const spec = parse(
  readFileSync(new URL('../resources/specs/piemontepay/epayapi_v1.1.yaml', import.meta.url), 'utf8'),
);
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
for (const [name, schema] of Object.entries(spec.components.schemas)) {
  ajv.addSchema(JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '')) as object, name);
}
function expectSchema(name: string, body: unknown) {
  const validate = ajv.getSchema(name)!;
  expect(validate(body), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

const EPAY = '/epayapi/api/v1';
const BASE = `${EPAY}/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const AUTH = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const DEBTOR_CF = 'TSTPNI70D01L219V';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  await seedDemo(t.c);
});
afterAll(async () => t?.close());

async function createPosition(importo = 12.5): Promise<{ iuv: string; codiceAvviso: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: BASE,
    headers: AUTH,
    payload: {
      causale: 'Biblioteca - tessera',
      importo,
      codiceFiscalePartitaIVAPagatore: DEBTOR_CF,
      nome: 'Pino',
      cognome: 'Test',
    },
  });
  expect(res.statusCode).toBe(201);
  return res.json();
}

function paSendRTV2(p: {
  iuv: string;
  noticeNumber: string;
  receiptId: string;
  amount: string;
  paymentDateTime: string;
  applicationDate: string;
}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:paf="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd">
  <soapenv:Body>
    <paf:paSendRTV2Request>
      <idPA>${DEMO.ente}</idPA>
      <idBrokerPA>${DEMO.idBrokerPA}</idBrokerPA>
      <idStation>${DEMO.idStation}</idStation>
      <receipt>
        <receiptId>${p.receiptId}</receiptId>
        <noticeNumber>${p.noticeNumber}</noticeNumber>
        <fiscalCode>${DEMO.ente}</fiscalCode>
        <outcome>OK</outcome>
        <creditorReferenceId>${p.iuv}</creditorReferenceId>
        <paymentAmount>${p.amount}</paymentAmount>
        <description>Biblioteca - tessera</description>
        <companyName>Comune di Alessandria</companyName>
        <debtor>
          <uniqueIdentifier><entityUniqueIdentifierType>F</entityUniqueIdentifierType><entityUniqueIdentifierValue>${DEBTOR_CF}</entityUniqueIdentifierValue></uniqueIdentifier>
          <fullName>Pino Test</fullName>
        </debtor>
        <transferList>
          <transfer>
            <idTransfer>1</idTransfer>
            <transferAmount>${p.amount}</transferAmount>
            <fiscalCodePA>${DEMO.ente}</fiscalCodePA>
            <IBAN>IT60X0542811101000000123456</IBAN>
            <remittanceInformation>Biblioteca - tessera</remittanceInformation>
            <transferCategory>9/0201133IM/</transferCategory>
          </transfer>
        </transferList>
        <idPSP>BCITITMM</idPSP>
        <pspFiscalCode>00799960158</pspFiscalCode>
        <PSPCompanyName>Banca di Prova</PSPCompanyName>
        <idChannel>00799960158_01</idChannel>
        <channelDescription>app</channelDescription>
        <paymentMethod>CP</paymentMethod>
        <fee>1.50</fee>
        <paymentDateTime>${p.paymentDateTime}</paymentDateTime>
        <applicationDate>${p.applicationDate}</applicationDate>
        <transferDate>${p.applicationDate}</transferDate>
      </receipt>
    </paf:paSendRTV2Request>
  </soapenv:Body>
</soapenv:Envelope>`;
}

/** Test-only: a receipt row as the paSendRT handler writes it, for cases the node seldom produces. */
async function insertReceipt(r: {
  iuv: string;
  noticeNumber: string;
  receiptId: string;
  outcome?: 'OK' | 'KO';
  anomaly?: string | null;
  amountCents?: number;
  rawXml?: string;
}): Promise<number> {
  const { rows } = await t.c.db.executeSql(
    `insert into receipt (ente_id, position_id, receipt_id, primitive, outcome, notice_number, iuv, fiscal_code, amount_cents, fee_cents,
       payment_date_time, application_date, id_psp, psp_company_name, id_channel, channel_description, payment_method, debtor, transfers, anomaly, raw_xml)
     select e.id, p.id, $3, 'paSendRT', $4, $2, $1, e.codice_fiscale, $5, 100, '2025-03-30T00:30:00Z', '2025-03-30', 'PSPTEST', 'PSP di prova',
            'PSPTEST_01', 'web', 'PO', $6::jsonb, '[]'::jsonb, $7, $8
       from ente e left join debt_position p on p.ente_id = e.id and p.iuv = $1
      where e.codice_fiscale = $9
     returning id::int as id`,
    [
      r.iuv,
      r.noticeNumber,
      r.receiptId,
      r.outcome ?? 'OK',
      r.amountCents ?? 1250,
      JSON.stringify({ type: 'F', id: DEBTOR_CF, fullName: 'Pino Test' }),
      r.anomaly ?? null,
      r.rawXml ?? `<receipt><receiptId>${r.receiptId}</receiptId></receipt>`,
      DEMO.ente,
    ],
  );
  return rows[0].id;
}

function rt(body: Record<string, unknown>, headers: Record<string, string> = AUTH) {
  return t.app.inject({ method: 'POST', url: `${EPAY}/rt`, headers, payload: body });
}

describe('a receipt through paSendRTV2, read back by the gestionale', () => {
  let pos: { iuv: string; codiceAvviso: string };
  let envelope: string;
  beforeAll(async () => {
    pos = await createPosition(12.5);
    envelope = paSendRTV2({
      iuv: pos.iuv,
      noticeNumber: pos.codiceAvviso,
      receiptId: 'rcpt-soap-0001',
      amount: '12.50',
      paymentDateTime: '2025-07-01T10:11:12',
      applicationDate: '2025-07-01',
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/soap/paForNode',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"paSendRTV2"' },
      payload: envelope,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<outcome>OK</outcome>');
  });

  it('POST /rt answers the original XML in base64 (rtXml), with the payment status', async () => {
    const res = await rt({
      iuv: pos.iuv,
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'XML',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b).toMatchObject({
      codiceEsito: '000',
      descrizioneStatoPagamento: 'Pagato',
      iuvOriginario: pos.iuv,
      iuvEffettivo: pos.iuv,
    });
    expect(Buffer.from(b.rtXml, 'base64').toString('utf8')).toBe(envelope);
    expect(b.ricevuta).toBe(b.rtXml);
    expect(res.headers['x-client-attivo']).toBe('true');
  });

  it('accepts the debtor fiscal code in any case, and the gestionale id when it matches', async () => {
    expect(
      (
        await rt({
          iuv: pos.iuv,
          codiceFiscale: DEBTOR_CF.toLowerCase(),
          formatoRT: 'XML',
          codiceFiscaleEnte: DEMO.ente,
        })
      ).statusCode,
    ).toBe(200);
    const wrongId = await rt({
      iuv: pos.iuv,
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'XML',
      codiceFiscaleEnte: DEMO.ente,
      identificativoPagamento: 'NOT-MINE',
    });
    expect(wrongId.statusCode).toBe(404);
    expect(wrongId.json().codiceEsito).toBe('176');
  });

  it('GET paymentdata is filled from the receipt, and conforms to the yaml', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${BASE}/${pos.iuv}/paymentdata`, headers: AUTH });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expectSchema('PaymentDataResult', b);
    expect(b).toMatchObject({
      importoPagato: 12.5,
      importoPagatoTotale: 12.5,
      prestatoreDiServiziDiPagamento: 'Banca di Prova',
      identificativoUnicoRiscossione: 'rcpt-soap-0001',
      numeroTransazione: 'rcpt-soap-0001',
      identificativoUnicoVersamento: pos.iuv,
      codiceAvviso: pos.codiceAvviso,
      // a paymentDateTime without offset is Rome time
      dataEOraOperazione: '2025-07-01T10:11:12+02:00',
      dataEsitoPagamento: '2025-07-01T00:00:00+02:00',
      result: { code: '000' },
    });
    expect(b.infoAggiuntive).toContain('commissione 1.50');
    expect(b.infoAggiuntive).toContain('BCITITMM');
  });

  it('the admin API lists the receipt, shows it as JSON and its XML as application/xml', async () => {
    const list = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/receipts?iuv=${pos.iuv}`,
      headers: ADMIN,
    });
    expect(list.statusCode).toBe(200);
    const [item] = list.json().items;
    expect(item).toMatchObject({
      iuv: pos.iuv,
      ente: DEMO.ente,
      receiptId: 'rcpt-soap-0001',
      primitive: 'paSendRTV2',
      outcome: 'OK',
      amountCents: 1250,
      feeCents: 150,
      anomaly: null,
      pspCompanyName: 'Banca di Prova',
    });
    const one = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/receipts/${item.id}`,
      headers: ADMIN,
    });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({
      id: item.id,
      receiptId: 'rcpt-soap-0001',
      xml: `/admin/api/v1/receipts/${item.id}/xml`,
    });
    expect(one.json().transfers).toHaveLength(1);
    const xml = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/receipts/${item.id}/xml`,
      headers: ADMIN,
    });
    expect(xml.statusCode).toBe(200);
    expect(xml.headers['content-type']).toMatch(/^application\/xml/);
    expect(xml.body).toBe(envelope);
  });
});

describe('POST /rt refusals', () => {
  let unpaid: { iuv: string; codiceAvviso: string };
  let paid: { iuv: string; codiceAvviso: string };
  beforeAll(async () => {
    unpaid = await createPosition(3);
    paid = await createPosition(12.5);
    await insertReceipt({ iuv: paid.iuv, noticeNumber: paid.codiceAvviso, receiptId: 'rcpt-fixture-0001' });
  });

  it('401 without credentials or with a wrong passphrase (codiceEsito 100)', async () => {
    const none = await rt(
      { iuv: paid.iuv, codiceFiscale: DEBTOR_CF, formatoRT: 'XML', codiceFiscaleEnte: DEMO.ente },
      {},
    );
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ codiceEsito: '100' });
    expect(none.headers['x-client-attivo']).toBe('false');
    const wrong = await rt(
      { iuv: paid.iuv, codiceFiscale: DEBTOR_CF, formatoRT: 'XML', codiceFiscaleEnte: DEMO.ente },
      { authorization: basic(DEMO.codiceChiamante, 'nope') },
    );
    expect(wrong.statusCode).toBe(401);
  });

  it('403 for a caller without scope STAMPA_RT_GE', async () => {
    await t.c.applications.create({
      codiceChiamante: 'NO_RT',
      descrizione: 'Senza RT',
      passphrase: 'no-rt-passphrase-1',
      scopes: ['CREAZIONE_IUV'],
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
    });
    const res = await rt(
      { iuv: paid.iuv, codiceFiscale: DEBTOR_CF, formatoRT: 'XML', codiceFiscaleEnte: DEMO.ente },
      { authorization: basic('NO_RT', 'no-rt-passphrase-1') },
    );
    expect(res.statusCode).toBe(403);
    expect(res.json().codiceEsito).toBe('200');
  });

  it('403 for a caller not authorised for the position payment type', async () => {
    await t.c.organizations.createPaymentType(DEMO.ente, {
      codiceVersamento: 'ALTR',
      descrizione: 'Altro',
      iban: 'IT60X0542811101000000123456',
      transferCategory: '9/0201133IM/',
    });
    await t.c.applications.create({
      codiceChiamante: 'OTHER_PT',
      descrizione: 'Altro tipo',
      passphrase: 'other-pt-passphrase',
      scopes: ['STAMPA_RT_GE'],
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: 'ALTR' }],
    });
    const res = await rt(
      { iuv: paid.iuv, codiceFiscale: DEBTOR_CF, formatoRT: 'XML', codiceFiscaleEnte: DEMO.ente },
      { authorization: basic('OTHER_PT', 'other-pt-passphrase') },
    );
    expect(res.statusCode).toBe(403);
  });

  it('404 176 for an unknown IUV, 404 188 for a position without receipt or another fiscal code', async () => {
    const unknown = await rt({
      iuv: '01999999999999999',
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'XML',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ codiceEsito: '176', campo: 'iuv' });
    const notPaid = await rt({
      iuv: unpaid.iuv,
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'XML',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(notPaid.statusCode).toBe(404);
    expect(notPaid.json().codiceEsito).toBe('188');
    const otherCf = await rt({
      iuv: paid.iuv,
      codiceFiscale: 'RSSMRA80A01H501U',
      formatoRT: 'XML',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(otherCf.statusCode).toBe(404);
    expect(otherCf.json().codiceEsito).toBe('188');
    const ok = await rt({
      iuv: paid.iuv,
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'XML',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(ok.statusCode).toBe(200);
    expect(Buffer.from(ok.json().rtXml, 'base64').toString()).toContain('rcpt-fixture-0001');
  });

  it('PDF: the receipt printed, in ricevutaPdf (test/receipt-pdf.test.ts reads it); a malformed body: 400 codiceEsito 100', async () => {
    const pdf = await rt({
      iuv: paid.iuv,
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'PDF',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.json()).toMatchObject({ codiceEsito: '000' });
    expect(Buffer.from(pdf.json().ricevutaPdf, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    const bad = await rt({
      iuv: 'abc',
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'DOC',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().codiceEsito).toBe('100');
  });

  it('journals every call as epayapi getRT, without the receipt in the journal', async () => {
    await t.c.audit.flush();
    const page = await t.c.audit.query({ interface: 'epayapi', operation: 'getRT', limit: 50 });
    expect(page.items.length).toBeGreaterThan(3);
    expect(
      page.items.some((e) => e.outcome === '000' && e.iuv === paid.iuv && e.caller === DEMO.codiceChiamante),
    ).toBe(true);
    expect(page.items.every((e) => e.responsePayload === null)).toBe(true);
  });
});

describe('receipts with anomalies, for operators', () => {
  let pos: { iuv: string; codiceAvviso: string };
  const ids: number[] = [];
  beforeAll(async () => {
    pos = await createPosition(12.5);
    ids.push(await insertReceipt({ iuv: pos.iuv, noticeNumber: pos.codiceAvviso, receiptId: 'rcpt-anom-1' }));
    ids.push(
      await insertReceipt({
        iuv: pos.iuv,
        noticeNumber: pos.codiceAvviso,
        receiptId: 'rcpt-anom-2',
        anomaly: 'DOUBLE_PAYMENT',
        amountCents: 1250,
      }),
    );
    ids.push(
      await insertReceipt({
        iuv: pos.iuv,
        noticeNumber: pos.codiceAvviso,
        receiptId: 'rcpt-anom-3',
        outcome: 'KO',
      }),
    );
  });

  it('filters by anomaly (any, none, one kind) and by ente, newest first, pages with before', async () => {
    const anyAnomaly = (
      await t.app.inject({
        method: 'GET',
        url: `/admin/api/v1/receipts?anomaly=true&iuv=${pos.iuv}`,
        headers: ADMIN,
      })
    ).json();
    expect(anyAnomaly.items.map((r: { receiptId: string }) => r.receiptId)).toEqual(['rcpt-anom-2']);
    const kind = (
      await t.app.inject({
        method: 'GET',
        url: `/admin/api/v1/receipts?anomaly=DOUBLE_PAYMENT&ente=${DEMO.ente}`,
        headers: ADMIN,
      })
    ).json();
    expect(kind.items.map((r: { receiptId: string }) => r.receiptId)).toContain('rcpt-anom-2');
    expect(kind.items.every((r: { anomaly: string }) => r.anomaly === 'DOUBLE_PAYMENT')).toBe(true);
    const none = (
      await t.app.inject({
        method: 'GET',
        url: `/admin/api/v1/receipts?anomaly=false&iuv=${pos.iuv}`,
        headers: ADMIN,
      })
    ).json();
    expect(none.items.map((r: { receiptId: string }) => r.receiptId)).toEqual(['rcpt-anom-3', 'rcpt-anom-1']);
    const first = (
      await t.app.inject({
        method: 'GET',
        url: `/admin/api/v1/receipts?iuv=${pos.iuv}&limit=2`,
        headers: ADMIN,
      })
    ).json();
    expect(first.items.map((r: { id: number }) => r.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextBefore).toBe(ids[1]);
    const second = (
      await t.app.inject({
        method: 'GET',
        url: `/admin/api/v1/receipts?iuv=${pos.iuv}&limit=2&before=${first.nextBefore}`,
        headers: ADMIN,
      })
    ).json();
    expect(second).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextBefore: null });
    const otherEnte = (
      await t.app.inject({ method: 'GET', url: '/admin/api/v1/receipts?ente=15376371009', headers: ADMIN })
    ).json();
    expect(otherEnte.items).toEqual([]);
  });

  it('the receipt standing for the payment is the first positive one without anomaly', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${BASE}/${pos.iuv}/paymentdata`, headers: AUTH });
    expect(res.json().identificativoUnicoRiscossione).toBe('rcpt-anom-1');
    const copy = await rt({
      iuv: pos.iuv,
      codiceFiscale: DEBTOR_CF,
      formatoRT: 'XML',
      codiceFiscaleEnte: DEMO.ente,
    });
    expect(Buffer.from(copy.json().rtXml, 'base64').toString()).toContain('rcpt-anom-1');
  });

  it('404 problem+json for an unknown receipt, 400 for a malformed filter, 401 without the token', async () => {
    const missing = await t.app.inject({
      method: 'GET',
      url: '/admin/api/v1/receipts/999999',
      headers: ADMIN,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/api/v1/receipts/999999/xml', headers: ADMIN }))
        .statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/api/v1/receipts?limit=0', headers: ADMIN }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/admin/api/v1/receipts?anomaly=drop%20table',
          headers: ADMIN,
        })
      ).statusCode,
    ).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/admin/api/v1/receipts' })).statusCode).toBe(401);
  });
});

describe('paymentdata of a position without receipt', () => {
  it('has no payment fields while unpaid, and still conforms', async () => {
    const pos = await createPosition(7);
    const res = await t.app.inject({ method: 'GET', url: `${BASE}/${pos.iuv}/paymentdata`, headers: AUTH });
    const b = res.json();
    expectSchema('PaymentDataResult', b);
    expect(b.importoPagato).toBeUndefined();
    expect(b.identificativoUnicoRiscossione).toBeUndefined();
  });
});
