import { checkAmount } from './pagopa-qr.js';

/**
 * The DataMatrix of Poste Italiane's "Bollettino Postale PA" (pagoPA's notice generator and the IO
 * app read the same layout; docs/printing.md "The notice layout"): 256 characters,
 *
 *   codfase=NBPA;  18<codice avviso 18>  12<conto 12>  10<cents 10>  3896  1P1
 *   <ente CF 11> <debtor CF 16> <debtor name 40> <subject 110> <12 spaces> A
 *
 * Fixed-width fields are padded with spaces on the right; text longer than its field is cut.
 * The symbol carries plain text, so the texts are folded to printable ASCII and upper case (as
 * Poste's bollettini print them): accents are dropped (È → E, ß → SS, č → C), any other character
 * becomes a space, and ';' (the "codfase=…;" separator) becomes ','.
 */

export const POSTE_DATAMATRIX_LENGTH = 256;
export const POSTE_DOCUMENT_TYPE = '896';

export interface PosteDataMatrixInput {
  noticeNumber: string;
  /** Numero di conto corrente postale: up to 12 digits (left-padded with zeros). */
  postalAccount: string;
  amountCents: number;
  creditorFiscalCode: string;
  /** Empty for an anonymous debtor. */
  debtorFiscalCode: string;
  debtorName: string;
  subject: string;
}

const FIELD = {
  creditorFiscalCode: 11,
  debtorFiscalCode: 16,
  debtorName: 40,
  subject: 110,
  filler: 12,
} as const;

// Letters that NFD does not decompose into a base letter and a mark.
const FOLD: Record<string, string> = {
  ß: 'SS',
  ẞ: 'SS',
  Æ: 'AE',
  æ: 'AE',
  Œ: 'OE',
  œ: 'OE',
  Ø: 'O',
  ø: 'O',
  Đ: 'D',
  đ: 'D',
  Ł: 'L',
  ł: 'L',
  Þ: 'TH',
  þ: 'TH',
  ı: 'I',
  '€': 'EUR',
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
  '–': '-',
  '—': '-',
  '…': '...',
};

/** Text as the DataMatrix carries it: printable ASCII, upper case, one space between words. */
export function posteText(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFD')) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x300 && code <= 0x36f) continue; // combining marks: the accent of a decomposed letter
    if (ch === ';') out += ',';
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else out += FOLD[ch] ?? ' ';
  }
  return out.toUpperCase().replace(/\s+/g, ' ').trim();
}

function field(s: string, length: number): string {
  return posteText(s).slice(0, length).padEnd(length, ' ');
}

/** The 256-character DataMatrix text; RangeError (naming the field) for a value the layout cannot hold. */
export function posteDataMatrixText(input: PosteDataMatrixInput): string {
  if (!/^\d{18}$/.test(input.noticeNumber)) throw new RangeError('notice number: 18 digits expected');
  if (!/^\d{1,12}$/.test(input.postalAccount))
    throw new RangeError('postal account: up to 12 digits expected');
  if (!/^\d{11}$/.test(input.creditorFiscalCode))
    throw new RangeError('ente fiscal code: 11 digits expected');
  checkAmount(input.amountCents);
  if (input.amountCents > 9_999_999_999)
    throw new RangeError('amount: at most 10 digits of cents on a bollettino');
  const text = [
    'codfase=NBPA;',
    '18',
    input.noticeNumber,
    '12',
    input.postalAccount.padStart(12, '0'),
    '10',
    String(input.amountCents).padStart(10, '0'),
    '3',
    POSTE_DOCUMENT_TYPE,
    '1P1',
    field(input.creditorFiscalCode, FIELD.creditorFiscalCode),
    field(input.debtorFiscalCode, FIELD.debtorFiscalCode),
    field(input.debtorName, FIELD.debtorName),
    field(input.subject, FIELD.subject),
    ' '.repeat(FIELD.filler),
    'A',
  ].join('');
  // every part above has a fixed width; this guards the arithmetic, not the input
  if (text.length !== POSTE_DATAMATRIX_LENGTH)
    throw new Error(`Poste DataMatrix of ${text.length} characters`);
  return text;
}
