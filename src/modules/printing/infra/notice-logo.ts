import { createHash } from 'node:crypto';
import SVGtoPDF from 'svg-to-pdfkit';
import type { NoticeDocument } from '../domain/notice-document.js';

/**
 * The ente's logo on notices: decoded once per document and logo (a print run draws the same logo on
 * thousands of notices), an SVG logo's drawing recorded once and replayed.
 */

/** What pdfkit's openImage returns: drawn again by passing it to image(), embedded once. */
interface OpenedImage {
  width: number;
  height: number;
}
export type LogoEntry =
  | { kind: 'image'; image: OpenedImage }
  | { kind: 'svg'; svg: string; drawings: Map<string, SvgDrawing | null> };
type DocWithImages = PDFKit.PDFDocument & { openImage(src: Buffer): OpenedImage };

const logoCache = new WeakMap<PDFKit.PDFDocument, Map<string, LogoEntry | null>>();

/**
 * The logo decoded once per document and logo (keyed by a digest of its bytes, so that a print run
 * reading the same logo into a new Buffer per notice still embeds one image). Undecodable: null.
 */
export function openLogo(
  doc: PDFKit.PDFDocument,
  logo: NoticeDocument['creditor']['logo'],
): LogoEntry | null {
  if (!logo || logo.bytes.length === 0) return null;
  let perDoc = logoCache.get(doc);
  if (!perDoc) {
    perDoc = new Map();
    logoCache.set(doc, perDoc);
  }
  const key = `${logo.mime}:${createHash('sha1').update(logo.bytes).digest('hex')}`;
  if (perDoc.has(key)) return perDoc.get(key) ?? null;
  let entry: LogoEntry | null;
  try {
    if (logo.mime === 'image/svg+xml') {
      const svg = logo.bytes.toString('utf8');
      entry = /<svg[\s>]/.test(svg) ? { kind: 'svg', svg, drawings: new Map() } : null;
    } else {
      entry = { kind: 'image', image: (doc as DocWithImages).openImage(logo.bytes) };
    }
  } catch {
    entry = null;
  }
  perDoc.set(key, entry);
  return entry;
}

/** The ente's logo fitted in its box; a logo pdfkit opened but cannot draw leaves the box empty. */
export function drawLogo(
  doc: PDFKit.PDFDocument,
  logo: LogoEntry,
  x: number,
  y: number,
  w: number,
  h: number,
): void {
  try {
    if (logo.kind === 'image') {
      doc.image(logo.image as unknown as PDFKit.Mixins.ImageSrc, x, y, {
        fit: [w, h],
        align: 'center',
        valign: 'center',
      });
    } else {
      drawSvg(doc, logo, x, y, w, h);
    }
  } catch {
    // nothing, as for a missing logo
  }
}

/** What svg-to-pdfkit wrote for a logo in one box: its content operators and the resources it named. */
interface SvgDrawing {
  content: string[];
  resources: [ResourceKind, string, unknown][];
}
const RESOURCE_KINDS = ['fonts', 'xobjects', 'ext_gstates', 'patterns', 'colorSpaces'] as const;
type ResourceKind = (typeof RESOURCE_KINDS)[number];
type PageInternals = Record<ResourceKind, Record<string, unknown>> & { write(chunk: string): unknown };

/**
 * An SVG logo, vector. svg-to-pdfkit parses and converts the SVG on every call (milliseconds for a
 * simple logo): the operators it writes for a box, and the page resources they name (shared objects
 * of the document: opacity states, patterns, fonts), are recorded on the first notice of the document
 * and written again as they are on the following ones.
 */
function drawSvg(
  doc: PDFKit.PDFDocument,
  logo: Extract<LogoEntry, { kind: 'svg' }>,
  x: number,
  y: number,
  w: number,
  h: number,
): void {
  const key = `${x}|${y}|${w}|${h}`;
  const page = doc.page as unknown as PageInternals;
  const recorded = logo.drawings.get(key);
  if (recorded === null) return;
  if (recorded) {
    for (const [kind, name, ref] of recorded.resources) page[kind][name] ??= ref;
    for (const chunk of recorded.content) page.write(chunk);
    return;
  }
  const before = RESOURCE_KINDS.map((kind) => new Set(Object.keys(page[kind])));
  const content: string[] = [];
  const write = page.write.bind(page);
  page.write = (chunk: string) => {
    content.push(chunk);
    return write(chunk);
  };
  let saved = false;
  try {
    doc.save();
    saved = true;
    SVGtoPDF(doc, logo.svg, x, y, {
      width: w,
      height: h,
      preserveAspectRatio: 'xMidYMid meet',
      warningCallback: () => undefined,
    });
    doc.restore();
  } catch {
    // keep the graphics state balanced; what was drawn stays, the next notices draw nothing
    if (saved) doc.restore();
    logo.drawings.set(key, null);
    return;
  } finally {
    delete (page as Partial<PageInternals>).write;
  }
  const resources: SvgDrawing['resources'] = [];
  for (const [i, kind] of RESOURCE_KINDS.entries()) {
    for (const [name, ref] of Object.entries(page[kind])) {
      if (!before[i]!.has(name)) resources.push([kind, name, ref]);
    }
  }
  logo.drawings.set(key, { content, resources });
}
