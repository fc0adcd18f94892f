import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';

/**
 * The base URL (no trailing slash) of the public URLs Cassa hands out: the Sportello's return URLs
 * given to pagoPA Checkout, the WSDLs' addresses. CASSA_PUBLIC_URL when set (always in production);
 * without it, in development the request's own scheme and Host, in test the configured listen
 * address (http://HOST:PORT): outside development a URL never follows the Host header, which the
 * client chooses.
 */
export function publicBaseUrl(
  config: Pick<Config, 'env' | 'publicUrl' | 'host' | 'port' | 'tls'>,
  req: FastifyRequest,
): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  if (config.env === 'development') return `${req.protocol}://${req.host}`;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `${config.tls ? 'https' : 'http'}://${host}:${config.port}`;
}
