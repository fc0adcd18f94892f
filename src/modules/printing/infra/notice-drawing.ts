import type { NoticeDocument, SecondLanguage } from '../domain/notice-document.js';
import { fillLabel, LANGUAGE_TAGS, type NoticeLabels } from '../domain/notice-labels.js';
import { formatDate, oneLine } from '../domain/notice-texts.js';
import type { LogoEntry } from './notice-logo.js';
import { A4, FONT, MM } from './pdf-base.js';
import { fit, lineHeight, wrap, wrapInFont } from './pdf-text.js';

/**
 * What the notice's parts draw with: the page's measures and colours, the drawing context, text that
 * keeps to its box (shrunk, then cut with an ellipsis), labels in Italian and the second language,
 * and the structure tags (or artifacts) every piece of content goes in.
 */

export const MARGIN = 10 * MM;
export const WIDTH = A4.width - 2 * MARGIN;
export const BOTTOM = A4.height - MARGIN;
export const GAP = 12;

export const COLOR = {
  blue: '#0066CC',
  text: '#17324D',
  muted: '#5C6F82',
  band: '#E8F1FA',
  rule: '#B8CCE0',
} as const;

export type FontName = (typeof FONT)[keyof typeof FONT];
export type LabelKey = keyof NoticeLabels;

export interface Ctx {
  doc: PDFKit.PDFDocument;
  notice: NoticeDocument;
  it: NoticeLabels;
  second: NoticeLabels | undefined;
  secondLang: SecondLanguage | undefined;
  /** The notice's structure element; null in an untagged document (nothing is tagged then). */
  sect: PDFKit.PDFStructureElement | null;
  logo: LogoEntry | null;
}

// ------------------------------------------------------------------------------------ text

export interface LineStyle {
  font: FontName;
  size: number;
  /** Shrink down to this size before cutting with an ellipsis (default: no shrinking). */
  minSize?: number;
  color: string;
  align?: 'left' | 'right';
}

export function small(size: number, color: string): LineStyle {
  return { font: FONT.regular, size, minSize: size - 1, color };
}

/**
 * One line of text that never leaves its width: shrunk down to `minSize`, then cut with an
 * ellipsis. Returns the height used.
 */
export function line(ctx: Ctx, text: string, x: number, y: number, w: number, style: LineStyle): number {
  const { doc } = ctx;
  doc.font(style.font).fontSize(style.size);
  let size = style.size;
  const out = oneLine(text);
  const width = doc.widthOfString(out);
  if (width > w && style.minSize !== undefined && style.minSize < size) {
    size = Math.max(style.minSize, Math.floor(((size * w) / width) * 4) / 4);
    doc.fontSize(size);
  }
  const fitted = fit(doc, out, w);
  doc.fillColor(style.color);
  const tx = style.align === 'right' ? x + w - doc.widthOfString(fitted) : x;
  doc.text(fitted, tx, y, { lineBreak: false });
  return size * 1.25;
}

/**
 * Text wrapped in a box of `w` × `h`: shrunk (down to `minSize`) until it fits, else its last line
 * that fits is cut with an ellipsis. Always at least one line. Returns the height used.
 */
export function block(
  ctx: Ctx,
  text: string,
  x: number,
  y: number,
  w: number,
  h: number,
  style: LineStyle,
): number {
  const { doc } = ctx;
  const out = oneLine(text);
  let size = style.size;
  let lh = lineHeight(doc, style.font, size);
  let lines = wrapInFont(doc, style.font, size, w, out);
  while (lines.length * lh > h && style.minSize !== undefined && size - 0.5 >= style.minSize) {
    size -= 0.5;
    lh = lineHeight(doc, style.font, size);
    lines = wrapInFont(doc, style.font, size, w, out);
  }
  doc.font(style.font).fontSize(size).fillColor(style.color);
  const room = Math.max(1, Math.floor(h / lh));
  if (lines.length > room) lines = wrap(doc, out, w, room);
  for (const [i, l] of lines.entries()) doc.text(l, x, y + i * lh, { lineBreak: false });
  return lines.length * lh;
}

const FIELD_LABEL: LineStyle = { font: FONT.regular, size: 7, minSize: 5.5, color: COLOR.muted };

/** A small label and its value under it; returns the y after the value. */
export function field(
  ctx: Ctx,
  label: string,
  value: string,
  x: number,
  y: number,
  w: number,
  valueSize = 10,
): number {
  line(ctx, label, x, y, w, FIELD_LABEL);
  line(ctx, value, x, y + 9, w, {
    font: FONT.bold,
    size: valueSize,
    minSize: valueSize - 2.5,
    color: COLOR.text,
  });
  return y + 9 + valueSize * 1.25;
}

/** A label and a value of up to `h` points (wrapped). */
export function fieldBlock(
  ctx: Ctx,
  label: string,
  value: string,
  x: number,
  y: number,
  w: number,
  h: number,
): number {
  line(ctx, label, x, y, w, FIELD_LABEL);
  return (
    y + 9 + block(ctx, value, x, y + 9, w, h, { font: FONT.bold, size: 9, minSize: 7.5, color: COLOR.text })
  );
}

/** A section title (ENTE CREDITORE…): Italian, then the second language after a slash or under it. */
export function sectionTitle(ctx: Ctx, key: LabelKey, x: number, y: number, w: number): number {
  return y + twoLines(ctx, ctx.it[key], ctx.second?.[key], x, y, w, 9.5, FONT.bold, COLOR.blue);
}

/** Italian and the second language: on one line "it / second" when it fits, else two lines. */
export function twoLines(
  ctx: Ctx,
  it: string,
  second: string | undefined,
  x: number,
  y: number,
  w: number,
  size: number,
  font: FontName,
  color: string,
): number {
  const { doc } = ctx;
  if (second === undefined || second === it) {
    return line(ctx, it, x, y, w, { font, size, minSize: size - 2, color });
  }
  const both = `${it} / ${second}`;
  doc.font(font).fontSize(size);
  if (doc.widthOfString(both) <= w) return line(ctx, both, x, y, w, { font, size, color });
  const first = line(ctx, it, x, y, w, { font, size, minSize: size - 2, color });
  return (
    first + line(ctx, second, x, y + first - 1, w, { font, size: size - 1.5, minSize: size - 3.5, color })
  );
}

/** "Cod. Fiscale / Steuernummer": a short label in both languages. */
export function labelPair(ctx: Ctx, key: LabelKey): string {
  const it = ctx.it[key];
  const second = ctx.second?.[key];
  return second && second !== it ? `${it} / ${second}` : it;
}

export function pairText(ctx: Ctx, key: LabelKey, values: Record<string, string | number>): string {
  const it = fillLabel(ctx.it[key], values);
  return ctx.second ? `${it} / ${fillLabel(ctx.second[key], values)}` : it;
}

/** A paragraph in Italian, then in the second language (italic, tagged with its language). */
export function paragraphs(
  ctx: Ctx,
  key: LabelKey,
  x: number,
  y: number,
  w: number,
  bottom: number,
  size: number,
  color: string,
): void {
  const room = bottom - y;
  if (room < size) return;
  const share = ctx.second ? room / 2 - 2 : room;
  let at = y;
  tag(ctx, 'P', () => {
    at +=
      block(ctx, ctx.it[key], x, at, w, share, { font: FONT.regular, size, minSize: size - 1, color }) + 3;
  });
  if (ctx.second && ctx.secondLang) {
    const text = ctx.second[key];
    tag(
      ctx,
      'P',
      () => {
        block(ctx, text, x, at, w, share, { font: FONT.italic, size, minSize: size - 1, color });
      },
      { lang: LANGUAGE_TAGS[ctx.secondLang] },
    );
  }
}

export function dueText1(l: NoticeLabels, dueDate: string | undefined): string {
  return dueDate ? `${l.by} ${formatDate(dueDate)}` : l.noDueDate;
}

export function dueText(ctx: Ctx, dueDate: string | undefined, italianOnly = false): string {
  const it = dueText1(ctx.it, dueDate);
  if (italianOnly || !ctx.second) return it;
  const second = dueText1(ctx.second, dueDate);
  return dueDate ? `${ctx.it.by} / ${ctx.second.by} ${formatDate(dueDate)}` : `${it} / ${second}`;
}

// ------------------------------------------------------------------------------------ decoration

export function cutLine(ctx: Ctx, y: number): void {
  const { doc } = ctx;
  artifact(ctx, () => {
    doc
      .save()
      .lineWidth(0.6)
      .dash(3, { space: 3 })
      .moveTo(MARGIN, y)
      .lineTo(MARGIN + WIDTH, y)
      .stroke(COLOR.muted)
      .undash()
      .restore();
  });
}

export function rule(ctx: Ctx, y: number): void {
  const { doc } = ctx;
  artifact(ctx, () => {
    doc.rect(MARGIN, y, WIDTH, 0.6).fill(COLOR.rule);
  });
}

// ------------------------------------------------------------------------------------ tagging

/** Content drawn by `draw` as one structure element of the notice (P, H1, Figure with alt…). */
export function tag(
  ctx: Ctx,
  type: string,
  draw: () => void,
  options: PDFKit.Mixins.StructureElementOptions = {},
): void {
  if (ctx.sect) ctx.sect.add(ctx.doc.struct(type, options, [draw]));
  else draw();
}

/** Decoration (rules, band backgrounds, cut lines): an artifact, skipped by screen readers. */
export function artifact(ctx: Ctx, draw: () => void): void {
  if (!ctx.sect) {
    draw();
    return;
  }
  ctx.doc.markContent('Artifact', { type: 'Layout' });
  draw();
  ctx.doc.endMarkedContent();
}

export function isTagged(doc: PDFKit.PDFDocument): boolean {
  return doc.options.tagged === true;
}
