import { DEMO } from '../../../src/app/demo-seed.js';
import type { FuzzCase, Harness, InterfaceSpec, Needle, Problem, Response } from '../harness.js';
import { basicHeader, mutateBasic, mutateQuery, NO_VALUE, queryString } from '../mutate.js';
import { numericFiscalCode, person, personName } from '../pii.js';
import { Rng } from '../prng.js';
import { personNeedles, type World } from '../setup.js';
import {
  el,
  mutateDocument,
  mutateTree,
  serialize,
  textsOf,
  wellFormedness,
  withAttrs,
  type XEl,
} from '../xml.js';

/** PiemontePAY's Enti2EPaywsoService (liste di carico): valid lists, mutated; the answer is always an ack (or 401). */

const URL = '/soap/Enti2EPaywsoService';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SRV = 'http://www.csi.it/epay/epaywso/enti2epaywso/types';
const CMN = 'http://www.csi.it/epay/epaywso/types';
const DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const PII_ELEMENTS = new Set([
  'IdentificativoUnivocoFiscale',
  'Nome',
  'Cognome',
  'RagioneSociale',
  'EMail',
  'Indirizzo',
]);

function envelope(op: XEl): XEl {
  return withAttrs(el('soapenv:Envelope', el('soapenv:Header'), el('soapenv:Body', op)), [
    ['xmlns:soapenv', SOAP11],
    ['xmlns:srv', SRV],
    ['xmlns:cmn', CMN],
  ]);
}

function soggetto(rng: Rng, needles: Needle[]): XEl {
  const company = rng.chance(0.2);
  const p = person(rng);
  needles.push(...personNeedles(p));
  const cf = company ? numericFiscalCode(rng) : p.fiscalCode;
  const who = company
    ? el('cmn:PersonaGiuridica', el('cmn:RagioneSociale', `${personName(rng)} S.p.A.`))
    : el('cmn:PersonaFisica', el('cmn:Cognome', p.surname), el('cmn:Nome', p.name));
  const children: XEl[] = [who, el('cmn:IdentificativoUnivocoFiscale', cf)];
  if (rng.chance(0.3))
    children.push(el('cmn:Indirizzo', `Via ${personName(rng)}`), el('cmn:Localita', 'Alessandria'));
  if (rng.chance(0.5)) children.push(el('cmn:EMail', p.email));
  return el('srv:SoggettoPagatore', ...children);
}

function insertList(rng: Rng, index: number, needles: Needle[]): XEl {
  const n = rng.range(1, 3);
  let total = 0;
  const positions: XEl[] = [];
  for (let i = 0; i < n; i++) {
    const cents = rng.range(100, 100_000);
    total += cents;
    const children: XEl[] = [
      el('srv:IdPosizioneDebitoria', `FZL-${index}-${i}-${rng.chars('ABCDEFGH', 4)}`),
      el('srv:ImportoTotale', (cents / 100).toFixed(2)),
    ];
    if (rng.chance(0.5)) children.push(el('srv:DataScadenza', '2099-12-31'));
    children.push(el('srv:DescrizioneCausaleVersamento', 'Lista del fuzzer'));
    if (rng.chance(0.3))
      children.push(
        el(
          'srv:ComponentiImporto',
          el(
            'srv:ComponenteImporto',
            el('srv:Importo', (cents / 100).toFixed(2)),
            el('srv:CausaleDescrittiva', 'Unica'),
          ),
        ),
      );
    children.push(soggetto(rng, needles));
    positions.push(el('srv:PosizioneDaInserire', ...children));
  }
  return el(
    'srv:InserisciListaDiCaricoRequest',
    el(
      'srv:Testata',
      el('srv:IdMessaggio', `FZM-${index}-${rng.chars('ABCDEFGHJK', 6)}`),
      el('srv:CFEnteCreditore', DEMO.ente),
      el('srv:CodiceVersamento', DEMO.paymentType),
      el('srv:NumeroPosizioniDebitorie', String(n)),
      el('srv:ImportoTotaleListaDiCarico', (total / 100).toFixed(2)),
    ),
    el('srv:ListaDiCarico', el('srv:PosizioniDaInserire', ...positions)),
  );
}

function updateList(rng: Rng, index: number, world: World, needles: Needle[]): XEl {
  const target = rng.pick(world.pool);
  const children: XEl[] = [
    el('srv:TipoAggiornamento', rng.pick(['MODIFICA', 'ANNULLAMENTO'])),
    el('srv:IdPosizioneDebitoria', `FZPOOL-${world.pool.indexOf(target)}`),
  ];
  if (rng.chance(0.6)) children.push(el('srv:ImportoTotale', (rng.range(100, 10_000) / 100).toFixed(2)));
  if (rng.chance(0.4)) children.push(el('srv:Motivazione', 'Aggiornamento del fuzzer'));
  if (rng.chance(0.3)) children.push(soggetto(rng, needles));
  return el(
    'srv:AggiornaPosizioniDebitorieRequest',
    el(
      'srv:Testata',
      el('srv:IdMessaggio', `FZU-${index}-${rng.chars('ABCDEFGHJK', 6)}`),
      el('srv:CFEnteCreditore', DEMO.ente),
      el('srv:CodiceVersamento', DEMO.paymentType),
      el('srv:NumeroPosizioniDebitorie', '1'),
    ),
    el(
      'srv:ElencoPosizioniDaAggiornare',
      el('srv:PosizioniDaAggiornare', el('srv:PosizioneDaAggiornare', ...children)),
    ),
  );
}

function ackOf(body: string): { code?: string; message?: string } {
  return {
    code: /<(?:\w+:)?Codice>([^<]*)</.exec(body)?.[1],
    message: /<(?:\w+:)?Messaggio>([^<]*)</.exec(body)?.[1],
  };
}

export function enti2EPaywsoSpec(world: World): InterfaceSpec {
  const auth = basicHeader(DEMO.codiceChiamante, DEMO.passphrase);
  return {
    name: 'Enti2EPaywsoService',
    generate(rng: Rng, index: number): FuzzCase {
      if (rng.chance(0.03)) {
        const m = mutateQuery(
          rng,
          rng.pick<[string, string][]>([
            [['wsdl', NO_VALUE]],
            [['xsd', 'Enti2EPaywsoServiceTypes.xsd']],
            [['xsd', 'EPaywsoCommonTypes.xsd']],
          ]),
          ['wsdl', 'WSDL', 'xsd'],
        );
        return {
          route: `GET ${URL}?wsdl|xsd`,
          mutation: `query:${m.kind}`,
          describe: m.describe,
          method: 'GET',
          url: URL + queryString(m.value),
          headers: { 'x-correlation-id': `fuzz-enti-${index}` },
          pii: [],
        };
      }
      const pii: Needle[] = [];
      const update = rng.chance(0.25);
      const inner = update ? updateList(rng, index, world, pii) : insertList(rng, index, pii);
      const opName = update ? 'AggiornaPosizioniDebitorie' : 'InserisciListaDiCarico';
      const tree = envelope(inner);
      const headers: Record<string, string> = {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: `"http://www.csi.it/epay/epaywso/service/${opName}"`,
        authorization: auth,
        'x-correlation-id': `fuzz-enti-${index}`,
      };
      let bytes: Buffer;
      let mutation: string;
      let describe: string;
      let validCredentials = true;
      const where = rng.weighted([
        [50, 'tree'],
        [33, 'document'],
        [12, 'auth'],
        [5, 'valid'],
      ] as const);
      if (where === 'tree') {
        const m = mutateTree(rng, tree, inner.name.slice(4));
        bytes = Buffer.from(DECL + serialize(m.value), 'utf8');
        mutation = m.kind;
        describe = m.describe;
      } else if (where === 'document') {
        const m = mutateDocument(rng, DECL + serialize(tree));
        bytes = m.bytes;
        mutation = m.kind;
        describe = m.describe;
      } else {
        bytes = Buffer.from(DECL + serialize(tree), 'utf8');
        mutation = 'valid';
        describe = 'the valid list';
        if (where === 'auth') {
          const m = mutateBasic(rng, DEMO.codiceChiamante, DEMO.passphrase);
          if (m.value === undefined) delete headers.authorization;
          else headers.authorization = m.value;
          validCredentials = m.kind === 'latin1' || (m.kind === 'scheme' && /^basic /i.test(m.value ?? ''));
          mutation = `auth:${m.kind}`;
          describe = `Authorization: ${m.describe}`;
        }
      }
      for (const t of textsOf(tree, PII_ELEMENTS)) pii.push({ kind: 'list personal data', value: t });
      return {
        route: `POST ${URL} ${opName}`,
        mutation,
        describe,
        method: 'POST',
        url: URL,
        headers,
        payload: bytes,
        pii,
        facts: { ...wellFormedness(bytes), validCredentials },
      };
    },
    check(fc: FuzzCase, res: Response): Problem[] {
      if (fc.method === 'GET') return [];
      const problems: Problem[] = [];
      if (res.status !== 200 && res.status !== 401)
        return [{ sig: `http-${res.status}-instead-of-ack`, detail: res.body.slice(0, 300) }];
      if (res.status === 401)
        return (fc.facts as { validCredentials?: boolean }).validCredentials
          ? [{ sig: 'valid-credentials-refused', detail: fc.headers.authorization }]
          : [];
      const { code, message } = ackOf(res.body);
      if (code === undefined) return [{ sig: 'answer-not-an-ack', detail: res.body.slice(0, 300) }];
      if (code === '100' && /Errore generico/i.test(message ?? ''))
        problems.push({ sig: 'ack-100-errore-generico', detail: res.body.slice(0, 300) });
      const facts = fc.facts as { wellFormed: boolean; hasDtd: boolean; error?: string };
      if ((facts.hasDtd || !facts.wellFormed) && code !== '101') {
        // what makes the message malformed: a DTD, bytes that are not the declared encoding, or the markup
        const why = facts.hasDtd
          ? 'a DTD'
          : /^(encoding|invalid-utf8)/.test(fc.mutation)
            ? 'bytes not in the declared encoding'
            : 'not well-formed';
        problems.push({
          sig: `malformed-xml-not-answered-101 (${why})`,
          detail:
            `ack ${code} ${message ?? ''}; libxml2: ${facts.error ?? (facts.hasDtd ? 'DTD' : '')}`.slice(
              0,
              400,
            ),
        });
      }
      return problems;
    },
    async alive(h: Harness) {
      const needles: Needle[] = [];
      const xml = DECL + serialize(envelope(insertList(new Rng(42), 999_999, needles)));
      const r = await h.app.inject({
        method: 'POST',
        url: URL,
        headers: { 'content-type': 'text/xml; charset=utf-8', authorization: auth },
        payload: xml,
      });
      const { code } = ackOf(r.body);
      if (r.statusCode !== 200 || code !== '000')
        throw new Error(`Enti2EPaywsoService list after the fuzzer: ${r.statusCode} ${r.body.slice(0, 400)}`);
    },
  };
}
