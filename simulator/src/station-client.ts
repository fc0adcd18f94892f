import type { Journal } from './journal.js';
import { parseAnswer, type OperationInfo, type ParsedAnswer } from './soap.js';
import type { PaForNodeSchema } from './xsd.js';

/** pagoPA's node timeouts towards the EC (SANP "Livelli di servizio"): 7 s verify/activate, 15 s paSendRT. */
export const NODE_TIMEOUT_MS: Record<string, number> = {
  paVerifyPaymentNotice: 7000,
  paGetPayment: 7000,
  paGetPaymentV2: 7000,
  paSendRT: 15000,
  paSendRTV2: 15000,
};

export interface StationAnswer {
  callId: number;
  /** The call reached the EC and got an HTTP answer. */
  answered: boolean;
  httpStatus: number | undefined;
  /** Transport problem: timeout, refused connection... */
  error: string | undefined;
  /** Why the answer is not a valid paForNode response (empty: valid). */
  xsdErrors: string[];
  parsed: ParsedAnswer;
  /** Valid answer with outcome OK. */
  ok: boolean;
}

export interface CallTuning {
  /** Added before the call: "node slow". */
  delayMs: number;
  /** Overrides the node's timeout for this call. */
  timeoutMs: number | undefined;
}

/**
 * The node's SOAP calls to the EC station: POST with SOAPAction, bounded by the node's timeout,
 * every answer validated against paForNode.xsd and journaled; the simulator's own request is
 * validated too (a violation there is a simulator bug, logged as loudly).
 */
export class StationClient {
  constructor(
    private readonly schema: PaForNodeSchema,
    private readonly journal: Journal,
  ) {}

  async call(
    stationUrl: string,
    op: OperationInfo,
    xml: string,
    tuning: CallTuning,
    refs: Record<string, string | number>,
  ): Promise<StationAnswer> {
    const own = this.schema.check(xml, op.request);
    if (own.errors.length > 0)
      this.journal.violation({
        kind: 'request',
        operation: op.operation,
        callId: undefined,
        errors: own.errors,
      });
    if (tuning.delayMs > 0) await new Promise((r) => setTimeout(r, tuning.delayMs));
    const timeoutMs = tuning.timeoutMs ?? NODE_TIMEOUT_MS[op.operation] ?? 7000;
    const started = performance.now();
    let httpStatus: number | undefined;
    let text: string | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(stationUrl, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${op.operation}"` },
        body: xml,
        signal: AbortSignal.timeout(timeoutMs),
      });
      httpStatus = res.status;
      text = await res.text();
    } catch (e) {
      error = describeFetchError(e, timeoutMs);
    }
    const durationMs = Math.round(performance.now() - started);
    let xsdErrors: string[] = [];
    let parsed: ParsedAnswer = {
      outcome: undefined,
      fault: undefined,
      body: undefined,
      soapFault: undefined,
    };
    if (text !== undefined) {
      xsdErrors = this.schema.check(text, op.response).errors;
      parsed = parseAnswer(text, op.response);
    }
    const rec = this.journal.record({
      direction: 'outbound',
      operation: op.operation,
      url: stationUrl,
      httpStatus,
      durationMs,
      outcome: parsed.outcome ?? (parsed.soapFault ? 'SOAP_FAULT' : undefined),
      faultCode: parsed.fault?.faultCode ?? parsed.soapFault?.faultcode,
      error,
      xsdErrors: text !== undefined ? xsdErrors : undefined,
      request: xml,
      response: text,
      refs,
    });
    if (text !== undefined && xsdErrors.length > 0)
      this.journal.violation({
        kind: 'response',
        operation: op.operation,
        callId: rec.id,
        errors: xsdErrors,
      });
    const answered = text !== undefined;
    return {
      callId: rec.id,
      answered,
      httpStatus,
      error,
      xsdErrors,
      parsed,
      ok: answered && httpStatus === 200 && xsdErrors.length === 0 && parsed.outcome === 'OK',
    };
  }
}

function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message ?? 'fetch failed'}: ${cause}` : (err.message ?? String(e));
}
