/**
 * Read side of the receipts pagoPA sent (table receipt, written by the paSendRT / paSendRTV2
 * handler). Plain SQL on the shared table, so that it depends only on the migration.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../../db/database.js';
import { xmlDocumentBytes } from '../../../shared/soap/soap-envelope.js';

export interface ReceiptSummary {
  id: number;
  enteFiscalCode: string;
  positionId: number | null;
  receiptId: string;
  primitive: 'paSendRT' | 'paSendRTV2';
  outcome: 'OK' | 'KO';
  noticeNumber: string;
  iuv: string;
  fiscalCode: string;
  amountCents: number;
  feeCents: number | null;
  paymentDateTime: Date | null;
  applicationDate: string | null;
  transferDate: string | null;
  idPsp: string | null;
  pspCompanyName: string | null;
  pspFiscalCode: string | null;
  idChannel: string | null;
  channelDescription: string | null;
  paymentMethod: string | null;
  paymentNote: string | null;
  standIn: boolean;
  anomaly: string | null;
  receivedAt: Date;
}

export interface ReceiptDetail extends ReceiptSummary {
  paymentAttemptId: number | null;
  debtor: unknown;
  payer: unknown;
  transfers: unknown;
  metadata: unknown;
}

const SUMMARY_COLUMNS = sql`r.id::text as id, e.codice_fiscale as "enteFiscalCode", r.position_id::text as "positionId",
  r.receipt_id as "receiptId", r.primitive, r.outcome, r.notice_number as "noticeNumber", r.iuv, r.fiscal_code as "fiscalCode",
  r.amount_cents::text as "amountCents", r.fee_cents::text as "feeCents", r.payment_date_time as "paymentDateTime",
  r.application_date as "applicationDate", r.transfer_date as "transferDate", r.id_psp as "idPsp",
  r.psp_company_name as "pspCompanyName", r.psp_fiscal_code as "pspFiscalCode", r.id_channel as "idChannel",
  r.channel_description as "channelDescription", r.payment_method as "paymentMethod", r.payment_note as "paymentNote",
  r.stand_in as "standIn", r.anomaly, r.received_at as "receivedAt"`;

type Raw = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const date = (v: unknown): Date | null =>
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a driver's timestamp: a Date or its text, never a plain object
  v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v));

function summary(r: Raw): ReceiptSummary {
  return {
    ...(r as unknown as ReceiptSummary),
    id: Number(r.id),
    positionId: num(r.positionId),
    amountCents: Number(r.amountCents),
    feeCents: num(r.feeCents),
    paymentDateTime: date(r.paymentDateTime),
    receivedAt: date(r.receivedAt)!,
  };
}

/** A receipt's summary with the parties, transfers and metadata it carries. */
const DETAIL_COLUMNS = sql`${SUMMARY_COLUMNS}, r.payment_attempt_id::text as "paymentAttemptId", r.debtor, r.payer, r.transfers, r.metadata`;

function detail(r: Raw): ReceiptDetail {
  return {
    ...summary(r),
    paymentAttemptId: num(r.paymentAttemptId),
    debtor: r.debtor,
    payer: r.payer,
    transfers: r.transfers,
    metadata: r.metadata,
  };
}

export interface ReceiptFilter {
  iuv?: string | undefined;
  enteFiscalCode?: string | undefined;
  /** true: any anomaly; false: none; a string: that anomaly. */
  anomaly?: boolean | string | undefined;
  /** Keyset cursor: the id of the last receipt of the previous page. */
  before?: number | undefined;
  limit: number;
}

export async function listReceipts(
  db: Database,
  f: ReceiptFilter,
): Promise<{ items: ReceiptSummary[]; nextBefore: number | null }> {
  const where: SQL[] = [sql`true`];
  if (f.iuv !== undefined) where.push(sql`r.iuv = ${f.iuv}`);
  if (f.enteFiscalCode !== undefined) where.push(sql`e.codice_fiscale = ${f.enteFiscalCode}`);
  if (f.anomaly === true) where.push(sql`r.anomaly is not null`);
  else if (f.anomaly === false) where.push(sql`r.anomaly is null`);
  else if (typeof f.anomaly === 'string') where.push(sql`r.anomaly = ${f.anomaly}`);
  if (f.before !== undefined) where.push(sql`r.id < ${f.before}`);
  const rows = await db.rows<Raw>(sql`
    select ${SUMMARY_COLUMNS}
      from receipt r join ente e on e.id = r.ente_id
     where ${sql.join(where, sql` and `)}
     order by r.id desc
     limit ${f.limit + 1}`);
  const page = rows.slice(0, f.limit).map(summary);
  return { items: page, nextBefore: rows.length > f.limit ? page[page.length - 1]!.id : null };
}

export async function getReceipt(db: Database, id: number): Promise<ReceiptDetail | undefined> {
  const [r] = await db.rows<Raw>(sql`
    select ${DETAIL_COLUMNS}
      from receipt r join ente e on e.id = r.ente_id
     where r.id = ${id}`);
  return r && detail(r);
}

/** A receipt's XML document: its bytes as received (see xmlDocumentBytes) and the charset they are in. */
export type ReceiptXml = { bytes: Buffer; encoding: string };

export async function getReceiptXml(db: Database, id: number): Promise<ReceiptXml | undefined> {
  const [r] = await db.rows<{ raw_xml: string; raw_bytes: Uint8Array | null }>(
    sql`select raw_xml, raw_bytes from receipt where id = ${id}`,
  );
  return r && xmlDocumentBytes(r.raw_xml, r.raw_bytes);
}

/**
 * The receipt that stands for a position's payment: a positive one without anomaly first (the
 * one that made it paid), then any positive one, then the latest negative one.
 */
export async function receiptOfPosition(
  db: Database,
  enteId: number,
  iuv: string,
): Promise<(ReceiptDetail & { xml: ReceiptXml }) | undefined> {
  const [r] = await db.rows<Raw>(sql`
    select ${DETAIL_COLUMNS}, r.raw_xml as "rawXml", r.raw_bytes as "rawBytes"
      from receipt r join ente e on e.id = r.ente_id
     where r.ente_id = ${enteId} and r.iuv = ${iuv}
     order by (r.outcome = 'OK') desc, (r.anomaly is null) desc, case when r.outcome = 'OK' then r.id else -r.id end
     limit 1`);
  return r && { ...detail(r), xml: xmlDocumentBytes(String(r.rawXml), r.rawBytes as Uint8Array | null) };
}

/** The payment type (codice versamento) and debtor of an ente's position, to authorise a gestionale. */
export async function positionOwner(
  db: Database,
  enteFiscalCode: string,
  iuv: string,
): Promise<
  { codiceVersamento: string; debtorFiscalCode: string; idPosizioneDebitoria: string | null } | undefined
> {
  const [r] = await db.rows<{
    codiceVersamento: string;
    debtorFiscalCode: string;
    idPosizioneDebitoria: string | null;
  }>(sql`
    select pt.codice_versamento as "codiceVersamento", p.debtor_fiscal_code as "debtorFiscalCode", p.id_posizione_debitoria as "idPosizioneDebitoria"
      from debt_position p join ente e on e.id = p.ente_id join payment_type pt on pt.id = p.payment_type_id
     where e.codice_fiscale = ${enteFiscalCode} and p.iuv = ${iuv}`);
  return r;
}
