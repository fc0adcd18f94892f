import { z } from 'zod';
import '../../../shared/zod-italian.js';
import { charLength } from '../../../shared/text.js';

/**
 * PiemontePAY epayapi v1 shapes (../shared/specs/piemontepay/epayapi_v1.1.yaml), same names and
 * types, so that a gestionale written for PiemontePAY calls Cassa unchanged. Unknown fields are
 * ignored, as PiemontePAY's Jackson does. Fields marked "Cassa" are extensions, all optional.
 */

/** Euros: a JSON number, or a decimal string as some clients send. */
const amount = z.union([
  z.number(),
  z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'importo con al massimo due decimali'),
]);
const dateTime = z
  .union([z.string().max(40), z.number().int().min(0).max(32503680000000)])
  .describe('date-time ISO 8601 (o data AAAA-MM-GG), o millisecondi dal 1970 (java.util.Date)');
/**
 * Text of at most `max` characters, counted as the XSDs count them (code points: an emoji is one
 * character, not two UTF-16 units); the same issue and message as z.string().max, and the same
 * maxLength in the OpenAPI document.
 */
const text = (max: number) =>
  z
    .string()
    .superRefine((s, ctx) => {
      if (s.length > max && charLength(s) > max)
        ctx.addIssue({ code: 'too_big', maximum: max, origin: 'string', inclusive: true, input: s });
    })
    .meta({ maxLength: max });

export const PathOrg = z.object({
  organization: z.string().regex(/^[a-zA-Z0-9]{11,16}$/, 'codice fiscale ente: 11-16 caratteri alfanumerici'),
  paymentType: z.string().regex(/^[a-zA-Z0-9]{4}$/, 'codice versamento: 4 caratteri alfanumerici'),
});
export const PathIuv = PathOrg.extend({
  iuv: z.string().regex(/^[0-9]{15,35}$/, 'IUV: da 15 a 35 cifre'),
});

export const PaymentComponent = z.object({
  importo: amount,
  causale: text(80).optional(),
  datiSpecificiRiscossione: text(140).optional(),
  annoAccertamento: z.number().int().min(1900).max(2999).optional(),
  numeroAccertamento: text(35).optional(),
  progressivo: z.number().int().optional(),
});

export const PaymentReference = z.object({ nome: text(70), valore: text(70) });

export const DebtPositionData = z
  .object({
    causale: text(140).optional(),
    codiceFiscalePartitaIVAPagatore: text(35).optional(),
    cognome: text(70).optional(),
    componentiPagamento: z.array(PaymentComponent).max(5, 'al massimo 5 componenti').optional(),
    dataFineValidita: dateTime.optional(),
    dataInizioValidita: dateTime.optional(),
    dataScadenza: dateTime.optional(),
    email: text(256).optional(),
    identificativoPagamento: text(50).optional(),
    importo: amount.optional(),
    nome: text(70).optional(),
    notePerIlPagatore: text(1000).optional(),
    ragioneSociale: text(140).optional(),
    requiresCostUpdate: z.boolean().optional(),
    // Cassa extensions
    iuv: z
      .string()
      .regex(/^\d{15}$|^\d{17}$/, 'IUV di 15 (aux 0) o 17 cifre (aux 3)')
      .optional()
      .describe('Cassa: IUV scelto dal gestionale'),
    descrizioneRata: text(16).optional().describe('Cassa: etichetta della rata'),
    annoRiferimento: z.number().int().optional().describe('Cassa: anno di riferimento'),
    riferimentiPagamento: z
      .array(PaymentReference)
      .max(5)
      .optional()
      .describe('Cassa: riferimenti di pagamento (modello Multe)'),
    indirizzo: text(70).optional(),
    civico: text(16).optional(),
    cap: text(16).optional(),
    localita: text(35).optional(),
    provincia: text(35).optional(),
    nazione: text(2).optional(),
  })
  .describe('DebtPositionData');

export const DebtPositionPaymentData = z
  .object({
    dataScadenza: dateTime.optional(),
    dataInizioValidita: dateTime.optional(),
    dataFineValidita: dateTime.optional(),
    importo: amount.optional(),
    componentiImporto: z
      .array(
        z.object({
          importo: amount,
          causaleDescrittiva: text(80),
          annoAccertamento: z.number().int().min(1900).max(2999).optional(),
          numeroAccertamento: text(35).optional(),
        }),
      )
      .max(5, 'al massimo 5 componenti')
      .optional(),
    causale: text(140).optional(),
    motivazione: text(400).optional(),
    riferimentiPagamento: z.array(PaymentReference).max(5).optional(),
    nome: text(70).optional(),
    cognome: text(70).optional(),
    ragioneSociale: text(140).optional(),
    email: text(256).optional(),
    codiceFiscalePartitaIVAPagatore: text(35).optional(),
    identificativoPagamento: text(50).optional(),
    requiresCostUpdate: z.boolean().optional(),
    notePerIlPagatore: text(1000).optional(),
  })
  .describe('DebtPositionPaymentData');

export const CancelQuery = z.object({ motivazione: text(400).optional() });
export const CancelBody = CancelQuery.nullish();

export const DebtPositionReference = z
  .object({
    codiceEsito: z.string(),
    descrizioneEsito: z.string(),
    identificativoPagamento: z.string().optional(),
    iuv: z.string().optional(),
    codiceAvviso: z.string().optional(),
    campo: z.string().optional().describe("Cassa: il campo a cui si riferisce l'errore"),
  })
  .describe('DebtPositionReference');

export const Result = z
  .object({
    code: z.string(),
    description: z.string(),
    campo: z.string().optional().describe("Cassa: il campo a cui si riferisce l'errore"),
  })
  .describe('Result');

export const Status = z
  .object({
    code: z.enum(['0', '1', '2', '3', '4']),
    description: z.string(),
    result: Result,
  })
  .describe('Status');

export const PaymentNotice = z
  .object({
    paymentnotice: z.string().describe("L'avviso di pagamento pagoPA in PDF, in base64"),
    result: Result,
  })
  .describe('PaymentNotice');

export const PaymentDataResult = z
  .object({
    importoPagatoTotale: z.number().optional(),
    enteBeneficiario: z.string().optional(),
    codiceFiscaleEnteBeneficiario: z.string().optional(),
    tipologiaVersamento: z.string().optional(),
    importoPagato: z.number().optional(),
    nomeECognomeRagioneSociale: z.string().optional(),
    codiceFiscalePIva: z.string().optional(),
    codiceAvviso: z.string().optional(),
    identificativoUnicoVersamento: z.string().optional(),
    numeroTransazione: z.string().optional(),
    prestatoreDiServiziDiPagamento: z.string().optional(),
    dataEOraOperazione: z.string().optional(),
    dataEsitoPagamento: z.string().optional(),
    identificativoUnicoRiscossione: z.string().optional(),
    infoAggiuntive: z.string().optional(),
    result: Result,
  })
  .describe('PaymentDataResult');

export type DebtPositionData = z.infer<typeof DebtPositionData>;
export type DebtPositionPaymentData = z.infer<typeof DebtPositionPaymentData>;

/** PiemontePAY's RT copy request (POST /rt; not in the yaml: ChiamataEsternaSincronaV1Api.java). */
export const RtRequest = z
  .object({
    iuv: z.string().regex(/^[0-9]{15,35}$/, 'IUV: da 15 a 35 cifre'),
    codiceFiscale: z.string().min(1).max(35).describe('codice fiscale del debitore (o del pagatore)'),
    formatoRT: z.enum(['PDF', 'XML']),
    identificativoPagamento: text(50).optional(),
    codiceFiscaleEnte: z
      .string()
      .regex(/^[a-zA-Z0-9]{11,16}$/, 'codice fiscale ente: 11-16 caratteri alfanumerici'),
  })
  .describe('RtRequest');

export const RtResponse = z
  .object({
    codiceEsito: z.string(),
    descrizioneEsito: z.string(),
    descrizioneStatoPagamento: z.string().optional(),
    iuvOriginario: z.string().optional(),
    iuvEffettivo: z.string().optional(),
    rtXml: z.string().optional().describe("base64 dell'XML originale della ricevuta (paSendRT / paSendRTV2)"),
    ricevutaPdf: z
      .string()
      .optional()
      .describe('formatoRT PDF: base64 della ricevuta di pagamento in PDF (solo per una ricevuta positiva)'),
    ricevuta: z.string().optional().describe('base64 della ricevuta nel formato richiesto'),
    campo: z.string().optional().describe("Cassa: il campo a cui si riferisce l'errore"),
  })
  .describe('RtResponse');

export type RtRequest = z.infer<typeof RtRequest>;
