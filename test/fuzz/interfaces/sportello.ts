import { DEMO } from '../../../src/app/demo-seed.js';
import { computeDigest } from '../../../src/modules/portal/domain/digest.js';
import { csrfOf } from '../../helpers/portal.js';
import type { FuzzCase, Harness, InterfaceSpec, Needle, Problem, Response } from '../harness.js';
import { mutateJsonBody } from '../json-request.js';
import {
  mutateQuery,
  mutateString,
  mutateUrlComponent,
  pct,
  PROTO_KEYS,
  queryString,
  urlFeatureOf,
} from '../mutate.js';
import type { Rng } from '../prng.js';
import type { World } from '../setup.js';

/** The Sportello: the redirect from a gestionale (form POST), its pages with hostile URLs and cookies, its forms. */

const LANDING = '/epayweb/accessoLibero/pagaConIuv/accessoChiamanteEsterno';
const FORM = 'application/x-www-form-urlencoded';

type Pairs = [string, string][];

/** A form body from raw (not yet encoded) pairs. */
function formOf(pairs: Pairs): string {
  return pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&');
}

interface Mutation {
  payload: string | Buffer | undefined;
  contentType: string | undefined;
  kind: string;
  describe: string;
}

/** Mutates a form: one field (hostile text, bad %-encoding), missing or repeated fields, prototype names, other encodings. */
function mutateForm(rng: Rng, pairs: Pairs, mutable: string[]): Mutation {
  const op = rng.weighted([
    [40, 'value'],
    [15, 'encoded'],
    [8, 'missing'],
    [8, 'duplicate'],
    [6, 'proto'],
    [10, 'json'],
    [3, 'content-type'],
    [3, 'empty'],
    [2, 'huge'],
    [5, 'valid'],
  ] as const);
  const field = rng.pick(mutable);
  switch (op) {
    case 'value': {
      const current = pairs.find(([k]) => k === field)?.[1] ?? '';
      const m = mutateString(rng, current);
      return {
        payload: formOf(pairs.map(([k, v]) => [k, k === field ? m.value : v])),
        contentType: FORM,
        kind: `form:${m.kind}`,
        describe: `${field}: ${m.describe}`,
      };
    }
    case 'encoded': {
      const current = pairs.find(([k]) => k === field)?.[1] ?? '';
      const m = mutateUrlComponent(rng, current);
      return {
        payload: pairs.map(([k, v]) => `${pct(k)}=${k === field ? m.value : pct(v)}`).join('&'),
        contentType: FORM,
        kind: `form:${m.kind}`,
        describe: `${field} (encoded): ${m.describe}`,
      };
    }
    case 'missing':
      return {
        payload: formOf(pairs.filter(([k]) => k !== field)),
        contentType: FORM,
        kind: 'form:missing',
        describe: `${field} missing`,
      };
    case 'duplicate':
      return {
        payload: formOf([
          ...pairs,
          [field, rng.pick(['x', '', '\u0000', pairs.find(([k]) => k === field)?.[1] ?? ''])],
        ]),
        contentType: FORM,
        kind: 'form:duplicate',
        describe: `${field} twice (an array)`,
      };
    case 'proto': {
      const k = rng.pick(PROTO_KEYS);
      const name = rng.pick([k, `${k}[polluted]`, `${field}[${k}]`]);
      return {
        payload: formOf([...pairs, [name, 'yes']]),
        contentType: FORM,
        kind: `form:proto-name`,
        describe: `field named ${name}`,
      };
    }
    case 'json': {
      const m = mutateJsonBody(rng, Object.fromEntries(pairs));
      return {
        payload: m.payload,
        contentType: m.contentType,
        kind: m.kind.startsWith('json:') ? m.kind : `json-${m.kind}`,
        describe: `as JSON: ${m.describe}`,
      };
    }
    case 'content-type': {
      const ct = rng.pick([
        undefined,
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/xml',
        `${FORM}; charset=iso-8859-1`,
        `${FORM}; charset=utf-16`,
      ]);
      return {
        payload: formOf(pairs),
        contentType: ct,
        kind: `content-type:${ct ?? 'missing'}`,
        describe: `Content-Type ${ct ?? 'missing'}`,
      };
    }
    case 'empty':
      return {
        payload: rng.pick(['', '&', '=', '&&==&']),
        contentType: FORM,
        kind: 'form:empty',
        describe: 'an empty form',
      };
    case 'huge':
      return {
        payload: formOf([...pairs, ['pad', 'x'.repeat(rng.pick([100_000, 1_100_000]))]]),
        contentType: FORM,
        kind: 'form:huge',
        describe: 'a huge form',
      };
    case 'valid':
      return { payload: formOf(pairs), contentType: FORM, kind: 'valid', describe: 'the valid form' };
  }
}

const PAGES = [
  '/sportello/',
  '/sportello/riferimenti',
  '/sportello/pagamento',
  '/sportello/pagamento/abc',
  `/sportello/pagamento/${'A'.repeat(43)}?accesso=${'B'.repeat(43)}`,
  '/sportello/pagamento/x?accesso=%00',
  '/sportello/ricevuta/1/abc',
  '/sportello/ricevuta/-1/x',
  '/sportello/ricevuta/99999999999999999999/x',
  '/sportello/captcha',
  '/sportello/esito/abc/ok/def',
  '/sportello/pagina-che-non-esiste',
  '/sportello',
  '/',
  LANDING,
  '/static/portal/portal.css',
];

export function sportelloSpec(world: World): InterfaceSpec {
  const state = { csrfCookie: '', csrf: '', session: '', flowPath: '/sportello/pagamento' };
  const cookieOf = (extra: string[] = []) => [state.csrfCookie, ...extra].filter(Boolean).join('; ');
  return {
    name: 'sportello',
    async prepare(h: Harness) {
      const home = await h.app.inject({ method: 'GET', url: '/sportello/' });
      const set = ([] as string[]).concat(home.headers['set-cookie'] ?? []);
      state.csrfCookie = set.map((c) => c.split(';')[0]!).find((c) => c.startsWith('cassa_csrf=')) ?? '';
      state.csrf = csrfOf(home.body);
      const p = world.pool[0]!;
      const id = `FZ-SESSION-${h.db}`;
      const digest = computeDigest(
        {
          passphrase: DEMO.passphrase,
          codiceChiamante: DEMO.codiceChiamante,
          identificativoPagamento: id,
          iuv: p.iuv,
          returnUrl: DEMO.returnUrl,
        },
        '%%%%',
      );
      const landed = await h.app.inject({
        method: 'POST',
        url: LANDING,
        headers: { 'content-type': FORM },
        payload: formOf([
          ['codiceChiamante', DEMO.codiceChiamante],
          ['digest', digest],
          ['iuv', p.iuv],
          ['codiceFiscale', p.debtor.fiscalCode],
          ['identificativoPagamento', id],
        ]),
      });
      // the landing's redirect to the flow's page: its first GET binds the flow to this "browser"
      const location = landed.headers.location ?? '';
      const claimed = await h.app.inject({ method: 'GET', url: location });
      const s = ([] as string[]).concat(claimed.headers['set-cookie'] ?? []);
      state.session = s.map((c) => c.split(';')[0]!).find((c) => c.startsWith('cassa_sportello=')) ?? '';
      state.flowPath = location.split('?')[0]!;
      if (landed.statusCode !== 303 || !state.session || !state.csrf)
        throw new Error(`sportello: could not open a session (${landed.statusCode}) or read a CSRF token`);
    },
    generate(rng: Rng, index: number): FuzzCase {
      const kind = rng.weighted([
        [35, 'landing'],
        [33, 'page'],
        [15, 'avvisi'],
        [8, 'pagamento'],
        [2, 'riferimenti'],
        [2, 'rimuovi'],
        [5, 'landing-method'],
      ] as const);
      const headers: Record<string, string> = { 'x-correlation-id': `fuzz-sportello-${index}` };
      const p = rng.pick(world.pool);
      const pii: Needle[] = [{ kind: 'fiscal-code', value: p.debtor.fiscalCode }];
      if (kind === 'landing') {
        const id = `FZP-${index}-${rng.chars('ABCDEFGH', 4)}`;
        const iuv = rng.chance(0.1) ? DEMO.payable.iuv : p.iuv;
        const cf =
          iuv === DEMO.payable.iuv ? DEMO.debtor.codiceFiscalePartitaIVAPagatore : p.debtor.fiscalCode;
        const digest = computeDigest(
          {
            passphrase: DEMO.passphrase,
            codiceChiamante: DEMO.codiceChiamante,
            identificativoPagamento: id,
            iuv,
            returnUrl: DEMO.returnUrl,
          },
          rng.pick(['%%%', '%%%%'] as const),
        );
        const pairs: Pairs = [
          ['codiceChiamante', DEMO.codiceChiamante],
          ['digest', digest],
          ['iuv', iuv],
          ['codiceFiscale', rng.chance(0.2) ? cf.toLowerCase() : cf],
          ['identificativoPagamento', id],
        ];
        const m = mutateForm(rng, pairs, [
          'codiceChiamante',
          'digest',
          'iuv',
          'codiceFiscale',
          'identificativoPagamento',
        ]);
        if (m.contentType !== undefined) headers['content-type'] = m.contentType;
        return {
          route: `POST ${LANDING}`,
          mutation: m.kind,
          describe: m.describe,
          method: 'POST',
          url: LANDING,
          headers,
          payload: m.payload,
          pii,
          facts: { portal: true },
        };
      }
      if (kind === 'avvisi' || kind === 'pagamento' || kind === 'riferimenti' || kind === 'rimuovi') {
        const forms: Record<typeof kind, Pairs> = {
          avvisi: [
            ['_csrf', state.csrf],
            ['codiceAvviso', rng.pick([p.noticeNumber, p.iuv])],
            ['codiceFiscale', p.debtor.fiscalCode],
            ...(rng.chance(0.3) ? ([['ente', DEMO.ente]] as Pairs) : []),
          ],
          pagamento: [
            ['_csrf', state.csrf],
            ['email', p.debtor.email],
            ['emailConferma', p.debtor.email],
            ['privacy', 'on'],
            [
              'altcha',
              Buffer.from(
                '{"algorithm":"SHA-256","challenge":"x","number":1,"salt":"y","signature":"z"}',
              ).toString('base64'),
            ],
          ],
          riferimenti: [
            ['_csrf', state.csrf],
            ['riferimento_0', 'V-1'],
            ['riferimento_1', ''],
          ],
          rimuovi: [
            ['_csrf', state.csrf],
            ['positionId', String(rng.range(1, 100))],
          ],
        };
        const pairs = forms[kind];
        pii.push({ kind: 'email', value: p.debtor.email });
        const m = mutateForm(
          rng,
          pairs,
          pairs.map(([k]) => k),
        );
        headers.cookie = cookieOf(kind === 'pagamento' ? [state.session] : []);
        if (m.contentType !== undefined) headers['content-type'] = m.contentType;
        const url =
          kind === 'rimuovi'
            ? '/sportello/avvisi/rimuovi'
            : kind === 'pagamento'
              ? state.flowPath
              : `/sportello/${kind}`;
        return {
          route: `POST ${url}`,
          mutation: m.kind,
          describe: m.describe,
          method: 'POST',
          url,
          headers,
          payload: m.payload,
          pii,
          facts: { portal: true },
        };
      }
      if (kind === 'landing-method') {
        const method = rng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const);
        const m = mutateQuery(
          rng,
          [
            ['iuv', p.iuv],
            ['codiceFiscale', pct(p.debtor.fiscalCode)],
          ],
          ['iuv', 'codiceFiscale', 'codiceChiamante', 'digest'],
        );
        return {
          route: `${method} ${LANDING}`,
          mutation: `query:${m.kind}`,
          describe: m.describe,
          method,
          url: LANDING + queryString(m.value),
          headers,
          pii,
          facts: { portal: true },
        };
      }
      // a page: hostile path, query string or cookies
      let path = rng.pick(PAGES);
      let query: [string, string][] = rng.chance(0.3) ? [['lang', rng.pick(['en', 'it'])]] : [];
      let mutation = 'valid';
      let describe = 'the page';
      const where = rng.weighted([
        [35, 'path'],
        [35, 'query'],
        [20, 'cookie'],
        [5, 'method'],
        [5, 'valid'],
      ] as const);
      let method: FuzzCase['method'] = 'GET';
      if (where === 'path') {
        const segs = path.split('/');
        const i = segs.length > 2 ? rng.range(2, segs.length - 1) : segs.length - 1;
        const m = mutateUrlComponent(rng, segs[i] ?? '');
        segs[i] = m.value;
        if (rng.chance(0.3)) segs.push(mutateUrlComponent(rng, 'x').value);
        path = segs.join('/');
        mutation = `path:${m.kind}`;
        describe = `path segment ${i}: ${m.describe}`;
      } else if (where === 'query') {
        const m = mutateQuery(rng, query, ['lang', 'codiceAvviso', 'codiceFiscale', 'ente']);
        query = m.value;
        mutation = `query:${m.kind}`;
        describe = `query ${m.describe}`;
        // a fiscal code in a query string must not reach the log either
        query.push(['codiceFiscale', pct(p.debtor.fiscalCode)]);
      } else if (where === 'cookie') {
        const name = rng.pick(['cassa_sportello', 'cassa_lang', 'cassa_csrf', '__proto__', 'constructor']);
        const m = mutateUrlComponent(
          rng,
          name === 'cassa_lang' ? 'en' : 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
        );
        const how = rng.pick(['value', 'broken', 'many', 'session'] as const);
        headers.cookie =
          how === 'value'
            ? `${name}=${m.value}`
            : how === 'broken'
              ? rng.pick([';;;', '=', 'a', name, `${name}==; ;=x`])
              : how === 'many'
                ? Array.from({ length: 300 }, (_, i) => `c${i}=${m.value.slice(0, 20)}`).join('; ')
                : cookieOf([state.session, `${name}=${m.value}`]);
        mutation = how === 'broken' || how === 'many' ? `cookie:${how}` : `cookie:${urlFeatureOf(m.value)}`;
        describe = `cookie ${name} (${how}): ${m.describe}`;
      } else if (where === 'method') {
        method = rng.pick(['HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'] as const);
        mutation = `method:${method}`;
        describe = `${method} of a page`;
      }
      if (rng.chance(0.15) && !headers.cookie) headers.cookie = cookieOf([state.session]);
      return {
        route: `${method} (Sportello pages)`,
        mutation,
        describe,
        method,
        url: path + queryString(query),
        headers,
        pii,
        facts: { portal: true },
      };
    },
    check(fc: FuzzCase, res: Response): Problem[] {
      const path = fc.url.split('?')[0]!;
      const portal = path === '/sportello' || path.startsWith('/sportello/') || path === LANDING;
      const contentType = res.headers['content-type'];
      const type = Array.isArray(contentType)
        ? contentType.join(',')
        : typeof contentType === 'string'
          ? contentType
          : '';
      if (portal && res.status >= 400 && fc.method !== 'HEAD' && !type.startsWith('text/html')) {
        return [
          {
            sig: `portal-error-${res.status}-not-html (${type.split(';')[0] || 'no type'})`,
            detail: res.body.slice(0, 300),
          },
        ];
      }
      return [];
    },
    async alive(h: Harness) {
      const home = await h.app.inject({ method: 'GET', url: '/sportello/' });
      if (home.statusCode !== 200) throw new Error(`sportello home after the fuzzer: ${home.statusCode}`);
      const p = world.pool[1]!;
      const id = `FZ-ALIVE-${h.db}`;
      const digest = computeDigest(
        {
          passphrase: DEMO.passphrase,
          codiceChiamante: DEMO.codiceChiamante,
          identificativoPagamento: id,
          iuv: p.iuv,
          returnUrl: DEMO.returnUrl,
        },
        '%%%%',
      );
      const r = await h.app.inject({
        method: 'POST',
        url: LANDING,
        headers: { 'content-type': FORM },
        payload: formOf([
          ['codiceChiamante', DEMO.codiceChiamante],
          ['digest', digest],
          ['iuv', p.iuv],
          ['codiceFiscale', p.debtor.fiscalCode],
          ['identificativoPagamento', id],
        ]),
      });
      if (r.statusCode !== 303)
        throw new Error(`sportello landing after the fuzzer: ${r.statusCode} ${r.body.slice(0, 300)}`);
    },
  };
}
