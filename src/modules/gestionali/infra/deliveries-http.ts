/**
 * SOAP 1.1 client of a gestionale's EPaywso2EntiService: POSTs one request element in an envelope, with
 * Basic credentials and the operation's SOAPAction, under a timeout. It reports what happened on the wire
 * (HTTP status, cmn:Result Codice/Messaggio); whether that counts as delivered is the sender's business.
 */
import { XMLParser } from 'fast-xml-parser';
import { callOutbound, KEPT_ANSWER_CHARS } from '../../../shared/http/outbound.js';
import type { DeliveryOperation } from '../domain/deliveries.js';
import { SOAP_ACTION_BASE } from './piemontepay-xml/namespaces.js';

export type SoapCallOutcome =
  | {
      kind: 'answered';
      httpStatus: number;
      codice: string | undefined;
      messaggio: string | undefined;
      body: string;
      durationMs: number;
    }
  | { kind: 'timeout'; durationMs: number }
  | { kind: 'unreachable'; reason: string; durationMs: number };

export interface SoapCall {
  url: string;
  operation: DeliveryOperation;
  bodyXml: string;
  username: string | null;
  password: string | null;
  timeoutMs: number;
}

/** the gestionale's answer is only a Result: more than this is not read (a misbehaving endpoint cannot fill memory) */
export const MAX_ANSWER_BYTES = 1024 * 1024;

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: true,
});

export function soapEnvelope(bodyXml: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body>${bodyXml}</soapenv:Body></soapenv:Envelope>`;
}

/** Result/Codice and Messaggio of an EPaywsoServiceResponse (or of a SOAP fault: faultstring), if any. */
export function parseSoapResult(text: string): { codice: string | undefined; messaggio: string | undefined } {
  try {
    const doc: unknown = parser.parse(text);
    const body = at(doc, 'Envelope', 'Body');
    const result = at(body, 'EPaywsoServiceResponse', 'Result');
    if (result) return { codice: str(at(result, 'Codice')), messaggio: str(at(result, 'Messaggio')) };
    const fault = at(body, 'Fault');
    if (fault) return { codice: undefined, messaggio: str(at(fault, 'faultstring')) ?? 'SOAP fault' };
  } catch {
    /* not XML */
  }
  return { codice: undefined, messaggio: undefined };
}

/**
 * What fast-xml-parser gives (an element is an object of its children by local name, a leaf its text, a
 * repeated element an array) reached from `v` through the children named in `path`: undefined when one is
 * absent or a step meets text.
 */
function at(v: unknown, ...path: string[]): unknown {
  let current = v;
  for (const name of path) current = isObject(current) ? current[name] : undefined;
  return current;
}

const isObject = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null;

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

export async function callEPaywso2Enti(call: SoapCall): Promise<SoapCallOutcome> {
  const headers: Record<string, string> = {
    'content-type': 'text/xml; charset=utf-8',
    accept: 'text/xml',
    soapaction: `"${SOAP_ACTION_BASE}${call.operation}"`,
  };
  if (call.username !== null) {
    headers.authorization = `Basic ${Buffer.from(`${call.username}:${call.password ?? ''}`, 'utf8').toString('base64')}`;
  }
  const o = await callOutbound({
    url: call.url,
    method: 'POST',
    headers,
    body: soapEnvelope(call.bodyXml),
    timeoutMs: call.timeoutMs,
    maxAnswerBytes: MAX_ANSWER_BYTES,
    keepByteOrderMark: true,
  });
  if (o.kind !== 'answered') return o;
  const { codice, messaggio } = parseSoapResult(o.body);
  return {
    kind: 'answered',
    httpStatus: o.status,
    codice,
    messaggio,
    body: o.body.slice(0, KEPT_ANSWER_CHARS),
    durationMs: o.durationMs,
  };
}
