import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { basic, buildTestApp, type TestApp } from './helpers/app.js';

/**
 * Cassa's epayapi answers checked against PiemontePAY's own OpenAPI file
 * (resources/specs/piemontepay/epayapi_v1.1.yaml), and Cassa's published OpenAPI document checked to
 * offer the same paths, operations and request fields.
 */
const spec = parse(
  readFileSync(new URL('../resources/specs/piemontepay/epayapi_v1.1.yaml', import.meta.url), 'utf8'),
);
// The spec declares Status.code as a string with an enum written as YAML numbers (0..4): the type
// wins, as in PiemontePAY's Java DTO, so the enum is read as strings.
spec.components.schemas.Status.properties.code.enum = ['0', '1', '2', '3', '4'];

const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
for (const [name, schema] of Object.entries(spec.components.schemas)) {
  ajv.addSchema(JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '')) as object, name);
}

function responseSchemaName(path: string, method: string, status: number): string {
  const ref = spec.paths[path][method].responses[String(status)].content['application/json'].schema
    .$ref as string;
  return ref.split('/').pop()!;
}

function expectConforms(
  path: string,
  method: string,
  res: { statusCode: number; json: () => unknown },
): void {
  const name = responseSchemaName(path, method, res.statusCode);
  const validate = ajv.getSchema(name)!;
  const ok = validate(res.json());
  expect(
    ok,
    `${method.toUpperCase()} ${path} ${res.statusCode} vs ${name}: ${ajv.errorsText(validate.errors)}`,
  ).toBe(true);
}

const SPEC_BASE = '/organizations/{organization}/paymenttypes/{paymentType}/debtpositions';
const BASE = `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
const AUTH = { authorization: basic(DEMO.codiceChiamante, DEMO.passphrase) };

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  await seedDemo(t.c);
});
afterAll(async () => t?.close());

describe('answers conform to epayapi_v1.1.yaml', () => {
  it('createDebtPosition 201', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: AUTH,
      payload: {
        causale: 'Copie',
        importo: 3.5,
        codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
        nome: 'Pino',
        cognome: 'Test',
        identificativoPagamento: 'SPEC-1',
      },
    });
    expect(res.statusCode).toBe(201);
    expectConforms(SPEC_BASE, 'post', res);
  });

  it('updateDebtPositions and deleteDebtPositions 200 and their errors', async () => {
    const created = (
      await t.app.inject({
        method: 'POST',
        url: BASE,
        headers: AUTH,
        payload: {
          causale: 'Copie',
          importo: 3.5,
          codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
          nome: 'Pino',
          cognome: 'Test',
        },
      })
    ).json();
    const put = await t.app.inject({
      method: 'PUT',
      url: `${BASE}/${created.iuv}`,
      headers: AUTH,
      payload: { importo: 4 },
    });
    expect(put.statusCode).toBe(200);
    expectConforms(`${SPEC_BASE}/{iuv}`, 'put', put);
    for (const res of [
      await t.app.inject({
        method: 'PUT',
        url: `${BASE}/${created.iuv}`,
        headers: AUTH,
        payload: { importo: 4.001 },
      }),
      await t.app.inject({
        method: 'PUT',
        url: `${BASE}/01999999999999999`,
        headers: AUTH,
        payload: { importo: 4 },
      }),
      await t.app.inject({
        method: 'PUT',
        url: `${BASE}/${created.iuv}`,
        headers: {},
        payload: { importo: 4 },
      }),
    ]) {
      expect([400, 401, 404]).toContain(res.statusCode);
      expectConforms(`${SPEC_BASE}/{iuv}`, 'put', res);
    }
    const del = await t.app.inject({ method: 'DELETE', url: `${BASE}/${created.iuv}`, headers: AUTH });
    expect(del.statusCode).toBe(200);
    expectConforms(`${SPEC_BASE}/{iuv}`, 'delete', del);
  });

  it('getDebtPositionStatus 200 for every status, and 404', async () => {
    for (const iuv of [DEMO.payable.iuv, DEMO.cancelled.iuv, DEMO.paid.iuv]) {
      const res = await t.app.inject({ method: 'GET', url: `${BASE}/${iuv}/status`, headers: AUTH });
      expect(res.statusCode).toBe(200);
      expectConforms(`${SPEC_BASE}/{iuv}/status`, 'get', res);
    }
    const missing = await t.app.inject({
      method: 'GET',
      url: `${BASE}/01999999999999999/status`,
      headers: AUTH,
    });
    expect(missing.statusCode).toBe(404);
    expectConforms(`${SPEC_BASE}/{iuv}/status`, 'get', missing);
  });

  it('getDebtPositionData 200 and 403', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `${BASE}/${DEMO.payable.iuv}/paymentdata`,
      headers: AUTH,
    });
    expect(res.statusCode).toBe(200);
    expectConforms(`${SPEC_BASE}/{iuv}/paymentdata`, 'get', res);
  });
});

describe('getPaymentNotice conforms to epayapi_v1.1.yaml', () => {
  it('200 with the base64 PDF, 404, 401 and 403; a paid position (409, outside the spec) answers a Result', async () => {
    const ok = await t.app.inject({
      method: 'GET',
      url: `${BASE}/${DEMO.payable.iuv}/paymentnotice`,
      headers: AUTH,
    });
    expect(ok.statusCode).toBe(200);
    expectConforms(`${SPEC_BASE}/{iuv}/paymentnotice`, 'get', ok);
    expect(Buffer.from(ok.json().paymentnotice, 'base64').subarray(0, 5).toString('latin1')).toBe('%PDF-');
    for (const [url, headers, status] of [
      [`${BASE}/01999999999999999/paymentnotice`, AUTH, 404],
      [`${BASE}/${DEMO.payable.iuv}/paymentnotice`, {}, 401],
      [
        `/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/ZZZZ/debtpositions/${DEMO.payable.iuv}/paymentnotice`,
        AUTH,
        404,
      ],
    ] as const) {
      const res = await t.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode).toBe(status);
      expectConforms(`${SPEC_BASE}/{iuv}/paymentnotice`, 'get', res);
    }
    const paid = await t.app.inject({
      method: 'GET',
      url: `${BASE}/${DEMO.paid.iuv}/paymentnotice`,
      headers: AUTH,
    });
    expect(paid.statusCode).toBe(409);
    expect(ajv.getSchema('Result')!(paid.json())).toBe(true);
  });
});

describe("Cassa's OpenAPI document", () => {
  it('offers the spec operations under the same paths, with every spec request field', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const ours = (p: string) => doc.paths[`/epayapi/api/v1${p}`];
    const expected: [string, string, string][] = [
      [SPEC_BASE, 'post', 'createDebtPosition'],
      [`${SPEC_BASE}/{iuv}`, 'put', 'updateDebtPositions'],
      [`${SPEC_BASE}/{iuv}`, 'delete', 'deleteDebtPositions'],
      [`${SPEC_BASE}/{iuv}/status`, 'get', 'getDebtPositionStatus'],
      [`${SPEC_BASE}/{iuv}/paymentdata`, 'get', 'getDebtPositionData'],
      [`${SPEC_BASE}/{iuv}/paymentnotice`, 'get', 'getPaymentNotice'],
    ];
    for (const [path, method, operationId] of expected) {
      expect(spec.paths[path][method].operationId).toBe(operationId);
      expect(ours(path)?.[method]?.operationId, `${method} ${path}`).toBe(operationId);
    }
    const bodyProps = (path: string, method: string) =>
      Object.keys(ours(path)[method].requestBody.content['application/json'].schema.properties);
    expect(bodyProps(SPEC_BASE, 'post')).toEqual(
      expect.arrayContaining(Object.keys(spec.components.schemas.DebtPositionData.properties)),
    );
    expect(bodyProps(`${SPEC_BASE}/{iuv}`, 'put')).toEqual(
      expect.arrayContaining(Object.keys(spec.components.schemas.DebtPositionPaymentData.properties)),
    );
  });
});
