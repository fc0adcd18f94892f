import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Container } from '../app/container.js';
import { hasAdminToken, sendAdminUnauthorized } from './admin/admin-auth.js';

/**
 * Prometheus metrics on the web server: every response counted and timed under the interface, operation and
 * outcome the audit hooks know (`req.audit`; routes that are not journaled under interface "other" and their
 * route pattern), and `GET /metrics` behind the admin token, like the admin API. The call to /metrics itself is
 * not journaled: a scraper every 15 s would fill the journal. See docs/operations.md "Metrics".
 */
// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async is how Fastify knows it is loaded (a throw becomes a registration error)
export const metricsHooks = fp<{ container: Container }>(async (app: FastifyInstance, { container }) => {
  const { metrics } = container;
  metrics.markRole('web');

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    const a = req.audit;
    const route = req.routeOptions.url;
    metrics.observeRequest({
      interface: a?.interface ?? 'other',
      operation: a?.operation ?? (route ? `${req.method} ${route}` : 'unmatched'),
      outcome: a?.outcome ?? String(reply.statusCode),
      seconds: reply.elapsedTime / 1000,
    });
  });

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['Admin'],
        summary: 'Prometheus metrics (text format 0.0.4)',
        security: [{ adminToken: [] }],
      },
      onRequest: async (req, reply) => {
        if (!hasAdminToken(req, container.adminToken)) return sendAdminUnauthorized(reply);
      },
    },
    async (_req, reply) => {
      const body = await metrics.text();
      return reply.type(metrics.contentType).header('cache-control', 'no-store').send(body);
    },
  );
});

export interface MetricsListener {
  /** http://host:port of the listener */
  url: string;
  port: number;
  close: () => Promise<void>;
}

/**
 * The separate metrics listener (CASSA_METRICS_PORT): plain HTTP, no token, only `GET /metrics`, for a
 * scraper on an internal network. It is how the worker role, which has no web server, exposes its metrics.
 */
export async function startMetricsListener(
  c: Container,
  at: { host: string; port: number } = { host: c.config.metrics.host, port: c.config.metrics.port ?? 0 },
): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
        .end('method not allowed\n');
      return;
    }
    c.metrics.text().then(
      (body) => {
        res.writeHead(200, { 'content-type': c.metrics.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        c.logger.error({ err }, 'metrics: the exposition failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  });
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
