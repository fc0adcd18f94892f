import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import bwipjs from 'bwip-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanNoticePdf } from '../simulator/src/notice-scan.js';
import type { NoticeDocument, NoticePayment } from '../src/modules/printing/domain/notice-document.js';
import { drawNotice } from '../src/modules/printing/infra/notice-pdf.js';
import { createPdf, FONT, pdfBytes } from '../src/modules/printing/infra/pdf-base.js';
import { mergePdfs, PdfMergeError } from '../src/modules/printing/infra/pdf-merge.js';

/**
 * The streaming merger of mass printing's parts (infra/pdf-merge.ts): pdfkit PDFs of different page counts,
 * fonts and images merged into one that poppler reads without a complaint, with every page, text and QR code
 * in the parts' order. The merged file stays in test-results/pdf/ for a person to look at.
 */

const run = promisify(execFile);
const OUT = join('test-results', 'pdf');

let svgLogo: Buffer;
let pngLogo: Buffer;
beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  svgLogo = await readFile(join('resources', 'demo', 'logo-ente.svg'));
  pngLogo = await bwipjs.toBuffer({ bcid: 'code128', text: 'COMUNE', scale: 3, height: 12 });
});

function notice(n: number, logo: { mime: 'image/svg+xml' | 'image/png'; bytes: Buffer }, instalments = 0) {
  const payments: NoticePayment[] = Array.from({ length: instalments }, (_, i) => ({
    noticeNumber: `30100000000${String(n).padStart(2, '0')}${String(i + 2).padStart(3, '0')}44`,
    amountCents: 10_000 + i * 111,
    dueDate: `2027-${String(i + 2).padStart(2, '0')}-28`,
    instalment: i + 1,
  }));
  const doc: NoticeDocument = {
    subject: `Avviso ${n}`,
    creditor: {
      fiscalCode: '01234567890',
      name: 'Comune di Esempio',
      sector: 'Settore Tributi',
      info: 'www.comune.esempio.it',
      cbill: 'A1B2C',
      logo,
      whereToPay: {},
    },
    recipient: { fiscalCode: 'RSSMRA80A01H501U', fullName: 'Mario Rossi', address: 'Via Roma 1, Torino' },
    languages: ['it'],
    single: {
      noticeNumber: `30100000000${String(n).padStart(2, '0')}00144`,
      amountCents: 1000 * n + 7,
      dueDate: '2027-01-31',
    },
    instalments: payments,
  };
  return doc;
}

const qrsOf = (d: NoticeDocument) =>
  [d.single!, ...d.instalments].map((p) => ({ noticeNumber: p.noticeNumber, amountCents: p.amountCents }));

/** A part as the print worker makes it: untagged, a marker page, then its notices. */
async function part(marker: string, notices: NoticeDocument[], font: string): Promise<Buffer> {
  const doc = createPdf({ title: `Parte ${marker}`, lang: 'it-IT', tagged: false });
  doc.addPage();
  doc.font(font).fontSize(14).text(`MARKER-${marker}`, 72, 72);
  // a link whose URI looks like a reference: a string, never rewritten
  doc.link(72, 100, 100, 20, `https://example.org/(12 0 R)/${marker}`);
  for (const n of notices) drawNotice(doc, n);
  return pdfBytes(doc);
}

async function pdfinfo(file: string) {
  const r = await run('pdfinfo', [file]);
  return { pages: Number(/^Pages:\s+(\d+)/m.exec(r.stdout)?.[1]), stderr: r.stderr, stdout: r.stdout };
}

async function merged(parts: Buffer[]) {
  // read lazily, as the worker reads its parts from the database
  async function* lazily() {
    for (const p of parts) yield await Promise.resolve(p);
  }
  const pieces: Buffer[] = [];
  for await (const b of mergePdfs(lazily(), { title: 'Avvisi è pagoPA', producer: 'Cassa' })) pieces.push(b);
  return Buffer.concat(pieces);
}

describe('pdf merge', () => {
  it('merges pdfkit PDFs: pages summed, texts, links and QR codes in order, poppler without a complaint', async () => {
    const a = [notice(1, { mime: 'image/svg+xml', bytes: svgLogo })];
    const b = [notice(2, { mime: 'image/png', bytes: pngLogo }, 4)];
    const c = [
      notice(3, { mime: 'image/png', bytes: pngLogo }),
      notice(4, { mime: 'image/svg+xml', bytes: svgLogo }),
    ];
    const parts = [
      await part('UNO', a, FONT.regular),
      await part('DUE', b, FONT.italic),
      await part('TRE', c, FONT.bold),
    ];
    const counts: number[] = [];
    for (const [i, p] of parts.entries()) {
      const f = join(OUT, `merge-part-${i + 1}.pdf`);
      await writeFile(f, p);
      counts.push((await pdfinfo(f)).pages);
    }
    expect(new Set(counts).size).toBe(3); // different page counts: 2, 4, 3

    const pdf = await merged(parts);
    const file = join(OUT, 'merge-merged.pdf');
    await writeFile(file, pdf);
    const info = await pdfinfo(file);
    expect(info.stderr).toBe('');
    expect(info.pages).toBe(counts.reduce((s, n) => s + n, 0));
    expect(info.stdout).toMatch(/^Title:\s+Avvisi è pagoPA$/m);

    const { stdout: text, stderr } = await run('pdftotext', [file, '-']);
    expect(stderr).toBe('');
    const at = ['MARKER-UNO', 'MARKER-DUE', 'MARKER-TRE'].map((m) => text.indexOf(m));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
    // each part's marker page is where the part starts
    const pages = text.split('\f');
    expect(pages[0]).toContain('MARKER-UNO');
    expect(pages[counts[0]!]).toContain('MARKER-DUE');
    expect(pages[counts[0]! + counts[1]!]).toContain('MARKER-TRE');

    // the link strings were copied as they were (a reference-looking string is not a reference)
    const raw = pdf.toString('latin1');
    for (const m of ['UNO', 'DUE', 'TRE']) expect(raw).toContain(`(https://example.org/\\(12 0 R\\)/${m})`);

    const scanned = (await scanNoticePdf(file, 100)).flatMap((p) =>
      p.qrCodes.map((q) => ({ noticeNumber: q.noticeNumber, amountCents: q.amountCents })),
    );
    const sorted = (l: { noticeNumber: string; amountCents: number }[]) =>
      [...l].sort((x, y) => x.noticeNumber.localeCompare(y.noticeNumber));
    // in the parts' order (within a notice's page the scanner's order is its own)
    const byNotice = (l: { noticeNumber: string }[]) => l.map((q) => q.noticeNumber.slice(11, 13));
    expect(byNotice(scanned)).toEqual(byNotice([...a, ...b, ...c].flatMap(qrsOf)));
    expect(sorted(scanned)).toEqual(sorted([...a, ...b, ...c].flatMap(qrsOf)));

    // the cross-reference table: one 20-byte entry per object, each pointing at its object
    const xref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(raw)?.[1]);
    const head = /^xref\n0 (\d+)\n/.exec(raw.slice(xref));
    expect(head).not.toBeNull();
    const size = Number(head![1]);
    const table = raw.slice(xref + head![0].length, xref + head![0].length + 20 * size);
    expect(table.slice(0, 20)).toBe('0000000000 65535 f \n');
    for (let n = 1; n < size; n++) {
      const entry = table.slice(20 * n, 20 * n + 20);
      expect(entry).toMatch(/^\d{10} 00000 n \n$/);
      expect(raw.startsWith(`${n} 0 obj\n`, Number(entry.slice(0, 10)))).toBe(true);
    }
  }, 120_000);

  it('one part merged is that part, pages and all', async () => {
    const p = await part('SOLO', [notice(5, { mime: 'image/png', bytes: pngLogo })], FONT.semibold);
    const file = join(OUT, 'merge-one.pdf');
    await writeFile(file, await merged([p]));
    const info = await pdfinfo(file);
    expect(info.stderr).toBe('');
    expect(info.pages).toBe(2);
  }, 60_000);

  it('refuses what is not a pdfkit PDF, and nothing to merge', async () => {
    await expect(merged([Buffer.from('not a pdf')])).rejects.toThrow(PdfMergeError);
    const p = await part('X', [], FONT.regular);
    // an xref table moved away from where startxref points
    const broken = Buffer.from(p.toString('latin1').replace(/startxref\n\d+/, 'startxref\n12'), 'latin1');
    await expect(merged([broken])).rejects.toThrow(/no classic xref table/);
    await expect(merged([])).rejects.toThrow(/no part/);
  });
});
