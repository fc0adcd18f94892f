import { readFileSync } from 'node:fs';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app/container.js';
import type { PaForNodeService } from '../../modules/pagopa/application/pa-for-node-service.js';
import { PaaFault, paaFault } from '../../modules/pagopa/domain/faults.js';
import { projectPath } from '../../shared/paths.js';
import { dbErrorSummary, isDatabaseUnavailable } from '../../db/errors.js';
import {
  faultBody,
  faultIdOf,
  OPERATIONS,
  okBody,
  operationOfElement,
  paymentBody,
  readActivationRequest,
  readDemandRequest,
  readNoticeRequest,
  verifyBody,
  type Operation,
} from './pa-for-node-messages.js';
import { readReceiptRequest } from '../../modules/pagopa/infra/pa-for-node-xml/receipt-reader.js';
import {
  PAFORNODE_NS,
  parseSoapRequest,
  SoapEnvelopeError,
  soapFault,
  soapResponse,
  type XmlObject,
  readXmlBody,
  UndecodableXml,
} from '../../shared/soap/soap-envelope.js';
import { publicBaseUrl } from '../public-url.js';
import { soapActionOf } from './soap-action.js';

const XML = 'text/xml; charset=utf-8';

/** A request's body bytes, when they are not UTF-8 (see readXmlBytes): a receipt keeps them. */
const receivedBytes = new WeakMap<FastifyRequest, Buffer>();
const SPECS = 'resources/specs/pagopa';

interface Served {
  xml: string;
  iuv?: string | undefined;
}

/** Runs one operation; PaaFaults and internal failures become the operation's KO response. */
async function serve(
  service: PaForNodeService,
  op: Operation,
  body: XmlObject,
  faultId: string,
  rawXml: string,
  rawBytes: Buffer | undefined,
): Promise<Served> {
  switch (op) {
    case 'paVerifyPaymentNotice': {
      const v = await service.verifyPaymentNotice(readNoticeRequest(body, faultId, op));
      return { xml: verifyBody(v), iuv: v.iuv };
    }
    case 'paGetPayment':
    case 'paGetPaymentV2': {
      const version = op === 'paGetPayment' ? 1 : 2;
      const { data } = await service.getPayment(readActivationRequest(body, faultId, op), version);
      return { xml: paymentBody(data, version), iuv: data.creditorReferenceId };
    }
    case 'paSendRT':
    case 'paSendRTV2': {
      // the receipt is kept as received: its bytes too when they are not UTF-8 (they must agree with its declaration)
      const r = await service.sendReceipt({ ...readReceiptRequest(body, faultId, op, rawXml), rawBytes });
      return { xml: okBody(), iuv: r.iuv };
    }
    case 'paDemandPaymentNotice':
      return service.demandPaymentNotice(readDemandRequest(body, faultId));
  }
}

function ipString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * pagoPA's creditor-side SOAP interface (paForNode, SOAP 1.1 document/literal):
 * POST /soap/paForNode for the node's calls, GET /soap/paForNode?wsdl (and ?xsd=...) for the
 * contract, with its address rewritten to Cassa's public URL. Every POST is journaled with the
 * operation, the station, the ente, the IUV and the outcome (OK or the fault code).
 */
// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async is how Fastify knows it is loaded (a throw becomes a registration error)
export async function soapRoutes(
  app: FastifyInstance,
  { container }: { container: Container },
): Promise<void> {
  const service = container.paForNode;
  const faultFallbackId = container.config.pagopa.idBrokerPA ?? 'CASSA';
  const wsdl = readFileSync(projectPath(SPECS, 'wsdl/paForNode.wsdl'), 'utf8');
  const xsd = readFileSync(projectPath(SPECS, 'wsdl/xsd/paForNode.xsd'), 'utf8');
  const commonTypes = readFileSync(projectPath(SPECS, 'xsd-common/sac-common-types-1.0.xsd'), 'utf8');

  // Only this scope reads bodies as text, whatever their declared type: a wrong Content-Type still gets a SOAP answer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    // bytes not valid in their encoding, or an encoding Cassa cannot read: the route answers a Client fault
    const read = readXmlBody(body as Buffer);
    if (read instanceof UndecodableXml) {
      done(null, read);
      return;
    }
    if (read.original) receivedBytes.set(req, read.original);
    done(null, read.text);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const tooLarge = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    const code = tooLarge || (err.statusCode !== undefined && err.statusCode < 500) ? 'Client' : 'Server';
    if (code === 'Server') req.log.error({ err }, 'paForNode request failed');
    if (req.audit) req.audit.outcome = `soap:${code}`;
    return reply
      .code(500)
      .type(XML)
      .send(
        soapFault(
          code,
          tooLarge
            ? 'Messaggio troppo grande'
            : code === 'Client'
              ? 'Richiesta non valida'
              : 'Errore interno',
        ),
      );
  });

  app.get('/paForNode', async (req: FastifyRequest, reply: FastifyReply) => {
    const query = req.query as Record<string, string | undefined>;
    const base = `${publicBaseUrl(container.config, req)}${req.routeOptions.url}`;
    if ('wsdl' in query || 'WSDL' in query) {
      return reply
        .type(XML)
        .send(
          wsdl
            .replace(/(<soap:address\s+location=")[^"]*(")/, `$1${base}$2`)
            .replace('schemaLocation="xsd/paForNode.xsd"', `schemaLocation="${base}?xsd=paForNode.xsd"`),
        );
    }
    if (query.xsd === 'paForNode.xsd') {
      return reply
        .type(XML)
        .send(
          xsd.replace(
            'schemaLocation="../../xsd-common/sac-common-types-1.0.xsd"',
            `schemaLocation="${base}?xsd=sac-common-types-1.0.xsd"`,
          ),
        );
    }
    if (query.xsd === 'sac-common-types-1.0.xsd') return reply.type(XML).send(commonTypes);
    return reply.code(404).type('text/plain; charset=utf-8').send('Usare ?wsdl');
  });

  app.post(
    '/paForNode',
    { config: { audit: { interface: 'paForNode', operation: 'paForNode' } } },
    async (req, reply) => {
      const audit = req.audit!;
      reply.type(XML);
      if (req.body instanceof UndecodableXml) {
        audit.outcome = `soap:${req.body.reason.faultCode}`;
        audit.detail = req.body.reason.message;
        return reply.code(500).send(soapFault(req.body.reason.faultCode, req.body.reason.message));
      }
      const rawXml = typeof req.body === 'string' ? req.body : '';
      let element: string;
      let body: XmlObject;
      let op: Operation | undefined;
      try {
        const parsed = parseSoapRequest(rawXml);
        element = parsed.element;
        body = parsed.body;
        op = operationOfElement(element);
        if (!op || parsed.namespace !== PAFORNODE_NS) {
          throw new SoapEnvelopeError(
            'Client',
            op
              ? `Namespace di ${element} errato: atteso ${PAFORNODE_NS}`
              : `Operazione sconosciuta: ${element}`,
          );
        }
        const action = soapActionOf(req);
        // A missing SOAPAction is forgiven (the body names the operation): a receipt is never refused for a header.
        if (action !== undefined && action !== '' && action !== op)
          throw new SoapEnvelopeError(
            'Client',
            `SOAPAction ${action} non corrisponde all'elemento ${element}`,
          );
      } catch (e) {
        if (!(e instanceof SoapEnvelopeError)) throw e;
        if (op) audit.operation = op;
        audit.outcome = `soap:${e.faultCode}`;
        audit.detail = e.message;
        return reply.code(500).send(soapFault(e.faultCode, e.message));
      }
      audit.operation = op;
      audit.caller = ipString(body.idStation)?.slice(0, 80);
      audit.enteFiscalCode = ipString(body.idPA)?.slice(0, 16);
      const faultId = faultIdOf(body, faultFallbackId);
      let served: Served;
      try {
        served = await serve(service, op, body, faultId, rawXml, receivedBytes.get(req));
        audit.outcome = 'OK';
      } catch (e) {
        const fault =
          e instanceof PaaFault ? e : paaFault('PAA_SYSTEM_ERROR', faultId, 'Errore interno della stazione');
        // the database unreachable (restart, failover): the node retries later; nothing was written (one transaction)
        if (!(e instanceof PaaFault) && isDatabaseUnavailable(e))
          req.log.warn({ operation: op, db: dbErrorSummary(e) }, 'paForNode: database unavailable');
        else if (!(e instanceof PaaFault))
          req.log.error({ err: e, operation: op }, 'paForNode operation failed');
        audit.outcome = fault.code;
        audit.detail = fault.description?.slice(0, 1000);
        served = { xml: faultBody(fault) };
      }
      if (served.iuv) audit.iuv = served.iuv.slice(0, 35);
      return reply.send(soapResponse(OPERATIONS[op].response, served.xml));
    },
  );
}
