import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';
import { createEnteWithCaller } from './helpers/fixtures.js';
import {
  insertListXml,
  piemontePaySchemas,
  readAck,
  updateListXml,
  type TestPosition,
} from './lists-fixtures.js';

const now = new Date('2026-03-10T10:00:00Z');
let t: TestApp;
let fx: Awaited<ReturnType<typeof createEnteWithCaller>>;
let auth: string;

beforeAll(async () => {
  t = await buildTestApp({
    clock: () => now,
    env: {
      CASSA_LIST_MAX_POSITIONS: '6',
      CASSA_ID_BROKER_PA: '80087670016',
      CASSA_ID_STATION: '80087670016_01',
    },
  });
  fx = await createEnteWithCaller(t.c);
  auth = basic(fx.caller, fx.passphrase);
});
afterAll(async () => {
  await t?.close();
});

async function send(xml: string, op = 'InserisciListaDiCarico', authorization: string | undefined = auth) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/soap/Enti2EPaywsoService',
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: `"http://www.csi.it/epay/epaywso/service/${op}"`,
      ...(authorization ? { authorization } : {}),
    },
    payload: xml,
  });
  return res;
}

async function ack(xml: string, op?: string) {
  const res = await send(xml, op);
  expect(res.statusCode).toBe(200);
  return readAck(res.body);
}

async function q<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await t.c.db.executeSql(text, values)).rows as T[];
}

async function processAll() {
  while (await t.c.lists.processNext());
}

async function listByMessage(idMessaggio: string) {
  const [l] = await q<{
    id: number;
    status: string;
    result_code: string;
    ok_count: number;
    ko_count: number;
  }>('select id::int, status, result_code, ok_count, ko_count from load_list where id_messaggio = $1', [
    idMessaggio,
  ]);
  return l;
}

async function items(idMessaggio: string) {
  return q<{ id: string; code: string; iuv: string | null; notice: string | null; description: string }>(
    `select i.id_posizione_debitoria as id, i.outcome_code as code, i.iuv, i.notice_number as notice, i.outcome_description as description
       from load_list_item i join load_list l on l.id = i.list_id where l.id_messaggio = $1 order by i.seq`,
    [idMessaggio],
  );
}

/** The outcome message enqueued for the gestionale, checked against EPaywso2EntiServiceTypes.xsd. */
async function outcome(idMessaggio: string, operation = 'EsitoInserimentoListaDiCarico') {
  const rows = await q<{ body_xml: string; kind: string }>(
    'select body_xml, kind from outbound_message where id_messaggio = $1 and operation = $2',
    [idMessaggio, operation],
  );
  expect(rows).toHaveLength(1);
  const xml = rows[0]!.body_xml;
  expect(piemontePaySchemas().epaywso2enti.checkElement(xml)).toEqual([]);
  return { xml, kind: rows[0]!.kind, code: /<cmn:Codice>(\d{3})<\/cmn:Codice>/.exec(xml)?.[1] };
}

const good = (id: string, amount = '10.00'): TestPosition => ({ id, amount });

describe('Enti2EPaywsoService contract', () => {
  it('serves the WSDL with its address and the XSDs it imports (the configured address, never the Host header outside development)', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/soap/Enti2EPaywsoService?wsdl',
      headers: { host: 'cassa.example' },
    });
    expect(res.statusCode).toBe(200);
    // test env without CASSA_PUBLIC_URL: the listen address HOST:PORT (defaults), not the forged Host
    expect(res.body).toContain('<soap:address location="http://127.0.0.1:8080/soap/Enti2EPaywsoService"/>');
    expect(res.body).toContain(
      'schemaLocation="http://127.0.0.1:8080/soap/Enti2EPaywsoService?xsd=Enti2EPaywsoServiceTypes.xsd"',
    );
    expect(res.body).not.toContain('cassa.example');
    const xsd = await t.app.inject({
      method: 'GET',
      url: '/soap/Enti2EPaywsoService?xsd=Enti2EPaywsoServiceTypes.xsd',
      headers: { host: 'cassa.example' },
    });
    expect(xsd.body).toContain('name="InserisciListaDiCaricoRequest"');
    expect(xsd.body).toContain(
      'schemaLocation="http://127.0.0.1:8080/soap/Enti2EPaywsoService?xsd=EPaywsoCommonTypes.xsd"',
    );
  });
});

describe('InserisciListaDiCarico', () => {
  it('stores a list before acknowledging it, then creates every position with IUV and notice number and enqueues the outcome', async () => {
    const a = await ack(
      insertListXml({
        idMessaggio: 'L-OK-1',
        cf: fx.cf,
        code: fx.code,
        positions: [
          good('P-1'),
          good('P-2', '20.50'),
          { id: 'P-3', amount: '5.00', company: 'ACME SPA', cf: '01234567897' },
        ],
      }),
    );
    expect(a.code).toBe('000');
    expect((await listByMessage('L-OK-1'))!.status).toBe('DA_ELABORARE');
    await processAll();
    expect(await listByMessage('L-OK-1')).toMatchObject({
      status: 'ELABORATA',
      result_code: '000',
      ok_count: 3,
      ko_count: 0,
    });
    const its = await items('L-OK-1');
    expect(its.map((i) => i.code)).toEqual(['000', '000', '000']);
    for (const i of its) {
      expect(i.iuv).toMatch(/^02\d{15}$/);
      expect(i.notice).toBe(`3${i.iuv}`);
    }
    const positions = await q<{
      id_posizione_debitoria: string;
      amount_cents: string;
      status: string;
      h: number;
    }>(
      `select p.id_posizione_debitoria, p.amount_cents::text, p.status, (select count(*)::int from debt_position_status_history h where h.position_id = p.id) as h
         from debt_position p where p.id_posizione_debitoria like 'P-%' order by p.id_posizione_debitoria`,
    );
    expect(positions).toEqual([
      { id_posizione_debitoria: 'P-1', amount_cents: '1000', status: 'PAYABLE', h: 1 },
      { id_posizione_debitoria: 'P-2', amount_cents: '2050', status: 'PAYABLE', h: 1 },
      { id_posizione_debitoria: 'P-3', amount_cents: '500', status: 'PAYABLE', h: 1 },
    ]);
    // the REST API sees them like any other position
    const status = await t.c.debtPositions.status(fx.ctx, its[0]!.iuv!);
    expect(status.code).toBe('1');
    const o = await outcome('L-OK-1');
    expect(o.code).toBe('000');
    expect(o.kind).toBe('ESITO_INSERIMENTO_LISTA_DI_CARICO');
    expect(o.xml).toContain(
      `<cmn:IUV>${its[1]!.iuv}</cmn:IUV><cmn:CodiceAvviso>${its[1]!.notice}</cmn:CodiceAvviso><cmn:CodiceEsito>000</cmn:CodiceEsito>`,
    );
    expect(o.xml).toContain('<ent:IdMessaggio>L-OK-1</ent:IdMessaggio>');
  });

  it('gives each bad position its own code without blocking the others (050), and 051 when none is good', async () => {
    const a = await ack(
      insertListXml({
        idMessaggio: 'L-MIX-1',
        cf: fx.cf,
        code: fx.code,
        positions: [
          good('M-1'),
          { id: 'M-2', amount: '0.00' }, // 163: only ANONIMO may be zero
          {
            id: 'M-3',
            amount: '10.00',
            components: [
              { amount: '4.00', causale: 'a' },
              { amount: '5.00', causale: 'b' },
            ],
          }, // 184
          good('M-1'), // 161: repeated in the list
          good('P-1'), // 161: exists already (previous list)
          { id: 'M-6', amount: '3.00', references: [{ name: 'targa', value: 'AB123CD' }] }, // 194: references only for ANONIMO
        ],
      }),
    );
    expect(a.code).toBe('000');
    await processAll();
    expect(await listByMessage('L-MIX-1')).toMatchObject({
      status: 'ELABORATA',
      result_code: '050',
      ok_count: 1,
      ko_count: 5,
    });
    const its = await items('L-MIX-1');
    expect(its.map((i) => [i.id, i.code])).toEqual([
      ['M-1', '000'],
      ['M-2', '163'],
      ['M-3', '184'],
      ['M-1', '161'],
      ['P-1', '161'],
      ['M-6', '194'],
    ]);
    expect(its[1]!.description).toContain('ImportoTotale');
    expect(its.slice(1).every((i) => i.iuv === null)).toBe(true);
    const o = await outcome('L-MIX-1');
    expect(o.code).toBe('050');
    expect(o.xml).toContain(
      '<cmn:IdPosizioneDebitoria>M-2</cmn:IdPosizioneDebitoria><cmn:CodiceEsito>163</cmn:CodiceEsito>',
    );

    await ack(
      insertListXml({
        idMessaggio: 'L-KO-1',
        cf: fx.cf,
        code: fx.code,
        positions: [{ id: 'K-1', amount: '5.00', validTo: '2026-01-31' }],
      }),
    );
    await processAll();
    expect(await listByMessage('L-KO-1')).toMatchObject({ result_code: '051', ok_count: 0, ko_count: 1 });
    expect((await items('L-KO-1'))[0]!.code).toBe('185');
    expect((await outcome('L-KO-1')).code).toBe('051');
  });

  it('answers a resent IdMessaggio with 112 and stores nothing new', async () => {
    const xml = insertListXml({ idMessaggio: 'L-DUP-1', cf: fx.cf, code: fx.code, positions: [good('D-1')] });
    expect((await ack(xml)).code).toBe('000');
    const before = await q<{ n: number }>('select count(*)::int as n from load_list');
    const again = await ack(xml);
    expect(again.code).toBe('112');
    expect(again.message).toContain('L-DUP-1');
    expect(await q<{ n: number }>('select count(*)::int as n from load_list')).toEqual(before);
    await processAll();
    expect(await q('select 1 from debt_position where id_posizione_debitoria = $1', ['D-1'])).toHaveLength(1);
  });

  it('refuses bad input with the documented code and stores nothing', async () => {
    const count = async () => (await q<{ n: number }>('select count(*)::int as n from load_list'))[0]!.n;
    const before = await count();
    const valid = insertListXml({ idMessaggio: 'L-BAD', cf: fx.cf, code: fx.code, positions: [good('B-1')] });
    // XSD: a required element missing, an amount with three decimals, an element in no namespace
    expect(
      (
        await ack(
          valid.replace(/<srv:DescrizioneCausaleVersamento>[^<]*<\/srv:DescrizioneCausaleVersamento>/, ''),
        )
      ).code,
    ).toBe('101');
    expect((await ack(valid.replace('<srv:ImportoTotale>10.00<', '<srv:ImportoTotale>10.001<'))).code).toBe(
      '101',
    );
    expect((await ack(valid.replace(/srv:IdMessaggio/g, 'IdMessaggio'))).code).toBe('101');
    // not XML at all, or not SOAP
    expect((await ack('<soapenv:Envelope')).code).toBe('101');
    expect((await ack('<a>b</a>')).code).toBe('101');
    // unknown ente, unknown payment type
    expect(
      (
        await ack(
          insertListXml({ idMessaggio: 'L-BAD', cf: '99999999999', code: fx.code, positions: [good('B-1')] }),
        )
      ).code,
    ).toBe('102');
    expect(
      (await ack(insertListXml({ idMessaggio: 'L-BAD', cf: fx.cf, code: 'ZZZZ', positions: [good('B-1')] })))
        .code,
    ).toBe('103');
    // header count and total not matching the body
    expect(
      (
        await ack(
          insertListXml({
            idMessaggio: 'L-BAD',
            cf: fx.cf,
            code: fx.code,
            positions: [good('B-1')],
            count: 2,
          }),
        )
      ).code,
    ).toBe('154');
    expect(
      (
        await ack(
          insertListXml({
            idMessaggio: 'L-BAD',
            cf: fx.cf,
            code: fx.code,
            positions: [good('B-1')],
            total: '10.01',
          }),
        )
      ).code,
    ).toBe('155');
    // more positions than CASSA_LIST_MAX_POSITIONS (6 here)
    const seven = Array.from({ length: 7 }, (_, i) => good(`B-${i}`));
    expect(
      (await ack(insertListXml({ idMessaggio: 'L-BAD', cf: fx.cf, code: fx.code, positions: seven }))).code,
    ).toBe('100');
    // credentials: missing or wrong → HTTP 401
    expect((await send(valid, 'InserisciListaDiCarico', '')).statusCode).toBe(401);
    expect(
      (await send(valid, 'InserisciListaDiCarico', basic(fx.caller, 'wrong-passphrase'))).statusCode,
    ).toBe(401);
    expect(await count()).toBe(before);
  });
});

describe('AggiornaPosizioniDebitorie', () => {
  it('applies MODIFICA and ANNULLAMENTO per position, with the codes of positions that cannot change', async () => {
    await ack(
      insertListXml({
        idMessaggio: 'L-U-0',
        cf: fx.cf,
        code: fx.code,
        positions: [good('U-1'), good('U-2'), good('U-3'), good('U-4')],
      }),
    );
    await processAll();
    await q(`update debt_position set status = 'PAID' where id_posizione_debitoria = 'U-3'`);
    const a = await ack(
      updateListXml({
        idMessaggio: 'L-U-1',
        cf: fx.cf,
        code: fx.code,
        updates: [
          { tipo: 'MODIFICA', id: 'U-1', amount: '12.34' },
          { tipo: 'ANNULLAMENTO', id: 'U-2', motivazione: 'sgravio' },
          { tipo: 'ANNULLAMENTO', id: 'U-2' }, // 179 already cancelled
          { tipo: 'MODIFICA', id: 'U-3', amount: '1.00' }, // 178 paid
          { tipo: 'MODIFICA', id: 'NOPE', amount: '1.00' }, // 176
          { tipo: 'MODIFICA', id: 'U-4', debtor: { cf: 'TSTPNI70D01L219V', name: 'Pino', surname: 'Test' } }, // 218 not ANONIMO
        ],
      }),
      'AggiornaPosizioniDebitorie',
    );
    expect(a).toEqual({ code: '000', message: 'Lista presa in carico' });
    await processAll();
    expect(await listByMessage('L-U-1')).toMatchObject({ result_code: '050', ok_count: 2, ko_count: 4 });
    expect((await items('L-U-1')).map((i) => i.code)).toEqual(['000', '000', '179', '178', '176', '218']);
    const rows = await q<{ id: string; amount: string; status: string; reason: string | null }>(
      `select id_posizione_debitoria as id, amount_cents::text as amount, status, cancellation_reason as reason from debt_position where id_posizione_debitoria in ('U-1','U-2') order by 1`,
    );
    expect(rows).toEqual([
      { id: 'U-1', amount: '1234', status: 'PAYABLE', reason: null },
      { id: 'U-2', amount: '1000', status: 'CANCELLED', reason: 'sgravio' },
    ]);
    const o = await outcome('L-U-1', 'EsitoAggiornaPosizioniDebitorie');
    expect(o.kind).toBe('ESITO_AGGIORNA_POSIZIONI_DEBITORIE');
    expect(o.xml).toContain(
      '<cmn:PosizioneDebitoriaAggiornata><cmn:IdPosizioneDebitoria>U-1</cmn:IdPosizioneDebitoria>',
    );
    // an update list is validated against the XSD too (TipoAggiornamento enumeration)
    expect(
      (
        await ack(
          updateListXml({
            idMessaggio: 'L-U-X',
            cf: fx.cf,
            code: fx.code,
            updates: [{ tipo: 'CANCELLA' as 'MODIFICA', id: 'U-1' }],
          }),
          'AggiornaPosizioniDebitorie',
        )
      ).code,
    ).toBe('101');
  });

  it('fines with advance notice: ANONIMO zero-amount positions with references, activated once by MODIFICA (218, 196)', async () => {
    const anon = { cf: 'ANONIMO', name: 'ANONIMO', surname: 'ANONIMO' };
    await ack(
      insertListXml({
        idMessaggio: 'L-F-0',
        cf: fx.cf,
        code: fx.code,
        positions: [
          { id: 'F-1', amount: '0.00', ...anon, references: [{ name: 'verbale', value: 'V-2026-001' }] },
          { id: 'F-2', amount: '0.00', ...anon, references: [{ name: 'verbale', value: 'V-2026-002' }] },
          { id: 'F-3', amount: '41.00', ...anon },
        ],
      }),
    );
    await processAll();
    expect((await items('L-F-0')).map((i) => i.code)).toEqual(['000', '000', '000']);
    const [f1] = await q<{ amount: string; cf: string; refs: unknown }>(
      `select amount_cents::text as amount, debtor_fiscal_code as cf, payment_references as refs from debt_position where id_posizione_debitoria = 'F-1'`,
    );
    expect(f1).toEqual({ amount: '0', cf: 'ANONIMO', refs: [{ name: 'verbale', value: 'V-2026-001' }] });

    const debtor = { cf: 'TSTPNI70D01L219V', name: 'Pino', surname: 'Test' };
    await ack(
      updateListXml({
        idMessaggio: 'L-F-1',
        cf: fx.cf,
        code: fx.code,
        updates: [
          { tipo: 'MODIFICA', id: 'F-1', amount: '41.00', debtor },
          {
            tipo: 'MODIFICA',
            id: 'F-1',
            amount: '50.00',
            debtor: { cf: 'RSSMRA80A01L219M', name: 'Mario', surname: 'Rossi' },
          }, // 218: no longer ANONIMO
          { tipo: 'MODIFICA', id: 'F-3', debtor }, // 196: amount not zero
        ],
      }),
      'AggiornaPosizioniDebitorie',
    );
    await processAll();
    expect((await items('L-F-1')).map((i) => i.code)).toEqual(['000', '218', '196']);
    const [activated] = await q<{ amount: string; cf: string; name: string }>(
      `select amount_cents::text as amount, debtor_fiscal_code as cf, debtor_surname as name from debt_position where id_posizione_debitoria = 'F-1'`,
    );
    expect(activated).toEqual({ amount: '4100', cf: 'TSTPNI70D01L219V', name: 'Test' });
    // F-2 is still an anonymous zero-amount fine: pagoPA cannot pay it yet
    const [f2] = await q<{ notice: string }>(
      `select notice_number as notice from debt_position where id_posizione_debitoria = 'F-2'`,
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/soap/paForNode',
      headers: { 'content-type': 'text/xml', soapaction: 'paVerifyPaymentNotice' },
      payload:
        `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><soapenv:Body><pafn:paVerifyPaymentNoticeReq>` +
        `<idPA>${fx.cf}</idPA><idBrokerPA>80087670016</idBrokerPA><idStation>80087670016_01</idStation><qrCode><fiscalCode>${fx.cf}</fiscalCode><noticeNumber>${f2!.notice}</noticeNumber></qrCode>` +
        `</pafn:paVerifyPaymentNoticeReq></soapenv:Body></soapenv:Envelope>`,
    });
    expect(res.body).toContain('PAA_PAGAMENTO_SCONOSCIUTO');
  });
});

describe('lookups and journal', () => {
  it('lists lists and shows one with its per-position outcomes; every SOAP call is journaled', async () => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const page = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/lists?ente=${fx.cf}&status=ELABORATA&limit=2`,
      headers,
    });
    expect(page.statusCode).toBe(200);
    const body = page.json() as { items: { id: number; status: string }[]; nextBefore: number | null };
    expect(body.items).toHaveLength(2);
    expect(body.items.every((i) => i.status === 'ELABORATA')).toBe(true);
    expect(body.nextBefore).toBe(body.items[1]!.id);
    const { id } = (await listByMessage('L-MIX-1'))!;
    const one = await t.app.inject({ method: 'GET', url: `/admin/api/v1/lists/${id}`, headers });
    expect(one.json()).toMatchObject({
      id,
      kind: 'INSERIMENTO',
      idMessaggio: 'L-MIX-1',
      enteFiscalCode: fx.cf,
      codiceChiamante: fx.caller,
      status: 'ELABORATA',
      resultCode: '050',
      okCount: 1,
      koCount: 5,
      outcomeDelivery: expect.objectContaining({ status: expect.any(String) }),
    });
    expect((one.json() as { items: { code: string }[] }).items.map((i) => i.code)).toEqual([
      '000',
      '163',
      '184',
      '161',
      '161',
      '194',
    ]);
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/api/v1/lists/999999', headers })).statusCode,
    ).toBe(404);

    await t.c.audit.flush();
    const events = await q<{ operation: string; outcome: string; caller: string; ente: string }>(
      `select operation, outcome, caller, ente_fiscal_code as ente from audit_event where interface = 'Enti2EPaywsoService' order by id`,
    );
    expect(events).toContainEqual({
      operation: 'InserisciListaDiCarico',
      outcome: '000',
      caller: fx.caller,
      ente: fx.cf,
    });
    expect(events).toContainEqual({
      operation: 'InserisciListaDiCarico',
      outcome: '112',
      caller: fx.caller,
      ente: fx.cf,
    });
    expect(events).toContainEqual({
      operation: 'AggiornaPosizioniDebitorie',
      outcome: '000',
      caller: fx.caller,
      ente: fx.cf,
    });
    expect(events.some((e) => e.outcome === 'UNAUTHORIZED')).toBe(true);
    const admin = await q(`select 1 from audit_event where interface = 'admin' and operation = 'getList'`);
    expect(admin.length).toBeGreaterThan(0);
  });
});
