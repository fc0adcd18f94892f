import type { FastifyReply } from 'fastify';

/**
 * A notice or receipt PDF as a download: an attachment under its file name, kept by no cache (it
 * names a person).
 */
export function sendPdfDownload(reply: FastifyReply, fileName: string, pdf: Buffer): FastifyReply {
  return reply
    .type('application/pdf')
    .header('content-disposition', `attachment; filename="${fileName}"`)
    .header('cache-control', 'no-store')
    .send(pdf);
}
