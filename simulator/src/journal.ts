import type { Logger } from 'pino';

/**
 * Every call the simulator makes or receives, kept in memory (a dev tool: nothing survives a
 * restart) for the control API, and logged. Violations of the official schemas found in what the
 * EC answered are kept apart and logged at error level: they are what an integrator must fix.
 */
export interface CallRecord {
  id: number;
  at: string;
  direction: 'outbound' | 'inbound';
  /** paVerifyPaymentNotice, paGetPaymentV2, ..., or "POST /checkout/ec/v2/carts" for HTTP. */
  operation: string;
  url: string;
  httpStatus?: number;
  durationMs?: number;
  outcome?: string;
  faultCode?: string;
  error?: string;
  xsdErrors?: string[];
  request?: string;
  response?: string;
  /** What the call belongs to: a cart, a payment token (= receiptId), a delivery. */
  refs?: Record<string, string | number>;
}

export interface Violation {
  id: number;
  at: string;
  /** "response" (what the EC answered), "request" (what the simulator itself sent: a simulator bug) or "semantic". */
  kind: 'response' | 'request' | 'semantic';
  operation: string;
  callId: number | undefined;
  errors: string[];
}

const MAX_CALLS = 5000;
const MAX_VIOLATIONS = 1000;

export class Journal {
  private calls: CallRecord[] = [];
  private violations: Violation[] = [];
  private seq = 0;
  private vseq = 0;

  constructor(private readonly log: Logger) {}

  record(call: Omit<CallRecord, 'id' | 'at'> & { at?: string }): CallRecord {
    const rec: CallRecord = { id: ++this.seq, at: call.at ?? new Date().toISOString(), ...call };
    this.calls.push(rec);
    if (this.calls.length > MAX_CALLS) this.calls.splice(0, this.calls.length - MAX_CALLS);
    const line = {
      callId: rec.id,
      direction: rec.direction,
      operation: rec.operation,
      url: rec.url,
      httpStatus: rec.httpStatus,
      durationMs: rec.durationMs,
      outcome: rec.outcome,
      faultCode: rec.faultCode,
      error: rec.error,
      refs: rec.refs,
    };
    if (rec.error || (rec.xsdErrors && rec.xsdErrors.length > 0))
      this.log.warn(line, `${rec.direction} ${rec.operation} failed`);
    // Inbound HTTP requests are already logged by Fastify at info level.
    else if (rec.direction === 'inbound') this.log.debug(line, `${rec.direction} ${rec.operation}`);
    else this.log.info(line, `${rec.direction} ${rec.operation}`);
    return rec;
  }

  violation(v: Omit<Violation, 'id' | 'at'>): Violation {
    const rec: Violation = { id: ++this.vseq, at: new Date().toISOString(), ...v };
    this.violations.push(rec);
    if (this.violations.length > MAX_VIOLATIONS)
      this.violations.splice(0, this.violations.length - MAX_VIOLATIONS);
    this.log.error(
      {
        violationId: rec.id,
        kind: rec.kind,
        operation: rec.operation,
        callId: rec.callId,
        errors: rec.errors,
      },
      `!!! ${rec.kind === 'request' ? 'SIMULATOR SENT' : 'EC ANSWERED'} A MESSAGE THAT VIOLATES paForNode.xsd / pagoPA RULES: ${rec.operation}`,
    );
    return rec;
  }

  listCalls(filter: { operation?: string; limit?: number; sinceId?: number } = {}): CallRecord[] {
    let out = this.calls;
    if (filter.sinceId !== undefined) out = out.filter((c) => c.id > filter.sinceId!);
    if (filter.operation) out = out.filter((c) => c.operation === filter.operation);
    return out.slice(-(filter.limit ?? 200));
  }

  listViolations(): Violation[] {
    return [...this.violations];
  }

  reset(): void {
    this.calls = [];
    this.violations = [];
  }
}
