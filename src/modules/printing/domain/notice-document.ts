/**
 * What a printed payment notice (avviso pagoPA) shows, decided before any drawing: the renderer
 * (infra/notice-pdf.ts) lays this out and knows nothing of positions, documents or the database;
 * the notices service (application/) builds it from them.
 *
 * Texts are the values to print, untrimmed: the renderer cuts them at the guideline's maximum
 * lengths (domain/notice-texts.ts). Amounts are integer cents, dates ISO yyyy-mm-dd.
 */

/** The notice's languages besides Italian, as GovPay offers them for bilingual regions. */
export const SECOND_LANGUAGES = ['de', 'fr', 'sl', 'en'] as const;
export type SecondLanguage = (typeof SECOND_LANGUAGES)[number];
export type NoticeLanguage = 'it' | SecondLanguage;

/** The ente's own "dove pagare" texts, per language (absent: the guideline's standard text). */
export interface WhereToPayTexts {
  /** Online channels: the ente's site or app ("sul sito del Comune…"). */
  online?: string | undefined;
  /** Physical channels: counters, ATMs, post offices. */
  physical?: string | undefined;
}

export interface NoticeCreditor {
  /** Codice fiscale of the ente creditore (11 digits), printed and in the QR code. */
  fiscalCode: string;
  name: string;
  /** Settore / unità organizzativa (ENTE.SETTORE). */
  sector?: string | undefined;
  /** Contacts printed under the name (site, e-mail, PEC, telephone), already joined by the builder. */
  info?: string | undefined;
  /** Interbank code (CBILL, 5 characters) printed in the payment data block. */
  cbill?: string | undefined;
  /** The ente's logo as stored; null draws no logo (the layout keeps its place). */
  logo: { mime: string; bytes: Buffer } | null;
  whereToPay: Partial<Record<NoticeLanguage, WhereToPayTexts>>;
}

/** The recipient; null for positions whose debtor is ANONIMO (no recipient block). */
export interface NoticeRecipient {
  fiscalCode: string;
  fullName: string;
  /** One line: street, number, postal code, place, province. */
  address?: string | undefined;
}

/** Poste "Bollettino Postale PA": printed only when the payment goes to a postal account. */
export interface NoticePostal {
  /** Numero di conto corrente postale (12 digits, from the postal IBAN's account number). */
  accountNumber: string;
  /** Intestatario del conto corrente postale. */
  holder: string;
  /** Poste's authorisation to print bollettini in proprio ("AUT. …"), when the ente has one. */
  authorisation?: string | undefined;
}

/** One payable option: the whole notice, its single solution, or one instalment. */
export interface NoticePayment {
  /** Codice avviso (18 digits). */
  noticeNumber: string;
  amountCents: number;
  /** yyyy-mm-dd; absent: "senza scadenza". */
  dueDate?: string | undefined;
  /** 1-based instalment number; absent for the single solution / a plain notice. */
  instalment?: number | undefined;
  /** Present when this option goes to a postal account (the Poste section is printed for it). */
  postal?: NoticePostal | undefined;
}

export interface NoticeDocument {
  /** AVVISO.OGGETTO: the position's causale or the document's description (max 90 printed). */
  subject: string;
  creditor: NoticeCreditor;
  recipient: NoticeRecipient | null;
  /** ['it'] or ['it', second]: a bilingual notice prints each text in both. */
  languages: readonly ['it'] | readonly ['it', SecondLanguage];
  /** The position itself, or the document's single solution; absent when a document has only instalments. */
  single?: NoticePayment | undefined;
  /** The document's instalments still payable, in order (none for a plain notice). */
  instalments: readonly NoticePayment[];
  /**
   * How many instalments the document has in all ("RATA n di N"), paid ones included; absent: as many as
   * `instalments` (a notice printed before any was paid).
   */
  instalmentsTotal?: number | undefined;
}
