import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { checkDigit } from '../src/modules/debt-positions/domain/notice-number.js';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';

/** What real gestionali send that a strict reading of the spec would refuse, and bugs found in review. */
const BASE = `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const AUTH = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };

function body(overrides: Record<string, unknown> = {}) {
  return { causale: 'Prestito', importo: 12.5, codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V', nome: 'Pino', cognome: 'Test', ...overrides };
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
    expect(Buffer.from(`${DEMO.codiceChiamante}:${DEMO.passphrase}`, 'latin1').equals(Buffer.from(`${DEMO.codiceChiamante}:${DEMO.passphrase}`, 'utf8'))).toBe(false);
    const res = await t.app.inject({ method: 'GET', url: `${BASE}/${DEMO.payable.iuv}/status`, headers: { authorization: latin1 } });
    expect(res.statusCode, res.body).toBe(200);
    const wrong = `Basic ${Buffer.from(`${DEMO.codiceChiamante}:1www%$se1ver¤$APP`, 'latin1').toString('base64')}`;
    expect((await t.app.inject({ method: 'GET', url: `${BASE}/${DEMO.payable.iuv}/status`, headers: { authorization: wrong } })).statusCode).not.toBe(200);
  });

  it('treats payment type codes case-insensitively: the path and the admin API mean the same BIBL', async () => {
    const lower = `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/bibl/debtpositions`;
    const res = await t.app.inject({ method: 'GET', url: `${lower}/${DEMO.payable.iuv}/status`, headers: AUTH });
    expect(res.statusCode, res.body).toBe(200);
    const dup = await t.app.inject({
      method: 'POST',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { codiceVersamento: 'bibl', descrizione: 'x', iban: 'IT60X0542811101000000123456', transferCategory: '9/0201133IM/' },
    });
    expect(dup.statusCode).toBe(409);
    const created = await t.app.inject({
      method: 'POST',
      url: `/admin/api/v1/enti/${DEMO.ente}/payment-types`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { codiceVersamento: 'tari', descrizione: 'Tassa rifiuti', iban: 'IT60X0542811101000000123456', transferCategory: '9/0101108TS/' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().codiceVersamento).toBe('TARI');
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
});
