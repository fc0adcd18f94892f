import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Container } from '../app/container.js';
import type { TrustProxy } from '../config/config.js';
import { auditHooks } from './audit-hooks.js';
import { inputGuard } from './input-guard.js';
import { metricsHooks } from './metrics.js';
import { apiDocs, portalPlugins } from './plugins.js';
import { epayapiRoutes } from './rest/epayapi/routes.js';
import { adminRoutes } from './admin/routes.js';
import { healthRoutes } from './health.js';
import { soapRoutes } from './soap/routes.js';
import { isPortalUrl, portalRoutes, sendPortalFrameworkError } from './portal/routes.js';
import { enti2EPaywsoRoutes } from './soap/enti2epaywso/routes.js';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{8,80}$/;

/**
 * CASSA_TRUST_PROXY for Fastify: a number of hops trusts the socket's peer and the hops after it (the
 * rightmost X-Forwarded-For entries the proxies appended), never the leftmost, client-chosen ones; a
 * list trusts only those proxy addresses. req.ip, which every limit is keyed on, is the first
 * address from the right that is not trusted.
 */
function trustProxyOption(tp: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (tp === false || Array.isArray(tp)) return tp;
  return (_address, hop) => hop < tp;
}

/** Builds the web process: every HTTP edge, journaled, with the OpenAPI document at /docs. */
export async function buildServer(container: Container): Promise<FastifyInstance> {
  const { config } = container;
  const app = Fastify({
    loggerInstance: container.logger,
    trustProxy: trustProxyOption(config.trustProxy),
    bodyLimit: config.bodyLimit,
    genReqId: (req) => {
      const given = req.headers['x-correlation-id'];
      return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    },
    // a URL the router cannot read (bad %-encoding): the Sportello's own error page on its URLs
    frameworkErrors: (err, req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      const r = reply as unknown as FastifyReply;
      if (isPortalUrl(req.url)) sendPortalFrameworkError(req, r, status);
      else r.code(status).send(err);
    },
    ...(config.tls
      ? { https: { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } }
      : {}),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(apiDocs);

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  await app.register(auditHooks, { journal: container.audit });
  // before the edges: what no edge may let through (control characters, deep JSON), refused in each one's protocol
  await app.register(inputGuard);
  await app.register(metricsHooks, { container });
  await app.register(healthRoutes, { container });
  await app.register(epayapiRoutes, { container, prefix: '/epayapi/api/v1' });
  await app.register(adminRoutes, { container, prefix: '/admin/api/v1' });
  await app.register(soapRoutes, { container, prefix: '/soap' });
  // The Sportello in an encapsulated instance of its own: its plugins and its routes (both fastify-plugin
  // wrapped, so they share that one instance: the portal's error handler covers its static files too), and
  // nothing of them (CSP, cookies, form bodies, rate limit) on the other edges.
  await app.register(async (sportello) => {
    await sportello.register(portalPlugins, { container });
    await sportello.register(fp(portalRoutes), { container });
  });
  await app.register(enti2EPaywsoRoutes, { container, prefix: '/soap' });

  app.addHook('onClose', async () => {
    await container.audit.flush();
  });
  return app as unknown as FastifyInstance;
}
