import { ELLIPSIS, oneLine } from '../domain/notice-texts.js';
import type { FONT } from './pdf-base.js';

/**
 * Text fitted to its place in a PDF, in the document's current font and size (the notice's and the
 * receipt's): one line cut with an ellipsis, or words wrapped into lines, the last one cut.
 */

type FontName = (typeof FONT)[keyof typeof FONT];

/** `text` on one line, cut with an ellipsis to what fits in `width`. */
export function fit(doc: PDFKit.PDFDocument, text: string, width: number): string {
  const t = oneLine(text);
  if (doc.widthOfString(t) <= width) return t;
  const chars = Array.from(t);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (doc.widthOfString(chars.slice(0, mid).join('').trimEnd() + ELLIPSIS) <= width) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join('').trimEnd() + ELLIPSIS;
}

/**
 * `text` in lines of `width`, greedily (words kept whole when they fit, a wider word cut between
 * characters); past `maxLines` the last line takes the rest, cut with an ellipsis. Always one line.
 */
export function wrap(doc: PDFKit.PDFDocument, text: string, width: number, maxLines = Infinity): string[] {
  // words, and the pieces of a word too wide for a line (glued: no space before them)
  const tokens: { text: string; glued: boolean }[] = [];
  for (const word of oneLine(text).split(' ')) {
    let rest = Array.from(word);
    let glued = false;
    while (rest.length > 1 && doc.widthOfString(rest.join('')) > width) {
      let n = rest.length - 1;
      while (n > 1 && doc.widthOfString(rest.slice(0, n).join('')) > width) n--;
      tokens.push({ text: rest.slice(0, n).join(''), glued });
      rest = rest.slice(n);
      glued = true;
    }
    tokens.push({ text: rest.join(''), glued });
  }
  const join = (from: number) =>
    tokens
      .slice(from)
      .map((t, k) => (k > 0 && !t.glued ? ' ' : '') + t.text)
      .join('');
  const lines: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    if (lines.length === maxLines - 1) {
      lines.push(fit(doc, join(i), width));
      return lines;
    }
    let line = tokens[i++]!.text;
    while (i < tokens.length) {
      const next = (tokens[i]!.glued ? '' : ' ') + tokens[i]!.text;
      if (doc.widthOfString(line + next) > width) break;
      line += next;
      i++;
    }
    lines.push(line);
  }
  return lines.length ? lines : [''];
}

// A notice's fixed texts (the guideline's paragraphs, labels) are the same on every notice of a
// print run: their wrapping is computed once. Font metrics do not depend on the document.
const wrapCache = new Map<string, string[]>();
const lineHeights = new Map<string, number>();

/** `wrap` without a line limit in `font` at `size` (set on the document), remembered. */
export function wrapInFont(
  doc: PDFKit.PDFDocument,
  font: FontName,
  size: number,
  width: number,
  text: string,
): string[] {
  doc.font(font).fontSize(size);
  const key = `${font}|${size}|${width}|${text}`;
  const cached = wrapCache.get(key);
  if (cached) return cached;
  const lines = wrap(doc, text, width);
  if (wrapCache.size > 5000) wrapCache.clear();
  wrapCache.set(key, lines);
  return lines;
}

/** The height of a line of `font` at `size`, remembered. */
export function lineHeight(doc: PDFKit.PDFDocument, font: FontName, size: number): number {
  const key = `${font}|${size}`;
  let lh = lineHeights.get(key);
  if (lh === undefined) {
    lh = doc.font(font).fontSize(size).currentLineHeight(true);
    lineHeights.set(key, lh);
  }
  return lh;
}
