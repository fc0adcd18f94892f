import type { FastifyInstance } from 'fastify';

/**
 * The CSRF token of the demo gestionale's own forms and the cookie with its secret, as its access
 * page gives them to a browser: every POST of its pages carries `_csrf` and the cookie.
 */
export async function gestionaleCsrf(app: FastifyInstance): Promise<{ token: string; cookie: string }> {
  const page = await app.inject({ method: 'GET', url: '/' });
  const m = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(page.body);
  const secret = page.cookies.find((c) => c.name === 'gest_csrf');
  if (!m || !secret) throw new Error('no CSRF token on the access page');
  return { token: m[1]!, cookie: `gest_csrf=${secret.value}` };
}
