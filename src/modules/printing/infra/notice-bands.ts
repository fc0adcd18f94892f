import type { NoticePayment, NoticePostal } from '../domain/notice-document.js';
import { fillLabel, LANGUAGE_TAGS, type NoticeLabels } from '../domain/notice-labels.js';
import { pagoPaQrText } from '../domain/pagopa-qr.js';
import { posteDataMatrixText } from '../domain/poste-datamatrix.js';
import {
  cutText,
  formatAmount,
  formatFiscalCode,
  groupNoticeNumber,
  MAX_LENGTH,
} from '../domain/notice-texts.js';
import { drawDataMatrix, drawQr } from './pdf-barcodes.js';
import { FONT, MM } from './pdf-base.js';
import {
  artifact,
  COLOR,
  type Ctx,
  dueText1,
  field,
  fieldBlock,
  type LabelKey,
  labelPair,
  line,
  MARGIN,
  paragraphs,
  tag,
  twoLines,
  WIDTH,
} from './notice-drawing.js';

/**
 * The notice's payment bands, each a payment's title bar and what a channel needs to take it: "banche
 * e altri canali" with the pagoPA QR code, the Poste "bollettino postale" with its DataMatrix; and the
 * "use this portion" line over them.
 */

const QR_SIZE = 25 * MM;
const DATAMATRIX_SIZE = 22 * MM;

function barHeight(ctx: Ctx): number {
  return ctx.second ? 30 : 22;
}

export function bankBandHeight(ctx: Ctx): number {
  return barHeight(ctx) + 128;
}

export function postalBandHeight(ctx: Ctx): number {
  return barHeight(ctx) + 150;
}

export function usePortionHeight(ctx: Ctx): number {
  return ctx.second ? 22 : 12;
}

export function drawUsePortion(ctx: Ctx, y: number): void {
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
  const total = ctx.notice.instalmentsTotal ?? ctx.notice.instalments.length;
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

export function drawBankBand(ctx: Ctx, top: number, payment: NoticePayment): void {
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
        field(
          ctx,
          labelPair(ctx, 'recipientShort'),
          cutText(notice.recipient.fullName, MAX_LENGTH.recipientName),
          fx,
          fy,
          fw,
        ) + 3;
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

export function drawPostalBand(ctx: Ctx, top: number, payment: NoticePayment, postal: NoticePostal): void {
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
    if (r)
      field(
        ctx,
        labelPair(ctx, 'recipientShort'),
        cutText(r.fullName, MAX_LENGTH.recipientName),
        x,
        fy,
        colW,
        10,
      );
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
