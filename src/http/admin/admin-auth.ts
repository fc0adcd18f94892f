import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from '../../shared/secret-box.js';

/** Whether the request carries the admin token (`Authorization: Bearer <CASSA_ADMIN_TOKEN>`), compared in constant time. */
export function hasAdminToken(req: FastifyRequest, adminToken: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m !== null && safeEqual(m[1]!, adminToken);
}

/** The admin API's 401: a Bearer challenge and a problem+json body. */
export function sendAdminUnauthorized(reply: FastifyReply): FastifyReply {
  reply.header('www-authenticate', 'Bearer realm="cassa-admin"');
  return reply.code(401).type('application/problem+json').send({
    type: 'about:blank',
    title: 'Unauthorized',
    status: 401,
    detail: 'token di amministrazione mancante o non valido',
  });
}
