/**
 * Mass printing (docs/printing.md "Mass printing"): a job prints the notices of a lista di carico or of a
 * filter into one merged PDF or a ZIP with one PDF per notice. The rules here know no database nor PDF.
 */

export const PRINT_FORMATS = ['pdf', 'zip'] as const;
export type PrintFormat = (typeof PRINT_FORMATS)[number];

export const PRINT_JOB_STATUSES = ['QUEUED', 'RUNNING', 'DONE', 'FAILED', 'EXPIRED'] as const;
export type PrintJobStatus = (typeof PRINT_JOB_STATUSES)[number];

/** Which payable positions of the ente a filter job prints (each criterion optional; dates yyyy-mm-dd, inclusive). */
export interface PrintFilter {
  /** Codice versamento. */
  paymentType?: string | undefined;
  dueFrom?: string | undefined;
  dueTo?: string | undefined;
}

/** What a job prints: a lista di carico (its positions in the list's order) or a filter (by due date, then id). */
export type PrintSource = { listId: number } | { filter: PrintFilter };

/** Why an item was left out of the file: a code of the notices service or of the job, never personal data. */
export type SkipReason = string;

/** The skip reason of an item whose notice could not be drawn (a defect: logged with the error's type only). */
export const RENDER_FAILED = 'RENDER_FAILED';

/** The name of an item's PDF in the ZIP: its place in the job and its notice number (sorted as printed). */
export function zipEntryName(seq: number, noticeNumber: string): string {
  return `avviso-${String(seq + 1).padStart(5, '0')}-${noticeNumber}.pdf`;
}

/** The download's file name. */
export function downloadFileName(publicId: string, format: PrintFormat): string {
  return `avvisi-${publicId}.${format}`;
}

/** The wait before a failed attempt is retried: 5 s doubled per attempt, at most 5 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 5 * 2 ** Math.max(0, attempts - 1));
}
