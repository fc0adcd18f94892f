import type { Database } from '../../../db/database.js';
import { romeToday } from '../../../shared/calendar.js';
import { buildNotice } from '../domain/notice-builder.js';
import type { NoticeDocument } from '../domain/notice-document.js';
import { PrintingError } from '../domain/errors.js';
import * as repo from '../infra/notices-repository.js';
import { renderNoticePdf } from '../infra/notice-pdf.js';

/**
 * A position as the edges name it: the ente's fiscal code and the IUV (with the payment type's code
 * when the path carries one: a position of another payment type is not found), or its id (the
 * Sportello, for a position its browser has proved).
 */
export type NoticeRef =
  { enteFiscalCode: string; iuv: string; codiceVersamento?: string | undefined } | { positionId: number };

/** A position's notice, before drawing. */
export interface Notice {
  positionId: number;
  iuv: string;
  /** The position's own notice number (the file is named after it). */
  noticeNumber: string;
  enteFiscalCode: string;
  /** The position's document, whose notice this is; null for a position on its own. */
  documentId: number | null;
  document: NoticeDocument;
}

export interface NoticePdf extends Notice {
  pdf: Buffer;
  /** avviso-<noticeNumber>.pdf: digits only, safe in Content-Disposition. */
  filename: string;
}

/** One position of a batch: its notice, or why it has none (the batch goes on). */
export type NoticeBatchItem =
  { positionId: number; ok: true; notice: Notice } | { positionId: number; ok: false; error: PrintingError };

/**
 * The payment notices (avvisi pagoPA) of debt positions: which positions have one, what it shows
 * (domain/notice-builder.ts), and its PDF (infra/notice-pdf.ts). Used by epayapi's getPaymentNotice,
 * the admin API, the Sportello and mass printing.
 */
export class NoticesService {
  constructor(
    private readonly db: Database,
    private readonly clock: () => Date = () => new Date(),
    private readonly render: (notice: NoticeDocument) => Promise<Buffer> = renderNoticePdf,
  ) {}

  /** The notice of one position (one statement), or a PrintingError: unknown, paid, cancelled, expired… */
  async notice(ref: NoticeRef): Promise<Notice> {
    const loaded =
      'positionId' in ref
        ? await repo.noticeById(this.db, ref.positionId)
        : await repo.noticeByIuv(this.db, ref.enteFiscalCode, ref.iuv);
    const iuv = 'iuv' in ref ? ref.iuv : String(ref.positionId);
    if (
      !loaded ||
      ('codiceVersamento' in ref &&
        ref.codiceVersamento !== undefined &&
        loaded.codiceVersamento !== ref.codiceVersamento.toUpperCase())
    ) {
      throw new PrintingError('POSITION_NOT_FOUND', `Posizione debitoria con IUV ${iuv} non trovata`, 'iuv');
    }
    return this.build(loaded);
  }

  /** The notice of one position as a PDF. */
  async noticePdf(ref: NoticeRef): Promise<NoticePdf> {
    const notice = await this.notice(ref);
    return {
      ...notice,
      pdf: await this.render(notice.document),
      filename: noticeFilename(notice.noticeNumber),
    };
  }

  /**
   * The notices of many positions (mass printing), in the order given, read with two statements
   * whatever their number (pass pages of a few hundred ids). A position without a notice is an item
   * with its error; positions of one document give one notice, the first one's (the others are left
   * out of the answer: their notice is the same; across pages the caller keeps the document ids).
   */
  async noticeDocumentsFor(positionIds: readonly number[]): Promise<NoticeBatchItem[]> {
    const loaded = new Map(
      (await repo.noticesByIds(this.db, positionIds)).map((l) => [l.source.position.id, l]),
    );
    const documents = new Set<number>();
    const items: NoticeBatchItem[] = [];
    for (const id of positionIds) {
      const l = loaded.get(id);
      if (!l) {
        const error = new PrintingError('POSITION_NOT_FOUND', `Posizione debitoria ${id} non trovata`);
        items.push({ positionId: id, ok: false, error });
        continue;
      }
      let notice: Notice;
      try {
        notice = this.build(l, { wholeDocument: true });
      } catch (e) {
        if (!PrintingError.is(e)) throw e;
        items.push({ positionId: id, ok: false, error: e });
        continue;
      }
      // a document's notice once: the document's other positions print the same pages
      const shared = l.documentId !== null && l.source.position.thresholdKind === null;
      if (shared && documents.has(l.documentId!)) continue;
      if (shared) documents.add(l.documentId!);
      items.push({ positionId: id, ok: true, notice });
    }
    return items;
  }

  private build(l: repo.LoadedNotice, opts: { wholeDocument?: boolean } = {}): Notice {
    const p = l.source.position;
    return {
      positionId: p.id,
      iuv: p.iuv,
      noticeNumber: p.noticeNumber,
      enteFiscalCode: l.source.ente.fiscalCode,
      documentId: l.documentId,
      document: buildNotice(l.source, romeToday(this.clock()), opts),
    };
  }
}

/** The file name of a position's notice: avviso-<noticeNumber>.pdf. */
export function noticeFilename(noticeNumber: string): string {
  return `avviso-${noticeNumber.replace(/[^0-9A-Za-z]/g, '')}.pdf`;
}
