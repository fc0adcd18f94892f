import { DEMO } from '../../../src/app/demo-seed.js';
import { validateSoapResponse } from '../../helpers/xsd.js';
import type { FuzzCase, Harness, InterfaceSpec, Needle, Problem, Response } from '../harness.js';
import { mutateQuery, NO_VALUE, queryString } from '../mutate.js';
import { person, personName, type Person } from '../pii.js';
import type { Rng } from '../prng.js';
import { freshPosition, personNeedles, type World } from '../setup.js';
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

/** pagoPA's paForNode SOAP interface: valid verifications, activations and receipts, mutated. */

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const PAFN = 'http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd';
const URL = '/soap/paForNode';
const DECL = '<?xml version="1.0" encoding="UTF-8"?>';
// the debtor's and the payer's data (the transfer's IBAN is the ente's)
const PII_ELEMENTS = new Set(['entityUniqueIdentifierValue', 'fullName', 'e-mail', 'streetName']);

type Op =
  'paVerifyPaymentNotice' | 'paGetPayment' | 'paGetPaymentV2' | 'paSendRTV2' | 'paDemandPaymentNotice';
const ELEMENT: Record<Op, string> = {
  paVerifyPaymentNotice: 'paVerifyPaymentNoticeReq',
  paGetPayment: 'paGetPaymentReq',
  paGetPaymentV2: 'paGetPaymentV2Request',
  paSendRTV2: 'paSendRTV2Request',
  paDemandPaymentNotice: 'paDemandPaymentNoticeRequest',
};

export function envelope(op: XEl): XEl {
  return withAttrs(el('soapenv:Envelope', el('soapenv:Header'), el('soapenv:Body', op)), [
    ['xmlns:soapenv', SOAP11],
    ['xmlns:pafn', PAFN],
  ]);
}

const ids = () => [el('idPA', DEMO.ente), el('idBrokerPA', DEMO.idBrokerPA), el('idStation', DEMO.idStation)];
const qr = (notice: string) => el('qrCode', el('fiscalCode', DEMO.ente), el('noticeNumber', notice));

function subject(p: Person, rng: Rng): XEl {
  return el(
    rng.pick(['debtor', 'payer']),
    el(
      'uniqueIdentifier',
      el('entityUniqueIdentifierType', 'F'),
      el('entityUniqueIdentifierValue', p.fiscalCode),
    ),
    el('fullName', `${p.name} ${p.surname}`),
    el('streetName', `Via ${personName(rng)}`),
    el('e-mail', p.email),
  );
}

function receipt(rng: Rng, index: number, notice: string, iuv: string, debtor: Person, payer: Person): XEl {
  const amount = (rng.range(100, 99_999) / 100).toFixed(2);
  const d = subject(debtor, rng);
  d.name = 'debtor';
  const py = subject(payer, rng);
  py.name = 'payer';
  py.children.splice(2, 2);
  return el(
    'receipt',
    el('receiptId', `fz${index}${rng.chars('abcdef0123456789', 16)}`),
    el('noticeNumber', notice),
    el('fiscalCode', DEMO.ente),
    el('outcome', rng.pick(['OK', 'OK', 'KO'])),
    el('creditorReferenceId', iuv),
    el('paymentAmount', amount),
    el('description', 'Pagamento del fuzzer'),
    el('companyName', 'Comune di Alessandria'),
    d,
    el(
      'transferList',
      el(
        'transfer',
        el('idTransfer', '1'),
        el('transferAmount', amount),
        el('fiscalCodePA', DEMO.ente),
        el('IBAN', 'IT60X0542811101000000123456'),
        el('remittanceInformation', 'Quota'),
        el('transferCategory', '9/0201133IM/'),
      ),
    ),
    el('idPSP', 'DEMOPSP01'),
    el('pspFiscalCode', '00000000000'),
    el('PSPCompanyName', 'Banca Dimostrativa S.p.A.'),
    el('idChannel', '00000000000_01'),
    el('channelDescription', 'app'),
    py,
    el('paymentMethod', 'creditCard'),
    el('fee', '0.50'),
    el('paymentDateTime', '2026-01-30T10:15:00'),
    el('applicationDate', '2026-01-30'),
    el('transferDate', '2026-01-31'),
    el('standIn', 'false'),
  );
}

/** Whether a response is a SOAP fault, and its code. */
export function faultCodeOf(body: string): string | undefined {
  return /<faultcode>(?:[\w.-]+:)?(\w+)<\/faultcode>/.exec(body)?.[1];
}

export function paForNodeSpec(world: World): InterfaceSpec {
  return {
    name: 'paForNode',
    generate(rng: Rng, index: number): FuzzCase {
      if (rng.chance(0.03)) {
        // the contract: GET ?wsdl / ?xsd=..., with a hostile query string
        const m = mutateQuery(
          rng,
          rng.pick<[string, string][]>([
            [['wsdl', NO_VALUE]],
            [['xsd', 'paForNode.xsd']],
            [['xsd', 'sac-common-types-1.0.xsd']],
          ]),
          ['wsdl', 'WSDL', 'xsd'],
        );
        return {
          route: `GET ${URL}?wsdl|xsd`,
          mutation: `query:${m.kind}`,
          describe: m.describe,
          method: 'GET',
          url: URL + queryString(m.value),
          headers: { 'x-correlation-id': `fuzz-paForNode-${index}` },
          pii: [],
        };
      }
      const op = rng.weighted<Op>([
        [28, 'paVerifyPaymentNotice'],
        [10, 'paGetPayment'],
        [25, 'paGetPaymentV2'],
        [32, 'paSendRTV2'],
        [5, 'paDemandPaymentNotice'],
      ]);
      const target = rng.pick(world.pool);
      const notice = rng.chance(0.15)
        ? rng.pick(['001190280072147087', '001191890494852566', '001190300072310110', '000000000000000000'])
        : target.noticeNumber;
      const pii: Needle[] = personNeedles(target.debtor).map((n) => ({
        kind: `${n.kind} (stored)`,
        value: n.value,
      }));
      let inner: XEl;
      switch (op) {
        case 'paVerifyPaymentNotice':
          inner = el(`pafn:${ELEMENT[op]}`, ...ids(), qr(notice));
          break;
        case 'paGetPayment':
        case 'paGetPaymentV2':
          inner = el(
            `pafn:${ELEMENT[op]}`,
            ...ids(),
            qr(notice),
            el('amount', '100.00'),
            el('paymentNote', `cart-${index}`),
            el('transferType', rng.pick(['PAGOPA', 'POSTAL'])),
            el('dueDate', '2099-12-31'),
          );
          break;
        case 'paSendRTV2': {
          // receipts for unknown notices mostly (kept as anomalies), for pool positions sometimes (they get paid)
          const known = rng.chance(0.3);
          const iuvDigits = known ? target.iuv : `01${rng.chars('0123456789', 15)}`;
          const debtor = known ? target.debtor : person(rng);
          const payer = rng.chance(0.5) ? debtor : person(rng);
          inner = el(
            `pafn:${ELEMENT[op]}`,
            ...ids(),
            receipt(rng, index, known ? target.noticeNumber : `3${iuvDigits}`, iuvDigits, debtor, payer),
          );
          pii.push(...personNeedles(debtor), ...personNeedles(payer));
          break;
        }
        case 'paDemandPaymentNotice':
          inner = el(
            `pafn:${ELEMENT[op]}`,
            ...ids(),
            el('idServizio', '00001'),
            el('datiSpecificiServizio', Buffer.from('<service/>').toString('base64')),
          );
          break;
      }
      const tree = envelope(inner);
      const headers: Record<string, string> = {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: `"${op}"`,
        'x-correlation-id': `fuzz-paForNode-${index}`,
      };
      let bytes: Buffer;
      let mutation: string;
      let describe: string;
      const where = rng.weighted([
        [55, 'tree'],
        [35, 'document'],
        [7, 'headers'],
        [3, 'valid'],
      ] as const);
      if (where === 'tree') {
        const m = mutateTree(rng, tree, ELEMENT[op]);
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
        describe = 'the valid request';
        if (where === 'headers') {
          const h = rng.pick([
            'no-soapaction',
            'empty-soapaction',
            'other-soapaction',
            'urn-soapaction',
            'long-soapaction',
            'json-type',
            'no-type',
            'soap12-type',
            'form-type',
          ] as const);
          mutation = `header:${h}`;
          describe = `headers: ${h}`;
          if (h === 'no-soapaction') delete headers.soapaction;
          if (h === 'empty-soapaction') headers.soapaction = '';
          if (h === 'other-soapaction')
            headers.soapaction = rng.pick(['"paSendRT"', 'constructor', '__proto__', '"toString"']);
          if (h === 'urn-soapaction') headers.soapaction = `urn:pagopa:${op}`;
          if (h === 'long-soapaction') headers.soapaction = 'x'.repeat(10_000);
          if (h === 'json-type') headers['content-type'] = 'application/json';
          if (h === 'no-type') delete headers['content-type'];
          if (h === 'soap12-type')
            headers['content-type'] = `application/soap+xml; charset=utf-8; action="${op}"`;
          if (h === 'form-type') headers['content-type'] = 'application/x-www-form-urlencoded';
        }
      }
      for (const t of textsOf(tree, PII_ELEMENTS)) pii.push({ kind: 'receipt personal data', value: t });
      return {
        route: `POST ${URL} ${op}`,
        mutation,
        describe,
        method: 'POST',
        url: URL,
        headers,
        payload: bytes,
        pii,
        facts: { ...wellFormedness(bytes) },
      };
    },
    allows5xx(_fc, res) {
      // SOAP 1.1 §6.2: faults travel with HTTP 500; Client and VersionMismatch are the documented ones for bad input
      const code = faultCodeOf(res.body);
      return res.status === 500 && (code === 'Client' || code === 'VersionMismatch');
    },
    check(fc: FuzzCase, res: Response): Problem[] {
      const code = faultCodeOf(res.body);
      // the contract (GET ?wsdl, ?xsd=): the WSDL, a schema, a 404, or (a hostile query) a Client fault, never a Server one
      if (fc.method === 'GET')
        return code === 'Server' ? [{ sig: 'soap-fault:Server', detail: res.body.slice(0, 400) }] : [];
      const problems: Problem[] = [];
      if (code === 'Server') problems.push({ sig: 'soap-fault:Server', detail: res.body.slice(0, 400) });
      if (res.status !== 200 && res.status !== 500)
        problems.push({ sig: `http-${res.status}-instead-of-soap`, detail: res.body.slice(0, 300) });
      if (!res.body.includes('Envelope'))
        problems.push({ sig: 'answer-not-soap', detail: res.body.slice(0, 300) });
      else {
        try {
          validateSoapResponse(res.body);
        } catch (e) {
          problems.push({ sig: 'answer-not-valid-against-xsd', detail: (e as Error).message.slice(0, 300) });
        }
      }
      if (res.status === 200 && res.body.includes('PAA_SYSTEM_ERROR'))
        problems.push({ sig: 'paa:PAA_SYSTEM_ERROR', detail: res.body.slice(0, 400) });
      const facts = fc.facts as { wellFormed: boolean; hasDtd: boolean } | undefined;
      // refusing 100+ levels of nesting or thousands of elements is a resource limit, not a misreading
      const resourceLimit = /^element:(deep-|many)/.test(fc.mutation);
      if (
        facts?.wellFormed &&
        !facts.hasDtd &&
        !resourceLimit &&
        code === 'Client' &&
        /ben formato/.test(res.body)
      ) {
        problems.push({
          sig: 'well-formed-xml-refused-as-not-well-formed',
          detail: /<faultstring>([^<]*)/.exec(res.body)?.[1],
        });
      }
      return problems;
    },
    async alive(h: Harness) {
      const p = await freshPosition(h.fz.c, `ALIVE-PAFN-${h.db}`);
      const xml =
        DECL + serialize(envelope(el('pafn:paVerifyPaymentNoticeReq', ...ids(), qr(p.noticeNumber))));
      const r = await h.app.inject({
        method: 'POST',
        url: URL,
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'paVerifyPaymentNotice' },
        payload: xml,
      });
      if (r.statusCode !== 200 || !r.body.includes('<outcome>OK</outcome>'))
        throw new Error(`paForNode verify after the fuzzer: ${r.statusCode} ${r.body.slice(0, 400)}`);
      validateSoapResponse(r.body);
    },
  };
}
