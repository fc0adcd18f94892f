import type { FastifyPluginAsync } from 'fastify';
import type { Container } from '../app/container.js';
import { dbErrorSummary, isDatabaseUnavailable } from '../db/errors.js';

/** Liveness (the process answers) and readiness (the database answers), for load balancers and orchestrators. */
// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async is how Fastify knows it is loaded (a throw becomes a registration error)
export const healthRoutes: FastifyPluginAsync<{ container: Container }> = async (app, { container }) => {
  app.get('/health/live', { schema: { hide: true } }, () => ({ status: 'ok' }));
  app.get('/health/ready', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await container.db.executeSql('select 1');
      return { status: 'ok', database: container.db.kind };
    } catch (err) {
      // not ready while the database does not answer (within the pool's connect timeout): the balancer
      // sends nothing here until it does; the pool reconnects by itself when the server is back
      const reason = isDatabaseUnavailable(err) ? 'database unavailable' : 'database error';
      return reply.code(503).send({ status: 'unavailable', reason, detail: dbErrorSummary(err).message });
    }
  });
};
