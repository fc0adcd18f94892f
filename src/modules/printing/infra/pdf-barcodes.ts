import bwipjs from 'bwip-js';
import QRCode from 'qrcode';
import { PAGOPA_QR_SYMBOL } from '../domain/pagopa-qr.js';

/** Two-dimensional codes drawn as vectors: each row's runs of dark modules are one filled rectangle. */

interface QrOptions {
  /** QR symbol options (default: pagoPA's, version 4 ECC M). */
  symbol?: QRCode.QRCodeOptions;
  /** Light modules around the code, inside `size` (default none: the page leaves the room). */
  quietZone?: number;
}

/** The QR code of `text` in a square of `size` at (x, y). */
export function drawQr(
  doc: PDFKit.PDFDocument,
  text: string,
  x: number,
  y: number,
  size: number,
  options: QrOptions = {},
): void {
  const qr = QRCode.create(text, options.symbol ?? PAGOPA_QR_SYMBOL);
  const n = qr.modules.size;
  const data = qr.modules.data;
  drawModules(doc, n, n, (c, r) => data[r * n + c] === 1, x, y, size, options.quietZone ?? 0);
}

/** The DataMatrix (ECC 200, bwip-js's encoder) of `text` in a square of `size` at (x, y). */
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
  drawModules(doc, pixx, pixy, (c, r) => pixs[r * pixx + c] === 1, x, y, size, 0);
}

function drawModules(
  doc: PDFKit.PDFDocument,
  cols: number,
  rows: number,
  dark: (c: number, r: number) => boolean,
  x: number,
  y: number,
  size: number,
  quiet: number,
): void {
  const m = size / (Math.max(cols, rows) + 2 * quiet);
  const x0 = x + quiet * m;
  const y0 = y + quiet * m;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    while (c < cols) {
      if (!dark(c, r)) {
        c++;
        continue;
      }
      const start = c;
      while (c < cols && dark(c, r)) c++;
      doc.rect(x0 + start * m, y0 + r * m, (c - start) * m, m);
    }
  }
  doc.fill('#000000');
}
