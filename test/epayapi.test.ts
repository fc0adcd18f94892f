import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { checkDigit } from '../src/modules/debt-positions/domain/notice-number.js';
import { basic, buildTestApp, type TestApp } from './helpers/app.js';

const BASE = `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const AUTH = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };

function body(overrides: Record<string, unknown> = {}) {
  return {
    causale: 'Biblioteca-Copie eseguite su prenotazione',
    importo: 12.5,
    codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
    nome: 'Pino',
    cognome: 'Test',
    email: 'pino.test@example.org',
    dataScadenza: '2099-12-31T00:00:00',
    ...overrides,
  };
}

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  await seedDemo(t.c);
});
afterAll(async () => t?.close());

async function countPositions(): Promise<number> {
  const r = await t.c.db.executeSql('select count(*)::int as n from debt_position');
  return r.rows[0].n;
}

describe('POST debtpositions (createDebtPosition)', () => {
  it('creates a position with an aux-3 IUV and notice number carrying the ente segregation code', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: body({ identificativoPagamento: 'GEST-0001' }),
    });
    expect(res.statusCode).toBe(201);
    const r = res.json();
    expect(r).toMatchObject({ codiceEsito: '000', identificativoPagamento: 'GEST-0001' });
    expect(r.iuv).toMatch(/^01\d{15}$/);
    expect(r.codiceAvviso).toBe(`3${r.iuv}`);
    expect(r.iuv.slice(15)).toBe(checkDigit('3', '01', r.iuv.slice(2, 15)));
    expect(res.headers['x-client-attivo']).toBe('true');
  });

  it('answers a repeated create with the same id and content with the same IUV, writing nothing', async () => {
    const payload = body({ identificativoPagamento: 'GEST-0002' });
    const first = await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload });
    const before = await countPositions();
    const second = await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload });
    expect(second.statusCode).toBe(201);
    expect(second.json().iuv).toBe(first.json().iuv);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await countPositions()).toBe(before);
  });

  it('refuses the same id with different content as a conflict, saying so plainly', async () => {
    await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: body({ identificativoPagamento: 'GEST-0003' }),
    });
    const before = await countPositions();
    const res = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: body({ identificativoPagamento: 'GEST-0003', importo: 99 }),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ codiceEsito: '161', campo: 'identificativoPagamento' });
    expect(res.json().descrizioneEsito).toMatch(/contenuto diverso/);
    expect(await countPositions()).toBe(before);
  });

  it('gives distinct IUVs to concurrent creates', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.app.inject({
          method: 'POST',
          url: BASE,
          headers: AUTH,
          payload: body({ identificativoPagamento: `CONC-${i}` }),
        }),
      ),
    );
    const iuvs = results.map((r) => r.json().iuv);
    expect(results.every((r) => r.statusCode === 201)).toBe(true);
    expect(new Set(iuvs).size).toBe(20);
  });

  it('splits the total across up to five components', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: body({
        importo: 30,
        componentiPagamento: [
          { importo: 10, causale: 'Quota A' },
          { importo: 20, causale: 'Quota B', annoAccertamento: 2026, numeroAccertamento: '123' },
        ],
      }),
    });
    expect(res.statusCode).toBe(201);
    const pos = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types/${DEMO.paymentType}/debt-positions/${res.json().iuv}`,
      headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' },
    });
    expect(pos.json()).toMatchObject({
      amountCents: 3000,
      status: 'PAYABLE',
      components: [{ amountCents: 1000 }, { amountCents: 2000, accountingYear: 2026 }],
    });
    expect(pos.json().statusHistory).toEqual([expect.objectContaining({ from: null, to: 'PAYABLE' })]);
  });

  it.each([
    [{ importo: 12.345 }, 400, '100', 'importo'],
    [{ importo: 0 }, 400, '163', 'importo'],
    [{ importo: 1_000_000_000 }, 400, '100', 'importo'],
    [{ causale: '' }, 400, '100', 'causale'],
    [{ causale: 'x'.repeat(141) }, 400, '100', 'causale'],
    [
      {
        importo: 30,
        componentiPagamento: [
          { importo: 10, causale: 'A' },
          { importo: 10, causale: 'B' },
        ],
      },
      400,
      '184',
      'componentiPagamento',
    ],
    [
      { importo: 6, componentiPagamento: Array.from({ length: 6 }, () => ({ importo: 1, causale: 'A' })) },
      400,
      '183',
      'componentiPagamento',
    ],
    [{ riferimentiPagamento: [{ nome: 'Verbale' }] }, 400, '193', 'riferimentiPagamento[0].valore'],
    [{ codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219X' }, 400, '100', 'codiceFiscalePartitaIVAPagatore'],
    [{ codiceFiscalePartitaIVAPagatore: undefined }, 400, '100', 'codiceFiscalePartitaIVAPagatore'],
    [{ nome: undefined }, 400, '100', 'nome'],
    [{ email: 'not-an-email' }, 400, '100', 'email'],
    [{ identificativoPagamento: 'has space' }, 400, '100', 'identificativoPagamento'],
    [{ identificativoPagamento: 'x'.repeat(51) }, 400, '100', 'identificativoPagamento'],
    [{ dataScadenza: '31/12/2099' }, 400, '100', 'dataScadenza'],
    [
      { dataInizioValidita: '2099-01-02', dataFineValidita: '2099-01-01', dataScadenza: undefined },
      400,
      '185',
      'dataInizioValidita',
    ],
    [{ dataFineValidita: '2001-01-01', dataScadenza: undefined }, 400, '185', 'dataFineValidita'],
    [{ iuv: '01000000000000199' }, 400, '250', 'iuv'],
  ])(
    'refuses %j with %i / codiceEsito %s naming %s, storing nothing',
    async (overrides, status, code, field) => {
      const before = await countPositions();
      const res = await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload: body(overrides) });
      expect(res.statusCode).toBe(status);
      expect(res.json().codiceEsito).toBe(code);
      expect(res.json().campo).toBe(field);
      expect(res.json().descrizioneEsito).toContain(field);
      expect(await countPositions()).toBe(before);
    },
  );

  it('refuses malformed JSON with 400 and codiceEsito 100', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '{"causale": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().codiceEsito).toBe('100');
  });

  it('accepts a gestionale-supplied aux-3 IUV with a valid check digit, and a legacy aux-0 IUV', async () => {
    const base = '0000000999999';
    const iuv3 = `01${base}${checkDigit('3', '01', base)}`;
    const r3 = await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload: body({ iuv: iuv3 }) });
    expect(r3.statusCode).toBe(201);
    expect(r3.json()).toMatchObject({ iuv: iuv3, codiceAvviso: `3${iuv3}` });
    const dup = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: body({ iuv: iuv3, importo: 1 }),
    });
    expect(dup.statusCode).toBe(409);
    const base0 = '1902800799990';
    const iuv0 = `${base0}${checkDigit('0', '01', base0)}`;
    const r0 = await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload: body({ iuv: iuv0 }) });
    expect(r0.statusCode).toBe(201);
    expect(r0.json().codiceAvviso).toBe(`001${iuv0}`);
  });
});

describe('authentication and authorisation', () => {
  it('refuses a missing or wrong passphrase with 401 and X-Client-Attivo false', async () => {
    for (const headers of [
      {},
      { authorization: basic(DEMO.codiceChiamante, 'wrong') },
      { authorization: basic('NOBODY', DEMO.passphrase) },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: BASE, headers, payload: body() });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic/);
      expect(res.headers['x-client-attivo']).toBe('false');
    }
  });

  it('refuses a caller without the scope, and one not allowed on the payment type, with codiceEsito 200', async () => {
    await t.c.applications.create({
      codiceChiamante: 'NOSCOPE',
      descrizione: 'x',
      passphrase: 'passphrase-1',
      scopes: ['RICHIESTA_STATO_POS_DEB'],
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
    });
    await t.c.applications.create({
      codiceChiamante: 'NOPT',
      descrizione: 'x',
      passphrase: 'passphrase-2',
      scopes: ['CREAZIONE_IUV'],
    });
    const a = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: basic('NOSCOPE', 'passphrase-1') },
      payload: body(),
    });
    expect(a.statusCode).toBe(403);
    expect(a.json().codiceEsito).toBe('200');
    const b = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: basic('NOPT', 'passphrase-2') },
      payload: body(),
    });
    expect(b.statusCode).toBe(403);
    expect(b.json()).toMatchObject({
      codiceEsito: '200',
      descrizioneEsito: 'Chiamante non autorizzato al tipo pagamento indicato',
    });
  });

  it('refuses an unknown ente or payment type with 404', async () => {
    const a = await t.app.inject({
      method: 'POST',
      url: `/epayapi/api/v1/organizations/01234567897/paymenttypes/BIBL/debtpositions`,
      headers: AUTH,
      payload: body(),
    });
    expect(a.statusCode).toBe(404);
    expect(a.json().codiceEsito).toBe('151');
    const b = await t.app.inject({
      method: 'POST',
      url: `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/XXXX/debtpositions`,
      headers: AUTH,
      payload: body(),
    });
    expect(b.statusCode).toBe(404);
    expect(b.json().codiceEsito).toBe('153');
  });

  it('stops accepting the old passphrase as soon as it is rotated', async () => {
    await t.c.applications.create({
      codiceChiamante: 'ROT',
      descrizione: 'x',
      passphrase: 'old-passphrase',
      scopes: ['RICHIESTA_STATO_POS_DEB'],
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
    });
    const url = `${BASE}/${DEMO.payable.iuv}/status`;
    expect(
      (await t.app.inject({ method: 'GET', url, headers: { authorization: basic('ROT', 'old-passphrase') } }))
        .statusCode,
    ).toBe(200);
    const { passphrase } = await t.c.applications.rotatePassphrase('ROT');
    expect(
      (await t.app.inject({ method: 'GET', url, headers: { authorization: basic('ROT', 'old-passphrase') } }))
        .statusCode,
    ).toBe(401);
    expect(
      (await t.app.inject({ method: 'GET', url, headers: { authorization: basic('ROT', passphrase) } }))
        .statusCode,
    ).toBe(200);
  });
});

describe('status, paymentdata, update and cancel', () => {
  it('reports the manual positions with PiemontePAY status codes', async () => {
    const status = async (iuv: string) =>
      (await t.app.inject({ method: 'GET', url: `${BASE}/${iuv}/status`, headers: AUTH })).json();
    expect(await status(DEMO.payable.iuv)).toMatchObject({
      code: '1',
      description: 'Non Pagato',
      result: { code: '000' },
    });
    expect(await status(DEMO.cancelled.iuv)).toMatchObject({ code: '2', description: "Annullato dall'Ente" });
    expect(await status(DEMO.paid.iuv)).toMatchObject({ code: '0', description: 'Pagato' });
    const missing = await t.app.inject({
      method: 'GET',
      url: `${BASE}/01999999999999999/status`,
      headers: AUTH,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: '176' });
  });

  it('reports not-yet-active positions with code 3', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: body({ dataInizioValidita: '2099-01-01', dataScadenza: undefined }),
    });
    const s = await t.app.inject({
      method: 'GET',
      url: `${BASE}/${created.json().iuv}/status`,
      headers: AUTH,
    });
    expect(s.json()).toMatchObject({ code: '3', description: 'Non ancora attiva' });
  });

  it('returns the payment data of a position', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `${BASE}/${DEMO.payable.iuv}/paymentdata`,
      headers: AUTH,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      enteBeneficiario: 'Comune di Alessandria',
      codiceFiscaleEnteBeneficiario: DEMO.ente,
      tipologiaVersamento: 'Servizi bibliotecari',
      nomeECognomeRagioneSociale: 'Pino Test',
      codiceFiscalePIva: 'TSTPNI70D01L219V',
      codiceAvviso: '001190280072147087',
      identificativoUnicoVersamento: DEMO.payable.iuv,
      result: { code: '000' },
    });
  });

  it('updates amount, causale and dates, keeping a single component in step', async () => {
    const created = (
      await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload: body() })
    ).json();
    const res = await t.app.inject({
      method: 'PUT',
      url: `${BASE}/${created.iuv}`,
      headers: AUTH,
      payload: {
        importo: 40,
        causale: 'Nuova causale',
        dataScadenza: '2099-06-30',
        dataFineValidita: '2099-06-30',
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ code: '000' });
    const bad = await t.app.inject({
      method: 'PUT',
      url: `${BASE}/${created.iuv}`,
      headers: AUTH,
      payload: { dataScadenza: '2099-07-01' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: '185', campo: 'dataScadenza' });
    const p = await t.c.debtPositions.get(
      await t.c.organizations.resolveIds(DEMO.ente, DEMO.paymentType),
      created.iuv,
    );
    expect(p).toMatchObject({
      amountCents: 4000,
      causale: 'Nuova causale',
      validTo: '2099-06-30',
      components: [{ amountCents: 4000 }],
    });
  });

  it('refuses to change the debtor of a position not intestata ad ANONIMO (218)', async () => {
    const created = (
      await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload: body() })
    ).json();
    const res = await t.app.inject({
      method: 'PUT',
      url: `${BASE}/${created.iuv}`,
      headers: AUTH,
      payload: { codiceFiscalePartitaIVAPagatore: '15376371009', ragioneSociale: 'ACME SpA' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('218');
  });

  it('refuses to update or cancel a paid or cancelled position', async () => {
    for (const [iuv, code] of [
      [DEMO.paid.iuv, '178'],
      [DEMO.cancelled.iuv, '179'],
    ] as const) {
      const put = await t.app.inject({
        method: 'PUT',
        url: `${BASE}/${iuv}`,
        headers: AUTH,
        payload: { importo: 1 },
      });
      expect(put.statusCode).toBe(409);
      expect(put.json().code).toBe(code);
      const del = await t.app.inject({ method: 'DELETE', url: `${BASE}/${iuv}`, headers: AUTH });
      expect(del.statusCode).toBe(409);
      expect(del.json().code).toBe(code);
    }
  });

  it('cancels with a reason, recorded in the status history', async () => {
    const created = (
      await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload: body() })
    ).json();
    const res = await t.app.inject({
      method: 'DELETE',
      url: `${BASE}/${created.iuv}`,
      headers: AUTH,
      payload: { motivazione: 'Pagato allo sportello' },
    });
    expect(res.statusCode).toBe(200);
    const view = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types/${DEMO.paymentType}/debt-positions/${created.iuv}`,
      headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' },
    });
    expect(view.json()).toMatchObject({ status: 'CANCELLED', cancellationReason: 'Pagato allo sportello' });
    expect(view.json().statusHistory.at(-1)).toMatchObject({
      from: 'PAYABLE',
      to: 'CANCELLED',
      reason: 'Pagato allo sportello',
      actor: 'application:AP_01',
    });
    const status = await t.app.inject({ method: 'GET', url: `${BASE}/${created.iuv}/status`, headers: AUTH });
    expect(status.json().code).toBe('2');
  });
});

describe('audit journal', () => {
  it('records every epayapi call with caller, ente, IUV, outcome and correlation id', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: { ...AUTH, 'x-correlation-id': 'corr-test-000001' },
      payload: body(),
    });
    const iuv = created.json().iuv;
    const res = await t.app.inject({
      method: 'GET',
      url: `/admin/api/v1/audit-events?correlationId=corr-test-000001`,
      headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' },
    });
    expect(res.statusCode).toBe(200);
    const [event] = res.json().items;
    expect(event).toMatchObject({
      interface: 'epayapi',
      direction: 'IN',
      operation: 'createDebtPosition',
      caller: 'AP_01',
      enteFiscalCode: DEMO.ente,
      iuv,
      outcome: '000',
      httpStatus: 201,
    });
    expect(event.durationMs).toBeGreaterThanOrEqual(0);
    expect(event.requestPayload).toContain('TSTPNI70D01L219V');
    expect(created.headers['x-correlation-id']).toBe('corr-test-000001');
  });
});
