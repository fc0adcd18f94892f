import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';

const ADMIN = '/admin/api/v1';
const AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** An 11-digit fiscal code: ten digits plus their check digit (computed here, independently of the code under test). */
function cf(ten: string): string {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(ten[i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${ten}${(10 - (sum % 10)) % 10}`;
}

/** An Italian IBAN for a 23-character BBAN, with its mod-97 check digits. */
function itIban(bban: string): string {
  const digits = `${bban}IT00`.replace(/[A-Z]/g, (ch) => String(ch.charCodeAt(0) - 55));
  const check = 98n - (BigInt(digits) % 97n);
  return `IT${String(check).padStart(2, '0')}${bban}`;
}

const IBAN = 'IT60X0542811101000000123456';
const IBAN_2 = itIban('X0306909606100000012345');
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t?.close());

function admin(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method,
    url: `${ADMIN}${url}`,
    headers: { ...AUTH, ...headers },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

function expectProblem(res: LightMyRequestResponse, status: number, extra: Record<string, unknown> = {}) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, ...extra });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

function ente(codiceFiscale: string, overrides: Record<string, unknown> = {}) {
  return {
    codiceFiscale,
    denominazione: `Comune ${codiceFiscale}`,
    codiceSegregazione: '01',
    ibanBancario: IBAN,
    ...overrides,
  };
}

function paymentType(codiceVersamento: string, overrides: Record<string, unknown> = {}) {
  return {
    codiceVersamento,
    descrizione: `Tipo ${codiceVersamento}`,
    iban: IBAN,
    transferCategory: '9/0101108TS/',
    ...overrides,
  };
}

async function createEnte(codiceFiscale: string, overrides: Record<string, unknown> = {}) {
  const res = await admin('POST', '/enti', ente(codiceFiscale, overrides));
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function createPaymentType(enteCf: string, code: string, overrides: Record<string, unknown> = {}) {
  const res = await admin('POST', `/enti/${enteCf}/payment-types`, paymentType(code, overrides));
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('authentication', () => {
  const cases: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer wrong-token-0123456789abcdef0123' }],
    ['the token with one character changed', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}x` }],
    ['a prefix of the token', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, 10)}` }],
    ['the token with a suffix', { authorization: `Bearer ${ADMIN_TOKEN}0` }],
    ['the token under another scheme', { authorization: `Basic ${ADMIN_TOKEN}` }],
    ['HTTP Basic with the token as password', { authorization: basic('admin', ADMIN_TOKEN) }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ];

  it.each(cases)('refuses %s with 401 application/problem+json', async (_what, headers) => {
    for (const [method, url] of [
      ['GET', '/enti'],
      ['GET', '/applications'],
      ['GET', '/audit-events'],
    ] as const) {
      const res = await t.app.inject({ method, url: `${ADMIN}${url}`, headers });
      expectProblem(res, 401, { title: 'Unauthorized' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('does not carry out a mutation without the token', async () => {
    const code = cf('9100000001');
    const res = await t.app.inject({ method: 'POST', url: `${ADMIN}/enti`, payload: ente(code) });
    expectProblem(res, 401);
    expectProblem(await admin('GET', `/enti/${code}`), 404, { code: 'ENTE_NOT_FOUND' });
  });

  it('accepts the admin token as a Bearer, case-insensitively on the scheme', async () => {
    expect((await admin('GET', '/enti')).statusCode).toBe(200);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `${ADMIN}/enti`,
          headers: { authorization: `bearer ${ADMIN_TOKEN}` },
        })
      ).statusCode,
    ).toBe(200);
  });
});

describe('enti', () => {
  const A = cf('0100000001');
  const B = cf('0100000002');

  it('creates an ente and returns it (without internal ids or the logo bytes)', async () => {
    const created = await createEnte(A, {
      unitaOrganizzativa: 'Tributi',
      applicationCode: '01',
      cbill: 'AB123',
      ibanPostale: IBAN_2,
      email: 'tributi@comune.example.org',
      pec: 'comune@pec.example.org',
      telefono: '0131 000000',
      sitoWeb: 'https://www.comune.example.org',
      indirizzo: 'Piazza della Libertà',
      civico: '1',
      cap: '15121',
      localita: 'Alessandria',
      provincia: 'AL',
      idBrokerPA: cf('0999999999'),
      idStation: `${cf('0999999999')}_01`,
    });
    expect(created).toEqual({
      codiceFiscale: A,
      denominazione: `Comune ${A}`,
      unitaOrganizzativa: 'Tributi',
      codiceSegregazione: '01',
      applicationCode: '01',
      cbill: 'AB123',
      ibanBancario: IBAN,
      ibanPostale: IBAN_2,
      hasLogo: false,
      email: 'tributi@comune.example.org',
      pec: 'comune@pec.example.org',
      telefono: '0131 000000',
      sitoWeb: 'https://www.comune.example.org',
      indirizzo: 'Piazza della Libertà',
      civico: '1',
      cap: '15121',
      localita: 'Alessandria',
      provincia: 'AL',
      idBrokerPA: cf('0999999999'),
      idStation: `${cf('0999999999')}_01`,
      active: true,
      noticeSecondLanguage: null,
      noticeTexts: {},
      postalAccountHolder: null,
      postalAuthorisation: null,
    });
    const got = await admin('GET', `/enti/${A}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created);
  });

  it("sets, shows and changes the ente's notice settings", async () => {
    const C = cf('0100000003');
    const texts = {
      it: { online: 'Sul sito del Comune, sezione Pagamenti.', physical: 'Allo sportello tributi.' },
      de: { online: 'Auf der Website der Gemeinde.' },
    };
    const created = await createEnte(C, {
      noticeSecondLanguage: 'de',
      noticeTexts: texts,
      postalAccountHolder: 'Comune di Prova - Servizio Tesoreria',
      postalAuthorisation: 'AUT. DB/SSIC/E 12345 DEL 01/01/2020',
    });
    expect(created).toMatchObject({
      noticeSecondLanguage: 'de',
      noticeTexts: texts,
      postalAccountHolder: 'Comune di Prova - Servizio Tesoreria',
      postalAuthorisation: 'AUT. DB/SSIC/E 12345 DEL 01/01/2020',
    });
    // the texts are replaced as a whole; null clears the others
    const patched = await admin('PATCH', `/enti/${C}`, {
      noticeSecondLanguage: null,
      noticeTexts: { en: { physical: 'At any post office.' } },
      postalAccountHolder: null,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      noticeSecondLanguage: null,
      noticeTexts: { en: { physical: 'At any post office.' } },
      postalAccountHolder: null,
      postalAuthorisation: 'AUT. DB/SSIC/E 12345 DEL 01/01/2020',
    });
    expect((await admin('GET', `/enti/${C}`)).json()).toEqual(patched.json());
  });

  it.each([
    ['an unknown second language', { noticeSecondLanguage: 'es' }, 'noticeSecondLanguage'],
    ['a language key outside the five', { noticeTexts: { es: { online: 'x' } } }, 'noticeTexts'],
    ['an unknown channel', { noticeTexts: { it: { email: 'x' } } }, 'noticeTexts.it'],
    [
      'a text over 250 characters',
      { noticeTexts: { it: { online: 'x'.repeat(251) } } },
      'noticeTexts.it.online',
    ],
    ['an empty text', { noticeTexts: { it: { physical: '  ' } } }, 'noticeTexts.it.physical'],
    ['a holder over 50 characters', { postalAccountHolder: 'x'.repeat(51) }, 'postalAccountHolder'],
    ['an authorisation over 60 characters', { postalAuthorisation: 'x'.repeat(61) }, 'postalAuthorisation'],
  ])('refuses notice settings with %s', async (_what, patch, field) => {
    const body = expectProblem(await admin('PATCH', `/enti/${A}`, patch), 400, { code: 'VALIDATION' });
    expect(String(body.field)).toContain(field);
  });

  it('normalises IBANs (spaces, lower case)', async () => {
    const created = await createEnte(B, { ibanBancario: IBAN.toLowerCase().replace(/(.{4})/g, '$1 ') });
    expect(created.ibanBancario).toBe(IBAN);
  });

  it('lists the enti by fiscal code', async () => {
    const res = await admin('GET', '/enti');
    expect(res.statusCode).toBe(200);
    const codes = res.json().map((e: { codiceFiscale: string }) => e.codiceFiscale);
    expect(codes).toContain(A);
    expect(codes).toContain(B);
    expect(codes).toEqual([...codes].sort());
  });

  it('refuses a duplicate ente with 409', async () => {
    const res = await admin('POST', '/enti', ente(A, { denominazione: 'Altro' }));
    expectProblem(res, 409, { code: 'ENTE_EXISTS', field: 'codiceFiscale' });
    expect((await admin('GET', `/enti/${A}`)).json().denominazione).toBe(`Comune ${A}`);
  });

  it.each([
    ['an IBAN with a wrong check', { ibanBancario: 'IT60X0542811101000000123457' }, 'ibanBancario'],
    ['a postal IBAN of the wrong length', { ibanPostale: 'IT60X054281110100000012345' }, 'ibanPostale'],
    ['an 11-digit fiscal code with a wrong check digit', { codiceFiscale: '00429440069' }, 'codiceFiscale'],
    ['a 16-character fiscal code', { codiceFiscale: 'TSTPNI70D01L219V' }, 'codiceFiscale'],
    ['a 3-digit segregation code', { codiceSegregazione: '001' }, 'codiceSegregazione'],
    ['no denominazione', { denominazione: undefined }, 'denominazione'],
    ['a blank denominazione', { denominazione: '   ' }, 'denominazione'],
    ['a lower-case province', { provincia: 'al' }, 'provincia'],
    ['a bad email', { email: 'not-an-email' }, 'email'],
    ['a bad CBILL code', { cbill: 'ab12' }, 'cbill'],
    ['an unknown field', { colore: 'blu' }, undefined],
  ] as [string, Record<string, unknown>, string | undefined][])(
    'refuses %s with 400 problem+json naming the field',
    async (_what, overrides, field) => {
      const code = cf('0200000001');
      const body = expectProblem(await admin('POST', '/enti', ente(code, overrides)), 400, {
        code: 'VALIDATION',
      });
      if (field) {
        expect(body.field).toBe(field);
        expect(body.detail).toContain(field);
      }
      const stored = (overrides.codiceFiscale as string | undefined) ?? code;
      if (/^\d{11}$/.test(stored)) expectProblem(await admin('GET', `/enti/${stored}`), 404);
    },
  );

  it('answers 404 for an unknown ente and 400 for a malformed fiscal code in the path', async () => {
    expectProblem(await admin('GET', `/enti/${cf('0300000001')}`), 404, { code: 'ENTE_NOT_FOUND' });
    expectProblem(await admin('PATCH', `/enti/${cf('0300000001')}`, { denominazione: 'x' }), 404, {
      code: 'ENTE_NOT_FOUND',
    });
    expectProblem(await admin('GET', '/enti/123'), 400, { code: 'VALIDATION' });
  });

  it('patches an ente, changing only what is given', async () => {
    const res = await admin('PATCH', `/enti/${A}`, {
      denominazione: 'Comune di Prova',
      email: null,
      active: false,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      codiceFiscale: A,
      denominazione: 'Comune di Prova',
      email: null,
      active: false,
      ibanPostale: IBAN_2,
      unitaOrganizzativa: 'Tributi',
    });
    expect((await admin('GET', `/enti/${A}`)).json()).toMatchObject({
      denominazione: 'Comune di Prova',
      email: null,
      active: false,
      ibanPostale: IBAN_2,
    });
  });

  it('refuses an invalid patch, leaving the ente as it was', async () => {
    const before = (await admin('GET', `/enti/${A}`)).json();
    expectProblem(await admin('PATCH', `/enti/${A}`, { ibanBancario: 'IT00X0000000000000000000000' }), 400, {
      field: 'ibanBancario',
    });
    expectProblem(await admin('PATCH', `/enti/${A}`, { codiceFiscale: B }), 400, { code: 'VALIDATION' });
    expectProblem(await admin('PATCH', `/enti/${A}`, { codiceSegregazione: 'AB' }), 400, {
      field: 'codiceSegregazione',
    });
    expect((await admin('GET', `/enti/${A}`)).json()).toEqual(before);
  });
});

describe('ente logo', () => {
  const L = cf('0400000001');

  it('stores a logo sent as base64 in the body and serves its bytes with its mime type', async () => {
    const created = await createEnte(L, { logo: { mime: 'image/png', base64: PNG.toString('base64') } });
    expect(created.hasLogo).toBe(true);
    expect(created).not.toHaveProperty('logo');
    expect(JSON.stringify(created)).not.toContain(PNG.toString('base64'));
    const res = await admin('GET', `/enti/${L}/logo`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.rawPayload.equals(PNG)).toBe(true);
  });

  it('replaces the logo with a patch', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>';
    const patched = await admin('PATCH', `/enti/${L}`, {
      logo: { mime: 'image/svg+xml', base64: Buffer.from(svg).toString('base64') },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const res = await admin('GET', `/enti/${L}/logo`);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.rawPayload.toString('utf8')).toBe(svg);
  });

  it('leaves the logo alone when a patch does not mention it, and removes it with null', async () => {
    expect((await admin('PATCH', `/enti/${L}`, { denominazione: 'Con logo' })).json().hasLogo).toBe(true);
    const removed = await admin('PATCH', `/enti/${L}`, { logo: null });
    expect(removed.json().hasLogo).toBe(false);
    expectProblem(await admin('GET', `/enti/${L}/logo`), 404, { title: 'LOGO_NOT_FOUND' });
  });

  it('answers 404 for an ente without a logo, and for an unknown ente', async () => {
    const N = cf('0400000002');
    await createEnte(N);
    expectProblem(await admin('GET', `/enti/${N}/logo`), 404);
    expectProblem(await admin('GET', `/enti/${cf('0400000003')}/logo`), 404, { code: 'ENTE_NOT_FOUND' });
  });

  it('refuses an unsupported mime type and a payload that is not base64', async () => {
    const X = cf('0400000004');
    expectProblem(
      await admin('POST', '/enti', ente(X, { logo: { mime: 'image/gif', base64: PNG.toString('base64') } })),
      400,
      { field: 'logo.mime' },
    );
    expectProblem(
      await admin('POST', '/enti', ente(X, { logo: { mime: 'image/png', base64: 'this is not base64!' } })),
      400,
      { field: 'logo.base64' },
    );
    expectProblem(await admin('POST', '/enti', ente(X, { logo: { mime: 'image/png', base64: '' } })), 400, {
      field: 'logo.base64',
    });
    expectProblem(await admin('GET', `/enti/${X}`), 404);
  });
});

describe('payment types', () => {
  const E = cf('0500000001');
  const F = cf('0500000002');

  beforeAll(async () => {
    await createEnte(E);
    await createEnte(F);
  });

  it('creates a payment type with its defaults', async () => {
    const pt = await createPaymentType(E, 'TARI');
    expect(pt).toEqual({
      enteCodiceFiscale: E,
      codiceVersamento: 'TARI',
      descrizione: 'Tipo TARI',
      iban: IBAN,
      ibanPostale: null,
      ibanAppoggio: null,
      transferCategory: '9/0101108TS/',
      spontaneousAllowed: false,
      marcaDaBollo: false,
      multiBeneficiary: false,
      validFrom: null,
      validTo: null,
      active: true,
    });
    expect((await admin('GET', `/enti/${E}/payment-types/TARI`)).json()).toEqual(pt);
  });

  it('lists the payment types of one ente, by code', async () => {
    await createPaymentType(E, 'BIBL', {
      spontaneousAllowed: true,
      validFrom: '2026-01-01',
      validTo: '2026-12-31',
    });
    await createPaymentType(F, 'MENS');
    const res = await admin('GET', `/enti/${E}/payment-types`);
    expect(res.statusCode).toBe(200);
    expect(res.json().map((p: { codiceVersamento: string }) => p.codiceVersamento)).toEqual(['BIBL', 'TARI']);
    expect(res.json()[0]).toMatchObject({
      spontaneousAllowed: true,
      validFrom: '2026-01-01',
      validTo: '2026-12-31',
    });
    expect(
      (await admin('GET', `/enti/${F}/payment-types`))
        .json()
        .map((p: { codiceVersamento: string }) => p.codiceVersamento),
    ).toEqual(['MENS']);
  });

  it('refuses a duplicate code in the same ente with 409, and accepts it in another ente', async () => {
    expectProblem(
      await admin('POST', `/enti/${E}/payment-types`, paymentType('TARI', { descrizione: 'Altro' })),
      409,
      { code: 'PAYMENT_TYPE_EXISTS', field: 'codiceVersamento' },
    );
    expect((await admin('GET', `/enti/${E}/payment-types/TARI`)).json().descrizione).toBe('Tipo TARI');
    await createPaymentType(F, 'TARI');
  });

  it.each(['ABC', 'ABCDE', 'AB-C', 'AB C', ''])('refuses the code %j: 4 letters or digits', async (code) => {
    expectProblem(await admin('POST', `/enti/${E}/payment-types`, paymentType(code)), 400, {
      code: 'VALIDATION',
      field: 'codiceVersamento',
    });
  });

  it('requires an IBAN (bancario or postale) unless the payment type is the marca da bollo', async () => {
    const body = expectProblem(
      await admin('POST', `/enti/${E}/payment-types`, paymentType('NOIB', { iban: undefined })),
      400,
      { code: 'ORG_INVALID', field: 'iban' },
    );
    expect(body.detail).toMatch(/IBAN/);
    expectProblem(await admin('POST', `/enti/${E}/payment-types`, paymentType('NOIB', { iban: null })), 400, {
      field: 'iban',
    });
    expectProblem(await admin('GET', `/enti/${E}/payment-types/NOIB`), 404, {
      code: 'PAYMENT_TYPE_NOT_FOUND',
    });
    expect((await createPaymentType(E, 'BOLL', { iban: undefined, marcaDaBollo: true })).marcaDaBollo).toBe(
      true,
    );
    expect((await createPaymentType(E, 'POST', { iban: undefined, ibanPostale: IBAN_2 })).ibanPostale).toBe(
      IBAN_2,
    );
  });

  it('refuses an invalid IBAN', async () => {
    expectProblem(
      await admin(
        'POST',
        `/enti/${E}/payment-types`,
        paymentType('BADI', { iban: 'IT60X0542811101000000123457' }),
      ),
      400,
      { field: 'iban' },
    );
    expectProblem(
      await admin('POST', `/enti/${E}/payment-types`, paymentType('BADI', { ibanAppoggio: 'XX' })),
      400,
      { field: 'ibanAppoggio' },
    );
  });

  it.each([
    ['9/0101108TS/', true],
    ['0/0201133IM/', true],
    ['1/ABC', true],
    ['0101108TS', false],
    ['3/0101108TS/', false],
    ['9/ab', false],
    ['9/0101 108TS/', false],
    ['', false],
  ] as const)('checks the pagoPA taxonomy %j (valid: %s)', async (transferCategory, ok) => {
    const code = `T${String(Math.abs(hash(transferCategory)) % 1000).padStart(3, '0')}`;
    const res = await admin('POST', `/enti/${F}/payment-types`, paymentType(code, { transferCategory }));
    if (ok) expect(res.statusCode, res.body).toBe(201);
    else expectProblem(res, 400, { field: 'transferCategory' });
  });

  it('refuses validity dates in the wrong order', async () => {
    expectProblem(
      await admin(
        'POST',
        `/enti/${E}/payment-types`,
        paymentType('DATE', { validFrom: '2026-02-01', validTo: '2026-01-31' }),
      ),
      400,
      { field: 'validFrom' },
    );
    expectProblem(
      await admin('POST', `/enti/${E}/payment-types`, paymentType('DATE', { validFrom: '01/02/2026' })),
      400,
      { field: 'validFrom' },
    );
    // dates that do not exist are a 400 too, not an error of the database
    for (const bad of ['2026-02-30', '2027-02-29', '2026-13-01', '0000-01-01']) {
      expectProblem(
        await admin('POST', `/enti/${E}/payment-types`, paymentType('DATE', { validTo: bad })),
        400,
        { code: 'VALIDATION', field: 'validTo' },
      );
    }
    expectProblem(await admin('PATCH', `/enti/${E}/payment-types/BIBL`, { validFrom: '2026-04-31' }), 400, {
      field: 'validFrom',
    });
    expectProblem(await admin('GET', `/enti/${E}/payment-types/DATE`), 404);
    expect((await createPaymentType(E, 'LEAP', { validFrom: '2028-02-29' })).validFrom).toBe('2028-02-29');
  });

  it('patches a payment type, checking the result as a whole', async () => {
    const res = await admin('PATCH', `/enti/${E}/payment-types/TARI`, {
      descrizione: 'Tassa rifiuti',
      ibanPostale: IBAN_2,
      spontaneousAllowed: true,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      codiceVersamento: 'TARI',
      descrizione: 'Tassa rifiuti',
      iban: IBAN,
      ibanPostale: IBAN_2,
      spontaneousAllowed: true,
    });
    // with the postal IBAN in place the bank IBAN may go
    expect((await admin('PATCH', `/enti/${E}/payment-types/TARI`, { iban: null })).json()).toMatchObject({
      iban: null,
      ibanPostale: IBAN_2,
    });
    // but not both
    expectProblem(await admin('PATCH', `/enti/${E}/payment-types/TARI`, { ibanPostale: null }), 400, {
      code: 'ORG_INVALID',
      field: 'iban',
    });
    expectProblem(
      await admin('PATCH', `/enti/${E}/payment-types/TARI`, {
        validFrom: '2027-01-01',
        validTo: '2026-01-01',
      }),
      400,
      { field: 'validFrom' },
    );
    expectProblem(await admin('PATCH', `/enti/${E}/payment-types/BIBL`, { validFrom: '2027-01-01' }), 400, {
      field: 'validFrom',
    });
    expectProblem(await admin('PATCH', `/enti/${E}/payment-types/TARI`, { codiceVersamento: 'TAR2' }), 400, {
      code: 'VALIDATION',
    });
    expectProblem(await admin('PATCH', `/enti/${E}/payment-types/TARI`, { transferCategory: 'x' }), 400, {
      field: 'transferCategory',
    });
    expect((await admin('GET', `/enti/${E}/payment-types/TARI`)).json()).toMatchObject({
      iban: null,
      ibanPostale: IBAN_2,
      validFrom: null,
      transferCategory: '9/0101108TS/',
    });
  });

  it('answers 404 for an unknown ente or payment type', async () => {
    expectProblem(await admin('POST', `/enti/${cf('0500000003')}/payment-types`, paymentType('TARI')), 404, {
      code: 'ENTE_NOT_FOUND',
    });
    expectProblem(await admin('GET', `/enti/${cf('0500000003')}/payment-types`), 404, {
      code: 'ENTE_NOT_FOUND',
    });
    expectProblem(await admin('GET', `/enti/${E}/payment-types/ZZZZ`), 404, {
      code: 'PAYMENT_TYPE_NOT_FOUND',
    });
    expectProblem(await admin('PATCH', `/enti/${E}/payment-types/ZZZZ`, { descrizione: 'x' }), 404, {
      code: 'PAYMENT_TYPE_NOT_FOUND',
    });
  });
});

function hash(s: string): number {
  let h = 7;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return h;
}

describe('applications', () => {
  const E = cf('0600000001');
  const STATUS_SCOPES = ['CREAZIONE_IUV', 'RICHIESTA_STATO_POS_DEB'];

  beforeAll(async () => {
    await createEnte(E, { codiceSegregazione: '07' });
    await createPaymentType(E, 'TARI');
    await createPaymentType(E, 'BIBL');
  });

  function application(codiceChiamante: string, overrides: Record<string, unknown> = {}) {
    return {
      codiceChiamante,
      descrizione: `Gestionale ${codiceChiamante}`,
      scopes: STATUS_SCOPES,
      paymentTypes: [{ ente: E, codiceVersamento: 'TARI' }],
      ...overrides,
    };
  }

  async function passphraseEnc(codiceChiamante: string): Promise<string> {
    const r = await t.c.db.executeSql('select passphrase_enc from application where codice_chiamante = $1', [
      codiceChiamante,
    ]);
    return r.rows[0].passphrase_enc;
  }

  /** Secrets must never appear in what the admin API shows of an application. */
  function expectNoSecrets(view: unknown, ...secrets: string[]) {
    const text = JSON.stringify(view);
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).not.toMatch(/"v1\.[A-Za-z0-9_-]+\./); // SecretBox ciphertexts
    expect(text).not.toMatch(/"(passphrase|passphraseEnc|password|passwordEnc)"/);
  }

  it('creates an application with a generated passphrase, returned once', async () => {
    const res = await admin(
      'POST',
      '/applications',
      application('GEN_01', { returnUrl: 'https://gestionale.example.org/ritorno' }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(created.passphrase).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(created).toMatchObject({
      codiceChiamante: 'GEN_01',
      descrizione: 'Gestionale GEN_01',
      returnUrl: 'https://gestionale.example.org/ritorno',
      scopes: STATUS_SCOPES,
      paymentTypes: [{ ente: E, codiceVersamento: 'TARI' }],
      pageEmail: true,
      pagePrivacy: true,
      pageCaptcha: true,
      digestSeparator: 'any',
      returnDigestMode: 'echo',
      validFrom: null,
      validTo: null,
      active: true,
      endpoints: [],
    });
    const got = await admin('GET', '/applications/GEN_01');
    expect(got.statusCode).toBe(200);
    const { passphrase, ...view } = created;
    expect(got.json()).toEqual(view);
    expectNoSecrets(got.json(), passphrase);
    const list = await admin('GET', '/applications');
    expect(list.json().map((a: { codiceChiamante: string }) => a.codiceChiamante)).toContain('GEN_01');
    expectNoSecrets(list.json(), passphrase);
    // stored encrypted, and it is the passphrase returned
    const enc = await passphraseEnc('GEN_01');
    expect(enc).not.toBe(passphrase);
    expect(enc).not.toContain(passphrase);
    expect(t.c.secrets.decrypt(enc)).toBe(passphrase);
  });

  it('generates a different passphrase for every application', async () => {
    const a = (await admin('POST', '/applications', application('GEN_02'))).json().passphrase;
    const b = (await admin('POST', '/applications', application('GEN_03'))).json().passphrase;
    expect(a).toBeTruthy();
    expect(a).not.toBe(b);
  });

  it('creates an application with a given passphrase, not echoing it', async () => {
    const res = await admin(
      'POST',
      '/applications',
      application('GIVEN_01', { passphrase: '1www%$se1ver£$APP' }),
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).not.toHaveProperty('passphrase');
    expectNoSecrets(res.json(), '1www%$se1ver£$APP');
    const enc = await passphraseEnc('GIVEN_01');
    expect(enc).not.toContain('1www%$se1ver£$APP');
    expect(t.c.secrets.decrypt(enc)).toBe('1www%$se1ver£$APP');
  });

  it('refuses a duplicate application with 409', async () => {
    expectProblem(
      await admin('POST', '/applications', application('GIVEN_01', { passphrase: 'another-passphrase' })),
      409,
      { code: 'APP_EXISTS', field: 'codiceChiamante' },
    );
    expect(t.c.secrets.decrypt(await passphraseEnc('GIVEN_01'))).toBe('1www%$se1ver£$APP');
  });

  it.each([
    ['a short passphrase', { passphrase: 'short' }, 'passphrase'],
    ['a bad codiceChiamante', { codiceChiamante: 'has space' }, 'codiceChiamante'],
    ['an unknown scope', { scopes: ['CREAZIONE_IUV', 'TUTTO'] }, 'scopes[1]'],
    [
      'a malformed payment type reference',
      { paymentTypes: [{ ente: E, codiceVersamento: 'TOOLONG' }] },
      'paymentTypes[0].codiceVersamento',
    ],
    ['an unknown digest separator', { digestSeparator: '%%' }, 'digestSeparator'],
  ] as [string, Record<string, unknown>, string][])(
    'refuses %s with 400 naming the field',
    async (_what, overrides, field) => {
      const code = (overrides.codiceChiamante as string | undefined) ?? 'BAD_01';
      const body = expectProblem(await admin('POST', '/applications', application(code, overrides)), 400, {
        code: 'VALIDATION',
        field,
      });
      expect(body.detail).toContain(field);
      expectProblem(await admin('GET', '/applications/BAD_01'), 404, { code: 'APP_NOT_FOUND' });
    },
  );

  it.each([
    'https://gestionale.example.org/ritorno?esito=1',
    'https://gestionale.example.org/ritorno?',
    'https://gestionale.example.org/a&b',
    'https://gestionale.example.org/ritorno#x',
    '/ritorno',
    'ftp://gestionale.example.org/ritorno',
  ])('refuses the return URL %j, creating nothing', async (returnUrl) => {
    expectProblem(await admin('POST', '/applications', application('URL_01', { returnUrl })), 400, {
      code: 'APP_INVALID',
      field: 'returnUrl',
    });
    expectProblem(await admin('GET', '/applications/URL_01'), 404);
  });

  it('checks the validity dates of an application', async () => {
    expectProblem(
      await admin('POST', '/applications', application('DATES_01', { validFrom: '2026-02-30' })),
      400,
      { code: 'VALIDATION', field: 'validFrom' },
    );
    expectProblem(
      await admin('POST', '/applications', application('DATES_01', { validTo: '2026-13-01' })),
      400,
      { code: 'VALIDATION', field: 'validTo' },
    );
    expectProblem(
      await admin(
        'POST',
        '/applications',
        application('DATES_01', { validFrom: '2027-01-01', validTo: '2026-12-31' }),
      ),
      400,
      { code: 'APP_INVALID', field: 'validFrom' },
    );
    expectProblem(await admin('GET', '/applications/DATES_01'), 404);
    const ok = await admin(
      'POST',
      '/applications',
      application('DATES_01', { validFrom: '2026-01-01', validTo: '2026-12-31' }),
    );
    expect(ok.statusCode, ok.body).toBe(201);
    // a patch is checked against the dates already stored
    expectProblem(await admin('PATCH', '/applications/DATES_01', { validFrom: '2027-01-01' }), 400, {
      code: 'APP_INVALID',
      field: 'validFrom',
    });
    expectProblem(await admin('PATCH', '/applications/DATES_01', { validTo: '2025-12-31' }), 400, {
      code: 'APP_INVALID',
      field: 'validFrom',
    });
    expect(
      (await admin('PATCH', '/applications/DATES_01', { validFrom: '2027-01-01', validTo: null })).json(),
    ).toMatchObject({ validFrom: '2027-01-01', validTo: null });
  });

  it('accepts an http return URL outside production', async () => {
    const res = await admin(
      'POST',
      '/applications',
      application('URL_02', { returnUrl: 'http://localhost:3000/ritorno' }),
    );
    expect(res.statusCode, res.body).toBe(201);
  });

  it('refuses an unknown authorised payment type with 400, creating nothing', async () => {
    const body = expectProblem(
      await admin(
        'POST',
        '/applications',
        application('PT_01', {
          paymentTypes: [
            { ente: E, codiceVersamento: 'TARI' },
            { ente: E, codiceVersamento: 'ZZZZ' },
          ],
        }),
      ),
      400,
      { code: 'APP_INVALID', field: 'paymentTypes[1]' },
    );
    expect(body.detail).toContain('ZZZZ');
    expectProblem(
      await admin(
        'POST',
        '/applications',
        application('PT_01', { paymentTypes: [{ ente: cf('0600000009'), codiceVersamento: 'TARI' }] }),
      ),
      400,
      { field: 'paymentTypes[0]' },
    );
    expectProblem(await admin('GET', '/applications/PT_01'), 404);
    const r = await t.c.db.executeSql(
      'select count(*)::int as n from application where codice_chiamante = $1',
      ['PT_01'],
    );
    expect(r.rows[0].n).toBe(0);
  });

  it('authorises several payment types, listing each once', async () => {
    const res = await admin(
      'POST',
      '/applications',
      application('PT_02', {
        paymentTypes: [
          { ente: E, codiceVersamento: 'TARI' },
          { ente: E, codiceVersamento: 'BIBL' },
          { ente: E, codiceVersamento: 'TARI' },
        ],
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().paymentTypes).toEqual([
      { ente: E, codiceVersamento: 'BIBL' },
      { ente: E, codiceVersamento: 'TARI' },
    ]);
  });

  it('stores endpoints with credentials, showing hasPassword but never the password', async () => {
    const secret = 'endpoint-secret-£-0001';
    const res = await admin(
      'POST',
      '/applications',
      application('EP_01', {
        passphrase: 'ep-01-passphrase',
        endpoints: [
          {
            kind: 'TRASMETTI_NOTIFICHE_PAGAMENTO',
            url: 'https://gestionale.example.org/notifiche',
            username: 'cassa',
            password: secret,
          },
          {
            kind: 'TRASMETTI_RT',
            paymentType: { ente: E, codiceVersamento: 'TARI' },
            url: 'https://gestionale.example.org/rt',
          },
        ],
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const expected = [
      {
        kind: 'TRASMETTI_NOTIFICHE_PAGAMENTO',
        paymentType: null,
        url: 'https://gestionale.example.org/notifiche',
        username: 'cassa',
        hasPassword: true,
      },
      {
        kind: 'TRASMETTI_RT',
        paymentType: { ente: E, codiceVersamento: 'TARI' },
        url: 'https://gestionale.example.org/rt',
        username: null,
        hasPassword: false,
      },
    ];
    expect(res.json().endpoints).toEqual(expected);
    expectNoSecrets(res.json(), secret);
    const got = await admin('GET', '/applications/EP_01');
    expect(got.json().endpoints).toEqual(expected);
    expectNoSecrets(got.json(), secret);
    expectNoSecrets((await admin('GET', '/applications')).json(), secret);
    const r = await t.c.db.executeSql(
      "select e.password_enc from application_endpoint e join application a on a.id = e.application_id where a.codice_chiamante = 'EP_01' and e.password_enc is not null",
    );
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0].password_enc).not.toContain(secret);
    expect(t.c.secrets.decrypt(r.rows[0].password_enc)).toBe(secret);
  });

  it('refuses bad endpoints', async () => {
    expectProblem(
      await admin(
        'POST',
        '/applications',
        application('EP_02', { endpoints: [{ kind: 'TRASMETTI_RT', url: 'not a url' }] }),
      ),
      400,
      { field: 'endpoints[0].url' },
    );
    expectProblem(
      await admin(
        'POST',
        '/applications',
        application('EP_02', { endpoints: [{ kind: 'ALTRO', url: 'https://x.example.org/' }] }),
      ),
      400,
      { field: 'endpoints[0].kind' },
    );
    expectProblem(
      await admin(
        'POST',
        '/applications',
        application('EP_02', {
          endpoints: [
            { kind: 'TRASMETTI_RT', url: 'https://x.example.org/a' },
            { kind: 'TRASMETTI_RT', url: 'https://x.example.org/b' },
          ],
        }),
      ),
      400,
      { field: 'endpoints[1]' },
    );
    expectProblem(
      await admin(
        'POST',
        '/applications',
        application('EP_02', {
          endpoints: [
            {
              kind: 'TRASMETTI_RT',
              paymentType: { ente: E, codiceVersamento: 'ZZZZ' },
              url: 'https://x.example.org/a',
            },
          ],
        }),
      ),
      400,
      { code: 'APP_INVALID' },
    );
    expectProblem(await admin('GET', '/applications/EP_02'), 404);
  });

  it('patches an application: plain fields, scopes, payment types and endpoints', async () => {
    const res = await admin('PATCH', '/applications/EP_01', {
      descrizione: 'Nuova descrizione',
      returnUrl: 'https://gestionale.example.org/nuovo',
      scopes: ['RICHIESTA_STATO_POS_DEB'],
      paymentTypes: [{ ente: E, codiceVersamento: 'BIBL' }],
      pageCaptcha: false,
      validTo: '2099-12-31',
      endpoints: [
        {
          kind: 'TRASMETTI_AVVISI_SCADUTI',
          url: 'https://gestionale.example.org/scaduti',
          username: 'u2',
          password: 'pw-2-secret',
        },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const expected = {
      codiceChiamante: 'EP_01',
      descrizione: 'Nuova descrizione',
      returnUrl: 'https://gestionale.example.org/nuovo',
      scopes: ['RICHIESTA_STATO_POS_DEB'],
      paymentTypes: [{ ente: E, codiceVersamento: 'BIBL' }],
      pageCaptcha: false,
      pageEmail: true,
      validTo: '2099-12-31',
      endpoints: [
        {
          kind: 'TRASMETTI_AVVISI_SCADUTI',
          paymentType: null,
          url: 'https://gestionale.example.org/scaduti',
          username: 'u2',
          hasPassword: true,
        },
      ],
    };
    expect(res.json()).toMatchObject(expected);
    expect((await admin('GET', '/applications/EP_01')).json()).toMatchObject(expected);
    expectNoSecrets(res.json(), 'pw-2-secret');
    // a patch that does not mention them keeps payment types and endpoints
    const kept = await admin('PATCH', '/applications/EP_01', { active: false });
    expect(kept.json()).toMatchObject({
      active: false,
      paymentTypes: [{ ente: E, codiceVersamento: 'BIBL' }],
      endpoints: [{ kind: 'TRASMETTI_AVVISI_SCADUTI', hasPassword: true }],
    });
    // endpoints resent without their password keep the stored one; null removes it
    const resent = await admin('PATCH', '/applications/EP_01', {
      endpoints: [
        { kind: 'TRASMETTI_AVVISI_SCADUTI', url: 'https://gestionale.example.org/scaduti2', username: 'u2' },
      ],
    });
    expect(resent.json().endpoints).toEqual([
      expect.objectContaining({ url: 'https://gestionale.example.org/scaduti2', hasPassword: true }),
    ]);
    const cleared = await admin('PATCH', '/applications/EP_01', {
      endpoints: [
        { kind: 'TRASMETTI_AVVISI_SCADUTI', url: 'https://gestionale.example.org/scaduti2', password: null },
      ],
    });
    expect(cleared.json().endpoints).toEqual([expect.objectContaining({ hasPassword: false })]);
  });

  it('refuses an invalid patch, leaving the application as it was', async () => {
    const before = (await admin('GET', '/applications/EP_01')).json();
    expectProblem(
      await admin('PATCH', '/applications/EP_01', { returnUrl: 'https://gestionale.example.org/x?y=1' }),
      400,
      { code: 'APP_INVALID', field: 'returnUrl' },
    );
    expectProblem(
      await admin('PATCH', '/applications/EP_01', {
        paymentTypes: [{ ente: E, codiceVersamento: 'ZZZZ' }],
        descrizione: 'changed',
      }),
      400,
      { field: 'paymentTypes[0]' },
    );
    expectProblem(await admin('PATCH', '/applications/EP_01', { passphrase: 'a-new-passphrase' }), 400, {
      code: 'VALIDATION',
    });
    expectProblem(await admin('PATCH', '/applications/EP_01', { codiceChiamante: 'EP_99' }), 400, {
      code: 'VALIDATION',
    });
    expectProblem(await admin('PATCH', '/applications/EP_01', { scopes: ['NIENTE'] }), 400, {
      field: 'scopes[0]',
    });
    expect((await admin('GET', '/applications/EP_01')).json()).toEqual(before);
    expectProblem(await admin('PATCH', '/applications/NOBODY', { descrizione: 'x' }), 404, {
      code: 'APP_NOT_FOUND',
    });
    expectProblem(await admin('GET', '/applications/NOBODY'), 404, { code: 'APP_NOT_FOUND' });
  });

  describe('passphrase rotation, as the epayapi sees it', () => {
    let iuv: string;
    let first: string;
    const statusUrl = () =>
      `/epayapi/api/v1/organizations/${E}/paymenttypes/TARI/debtpositions/${iuv}/status`;
    const status = (passphrase: string) =>
      t.app.inject({
        method: 'GET',
        url: statusUrl(),
        headers: { authorization: basic('ROT_01', passphrase) },
      });

    beforeAll(async () => {
      const created = await admin('POST', '/applications', application('ROT_01'));
      expect(created.statusCode, created.body).toBe(201);
      first = created.json().passphrase;
      const pos = await t.app.inject({
        method: 'POST',
        url: `/epayapi/api/v1/organizations/${E}/paymenttypes/TARI/debtpositions`,
        headers: { authorization: basic('ROT_01', first) },
        payload: {
          causale: 'Tassa rifiuti 2026',
          importo: 120,
          codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
          nome: 'Pino',
          cognome: 'Test',
        },
      });
      expect(pos.statusCode, pos.body).toBe(201);
      iuv = pos.json().iuv;
      expect(iuv).toMatch(/^07\d{15}$/);
    });

    it('the generated passphrase works on the epayapi', async () => {
      const res = await status(first);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ code: '1' });
      expect((await status(`${first}x`)).statusCode).toBe(401);
    });

    it('a rotation without a body generates a new passphrase; the old one is refused at once', async () => {
      const res = await admin('POST', '/applications/ROT_01/passphrase');
      expect(res.statusCode, res.body).toBe(200);
      const second = res.json().passphrase;
      expect(second).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(second).not.toBe(first);
      expect((await status(first)).statusCode).toBe(401);
      expect((await status(second)).statusCode).toBe(200);
      expect(t.c.secrets.decrypt(await passphraseEnc('ROT_01'))).toBe(second);
    });

    it('a rotation to a given passphrase answers without echoing it', async () => {
      const res = await admin('POST', '/applications/ROT_01/passphrase', {
        passphrase: 'la-nuova-passphrase-£',
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ rotated: true });
      expect((await status('la-nuova-passphrase-£')).statusCode).toBe(200);
      const enc = await passphraseEnc('ROT_01');
      expect(enc).not.toContain('la-nuova-passphrase');
      expect(t.c.secrets.decrypt(enc)).toBe('la-nuova-passphrase-£');
      expectNoSecrets((await admin('GET', '/applications/ROT_01')).json(), 'la-nuova-passphrase-£');
    });

    it('refuses a short passphrase and an unknown application, keeping the current passphrase', async () => {
      expectProblem(await admin('POST', '/applications/ROT_01/passphrase', { passphrase: 'short' }), 400, {
        field: 'passphrase',
      });
      expectProblem(await admin('POST', '/applications/NOBODY/passphrase'), 404, { code: 'APP_NOT_FOUND' });
      expect((await status('la-nuova-passphrase-£')).statusCode).toBe(200);
    });
  });
});

type AuditEvent = {
  id: number;
  at: string;
  interface: string;
  direction: string;
  operation: string;
  caller: string | null;
  enteFiscalCode: string | null;
  iuv: string | null;
  outcome: string;
  httpStatus: number | null;
  correlationId: string;
  detail: string | null;
  requestPayload: string | null;
  responsePayload: string | null;
};

async function auditPage(
  query: Record<string, string | number>,
): Promise<{ items: AuditEvent[]; nextBefore: number | null }> {
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  const res = await admin('GET', `/audit-events${qs ? `?${qs}` : ''}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function auditAll(query: Record<string, string | number> = {}): Promise<AuditEvent[]> {
  const all: AuditEvent[] = [];
  let before: number | null | undefined;
  do {
    const page = await auditPage({ ...query, limit: 500, ...(before ? { before } : {}) });
    all.push(...page.items);
    before = page.nextBefore;
  } while (before);
  return all;
}

async function byCorrelation(correlationId: string): Promise<AuditEvent> {
  const { items } = await auditPage({ correlationId });
  expect(items).toHaveLength(1);
  return items[0]!;
}

/** Waits until the wall clock has moved on by a few milliseconds (so that events before and after differ in time). */
async function clockTick(): Promise<void> {
  const start = Date.now();
  while (Date.now() < start + 5) await new Promise((r) => setTimeout(r, 2));
}

describe('audit journal', () => {
  const J = cf('0700000001');
  const K = cf('0700000002');
  let epayIuv: string;

  beforeAll(async () => {
    const res = await admin('POST', '/enti', ente(J, { codiceSegregazione: '03' }), {
      'x-correlation-id': 'jrn-create-ente-J',
    });
    expect(res.statusCode).toBe(201);
    await createEnte(K);
    await createPaymentType(J, 'TARI');
    const app = await admin(
      'POST',
      '/applications',
      {
        codiceChiamante: 'JRN_APP',
        descrizione: 'x',
        passphrase: 'jrn-passphrase-0001',
        scopes: ['CREAZIONE_IUV', 'RICHIESTA_STATO_POS_DEB'],
        paymentTypes: [{ ente: J, codiceVersamento: 'TARI' }],
      },
      { 'x-correlation-id': 'jrn-create-app-0001' },
    );
    expect(app.statusCode).toBe(201);
    const pos = await t.app.inject({
      method: 'POST',
      url: `/epayapi/api/v1/organizations/${J}/paymenttypes/TARI/debtpositions`,
      headers: {
        authorization: basic('JRN_APP', 'jrn-passphrase-0001'),
        'x-correlation-id': 'jrn-epay-create-0001',
      },
      payload: {
        causale: 'Tassa rifiuti',
        importo: 10,
        codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
        nome: 'Pino',
        cognome: 'Test',
      },
    });
    expect(pos.statusCode, pos.body).toBe(201);
    epayIuv = pos.json().iuv;
    const st = await t.app.inject({
      method: 'GET',
      url: `/epayapi/api/v1/organizations/${J}/paymenttypes/TARI/debtpositions/${epayIuv}/status`,
      headers: {
        authorization: basic('JRN_APP', 'jrn-passphrase-0001'),
        'x-correlation-id': 'jrn-epay-status-0001',
      },
    });
    expect(st.statusCode).toBe(200);
    // a failed admin mutation and an unauthenticated one
    expect(
      (await admin('POST', '/enti', ente(J), { 'x-correlation-id': 'jrn-dup-ente-0001' })).statusCode,
    ).toBe(409);
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: `${ADMIN}/enti/${K}`,
          headers: { 'x-correlation-id': 'jrn-unauth-0001' },
          payload: { denominazione: 'x' },
        })
      ).statusCode,
    ).toBe(401);
  });

  it('keeps every character of what it records, nulls as nulls, whatever the batch size', async () => {
    const awkward = [
      'NULL',
      '',
      'a,b',
      '{x}',
      '"quoted"',
      'back\\slash',
      "it's",
      'è € £ 🔑',
      'line\nbreak',
      ' spaced ',
    ];
    const at = new Date('2026-03-01T10:00:00.123Z');
    awkward.forEach((v, i) =>
      t.c.audit.record({
        at,
        interface: 'test',
        direction: i % 2 ? 'OUT' : 'IN',
        operation: `op-${v}`,
        caller: v,
        iuv: null,
        outcome: v || 'x',
        httpStatus: i % 3 ? i : null,
        durationMs: i,
        correlationId: `awkward-${i}-0000`,
        detail: v,
        requestPayload: v,
        responsePayload: null,
      }),
    );
    await t.c.audit.flush();
    for (const [i, v] of awkward.entries()) {
      const e = await byCorrelation(`awkward-${i}-0000`);
      expect(e).toMatchObject({
        interface: 'test',
        direction: i % 2 ? 'OUT' : 'IN',
        operation: `op-${v}`,
        caller: v,
        iuv: null,
        outcome: v || 'x',
        httpStatus: i % 3 ? i : null,
        durationMs: i,
        detail: v,
        requestPayload: v,
        responsePayload: null,
      });
      expect(e.at).toBe(at.toISOString());
    }
  });

  it('journals admin mutations with interface admin', async () => {
    const e = await byCorrelation('jrn-create-ente-J');
    expect(e).toMatchObject({
      interface: 'admin',
      direction: 'IN',
      operation: 'createEnte',
      caller: 'admin',
      enteFiscalCode: J,
      outcome: '201',
      httpStatus: 201,
      correlationId: 'jrn-create-ente-J',
    });
    expect(e.requestPayload).toContain(J);
    expect(new Date(e.at).toISOString()).toBe(e.at);
    expect(await byCorrelation('jrn-dup-ente-0001')).toMatchObject({
      interface: 'admin',
      operation: 'createEnte',
      outcome: 'ENTE_EXISTS',
      httpStatus: 409,
      enteFiscalCode: J,
    });
    expect(await byCorrelation('jrn-unauth-0001')).toMatchObject({
      interface: 'admin',
      operation: 'updateEnte',
      outcome: 'UNAUTHORIZED',
      httpStatus: 401,
    });
    const ops = new Set((await auditAll({ interface: 'admin' })).map((x) => x.operation));
    for (const op of [
      'createEnte',
      'updateEnte',
      'createPaymentType',
      'updatePaymentType',
      'createApplication',
      'updateApplication',
      'rotatePassphrase',
    ])
      expect(ops).toContain(op);
  });

  it('never journals passphrases or passwords in clear', async () => {
    const e = await byCorrelation('jrn-create-app-0001');
    expect(e).toMatchObject({
      interface: 'admin',
      operation: 'createApplication',
      detail: 'JRN_APP',
      outcome: '201',
    });
    expect(e.requestPayload).toContain('"passphrase":"***"');
    expect(e.requestPayload).not.toContain('jrn-passphrase-0001');
    const all = JSON.stringify(await auditAll());
    for (const secret of [
      'jrn-passphrase-0001',
      '1www%$se1ver£$APP',
      'la-nuova-passphrase',
      'endpoint-secret-£-0001',
      'pw-2-secret',
    ])
      expect(all).not.toContain(secret);
    // generated passphrases, returned in the responses, are masked too
    const generated = await auditAll({ operation: 'rotatePassphrase' });
    expect(generated.length).toBeGreaterThan(0);
    for (const g of generated) expect(g.responsePayload ?? '').not.toMatch(/"passphrase":"(?!\*\*\*")/);
    for (const g of await auditAll({ operation: 'createApplication' }))
      expect(g.responsePayload ?? '').not.toMatch(/"passphrase":"(?!\*\*\*")/);
  });

  it.each([
    [
      'interface',
      'epayapi',
      (e: AuditEvent) => e.interface === 'epayapi',
      'jrn-epay-status-0001',
      'jrn-create-ente-J',
    ],
    [
      'interface',
      'admin',
      (e: AuditEvent) => e.interface === 'admin',
      'jrn-create-ente-J',
      'jrn-epay-status-0001',
    ],
    [
      'operation',
      'createEnte',
      (e: AuditEvent) => e.operation === 'createEnte',
      'jrn-dup-ente-0001',
      'jrn-create-app-0001',
    ],
    [
      'operation',
      'getDebtPositionStatus',
      (e: AuditEvent) => e.operation === 'getDebtPositionStatus',
      'jrn-epay-status-0001',
      'jrn-epay-create-0001',
    ],
    [
      'caller',
      'JRN_APP',
      (e: AuditEvent) => e.caller === 'JRN_APP',
      'jrn-epay-create-0001',
      'jrn-create-ente-J',
    ],
    [
      'ente',
      '__J__',
      (e: AuditEvent) => e.enteFiscalCode === J,
      'jrn-epay-status-0001',
      'jrn-create-app-0001',
    ],
    [
      'outcome',
      'UNAUTHORIZED',
      (e: AuditEvent) => e.outcome === 'UNAUTHORIZED',
      'jrn-unauth-0001',
      'jrn-dup-ente-0001',
    ],
    [
      'outcome',
      'ENTE_EXISTS',
      (e: AuditEvent) => e.outcome === 'ENTE_EXISTS',
      'jrn-dup-ente-0001',
      'jrn-create-ente-J',
    ],
    [
      'correlationId',
      'jrn-epay-create-0001',
      (e: AuditEvent) => e.correlationId === 'jrn-epay-create-0001',
      'jrn-epay-create-0001',
      'jrn-epay-status-0001',
    ],
  ] as [string, string, (e: AuditEvent) => boolean, string, string][])(
    'filters by %s=%s',
    async (name, raw, matches, included, excluded) => {
      const value = raw === '__J__' ? J : raw;
      // reading the journal is itself journaled: compare with a snapshot taken first
      const whole = await auditAll();
      const last = whole[0]!.id;
      const filtered = await auditAll({ [name]: value });
      expect(filtered.length).toBeGreaterThan(0);
      expect(filtered.every(matches)).toBe(true);
      // exactly the events of the whole journal that match
      expect(filtered.filter((e) => e.id <= last).map((e) => e.id)).toEqual(
        whole.filter(matches).map((e) => e.id),
      );
      const ids = filtered.map((e) => e.correlationId);
      expect(ids).toContain(included);
      expect(ids).not.toContain(excluded);
    },
  );

  it('filters by iuv', async () => {
    const filtered = await auditAll({ iuv: epayIuv });
    expect(filtered.map((e) => e.correlationId).sort()).toEqual([
      'jrn-epay-create-0001',
      'jrn-epay-status-0001',
    ]);
    expect(filtered.every((e) => e.iuv === epayIuv && e.caller === 'JRN_APP' && e.enteFiscalCode === J)).toBe(
      true,
    );
  });

  it('combines filters', async () => {
    const filtered = await auditAll({
      interface: 'epayapi',
      caller: 'JRN_APP',
      operation: 'createDebtPosition',
      ente: J,
    });
    expect(filtered.map((e) => e.correlationId)).toEqual(['jrn-epay-create-0001']);
    expect(await auditPage({ interface: 'admin', iuv: epayIuv })).toEqual({ items: [], nextBefore: null });
    expect(await auditPage({ correlationId: 'nobody-ever-used-this' })).toEqual({
      items: [],
      nextBefore: null,
    });
  });

  it('filters by time with from and to (inclusive)', async () => {
    await clockTick();
    const early = await admin(
      'PATCH',
      `/enti/${K}`,
      { denominazione: 'prima' },
      { 'x-correlation-id': 'jrn-time-early' },
    );
    expect(early.statusCode).toBe(200);
    await clockTick();
    const cut = new Date();
    await clockTick();
    const late = await admin(
      'PATCH',
      `/enti/${K}`,
      { denominazione: 'dopo' },
      { 'x-correlation-id': 'jrn-time-late' },
    );
    expect(late.statusCode).toBe(200);

    const after = (await auditAll({ from: cut.toISOString() })).map((e) => e.correlationId);
    expect(after).toContain('jrn-time-late');
    expect(after).not.toContain('jrn-time-early');
    expect(after).not.toContain('jrn-create-ente-J');
    const before = (await auditAll({ to: cut.toISOString() })).map((e) => e.correlationId);
    expect(before).toContain('jrn-time-early');
    expect(before).toContain('jrn-create-ente-J');
    expect(before).not.toContain('jrn-time-late');

    const e = await byCorrelation('jrn-time-early');
    expect((await auditAll({ from: e.at, to: e.at })).map((x) => x.correlationId)).toContain(
      'jrn-time-early',
    );
    // the same instant written with an offset
    const rome = new Date(new Date(e.at).getTime() + 3_600_000).toISOString().replace('Z', '+01:00');
    expect((await auditAll({ from: rome, to: rome })).map((x) => x.correlationId)).toContain(
      'jrn-time-early',
    );
    expect(await auditPage({ from: '2999-01-01T00:00:00Z' })).toEqual({ items: [], nextBefore: null });
    expect(await auditPage({ to: '2000-01-01T00:00:00Z' })).toEqual({ items: [], nextBefore: null });
  });

  it('pages newest first with before = nextBefore, without duplicates or gaps', async () => {
    const P = cf('0700000003');
    await createEnte(P);
    const sent: string[] = [];
    for (let i = 1; i <= 25; i++) {
      const correlationId = `jrn-page-${String(i).padStart(4, '0')}`;
      const res = await admin(
        'PATCH',
        `/enti/${P}`,
        { denominazione: `Versione ${i}` },
        { 'x-correlation-id': correlationId },
      );
      expect(res.statusCode).toBe(200);
      sent.push(correlationId);
    }
    const filter = { operation: 'updateEnte', ente: P };
    const p1 = await auditPage({ ...filter, limit: 10 });
    expect(p1.items).toHaveLength(10);
    expect(p1.nextBefore).toBe(p1.items[9]!.id);
    const p2 = await auditPage({ ...filter, limit: 10, before: p1.nextBefore! });
    expect(p2.items).toHaveLength(10);
    expect(p2.nextBefore).toBe(p2.items[9]!.id);
    const p3 = await auditPage({ ...filter, limit: 10, before: p2.nextBefore! });
    expect(p3.items).toHaveLength(5);
    expect(p3.nextBefore).toBeNull();

    const all = [...p1.items, ...p2.items, ...p3.items];
    const ids = all.map((e) => e.id);
    expect(new Set(ids).size).toBe(25);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(all.map((e) => e.correlationId)).toEqual([...sent].reverse());
    expect(
      all.every((e) => e.interface === 'admin' && e.operation === 'updateEnte' && e.enteFiscalCode === P),
    ).toBe(true);
    // a full page of exactly the remaining events has no next page
    expect((await auditPage({ ...filter, limit: 5, before: p2.nextBefore! })).nextBefore).toBeNull();
    expect((await auditPage({ ...filter, limit: 25 })).nextBefore).toBeNull();
    expect((await auditPage({ ...filter, limit: 24 })).nextBefore).not.toBeNull();
  });

  it('uses a default page size and refuses bad query parameters with 400', async () => {
    expect((await auditAll()).length).toBeGreaterThan(50);
    const res = await auditPage({});
    expect(res.items).toHaveLength(50);
    expect(res.nextBefore).toBe(res.items[49]!.id);
    expectProblem(await admin('GET', '/audit-events?limit=0'), 400, { field: 'limit' });
    expectProblem(await admin('GET', '/audit-events?limit=501'), 400, { field: 'limit' });
    expectProblem(await admin('GET', '/audit-events?before=abc'), 400, { field: 'before' });
    expectProblem(await admin('GET', '/audit-events?from=yesterday'), 400, { field: 'from' });
    expectProblem(await admin('GET', '/audit-events?to=2026-01-01'), 400, { field: 'to' });
  });
});

describe('journaling of the admin API itself', () => {
  it('records failed authentications as unauthenticated, not as admin', async () => {
    await t.app.inject({
      method: 'GET',
      url: `${ADMIN}/enti`,
      headers: {
        authorization: 'Bearer wrong-token-wrong-token-wrong',
        'x-correlation-id': 'unauth-probe-0001',
      },
    });
    const [event] = (await admin('GET', '/audit-events?correlationId=unauth-probe-0001')).json().items;
    expect(event).toMatchObject({ interface: 'admin', caller: 'unauthenticated', httpStatus: 401 });
  });

  it('does not copy the journal into itself when it is read', async () => {
    await admin('GET', '/audit-events?limit=5', undefined, { 'x-correlation-id': 'journal-read-0001' });
    const [event] = (await admin('GET', '/audit-events?correlationId=journal-read-0001')).json().items;
    expect(event).toMatchObject({
      operation: 'queryAuditEvents',
      caller: 'admin',
      httpStatus: 200,
      responsePayload: null,
    });
  });
});
