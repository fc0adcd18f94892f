import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuditJournal } from '../modules/audit/application/audit-journal.js';

/** What a route tells the journal about the call it served. */
export interface AuditInfo {
  interface: string;
  operation: string;
  caller?: string | undefined;
  enteFiscalCode?: string | undefined;
  iuv?: string | undefined;
  /** The protocol's own outcome code; defaults to the HTTP status. */
  outcome?: string | undefined;
  detail?: string | undefined;
  keepResponse?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    audit: AuditInfo | null;
    auditResponsePayload: string | undefined;
    /** The request body as received, when a content-type parser kept it (journaled instead of the parsed body). */
    auditRawBody: string | undefined;
  }
  interface FastifyContextConfig {
    /** Routes with this config are journaled: interface and operation name; keepResponse false omits the answer's body. */
    audit?: { interface: string; operation: string; keepResponse?: boolean };
  }
}

/**
 * Journals every inbound call of the routes that declare `config.audit`: time, interface,
 * operation, caller, ente, IUV, outcome, duration and correlation id (the request id, taken from
 * X-Correlation-Id when the caller sends a well-formed one), plus the payloads if configured.
 */
// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async is how Fastify knows it is loaded (a throw becomes a registration error)
export const auditHooks = fp<{ journal: AuditJournal }>(async (app: FastifyInstance, { journal }) => {
  app.decorateRequest('audit', null);
  app.decorateRequest('auditResponsePayload', undefined);
  app.decorateRequest('auditRawBody', undefined);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-correlation-id', req.id);
    const declared = req.routeOptions.config.audit;
    if (declared)
      req.audit = {
        interface: declared.interface,
        operation: declared.operation,
        keepResponse: declared.keepResponse ?? true,
      };
  });

  app.addHook('onSend', async (req: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
    if (req.audit?.keepResponse && typeof payload === 'string') req.auditResponsePayload = payload;
    return payload;
  });

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    const a = req.audit;
    if (!a) return;
    journal.record({
      at: new Date(Date.now() - reply.elapsedTime),
      interface: a.interface,
      direction: 'IN',
      operation: a.operation,
      caller: a.caller,
      enteFiscalCode: a.enteFiscalCode,
      iuv: a.iuv,
      outcome: a.outcome ?? String(reply.statusCode),
      httpStatus: reply.statusCode,
      durationMs: reply.elapsedTime,
      correlationId: req.id,
      detail: a.detail,
      requestPayload:
        req.auditRawBody ??
        (req.body === undefined ? null : typeof req.body === 'string' ? req.body : JSON.stringify(req.body)),
      responsePayload: req.auditResponsePayload,
    });
  });
});
