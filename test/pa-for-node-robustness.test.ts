import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, DEMO_RECEIPT, seedDemo } from '../src/app/demo-seed.js';
import type { CallContext } from '../src/modules/debt-positions/application/debt-positions-service.js';
import { projectPath } from '../src/shared/paths.js';
import { basic, buildTestApp, type TestApp } from './helpers/app.js';
import { draft } from './helpers/fixtures.js';
import { validateSoapResponse } from './helpers/xsd.js';

/** Bugs found in review: receipts must never be lost to optional data, and malformed XML is a SOAP fault. */
let t: TestApp;
let ctx: CallContext;
beforeAll(async () => {
  t = await buildTestApp();
  await seedDemo(t.c);
  ctx = await t.c.debtPositions.authorize({
    codiceChiamante: DEMO.codiceChiamante,
    passphrase: DEMO.passphrase,
    enteCodiceFiscale: DEMO.ente,
    codiceVersamento: DEMO.paymentType,
    scope: 'CREAZIONE_IUV',
  });
});
afterAll(async () => t?.close());

let seq = 0;
async function payable() {
  seq += 1;
  return t.c.debtPositions.create(
    ctx,
    draft({
      idPosizioneDebitoria: `ROB-${seq}`,
      amountCents: 850,
      components: [{ amountCents: 850, causale: 'Quota' }],
    }),
  );
}

/** The demo receipt, retargeted to another position and receiptId, with a change. */
function receiptFor(
  p: { iuv: string; noticeNumber: string },
  receiptId: string,
  edit: (xml: string) => string = (x) => x,
): string {
  const xml = readFileSync(projectPath('resources', 'demo', DEMO_RECEIPT), 'utf8')
    .replace('d7c3a1e0b5f24c6a9e8d0f1b2c3d4e5f', receiptId)
    .replace('001191890494852566', p.noticeNumber)
    .replace('<creditorReferenceId>191890494852566', `<creditorReferenceId>${p.iuv}`);
  return edit(xml);
}

function post(xml: string | Buffer, action: string | undefined = 'paSendRTV2') {
  return t.app.inject({
    method: 'POST',
    url: '/soap/paForNode',
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      ...(action === undefined ? {} : { soapaction: action }),
    },
    payload: xml,
  });
}

async function statusOf(iuv: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions/${iuv}/status`,
    headers: { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) },
  });
  return res.json().code as string;
}

describe('paForNode robustness', () => {
  it.each([
    ['an impossible day', '2026-02-30T10:00:00'],
    ['year zero', '0000-01-01T00:00:00'],
    ['hour 25', '2026-02-01T25:00:00'],
    ['an offset of 20 hours', '2026-02-01T10:00:00+20:00'],
  ])(
    'keeps a receipt whose paymentDateTime is %s (only in the raw XML) and pays the position',
    async (_what, value) => {
      const p = await payable();
      const xml = receiptFor(p, `rob-date-${seq}`, (x) =>
        x
          .replace('2019-01-30T10:15:00', value)
          .replace('<applicationDate>2019-01-30', '<applicationDate>2026-02-30'),
      );
      const res = await post(xml);
      expect(res.body).toContain('<outcome>OK</outcome>');
      validateSoapResponse(res.body);
      expect(await statusOf(p.iuv)).toBe('0');
    },
  );

  it('answers a NUL byte or an undefined entity with a SOAP Client fault, writing nothing', async () => {
    const p = await payable();
    for (const bad of [
      receiptFor(p, `rob-nul-${seq}`, (x) =>
        x.replace('<fullName>Pino Test</fullName>', '<fullName>Pino\u0000Test</fullName>'),
      ),
      receiptFor(p, `rob-ent-${seq}`, (x) => x.replace('<fullName>Pino Test', '<fullName>Pino&nbsp;Test')),
    ]) {
      const res = await post(bad);
      expect(res.statusCode).toBe(500);
      expect(validateSoapResponse(res.body).element).toBe('Fault');
      expect(res.body).toContain('Client');
    }
    expect(await statusOf(p.iuv)).toBe('1');
  });

  it('keeps entities XML defines, and CDATA with ampersands', async () => {
    const p = await payable();
    const res = await post(
      receiptFor(p, `rob-amp-${seq}`, (x) =>
        x
          .replace('<PSPCompanyName>Banca Dimostrativa S.p.A.', '<PSPCompanyName><![CDATA[Banca & Co]]>')
          .replace('<channelDescription>app', '<channelDescription>&amp; &#233;&lt;'),
      ),
    );
    expect(res.body).toContain('<outcome>OK</outcome>');
    const [r] = await t.c.db.rows<{ psp: string; channel: string }>(sqlPsp(p.iuv));
    expect(r!.psp).toBe('Banca & Co');
    expect(r!.channel).toBe('& é<');
  });

  it('reads a receipt in ISO-8859-1 as its declaration says', async () => {
    const p = await payable();
    const xml = receiptFor(p, `rob-latin1-${seq}`, (x) =>
      x
        .replace('<?xml', '')
        .replace('<soapenv:Envelope', '<?xml version="1.0" encoding="ISO-8859-1"?><soapenv:Envelope')
        .replace('<fullName>Pino Test</fullName>', '<fullName>Niccolò Città</fullName>'),
    );
    const res = await post(Buffer.from(xml, 'latin1'));
    expect(res.body).toContain('<outcome>OK</outcome>');
    const [r] = await t.c.db.rows<{ name: string; raw: string }>(sqlDebtor(p.iuv));
    expect(r!.name).toBe('Niccolò Città');
    expect(r!.raw).toContain('Niccolò Città');
  });

  it('accepts a receipt without SOAPAction (the body names the operation), and SOAPActions with a URN prefix', async () => {
    const p = await payable();
    expect((await post(receiptFor(p, `rob-noaction-${seq}`), undefined)).body).toContain(
      '<outcome>OK</outcome>',
    );
    const q = await payable();
    expect((await post(receiptFor(q, `rob-urn-${seq}`), 'urn:pagopa:paSendRTV2')).body).toContain(
      '<outcome>OK</outcome>',
    );
  });

  it('records the status the position had when paid: EXPIRED for an expired one not yet swept', async () => {
    const created = await t.c.debtPositions.create(
      ctx,
      draft({
        idPosizioneDebitoria: `ROB-EXP-${++seq}`,
        amountCents: 850,
        components: [{ amountCents: 850, causale: 'Quota' }],
        validTo: '2099-01-01',
      }),
    );
    await t.c.db.executeSql("update debt_position set valid_to = date '2020-01-01' where iuv = $1", [
      created.iuv,
    ]);
    expect((await post(receiptFor(created, `rob-exp-${seq}`))).body).toContain('<outcome>OK</outcome>');
    const { rows } = await t.c.db.executeSql(
      "select from_status, to_status from debt_position_status_history h join debt_position p on p.id = h.position_id where p.iuv = $1 and to_status = 'PAID'",
      [created.iuv],
    );
    expect(rows).toEqual([{ from_status: 'EXPIRED', to_status: 'PAID' }]);
  });

  it('refuses positions whose texts carry control characters (they could not travel in pagoPA XML)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`,
      headers: { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) },
      payload: {
        causale: '\u0007\u0007',
        importo: 10,
        codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
        nome: 'Pino',
        cognome: 'Test',
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().codiceEsito).toBe('100');
    expect(res.json().campo).toMatch(/causale/);
  });
});

function sqlPsp(iuv: string) {
  return sqlOf(
    `select psp_company_name as psp, channel_description as channel from receipt where iuv = '${iuv}'`,
  );
}
function sqlDebtor(iuv: string) {
  return sqlOf(`select debtor->>'fullName' as name, raw_xml as raw from receipt where iuv = '${iuv}'`);
}
import { sql } from 'drizzle-orm';
function sqlOf(text: string) {
  return sql.raw(text);
}
