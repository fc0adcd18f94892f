import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EPAYWSO2ENTI_PATH, soapEndpointOf, type GestionaleConfig } from '../config.js';
import type { Inbox } from './inbox.js';
import { faultEnvelope, readRequest, responseEnvelope } from './messages.js';
import { checkRequest, specsDir, WSDL_FILE, XSD_FILES } from './schema.js';
import type { EPaywso2Enti } from './service.js';

const XML = 'text/xml; charset=utf-8';
/** A TrasmettiNotifichePagamento of 1000 payments, or 100 RTs of several KB each, fit with room. */
const BODY_LIMIT = 32 * 1024 * 1024;

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a === b;
}

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/**
 * The gestionale's EPaywso2EntiService (PiemontePAY's WSDL, SOAP 1.1 document/literal), the service
 * Cassa calls with list outcomes, payment notifications, expired notices and RTs:
 * POST /soap/EPaywso2EntiService (HTTP Basic), GET ?wsdl (address rewritten), GET ?xsd=<file>.
 * Order of the checks: credentials (401 + SOAP fault), XSD (Result 101), duplicate IdMessaggio (000,
 * nothing applied), then the effects (000).
 */
export function epaywso2EntiRoutes(
  app: FastifyInstance,
  deps: { config: GestionaleConfig; service: EPaywso2Enti; inbox: Inbox },
): void {
  const { config, service, inbox } = deps;
  const dir = specsDir();
  const wsdl = readFileSync(join(dir, WSDL_FILE), 'utf8');
  const xsds = new Map<string, string>(XSD_FILES.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  const base = soapEndpointOf(config);
  const withLocations = (text: string) =>
    XSD_FILES.reduce(
      (t, f) => t.replaceAll(`schemaLocation="${f}"`, `schemaLocation="${base}?xsd=${f}"`),
      text,
    );

  // SOAP bodies are read as text in this scope only (the pages keep their form parser)
  app.addContentTypeParser(
    ['text/xml', 'application/soap+xml', 'application/xml'],
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );

  app.get(EPAYWSO2ENTI_PATH, async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Record<string, string | undefined>;
    if ('wsdl' in q || 'WSDL' in q)
      return reply
        .type(XML)
        .send(withLocations(wsdl.replace(/(<soap:address\s+location=")[^"]*(")/, `$1${base}$2`)));
    const xsd = q.xsd === undefined ? undefined : xsds.get(q.xsd);
    if (xsd) return reply.type(XML).send(withLocations(xsd));
    return reply.code(404).type('text/plain; charset=utf-8').send('Usare ?wsdl');
  });

  app.post(EPAYWSO2ENTI_PATH, { bodyLimit: BODY_LIMIT }, async (req, reply) => {
    reply.type(XML);
    const creds = basicCredentials(req.headers.authorization);
    if (
      !creds ||
      !(sameSecret(creds.user, config.soapUser) && sameSecret(creds.password, config.soapPassword))
    ) {
      req.log.warn({ user: creds?.user }, 'EPaywso2EntiService: credentials refused');
      inbox.record({
        operation: '(rifiutato)',
        idMessaggio: '',
        cfEnteCreditore: '',
        codiceVersamento: '',
        codice: 'HTTP 401',
        duplicate: false,
        details: [creds ? 'credenziali HTTP Basic errate' : 'credenziali HTTP Basic mancanti'],
      });
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="EPaywso2EntiService"')
        .send(faultEnvelope('Client', 'Autenticazione richiesta: credenziali HTTP Basic mancanti o errate'));
    }
    const xml = typeof req.body === 'string' ? req.body : '';
    const check = checkRequest(xml);
    if (!check.ok) {
      const messaggio = `Errore XSD: ${check.errors.join('; ')}`;
      req.log.warn(
        { element: check.element, errors: check.errors.slice(0, 5) },
        'EPaywso2EntiService: request refused (101)',
      );
      inbox.record({
        operation: check.element?.replace(/Request$/, '') ?? '(illeggibile)',
        idMessaggio: '',
        cfEnteCreditore: '',
        codiceVersamento: '',
        codice: '101',
        duplicate: false,
        details: check.errors.slice(0, 10),
      });
      return reply.send(responseEnvelope('101', messaggio));
    }
    const request = readRequest(xml, check.element);
    const answer = service.receive(request);
    req.log.info(
      { operation: request.operation, idMessaggio: request.testata.idMessaggio, codice: answer.codice },
      'EPaywso2EntiService request',
    );
    return reply.send(responseEnvelope(answer.codice, answer.messaggio));
  });
}
