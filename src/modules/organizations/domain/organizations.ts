import { z } from 'zod';
import { isoDate } from '../../../shared/zod-italian.js';
import { defineCatalog } from '../../../shared/domain-error.js';
import { isNumericFiscalCode } from '../../../shared/fiscal-code.js';
import { isValidIban } from '../../../shared/iban.js';
import { SECOND_LANGUAGES } from '../../printing/domain/notice-document.js';

/** Enti creditori and their payment types (codici versamento): input rules and error catalog. */

export class OrganizationError extends defineCatalog({
  INVALID: { code: 'ORG_INVALID', kind: 'invalid' },
  ENTE_NOT_FOUND: { kind: 'not-found' },
  ENTE_EXISTS: { kind: 'conflict' },
  PAYMENT_TYPE_NOT_FOUND: { kind: 'not-found' },
  PAYMENT_TYPE_EXISTS: { kind: 'conflict' },
}) {}

const iban = z
  .string()
  .transform((s) => s.replace(/\s+/g, '').toUpperCase())
  .refine(isValidIban, 'IBAN non valido');
const optionalText = (max: number) => z.string().trim().min(1).max(max).nullable().optional();

/**
 * The longest "dove pagare" text an ente may give per channel and language: the notice's block for
 * each channel holds about four lines of the guideline's body size (docs/printing.md); longer texts
 * would be cut with an ellipsis, so they are refused here instead.
 */
export const MAX_WHERE_TO_PAY_TEXT = 250;
const whereToPayText = z.string().trim().min(1).max(MAX_WHERE_TO_PAY_TEXT).optional();
const channelTexts = z.object({ online: whereToPayText, physical: whereToPayText }).strict().optional();
/** An ente's own "dove pagare" texts per language ({it: {online, physical}, de: {…}}): absent, the guideline's. */
export const NoticeTexts = z
  .object({
    it: channelTexts,
    de: channelTexts,
    fr: channelTexts,
    sl: channelTexts,
    en: channelTexts,
  })
  .strict();
export type NoticeTexts = z.infer<typeof NoticeTexts>;

export const EnteInput = z
  .object({
    codiceFiscale: z
      .string()
      .refine(isNumericFiscalCode, "codice fiscale dell'ente: 11 cifre con cifra di controllo valida"),
    denominazione: z.string().trim().min(1).max(140),
    unitaOrganizzativa: optionalText(140),
    codiceSegregazione: z.string().regex(/^\d{2}$/, 'codice di segregazione: 2 cifre'),
    applicationCode: z
      .string()
      .regex(/^\d{2}$/, 'codice applicativo: 2 cifre')
      .nullable()
      .optional(),
    cbill: z
      .string()
      .regex(/^[A-Z0-9]{5}$/, 'codice CBILL: 5 caratteri alfanumerici maiuscoli')
      .nullable()
      .optional(),
    ibanBancario: iban.nullable().optional(),
    ibanPostale: iban.nullable().optional(),
    logo: z
      .object({
        mime: z.enum(['image/png', 'image/jpeg', 'image/svg+xml']),
        base64: z.base64('logo: contenuto base64 non valido').min(1).max(700_000),
      })
      .nullable()
      .optional(),
    email: z.email().max(256).nullable().optional(),
    pec: z.email().max(256).nullable().optional(),
    telefono: optionalText(40),
    sitoWeb: z.url().max(256).nullable().optional(),
    indirizzo: optionalText(140),
    civico: optionalText(16),
    cap: optionalText(16),
    localita: optionalText(70),
    provincia: z
      .string()
      .regex(/^[A-Z]{2}$/, 'sigla provincia: 2 lettere maiuscole')
      .nullable()
      .optional(),
    idBrokerPA: z
      .string()
      .regex(/^\d{11}$/, 'idBrokerPA: 11 cifre')
      .nullable()
      .optional(),
    idStation: z
      .string()
      .regex(/^\d{11}_\d{2}$/, 'idStation: <idBrokerPA>_NN')
      .nullable()
      .optional(),
    active: z.boolean().optional(),
    /** Notices (docs/printing.md): the second language besides Italian, for bilingual regions. */
    noticeSecondLanguage: z.enum(SECOND_LANGUAGES).nullable().optional(),
    noticeTexts: NoticeTexts.optional(),
    /** Intestatario del conto corrente postale printed on the Bollettino (absent: the ente's name). */
    postalAccountHolder: optionalText(50),
    /** Poste's authorisation to print bollettini in proprio: its reference, printed under "AUT.". */
    postalAuthorisation: optionalText(60),
  })
  .strict();
export type EnteInput = z.infer<typeof EnteInput>;
export const EntePatch = EnteInput.omit({ codiceFiscale: true }).partial().strict();
export type EntePatch = z.infer<typeof EntePatch>;

const paymentTypeShape = z
  .object({
    // case-insensitive, kept in upper case: 'bibl' and 'BIBL' are the same payment type
    codiceVersamento: z
      .string()
      .regex(/^[A-Za-z0-9]{4}$/, 'codice versamento: 4 lettere o cifre')
      .transform((s) => s.toUpperCase()),
    descrizione: z.string().trim().min(1).max(140),
    iban: iban.nullable().optional(),
    ibanPostale: iban.nullable().optional(),
    ibanAppoggio: iban.nullable().optional(),
    transferCategory: z.string().regex(/^[0129]\/\S{3,138}$/, 'tassonomia pagoPA (es. 9/0101108TS/)'),
    spontaneousAllowed: z.boolean().optional(),
    marcaDaBollo: z.boolean().optional(),
    multiBeneficiary: z.boolean().optional(),
    validFrom: isoDate.nullable().optional(),
    validTo: isoDate.nullable().optional(),
    active: z.boolean().optional(),
  })
  .strict();

export const PaymentTypeInput = paymentTypeShape;
export type PaymentTypeInput = z.infer<typeof PaymentTypeInput>;
export const PaymentTypePatch = paymentTypeShape.omit({ codiceVersamento: true }).partial().strict();
export type PaymentTypePatch = z.infer<typeof PaymentTypePatch>;

/** Rules across fields of a payment type, checked on the merged result of a create or a patch. */
export function assertPaymentTypeConsistent(pt: {
  iban?: string | null | undefined;
  ibanPostale?: string | null | undefined;
  marcaDaBollo?: boolean | undefined;
  validFrom?: string | null | undefined;
  validTo?: string | null | undefined;
}): void {
  if (!pt.marcaDaBollo && !pt.iban && !pt.ibanPostale) {
    throw new OrganizationError(
      'INVALID',
      'un tipo di pagamento richiede almeno un IBAN (bancario o postale), salvo la marca da bollo',
      'iban',
    );
  }
  if (pt.validFrom && pt.validTo && pt.validFrom > pt.validTo) {
    throw new OrganizationError('INVALID', 'validFrom è successivo a validTo', 'validFrom');
  }
}

/** Name of the PostgreSQL sequence that numbers the IUVs of one ente and segregation code. */
export function iuvSequenceName(enteId: number, codiceSegregazione: string): string {
  return `iuv_seq_${enteId}_${codiceSegregazione}`;
}
