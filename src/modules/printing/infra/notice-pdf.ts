import type { NoticeDocument, NoticeLanguage, NoticePayment } from '../domain/notice-document.js';
import { fillLabel, LANGUAGE_TAGS, NOTICE_LABELS } from '../domain/notice-labels.js';
import { cutText, ELLIPSIS, formatAmount, formatFiscalCode, MAX_LENGTH } from '../domain/notice-texts.js';
import {
  bankBandHeight,
  drawBankBand,
  drawPostalBand,
  drawUsePortion,
  postalBandHeight,
  usePortionHeight,
} from './notice-bands.js';
import {
  artifact,
  block,
  BOTTOM,
  COLOR,
  type Ctx,
  cutLine,
  dueText,
  field,
  GAP,
  isTagged,
  type LabelKey,
  labelPair,
  line,
  type LineStyle,
  MARGIN,
  pairText,
  paragraphs,
  rule,
  sectionTitle,
  small,
  tag,
  WIDTH,
} from './notice-drawing.js';
import { drawLogo as drawLogoImage, openLogo } from './notice-logo.js';
import { createPdf, FONT, MM, pdfBytes } from './pdf-base.js';

/**
 * The payment notice (avviso pagoPA) drawn with pdfkit from a NoticeDocument, after pagoPA's
 * "Avviso di pagamento" guideline: page 1 with the header, the ente and the recipient, how much and
 * when, where to pay and the single payment's bands (banks and other channels with the QR code; the
 * Poste bollettino with its DataMatrix when the payment goes to a postal account); the instalments on
 * the following pages, three bands a page (two on the last pages), or one page each with their
 * bollettino. Layout and decisions: docs/printing.md "The notice layout".
 *
 * `drawNotice` only appends pages: a print run draws thousands of notices into one streamed document.
 * The one thing kept per document is the decoded logo (a WeakMap keyed by the document), so that a
 * logo shared by a run is decoded and embedded once.
 */

/** Appends the notice's pages to `doc` (a document from `createPdf`). */
export function drawNotice(doc: PDFKit.PDFDocument, notice: NoticeDocument): void {
  if (!notice.single && notice.instalments.length === 0) {
    throw new RangeError('notice: a single payment or instalments expected');
  }
  const secondLang = notice.languages[1];
  const sect = isTagged(doc)
    ? doc.struct('Sect', { title: cutText(notice.subject, MAX_LENGTH.subject) })
    : null;
  if (sect) doc.addStructure(sect);
  const ctx: Ctx = {
    doc,
    notice,
    it: NOTICE_LABELS.it,
    second: secondLang ? NOTICE_LABELS[secondLang] : undefined,
    secondLang,
    sect,
    logo: openLogo(doc, notice.creditor.logo),
  };
  drawFirstPage(ctx);
  for (const group of instalmentPages(notice.instalments)) drawInstalmentPage(ctx, group);
  sect?.end();
  trimLayoutCaches(doc);
}

const drawnNotices = new WeakMap<PDFKit.PDFDocument, number>();
type DocWithFonts = PDFKit.PDFDocument & { _fontFamilies?: Record<string, { layoutCache?: object }> };

/**
 * pdfkit caches the glyph layout of every word it has set, for the document's life: in a print run
 * the words that differ per notice (names, codes, amounts) would grow it by megabytes every thousand
 * notices. Emptied every 500 notices (the repeated words are laid out again at once).
 */
function trimLayoutCaches(doc: PDFKit.PDFDocument): void {
  const count = (drawnNotices.get(doc) ?? 0) + 1;
  drawnNotices.set(doc, count);
  if (count % 500 !== 0) return;
  for (const font of Object.values((doc as DocWithFonts)._fontFamilies ?? {})) {
    if (font.layoutCache) font.layoutCache = Object.create(null) as object;
  }
}

/** One notice as a whole PDF (the Sportello's download, the epayapi's base64). */
export async function renderNoticePdf(notice: NoticeDocument): Promise<Buffer> {
  const doc = createPdf({
    title: `${NOTICE_LABELS.it.noticeTitle} - ${cutText(notice.subject, MAX_LENGTH.subject)}`,
    lang: LANGUAGE_TAGS.it,
  });
  drawNotice(doc, notice);
  return pdfBytes(doc);
}

/**
 * How the instalments fall on pages: one page each for those with a bollettino; the others in groups
 * of three ("tri band"), the last groups of two ("dual band") so that no page holds a lone band
 * unless there is only one: 2 → 2, 4 → 2+2, 5 → 3+2, 7 → 3+2+2.
 */
export function instalmentPages<T extends { postal?: unknown }>(instalments: readonly T[]): T[][] {
  const pages: T[][] = [];
  let run: T[] = [];
  const flush = () => {
    pages.push(...bandGroups(run));
    run = [];
  };
  for (const i of instalments) {
    if (i.postal) {
      flush();
      pages.push([i]);
    } else run.push(i);
  }
  flush();
  return pages;
}

function bandGroups<T>(items: T[]): T[][] {
  const n = items.length;
  if (n === 0) return [];
  if (n <= 3) return [items];
  const sizes: number[] = [];
  let left = n;
  if (left % 3 === 1) {
    sizes.push(2, 2);
    left -= 4;
  } else if (left % 3 === 2) {
    sizes.push(2);
    left -= 2;
  }
  const groups: T[][] = [];
  let at = 0;
  for (const size of [...Array<number>(left / 3).fill(3), ...sizes]) {
    groups.push(items.slice(at, at + size));
    at += size;
  }
  return groups;
}

// ------------------------------------------------------------------------------------ pages

function drawFirstPage(ctx: Ctx): void {
  const { doc, notice } = ctx;
  doc.addPage();
  let y = drawHeader(ctx);
  y = drawParties(ctx, y + 10);
  rule(ctx, y + 6);
  const single = notice.single;
  const bandsHeight = single ? bankBandHeight(ctx) + (single.postal ? GAP + postalBandHeight(ctx) : 0) : 0;
  const portionHeight = single ? usePortionHeight(ctx) : 0;
  const bandsTop = BOTTOM - bandsHeight;
  drawHowMuchAndWhere(ctx, y + 14, bandsTop - portionHeight - 10);
  if (!single) return;
  drawUsePortion(ctx, bandsTop - portionHeight);
  drawBankBand(ctx, bandsTop, single);
  if (single.postal) {
    const py = bandsTop + bankBandHeight(ctx) + GAP;
    cutLine(ctx, py - GAP / 2);
    drawPostalBand(ctx, py, single, single.postal);
  }
}

function drawInstalmentPage(ctx: Ctx, group: NoticePayment[]): void {
  ctx.doc.addPage();
  let y = drawShortHeader(ctx);
  drawUsePortion(ctx, y + 6);
  y += 6 + usePortionHeight(ctx) + 4;
  for (const [i, payment] of group.entries()) {
    if (i > 0) {
      cutLine(ctx, y - GAP / 2);
    }
    drawBankBand(ctx, y, payment);
    y += bankBandHeight(ctx) + GAP;
    if (payment.postal) {
      cutLine(ctx, y - GAP / 2);
      drawPostalBand(ctx, y, payment, payment.postal);
      y += postalBandHeight(ctx) + GAP;
    }
  }
}

// ------------------------------------------------------------------------------------ header

const LOGO_BOX = 20 * MM;

function drawHeader(ctx: Ctx): number {
  const { doc, notice } = ctx;
  const top = MARGIN;
  drawLogo(ctx, MARGIN, top, LOGO_BOX, LOGO_BOX);
  drawPagoPaMark(ctx, MARGIN + WIDTH, top);
  const x = MARGIN + LOGO_BOX + 12;
  const w = WIDTH - LOGO_BOX - 12 - 80;
  tag(ctx, 'P', () => {
    line(ctx, labelPair(ctx, 'noticeTitle'), x, top + 1, w, {
      font: FONT.semibold,
      size: 9,
      color: COLOR.blue,
    });
  });
  tag(ctx, 'H1', () => {
    block(ctx, cutText(notice.subject, MAX_LENGTH.subject), x, top + 15, w, LOGO_BOX - 13, {
      font: FONT.bold,
      size: 15,
      minSize: 11,
      color: COLOR.text,
    });
  });
  const bottom = top + LOGO_BOX + 6;
  artifact(ctx, () => {
    doc.rect(MARGIN, bottom, WIDTH, 2).fill(COLOR.blue);
  });
  return bottom + 2;
}

/** Instalment pages: subject, ente and recipient in a few lines, so that each page stands alone. */
function drawShortHeader(ctx: Ctx): number {
  const { doc, notice } = ctx;
  const top = MARGIN;
  const box = 13 * MM;
  drawLogo(ctx, MARGIN, top, box, box);
  drawPagoPaMark(ctx, MARGIN + WIDTH, top);
  const x = MARGIN + box + 10;
  const w = WIDTH - box - 10 - 80;
  tag(ctx, 'H1', () => {
    line(ctx, cutText(notice.subject, MAX_LENGTH.subject), x, top, w, {
      font: FONT.bold,
      size: 12,
      minSize: 8,
      color: COLOR.text,
    });
  });
  tag(ctx, 'P', () => {
    const c = notice.creditor;
    line(
      ctx,
      `${labelPair(ctx, 'creditorShort')}: ${cutText(c.name, MAX_LENGTH.creditorName)} - ${formatFiscalCode(c.fiscalCode)}`,
      x,
      top + 17,
      w,
      { font: FONT.regular, size: 8, minSize: 6, color: COLOR.text },
    );
    const r = notice.recipient;
    if (r) {
      line(
        ctx,
        `${labelPair(ctx, 'recipientShort')}: ${cutText(r.fullName, MAX_LENGTH.recipientName)} - ${formatFiscalCode(r.fiscalCode)}`,
        x,
        top + 28,
        w,
        { font: FONT.regular, size: 8, minSize: 6, color: COLOR.text },
      );
    }
  });
  const bottom = top + box + 4;
  artifact(ctx, () => {
    doc.rect(MARGIN, bottom, WIDTH, 1.5).fill(COLOR.blue);
  });
  return bottom + 1.5;
}

/** The pagoPA mark at the top right (a word mark: the guideline's logo is pagoPA's to distribute). */
function drawPagoPaMark(ctx: Ctx, right: number, top: number): void {
  const { doc } = ctx;
  tag(
    ctx,
    'Figure',
    () => {
      doc.font(FONT.bold).fontSize(20).fillColor(COLOR.blue);
      const w = doc.widthOfString('pagoPA');
      doc.text('pagoPA', right - w, top - 4, { lineBreak: false });
    },
    { alt: 'pagoPA' },
  );
}

// ------------------------------------------------------------------------------------ parties

function drawParties(ctx: Ctx, top: number): number {
  const { notice } = ctx;
  const colW = (WIDTH - 20) / 2;
  const c = notice.creditor;
  const r = notice.recipient;
  const leftEnd = drawParty(ctx, 'creditor', MARGIN, top, colW, formatFiscalCode(c.fiscalCode), [
    { text: cutText(c.name, MAX_LENGTH.creditorName), h: 28, style: nameStyle(9) },
    { text: c.sector ? cutText(c.sector, MAX_LENGTH.creditorSector) : undefined, h: 22, style: DETAIL_STYLE },
    { text: c.info ? cutText(c.info, MAX_LENGTH.creditorInfo) : undefined, h: 20, style: INFO_STYLE },
  ]);
  if (!r) return leftEnd;
  const x = MARGIN + colW + 20;
  const rightEnd = drawParty(ctx, 'recipient', x, top, colW, cutText(formatFiscalCode(r.fiscalCode), 16), [
    { text: cutText(r.fullName, MAX_LENGTH.recipientName), h: 16, style: nameStyle(8) },
    {
      text: r.address ? cutText(r.address, MAX_LENGTH.recipientAddress) : undefined,
      h: 22,
      style: DETAIL_STYLE,
    },
  ]);
  return Math.max(leftEnd, rightEnd);
}

const nameStyle = (minSize: number): LineStyle => ({ font: FONT.bold, size: 11, minSize, color: COLOR.text });
const DETAIL_STYLE: LineStyle = { font: FONT.regular, size: 9, minSize: 7, color: COLOR.text };
const INFO_STYLE: LineStyle = { font: FONT.regular, size: 7.5, minSize: 6.5, color: COLOR.muted };

/**
 * A party's column (ente or recipient): its title, its fiscal code, then its name and the further
 * texts it has, each wrapped in up to `h` points. Returns the y under it.
 */
function drawParty(
  ctx: Ctx,
  title: LabelKey,
  x: number,
  top: number,
  w: number,
  fiscalCode: string,
  texts: { text: string | undefined; h: number; style: LineStyle }[],
): number {
  let end = top;
  tag(ctx, 'H2', () => {
    end = sectionTitle(ctx, title, x, top, w);
  });
  tag(ctx, 'P', () => {
    let y = field(ctx, labelPair(ctx, 'fiscalCode'), fiscalCode, x, end + 2, w);
    for (const [i, t] of texts.entries()) {
      if (t.text !== undefined) y += block(ctx, t.text, x, y + (i === 0 ? 2 : 3), w, t.h, t.style);
    }
    end = y + 3;
  });
  return end;
}

// ------------------------------------------------------------------------------------ how much, where

function drawHowMuchAndWhere(ctx: Ctx, top: number, bottom: number): void {
  const colW = (WIDTH - 20) / 2;
  drawHowMuch(ctx, MARGIN, top, colW, bottom);
  drawWhere(ctx, MARGIN + colW + 20, top, colW, bottom);
}

function drawHowMuch(ctx: Ctx, x: number, top: number, w: number, bottom: number): void {
  const { notice } = ctx;
  let y = top;
  tag(ctx, 'H2', () => {
    y = sectionTitle(ctx, 'howMuchWhen', x, top, w);
  });
  const single = notice.single;
  const n = notice.instalments.length;
  tag(ctx, 'P', () => {
    if (single) {
      line(ctx, formatAmount(single.amountCents), x, y + 2, w, {
        font: FONT.bold,
        size: 20,
        color: COLOR.blue,
      });
      y += 28;
      line(ctx, dueText(ctx, single.dueDate), x, y, w, { font: FONT.semibold, size: 10, color: COLOR.text });
      y += 14;
      if (n > 0) {
        line(ctx, pairText(ctx, 'orInInstalments', { n }), x, y, w, {
          font: FONT.semibold,
          size: 10,
          minSize: 7,
          color: COLOR.text,
        });
        y += 14;
      }
    } else {
      line(ctx, pairText(ctx, 'payInInstalments', { n }), x, y + 2, w, {
        font: FONT.semibold,
        size: 11,
        minSize: 7,
        color: COLOR.text,
      });
      y += 18;
      // the instalments at a glance; each has its band on the following pages
      const rows = Math.max(1, Math.min(n, Math.floor((bottom - y - 60) / 12)));
      for (const p of notice.instalments.slice(0, rows)) {
        const label = fillLabel(ctx.it.instalmentOf, {
          n: p.instalment ?? 0,
          total: notice.instalmentsTotal ?? n,
        });
        line(ctx, label, x, y, w * 0.4, { font: FONT.semibold, size: 8.5, color: COLOR.text });
        line(ctx, dueText(ctx, p.dueDate, true), x + w * 0.4, y, w * 0.35, {
          font: FONT.regular,
          size: 8.5,
          minSize: 6,
          color: COLOR.text,
        });
        line(ctx, formatAmount(p.amountCents), x + w * 0.75, y, w * 0.25, {
          font: FONT.bold,
          size: 8.5,
          minSize: 6,
          color: COLOR.text,
          align: 'right',
        });
        y += 12;
      }
      if (rows < n) {
        line(ctx, ELLIPSIS, x, y, w, { font: FONT.regular, size: 8.5, color: COLOR.text });
        y += 12;
      }
    }
  });
  if (n > 0 && single) {
    tag(ctx, 'P', () => {
      y +=
        block(ctx, pairText(ctx, 'payOnceOrInInstalments', { n }), x, y + 2, w, 12, small(8, COLOR.text)) + 2;
    });
  }
  paragraphs(ctx, 'amountUpdateNote', x, y + 6, w, bottom, 6.5, COLOR.muted);
}

function drawWhere(ctx: Ctx, x: number, top: number, w: number, bottom: number): void {
  const { notice } = ctx;
  let y = top;
  tag(ctx, 'H2', () => {
    y = sectionTitle(ctx, 'whereToPay', x, top, w);
  });
  tag(ctx, 'P', () => {
    y += block(ctx, ctx.it.channelsList, x, y + 2, w, 12, small(8, COLOR.text)) + 4;
  });
  const langs: NoticeLanguage[] = ['it', ...(ctx.secondLang ? [ctx.secondLang] : [])];
  const bilingual = langs.length === 2;
  const room = bottom - y;
  // four texts when bilingual: keep each to its share of the column
  const textHeight = Math.max(18, (room - (bilingual ? 40 : 24)) / (bilingual ? 4 : 2));
  for (const channel of ['online', 'physical'] as const) {
    tag(ctx, 'H3', () => {
      const key: LabelKey = channel === 'online' ? 'payOnlineTitle' : 'payPhysicalTitle';
      y +=
        block(ctx, labelPair(ctx, key), x, y + 2, w, 11, { ...small(8.5, COLOR.blue), font: FONT.bold }) + 2;
    });
    for (const lang of langs) {
      const own = notice.creditor.whereToPay[lang]?.[channel];
      const labels = NOTICE_LABELS[lang];
      const text = own
        ? cutText(own, MAX_LENGTH.whereToPay)
        : channel === 'online'
          ? labels.payOnlineText
          : labels.payPhysicalText;
      tag(
        ctx,
        'P',
        () => {
          y +=
            block(ctx, text, x, y + 1, w, textHeight, {
              ...small(lang === 'it' ? 8 : 7.5, COLOR.text),
              font: lang === 'it' ? FONT.regular : FONT.italic,
            }) + 3;
        },
        lang === 'it' ? {} : { lang: LANGUAGE_TAGS[lang] },
      );
    }
  }
}

/** The ente's logo fitted in its box; a missing or broken logo leaves the box empty. */
function drawLogo(ctx: Ctx, x: number, y: number, w: number, h: number): void {
  const { doc, logo } = ctx;
  if (!logo) return;
  tag(
    ctx,
    'Figure',
    () => {
      drawLogoImage(doc, logo, x, y, w, h);
    },
    { alt: ctx.it.logoAlt },
  );
}
