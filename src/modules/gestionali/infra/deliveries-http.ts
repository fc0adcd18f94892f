/**
 * SOAP 1.1 client of a gestionale's EPaywso2EntiService: POSTs one request element in an envelope, with
 * Basic credentials and the operation's SOAPAction, under a timeout. It reports what happened on the wire
 * (HTTP status, cmn:Result Codice/Messaggio); whether that counts as delivered is the sender's business.
 */
import { XMLParser } from 'fast-xml-parser';
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

const MAX_BODY_CHARS = 16_384;
/** the gestionale's answer is only a Result: more than this is not read (a misbehaving endpoint cannot fill memory) */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** The answer's text, or null (and the rest of the stream cancelled) when it exceeds `max` bytes. */
async function readLimited(res: Response, max: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
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
    const doc = parser.parse(text) as Record<string, any>;
    const body = doc?.Envelope?.Body;
    const result = body?.EPaywsoServiceResponse?.Result;
    if (result) return { codice: str(result.Codice), messaggio: str(result.Messaggio) };
    if (body?.Fault) return { codice: undefined, messaggio: str(body.Fault.faultstring) ?? 'SOAP fault' };
  } catch {
    /* not XML */
  }
  return { codice: undefined, messaggio: undefined };
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

export async function callEPaywso2Enti(call: SoapCall): Promise<SoapCallOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const headers: Record<string, string> = {
    'content-type': 'text/xml; charset=utf-8',
    accept: 'text/xml',
    soapaction: `"${SOAP_ACTION_BASE}${call.operation}"`,
  };
  if (call.username !== null) {
    headers.authorization = `Basic ${Buffer.from(`${call.username}:${call.password ?? ''}`, 'utf8').toString('base64')}`;
  }
  const signal = AbortSignal.timeout(call.timeoutMs);
  try {
    const res = await fetch(call.url, {
      method: 'POST',
      headers,
      body: soapEnvelope(call.bodyXml),
      redirect: 'manual',
      signal,
    });
    const text = await readLimited(res, MAX_ANSWER_BYTES);
    if (text === null)
      return {
        kind: 'unreachable',
        reason: `answer larger than ${MAX_ANSWER_BYTES} bytes`,
        durationMs: elapsed(),
      };
    const { codice, messaggio } = parseSoapResult(text);
    return {
      kind: 'answered',
      httpStatus: res.status,
      codice,
      messaggio,
      body: text.slice(0, MAX_BODY_CHARS),
      durationMs: elapsed(),
    };
  } catch (err) {
    if (signal.aborted) return { kind: 'timeout', durationMs: elapsed() };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return {
      kind: 'unreachable',
      reason: cause?.code ?? cause?.message ?? (err as Error).message,
      durationMs: elapsed(),
    };
  }
}
