/**
 * From a position (and its document), its ente and its payment types to the NoticeDocument the
 * renderer draws: which options a notice shows and what each block says. No I/O: the notices service
 * loads a NoticeSource and calls buildNotice.
 */
import {
  effectiveStatus,
  isAnonymous,
  type DebtPositionStatus,
  type Debtor,
} from '../../debt-positions/domain/debt-position.js';
import { documentConflict, placeOf, type DocumentConflict } from '../../debt-positions/domain/documents.js';
import {
  SECOND_LANGUAGES,
  type NoticeCreditor,
  type NoticeDocument,
  type NoticeLanguage,
  type NoticePayment,
  type NoticePostal,
  type NoticeRecipient,
  type SecondLanguage,
  type WhereToPayTexts,
} from './notice-document.js';
import { PrintingError } from './errors.js';

/** The ente as a notice needs it. */
export interface NoticeEnte {
  fiscalCode: string;
  name: string;
  sector: string | null;
  website: string | null;
  email: string | null;
  pec: string | null;
  phone: string | null;
  cbill: string | null;
  logo: { mime: string; bytes: Buffer } | null;
  secondLanguage: string | null;
  /** notice_texts as stored (validated when written; read defensively). */
  texts: unknown;
  postalAccountHolder: string | null;
  postalAuthorisation: string | null;
}

/** One payable option: a position as a notice sees it, with the postal IBAN of its payment type. */
export interface NoticeOption {
  id: number;
  iuv: string;
  noticeNumber: string;
  amountCents: number;
  status: DebtPositionStatus;
  dueDate: string | null;
  validFrom: string | null;
  validTo: string | null;
  /** The payment type's postal IBAN (null: none, or a marca da bollo payment type). */
  postalIban: string | null;
  /** documento.rata: 1..n; null for the single solution or a position on its own. */
  instalmentNumber: number | null;
  /** documento.soglia (ENTRO / OLTRE n days): such a position prints as a notice of its own. */
  thresholdKind: string | null;
  thresholdDays: number | null;
  /** Activated by pagoPA within the payment token's life with no receipt since (documents: it holds the other plans). */
  activationOpen: boolean;
}

export interface NoticeSource {
  ente: NoticeEnte;
  position: NoticeOption & { causale: string; debtor: Debtor };
  /** The position's document, with every position of it (the position itself included). */
  document: { description: string; positions: readonly NoticeOption[] } | null;
}

/** Poste Italiane's ABI: a postal IBAN is IT kk X 07601 CCCCC NNNNNNNNNNNN. */
const POSTE_ABI = '07601';

/**
 * The 12-digit conto corrente postale inside an Italian postal IBAN (its last 12 characters), or
 * null when the IBAN is not Poste's: a Bollettino needs an account at Poste.
 */
export function postalAccountNumber(iban: string): string | null {
  const compact = iban.replace(/\s+/g, '').toUpperCase();
  if (!/^IT\d{2}[A-Z]\d{10}[0-9A-Z]{12}$/.test(compact)) return null;
  if (compact.slice(5, 10) !== POSTE_ABI) return null;
  const account = compact.slice(15);
  return /^\d{12}$/.test(account) ? account : null;
}

const clean = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();

/** DESTINATARIO.NOMECOMPLETO: the company of a legal person, else name and surname. */
export function debtorFullName(d: Debtor): string {
  const company = clean(d.company);
  const person = [clean(d.name), clean(d.surname)].filter(Boolean).join(' ');
  if (d.type === 'G') return company || person;
  return person || company;
}

/** The debtor's address on one line: "Via Roma 1, 15121 Alessandria (AL)", the nation when not Italy. */
export function debtorAddressLine(d: Debtor): string | undefined {
  const street = [clean(d.address), clean(d.civic)].filter(Boolean).join(' ');
  const province = clean(d.province);
  const place = [clean(d.postalCode), clean(d.locality)].filter(Boolean).join(' ');
  const town = [place, province ? `(${province})` : ''].filter(Boolean).join(' ');
  const nation = clean(d.nation).toUpperCase();
  const line = [street, town, nation && nation !== 'IT' ? nation : ''].filter(Boolean).join(', ');
  return line || undefined;
}

/** ENTE.INFO: the ente's site (without its scheme), e-mail, PEC and telephone, as one line. */
export function creditorInfoLine(
  e: Pick<NoticeEnte, 'website' | 'email' | 'pec' | 'phone'>,
): string | undefined {
  const site = clean(e.website)
    .replace(/^https?:\/\//i, '')
    .replace(/\/$/, '');
  const parts = [site, clean(e.email), clean(e.pec), clean(e.phone)].filter(Boolean);
  return parts.length > 0 ? parts.join(' - ') : undefined;
}

const LANGUAGES: readonly NoticeLanguage[] = ['it', ...SECOND_LANGUAGES];

/** notice_texts as stored, keeping only languages and channels the notice knows and non-empty strings. */
export function whereToPayOf(stored: unknown): Partial<Record<NoticeLanguage, WhereToPayTexts>> {
  const out: Partial<Record<NoticeLanguage, WhereToPayTexts>> = {};
  if (!stored || typeof stored !== 'object') return out;
  for (const lang of LANGUAGES) {
    const t = (stored as Record<string, unknown>)[lang];
    if (!t || typeof t !== 'object') continue;
    const { online, physical } = t as Record<string, unknown>;
    const texts: WhereToPayTexts = {};
    if (typeof online === 'string' && online.trim()) texts.online = online.trim();
    if (typeof physical === 'string' && physical.trim()) texts.physical = physical.trim();
    if (texts.online !== undefined || texts.physical !== undefined) out[lang] = texts;
  }
  return out;
}

function secondLanguageOf(v: string | null): SecondLanguage | undefined {
  return SECOND_LANGUAGES.find((l) => l === v);
}

/**
 * Whether an option can be printed today, and why not: payable, or not yet active (an ente mails
 * notices before the validity starts, as GovPay prints them), with an amount to pay.
 */
function refusal(o: NoticeOption, today: string): PrintingError | undefined {
  switch (
    effectiveStatus(
      { status: o.status, validFrom: o.validFrom ?? undefined, validTo: o.validTo ?? undefined },
      today,
    )
  ) {
    case 'PAID':
      return new PrintingError(
        'PAID',
        'La posizione debitoria risulta già pagata: al posto dell’avviso è disponibile la ricevuta',
        'iuv',
      );
    case 'CANCELLED':
      return new PrintingError(
        'CANCELLED',
        "La posizione debitoria è stata annullata dall'ente: nessun avviso",
        'iuv',
      );
    case 'EXPIRED':
      return new PrintingError('EXPIRED', 'La posizione debitoria è scaduta: nessun avviso', 'iuv');
    case 'PAYMENT_IN_PROGRESS':
      return new PrintingError(
        'PAYMENT_IN_PROGRESS',
        'La posizione debitoria ha un pagamento in corso: l’avviso non è disponibile',
        'iuv',
      );
    default:
      return o.amountCents > 0
        ? undefined
        : new PrintingError(
            'AWAITING_AMOUNT',
            'La posizione debitoria attende ancora importo e soggetto pagatore (modello Multe): nessun avviso',
            'iuv',
          );
  }
}

/** Whether another plan of the document (documents.ts: single solution, instalments, each threshold) blocks the option. */
function conflictOf(o: NoticeOption, siblings: readonly NoticeOption[]): DocumentConflict | null {
  return documentConflict(
    placeOf(o),
    siblings.map((s) => ({ place: placeOf(s), status: s.status, activationOpen: s.activationOpen })),
  );
}

/**
 * The options a notice shows. A position on its own, or with a threshold (documento.soglia), is its own
 * notice. A position of a document shows the document's options still printable: its single solution and
 * its instalments, each unless another plan of the document is paid or being paid (the documents' rule,
 * debt-positions/domain/documents.ts), and unless paid, cancelled or expired itself (a notice shows only
 * what can still be paid). The position asked for must itself be printable.
 */
export function noticeOptions(
  src: Pick<NoticeSource, 'position' | 'document'>,
  today: string,
  opts: { wholeDocument?: boolean } = {},
): { single: NoticeOption | undefined; instalments: NoticeOption[] } {
  const p = src.position;
  // a print run prints a document once, whichever of its positions stands for it: what is still payable
  if (opts.wholeDocument && src.document && p.thresholdKind === null) {
    const options = documentOptions(src.document.positions, today);
    if (options.single || options.instalments.length > 0) return options;
  }
  const own = refusal(p, today);
  if (own) throw own;
  if (!src.document) return { single: p, instalments: [] };
  const siblings = src.document.positions;
  const blocked = conflictOf(p, siblings);
  if (blocked === 'OTHER_PLAN_PAID')
    throw new PrintingError(
      'PAID',
      'Il documento di questa posizione è già stato pagato in un altro modo (unica soluzione, rate o altra scadenza): nessun avviso',
      'iuv',
    );
  if (blocked === 'OTHER_PLAN_IN_PROGRESS')
    throw new PrintingError(
      'PAYMENT_IN_PROGRESS',
      'Il documento di questa posizione ha un pagamento in corso in un altro modo (unica soluzione, rate o altra scadenza): l’avviso non è disponibile',
      'iuv',
    );
  if (p.thresholdKind !== null) return { single: p, instalments: [] };
  return documentOptions(siblings, today);
}

/** A document's single solution and instalments still printable (neither refused nor blocked by another plan). */
function documentOptions(
  siblings: readonly NoticeOption[],
  today: string,
): { single: NoticeOption | undefined; instalments: NoticeOption[] } {
  const printable = (o: NoticeOption) => refusal(o, today) === undefined && conflictOf(o, siblings) === null;
  const single = siblings.find(
    (o) => o.instalmentNumber === null && o.thresholdKind === null && printable(o),
  );
  const instalments = siblings
    .filter((o) => o.instalmentNumber !== null && printable(o))
    .sort((a, b) => a.instalmentNumber! - b.instalmentNumber!);
  // one option left (the others paid, cancelled or expired): a notice of that option alone
  if (!single && instalments.length === 1) return { single: instalments[0], instalments: [] };
  return { single, instalments };
}

function postalOf(o: NoticeOption, ente: NoticeEnte): NoticePostal | undefined {
  const account = o.postalIban ? postalAccountNumber(o.postalIban) : null;
  if (!account) return undefined;
  return {
    accountNumber: account,
    holder: clean(ente.postalAccountHolder) || ente.name,
    authorisation: clean(ente.postalAuthorisation) || undefined,
  };
}

function paymentOf(o: NoticeOption, ente: NoticeEnte): NoticePayment {
  return {
    noticeNumber: o.noticeNumber,
    amountCents: o.amountCents,
    // the date pagoPA is told at activation: the due date, else the end of validity
    dueDate: o.dueDate ?? o.validTo ?? undefined,
    instalment: o.instalmentNumber ?? undefined,
    postal: postalOf(o, ente),
  };
}

export function creditorOf(e: NoticeEnte): NoticeCreditor {
  return {
    fiscalCode: e.fiscalCode,
    name: e.name,
    sector: clean(e.sector) || undefined,
    info: creditorInfoLine(e),
    cbill: clean(e.cbill) || undefined,
    logo: e.logo,
    whereToPay: whereToPayOf(e.texts),
  };
}

export function recipientOf(d: Debtor): NoticeRecipient | null {
  if (isAnonymous(d)) return null;
  return {
    fiscalCode: d.fiscalCode.toUpperCase(),
    fullName: debtorFullName(d),
    address: debtorAddressLine(d),
  };
}

/**
 * The notice of a position (or of its document), or the PrintingError saying why it has none. With
 * `wholeDocument` (print runs) a position of a document stands for the document: its notice prints whatever
 * of the document is still payable, even when that position itself is not (paid, expired, blocked).
 */
export function buildNotice(
  src: NoticeSource,
  today: string,
  opts: { wholeDocument?: boolean } = {},
): NoticeDocument {
  const { single, instalments } = noticeOptions(src, today, opts);
  const second = secondLanguageOf(src.ente.secondLanguage);
  // "RATA n di N" counts every instalment of the document, the paid ones too
  const numbers = (src.document?.positions ?? []).map((o) => o.instalmentNumber ?? 0);
  const instalmentsTotal = Math.max(0, ...numbers);
  return {
    ...(instalmentsTotal > 0 ? { instalmentsTotal } : {}),
    subject: src.document ? src.document.description : src.position.causale,
    creditor: creditorOf(src.ente),
    recipient: recipientOf(src.position.debtor),
    languages: second ? (['it', second] as const) : (['it'] as const),
    single: single && paymentOf(single, src.ente),
    instalments: instalments.map((o) => paymentOf(o, src.ente)),
  };
}
