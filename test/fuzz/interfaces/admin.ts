import { DEMO } from '../../../src/app/demo-seed.js';
import { ENDPOINT_KINDS, SCOPES } from '../../../src/modules/applications/domain/applications.js';
import { ADMIN_TOKEN } from '../../helpers/app.js';
import type { FuzzCase, Harness, InterfaceSpec } from '../harness.js';
import { mutateJsonBody } from '../json-request.js';
import { mutateQuery, mutateUrlComponent, pct, queryString, type Json } from '../mutate.js';
import { email, italianIban, numericFiscalCode, personName } from '../pii.js';
import type { Rng } from '../prng.js';
import { piiOfJson, type World } from '../setup.js';

/** The administration API: writes on its own ente / payment type / application, reads with hostile ids and filters. */

const ROOT = '/admin/api/v1';
const PII_KEYS: Record<string, string> = {
  email: 'email',
  pec: 'email',
  ibanBancario: 'iban',
  ibanPostale: 'iban',
  iban: 'iban',
  ibanAppoggio: 'iban',
  telefono: 'phone',
  passphrase: 'secret',
  password: 'secret',
};

interface Op {
  route: string;
  method: FuzzCase['method'];
  /** Path segments by name, and the path built from them. */
  segments: Record<string, string>;
  path: (s: Record<string, string>) => string;
  body?: Json;
  query?: [string, string][];
  queryNames?: string[];
}

const enc = (v: string) => pct(v);

function enteBody(rng: Rng): Record<string, Json> {
  const b: Record<string, Json> = {
    codiceFiscale: numericFiscalCode(rng),
    denominazione: `Comune di ${personName(rng)}`,
    codiceSegregazione: String(rng.range(10, 99)),
  };
  if (rng.chance(0.6)) b.ibanBancario = italianIban(rng);
  if (rng.chance(0.4)) b.ibanPostale = italianIban(rng);
  if (rng.chance(0.5)) b.email = email(rng);
  if (rng.chance(0.3)) b.pec = email(rng);
  if (rng.chance(0.3))
    Object.assign(b, {
      unitaOrganizzativa: 'Ufficio tributi',
      telefono: `+39 0131 ${rng.range(100000, 999999)}`,
      sitoWeb: 'https://comune.example.it',
      indirizzo: 'Piazza Grande',
      civico: '1',
      cap: '15121',
      localita: 'Alessandria',
      provincia: 'AL',
    });
  if (rng.chance(0.3))
    Object.assign(b, {
      applicationCode: '01',
      cbill: 'A1B2C',
      idBrokerPA: '80087670016',
      idStation: '80087670016_01',
      active: true,
    });
  if (rng.chance(0.1)) b.logo = { mime: 'image/png', base64: 'iVBORw0KGgo=' };
  return b;
}

function paymentTypeBody(rng: Rng): Record<string, Json> {
  const b: Record<string, Json> = {
    codiceVersamento: rng.chars('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789', 4),
    descrizione: 'Tipo di pagamento del fuzzer',
    iban: italianIban(rng),
    transferCategory: '9/0101108TS/',
  };
  if (rng.chance(0.3)) b.ibanPostale = italianIban(rng);
  if (rng.chance(0.2)) b.ibanAppoggio = italianIban(rng);
  if (rng.chance(0.3))
    Object.assign(b, {
      validFrom: '2026-01-01',
      validTo: '2099-12-31',
      spontaneousAllowed: true,
      marcaDaBollo: false,
      multiBeneficiary: false,
      active: true,
    });
  return b;
}

function applicationBody(rng: Rng, index: number, ente: string, pt: string): Record<string, Json> {
  const b: Record<string, Json> = {
    codiceChiamante: `FZ_${index}_${rng.chars('ABCDEFGHJK', 4)}`,
    descrizione: 'Gestionale del fuzzer',
    scopes: ['CREAZIONE_IUV', rng.pick(SCOPES)],
    paymentTypes: [{ ente, codiceVersamento: pt }],
  };
  if (rng.chance(0.6)) b.passphrase = `pass-${rng.chars('abcdefghijkmnpqrstuvwxyz23456789', 14)}`;
  if (rng.chance(0.4))
    Object.assign(b, {
      returnUrl: 'https://gestionale.example.it/ritorno',
      pageEmail: true,
      pagePrivacy: false,
      pageCaptcha: true,
      digestSeparator: rng.pick(['any', '%%%', '%%%%']),
      returnDigestMode: rng.pick(['echo', 'signed']),
    });
  if (rng.chance(0.3)) Object.assign(b, { validFrom: '2026-01-01', validTo: '2099-12-31', active: true });
  if (rng.chance(0.4))
    b.endpoints = [
      {
        kind: rng.pick(ENDPOINT_KINDS),
        url: 'https://gestionale.example.it/soap',
        username: `user-${rng.chars('abcdefgh', 5)}`,
        password: `pwd-${rng.chars('abcdefghijkmnpqrstuvwxyz23456789', 16)}`,
      },
    ];
  return b;
}

function pickOp(rng: Rng, index: number, world: World): Op {
  const { ente, paymentType, application } = world.admin;
  const p = rng.pick(world.pool);
  const kind = rng.weighted([
    [7, 'createEnte'],
    [10, 'patchEnte'],
    [8, 'createPaymentType'],
    [8, 'patchPaymentType'],
    [8, 'createApplication'],
    [9, 'patchApplication'],
    [3, 'rotatePassphrase'],
    [10, 'audit'],
    [7, 'receipts'],
    [6, 'deliveries'],
    [6, 'lists'],
    [4, 'getById'],
    [5, 'notifications'],
    [4, 'position'],
    [5, 'getEnti'],
    [2, 'replay'],
  ] as const);
  switch (kind) {
    case 'createEnte':
      return {
        route: `POST ${ROOT}/enti`,
        method: 'POST',
        segments: {},
        path: () => `${ROOT}/enti`,
        body: enteBody(rng),
      };
    case 'patchEnte': {
      const full = enteBody(rng);
      delete full.codiceFiscale;
      delete full.codiceSegregazione;
      return {
        route: `PATCH ${ROOT}/enti/:cf`,
        method: 'PATCH',
        segments: { cf: ente },
        path: (s) => `${ROOT}/enti/${s.cf}`,
        body: full,
      };
    }
    case 'createPaymentType':
      return {
        route: `POST ${ROOT}/enti/:cf/payment-types`,
        method: 'POST',
        segments: { cf: ente },
        path: (s) => `${ROOT}/enti/${s.cf}/payment-types`,
        body: paymentTypeBody(rng),
      };
    case 'patchPaymentType': {
      const b = paymentTypeBody(rng);
      delete b.codiceVersamento;
      return {
        route: `PATCH ${ROOT}/enti/:cf/payment-types/:code`,
        method: 'PATCH',
        segments: { cf: ente, code: paymentType },
        path: (s) => `${ROOT}/enti/${s.cf}/payment-types/${s.code}`,
        body: b,
      };
    }
    case 'createApplication':
      return {
        route: `POST ${ROOT}/applications`,
        method: 'POST',
        segments: {},
        path: () => `${ROOT}/applications`,
        body: applicationBody(rng, index, ente, paymentType),
      };
    case 'patchApplication': {
      const b = applicationBody(rng, index, ente, paymentType);
      delete b.codiceChiamante;
      delete b.passphrase;
      return {
        route: `PATCH ${ROOT}/applications/:codiceChiamante`,
        method: 'PATCH',
        segments: { codiceChiamante: application },
        path: (s) => `${ROOT}/applications/${s.codiceChiamante}`,
        body: b,
      };
    }
    case 'rotatePassphrase':
      return {
        route: `POST ${ROOT}/applications/:codiceChiamante/passphrase`,
        method: 'POST',
        segments: { codiceChiamante: application },
        path: (s) => `${ROOT}/applications/${s.codiceChiamante}/passphrase`,
        body: { passphrase: `rotated-${rng.chars('abcdefghijkmnpqrstuvwxyz23456789', 14)}` },
      };
    case 'audit':
      return {
        route: `GET ${ROOT}/audit-events`,
        method: 'GET',
        segments: {},
        path: () => `${ROOT}/audit-events`,
        query: rng.pick<[string, string][]>([
          [['limit', '5']],
          [
            ['interface', 'epayapi'],
            ['limit', '10'],
          ],
          [
            ['ente', DEMO.ente],
            ['from', enc('2026-01-01T00:00:00Z')],
          ],
          [
            ['caller', 'AP_01'],
            ['outcome', '000'],
          ],
          [
            ['iuv', p.iuv],
            ['before', '100'],
          ],
          [
            ['correlationId', 'fuzz-epayapi-1'],
            ['to', enc('2099-01-01T00:00:00+01:00')],
          ],
        ]),
        queryNames: [
          'interface',
          'operation',
          'caller',
          'ente',
          'iuv',
          'outcome',
          'correlationId',
          'from',
          'to',
          'before',
          'limit',
        ],
      };
    case 'receipts':
      return {
        route: `GET ${ROOT}/receipts`,
        method: 'GET',
        segments: {},
        path: () => `${ROOT}/receipts`,
        query: rng.pick<[string, string][]>([
          [['limit', '5']],
          [['ente', DEMO.ente]],
          [['iuv', DEMO.paid.iuv]],
          [['anomaly', 'true']],
          [
            ['anomaly', 'DOUBLE_PAYMENT'],
            ['before', '10'],
          ],
        ]),
        queryNames: ['iuv', 'ente', 'anomaly', 'before', 'limit'],
      };
    case 'deliveries':
      return {
        route: `GET ${ROOT}/deliveries`,
        method: 'GET',
        segments: {},
        path: () => `${ROOT}/deliveries`,
        query: rng.pick<[string, string][]>([
          [['limit', '5']],
          [['status', 'FAILING']],
          [
            ['ente', DEMO.ente],
            ['operation', 'TrasmettiNotifichePagamento'],
          ],
          [
            ['idMessaggio', 'MSG-1'],
            ['before', '10'],
          ],
        ]),
        queryNames: ['status', 'ente', 'operation', 'idMessaggio', 'before', 'limit'],
      };
    case 'lists':
      return {
        route: `GET ${ROOT}/lists`,
        method: 'GET',
        segments: {},
        path: () => `${ROOT}/lists`,
        query: rng.pick<[string, string][]>([
          [['limit', '5']],
          [['ente', DEMO.ente]],
          [
            ['status', 'DA_ELABORARE'],
            ['before', '10'],
          ],
        ]),
        queryNames: ['ente', 'status', 'before', 'limit'],
      };
    case 'getById': {
      const what = rng.pick(['receipts', 'receipts-xml', 'deliveries', 'lists'] as const);
      const path = (s: Record<string, string>) =>
        what === 'receipts-xml' ? `${ROOT}/receipts/${s.id}/xml` : `${ROOT}/${what}/${s.id}`;
      return {
        route: `GET ${ROOT}/${what === 'receipts-xml' ? 'receipts/:id/xml' : `${what}/:id`}`,
        method: 'GET',
        segments: { id: String(rng.range(1, 3)) },
        path,
      };
    }
    case 'notifications':
      return {
        route: `GET ${ROOT}/enti/:cf/notifications/:iuv`,
        method: 'GET',
        segments: { cf: DEMO.ente, iuv: rng.pick([DEMO.paid.iuv, p.iuv]) },
        path: (s) => `${ROOT}/enti/${s.cf}/notifications/${s.iuv}`,
      };
    case 'position':
      return {
        route: `GET ${ROOT}/enti/:cf/payment-types/:code/debt-positions/:iuv`,
        method: 'GET',
        segments: { cf: DEMO.ente, code: 'BIBL', iuv: p.iuv },
        path: (s) => `${ROOT}/enti/${s.cf}/payment-types/${s.code}/debt-positions/${s.iuv}`,
      };
    case 'getEnti': {
      const what = rng.pick([
        'enti',
        'ente',
        'logo',
        'payment-types',
        'payment-type',
        'applications',
        'application',
      ] as const);
      const paths: Record<typeof what, [string, (s: Record<string, string>) => string]> = {
        enti: ['enti', () => `${ROOT}/enti`],
        ente: ['enti/:cf', (s) => `${ROOT}/enti/${s.cf}`],
        logo: ['enti/:cf/logo', (s) => `${ROOT}/enti/${s.cf}/logo`],
        'payment-types': ['enti/:cf/payment-types', (s) => `${ROOT}/enti/${s.cf}/payment-types`],
        'payment-type': [
          'enti/:cf/payment-types/:code',
          (s) => `${ROOT}/enti/${s.cf}/payment-types/${s.code}`,
        ],
        applications: ['applications', () => `${ROOT}/applications`],
        application: ['applications/:codiceChiamante', (s) => `${ROOT}/applications/${s.codiceChiamante}`],
      };
      const [tpl, path] = paths[what];
      return {
        route: `GET ${ROOT}/${tpl}`,
        method: 'GET',
        segments: tpl.includes(':cf')
          ? { cf: DEMO.ente, ...(tpl.includes(':code') ? { code: 'BIBL' } : {}) }
          : tpl.includes(':codiceChiamante')
            ? { codiceChiamante: DEMO.codiceChiamante }
            : {},
        path,
      };
    }
    case 'replay':
      return rng.chance(0.5)
        ? {
            route: `POST ${ROOT}/deliveries/:id/replay`,
            method: 'POST',
            segments: { id: String(rng.range(1, 3)) },
            path: (s) => `${ROOT}/deliveries/${s.id}/replay`,
          }
        : {
            route: `POST ${ROOT}/deliveries/replay`,
            method: 'POST',
            segments: {},
            path: () => `${ROOT}/deliveries/replay`,
            query: [['status', 'FAILING']],
            queryNames: ['status'],
          };
  }
}

/** Bearer headers that stay legal in HTTP (no control characters): the token is compared, never stored. */
function mutateBearer(rng: Rng): { value: string | undefined; kind: string; describe: string } {
  const op = rng.pick(['missing', 'wrong', 'long', 'latin1', 'scheme', 'spaces', 'prefix', 'empty'] as const);
  const v: Record<typeof op, string | undefined> = {
    missing: undefined,
    wrong: `Bearer ${ADMIN_TOKEN.slice(0, -1)}x`,
    long: `Bearer ${'A'.repeat(rng.pick([100, 10_000]))}`,
    latin1: `Bearer ${ADMIN_TOKEN}\u00e0\u00ff`,
    scheme: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`,
    spaces: `Bearer    ${ADMIN_TOKEN}   `,
    prefix: `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`,
    empty: 'Bearer ',
  };
  return { value: v[op], kind: op, describe: `Authorization ${op}` };
}

export function adminSpec(world: World): InterfaceSpec {
  const auth = `Bearer ${ADMIN_TOKEN}`;
  return {
    name: 'admin',
    generate(rng: Rng, index: number): FuzzCase {
      const op = pickOp(rng, index, world);
      let segments = op.segments;
      let query = op.query ?? [];
      let authorization: string | undefined = auth;
      let payload: string | Buffer | undefined = op.body === undefined ? undefined : JSON.stringify(op.body);
      let contentType: string | undefined = op.body === undefined ? undefined : 'application/json';
      let mutation = 'valid';
      let describe = 'the valid request';
      const names = Object.keys(segments);
      const where = rng.weighted([
        [op.body === undefined ? 0 : 50, 'body'],
        [names.length === 0 ? 0 : 18, 'path'],
        [op.queryNames ? 35 : 4, 'query'],
        [6, 'auth'],
        [3, 'valid'],
      ] as const);
      if (where === 'body' && op.body !== undefined) {
        const m = mutateJsonBody(rng, op.body);
        payload = m.payload;
        contentType = m.contentType;
        mutation = m.kind;
        describe = m.describe;
      } else if (where === 'path') {
        const name = rng.pick(names);
        const m = mutateUrlComponent(rng, segments[name]!);
        segments = { ...segments, [name]: m.value };
        mutation = `path:${m.kind}`;
        describe = `path {${name}}: ${m.describe}`;
      } else if (where === 'query') {
        const m = mutateQuery(rng, query, op.queryNames ?? ['q']);
        query = m.value;
        mutation = `query:${m.kind}`;
        describe = `query ${m.describe}`;
      } else if (where === 'auth') {
        const m = mutateBearer(rng);
        authorization = m.value;
        mutation = `auth:${m.kind}`;
        describe = m.describe;
      }
      const headers: Record<string, string> = { 'x-correlation-id': `fuzz-admin-${index}` };
      if (authorization !== undefined) headers.authorization = authorization;
      if (payload !== undefined && contentType !== undefined) headers['content-type'] = contentType;
      return {
        route: op.route,
        mutation,
        describe,
        method: op.method,
        url: op.path(segments) + queryString(query),
        headers,
        payload,
        pii: piiOfJson(op.body, PII_KEYS),
      };
    },
    check() {
      return [];
    },
    async alive(h: Harness) {
      const headers = { authorization: auth };
      for (const url of [
        `${ROOT}/enti`,
        `${ROOT}/enti/${DEMO.ente}`,
        `${ROOT}/applications/${DEMO.codiceChiamante}`,
        `${ROOT}/audit-events?limit=2`,
        `${ROOT}/receipts?limit=2`,
        `${ROOT}/lists?limit=2`,
        `${ROOT}/deliveries?limit=2`,
      ]) {
        const r = await h.app.inject({ method: 'GET', url, headers });
        if (r.statusCode !== 200)
          throw new Error(`admin GET ${url} after the fuzzer: ${r.statusCode} ${r.body.slice(0, 300)}`);
      }
      const r = await h.app.inject({
        method: 'PATCH',
        url: `${ROOT}/enti/${world.admin.ente}`,
        headers: { ...headers, 'content-type': 'application/json' },
        payload: { telefono: '+39 0131 000000', active: true },
      });
      if (r.statusCode !== 200)
        throw new Error(`admin PATCH ente after the fuzzer: ${r.statusCode} ${r.body.slice(0, 300)}`);
    },
  };
}
