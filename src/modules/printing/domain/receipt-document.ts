/**
 * What a printed receipt (ricevuta di pagamento) shows, decided before any drawing: the renderer
 * (infra/receipt-pdf.ts) lays this out and knows nothing of the database; the receipt PDFs use case
 * (application/receipt-pdfs.ts) builds it from the receipt pagoPA sent, the ente and the position.
 *
 * Texts are the values to print, untrimmed: the renderer cuts what does not fit with an ellipsis.
 * Amounts are integer cents; instants are Date (printed in Europe/Rome time).
 */

/** The receipt's languages: Italian, and English for who reads the Sportello in English. */
export const RECEIPT_LANGUAGES = ['it', 'en'] as const;
export type ReceiptLanguage = (typeof RECEIPT_LANGUAGES)[number];

export function receiptLanguage(lang: unknown): ReceiptLanguage {
  return lang === 'en' ? 'en' : 'it';
}

/** The ente creditore, as on its notices. */
export interface ReceiptCreditor {
  /** Codice fiscale (11 digits). */
  fiscalCode: string;
  name: string;
  /** Settore / unità organizzativa. */
  sector?: string | undefined;
  /** The ente's logo as stored; null draws none. */
  logo: { mime: string; bytes: Buffer } | null;
}

/** The debtor or the payer as the receipt names them (ctSubject): a fiscal code and a name. */
export interface ReceiptSubject {
  fiscalCode: string;
  name: string;
}

/** One transfer (versamento) of the payment to an ente beneficiario. */
export interface ReceiptTransferLine {
  /** idTransfer, 1..5. */
  id?: string | undefined;
  /** Codice fiscale of the ente beneficiario. */
  fiscalCode?: string | undefined;
  /** Its name, when the receipt carries it (paSendRTV2 companyName). */
  name?: string | undefined;
  /** The ente's account: printed whole (an ente's IBAN is public, not the citizen's data). */
  iban?: string | undefined;
  /** A marca da bollo digitale instead of an account. */
  stamp: boolean;
  amountCents: number | null;
  /** remittanceInformation: the transfer's causale. */
  remittance?: string | undefined;
}

export interface ReceiptDocument {
  lang: ReceiptLanguage;
  creditor: ReceiptCreditor;
  /** The position's causale, or the receipt's description when the position is unknown. */
  subject: string;
  debtor: ReceiptSubject | null;
  /** Null when the receipt names none. */
  payer: ReceiptSubject | null;
  amountCents: number;
  /** The PSP's commission, when the receipt says it. */
  feeCents: number | null;
  psp: { name?: string | undefined; id?: string | undefined; fiscalCode?: string | undefined };
  /** paymentMethod as pagoPA codes it (CP, PO, BBT...), and the channel's description. */
  paymentMethod?: string | undefined;
  channel?: string | undefined;
  paymentDateTime: Date | null;
  /** When Cassa stored the receipt. */
  receivedAt: Date;
  /** The receipt's identifiers as pagoPA sent them. */
  receiptId: string;
  noticeNumber: string;
  iuv: string;
  /** The receipt's fiscalCode: the ente's, as the payment was made to it. */
  fiscalCode: string;
  outcome: 'OK';
  transfers: readonly ReceiptTransferLine[];
}

/**
 * The receipt QR code's text: who holds the paper can compare it with the printed values (an office
 * can read it with any reader). Deliberately not pagoPA's "PAGOPA|002|…": a PSP's app must never take
 * a receipt for a notice and offer to pay it again.
 */
export function receiptVerificationText(
  d: Pick<ReceiptDocument, 'receiptId' | 'noticeNumber' | 'fiscalCode' | 'amountCents'>,
): string {
  return `CASSA|RICEVUTA|1|${d.receiptId}|${d.noticeNumber}|${d.fiscalCode}|${d.amountCents}`;
}

/** A codice avviso as printed: groups of 4 digits ("3020 0000 0000 0001 23"). */
export function groupedNoticeNumber(noticeNumber: string): string {
  return noticeNumber.replace(/(.{4})(?=.)/g, '$1 ');
}

/** What pagoPA's paymentMethod codes mean to a citizen (the code is printed when unknown). */
export const PAYMENT_METHODS: Readonly<Record<string, { it: string; en: string }>> = {
  CP: { it: 'carta di pagamento', en: 'payment card' },
  PPAL: { it: 'PayPal', en: 'PayPal' },
  BPAY: { it: 'Bancomat Pay', en: 'Bancomat Pay' },
  BBT: { it: 'bonifico bancario', en: 'bank transfer' },
  BP: { it: 'bollettino postale', en: 'postal payment slip' },
  AD: { it: 'addebito diretto', en: 'direct debit' },
  MYBK: { it: 'MyBank', en: 'MyBank' },
  PO: { it: 'pagamento presso PSP', en: 'paid at a PSP' },
  JIF: { it: 'Bancomat Pay', en: 'Bancomat Pay' },
  APPL: { it: 'Apple Pay', en: 'Apple Pay' },
  GOOG: { it: 'Google Pay', en: 'Google Pay' },
  OBEP: { it: 'online banking', en: 'online banking' },
  OTHER: { it: 'altro', en: 'other' },
};

export function paymentMethodLabel(code: string | undefined, lang: ReceiptLanguage): string | undefined {
  if (!code) return undefined;
  const known = PAYMENT_METHODS[code.toUpperCase()];
  return known ? `${known[lang]} (${code})` : code;
}
