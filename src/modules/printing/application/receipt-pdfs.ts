import type { Database } from '../../../db/database.js';
import type { ReceiptDetail, ReceiptsQueries } from '../../pagopa/application/receipts-queries.js';
import { PrintingError } from '../domain/errors.js';
import type {
  ReceiptDocument,
  ReceiptLanguage,
  ReceiptSubject,
  ReceiptTransferLine,
} from '../domain/receipt-document.js';
import { receiptContext, type ReceiptContext } from '../infra/receipt-context-reader.js';
import { renderReceiptPdf } from '../infra/receipt-pdf.js';

/** A receipt's PDF and what names it. */
export interface ReceiptPdf {
  pdf: Buffer;
  /** ricevuta-<noticeNumber>.pdf: letters and digits only, safe in a Content-Disposition header. */
  fileName: string;
  receiptId: string;
  noticeNumber: string;
  iuv: string;
  enteFiscalCode: string;
}

/**
 * The receipt on paper (ricevuta di pagamento): the positive receipt standing for a position's payment
 * (the one ReceiptsQueries.ofPosition picks), with the ente and the position's causale, as a PDF. For
 * epayapi POST /rt formatoRT PDF, the admin API and the Sportello; each edge authorises its caller.
 */
export class ReceiptPdfs {
  constructor(
    private readonly db: Database,
    private readonly receipts: ReceiptsQueries,
  ) {}

  /** The PDF of the position's positive receipt; PrintingError RECEIPT_NOT_FOUND when it has none. */
  async ofPosition(enteId: number, iuv: string, lang: ReceiptLanguage): Promise<ReceiptPdf> {
    const receipt = await this.receipts.ofPosition(enteId, iuv);
    const context = receipt?.outcome === 'OK' ? await receiptContext(this.db, enteId, iuv) : undefined;
    if (!receipt || !context)
      throw new PrintingError('RECEIPT_NOT_FOUND', `Nessuna ricevuta di pagamento per lo IUV ${iuv}`, 'iuv');
    return {
      pdf: await renderReceiptPdf(receiptDocument(receipt, context, lang)),
      fileName: `ricevuta-${receipt.noticeNumber.replace(/[^0-9A-Za-z]/g, '')}.pdf`,
      receiptId: receipt.receiptId,
      noticeNumber: receipt.noticeNumber,
      iuv: receipt.iuv,
      enteFiscalCode: context.enteFiscalCode,
    };
  }
}

/** The printed receipt from the stored one (its parties and transfers are jsonb, read leniently). */
export function receiptDocument(
  r: ReceiptDetail,
  ctx: ReceiptContext,
  lang: ReceiptLanguage,
): ReceiptDocument {
  return {
    lang,
    creditor: {
      fiscalCode: ctx.enteFiscalCode,
      name: ctx.enteName,
      sector: ctx.enteSector ?? undefined,
      logo: ctx.logo,
    },
    // the position's causale; for a receipt of an unknown notice, the first transfer's
    subject: ctx.causale ?? stringField(firstTransfer(r.transfers), 'remittanceInformation') ?? '',
    debtor: subject(r.debtor),
    payer: subject(r.payer),
    amountCents: r.amountCents,
    feeCents: r.feeCents,
    psp: {
      name: r.pspCompanyName ?? undefined,
      id: r.idPsp ?? undefined,
      fiscalCode: r.pspFiscalCode ?? undefined,
    },
    paymentMethod: r.paymentMethod ?? undefined,
    channel: r.channelDescription ?? r.idChannel ?? undefined,
    paymentDateTime: r.paymentDateTime,
    receivedAt: r.receivedAt,
    receiptId: r.receiptId,
    noticeNumber: r.noticeNumber,
    iuv: r.iuv,
    fiscalCode: r.fiscalCode,
    outcome: 'OK',
    // a transfer to the ente itself names it (the receipt's companyName is optional)
    transfers: (Array.isArray(r.transfers) ? (r.transfers as unknown[]) : [])
      .map(transfer)
      .map((t) =>
        t.name !== undefined || t.fiscalCode !== ctx.enteFiscalCode ? t : { ...t, name: ctx.enteName },
      ),
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringField(o: unknown, key: string): string | undefined {
  if (!isObject(o)) return undefined;
  const v = o[key];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function firstTransfer(transfers: unknown): unknown {
  return Array.isArray(transfers) ? (transfers as unknown[])[0] : undefined;
}

function subject(s: unknown): ReceiptSubject | null {
  const fiscalCode = stringField(s, 'id');
  const name = stringField(s, 'fullName');
  if (!fiscalCode && !name) return null;
  return { fiscalCode: fiscalCode ?? '', name: name ?? '' };
}

function transfer(t: unknown): ReceiptTransferLine {
  const amount = isObject(t) ? t.amountCents : undefined;
  return {
    id: stringField(t, 'idTransfer'),
    fiscalCode: stringField(t, 'fiscalCodePA'),
    name: stringField(t, 'companyName'),
    iban: stringField(t, 'iban'),
    stamp: stringField(t, 'mbdAttachment') !== undefined,
    amountCents: typeof amount === 'number' ? amount : null,
    remittance: stringField(t, 'remittanceInformation'),
  };
}
