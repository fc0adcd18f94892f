import { createHash } from 'node:crypto';
import bwipjs from 'bwip-js';
import QRCode from 'qrcode';
import SVGtoPDF from 'svg-to-pdfkit';
import type {
  NoticeDocument,
  NoticeLanguage,
  NoticePayment,
  NoticePostal,
  SecondLanguage,
} from '../domain/notice-document.js';
import { fillLabel, LANGUAGE_TAGS, NOTICE_LABELS, type NoticeLabels } from '../domain/notice-labels.js';
import { PAGOPA_QR_SYMBOL, pagoPaQrText } from '../domain/pagopa-qr.js';
import { posteDataMatrixText } from '../domain/poste-datamatrix.js';
import {
  cutText,
  ELLIPSIS,
  formatAmount,
  formatDate,
  formatFiscalCode,
  groupNoticeNumber,
  MAX_LENGTH,
  oneLine,
} from '../domain/notice-texts.js';
import { A4, createPdf, FONT, MM, pdfBytes } from './pdf-base.js';

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

const MARGIN = 10 * MM;
const WIDTH = A4.width - 2 * MARGIN;
const BOTTOM = A4.height - MARGIN;
const QR_SIZE = 25 * MM;
const DATAMATRIX_SIZE = 22 * MM;
const GAP = 12;

const COLOR = {
  blue: '#0066CC',
  text: '#17324D',
  muted: '#5C6F82',
  band: '#E8F1FA',
  rule: '#B8CCE0',
  black: '#000000',
} as const;

type FontName = (typeof FONT)[keyof typeof FONT];
type LabelKey = keyof NoticeLabels;

interface Ctx {
  doc: PDFKit.PDFDocument;
  notice: NoticeDocument;
  it: NoticeLabels;
  second: NoticeLabels | undefined;
  secondLang: SecondLanguage | undefined;
  /** The notice's structure element; null in an untagged document (nothing is tagged then). */
  sect: PDFKit.PDFStructureElement | null;
  logo: LogoEntry | null;
}

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
  let leftEnd = top;
  tag(ctx, 'H2', () => {
    leftEnd = sectionTitle(ctx, 'creditor', MARGIN, top, colW);
  });
  tag(ctx, 'P', () => {
    let y = leftEnd + 2;
    y = field(ctx, labelPair(ctx, 'fiscalCode'), formatFiscalCode(c.fiscalCode), MARGIN, y, colW);
    y += block(ctx, cutText(c.name, MAX_LENGTH.creditorName), MARGIN, y + 2, colW, 28, {
      font: FONT.bold,
      size: 11,
      minSize: 9,
      color: COLOR.text,
    });
    if (c.sector) {
      y += block(ctx, cutText(c.sector, MAX_LENGTH.creditorSector), MARGIN, y + 3, colW, 22, {
        font: FONT.regular,
        size: 9,
        minSize: 7,
        color: COLOR.text,
      });
    }
    if (c.info) {
      y += block(ctx, cutText(c.info, MAX_LENGTH.creditorInfo), MARGIN, y + 3, colW, 20, {
        font: FONT.regular,
        size: 7.5,
        minSize: 6.5,
        color: COLOR.muted,
      });
    }
    leftEnd = y + 3;
  });
  if (!r) return leftEnd;
  const x = MARGIN + colW + 20;
  let rightEnd = top;
  tag(ctx, 'H2', () => {
    rightEnd = sectionTitle(ctx, 'recipient', x, top, colW);
  });
  tag(ctx, 'P', () => {
    let y = rightEnd + 2;
    y = field(ctx, labelPair(ctx, 'fiscalCode'), cutText(formatFiscalCode(r.fiscalCode), 16), x, y, colW);
    y += block(ctx, cutText(r.fullName, MAX_LENGTH.recipientName), x, y + 2, colW, 16, {
      font: FONT.bold,
      size: 11,
      minSize: 8,
      color: COLOR.text,
    });
    if (r.address) {
      y += block(ctx, cutText(r.address, MAX_LENGTH.recipientAddress), x, y + 3, colW, 22, {
        font: FONT.regular,
        size: 9,
        minSize: 7,
        color: COLOR.text,
      });
    }
    rightEnd = y + 3;
  });
  return Math.max(leftEnd, rightEnd);
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
        const label = fillLabel(ctx.it.instalmentOf, { n: p.instalment ?? 0, total: n });
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

// ------------------------------------------------------------------------------------ bands

function barHeight(ctx: Ctx): number {
  return ctx.second ? 30 : 22;
}

function bankBandHeight(ctx: Ctx): number {
  return barHeight(ctx) + 128;
}

function postalBandHeight(ctx: Ctx): number {
  return barHeight(ctx) + 150;
}

function usePortionHeight(ctx: Ctx): number {
  return ctx.second ? 22 : 12;
}

function drawUsePortion(ctx: Ctx, y: number): void {
  let at = y;
  tag(ctx, 'P', () => {
    line(ctx, ctx.it.usePortion, MARGIN, at, WIDTH, {
      font: FONT.semibold,
      size: 8.5,
      minSize: 6,
      color: COLOR.text,
    });
  });
  if (ctx.second && ctx.secondLang) {
    const text = ctx.second.usePortion;
    at += 10;
    tag(
      ctx,
      'P',
      () => {
        line(ctx, text, MARGIN, at, WIDTH, { font: FONT.italic, size: 8, minSize: 6, color: COLOR.text });
      },
      { lang: LANGUAGE_TAGS[ctx.secondLang] },
    );
  }
}

/** The band's title bar: channel name, which payment (single or n of N) and by when, the amount. */
function drawBar(ctx: Ctx, y: number, titleKey: LabelKey, payment: NoticePayment): number {
  const { doc } = ctx;
  const h = barHeight(ctx);
  artifact(ctx, () => {
    doc.rect(MARGIN, y, WIDTH, h).fill(COLOR.band);
    doc.rect(MARGIN, y, 4, h).fill(COLOR.blue);
  });
  const total = ctx.notice.instalments.length;
  const which = (l: NoticeLabels) =>
    payment.instalment === undefined
      ? l.singleSolution
      : fillLabel(l.instalmentOf, { n: payment.instalment, total });
  tag(ctx, 'H2', () => {
    twoLines(
      ctx,
      ctx.it[titleKey],
      ctx.second?.[titleKey],
      MARGIN + 10,
      y + 5,
      190,
      10,
      FONT.bold,
      COLOR.blue,
    );
  });
  tag(ctx, 'P', () => {
    const x = MARGIN + 210;
    twoLines(
      ctx,
      `${which(ctx.it)}  ${dueText1(ctx.it, payment.dueDate)}`,
      ctx.second ? `${which(ctx.second)}  ${dueText1(ctx.second, payment.dueDate)}` : undefined,
      x,
      y + 5.5,
      WIDTH - 210 - 130,
      9,
      FONT.semibold,
      COLOR.text,
    );
    line(ctx, formatAmount(payment.amountCents), MARGIN + WIDTH - 135, y + (h - 15) / 2, 127, {
      font: FONT.bold,
      size: 14,
      minSize: 9,
      color: COLOR.text,
      align: 'right',
    });
  });
  return y + h;
}

function drawBankBand(ctx: Ctx, top: number, payment: NoticePayment): void {
  const { doc, notice } = ctx;
  const c = notice.creditor;
  const h = bankBandHeight(ctx);
  artifact(ctx, () => {
    doc.lineWidth(0.8).rect(MARGIN, top, WIDTH, h).stroke(COLOR.rule);
  });
  const y = drawBar(ctx, top, 'banksBand', payment) + 8;
  // the codes row under the QR and the fields
  const ry = top + h - 30;
  const textW = 150;
  paragraphs(ctx, 'banksText', MARGIN + 10, y, textW, ry - 4, 7.5, COLOR.muted);
  const qrX = MARGIN + 10 + textW + 10;
  const qrText = pagoPaQrText(payment.noticeNumber, c.fiscalCode, payment.amountCents);
  tag(
    ctx,
    'Figure',
    () => {
      drawQr(doc, qrText, qrX, y + 2, QR_SIZE);
    },
    { alt: fillLabel(ctx.it.qrAlt, { n: groupNoticeNumber(payment.noticeNumber) }) },
  );
  const fx = qrX + QR_SIZE + 16;
  const fw = MARGIN + WIDTH - 10 - fx;
  tag(ctx, 'P', () => {
    let fy = y;
    if (notice.recipient) {
      fy =
        field(ctx, labelPair(ctx, 'recipientShort'), cutText(notice.recipient.fullName, 35), fx, fy, fw) + 3;
    }
    fy =
      field(ctx, labelPair(ctx, 'creditorShort'), cutText(c.name, MAX_LENGTH.creditorName), fx, fy, fw) + 3;
    fieldBlock(ctx, labelPair(ctx, 'subject'), cutText(notice.subject, MAX_LENGTH.subject), fx, fy, fw, 24);
  });
  tag(ctx, 'P', () => {
    const cols = c.cbill ? 3 : 2;
    const x0 = MARGIN + 10;
    const cw = (WIDTH - 20) / cols;
    let i = 0;
    if (c.cbill) {
      field(ctx, labelPair(ctx, 'cbill'), c.cbill, x0, ry, cw - 8, 11);
      i++;
    }
    field(
      ctx,
      labelPair(ctx, 'noticeCode'),
      groupNoticeNumber(payment.noticeNumber),
      x0 + cw * i,
      ry,
      cw - 8,
      11,
    );
    i++;
    field(
      ctx,
      labelPair(ctx, 'creditorFiscalCode'),
      formatFiscalCode(c.fiscalCode),
      x0 + cw * i,
      ry,
      cw - 8,
      11,
    );
  });
}

function drawPostalBand(ctx: Ctx, top: number, payment: NoticePayment, postal: NoticePostal): void {
  const { doc, notice } = ctx;
  const c = notice.creditor;
  const r = notice.recipient;
  const h = postalBandHeight(ctx);
  artifact(ctx, () => {
    doc.lineWidth(0.8).rect(MARGIN, top, WIDTH, h).stroke(COLOR.rule);
  });
  const y = drawBar(ctx, top, 'postalBand', payment) + 6;
  const dmX = MARGIN + WIDTH - 10 - DATAMATRIX_SIZE;
  const textW = dmX - MARGIN - 30;
  paragraphs(ctx, 'postalText', MARGIN + 10, y, textW, y + (ctx.second ? 30 : 20), 7, COLOR.muted);
  const dmText = posteDataMatrixText({
    noticeNumber: payment.noticeNumber,
    postalAccount: postal.accountNumber,
    amountCents: payment.amountCents,
    creditorFiscalCode: c.fiscalCode,
    debtorFiscalCode: r?.fiscalCode ?? '',
    debtorName: r?.fullName ?? '',
    subject: notice.subject,
  });
  tag(
    ctx,
    'Figure',
    () => {
      drawDataMatrix(doc, dmText, dmX, y + 4, DATAMATRIX_SIZE);
    },
    { alt: fillLabel(ctx.it.dataMatrixAlt, { n: groupNoticeNumber(payment.noticeNumber) }) },
  );
  const x = MARGIN + 10;
  const colW = textW / 2 - 6;
  let fy = y + (ctx.second ? 34 : 24);
  tag(ctx, 'P', () => {
    field(ctx, labelPair(ctx, 'postalAccount'), postal.accountNumber, x, fy, colW, 12);
    const holder = cutText(postal.holder, MAX_LENGTH.postalHolder);
    field(ctx, labelPair(ctx, 'postalHolder'), holder, x + colW + 12, fy, colW, 10);
    fy += 28;
    if (r) field(ctx, labelPair(ctx, 'recipientShort'), cutText(r.fullName, 35), x, fy, colW, 10);
    fieldBlock(
      ctx,
      labelPair(ctx, 'subject'),
      cutText(notice.subject, MAX_LENGTH.subject),
      x + colW + 12,
      fy,
      colW,
      24,
    );
  });
  const ry = top + h - 30;
  tag(ctx, 'P', () => {
    const widths = [0.3, 0.1, 0.28, 0.32];
    let cx = x;
    const cell = (i: number) => (WIDTH - 20) * widths[i]!;
    field(
      ctx,
      labelPair(ctx, 'noticeCode'),
      groupNoticeNumber(payment.noticeNumber),
      cx,
      ry,
      cell(0) - 8,
      11,
    );
    cx += cell(0);
    field(ctx, labelPair(ctx, 'postalType'), 'P1', cx, ry, cell(1) - 8, 11);
    cx += cell(1);
    field(ctx, labelPair(ctx, 'creditorFiscalCode'), formatFiscalCode(c.fiscalCode), cx, ry, cell(2) - 8, 11);
    cx += cell(2);
    if (postal.authorisation) {
      field(
        ctx,
        ctx.it.postalAuthorisation,
        cutText(postal.authorisation, MAX_LENGTH.postalAuthorisation),
        cx,
        ry,
        cell(3) - 8,
        9,
      );
    }
  });
}

function cutLine(ctx: Ctx, y: number): void {
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

function rule(ctx: Ctx, y: number): void {
  const { doc } = ctx;
  artifact(ctx, () => {
    doc.rect(MARGIN, y, WIDTH, 0.6).fill(COLOR.rule);
  });
}

// ------------------------------------------------------------------------------------ codes

/** The QR code as filled rectangles: each row's runs of dark modules are one rectangle. */
export function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number, size: number): void {
  const qr = QRCode.create(text, PAGOPA_QR_SYMBOL);
  const n = qr.modules.size;
  const data = qr.modules.data;
  drawModules(doc, n, n, (c, r) => data[r * n + c] === 1, x, y, size);
}

/** The DataMatrix (ECC 200, bwip-js's encoder) as filled rectangles. */
export function drawDataMatrix(
  doc: PDFKit.PDFDocument,
  text: string,
  x: number,
  y: number,
  size: number,
): void {
  const [symbol] = bwipjs.raw({ bcid: 'datamatrix', text });
  if (!symbol || !('pixs' in symbol)) throw new Error('DataMatrix: no symbol');
  const { pixs, pixx, pixy } = symbol;
  drawModules(doc, pixx, pixy, (c, r) => pixs[r * pixx + c] === 1, x, y, size);
}

function drawModules(
  doc: PDFKit.PDFDocument,
  cols: number,
  rows: number,
  dark: (c: number, r: number) => boolean,
  x: number,
  y: number,
  size: number,
): void {
  const m = size / Math.max(cols, rows);
  for (let r = 0; r < rows; r++) {
    let c = 0;
    while (c < cols) {
      if (!dark(c, r)) {
        c++;
        continue;
      }
      const start = c;
      while (c < cols && dark(c, r)) c++;
      doc.rect(x + start * m, y + r * m, (c - start) * m, m);
    }
  }
  doc.fill(COLOR.black);
}

// ------------------------------------------------------------------------------------ logo

/** What pdfkit's openImage returns: drawn again by passing it to image(), embedded once. */
interface OpenedImage {
  width: number;
  height: number;
}
type LogoEntry =
  | { kind: 'image'; image: OpenedImage }
  | { kind: 'svg'; svg: string; drawings: Map<string, SvgDrawing | null> };
type DocWithImages = PDFKit.PDFDocument & { openImage(src: Buffer): OpenedImage };

const logoCache = new WeakMap<PDFKit.PDFDocument, Map<string, LogoEntry | null>>();

/**
 * The logo decoded once per document and logo (keyed by a digest of its bytes, so that a print run
 * reading the same logo into a new Buffer per notice still embeds one image). Undecodable: null.
 */
function openLogo(doc: PDFKit.PDFDocument, logo: NoticeDocument['creditor']['logo']): LogoEntry | null {
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

/** The ente's logo fitted in its box; a missing or broken logo leaves the box empty. */
function drawLogo(ctx: Ctx, x: number, y: number, w: number, h: number): void {
  const { doc, logo } = ctx;
  if (!logo) return;
  tag(
    ctx,
    'Figure',
    () => {
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
        // an image pdfkit opened but cannot draw: nothing, as for a missing logo
      }
    },
    { alt: ctx.it.logoAlt },
  );
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

// ------------------------------------------------------------------------------------ text

interface LineStyle {
  font: FontName;
  size: number;
  /** Shrink down to this size before cutting with an ellipsis (default: no shrinking). */
  minSize?: number;
  color: string;
  align?: 'left' | 'right';
}

function small(size: number, color: string): LineStyle {
  return { font: FONT.regular, size, minSize: size - 1, color };
}

/**
 * One line of text that never leaves its width: shrunk down to `minSize`, then cut with an
 * ellipsis. Returns the height used.
 */
function line(ctx: Ctx, text: string, x: number, y: number, w: number, style: LineStyle): number {
  const { doc } = ctx;
  doc.font(style.font).fontSize(style.size);
  let size = style.size;
  let out = oneLine(text);
  let width = doc.widthOfString(out);
  if (width > w && style.minSize !== undefined && style.minSize < size) {
    size = Math.max(style.minSize, Math.floor(((size * w) / width) * 4) / 4);
    doc.fontSize(size);
    width = doc.widthOfString(out);
  }
  if (width > w) {
    out = ellipsize(doc, out, w);
    width = doc.widthOfString(out);
  }
  doc.fillColor(style.color);
  const tx = style.align === 'right' ? x + w - width : x;
  doc.text(out, tx, y, { lineBreak: false });
  return size * 1.25;
}

function ellipsize(doc: PDFKit.PDFDocument, text: string, w: number): string {
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (doc.widthOfString(chars.slice(0, mid).join('').trimEnd() + ELLIPSIS) <= w) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join('').trimEnd() + ELLIPSIS;
}

/**
 * Text wrapped in a box of `w` × `h`: shrunk (down to `minSize`) until it fits, else its last line
 * that fits is cut with an ellipsis. Always at least one line. Returns the height used.
 */
function block(ctx: Ctx, text: string, x: number, y: number, w: number, h: number, style: LineStyle): number {
  const { doc } = ctx;
  const out = oneLine(text);
  doc.font(style.font);
  let size = style.size;
  let lh = lineHeight(doc, style.font, size);
  let lines = wrapLines(doc, style.font, size, w, out);
  while (lines.length * lh > h && style.minSize !== undefined && size - 0.5 >= style.minSize) {
    size -= 0.5;
    lh = lineHeight(doc, style.font, size);
    lines = wrapLines(doc, style.font, size, w, out);
  }
  doc.fontSize(size).fillColor(style.color);
  const room = Math.max(1, Math.floor(h / lh));
  if (lines.length > room) {
    const rest = lines.slice(room - 1).join(' ');
    lines = [...lines.slice(0, room - 1), ellipsize(doc, rest, w)];
  }
  for (const [i, l] of lines.entries()) doc.text(l, x, y + i * lh, { lineBreak: false });
  return lines.length * lh;
}

// The notice's fixed texts (the guideline's paragraphs, labels) are the same on every notice of a
// print run: their wrapping is computed once. Font metrics do not depend on the document.
const wrapCache = new Map<string, string[]>();
const lineHeights = new Map<string, number>();

function lineHeight(doc: PDFKit.PDFDocument, font: FontName, size: number): number {
  const key = `${font}|${size}`;
  let lh = lineHeights.get(key);
  if (lh === undefined) {
    lh = doc.font(font).fontSize(size).currentLineHeight(true);
    lineHeights.set(key, lh);
  }
  return lh;
}

/** Greedy word wrap at width `w` (a word wider than the line is cut between characters). */
function wrapLines(doc: PDFKit.PDFDocument, font: FontName, size: number, w: number, text: string): string[] {
  const key = `${font}|${size}|${w}|${text}`;
  const cached = wrapCache.get(key);
  if (cached) return cached;
  doc.font(font).fontSize(size);
  const space = doc.widthOfString(' ');
  const lines: string[] = [];
  let current = '';
  let width = 0;
  for (const word of text.split(' ')) {
    if (word === '') continue;
    let ww = doc.widthOfString(word);
    if (current !== '' && width + space + ww <= w) {
      current += ` ${word}`;
      width += space + ww;
      continue;
    }
    if (current !== '') lines.push(current);
    let rest = word;
    while (ww > w) {
      const chars = Array.from(rest);
      let n = chars.length - 1;
      while (n > 1 && doc.widthOfString(chars.slice(0, n).join('')) > w) n--;
      lines.push(chars.slice(0, n).join(''));
      rest = chars.slice(n).join('');
      ww = doc.widthOfString(rest);
    }
    current = rest;
    width = ww;
  }
  if (current !== '') lines.push(current);
  if (wrapCache.size > 5000) wrapCache.clear();
  wrapCache.set(key, lines);
  return lines;
}

/** A small label and its value under it; returns the y after the value. */
function field(
  ctx: Ctx,
  label: string,
  value: string,
  x: number,
  y: number,
  w: number,
  valueSize = 10,
): number {
  line(ctx, label, x, y, w, { font: FONT.regular, size: 7, minSize: 5.5, color: COLOR.muted });
  line(ctx, value, x, y + 9, w, {
    font: FONT.bold,
    size: valueSize,
    minSize: valueSize - 2.5,
    color: COLOR.text,
  });
  return y + 9 + valueSize * 1.25;
}

/** A label and a value of up to `h` points (wrapped). */
function fieldBlock(
  ctx: Ctx,
  label: string,
  value: string,
  x: number,
  y: number,
  w: number,
  h: number,
): number {
  line(ctx, label, x, y, w, { font: FONT.regular, size: 7, minSize: 5.5, color: COLOR.muted });
  return (
    y + 9 + block(ctx, value, x, y + 9, w, h, { font: FONT.bold, size: 9, minSize: 7.5, color: COLOR.text })
  );
}

/** A section title (ENTE CREDITORE…): Italian, then the second language after a slash or under it. */
function sectionTitle(ctx: Ctx, key: LabelKey, x: number, y: number, w: number): number {
  return y + twoLines(ctx, ctx.it[key], ctx.second?.[key], x, y, w, 9.5, FONT.bold, COLOR.blue);
}

/** Italian and the second language: on one line "it / second" when it fits, else two lines. */
function twoLines(
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
function labelPair(ctx: Ctx, key: LabelKey): string {
  const it = ctx.it[key];
  const second = ctx.second?.[key];
  return second && second !== it ? `${it} / ${second}` : it;
}

function pairText(ctx: Ctx, key: LabelKey, values: Record<string, string | number>): string {
  const it = fillLabel(ctx.it[key], values);
  return ctx.second ? `${it} / ${fillLabel(ctx.second[key], values)}` : it;
}

/** A paragraph in Italian, then in the second language (italic, tagged with its language). */
function paragraphs(
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

function dueText1(l: NoticeLabels, dueDate: string | undefined): string {
  return dueDate ? `${l.by} ${formatDate(dueDate)}` : l.noDueDate;
}

function dueText(ctx: Ctx, dueDate: string | undefined, italianOnly = false): string {
  const it = dueText1(ctx.it, dueDate);
  if (italianOnly || !ctx.second) return it;
  const second = dueText1(ctx.second, dueDate);
  return dueDate ? `${ctx.it.by} / ${ctx.second.by} ${formatDate(dueDate)}` : `${it} / ${second}`;
}

// ------------------------------------------------------------------------------------ tagging

/** Content drawn by `draw` as one structure element of the notice (P, H1, Figure with alt…). */
function tag(
  ctx: Ctx,
  type: string,
  draw: () => void,
  options: PDFKit.Mixins.StructureElementOptions = {},
): void {
  if (ctx.sect) ctx.sect.add(ctx.doc.struct(type, options, [draw]));
  else draw();
}

/** Decoration (rules, band backgrounds, cut lines): an artifact, skipped by screen readers. */
function artifact(ctx: Ctx, draw: () => void): void {
  if (!ctx.sect) {
    draw();
    return;
  }
  ctx.doc.markContent('Artifact', { type: 'Layout' });
  draw();
  ctx.doc.endMarkedContent();
}

function isTagged(doc: PDFKit.PDFDocument): boolean {
  return doc.options.tagged === true;
}
