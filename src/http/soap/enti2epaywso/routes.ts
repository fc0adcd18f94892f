import { readFileSync } from 'node:fs';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../../app/container.js';
import { ListAckError } from '../../../modules/gestionali/domain/lists.js';
import { TooManyAuthFailures } from '../../../modules/limits/domain/errors.js';
import { PIEMONTEPAY_SPECS } from '../../../modules/gestionali/infra/piemontepay-schemas.js';
import { EPAYWSO_COMMON_NS } from '../../../modules/gestionali/infra/piemontepay-xml/namespaces.js';
import { projectPath } from '../../../shared/paths.js';
import { parseBasicAuth } from '../../basic-auth.js';
import { readXmlBody, SOAP11_NS, soapFault, UndecodableXml } from '../../../shared/soap/soap-envelope.js';
import { ESITO } from '../../../shared/piemontepay/codes.js';
import { dbErrorSummary, isDatabaseUnavailable } from '../../../db/errors.js';
import { xmlEscape } from '../../../shared/soap/xml-text.js';
import { publicBaseUrl } from '../../public-url.js';
import { soapActionOf } from '../soap-action.js';

const XML = 'text/xml; charset=utf-8';
const SERVICE = 'Enti2EPaywsoService';
const XSDS = ['Enti2EPaywsoServiceTypes.xsd', 'EPaywsoCommonTypes.xsd'] as const;

/** The acknowledgement: cmn:EPaywsoServiceResponse { Result { Codice, Messaggio } }. */
export function ackEnvelope(code: string, message: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11_NS}"><soapenv:Body>` +
    `<cmn:EPaywsoServiceResponse xmlns:cmn="${EPAYWSO_COMMON_NS}"><cmn:Result><cmn:Codice>${code}</cmn:Codice>` +
    (message ? `<cmn:Messaggio>${xmlEscape(message.slice(0, 500))}</cmn:Messaggio>` : '') +
    `</cmn:Result></cmn:EPaywsoServiceResponse></soapenv:Body></soapenv:Envelope>`
  );
}

/**
 * PiemontePAY's Enti2EPaywsoService (SOAP 1.1 document/literal), so that a gestionale that sends
 * its liste di carico to PiemontePAY sends them to Cassa unchanged: POST /soap/Enti2EPaywsoService
 * (HTTP Basic: codiceChiamante / passphrase), GET ?wsdl (address rewritten) and ?xsd=<file>.
 * The answer is only the acknowledgement; the outcome goes back later to the gestionale's own
 * EPaywso2EntiService. Every POST is journaled (interface Enti2EPaywsoService).
 */
// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async is how Fastify knows it is loaded (a throw becomes a registration error)
export async function enti2EPaywsoRoutes(
  app: FastifyInstance,
  { container }: { container: Container },
): Promise<void> {
  const lists = container.lists;
  const wsdl = readFileSync(projectPath(PIEMONTEPAY_SPECS, 'Enti2EPaywsoService.wsdl'), 'utf8');
  const xsds = new Map(XSDS.map((f) => [f, readFileSync(projectPath(PIEMONTEPAY_SPECS, f), 'utf8')]));
  // a list of the largest size, with room for long fields
  const bodyLimit = Math.max(container.config.bodyLimit, container.config.lists.maxPositions * 8192 + 65536);

  app.removeAllContentTypeParsers();
  // bytes decoded per the XML declaration (ISO-8859-1 lists are common), whatever the Content-Type (or none)
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => {
    // bytes not valid in their encoding, or an encoding Cassa cannot read: answered 101 once the caller is authenticated
    const read = readXmlBody(body as Buffer);
    done(null, read instanceof UndecodableXml ? read : read.text);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const tooLarge = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    if (tooLarge) {
      if (req.audit) req.audit.outcome = ESITO.MESSAGE_INVALID;
      return reply.code(200).type(XML).send(ackEnvelope(ESITO.MESSAGE_INVALID, 'Messaggio troppo grande'));
    }
    // the caller's input (control characters in the URL...): a validation refusal, not Cassa's failure
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      if (req.audit) req.audit.outcome = ESITO.MESSAGE_INVALID;
      return reply.code(200).type(XML).send(ackEnvelope(ESITO.MESSAGE_INVALID, err.message));
    }
    if (isDatabaseUnavailable(err)) {
      // nothing was stored: the gestionale sends the list again later (a SOAP Server fault, HTTP 503)
      req.log.warn({ db: dbErrorSummary(err) }, 'Enti2EPaywsoService: database unavailable');
      if (req.audit) req.audit.outcome = 'soap:Server';
      return reply
        .code(503)
        .header('retry-after', '30')
        .type(XML)
        .send(soapFault('Server', 'Servizio temporaneamente non disponibile: riprovare più tardi'));
    }
    req.log.error({ err }, 'Enti2EPaywsoService request failed');
    if (req.audit) req.audit.outcome = ESITO.GENERIC_ERROR;
    return reply.code(200).type(XML).send(ackEnvelope(ESITO.GENERIC_ERROR, 'Errore generico'));
  });

  app.get(`/${SERVICE}`, async (req: FastifyRequest, reply: FastifyReply) => {
    const query = req.query as Record<string, string | undefined>;
    const base = `${publicBaseUrl(container.config, req)}${req.routeOptions.url}`;
    const withLocations = (text: string) =>
      XSDS.reduce((t, f) => t.replaceAll(`schemaLocation="${f}"`, `schemaLocation="${base}?xsd=${f}"`), text);
    if ('wsdl' in query || 'WSDL' in query) {
      return reply
        .type(XML)
        .send(withLocations(wsdl.replace(/(<soap:address\s+location=")[^"]*(")/, `$1${base}$2`)));
    }
    const xsd = query.xsd === undefined ? undefined : xsds.get(query.xsd as (typeof XSDS)[number]);
    if (xsd) return reply.type(XML).send(withLocations(xsd));
    return reply.code(404).type('text/plain; charset=utf-8').send('Usare ?wsdl');
  });

  app.post(
    `/${SERVICE}`,
    { bodyLimit, config: { audit: { interface: SERVICE, operation: SERVICE } } },
    async (req, reply) => {
      const audit = req.audit!;
      reply.type(XML);
      const creds = parseBasicAuth(req.headers.authorization);
      if (creds) audit.caller = creds.user.slice(0, 80);
      const unauthenticated = (detail: string) => {
        audit.outcome = 'UNAUTHORIZED';
        audit.detail = detail;
        return reply
          .code(401)
          .header('www-authenticate', 'Basic realm="Enti2EPaywsoService"')
          .send(soapFault('Client', detail));
      };
      if (!creds)
        return unauthenticated('Autenticazione HTTP Basic richiesta (codiceChiamante e passphrase)');
      const rawXml = typeof req.body === 'string' ? req.body : '';
      const undecodable = req.body instanceof UndecodableXml ? req.body.reason.message : undefined;
      let ack;
      try {
        ack = await lists.receive({
          rawXml,
          undecodable,
          codiceChiamante: creds.user,
          passphrase: creds.password,
          correlationId: req.id,
          address: req.ip,
        });
      } catch (e) {
        if (e instanceof ListAckError) return unauthenticated(e.message);
        if (e instanceof TooManyAuthFailures) {
          // refused before the credentials were checked (docs/security.md): a Client fault as for
          // refused credentials, with HTTP 429 and Retry-After
          audit.outcome = e.code;
          audit.detail = `${e.message} (limite per ${e.over === 'caller' ? 'codiceChiamante' : `indirizzo ${req.ip}`})`;
          return reply
            .code(429)
            .header('retry-after', String(e.retryAfterSeconds))
            .send(soapFault('Client', e.message));
        }
        throw e;
      }
      if (ack.operation) audit.operation = ack.operation;
      audit.enteFiscalCode = ack.enteFiscalCode?.slice(0, 16);
      audit.outcome = ack.code;
      audit.detail =
        [
          ack.idMessaggio && `IdMessaggio ${ack.idMessaggio}`,
          ack.listId && `lista ${ack.listId}`,
          ack.code !== ESITO.OK && ack.message,
        ]
          .filter(Boolean)
          .join(' · ')
          .slice(0, 1000) || undefined;
      const action = soapActionOf(req);
      if (ack.operation && action && action !== ack.operation && ack.code === ESITO.OK)
        req.log.warn({ action, operation: ack.operation }, 'SOAPAction differs from the body element');
      return reply.send(ackEnvelope(ack.code, ack.message));
    },
  );
}
