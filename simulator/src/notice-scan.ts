import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';

/**
 * What a PSP's app or counter reads off a printed notice: every pagoPA QR code and Poste DataMatrix
 * on its pages. The PDF is rasterised as a scanner would see it (poppler's pdftoppm), then decoded
 * by ZXing (zxing-wasm): nothing is read from the PDF's text or structure.
 */

const run = promisify(execFile);
const require = createRequire(import.meta.url);
let prepared: Promise<unknown> | undefined;

/** zxing-wasm would fetch its binary from a CDN: give it the package's own file (no network here). */
function prepare(): Promise<unknown> {
  prepared ??= readFile(require.resolve('zxing-wasm/reader/zxing_reader.wasm')).then((bytes) =>
    prepareZXingModule({
      overrides: { wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
      fireImmediately: true,
    }),
  );
  return prepared;
}

/** The pagoPA QR code: PAGOPA|002|<notice code>|<ente fiscal code>|<amount in cents>. */
export interface PagoPaQr {
  text: string;
  version: string;
  noticeNumber: string;
  fiscalCode: string;
  amountCents: number;
}

/** The Poste "Bollettino Postale PA" DataMatrix (256 characters, docs/printing.md). */
export interface PosteDataMatrix {
  text: string;
  noticeNumber: string;
  postalAccount: string;
  amountCents: number;
  documentType: string;
  fiscalCode: string;
  debtorFiscalCode: string;
  debtorName: string;
  subject: string;
}

export interface ScannedPage {
  /** 1-based. */
  page: number;
  qrCodes: PagoPaQr[];
  dataMatrices: PosteDataMatrix[];
  /** Symbols found that are neither (e.g. a QR that is not pagoPA's): their text. */
  other: string[];
  /** The raster the codes were read from (PNG), for a person to look at. */
  png: Buffer;
}

const QR = /^PAGOPA\|(\d{3})\|(\d{18})\|(\d{11})\|(\d{1,11})$/;

export function parsePagoPaQr(text: string): PagoPaQr | null {
  const m = QR.exec(text);
  if (!m) return null;
  return {
    text,
    version: m[1]!,
    noticeNumber: m[2]!,
    fiscalCode: m[3]!,
    amountCents: Number(m[4]),
  };
}

export function parsePosteDataMatrix(text: string): PosteDataMatrix | null {
  if (text.length !== 256 || !text.startsWith('codfase=NBPA;')) return null;
  const at = (from: number, length: number) => text.slice(from, from + length);
  // codfase=NBPA; (13) 18+notice (20) 12+account (14) 10+cents (12) 3+896 (4) 1P1 (3) CF 11, debtor CF 16,
  // debtor name 40, subject 110, filler 12, 'A'
  if (at(13, 2) !== '18' || at(33, 2) !== '12' || at(47, 2) !== '10' || at(59, 1) !== '3') return null;
  return {
    text,
    noticeNumber: at(15, 18),
    postalAccount: at(35, 12),
    amountCents: Number(at(49, 10)),
    documentType: at(60, 3),
    fiscalCode: at(66, 11).trimEnd(),
    debtorFiscalCode: at(77, 16).trimEnd(),
    debtorName: at(93, 40).trimEnd(),
    subject: at(133, 110).trimEnd(),
  };
}

/** Every page of the PDF at `file`, rasterised at `dpi` (default 200) and scanned. */
export async function scanNoticePdf(file: string, dpi = 200): Promise<ScannedPage[]> {
  await prepare();
  const dir = await mkdtemp(join(tmpdir(), 'cassa-scan-'));
  try {
    await run('pdftoppm', ['-r', String(dpi), '-png', '-gray', file, join(dir, 'page')]);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.png')).sort();
    const pages: ScannedPage[] = [];
    for (const [i, f] of files.entries()) {
      const png = await readFile(join(dir, f));
      const found = await readBarcodes(new Uint8Array(png), {
        formats: ['QRCode', 'DataMatrix'],
        tryHarder: true,
        maxNumberOfSymbols: 16,
      });
      const page: ScannedPage = { page: i + 1, qrCodes: [], dataMatrices: [], other: [], png };
      for (const s of found.filter((r) => r.isValid)) {
        const qr = s.format === 'QRCode' ? parsePagoPaQr(s.text) : null;
        const dm = s.format === 'DataMatrix' ? parsePosteDataMatrix(s.text) : null;
        if (qr) page.qrCodes.push(qr);
        else if (dm) page.dataMatrices.push(dm);
        else page.other.push(s.text);
      }
      // reading order: top to bottom as printed is what ZXing reports; keep it
      pages.push(page);
    }
    return pages;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
