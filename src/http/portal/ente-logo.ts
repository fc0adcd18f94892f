import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app/container.js';
import { ente } from '../../db/schema.js';
import { isServedLogoType } from './layout-data.js';
import { sendPage } from './render.js';

/**
 * GET /sportello/enti/:codiceFiscale/logo: an ente's logo for the Sportello's header (the portal's
 * CSP allows images from 'self' only). PNG, JPEG and SVG, and only when the bytes are of the type
 * recorded; anything else, an unknown ente or an ente without a logo: the portal's 404 page.
 *
 * SVG is a document that can carry scripts: shown through <img> a browser runs none, but opened by
 * itself at this URL (the Sportello's origin) it would. So every logo goes out with its own CSP,
 * `default-src 'none'` and `sandbox` (no script, no request, a unique origin), nosniff and
 * Content-Disposition inline with a fixed file name.
 */

export const LOGO_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox";
/** Logos change rarely; a changed logo shows within the hour (ETag revalidation is cheap). */
export const LOGO_CACHE_CONTROL = 'public, max-age=3600';

const EXTENSION: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/svg+xml': 'svg' };

/** Whether the bytes are of the declared type: PNG and JPEG by their signature, SVG an XML text with an <svg> element. */
export function logoMatchesType(mime: string, data: Buffer): boolean {
  if (mime === 'image/png')
    return (
      data.length > 8 &&
      data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    );
  if (mime === 'image/jpeg')
    return data.length > 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
  if (mime === 'image/svg+xml') {
    const head = data
      .subarray(0, 4096)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart();
    return (
      (head.startsWith('<?xml') ||
        head.startsWith('<svg') ||
        head.startsWith('<!--') ||
        head.startsWith('<!DOCTYPE svg')) &&
      /<svg[\s>]/.test(head)
    );
  }
  return false;
}

export async function findEnteLogo(
  container: Pick<Container, 'db'>,
  codiceFiscale: string,
): Promise<{ mime: string; data: Buffer } | undefined> {
  const [row] = await container.db.orm
    .select({ mime: ente.logoMime, data: ente.logo })
    .from(ente)
    .where(eq(ente.codiceFiscale, codiceFiscale))
    .limit(1);
  if (!row?.data || !row.mime || !isServedLogoType(row.mime) || !logoMatchesType(row.mime, row.data))
    return undefined;
  return { mime: row.mime, data: row.data };
}

/** Registers the logo route on the portal's instance (its CSP, error pages and 404 page apply). */
export function registerEnteLogoRoute(app: FastifyInstance, container: Pick<Container, 'db'>): void {
  app.get<{ Params: { codiceFiscale: string } }>(
    '/sportello/enti/:codiceFiscale/logo',
    async (req, reply) => {
      const { codiceFiscale } = req.params;
      const logo = /^\d{11}$/.test(codiceFiscale) ? await findEnteLogo(container, codiceFiscale) : undefined;
      if (!logo) return sendPage(req, reply, 'error', { status: 404, messageKey: '404' }, 404);
      const etag = `"${createHash('sha256').update(logo.data).digest('base64url').slice(0, 27)}"`;
      reply
        .header('content-security-policy', LOGO_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', `inline; filename="logo-${codiceFiscale}.${EXTENSION[logo.mime]}"`)
        .header('cache-control', LOGO_CACHE_CONTROL)
        .header('etag', etag);
      const match = req.headers['if-none-match'];
      if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))
        return reply.code(304).send();
      return reply.code(200).type(logo.mime).send(logo.data);
    },
  );
}
