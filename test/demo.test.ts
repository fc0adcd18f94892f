import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, DEMO_RECEIPT, seedDemo } from '../src/app/demo-seed.js';
import { projectPath } from '../src/shared/paths.js';
import { basic, buildTestApp, type TestApp } from './helpers/app.js';
import { validateSoapResponse } from './helpers/xsd.js';

const BASE = `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const AUTH = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  expect(await seedDemo(t.c)).toEqual({ created: true });
});
afterAll(async () => t?.close());

describe('demo data (seed 000)', () => {
  it('is idempotent', async () => {
    expect(await seedDemo(t.c)).toEqual({ created: false });
  });

  it("pays the manual's paid position with a receipt that is valid against pagoPA's schema", async () => {
    const xml = readFileSync(projectPath('resources', 'demo', DEMO_RECEIPT), 'utf8');
    expect(validateSoapResponse(xml).element).toBe('paSendRTV2Request');
    const status = await t.app.inject({
      method: 'GET',
      url: `${BASE}/${DEMO.paid.iuv}/status`,
      headers: AUTH,
    });
    expect(status.json()).toMatchObject({ code: '0' });
    const data = await t.app.inject({
      method: 'GET',
      url: `${BASE}/${DEMO.paid.iuv}/paymentdata`,
      headers: AUTH,
    });
    expect(data.statusCode, data.body).toBe(200);
    expect(data.json()).toMatchObject({
      importoPagato: 8.5,
      prestatoreDiServiziDiPagamento: 'Banca Dimostrativa S.p.A.',
      identificativoUnicoRiscossione: 'd7c3a1e0b5f24c6a9e8d0f1b2c3d4e5f',
      codiceAvviso: '001191890494852566',
    });
    expect(data.json().dataEOraOperazione).toMatch(/^2019-01-30T10:15:00\+01:00$/);
    const rt = await t.app.inject({
      method: 'POST',
      url: '/epayapi/api/v1/rt',
      headers: AUTH,
      payload: {
        iuv: DEMO.paid.iuv,
        codiceFiscale: DEMO.debtor.codiceFiscalePartitaIVAPagatore,
        formatoRT: 'XML',
        codiceFiscaleEnte: DEMO.ente,
      },
    });
    expect(rt.statusCode, rt.body).toBe(200);
    expect(Buffer.from(rt.json().rtXml, 'base64').toString('utf8')).toBe(xml);
  });

  it('keeps the payable and cancelled positions of the manual with their codes', async () => {
    expect(
      (
        await t.app.inject({ method: 'GET', url: `${BASE}/${DEMO.payable.iuv}/status`, headers: AUTH })
      ).json(),
    ).toMatchObject({ code: '1' });
    expect(
      (
        await t.app.inject({ method: 'GET', url: `${BASE}/${DEMO.cancelled.iuv}/status`, headers: AUTH })
      ).json(),
    ).toMatchObject({ code: '2' });
  });
});
