import { formatCents } from '../../../shared/money.js';
import { charLength, truncateChars } from '../../../shared/text.js';

/**
 * How a notice's values are written on paper: the guideline's maximum lengths (Avviso di pagamento,
 * Allegato 2) cut with an ellipsis, the codice avviso in groups of four, Italian amounts and dates.
 * The renderer also cuts by width (a text never leaves its box); these are the limits in characters.
 */

export const MAX_LENGTH = {
  /** AVVISO.OGGETTO */
  subject: 90,
  /** ENTE.NOME (100 since Avvisi 3.5.1; was 50) */
  creditorName: 100,
  /** ENTE.SETTORE: the guideline gives no number; as long as the name. */
  creditorSector: 100,
  /** ENTE.INFO: site, e-mail, PEC, telephone (Cassa's choice: two lines of the block). */
  creditorInfo: 160,
  /** DESTINATARIO.CF */
  recipientFiscalCode: 16,
  /** DESTINATARIO.NOMECOMPLETO */
  recipientName: 35,
  /** DESTINATARIO.INDIRIZZO (Cassa's choice: two lines of the block). */
  recipientAddress: 100,
  /** The ente's own "dove pagare" text, per channel and language (Cassa's choice). */
  whereToPay: 300,
  /** Intestatario del conto corrente postale (Cassa's choice: one line of the bollettino). */
  postalHolder: 50,
  /** Poste's authorisation reference (AUT.). */
  postalAuthorisation: 60,
} as const;

export const ELLIPSIS = '…';

/** Blanks (new lines, tabs, runs of spaces) become one space; the ends are trimmed. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** `s` on one line and at most `max` characters, the last of them an ellipsis when it was longer. */
export function cutText(s: string, max: number): string {
  const line = oneLine(s);
  if (charLength(line) <= max) return line;
  return truncateChars(line, max - 1).trimEnd() + ELLIPSIS;
}

/** The codice avviso as printed: 18 digits in groups of four, `3010 0000 0000 0001 44`. */
export function groupNoticeNumber(noticeNumber: string): string {
  return noticeNumber.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** An amount in Italian notation with the euro sign after it: `1.234,56 €`. */
export function formatAmount(cents: number): string {
  return formatCents(cents);
}

/** A calendar date (yyyy-mm-dd) as Italian paper writes it: dd/mm/yyyy. */
export function formatDate(isoDate: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) throw new RangeError('date: yyyy-mm-dd expected');
  return `${m[3]!}/${m[2]!}/${m[1]!}`;
}

/** A fiscal code as printed: upper case, no blanks. */
export function formatFiscalCode(cf: string): string {
  return cf.replace(/\s+/g, '').toUpperCase();
}
