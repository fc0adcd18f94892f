import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import type { Logger } from 'pino';
import yazl from 'yazl';
import type { Database } from '../../../db/database.js';
import { isDatabaseUnavailable } from '../../../db/errors.js';
import { safeErrorMessage } from '../../../shared/safe-error.js';
import type { NoticeDocument } from '../domain/notice-document.js';
import { PrintingError } from '../domain/errors.js';
import {
  downloadFileName,
  RENDER_FAILED,
  retryDelaySeconds,
  zipEntryName,
  type PrintFilter,
  type PrintFormat,
  type PrintSource,
} from '../domain/print-jobs.js';
import * as repo from '../infra/print-jobs-repository.js';
import { createPdf, pdfBytes } from '../infra/pdf-base.js';
import { mergePdfs } from '../infra/pdf-merge.js';

/**
 * The notices of many positions at once: the notices service's batch builder (NoticesService.noticeDocumentsFor),
 * as this service uses it. Few statements for the whole batch; a position without a notice is an item with its
 * error (its name is the skip reason: never personal data); a position left out of the answer has no notice.
 */
export interface NoticeBuilder {
  noticeDocumentsFor(
    positionIds: readonly number[],
  ): Promise<
    readonly (
      | { positionId: number; ok: true; notice: { document: NoticeDocument } }
      | { positionId: number; ok: false; error: { errorName: string } }
    )[]
  >;
}

/** The notice renderer (infra/notice-pdf.ts). */
export interface NoticeRenderer {
  /** Appends one notice's pages to an open document. */
  draw(doc: PDFKit.PDFDocument, notice: NoticeDocument): void;
  /** One notice as a PDF of its own. */
  render(notice: NoticeDocument): Promise<Buffer>;
}

export interface PrintJobsOptions {
  /** Items rendered and committed together: the unit of progress and of resumption. */
  batchSize: number;
  /** How long a claim holds without news from its worker (renewed at every batch). */
  leaseMs: number;
  /** Days a finished job's output is kept before the housekeeping removes it. */
  retentionDays: number;
  /** Attempts before a job is FAILED. */
  maxAttempts?: number;
  /** Size of a merged PDF's stored chunks. */
  chunkBytes?: number;
}

export interface NewPrintJob {
  enteFiscalCode: string;
  source: PrintSource;
  format: PrintFormat;
  createdBy: string;
}

/** A job as the admin API shows it: the row, named by its public id, with its source as one field. */
export interface PrintJobView extends Omit<repo.JobRow, 'id' | 'publicId' | 'listId' | 'filter'> {
  id: string;
  source: { listId: number } | { filter: PrintFilter };
  /** The first items left out of the file, with why. */
  skippedItems: repo.SkippedItem[];
}

export interface PrintDownload {
  contentType: string;
  fileName: string;
  /** Known for a PDF (its stored size) and a ZIP (entries stored, not compressed). */
  length: number | undefined;
  body: Readable;
}

/** What a run does between batches: true stops it (the job goes back to the queue and resumes elsewhere). */
export type ShouldStop = () => boolean | Promise<boolean>;

const SKIPPED_SHOWN = 1000;
const MERGED_TITLE = 'Avvisi di pagamento pagoPA';
const ZIP_PAGE = 50;

/**
 * Mass printing (docs/printing.md "Mass printing"): jobs created through the admin API, printed by the worker's
 * claim loop (ADR 0005: the job's progress, outcome and file are the operators' business) into the database,
 * downloaded from there. Resumption: both formats go on after the last committed batch (a ZIP's entries, a
 * merged PDF's parts, merged into the file at the end).
 */
export class PrintJobsService {
  private readonly listeners = new Set<() => void>();
  private readonly maxAttempts: number;
  private readonly chunkBytes: number;

  constructor(
    private readonly db: Database,
    private readonly builder: NoticeBuilder,
    private readonly renderer: NoticeRenderer,
    private readonly opts: PrintJobsOptions,
    private readonly hooks: { printed?: (format: PrintFormat, n: number) => void } = {},
    private readonly logger?: Logger,
  ) {
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  }

  /** Called after each job created (a worker in this process starts at once instead of at its next poll). */
  onCreated(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Creates a job with its items frozen (the list's positions, or the filter's now). */
  async create(j: NewPrintJob): Promise<PrintJobView> {
    const publicId = randomBytes(16).toString('base64url');
    await this.db.transaction(async (tx) => {
      const enteId = await repo.enteIdOf(tx, j.enteFiscalCode);
      if (enteId === undefined)
        throw new PrintingError('ENTE_UNKNOWN', `ente ${j.enteFiscalCode} sconosciuto`, 'cf');
      let total: number;
      if ('listId' in j.source) {
        const listId = j.source.listId;
        if ((await repo.listEnteId(tx, listId)) !== enteId)
          throw new PrintingError('LIST_NOT_FOUND', `lista ${listId} non trovata per l'ente`, 'listId');
        const id = await repo.insertJob(tx, { ...base(j, publicId, enteId), listId, filter: null });
        total = await repo.freezeListItems(tx, id, listId);
        await repo.setTotal(tx, id, total);
      } else {
        const f = j.source.filter;
        let paymentTypeId: number | null = null;
        if (f.paymentType !== undefined) {
          paymentTypeId = (await repo.paymentTypeId(tx, enteId, f.paymentType)) ?? null;
          if (paymentTypeId === null)
            throw new PrintingError(
              'PAYMENT_TYPE_UNKNOWN',
              `codice versamento ${f.paymentType} sconosciuto per l'ente`,
              'filter.paymentType',
            );
        }
        const id = await repo.insertJob(tx, { ...base(j, publicId, enteId), listId: null, filter: f });
        total = await repo.freezeFilterItems(tx, id, {
          enteId,
          paymentTypeId,
          dueFrom: f.dueFrom ?? null,
          dueTo: f.dueTo ?? null,
        });
        await repo.setTotal(tx, id, total);
      }
      if (total === 0)
        throw new PrintingError(
          'NOTHING_TO_PRINT',
          'nessun avviso da stampare: la lista o il filtro non comprendono posizioni',
        );
    });
    this.logger?.info({ printJob: publicId, format: j.format }, 'print job created');
    for (const l of this.listeners) l();
    return this.get(publicId);
  }

  async get(publicId: string): Promise<PrintJobView> {
    const job = await repo.findJob(this.db, publicId);
    if (!job) throw new PrintingError('PRINT_JOB_NOT_FOUND', `lavoro di stampa ${publicId} non trovato`);
    const { id: _id, listId, filter, ...rest } = job;
    return {
      ...rest,
      id: job.publicId,
      source: listId !== null ? { listId } : { filter: filter ?? {} },
      skippedItems: job.skipped > 0 ? await repo.skippedItems(this.db, job.id, SKIPPED_SHOWN) : [],
    };
  }

  /** The finished file, streamed from the database (a chunk or a page of entries at a time). */
  async download(publicId: string): Promise<PrintDownload> {
    const job = await repo.findJob(this.db, publicId);
    if (!job) throw new PrintingError('PRINT_JOB_NOT_FOUND', `lavoro di stampa ${publicId} non trovato`);
    if (job.status !== 'DONE')
      throw new PrintingError(
        'PRINT_JOB_NOT_READY',
        job.status === 'EXPIRED'
          ? 'il file non è più disponibile: il periodo di conservazione è finito'
          : `il file non è pronto (stato ${job.status}, ${job.done} di ${job.total})`,
      );
    const fileName = downloadFileName(job.publicId, job.format);
    if (job.format === 'pdf')
      return {
        contentType: 'application/pdf',
        fileName,
        length: job.bytes,
        body: Readable.from(this.chunks(job.id)),
      };
    return { contentType: 'application/zip', fileName, ...(await this.zip(job.id, job.finishedAt)) };
  }

  private async *chunks(jobId: number): AsyncGenerator<Buffer> {
    for (let seq = 0; ; seq++) {
      const data = await repo.chunk(this.db, jobId, seq);
      if (!data) return;
      yield data;
    }
  }

  /** The ZIP assembled as it is sent: entries stored (PDFs are compressed already), read a page at a time. */
  private async zip(
    jobId: number,
    mtime: Date | null,
  ): Promise<{ length: number | undefined; body: Readable }> {
    const entries = await repo.entries(this.db, jobId);
    const zip = new yazl.ZipFile();
    // yazl asks for the entries one after the other: only a page of them is in memory at a time
    const cache = new Map<number, Buffer>();
    const bytesOf = async (seq: number): Promise<Buffer> => {
      if (!cache.has(seq)) {
        cache.clear();
        for (const e of await repo.entryBytes(this.db, jobId, seq, ZIP_PAGE)) cache.set(e.seq, e.pdf);
      }
      const bytes = cache.get(seq);
      cache.delete(seq);
      if (!bytes) throw new Error('a ZIP entry vanished while it was sent');
      return bytes;
    };
    for (const e of entries) {
      zip.addReadStreamLazy(
        zipEntryName(e.seq, e.noticeNumber),
        { compress: false, size: e.size, mtime: mtime ?? new Date() },
        (cb) => {
          bytesOf(e.seq).then(
            (bytes) => {
              cb(null, Readable.from([bytes]));
            },
            (err: unknown) => {
              cb(err, Readable.from([]));
            },
          );
        },
      );
    }
    let length: number | undefined;
    // yazl calls back with the file's size (entries stored with their sizes known); its types omit the argument.
    // The ZIP64 end record always: yazl 3.3's size forecast expects it once the central directory passes 64 KiB
    // (about 700 entries) but writes it only past 4 GiB, and the Content-Length would then be 76 bytes too long.
    const sized = ((size: number) => {
      length = size >= 0 ? size : undefined;
    }) as () => void;
    zip.end({ forceZip64Format: true, comment: '' }, sized);
    const body = new PassThrough();
    zip.outputStream.pipe(body);
    return { length, body };
  }

  // ------------------------------------------------------------------------------------------ the worker

  /**
   * Claims one job (waiting, or abandoned by a worker whose lease ran out) and prints it to the end, batch by
   * batch; false when there was none. `shouldStop` is asked after each committed batch (a stopping worker).
   */
  async runNext(shouldStop: ShouldStop = () => false): Promise<boolean> {
    await repo.failAbandoned(this.db, this.maxAttempts, this.opts.retentionDays);
    const token = randomBytes(16).toString('hex');
    const job = await repo.claimJob(this.db, token, this.opts.leaseMs);
    if (!job) return false;
    const log = { printJob: job.publicId, format: job.format, attempt: job.attempts };
    this.logger?.info({ ...log, total: job.total }, 'print job started');
    try {
      const finished =
        job.format === 'pdf' ? await this.printPdf(job, shouldStop) : await this.printZip(job, shouldStop);
      if (finished) this.logger?.info(log, 'print job done');
      else {
        await repo.release(this.db, job.id, token);
        this.logger?.info(log, 'print job handed back (worker stopping)');
      }
    } catch (e) {
      if (e instanceof repo.LeaseLost) {
        this.logger?.warn(log, 'print job taken over by another worker: this one stops');
        return true;
      }
      // the database unreachable: the lease runs out and a worker claims the job again; the loop backs off
      if (isDatabaseUnavailable(e)) throw e;
      const final = job.attempts >= this.maxAttempts;
      this.logger?.error(
        { ...log, err: e },
        final ? 'print job failed' : 'print job attempt failed; retried',
      );
      await repo.recordFailure(this.db, job.id, token, {
        message: safeErrorMessage(e),
        retryAfterSeconds: retryDelaySeconds(job.attempts),
        final,
        retentionDays: this.opts.retentionDays,
      });
    }
    return true;
  }

  /** The notices of a batch: each item's notice, or why it is skipped. */
  private async notices(items: readonly repo.PendingItem[]) {
    const built = new Map(
      (await this.builder.noticeDocumentsFor(items.map((i) => i.positionId))).map((b) => [
        b.positionId,
        b.ok ? b.notice.document : { skipped: b.error.errorName },
      ]),
    );
    return items.map(
      (i): NoticeDocument | { skipped: string } =>
        built.get(i.positionId) ?? { skipped: 'POSITION_NOT_FOUND' },
    );
  }

  /** A ZIP: each notice its own PDF, stored with its item; committed batches stay when the job resumes. */
  private async printZip(job: repo.ClaimedJob, shouldStop: ShouldStop): Promise<boolean> {
    for (;;) {
      const items = await repo.nextItems(this.db, job.id, this.opts.batchSize);
      if (items.length === 0) break;
      const notices = await this.notices(items);
      const outcomes: repo.ItemOutcome[] = [];
      let bytes = 0;
      for (const [k, item] of items.entries()) {
        const n = notices[k]!;
        if ('skipped' in n) {
          outcomes.push({ seq: item.seq, skipReason: n.skipped });
          continue;
        }
        try {
          const pdf = await this.renderer.render(n);
          bytes += pdf.length;
          outcomes.push({ seq: item.seq, skipReason: null, pdf });
        } catch (err) {
          this.renderFailed(job, item.seq, err);
          outcomes.push({ seq: item.seq, skipReason: RENDER_FAILED });
        }
      }
      await this.db.transaction(async (tx) => {
        await repo.holdLease(tx, job.id, job.token, this.opts.leaseMs);
        await repo.recordBatch(tx, job.id, outcomes, bytes);
      });
      this.counted(job.format, outcomes);
      if (await shouldStop()) return false;
    }
    await this.db.transaction(async (tx) => {
      await repo.holdLease(tx, job.id, job.token, this.opts.leaseMs);
      await repo.markDone(tx, job.id, this.opts.retentionDays);
    });
    return true;
  }

  /**
   * A merged PDF: each batch's notices drawn into a part of their own (a complete, small PDF), committed with
   * the batch's outcomes, so that a job claimed again goes on after its last committed batch and the parts
   * already committed stay as they are. When every item is done the parts are merged into the file.
   */
  private async printPdf(job: repo.ClaimedJob, shouldStop: ShouldStop): Promise<boolean> {
    for (;;) {
      const items = await repo.nextItems(this.db, job.id, this.opts.batchSize);
      if (items.length === 0) break;
      const notices = await this.notices(items);
      const outcomes: repo.ItemOutcome[] = [];
      // for the printer: untagged (no structure trees), like the merged file it becomes part of
      const doc = createPdf({ title: MERGED_TITLE, lang: 'it-IT', tagged: false });
      let drawn = 0;
      for (const [k, item] of items.entries()) {
        const n = notices[k]!;
        if ('skipped' in n) {
          outcomes.push({ seq: item.seq, skipReason: n.skipped });
          continue;
        }
        try {
          this.renderer.draw(doc, n);
          drawn++;
          outcomes.push({ seq: item.seq, skipReason: null });
        } catch (err) {
          this.renderFailed(job, item.seq, err);
          outcomes.push({ seq: item.seq, skipReason: RENDER_FAILED });
        }
      }
      // a notice that failed half-way leaves its pages: the part is drawn again without it
      const failed = outcomes.some((o) => o.skipReason === RENDER_FAILED);
      const part = drawn === 0 ? null : await pdfBytes(failed ? this.redraw(items, notices, outcomes) : doc);
      await this.db.transaction(async (tx) => {
        await repo.holdLease(tx, job.id, job.token, this.opts.leaseMs);
        if (part) await repo.insertPart(tx, job.id, items[0]!.seq, part);
        await repo.recordBatch(tx, job.id, outcomes, part?.length ?? 0);
      });
      this.counted(job.format, outcomes);
      if (await shouldStop()) return false;
    }
    await this.mergeParts(job);
    return true;
  }

  /** A batch's part without the notices whose drawing failed. */
  private redraw(
    items: readonly repo.PendingItem[],
    notices: readonly (NoticeDocument | { skipped: string })[],
    outcomes: readonly repo.ItemOutcome[],
  ): PDFKit.PDFDocument {
    const doc = createPdf({ title: MERGED_TITLE, lang: 'it-IT', tagged: false });
    for (const [k] of items.entries()) {
      const n = notices[k]!;
      if (outcomes[k]!.skipReason === null && !('skipped' in n)) this.renderer.draw(doc, n);
    }
    return doc;
  }

  /**
   * The final pass of a merged PDF: its parts merged, one at a time, into the file's chunks (infra/pdf-merge.ts;
   * memory: a part, a chunk and an offset per object), then the parts deleted and the job DONE. An interrupted
   * pass starts again, its chunks replaced; the parts are deleted only with the file complete.
   */
  private async mergeParts(job: repo.ClaimedJob): Promise<void> {
    await this.db.transaction(async (tx) => {
      await repo.holdLease(tx, job.id, job.token, this.opts.leaseMs);
      await repo.deleteChunks(tx, job.id);
    });
    const hasPart = await (async () => {
      for await (const _ of repo.parts(this.db, job.id)) return true;
      return false;
    })();
    // every item skipped: the file still needs a page to be a PDF a viewer opens
    const sources: AsyncIterable<Buffer> = hasPart ? repo.parts(this.db, job.id) : emptyNotice();
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let nextChunk = 0;
    let total = 0;
    const store = async (final: boolean) => {
      const joined = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      const chunks: Buffer[] = [];
      let at = 0;
      for (; joined.length - at >= this.chunkBytes; at += this.chunkBytes)
        chunks.push(joined.subarray(at, at + this.chunkBytes));
      if (at < joined.length) {
        if (final) chunks.push(joined.subarray(at));
        else {
          pending.push(joined.subarray(at));
          pendingBytes = joined.length - at;
        }
      }
      await this.db.transaction(async (tx) => {
        await repo.holdLease(tx, job.id, job.token, this.opts.leaseMs);
        for (const c of chunks) await repo.insertChunk(tx, job.id, nextChunk++, c);
        if (final) {
          await repo.deleteParts(tx, job.id);
          await repo.setBytes(tx, job.id, total);
          await repo.markDone(tx, job.id, this.opts.retentionDays);
        }
      });
    };
    for await (const piece of mergePdfs(sources, { title: MERGED_TITLE, producer: 'Cassa' })) {
      pending.push(piece);
      pendingBytes += piece.length;
      total += piece.length;
      if (pendingBytes >= this.chunkBytes) await store(false);
    }
    await store(true);
  }

  private counted(format: PrintFormat, outcomes: readonly repo.ItemOutcome[]): void {
    const printed = outcomes.filter((o) => o.skipReason === null).length;
    if (printed > 0) this.hooks.printed?.(format, printed);
  }

  private renderFailed(job: repo.ClaimedJob, seq: number, err: unknown): void {
    this.logger?.error({ printJob: job.publicId, seq, err }, 'a notice could not be drawn: skipped');
  }

  /** Housekeeping: finished jobs past their retention lose their output (kept as EXPIRED). */
  async purgeExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await repo.expireJobs(this.db);
      total += n;
      if (n === 0) return total;
    }
  }
}

/** The one page of a merged file whose items were all skipped. */
async function* emptyNotice(): AsyncGenerator<Buffer> {
  const doc = createPdf({ title: MERGED_TITLE, lang: 'it-IT', tagged: false });
  doc.addPage();
  doc.fontSize(12).text('Nessun avviso stampabile: vedere gli avvisi esclusi nel lavoro di stampa.', 72, 72);
  yield await pdfBytes(doc);
}

function base(j: NewPrintJob, publicId: string, enteId: number) {
  return { publicId, enteId, format: j.format, createdBy: j.createdBy };
}
