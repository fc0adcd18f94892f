import SVGtoPDF from 'svg-to-pdfkit';
import { romeDateTimeLabel } from '../../../shared/calendar.js';
import { formatCents } from '../../../shared/money.js';
import {
  groupedNoticeNumber,
  paymentMethodLabel,
  receiptVerificationText,
  type ReceiptDocument,
  type ReceiptSubject,
} from '../domain/receipt-document.js';
import { receiptLabels, type ReceiptLabel } from '../domain/receipt-labels.js';
import { drawQr } from './pdf-barcodes.js';
import { A4, createPdf, FONT, MM, pdfBytes } from './pdf-base.js';
import { fit, wrap } from './pdf-text.js';

/**
 * The receipt (ricevuta di pagamento) as one A4 PDF: the ente's header, the payment, the notice, the
 * parties, the transfers and the receipt's identifiers with a verification QR code. Every text is cut
 * to its place with an ellipsis; a long list of transfers continues on a new page.
 */

const MARGIN = 18 * MM;
const WIDTH = A4.width - 2 * MARGIN;
const TOP = 14 * MM;
const BOTTOM = A4.height - 12 * MM;
const COLOR = { text: '#1a1a1a', label: '#5c6f82', accent: '#0b3d91', rule: '#c5c7c9', band: '#eef4fa' };
const SIZE = { label: 8, value: 10, heading: 11, title: 20, small: 8 };
const ROW = 25;
const QR_SIZE = 27 * MM;
const LOGO_BOX = 18 * MM;

type Doc = PDFKit.PDFDocument;
type Struct = PDFKit.PDFStructureElement;

export async function renderReceiptPdf(d: ReceiptDocument): Promise<Buffer> {
  const L = receiptLabels(d.lang);
  const doc = createPdf({
    title: `${L.title} ${d.noticeNumber}`,
    lang: d.lang === 'en' ? 'en-GB' : 'it-IT',
    subject: `${L.title}: ${d.creditor.name}, ${L.noticeNumber} ${d.noticeNumber}`,
  });
  const root = doc.struct('Document');
  doc.addStructure(root);
  const page = new Page(doc, root);
  page.add();

  header(page, d, L);
  summaryBand(page, d, L);

  page.section(L.payment);
  page.cells([{ label: L.subject, value: d.subject, span: 1, lines: 2 }]);
  page.cells([
    { label: L.amount, value: money(d, d.amountCents) },
    { label: L.fee, value: d.feeCents === null ? L.feeUnknown : money(d, d.feeCents) },
    { label: L.total, value: money(d, d.amountCents + (d.feeCents ?? 0)), strong: true },
  ]);
  page.cells([
    { label: L.paidAt, value: d.paymentDateTime ? dateTime(d.paymentDateTime) : L.none },
    { label: L.method, value: paymentMethodLabel(d.paymentMethod, d.lang) ?? L.none },
    { label: L.channel, value: d.channel ?? L.none },
  ]);
  page.cells([{ label: L.psp, value: pspText(d) ?? L.none }]);

  page.section(L.notice);
  page.cells([
    { label: L.creditor, value: d.creditor.name, span: 2 },
    { label: L.creditorFiscalCode, value: d.creditor.fiscalCode },
  ]);
  page.cells([
    { label: L.noticeNumber, value: groupedNoticeNumber(d.noticeNumber), strong: true },
    { label: L.iuv, value: d.iuv, span: 2 },
  ]);

  page.section(`${L.debtor} / ${L.payer}`);
  page.cells(subjectCells(L.debtor, d.debtor, L));
  page.cells(subjectCells(L.payer, d.payer, L));

  if (d.transfers.length > 0) transfers(page, d, L);

  identifiers(page, d, L);
  note(page, L);
  return pdfBytes(doc);
}

function money(d: ReceiptDocument, cents: number): string {
  if (d.lang === 'en')
    return new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' }).format(cents / 100);
  return formatCents(cents);
}

/** dd/mm/yyyy hh:mm in Rome's time. */
function dateTime(instant: Date): string {
  return romeDateTimeLabel(instant).replace(',', '');
}

function pspText(d: ReceiptDocument): string | undefined {
  const ids = [d.psp.id, d.psp.fiscalCode && `CF ${d.psp.fiscalCode}`].filter(Boolean).join(', ');
  if (!d.psp.name && !ids) return undefined;
  return d.psp.name ? `${d.psp.name}${ids ? ` (${ids})` : ''}` : ids;
}

function subjectCells(
  role: string,
  s: ReceiptSubject | null,
  L: Readonly<Record<ReceiptLabel, string>>,
): Cell[] {
  return [
    { label: `${role}: ${L.name}`, value: s?.name || L.none, span: 2 },
    { label: `${role}: ${L.fiscalCode}`, value: s?.fiscalCode || L.none },
  ];
}

interface Cell {
  label: string;
  value: string;
  /** Share of the row (1 by default). */
  span?: number;
  /** Lines the value may take (1 by default); the last one ends with an ellipsis when cut. */
  lines?: number;
  strong?: boolean;
}

/** The page being filled: the cursor, and a new page when what comes does not fit. */
class Page {
  y = 0;
  constructor(
    readonly doc: Doc,
    readonly root: Struct,
  ) {}

  add(): void {
    this.doc.addPage({ size: 'A4', margin: 0 });
    this.y = TOP;
  }

  /** Room for `height` points, on a new page when this one is full. */
  need(height: number): void {
    if (this.y + height > BOTTOM) this.add();
  }

  text(
    value: string,
    x: number,
    y: number,
    width: number,
    opts: { font?: string; size: number; color?: string; type?: string; align?: 'left' | 'right' },
  ): void {
    const { doc } = this;
    doc
      .font(opts.font ?? FONT.regular)
      .fontSize(opts.size)
      .fillColor(opts.color ?? COLOR.text);
    doc.text(fit(doc, value, width), x, y, {
      width,
      lineBreak: false,
      align: opts.align ?? 'left',
      structParent: this.root,
      structType: opts.type ?? 'P',
    } as PDFKit.Mixins.TextOptions);
  }

  /** Lines and fills that carry no content: artifacts for assistive technology. */
  artifact(draw: () => void): void {
    this.doc.markContent('Artifact', { type: 'Layout' });
    draw();
    this.doc.endMarkedContent();
  }

  rule(y: number, color = COLOR.rule): void {
    this.artifact(() => {
      this.doc
        .moveTo(MARGIN, y)
        .lineTo(MARGIN + WIDTH, y)
        .lineWidth(0.6)
        .strokeColor(color)
        .stroke();
    });
  }

  section(title: string): void {
    this.need(20 + ROW);
    this.y += 6;
    this.text(title, MARGIN, this.y, WIDTH, {
      font: FONT.semibold,
      size: SIZE.heading,
      color: COLOR.accent,
      type: 'H2',
    });
    this.y += 16;
    this.rule(this.y, COLOR.accent);
    this.y += 5;
  }

  /** A row of label-over-value cells across `width` (the whole line by default). */
  cells(cells: Cell[], width = WIDTH): void {
    const total = cells.reduce((s, c) => s + (c.span ?? 1), 0);
    const gap = 10;
    const laid = cells.map((c) => {
      const w = ((width + gap) * (c.span ?? 1)) / total - gap;
      const font = c.strong ? FONT.bold : FONT.regular;
      this.doc.font(font).fontSize(SIZE.value);
      return { ...c, w, font, lines: wrap(this.doc, c.value, w, c.lines ?? 1) };
    });
    const height = ROW + (Math.max(...laid.map((c) => c.lines.length)) - 1) * 13;
    this.need(height);
    let x = MARGIN;
    for (const c of laid) {
      this.text(c.label, x, this.y, c.w, { font: FONT.semibold, size: SIZE.label, color: COLOR.label });
      c.lines.forEach((line, i) => {
        this.text(line, x, this.y + 10 + i * 13, c.w, { font: c.font, size: SIZE.value });
      });
      x += c.w + gap;
    }
    this.y += height;
  }
}

function header(page: Page, d: ReceiptDocument, L: Readonly<Record<ReceiptLabel, string>>): void {
  const { doc } = page;
  const top = page.y;
  const drawn = logo(page, d, MARGIN, top);
  const x = drawn ? MARGIN + LOGO_BOX + 4 * MM : MARGIN;
  const w = MARGIN + WIDTH - x;
  doc.font(FONT.bold).fontSize(13);
  const nameLines = wrap(doc, d.creditor.name, w, 2);
  nameLines.forEach((line, i) => {
    page.text(line, x, top + i * 16, w, { font: FONT.bold, size: 13 });
  });
  let y = top + nameLines.length * 16 + 1;
  if (d.creditor.sector) {
    page.text(d.creditor.sector, x, y, w, { size: 9, color: COLOR.label });
    y += 12;
  }
  page.text(`${L.creditorFiscalCode}: ${d.creditor.fiscalCode}`, x, y, w, { size: 9, color: COLOR.label });
  page.y = Math.max(top + LOGO_BOX, y + 12) + 4 * MM;
  page.text(L.title, MARGIN, page.y, WIDTH, {
    font: FONT.bold,
    size: SIZE.title,
    color: COLOR.accent,
    type: 'H1',
  });
  page.y += 28;
}

/** The ente's logo in its box; false when there is none or it cannot be read (nothing is drawn). */
function logo(page: Page, d: ReceiptDocument, x: number, y: number): boolean {
  const { doc } = page;
  const stored = d.creditor.logo;
  if (!stored) return false;
  const alt = `Logo ${d.creditor.name}`;
  if (stored.mime === 'image/svg+xml') {
    const svg = stored.bytes.toString('utf8');
    if (!/<svg[\s>]/i.test(svg)) return false;
    let ok = true;
    page.root.add(
      doc.struct('Figure', { alt }, () => {
        doc.save();
        try {
          (SVGtoPDF as unknown as (doc: Doc, svg: string, x: number, y: number, o: object) => void)(
            doc,
            svg,
            x,
            y,
            {
              width: LOGO_BOX,
              height: LOGO_BOX,
              preserveAspectRatio: 'xMidYMid meet',
              warningCallback: () => undefined,
            },
          );
        } catch {
          ok = false;
        }
        doc.restore();
      }),
    );
    return ok;
  }
  // PNG or JPEG: opened before anything is drawn, so that a broken file leaves no trace
  let image: unknown;
  try {
    image = (doc as unknown as { openImage(src: Buffer): unknown }).openImage(stored.bytes);
    (image as { embed(doc: Doc): void }).embed(doc);
  } catch {
    return false;
  }
  page.root.add(
    doc.struct('Figure', { alt }, () => {
      doc.image(image as Buffer, x, y, {
        fit: [LOGO_BOX, LOGO_BOX],
        align: 'center',
        valign: 'center',
      });
    }),
  );
  return true;
}

function summaryBand(page: Page, d: ReceiptDocument, L: Readonly<Record<ReceiptLabel, string>>): void {
  const { doc } = page;
  const y = page.y;
  const h = 44;
  page.artifact(() => {
    doc.rect(MARGIN, y, WIDTH, h).fillColor(COLOR.band).fill();
    doc.rect(MARGIN, y, 4, h).fillColor(COLOR.accent).fill();
  });
  const half = WIDTH / 2 - 16;
  page.text(L.paid, MARGIN + 14, y + 8, half, { font: FONT.semibold, size: 12 });
  page.text(
    d.paymentDateTime
      ? dateTime(d.paymentDateTime)
      : `${L.noticeNumber} ${groupedNoticeNumber(d.noticeNumber)}`,
    MARGIN + 14,
    y + 26,
    half,
    { size: 10, color: COLOR.label },
  );
  page.text(L.total, MARGIN + WIDTH / 2, y + 8, half, { size: 9, color: COLOR.label, align: 'right' });
  page.text(money(d, d.amountCents + (d.feeCents ?? 0)), MARGIN + WIDTH / 2, y + 20, half, {
    font: FONT.bold,
    size: 17,
    align: 'right',
  });
  page.y = y + h + 4;
}

function transfers(page: Page, d: ReceiptDocument, L: Readonly<Record<ReceiptLabel, string>>): void {
  page.section(L.transfers);
  const cols = [
    { label: '#', w: 16 },
    { label: L.beneficiary, w: 138 },
    { label: L.account, w: 140 },
    { label: L.remittance, w: WIDTH - 16 - 138 - 140 - 70 - 32 },
    { label: L.amount, w: 70, right: true },
  ];
  const xs: number[] = [];
  let x = MARGIN;
  for (const c of cols) {
    xs.push(x);
    x += c.w + 8;
  }
  const head = () => {
    cols.forEach((c, i) => {
      page.text(c.label, xs[i]!, page.y, c.w, {
        font: FONT.semibold,
        size: SIZE.label,
        color: COLOR.label,
        align: c.right ? 'right' : 'left',
      });
    });
    page.y += 12;
  };
  page.need(12 + 30);
  head();
  for (const [i, t] of d.transfers.entries()) {
    if (page.y + 30 > BOTTOM) {
      page.add();
      head();
    }
    const y = page.y + 2;
    const v = { size: 9 } as const;
    page.text(t.id ?? String(i + 1), xs[0]!, y, cols[0]!.w, v);
    page.text(t.name ?? t.fiscalCode ?? L.none, xs[1]!, y, cols[1]!.w, v);
    if (t.name && t.fiscalCode)
      page.text(`CF ${t.fiscalCode}`, xs[1]!, y + 11, cols[1]!.w, { ...v, color: COLOR.label });
    page.text(t.stamp ? L.stamp : (t.iban ?? L.none), xs[2]!, y, cols[2]!.w, v);
    page.doc.font(FONT.regular).fontSize(9);
    wrap(page.doc, t.remittance ?? '', cols[3]!.w, 2).forEach((line, n) => {
      page.text(line, xs[3]!, y + n * 11, cols[3]!.w, v);
    });
    page.text(t.amountCents === null ? '—' : money(d, t.amountCents), xs[4]!, y, cols[4]!.w, {
      ...v,
      align: 'right',
    });
    // two lines of 9 pt end 24 points below the row's top: the rule under them
    if (i < d.transfers.length - 1) page.rule(y + 24);
    page.y = y + 26;
  }
}

function identifiers(page: Page, d: ReceiptDocument, L: Readonly<Record<ReceiptLabel, string>>): void {
  page.need(20 + QR_SIZE + 14);
  page.section(L.identifiers);
  const top = page.y;
  const width = WIDTH - QR_SIZE - 8 * MM;
  page.cells([{ label: L.receiptId, value: d.receiptId }], width);
  page.cells(
    [
      { label: L.noticeNumber, value: groupedNoticeNumber(d.noticeNumber) },
      { label: L.fiscalCode, value: d.fiscalCode },
    ],
    width,
  );
  page.cells(
    [
      { label: L.outcome, value: L.outcomeOk },
      { label: L.receivedAt, value: dateTime(d.receivedAt) },
    ],
    width,
  );
  const x = MARGIN + WIDTH - QR_SIZE;
  qr(page, receiptVerificationText(d), x, top, QR_SIZE, L.qr);
  page.text(L.qr, x, top + QR_SIZE + 2, QR_SIZE, { size: SIZE.small, color: COLOR.label, align: 'right' });
  page.y = Math.max(page.y, top + QR_SIZE + 14);
}

/** The verification QR code (ECC M) as vector squares, its quiet zone included in `size`. */
function qr(page: Page, text: string, x: number, y: number, size: number, alt: string): void {
  const { doc } = page;
  page.root.add(
    doc.struct('Figure', { alt: `${alt}: ${text}` }, () => {
      drawQr(doc, text, x, y, size, { symbol: { errorCorrectionLevel: 'M' }, quietZone: 4 });
    }),
  );
}

function note(page: Page, L: Readonly<Record<ReceiptLabel, string>>): void {
  const { doc } = page;
  doc.font(FONT.italic).fontSize(SIZE.small);
  const lines = wrap(doc, L.note, WIDTH, 4);
  page.need(8 + lines.length * 11);
  page.y += 6;
  page.rule(page.y);
  page.y += 4;
  for (const line of lines) {
    page.text(line, MARGIN, page.y, WIDTH, { font: FONT.italic, size: SIZE.small, color: COLOR.label });
    page.y += 11;
  }
}
