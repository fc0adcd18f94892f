import PDFDocument from 'pdfkit';
import { projectPath } from '../../../shared/paths.js';
import { sharedFont } from './pdf-fonts.js';

/** What every PDF Cassa prints shares: A4, Titillium Web embedded, PDF/UA-style tags, metadata. */

export const FONT = {
  regular: 'Titillium',
  italic: 'Titillium-Italic',
  semibold: 'Titillium-SemiBold',
  bold: 'Titillium-Bold',
} as const;

const FONT_FILES: Record<(typeof FONT)[keyof typeof FONT], string> = {
  [FONT.regular]: 'titillium-web-v10-latin-ext_latin-regular.ttf',
  [FONT.italic]: 'titillium-web-v10-latin-ext_latin-italic.ttf',
  [FONT.semibold]: 'titillium-web-v10-latin-ext_latin-600.ttf',
  [FONT.bold]: 'titillium-web-v10-latin-ext_latin-700.ttf',
};

/** A4 in PDF points (1/72 inch). */
export const A4 = { width: 595.28, height: 841.89 } as const;
export const MM = 72 / 25.4;

export interface PdfOptions {
  title: string;
  /** BCP 47, e.g. it-IT: the document's language for screen readers. */
  lang: string;
  subject?: string | undefined;
  /**
   * Structure tags for screen readers (default true). A print run for paper may turn them off: the
   * structure tree is kept in memory until the document ends (a few KB a notice).
   */
  tagged?: boolean | undefined;
}

/**
 * A new tagged A4 document with the fonts registered (pdfkit embeds only the glyphs used) and
 * no page yet: callers add their pages, so that a merged print run is one document.
 */
export function createPdf(opts: PdfOptions): PDFKit.PDFDocument {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    autoFirstPage: false,
    pdfVersion: '1.7',
    tagged: opts.tagged ?? true,
    lang: opts.lang,
    displayTitle: true,
    compress: true,
    info: {
      Title: opts.title,
      Subject: opts.subject ?? opts.title,
      Author: 'Cassa',
      Creator: 'Cassa',
      Producer: 'Cassa (pdfkit)',
    },
  });
  for (const [name, file] of Object.entries(FONT_FILES)) {
    doc.registerFont(name, sharedFont(projectPath('resources', 'fonts', 'titillium-web', file)));
  }
  doc.font(FONT.regular);
  return doc;
}

/** The whole document as bytes (for one notice or receipt; print runs stream instead). */
export function pdfBytes(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    doc.on('error', reject);
    doc.end();
  });
}
