/**
 * A gestionale for the deliveries and notifications tests: a real Fastify HTTP listener implementing
 * EPaywso2EntiService. Every request is validated (SOAP 1.1 envelope, SOAPAction, Basic credentials, body
 * element against EPaywso2EntiServiceTypes.xsd) and counted by IdMessaggio; a message is "applied" only the
 * first time its IdMessaggio arrives (as a real gestionale discarding duplicates). Its behaviour is switched
 * by the test: answer 000, answer HTTP 500, answer another Result code, or hang.
 */
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { XmlDocument, XsdValidator, type XmlElement } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';
import { projectPath } from '../../src/shared/paths.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const TYPES_NS = 'http://www.csi.it/epay/epaywso/epaywso2enti/types';

let validator: XsdValidator | undefined;
function xsd(): XsdValidator {
  if (!validator) {
    xmlRegisterFsInputProviders();
    const path = projectPath('resources/specs/piemontepay', 'EPaywso2EntiServiceTypes.xsd');
    const doc = XmlDocument.fromBuffer(readFileSync(path), { url: path });
    try {
      validator = XsdValidator.fromDoc(doc);
    } finally {
      doc.dispose();
    }
  }
  return validator;
}

/** Throws unless the body element of the envelope is valid against EPaywso2EntiServiceTypes.xsd; returns its name. */
export function validateEPaywso2EntiRequest(envelope: string): string {
  const doc = XmlDocument.fromString(envelope);
  try {
    const body = doc.get('/s:Envelope/s:Body/*', { s: SOAP11 }) as XmlElement | null;
    if (!body) throw new Error('SOAP body has no element');
    if (body.namespaceUri !== TYPES_NS) throw new Error(`body element in namespace ${body.namespaceUri}`);
    try {
      xsd().validate(body);
    } catch (e) {
      const details = (e as { details?: { message: string }[] }).details
        ?.map((d) => d.message.trim())
        .join('; ');
      throw new Error(`${body.name} is not valid: ${details ?? (e as Error).message}`, { cause: e });
    }
    return body.name;
  } finally {
    doc.dispose();
  }
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (name) => ['NotificaPagamento', 'AvvisoScaduto', 'RT'].includes(name),
});

export type Mode =
  { kind: 'ok' } | { kind: 'http'; status: number } | { kind: 'code'; codice: string } | { kind: 'hang' };

export interface Received {
  operation: string;
  soapAction: string;
  authorization: string | undefined;
  idMessaggio: string;
  body: Record<string, any>;
  at: number;
}

export interface Gestionale {
  url: string;
  mode: Mode;
  /** every request, in order of arrival (also the ones answered with an error) */
  requests: Received[];
  /** the messages applied (first arrival of each IdMessaggio answered 000) */
  applied: Map<string, Received>;
  /** times each IdMessaggio arrived */
  arrivals: Map<string, number>;
  /** XSD or protocol problems seen (a test expects none) */
  invalid: string[];
  close(): Promise<void>;
}

export async function startGestionale(path = '/EPaywso2EntiService'): Promise<Gestionale> {
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: 64 * 1024 * 1024,
    forceCloseConnections: true,
  });
  app.addContentTypeParser(['text/xml', 'application/soap+xml'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  const g: Gestionale = {
    url: '',
    mode: { kind: 'ok' },
    requests: [],
    applied: new Map(),
    arrivals: new Map(),
    invalid: [],
    close: async () => {
      await app.close();
    },
  };
  const hanging = new Set<() => void>();
  app.addHook('onClose', (_instance, done) => {
    for (const release of hanging) release();
    done();
  });
  app.post(path, async (req, reply) => {
    const text = String(req.body);
    let element = '';
    try {
      element = validateEPaywso2EntiRequest(text);
    } catch (e) {
      g.invalid.push((e as Error).message);
    }
    const doc = parser.parse(text) as Record<string, any>;
    const body = (doc.Envelope?.Body?.[element] ?? {}) as Record<string, any>;
    const operation = element.replace(/Request$/, '');
    const soapAction = String(req.headers.soapaction ?? '');
    if (soapAction.replace(/"/g, '') !== `http://www.csi.it/epay/epaywso/service/${operation}`)
      g.invalid.push(`SOAPAction ${soapAction} for ${operation}`);
    const idMessaggio = String(body.Testata?.IdMessaggio ?? body.TestataEsito?.IdMessaggio ?? '');
    const r: Received = {
      operation,
      soapAction,
      authorization: req.headers.authorization,
      idMessaggio,
      body,
      at: Date.now(),
    };
    g.requests.push(r);
    g.arrivals.set(idMessaggio, (g.arrivals.get(idMessaggio) ?? 0) + 1);
    const mode = g.mode;
    if (mode.kind === 'hang') {
      await new Promise<void>((resolve) => {
        const release = () => resolve();
        hanging.add(release);
        req.raw.on('close', () => {
          hanging.delete(release);
          resolve();
        });
      });
      return reply;
    }
    if (mode.kind === 'http')
      return reply.code(mode.status).type('text/plain').send('gestionale in manutenzione');
    const codice = mode.kind === 'code' ? mode.codice : '000';
    if (codice === '000' && !g.applied.has(idMessaggio)) g.applied.set(idMessaggio, r);
    return reply
      .type('text/xml; charset=utf-8')
      .send(
        `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11}"><soapenv:Body>` +
          `<cmn:EPaywsoServiceResponse xmlns:cmn="http://www.csi.it/epay/epaywso/types"><cmn:Result><cmn:Codice>${codice}</cmn:Codice>` +
          `<cmn:Messaggio>${codice === '000' ? 'OK' : 'errore di prova'}</cmn:Messaggio></cmn:Result></cmn:EPaywsoServiceResponse></soapenv:Body></soapenv:Envelope>`,
      );
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  g.url = `${address}${path}`;
  return g;
}
