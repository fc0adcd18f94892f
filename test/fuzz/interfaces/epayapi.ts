import { DEMO } from '../../../src/app/demo-seed.js';
import type { FuzzCase, Harness, InterfaceSpec } from '../harness.js';
import { mutateJsonBody } from '../json-request.js';
import {
  basicHeader,
  mutateBasic,
  mutateQuery,
  mutateUrlComponent,
  pct,
  queryString,
  type Json,
} from '../mutate.js';
import { numericFiscalCode, person, personName } from '../pii.js';
import type { Rng } from '../prng.js';
import { personNeedles, piiOfJson, type World } from '../setup.js';

/** epayapi REST (PiemontePAY's API for gestionali): the six operations, valid then mutated. */

const ROOT = '/epayapi/api/v1';
const PII_KEYS: Record<string, string> = {
  codiceFiscalePartitaIVAPagatore: 'fiscal-code',
  codiceFiscale: 'fiscal-code',
  nome: 'name',
  cognome: 'name',
  ragioneSociale: 'name',
  email: 'email',
  indirizzo: 'address',
};

type Op = 'create' | 'update' | 'delete' | 'status' | 'paymentdata' | 'rt' | 'unknown';
const TEMPLATES: Record<Op, string> = {
  create: `POST ${ROOT}/organizations/:organization/paymenttypes/:paymentType/debtpositions`,
  update: `PUT ${ROOT}/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv`,
  delete: `DELETE ${ROOT}/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv`,
  status: `GET ${ROOT}/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv/status`,
  paymentdata: `GET ${ROOT}/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv/paymentdata`,
  rt: `POST ${ROOT}/rt`,
  unknown: `* ${ROOT}/(operations Cassa does not offer)`,
};

function createBody(rng: Rng, index: number): Json {
  const who = rng.weighted([
    [7, 'person'],
    [2, 'company'],
    [1, 'anonimo'],
  ] as const);
  const p = person(rng);
  const cents = rng.range(1, 100_000_00);
  const amount = cents / 100;
  const body: Record<string, Json> = {
    causale: rng.pick(['Biblioteca-Copie eseguite su prenotazione', 'Prestito', 'Quota iscrizione 2026']),
    importo: who === 'anonimo' && rng.chance(0.5) ? 0 : amount,
    identificativoPagamento: `FZ-${index}-${rng.chars('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', 6)}`,
    dataScadenza: rng.pick(['2099-12-31', '2099-12-31T00:00:00', '2099-06-30T10:00:00+01:00', 4102444800000]),
  };
  if (who === 'person')
    Object.assign(body, {
      codiceFiscalePartitaIVAPagatore: p.fiscalCode,
      nome: p.name,
      cognome: p.surname,
      email: p.email,
    });
  else if (who === 'company')
    Object.assign(body, {
      codiceFiscalePartitaIVAPagatore: numericFiscalCode(rng),
      ragioneSociale: `${personName(rng)} S.r.l.`,
      email: p.email,
    });
  else
    Object.assign(body, {
      codiceFiscalePartitaIVAPagatore: 'ANONIMO',
      riferimentiPagamento: [{ nome: 'Numero verbale', valore: `V-${rng.range(1, 99999)}` }],
    });
  if (rng.chance(0.4)) {
    const first = Math.floor(cents / 2);
    body.componentiPagamento = [
      {
        importo: first / 100,
        causale: 'Prima quota',
        datiSpecificiRiscossione: '9/0201133IM/',
        annoAccertamento: 2026,
        numeroAccertamento: 'A-1',
      },
      { importo: (cents - first) / 100, causale: 'Seconda quota', progressivo: 2 },
    ];
  }
  if (rng.chance(0.3))
    Object.assign(body, {
      indirizzo: `Via ${personName(rng)} ${rng.range(1, 200)}`,
      civico: '1',
      cap: '15121',
      localita: 'Alessandria',
      provincia: 'AL',
      nazione: 'IT',
    });
  if (rng.chance(0.3))
    Object.assign(body, {
      dataInizioValidita: '2026-01-01',
      dataFineValidita: '2099-12-31',
      descrizioneRata: 'Rata 1',
      annoRiferimento: 2026,
      notePerIlPagatore: 'Nota',
      requiresCostUpdate: false,
    });
  // the gestionale's own IUV (Cassa extension): mostly not valid for the ente
  if (rng.chance(0.08)) body.iuv = rng.chars('0123456789', rng.pick([15, 17]));
  return body;
}

function updateBody(rng: Rng, debtor: { fiscalCode: string; email: string }): Json {
  const body: Record<string, Json> = {};
  if (rng.chance(0.6)) body.importo = rng.range(100, 50_000) / 100;
  if (rng.chance(0.5)) body.causale = 'Causale aggiornata';
  if (rng.chance(0.6)) body.email = person(rng).email;
  if (rng.chance(0.3)) body.codiceFiscalePartitaIVAPagatore = debtor.fiscalCode;
  if (rng.chance(0.3)) body.dataScadenza = '2099-11-30';
  if (rng.chance(0.2)) body.notePerIlPagatore = 'Nota aggiornata';
  if (rng.chance(0.15))
    body.componentiImporto = [
      { importo: 1, causaleDescrittiva: 'Unica', annoAccertamento: 2026, numeroAccertamento: 'A-1' },
    ];
  if (rng.chance(0.1)) body.riferimentiPagamento = [{ nome: 'Numero verbale', valore: 'V-1' }];
  if (rng.chance(0.1)) body.motivazione = 'Aggiornata dal fuzzer';
  if (rng.chance(0.1)) Object.assign(body, { nome: 'Pino', cognome: 'Test' });
  if (Object.keys(body).length === 0) body.causale = 'Causale aggiornata';
  return body;
}

export function epayapiSpec(world: World): InterfaceSpec {
  const auth = basicHeader(DEMO.codiceChiamante, DEMO.passphrase);
  return {
    name: 'epayapi',
    generate(rng: Rng, index: number): FuzzCase {
      const op = rng.weighted<Op>([
        [30, 'create'],
        [17, 'update'],
        [10, 'delete'],
        [12, 'status'],
        [12, 'paymentdata'],
        [10, 'rt'],
        [3, 'unknown'],
      ]);
      const target = op === 'delete' ? rng.pick(world.victims) : rng.pick(world.pool);
      const seg = {
        organization: DEMO.ente as string,
        paymentType: rng.pick(['BIBL', 'BIBL', 'bibl']),
        iuv: rng.chance(0.15) ? rng.pick([DEMO.payable.iuv, DEMO.paid.iuv, DEMO.cancelled.iuv]) : target.iuv,
      };
      let body: Json | undefined;
      let query: [string, string][] = [];
      let method: FuzzCase['method'];
      let pathFor: (s: typeof seg) => string;
      // the target position's stored data: no error line may carry it either
      const pii = personNeedles(target.debtor).map((n) => ({ kind: `${n.kind} (stored)`, value: n.value }));
      switch (op) {
        case 'create':
          method = 'POST';
          body = createBody(rng, index);
          pathFor = (s) =>
            `${ROOT}/organizations/${s.organization}/paymenttypes/${s.paymentType}/debtpositions`;
          break;
        case 'update':
          method = 'PUT';
          body = updateBody(rng, target.debtor);
          pathFor = (s) =>
            `${ROOT}/organizations/${s.organization}/paymenttypes/${s.paymentType}/debtpositions/${s.iuv}`;
          break;
        case 'delete':
          method = 'DELETE';
          if (rng.chance(0.5)) body = { motivazione: 'Annullata dal fuzzer' };
          else query = [['motivazione', pct('Annullata dal fuzzer')]];
          pathFor = (s) =>
            `${ROOT}/organizations/${s.organization}/paymenttypes/${s.paymentType}/debtpositions/${s.iuv}`;
          break;
        case 'status':
        case 'paymentdata':
          method = 'GET';
          pathFor = (s) =>
            `${ROOT}/organizations/${s.organization}/paymenttypes/${s.paymentType}/debtpositions/${s.iuv}/${op}`;
          break;
        case 'rt':
          method = 'POST';
          body = {
            iuv: DEMO.paid.iuv,
            codiceFiscale: DEMO.debtor.codiceFiscalePartitaIVAPagatore,
            formatoRT: rng.pick(['XML', 'XML', 'PDF']),
            codiceFiscaleEnte: DEMO.ente,
            identificativoPagamento: DEMO.paid.identificativoPagamento,
          };
          pathFor = () => `${ROOT}/rt`;
          break;
        case 'unknown':
          method = rng.pick(['GET', 'POST', 'PATCH', 'OPTIONS'] as const);
          pathFor = (s) =>
            `${ROOT}/organizations/${s.organization}/paymenttypes/${s.paymentType}/${rng.pick(['paymentnotice', 'payment', 'multipayees', 'stamptaxpayment', 'debtpositions/x/y/z'])}`;
          break;
      }
      let authorization: string | undefined = auth;
      let contentType: string | undefined = body === undefined ? undefined : 'application/json';
      let payload: string | Buffer | undefined = body === undefined ? undefined : JSON.stringify(body);
      let mutation = 'valid';
      let describe = 'the valid request';
      const where = rng.weighted([
        [body === undefined ? 0 : 55, 'body'],
        [14, 'path'],
        [op === 'delete' ? 10 : 4, 'query'],
        [12, 'auth'],
        [2, 'valid'],
      ] as const);
      let s = seg;
      if (where === 'body' && body !== undefined) {
        const m = mutateJsonBody(rng, body);
        payload = m.payload;
        contentType = m.contentType;
        mutation = m.kind;
        describe = m.describe;
      } else if (where === 'path') {
        const names =
          op === 'create' || op === 'unknown'
            ? (['organization', 'paymentType'] as const)
            : op === 'rt'
              ? ([] as const)
              : (['organization', 'paymentType', 'iuv'] as const);
        if (names.length === 0) {
          const m = mutateUrlComponent(rng, 'rt');
          pathFor = () => `${ROOT}/${m.value}`;
          mutation = `path:${m.kind}`;
          describe = `path segment rt: ${m.describe}`;
        } else {
          const name = rng.pick(names);
          const m = mutateUrlComponent(rng, seg[name]);
          s = { ...seg, [name]: m.value };
          mutation = `path:${m.kind}`;
          describe = `path {${name}}: ${m.describe}`;
        }
      } else if (where === 'query') {
        const m = mutateQuery(
          rng,
          query,
          op === 'delete' ? ['motivazione'] : ['motivazione', 'iuv', 'codiceFiscale'],
        );
        query = m.value;
        mutation = `query:${m.kind}`;
        describe = `query ${m.describe}`;
      } else if (where === 'auth') {
        const m = mutateBasic(rng, DEMO.codiceChiamante, DEMO.passphrase);
        authorization = m.value;
        mutation = `auth:${m.kind}`;
        describe = `Authorization: ${m.describe}`;
      }
      const headers: Record<string, string> = { 'x-correlation-id': `fuzz-epayapi-${index}` };
      if (authorization !== undefined) headers.authorization = authorization;
      if (contentType !== undefined && payload !== undefined) headers['content-type'] = contentType;
      return {
        route: TEMPLATES[op],
        mutation,
        describe,
        method,
        url: pathFor(s) + queryString(query),
        headers,
        payload,
        pii: [...pii, ...piiOfJson(body, PII_KEYS)],
      };
    },
    check() {
      return [];
    },
    async alive(h: Harness) {
      const headers = { authorization: auth, 'content-type': 'application/json' };
      const base = `${ROOT}/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions`;
      const p = {
        causale: 'Dopo il fuzzer',
        importo: 12.5,
        codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
        nome: 'Pino',
        cognome: 'Test',
        identificativoPagamento: 'ALIVE-EPAYAPI',
      };
      const created = await h.app.inject({ method: 'POST', url: base, headers, payload: p });
      if (created.statusCode !== 201)
        throw new Error(`epayapi create after the fuzzer: ${created.statusCode} ${created.body}`);
      const iuv = created.json().iuv as string;
      for (const [method, url, payload, want] of [
        ['GET', `${base}/${iuv}/status`, undefined, 200],
        ['GET', `${base}/${iuv}/paymentdata`, undefined, 200],
        ['PUT', `${base}/${iuv}`, { importo: 13 }, 200],
        ['DELETE', `${base}/${iuv}`, { motivazione: 'fine' }, 200],
        [
          'POST',
          `${ROOT}/rt`,
          {
            iuv: DEMO.paid.iuv,
            codiceFiscale: DEMO.debtor.codiceFiscalePartitaIVAPagatore,
            formatoRT: 'XML',
            codiceFiscaleEnte: DEMO.ente,
          },
          200,
        ],
      ] as const) {
        const r = await h.app.inject({
          method,
          url,
          headers: payload ? headers : { authorization: auth },
          ...(payload ? { payload } : {}),
        });
        if (r.statusCode !== want)
          throw new Error(`epayapi ${method} ${url} after the fuzzer: ${r.statusCode} ${r.body}`);
      }
    },
  };
}
