import type { Database } from '../../../db/database.js';
import type {
  CallContext,
  DebtPositionsService,
} from '../../debt-positions/application/debt-positions-service.js';
import { DebtPositionError } from '../../debt-positions/domain/errors.js';
import { receiptsError } from '../domain/receipts-errors.js';
import * as reader from '../infra/receipts-reader.js';

export type { ReceiptDetail, ReceiptFilter, ReceiptSummary, ReceiptXml } from '../infra/receipts-reader.js';

/** A gestionale's request for the copy of a receipt (PiemontePAY epayapi POST /rt). */
export interface RtRequest {
  codiceChiamante: string;
  passphrase: string;
  enteFiscalCode: string;
  iuv: string;
  /** The debtor's (or payer's) fiscal code: the receipt is given only to who names it. */
  codiceFiscale: string;
  formato: 'PDF' | 'XML';
  identificativoPagamento?: string | undefined;
  /** The client address: failed authentications are counted and throttled (docs/security.md). */
  address?: string | undefined;
}

export interface RtCopy {
  ctx: CallContext;
  receipt: reader.ReceiptDetail;
  /** The original receipt XML as pagoPA sent it: its bytes, in the encoding it declares. */
  xml: reader.ReceiptXml;
  /** PiemontePAY's description of the position's status now ("Pagato", ...). */
  statusDescription: string;
}

// Not a codice versamento (always 4 alphanumerics): authorises the caller without a payment type.
const NO_PAYMENT_TYPE = '----';

/**
 * The receipts pagoPA sent, as gestionali (epayapi) and operators (admin API) read them. Writes
 * belong to the paSendRT handler; this side never changes a receipt.
 */
export class ReceiptsQueries {
  constructor(
    private readonly db: Database,
    private readonly debtPositions: DebtPositionsService,
  ) {}

  list(filter: reader.ReceiptFilter) {
    return reader.listReceipts(this.db, filter);
  }

  async get(id: number): Promise<reader.ReceiptDetail> {
    const r = await reader.getReceipt(this.db, id);
    if (!r) throw receiptsError('RECEIPT_NOT_FOUND', `Ricevuta ${id} non trovata`, 'id');
    return r;
  }

  /** A receipt's XML as pagoPA sent it (its bytes, and the charset they are in). */
  async xml(id: number): Promise<reader.ReceiptXml> {
    const x = await reader.getReceiptXml(this.db, id);
    if (x === undefined) throw receiptsError('RECEIPT_NOT_FOUND', `Ricevuta ${id} non trovata`, 'id');
    return x;
  }

  /** The receipt standing for a position's payment (see receiptOfPosition), if any. */
  ofPosition(enteId: number, iuv: string) {
    return reader.receiptOfPosition(this.db, enteId, iuv);
  }

  /**
   * The copy of a receipt for a gestionale: authenticated, with scope STAMPA_RT_GE and the right
   * to the position's payment type, for the debtor or payer it names. The edge renders the PDF
   * (printing's ReceiptPdfs) when formato is PDF: then only a positive receipt is found.
   */
  async rtForGestionale(req: RtRequest): Promise<RtCopy> {
    const owner = await reader.positionOwner(this.db, req.enteFiscalCode, req.iuv);
    let ctx: CallContext;
    try {
      ctx = await this.debtPositions.authorize({
        codiceChiamante: req.codiceChiamante,
        passphrase: req.passphrase,
        enteCodiceFiscale: req.enteFiscalCode,
        codiceVersamento: owner?.codiceVersamento ?? NO_PAYMENT_TYPE,
        scope: 'STAMPA_RT_GE',
        address: req.address,
      });
    } catch (e) {
      if (!owner && e instanceof DebtPositionError && e.errorName === 'PAYMENT_TYPE_UNKNOWN')
        throw notFound(req.iuv);
      throw e;
    }
    if (
      !owner ||
      (req.identificativoPagamento !== undefined &&
        req.identificativoPagamento !== owner.idPosizioneDebitoria)
    )
      throw notFound(req.iuv);
    const receipt = await reader.receiptOfPosition(this.db, ctx.enteId, req.iuv);
    const cf = req.codiceFiscale.trim().toUpperCase();
    if (
      !receipt ||
      // on paper only a payment made: a negative receipt has its XML copy, never a PDF
      (req.formato === 'PDF' && receipt.outcome !== 'OK') ||
      ![owner.debtorFiscalCode, subjectFiscalCode(receipt.debtor), subjectFiscalCode(receipt.payer)].some(
        (x) => x?.toUpperCase() === cf,
      )
    ) {
      throw receiptsError(
        'RECEIPT_NOT_FOUND',
        `Nessuna ricevuta per lo IUV ${req.iuv} e il codice fiscale indicato`,
        'iuv',
      );
    }
    const { description } = await this.debtPositions.status(ctx, req.iuv);
    return { ctx, receipt, xml: receipt.xml, statusDescription: description };
  }
}

function notFound(iuv: string) {
  return receiptsError('POSITION_NOT_FOUND', `Posizione debitoria con IUV ${iuv} non trovata`, 'iuv');
}

/** The fiscal code of a receipt's debtor or payer (ctSubject's entityUniqueIdentifierValue, kept as `id`). */
function subjectFiscalCode(subject: unknown): string | undefined {
  if (!subject || typeof subject !== 'object') return undefined;
  const s = subject as Record<string, unknown>;
  const v = s.id;
  return typeof v === 'string' ? v : undefined;
}
