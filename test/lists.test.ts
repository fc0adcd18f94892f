import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';
import { createEnteWithCaller } from './helpers/fixtures.js';
import {
  envelope,
  insertListXml,
  piemontePaySchemas,
  readAck,
  updateListXml,
  type TestPosition,
} from './helpers/lists.js';

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

const SRV = 'http://www.csi.it/epay/epaywso/enti2epaywso/types';
const CMN = 'http://www.csi.it/epay/epaywso/types';

/** Posts a body without SOAPAction, as some gestionali do: the service tells the operation by the body element. */
function sendBody(
  payload: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8' },
  authorization = auth,
) {
  return t.app.inject({
    method: 'POST',
    url: '/soap/Enti2EPaywsoService',
    headers: { ...headers, authorization },
    payload,
  });
}

async function ackOfBody(xml: string | Buffer, headers?: Record<string, string>) {
  const res = await sendBody(xml, headers);
  expect(res.statusCode).toBe(200);
  return readAck(res.body);
}

/** The per-position outcomes (id, code, description) of the outcome message enqueued for the gestionale. */
async function outcomeItems(idMessaggio: string, operation = 'EsitoInserimentoListaDiCarico') {
  const [m] = await q<{ body_xml: string }>(
    'select body_xml from outbound_message where id_messaggio = $1 and operation = $2',
    [idMessaggio, operation],
  );
  expect(m).toBeDefined();
  expect(piemontePaySchemas().epaywso2enti.checkElement(m!.body_xml)).toEqual([]);
  return [
    ...m!.body_xml.matchAll(
      /<cmn:IdPosizioneDebitoria>([^<]*)<\/cmn:IdPosizioneDebitoria>.*?<cmn:CodiceEsito>(\d{3})<\/cmn:CodiceEsito>(?:<cmn:DescrizioneEsito>([^<]*)<\/cmn:DescrizioneEsito>)?/g,
    ),
  ].map((x) => ({ id: x[1], code: x[2], description: x[3] }));
}

async function position(id: string) {
  return (
    await q<{ amount: number; debtor: string; causale: string; name: string | null }>(
      'select amount_cents::int as amount, debtor_fiscal_code as debtor, causale, debtor_name as name from debt_position where id_posizione_debitoria = $1',
      [id],
    )
  )[0];
}

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

  it('decodes a list sent in ISO-8859-1, and answers a request without Content-Type with a SOAP acknowledgement', async () => {
    const xml = insertListXml({
      idMessaggio: 'REV-LATIN1',
      cf: fx.cf,
      code: fx.code,
      positions: [{ id: 'REV-LATIN1', amount: '5.00', causale: 'Tassa più àccessori' }],
    }).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    expect((await ackOfBody(Buffer.from(xml, 'latin1'), { 'content-type': 'text/xml' })).code).toBe('000');
    await processAll();
    expect((await position('REV-LATIN1'))!.causale).toBe('Tassa più àccessori');

    const noType = await sendBody(Buffer.from('not xml at all'), {});
    expect(noType.statusCode).toBe(200);
    expect(readAck(noType.body).code).toBe('101');
  });

  it('checks the credentials before the body: 401 for a wrong passphrase whatever the body', async () => {
    const res = await sendBody('not xml at all', { 'content-type': 'text/xml' }, basic(fx.caller, 'wrong'));
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Fault');
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

  it('answers multi-beneficiary positions and inconsistent components with codes the outcome XSD allows (no 300)', async () => {
    let xml = insertListXml({
      idMessaggio: 'REV-300',
      cf: fx.cf,
      code: fx.code,
      positions: [
        { id: 'REV-MULTI', amount: '10.00' },
        {
          id: 'REV-COMP',
          amount: '10.00',
          components: [
            { amount: '10.00', causale: 'A' },
            { amount: '0.00', causale: 'B' },
          ],
        },
      ],
    });
    xml = xml.replace(
      '<srv:ImportoTotale>10.00</srv:ImportoTotale>',
      '<srv:ImportoTotale>10.00</srv:ImportoTotale><srv:ImportoSecondarioAltroEnte>1.00</srv:ImportoSecondarioAltroEnte>',
    );
    expect((await ackOfBody(xml)).code).toBe('000');
    await processAll();
    const items = await outcomeItems('REV-300');
    expect(items).toEqual([
      { id: 'REV-MULTI', code: '100', description: expect.stringMatching(/multibeneficiario/) },
      { id: 'REV-COMP', code: '100', description: expect.stringMatching(/ComponenteImporto\[2\]\/Importo/) },
    ]);
  });

  it('refuses at once a blank IdMessaggio or IdPosizioneDebitoria, which the outcome could not echo (101, nothing stored)', async () => {
    const blankId = insertListXml({
      idMessaggio: 'REV-BLANK',
      cf: fx.cf,
      code: fx.code,
      positions: [{ id: '   ', amount: '10.00' }],
    });
    expect(await ackOfBody(blankId)).toMatchObject({
      code: '101',
      message: expect.stringMatching(/IdPosizioneDebitoria/),
    });
    const blankMessage = insertListXml({
      idMessaggio: '  ',
      cf: fx.cf,
      code: fx.code,
      positions: [{ id: 'REV-BLANK-MSG', amount: '10.00' }],
    });
    expect(await ackOfBody(blankMessage)).toMatchObject({
      code: '101',
      message: expect.stringMatching(/IdMessaggio/),
    });
    expect(
      await q('select id from load_list where id_messaggio in ($1, $2, $3)', ['REV-BLANK', '', '  ']),
    ).toEqual([]);
  });

  it('reads every decimal form the XSD accepts (".50", "+10.00", "10", "7.500", "28.0" in the header)', async () => {
    const xml = insertListXml({
      idMessaggio: 'REV-DEC',
      cf: fx.cf,
      code: fx.code,
      total: '+28.0',
      positions: [
        { id: 'REV-DEC-1', amount: '.50' },
        { id: 'REV-DEC-2', amount: '+10.00' },
        { id: 'REV-DEC-3', amount: '10' },
        { id: 'REV-DEC-4', amount: '7.500' },
      ],
    });
    expect((await ackOfBody(xml)).code).toBe('000');
    await processAll();
    expect((await outcomeItems('REV-DEC')).map((i) => i.code)).toEqual(['000', '000', '000', '000']);
    expect(
      (await Promise.all(['REV-DEC-1', 'REV-DEC-2', 'REV-DEC-3', 'REV-DEC-4'].map(position))).map(
        (p) => p!.amount,
      ),
    ).toEqual([50, 1000, 1000, 750]);
    // a header total that differs is still 155, not a generic error
    const wrong = insertListXml({
      idMessaggio: 'REV-DEC-2',
      cf: fx.cf,
      code: fx.code,
      total: '.01',
      positions: [{ id: 'REV-DEC-5', amount: '1' }],
    });
    expect((await ackOfBody(wrong)).code).toBe('155');
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

  it('fines: the amount alone cannot activate an ANONIMO fine, references only on ANONIMO positions, debtor names compared without case', async () => {
    const ins = insertListXml({
      idMessaggio: 'REV-FINE',
      cf: fx.cf,
      code: fx.code,
      positions: [
        { id: 'REV-FINE-1', amount: '0.00', cf: 'ANONIMO', references: [{ name: 'VERBALE', value: '123' }] },
        { id: 'REV-NOTANON', amount: '10.00', name: 'Pino', surname: 'Test', cf: 'TSTPNI70D01L219V' },
      ],
    });
    expect((await ackOfBody(ins)).code).toBe('000');
    await processAll();
    expect((await outcomeItems('REV-FINE')).map((i) => i.code)).toEqual(['000', '000']);

    const amountOnly = updateListXml({
      idMessaggio: 'REV-FINE-U1',
      cf: fx.cf,
      code: fx.code,
      updates: [{ tipo: 'MODIFICA', id: 'REV-FINE-1', amount: '50.00' }],
    });
    expect((await ackOfBody(amountOnly, undefined)).code).toBe('000');
    await processAll();
    const [refused] = await outcomeItems('REV-FINE-U1', 'EsitoAggiornaPosizioniDebitorie');
    expect(refused).toMatchObject({
      id: 'REV-FINE-1',
      code: '100',
      description: expect.stringMatching(/SoggettoPagatore/),
    });
    expect(await position('REV-FINE-1')).toMatchObject({ amount: 0, debtor: 'ANONIMO' });

    // then debtor and amount together activate it
    const both = updateListXml({
      idMessaggio: 'REV-FINE-U2',
      cf: fx.cf,
      code: fx.code,
      updates: [
        {
          tipo: 'MODIFICA',
          id: 'REV-FINE-1',
          amount: '50.00',
          debtor: { cf: 'RSSMRA80A01L219M', name: 'Mario', surname: 'Rossi' },
        },
      ],
    });
    expect((await ackOfBody(both)).code).toBe('000');
    await processAll();
    expect((await outcomeItems('REV-FINE-U2', 'EsitoAggiornaPosizioniDebitorie'))[0]!.code).toBe('000');
    expect(await position('REV-FINE-1')).toMatchObject({ amount: 5000, debtor: 'RSSMRA80A01L219M' });

    // RiferimentiPagamento on a MODIFICA of a position that is not ANONIMO: 194; the same debtor in capitals: accepted
    const refs = envelope(
      `<srv:AggiornaPosizioniDebitorieRequest xmlns:srv="${SRV}" xmlns:cmn="${CMN}"><srv:Testata><srv:IdMessaggio>REV-FINE-U3</srv:IdMessaggio><srv:CFEnteCreditore>${fx.cf}</srv:CFEnteCreditore>` +
        `<srv:CodiceVersamento>${fx.code}</srv:CodiceVersamento><srv:NumeroPosizioniDebitorie>2</srv:NumeroPosizioniDebitorie></srv:Testata><srv:ElencoPosizioniDaAggiornare><srv:PosizioniDaAggiornare>` +
        `<srv:PosizioneDaAggiornare><srv:TipoAggiornamento>MODIFICA</srv:TipoAggiornamento><srv:IdPosizioneDebitoria>REV-NOTANON</srv:IdPosizioneDebitoria>` +
        `<srv:RiferimentiPagamento><srv:Riferimento><srv:Nome>VERBALE</srv:Nome><srv:Valore>9</srv:Valore></srv:Riferimento></srv:RiferimentiPagamento></srv:PosizioneDaAggiornare>` +
        `<srv:PosizioneDaAggiornare><srv:TipoAggiornamento>MODIFICA</srv:TipoAggiornamento><srv:IdPosizioneDebitoria>REV-NOTANON</srv:IdPosizioneDebitoria><srv:ImportoTotale>12.00</srv:ImportoTotale>` +
        `<srv:SoggettoPagatore><cmn:PersonaFisica><cmn:Cognome>TEST</cmn:Cognome><cmn:Nome>PINO</cmn:Nome></cmn:PersonaFisica><cmn:IdentificativoUnivocoFiscale>tstpni70d01l219v</cmn:IdentificativoUnivocoFiscale></srv:SoggettoPagatore>` +
        `</srv:PosizioneDaAggiornare></srv:PosizioniDaAggiornare></srv:ElencoPosizioniDaAggiornare></srv:AggiornaPosizioniDebitorieRequest>`,
    );
    expect((await ackOfBody(refs)).code).toBe('000');
    await processAll();
    expect((await outcomeItems('REV-FINE-U3', 'EsitoAggiornaPosizioniDebitorie')).map((i) => i.code)).toEqual(
      ['194', '000'],
    );
    expect(await position('REV-NOTANON')).toMatchObject({ amount: 1200 });
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
    const body = page.json<{ items: { id: number; status: string }[]; nextBefore: number | null }>();
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
    expect(one.json<{ items: { code: string }[] }>().items.map((i) => i.code)).toEqual([
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
