import type { FastifyRequest } from 'fastify';

/**
 * The operation a request's SOAPAction names: quotes removed, and any namespace before it
 * (`http://…/service/<Operation>`, `urn:…:<Operation>`, `…#<Operation>`); undefined when absent.
 */
export function soapActionOf(req: FastifyRequest): string | undefined {
  const h = req.headers.soapaction;
  if (h === undefined) return undefined;
  const v = (Array.isArray(h) ? (h[0] ?? '') : h)
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .trim();
  return v.slice(Math.max(v.lastIndexOf('/'), v.lastIndexOf('#'), v.lastIndexOf(':')) + 1);
}
