import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { checkDigit } from '../src/modules/debt-positions/domain/notice-number.js';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';

/** What real gestionali send that a strict reading of the spec would refuse, and bugs found in review. */
const BASE = `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const AUTH = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };

function body(overrides: Record<string, unknown> = {}) {
  return {
    causale: 'Prestito',
    importo: 12.5,
    codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
    nome: 'Pino',
    cognome: 'Test',
    ...overrides,
  };
}

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  await seedDemo(t.c);
});
afterAll(async () => t?.close());

describe('epayapi compatibility', () => {
  it('accepts Basic credentials encoded in ISO-8859-1, as Java clients send them by default', async () => {
    const latin1 = `Basic ${Buffer.from(`${DEMO.codiceChiamante}:${DEMO.passphrase}`, 'latin1').toString('base64')}`;
    expect(
      Buffer.from(`${DEMO.codiceChiamante}:${DEMO.passphrase}`, 'latin1').equals(
        Buffer.from(`${DEMO.codiceChiamante}:${DEMO.passphrase}`, 'utf8'),
      ),
    ).toBe(false);
    const res = await t.app.inject({
      method: 'GET',
      url: `${BASE}/${DEMO.payable.iuv}/status`,
      headers: { authorization: latin1 },
    });
    expect(res.statusCode, res.body).toBe(200);
    const wrong = `Basic ${Buffer.from(`${DEMO.codiceChiamante}:1www%$se1ver¤$APP`, 'latin1').toString('base64')}`;
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `${BASE}/${DEMO.payable.iuv}/status`,
          headers: { authorization: wrong },
        })
      ).statusCode,
    ).not.toBe(200);
  });

  it('treats payment type codes case-insensitively: the path and the admin API mean the same BIBL', async () => {
    const lower = `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/bibl/debtpositions`;
    const res = await t.app.inject({
      method: 'GET',
      url: `${lower}/${DEMO.payable.iuv}/status`,
      headers: AUTH,
    });
    expect(res.statusCode, res.body).toBe(200);
    const dup = await t.app.inject({
      method: 'POST',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: {
        codiceVersamento: 'bibl',
        descrizione: 'x',
        iban: 'IT60X0542811101000000123456',
        transferCategory: '9/0201133IM/',
      },
    });
    expect(dup.statusCode).toBe(409);
    const created = await t.app.inject({
      method: 'POST',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: {
        codiceVersamento: 'cimi',
        descrizione: 'Servizi cimiteriali',
        iban: 'IT60X0542811101000000123456',
        transferCategory: '9/0101108TS/',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().codiceVersamento).toBe('CIMI');
  });

  it("skips the numbers a gestionale already took in Cassa's own numbering, however many", async () => {
    // find the next number Cassa will generate, then supply the 30 after it
    const probe = await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload: body() });
    expect(probe.statusCode).toBe(201);
    const next = BigInt(probe.json().iuv.slice(2, 15)) + 1n;
    const taken = new Set<string>();
    for (let i = 0n; i < 30n; i++) {
      const base = (next + i).toString().padStart(13, '0');
      const iuv = `01${base}${checkDigit('3', '01', base)}`;
      const res = await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload: body({ iuv }) });
      expect(res.statusCode, res.body).toBe(201);
      taken.add(iuv);
    }
    const res = await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload: body() });
    expect(res.statusCode, res.body).toBe(201);
    expect(taken.has(res.json().iuv)).toBe(false);
  });

  it('checks credentials before the body: an anonymous caller gets 401, not the field rules', async () => {
    const res = await t.app.inject({ method: 'POST', url: BASE, payload: { importo: 'x' } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-client-attivo']).toBe('false');
    const wrong = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: { authorization: basic(DEMO.codiceChiamante, 'wrong-passphrase') },
      payload: { importo: 'x' },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('reads JSON nulls as absent fields, as Jackson and Newtonsoft write them', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: body({
        ragioneSociale: null,
        email: null,
        dataScadenza: null,
        notePerIlPagatore: null,
        identificativoPagamento: null,
        componentiPagamento: [
          { importo: 12.5, causale: 'Prestito', annoAccertamento: null, numeroAccertamento: null },
        ],
      }),
    });
    expect(res.statusCode, res.body).toBe(201);
    const put = await t.app.inject({
      method: 'PUT',
      url: `${BASE}/${res.json().iuv}`,
      headers: AUTH,
      payload: { importo: 13, componentiImporto: null, email: null, causale: null },
    });
    expect(put.statusCode, put.body).toBe(200);
  });

  it('reads dates sent as epoch milliseconds (java.util.Date)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: body({ identificativoPagamento: 'EPOCH-1', dataScadenza: Date.UTC(2099, 5, 30, 22, 0, 0) }),
    });
    expect(res.statusCode, res.body).toBe(201);
    const p = await t.c.debtPositions.get(
      {
        enteId: (await t.c.organizations.resolveIds(DEMO.ente, DEMO.paymentType)).enteId,
        paymentTypeId: (await t.c.organizations.resolveIds(DEMO.ente, DEMO.paymentType)).paymentTypeId,
      },
      res.json().iuv,
    );
    expect(p.dueDate).toBe('2099-07-01'); // 22:00 UTC on 30 June is 1 July in Rome
  });

  it('cancels with DELETE carrying Content-Type: application/json and no body', async () => {
    const res = await t.app.inject({ method: 'POST', url: BASE, headers: AUTH, payload: body() });
    const del = await t.app.inject({
      method: 'DELETE',
      url: `${BASE}/${res.json().iuv}`,
      headers: { ...AUTH, 'content-type': 'application/json' },
    });
    expect(del.statusCode, del.body).toBe(200);
  });

  it('answers operations Cassa does not offer with a Result 404 and X-Client-Attivo, journaled', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `${BASE}/${DEMO.payable.iuv}/multipayees`,
      headers: { ...AUTH, 'x-correlation-id': 'compat-notfound-0001' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: '100' });
    expect(res.headers['x-client-attivo']).toBe('false');
    await t.c.audit.flush();
    const { items } = await t.c.audit.query({ correlationId: 'compat-notfound-0001', limit: 5 });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      interface: 'epayapi',
      operation: 'notFound',
      outcome: '404',
      caller: DEMO.codiceChiamante,
    });
  });

  it('gives X-Client-Attivo on validation errors too, and journals the body as received', async () => {
    const raw = '{"foo":"bar","causale":"raw","importo":"x"}';
    const res = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: { ...AUTH, 'content-type': 'application/json', 'x-correlation-id': 'compat-raw-body-0001' },
      payload: raw,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-client-attivo']).toBe('true');
    await t.c.audit.flush();
    const { items } = await t.c.audit.query({ correlationId: 'compat-raw-body-0001', limit: 5 });
    expect(items[0]!.requestPayload).toBe(raw);
  });

  it('keeps a company debtor when the update resends only its fiscal code', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: {
        causale: 'Canone',
        importo: 5,
        codiceFiscalePartitaIVAPagatore: '00429440068',
        ragioneSociale: 'ACME Srl',
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const put = await t.app.inject({
      method: 'PUT',
      url: `${BASE}/${res.json().iuv}`,
      headers: AUTH,
      payload: { codiceFiscalePartitaIVAPagatore: '00429440068', importo: 6 },
    });
    expect(put.statusCode, put.body).toBe(200);
    const data = await t.app.inject({
      method: 'GET',
      url: `${BASE}/${res.json().iuv}/paymentdata`,
      headers: AUTH,
    });
    expect(data.json().nomeECognomeRagioneSociale).toBe('ACME Srl');
  });

  it('keeps datiSpecificiRiscossione of each component, and tells apart creates that differ only there', async () => {
    const a = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: body({
        identificativoPagamento: 'DSR-1',
        componentiPagamento: [
          { importo: 12.5, causale: 'Prestito', datiSpecificiRiscossione: '9/0201133IM/' },
        ],
      }),
    });
    expect(a.statusCode, a.body).toBe(201);
    const b = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: body({
        identificativoPagamento: 'DSR-1',
        componentiPagamento: [
          { importo: 12.5, causale: 'Prestito', datiSpecificiRiscossione: '9/0101108TS/' },
        ],
      }),
    });
    expect(b.statusCode).toBe(409);
  });
});
