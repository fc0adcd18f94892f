import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import bwipjs from 'bwip-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { scanNoticePdf, type ScannedPage } from '../simulator/src/notice-scan.js';
import type {
  NoticeDocument,
  NoticePayment,
  NoticeRecipient,
} from '../src/modules/printing/domain/notice-document.js';
import { drawNotice, instalmentPages, renderNoticePdf } from '../src/modules/printing/infra/notice-pdf.js';
import { createPdf, pdfBytes } from '../src/modules/printing/infra/pdf-base.js';

/**
 * Issue 13: the payment notice as a PSP and a person read it. Each PDF is rasterised and its QR codes
 * and DataMatrix decoded with ZXing (simulator/src/notice-scan.ts), every field compared with the
 * input; pdftotext reads the printed words. PDFs and their pages (PNG, 200 dpi) stay in
 * test-results/pdf/ for a person to look at.
 */

const run = promisify(execFile);
const OUT = join('test-results', 'pdf');
const CF = '01234567890';

let svgLogo: Buffer;
let pngLogo: Buffer;
beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  svgLogo = await readFile(join('resources', 'demo', 'logo-ente.svg'));
  // a real PNG, made by an encoder of its own (a linear barcode: the scanner looks for 2D symbols only)
  pngLogo = await bwipjs.toBuffer({ bcid: 'code128', text: 'COMUNE', scale: 3, height: 12 });
});

const MARIO: NoticeRecipient = {
  fiscalCode: 'RSSMRA80A01H501U',
  fullName: 'Mario Rossi',
  address: 'Via Roma 1, 10100 Torino (TO)',
};
const POSTAL = {
  accountNumber: '12345678',
  holder: 'Comune di Esempio - Tesoreria',
  authorisation: 'PPT/0042/2025',
};

function notice(overrides: Partial<NoticeDocument> = {}): NoticeDocument {
  return {
    subject: 'TARI 2025 - Tassa sui rifiuti, abitazione di via Roma 1',
    creditor: {
      fiscalCode: CF,
      name: 'Comune di Esempio',
      sector: 'Settore Tributi',
      info: 'www.comune.esempio.it - tributi@comune.esempio.it',
      cbill: 'A1B2C',
      logo: { mime: 'image/svg+xml', bytes: svgLogo },
      whereToPay: {},
    },
    recipient: MARIO,
    languages: ['it'],
    single: { noticeNumber: '301000000000000144', amountCents: 123456, dueDate: '2025-03-31' },
    instalments: [],
    ...overrides,
  };
}

function instalments(n: number, postal = false): NoticePayment[] {
  return Array.from({ length: n }, (_, i) => ({
    noticeNumber: `3010000000000${String(i + 2).padStart(3, '0')}44`,
    amountCents: 10_000 + i * 111,
    dueDate: `2025-${String(i + 2).padStart(2, '0')}-28`,
    instalment: i + 1,
    ...(postal ? { postal: POSTAL } : {}),
  }));
}

interface Rendered {
  pdf: Buffer;
  pages: ScannedPage[];
  /** pdftotext -layout: the page as printed (columns side by side). */
  text: string;
  /** pdftotext -raw with blanks collapsed: each text in drawing order, wrapped lines joined. */
  flat: string;
}

async function keep(name: string, pdf: Buffer): Promise<Rendered> {
  const file = join(OUT, `${name}.pdf`);
  await writeFile(file, pdf);
  const pages = await scanNoticePdf(file);
  for (const p of pages) await writeFile(join(OUT, `${name}-${p.page}.png`), p.png);
  const { stdout: text } = await run('pdftotext', ['-layout', file, '-']);
  const { stdout: raw } = await run('pdftotext', ['-raw', file, '-']);
  return { pdf, pages, text, flat: raw.replace(/\s+/g, ' ') };
}

async function render(name: string, n: NoticeDocument): Promise<Rendered> {
  return keep(name, await renderNoticePdf(n));
}

/** The page's QR codes, compared field by field with the payments printed on it. */
function expectQrCodes(page: ScannedPage, payments: NoticePayment[]): void {
  const found = page.qrCodes
    .map((q) => ({
      version: q.version,
      noticeNumber: q.noticeNumber,
      fiscalCode: q.fiscalCode,
      cents: q.amountCents,
    }))
    .sort((a, b) => a.noticeNumber.localeCompare(b.noticeNumber));
  const expected = payments
    .map((p) => ({ version: '002', noticeNumber: p.noticeNumber, fiscalCode: CF, cents: p.amountCents }))
    .sort((a, b) => a.noticeNumber.localeCompare(b.noticeNumber));
  expect(found).toEqual(expected);
  expect(page.other).toEqual([]);
}

function pad(s: string, n: number): string {
  return s.padEnd(n, ' ');
}

/** Every field of the Poste DataMatrix, against the layout written out independently. */
function expectDataMatrix(
  page: ScannedPage,
  p: NoticePayment,
  debtor: { cf: string; name: string },
  subject: string,
): void {
  expect(page.dataMatrices).toHaveLength(1);
  const dm = page.dataMatrices[0]!;
  expect(dm.text).toBe(
    'codfase=NBPA;18' +
      p.noticeNumber +
      '12' +
      p.postal!.accountNumber.padStart(12, '0') +
      '10' +
      String(p.amountCents).padStart(10, '0') +
      '3896' +
      '1P1' +
      pad(CF, 11) +
      pad(debtor.cf, 16) +
      pad(debtor.name, 40) +
      pad(subject, 110) +
      ' '.repeat(12) +
      'A',
  );
  expect(dm).toMatchObject({
    noticeNumber: p.noticeNumber,
    postalAccount: p.postal!.accountNumber.padStart(12, '0'),
    amountCents: p.amountCents,
    documentType: '896',
    fiscalCode: CF,
    debtorFiscalCode: debtor.cf,
    debtorName: debtor.name,
    subject,
  });
}

const MANDATORY = [
  'AVVISO DI PAGAMENTO',
  'ENTE CREDITORE',
  'QUANTO E QUANDO PAGARE?',
  'DOVE PAGARE?',
  'Utilizza la porzione di avviso relativa al canale di pagamento che preferisci.',
  'BANCHE E ALTRI CANALI',
  'Codice Avviso',
  'Cod. Fiscale Ente Creditore',
  'Comune di Esempio',
  CF,
];

describe('the payment notice PDF', () => {
  it('prints a single payment: one page, its QR code, no bollettino', async () => {
    const n = notice();
    const r = await render('notice-single', n);
    expect(r.pages).toHaveLength(1);
    expectQrCodes(r.pages[0]!, [n.single!]);
    expect(r.pages[0]!.dataMatrices).toEqual([]);
    for (const t of MANDATORY) expect(r.flat).toContain(t);
    expect(r.flat).not.toContain('BOLLETTINO POSTALE PA');
    expect(r.flat).toContain('DESTINATARIO AVVISO');
    expect(r.flat).toContain('RSSMRA80A01H501U');
    expect(r.flat).toContain('Mario Rossi');
    expect(r.text).toContain('3010 0000 0000 0001 44');
    expect(r.text).toContain('1.234,56 €');
    expect(r.flat).toContain('entro il 31/03/2025');
    expect(r.flat).toContain('Codice CBILL');
    expect(r.flat).toContain('A1B2C');
    expect(r.flat).toContain('Settore Tributi');
    expect(r.flat).toContain('TARI 2025 - Tassa sui rifiuti, abitazione di via Roma 1');
    // the standard "dove pagare" texts when the ente has none
    expect(r.flat).toContain('PAGA CON PAGOPA');
    expect(r.flat).toContain('Lottomatica e Banca 5');
    // tagged: the codes are figures with an alternative text, the subject a heading
    const pdf = r.pdf.toString('latin1');
    expect(pdf).toContain('/StructTreeRoot');
    expect(pdf).toContain('/Alt (Codice QR pagoPA del codice avviso 3010 0000 0000 0001 44)');
    expect(pdf).toMatch(/\/S \/H1/);
  });

  it('adds the Poste bollettino with its DataMatrix when the payment goes to a postal account', async () => {
    const n = notice({
      single: { noticeNumber: '301000000000000144', amountCents: 98765, postal: POSTAL },
      recipient: { fiscalCode: 'zcuzoe85m41l219k', fullName: 'Zoë Čuk-Müller' },
      subject: 'Retta asilo nido: però è già "scontata"; grazie',
    });
    const r = await render('notice-single-postal', n);
    expect(r.pages).toHaveLength(1);
    expectQrCodes(r.pages[0]!, [n.single!]);
    // accents folded, upper case, ';' replaced: the DataMatrix carries plain ASCII
    expectDataMatrix(
      r.pages[0]!,
      n.single!,
      { cf: 'ZCUZOE85M41L219K', name: 'ZOE CUK-MULLER' },
      'RETTA ASILO NIDO: PERO E GIA "SCONTATA", GRAZIE',
    );
    expect(r.flat).toContain('BOLLETTINO POSTALE PA');
    expect(r.flat).toContain('Bollettino Postale pagabile in tutti gli Uffici Postali');
    expect(r.flat).toContain('sul C/C n.');
    expect(r.flat).toContain('12345678');
    expect(r.flat).toContain('Intestato a');
    expect(r.flat).toContain('Comune di Esempio - Tesoreria');
    expect(r.flat).toContain('PPT/0042/2025');
    expect(r.flat).toMatch(/Tipo[\s\S]*P1/);
    expect(r.flat).toContain('senza scadenza');
    expect(r.text).toContain('987,65 €');
    // the printed texts keep their accents
    expect(r.flat).toContain('Zoë Čuk-Müller');
    expect(r.flat).toContain('ZCUZOE85M41L219K');
  });

  it('prints a document: the single solution on page 1, three instalments on the next page', async () => {
    const n = notice({ instalments: instalments(3) });
    const r = await render('notice-document-3', n);
    expect(r.pages).toHaveLength(2);
    expectQrCodes(r.pages[0]!, [n.single!]);
    expectQrCodes(r.pages[1]!, n.instalments.slice());
    expect(r.pages.flatMap((p) => p.dataMatrices)).toEqual([]);
    expect(r.flat).toContain('oppure in 3 rate');
    expect(r.flat).toContain("Puoi pagare in un'unica soluzione o in 3 rate");
    expect(r.flat).toContain('RATA UNICA');
    for (const i of [1, 2, 3]) expect(r.flat).toContain(`RATA ${i} di 3`);
    expect(r.text).toContain('3010 0000 0000 0002 44');
    expect(r.text).toContain('3010 0000 0000 0004 44');
    expect(r.flat).toContain('entro il 28/04/2025');
    expect(r.text).toContain('102,22 €');
  });

  it('numbers the instalments left of a document against all of its instalments (RATA 3 di 3)', async () => {
    const left = instalments(3).slice(1);
    const n = notice({ single: undefined, instalments: left, instalmentsTotal: 3 });
    const r = await render('notice-document-2-of-3-left', n);
    expectQrCodes(r.pages[1]!, left);
    for (const i of [2, 3]) expect(r.flat).toContain(`RATA ${i} di 3`);
    expect(r.flat).not.toContain('di 2');
    // the one instalment left, printed alone
    const alone = await render(
      'notice-document-last-left',
      notice({ single: left[1], instalments: [], instalmentsTotal: 3 }),
    );
    expect(alone.flat).toContain('RATA 3 di 3');
    expectQrCodes(alone.pages[0]!, [left[1]!]);
  });

  it('prints five instalments with bollettini one to a page, each with its own codes', async () => {
    const n = notice({ single: undefined, instalments: instalments(5, true), recipient: MARIO });
    const r = await render('notice-instalments-5-postal', n);
    expect(r.pages).toHaveLength(6);
    expectQrCodes(r.pages[0]!, []);
    expect(r.pages[0]!.dataMatrices).toEqual([]);
    expect(r.flat).toContain('Puoi pagare in 5 rate');
    for (const [i, p] of n.instalments.entries()) {
      const page = r.pages[i + 1]!;
      expectQrCodes(page, [p]);
      expectDataMatrix(
        page,
        p,
        { cf: 'RSSMRA80A01H501U', name: 'MARIO ROSSI' },
        'TARI 2025 - TASSA SUI RIFIUTI, ABITAZIONE DI VIA ROMA 1',
      );
      expect(r.flat).toContain(`RATA ${i + 1} di 5`);
    }
  });

  it('lays instalments without bollettino three to a page, the last pages two', async () => {
    expect(instalmentPages(instalments(2)).map((g) => g.length)).toEqual([2]);
    expect(instalmentPages(instalments(4)).map((g) => g.length)).toEqual([2, 2]);
    expect(instalmentPages(instalments(5)).map((g) => g.length)).toEqual([3, 2]);
    expect(instalmentPages(instalments(6)).map((g) => g.length)).toEqual([3, 3]);
    expect(instalmentPages(instalments(7)).map((g) => g.length)).toEqual([3, 2, 2]);
    expect(instalmentPages(instalments(3, true)).map((g) => g.length)).toEqual([1, 1, 1]);
    const mixed = [...instalments(2), { ...instalments(3)[2]!, postal: POSTAL }];
    expect(instalmentPages(mixed).map((g) => g.length)).toEqual([2, 1]);

    const n = notice({ single: undefined, instalments: instalments(7) });
    const r = await render('notice-instalments-7', n);
    expect(r.pages.map((p) => p.qrCodes.length)).toEqual([0, 3, 2, 2]);
    expectQrCodes(r.pages[1]!, n.instalments.slice(0, 3));
    expectQrCodes(r.pages[2]!, n.instalments.slice(3, 5));
    expectQrCodes(r.pages[3]!, n.instalments.slice(5));
  });

  it('prints bilingual notices: Italian and German, Italian and Slovenian', async () => {
    const de = notice({
      languages: ['it', 'de'],
      single: {
        noticeNumber: '301000000000000144',
        amountCents: 123456,
        dueDate: '2025-03-31',
        postal: POSTAL,
      },
      instalments: instalments(2),
      creditor: {
        ...notice().creditor,
        name: 'Gemeinde Esempio / Comune di Esempio',
        whereToPay: {
          it: { online: 'sul sito www.comune.esempio.it/pagamenti o con l’app IO' },
          de: { online: 'auf der Website www.comune.esempio.it/zahlungen oder mit der App IO' },
        },
      },
    });
    const r = await render('notice-bilingual-de', de);
    expect(r.pages).toHaveLength(2);
    expectQrCodes(r.pages[0]!, [de.single!]);
    expectQrCodes(r.pages[1]!, de.instalments.slice());
    expectDataMatrix(
      r.pages[0]!,
      de.single!,
      { cf: 'RSSMRA80A01H501U', name: 'MARIO ROSSI' },
      'TARI 2025 - TASSA SUI RIFIUTI, ABITAZIONE DI VIA ROMA 1',
    );
    for (const t of MANDATORY) expect(r.flat).toContain(t);
    for (const t of [
      'ZAHLUNGSAUFFORDERUNG',
      'GLÄUBIGER',
      'WIE VIEL UND WANN ZAHLEN?',
      'WO ZAHLEN?',
      'BANKEN UND ANDERE KANÄLE',
      'POSTERLAGSCHEIN PA',
      'bis zum',
      'RATE 1 von 2',
      'oder in 2 Raten',
      // the ente's own texts in both languages, the standard physical text in both
      'www.comune.esempio.it/pagamenti',
      'www.comune.esempio.it/zahlungen',
      'Lottomatica e Banca 5',
      'Lottomatica und Banca 5',
    ]) {
      expect(r.flat).toContain(t);
    }
    expect(r.pdf.toString('latin1')).toContain('/Lang (de-DE)');

    const sl = notice({ languages: ['it', 'sl'], instalments: instalments(3) });
    const s = await render('notice-bilingual-sl', sl);
    expect(s.pages).toHaveLength(2);
    expectQrCodes(s.pages[1]!, sl.instalments.slice());
    for (const t of [
      'OBVESTILO O PLAČILU',
      'KOLIKO IN KDAJ PLAČATI?',
      'KJE PLAČATI?',
      'OBROK 2 od 3',
      'Koda obvestila',
    ]) {
      expect(s.flat).toContain(t);
    }
  });

  it('prints an ANONIMO notice without recipient block, the DataMatrix with blank debtor fields', async () => {
    const n = notice({ recipient: null, single: { ...notice().single!, postal: POSTAL } });
    const r = await render('notice-anonymous', n);
    expect(r.flat).not.toContain('DESTINATARIO AVVISO');
    expect(r.flat).not.toContain('Destinatario');
    expectQrCodes(r.pages[0]!, [n.single!]);
    expectDataMatrix(
      r.pages[0]!,
      n.single!,
      { cf: '', name: '' },
      'TARI 2025 - TASSA SUI RIFIUTI, ABITAZIONE DI VIA ROMA 1',
    );
  });

  it('cuts over-long texts with an ellipsis and keeps the codes readable at the largest amount', async () => {
    const subject = `Oggetto ${'lunghissimo '.repeat(12)}FINEOGGETTO`;
    const name = `Azienda Sanitaria ${'Provinciale '.repeat(10)}ULTIMAPAROLA`;
    const n = notice({
      subject,
      creditor: {
        ...notice().creditor,
        name,
        sector: `Settore ${'Amministrativo '.repeat(8)}CODASETTORE`,
        info: `${'www.ente-con-un-sito-lungo.example.it '.repeat(6)}CODAINFO`,
      },
      recipient: {
        fiscalCode: 'MRGFNC70A41H501Z',
        fullName: 'Maria Giovanna Francesca Margherita De Santis',
        address: `${'Via dei Mille e Cinquecento '.repeat(5)}CODAINDIRIZZO`,
      },
      single: { noticeNumber: '399999999999999999', amountCents: 99_999_999_999, dueDate: '2099-12-31' },
      instalments: instalments(2),
    });
    const r = await render('notice-long-texts', n);
    expect(r.pages).toHaveLength(2);
    expectQrCodes(r.pages[0]!, [n.single!]);
    expectQrCodes(r.pages[1]!, n.instalments.slice());
    expect(r.text).toContain('999.999.999,99 €');
    expect(r.text).toContain('3999 9999 9999 9999 99');
    expect(r.flat).toContain('…');
    for (const tail of [
      'FINEOGGETTO',
      'ULTIMAPAROLA',
      'CODASETTORE',
      'CODAINFO',
      'CODAINDIRIZZO',
      'De Santis',
    ]) {
      expect(r.flat).not.toContain(tail);
    }
    expect(r.flat).toContain('Maria Giovanna Francesca Margherit');
  });

  it('draws nothing for a missing or broken logo and keeps the layout; PNG and SVG logos are drawn', async () => {
    const creditor = notice().creditor;
    const none = await render('notice-logo-none', notice({ creditor: { ...creditor, logo: null } }));
    const broken = await render(
      'notice-logo-broken',
      notice({
        creditor: { ...creditor, logo: { mime: 'image/png', bytes: Buffer.from('not a png at all') } },
      }),
    );
    const badSvg = await render(
      'notice-logo-bad-svg',
      notice({
        creditor: { ...creditor, logo: { mime: 'image/svg+xml', bytes: Buffer.from('<html>nope') } },
      }),
    );
    const png = await render(
      'notice-logo-png',
      notice({ creditor: { ...creditor, logo: { mime: 'image/png', bytes: pngLogo } } }),
    );
    for (const r of [none, broken, badSvg, png]) {
      expect(r.pages).toHaveLength(1);
      expectQrCodes(r.pages[0]!, [notice().single!]);
      for (const t of MANDATORY) expect(r.flat).toContain(t);
    }
    // the same text in the same place with or without a logo
    expect(broken.text).toBe(none.text);
    expect(png.text).toBe(none.text);
    expect(png.pdf.toString('latin1')).toMatch(/\/Subtype \/Image/);
    expect(none.pdf.toString('latin1')).not.toMatch(/\/Subtype \/Image/);
  });

  it('draws many notices into one document, the logo embedded once', async () => {
    const doc = createPdf({ title: 'Stampa massiva', lang: 'it-IT' });
    const creditor = { ...notice().creditor, logo: { mime: 'image/png', bytes: pngLogo } };
    const notices = [1, 2, 3].map((i) =>
      notice({
        creditor: { ...creditor, logo: { mime: 'image/png', bytes: Buffer.from(pngLogo) } },
        single: {
          noticeNumber: `30100000000000${i}144`.slice(0, 18),
          amountCents: i * 1000,
          dueDate: '2025-06-30',
        },
        instalments: i === 3 ? instalments(2) : [],
      }),
    );
    for (const n of notices) drawNotice(doc, n);
    const r = await keep('notice-run', await pdfBytes(doc));
    expect(r.pages).toHaveLength(4);
    expectQrCodes(r.pages[0]!, [notices[0]!.single!]);
    expectQrCodes(r.pages[1]!, [notices[1]!.single!]);
    expectQrCodes(r.pages[2]!, [notices[2]!.single!]);
    expectQrCodes(r.pages[3]!, notices[2]!.instalments.slice());
    // as many image objects as one notice has (the PNG and its alpha mask): embedded once for the run
    const images = (pdf: Buffer) => pdf.toString('latin1').match(/\/Subtype \/Image/g)?.length ?? 0;
    const one = await renderNoticePdf(notices[0]!);
    expect(images(one)).toBeGreaterThan(0);
    expect(images(r.pdf)).toBe(images(one));
  });

  it('draws untagged print runs (paper) with the same codes and no structure tree', async () => {
    const doc = createPdf({ title: 'Stampa massiva', lang: 'it-IT', tagged: false });
    const n = notice({ single: { ...notice().single!, postal: POSTAL } });
    drawNotice(doc, n);
    const r = await keep('notice-untagged', await pdfBytes(doc));
    expectQrCodes(r.pages[0]!, [n.single!]);
    expect(r.pages[0]!.dataMatrices).toHaveLength(1);
    expect(r.flat).toContain('BOLLETTINO POSTALE PA');
    expect(r.pdf.toString('latin1')).not.toContain('/StructTreeRoot');
  });

  it('draws an SVG logo on every notice of a run, as on the first', async () => {
    const doc = createPdf({ title: 'Stampa massiva', lang: 'it-IT' });
    for (const i of [1, 2, 3]) {
      drawNotice(doc, notice({ single: { noticeNumber: `30100000000000${i}144`, amountCents: i * 100 } }));
    }
    const r = await keep('notice-run-svg', await pdfBytes(doc));
    expect(r.pages).toHaveLength(3);
    const none = await render(
      'notice-run-svg-none',
      notice({ creditor: { ...notice().creditor, logo: null } }),
    );
    // the logo's box as pixels: the same on every page, not the empty box
    const box = async (file: string, page: number) =>
      (
        await run(
          'pdftoppm',
          [
            '-f',
            String(page),
            '-l',
            String(page),
            '-r',
            '72',
            '-x',
            '28',
            '-y',
            '28',
            '-W',
            '57',
            '-H',
            '57',
            '-gray',
            '-png',
            file,
          ],
          { encoding: 'buffer' },
        )
      ).stdout;
    const first = await box(join(OUT, 'notice-run-svg.pdf'), 1);
    expect(await box(join(OUT, 'notice-run-svg.pdf'), 2)).toEqual(first);
    expect(await box(join(OUT, 'notice-run-svg.pdf'), 3)).toEqual(first);
    expect(await box(join(OUT, 'notice-run-svg-none.pdf'), 1)).not.toEqual(first);
    expect(none.pages).toHaveLength(1);
  });
});
