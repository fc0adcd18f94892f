import { desc, eq, sql } from 'drizzle-orm';
import { namedStatement, type Database, type Executor } from '../../../db/database.js';
import { receipt } from '../../../db/schema.js';
import type { Creditor, PayablePosition, PaymentTypeAccounts, TransferType } from '../domain/notice.js';
import type { ReceiptAnomaly, ReceiptInput } from '../domain/receipt.js';
import { truncateChars } from '../../../shared/text.js';
import {
  debtorOf,
  selectDebtor,
  siblingsOf,
  siblingsSql,
  type DebtorRow,
} from '../../debt-positions/infra/position-row.js';
import { placeOf, type DocumentPlace, type SiblingState } from '../../debt-positions/domain/documents.js';

/** A notice as verify/activate need it: the ente named by idPA, its position for the notice number and its payment type. */
export interface NoticeContext {
  creditor: Creditor;
  position: PayablePosition | undefined;
  paymentType: PaymentTypeAccounts | undefined;
}

/** One row of LOAD_NOTICE: the ente (as Creditor), its position for the notice (if any) and its payment type. */
type NoticeRow = Creditor &
  Omit<PayablePosition, 'id' | 'debtor' | 'document'> &
  DebtorRow &
  PaymentTypeAccounts & {
    positionId: number | null;
    documentId: number | null;
    instalmentNumber: number | null;
    thresholdKind: string | null;
    thresholdDays: number | null;
    siblings: unknown;
  };

/** Everything verify and activate need, in one round trip (the hot path of the node's calls). */
const LOAD_NOTICE = namedStatement(
  'pagopa_load_notice',
  `select e.id::int as "enteId", e.codice_fiscale as "fiscalCode", e.denominazione as "companyName",
          e.unita_organizzativa as "officeName", e.id_broker_pa as "idBrokerPA", e.id_station as "idStation",
          e.active, e.provincia as province,
          p.id::int as "positionId", p.iuv, p.notice_number as "noticeNumber", p.amount_cents::float8 as "amountCents",
          p.components, p.causale, p.status, p.valid_from as "validFrom", p.valid_to as "validTo", p.due_date as "dueDate",
          ${selectDebtor('p')},
          p.payment_references as "paymentReferences",
          p.document_id::int as "documentId", p.instalment_number as "instalmentNumber",
          p.threshold_kind as "thresholdKind", p.threshold_days as "thresholdDays",
          case when p.document_id is not null then ${siblingsSql('p')} end as siblings,
          pt.iban, pt.iban_postale as "ibanPostale", pt.iban_appoggio as "ibanAppoggio", pt.transfer_category as "transferCategory",
          pt.marca_da_bollo as "marcaDaBollo"
     from ente e
     left join debt_position p on p.ente_id = e.id and p.notice_number = $2
     left join payment_type pt on pt.id = p.payment_type_id
    where e.codice_fiscale = $1`,
);

export async function loadNotice(
  db: Database,
  enteFiscalCode: string,
  noticeNumber: string,
): Promise<NoticeContext | undefined> {
  const [r] = await db.run<NoticeRow>(LOAD_NOTICE, [enteFiscalCode, noticeNumber]);
  if (!r) return undefined;
  const creditor: Creditor = {
    enteId: r.enteId,
    fiscalCode: r.fiscalCode,
    companyName: r.companyName,
    officeName: r.officeName,
    idBrokerPA: r.idBrokerPA,
    idStation: r.idStation,
    active: r.active,
    province: r.province,
  };
  if (r.positionId === null) return { creditor, position: undefined, paymentType: undefined };
  return {
    creditor,
    position: {
      id: r.positionId,
      iuv: r.iuv,
      noticeNumber: r.noticeNumber,
      amountCents: r.amountCents,
      components: r.components,
      causale: r.causale,
      status: r.status,
      validFrom: r.validFrom,
      validTo: r.validTo,
      dueDate: r.dueDate,
      debtor: debtorOf(r),
      paymentReferences: r.paymentReferences,
      ...(r.documentId !== null
        ? { document: { id: r.documentId, place: placeOf(r), siblings: siblingsOf(r.siblings) } }
        : {}),
    },
    paymentType: {
      iban: r.iban,
      ibanPostale: r.ibanPostale,
      ibanAppoggio: r.ibanAppoggio,
      transferCategory: r.transferCategory,
      marcaDaBollo: r.marcaDaBollo,
    },
  };
}

export interface NewAttempt {
  positionId: number;
  enteId: number;
  noticeNumber: string;
  iuv: string;
  primitive: 'paGetPayment' | 'paGetPaymentV2';
  amountCents: number;
  transferType: TransferType | undefined;
  paymentNote: string | undefined;
}

/**
 * An attempt is a record of what the node was told, not money: its commit does not wait for the WAL
 * to reach the disk (synchronous_commit off for this statement's own transaction). A crash may lose
 * the last few attempts; nothing depends on them (a receipt is accepted without any activation).
 */
const INSERT_ATTEMPT = namedStatement(
  'pagopa_insert_attempt',
  `with async_commit as (select set_config('synchronous_commit', 'off', true))
   insert into payment_attempt (position_id, ente_id, notice_number, iuv, primitive, amount_cents, transfer_type, payment_note)
   select $1, $2, $3, $4, $5, $6, $7, $8 from async_commit`,
);

/** Records an activation; the position itself is not touched. */
export async function insertAttempt(db: Database, a: NewAttempt): Promise<void> {
  await db.run(INSERT_ATTEMPT, [
    a.positionId,
    a.enteId,
    a.noticeNumber,
    a.iuv,
    a.primitive,
    a.amountCents,
    a.transferType ?? null,
    a.paymentNote ?? null,
  ]);
}

/**
 * Records an activation of a position of a document, under the document's lock: the other positions of the
 * document are read again once the lock is held, `check` refuses (throws) when another plan blocks, and the
 * attempt is inserted in the same transaction. Two activations of different plans of one document at the same
 * moment are thus serialised, and the second sees the first's attempt (docs/printing.md, "Documents and
 * instalments"). Committed synchronously, unlike a lone attempt: it is what holds the other plans.
 */
export async function insertAttemptInDocument(
  db: Database,
  documentId: number,
  a: NewAttempt,
  check: (siblings: SiblingState[]) => void,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select id from document where id = ${documentId} for update`);
    const res = (await tx.execute(
      sql`select ${sql.raw(siblingsSql('p'))} as siblings from debt_position p where p.id = ${a.positionId}`,
    )) as { rows: { siblings: unknown }[] };
    check(siblingsOf(res.rows[0]?.siblings));
    await tx.execute(sql`
      insert into payment_attempt (position_id, ente_id, notice_number, iuv, primitive, amount_cents, transfer_type, payment_note)
      values (${a.positionId}, ${a.enteId}, ${a.noticeNumber}, ${a.iuv}, ${a.primitive}, ${a.amountCents},
              ${a.transferType ?? null}, ${a.paymentNote ?? null})`);
  });
}

export interface StoredReceipt {
  /** receipt.id of the new row; null when (ente, receiptId) was already stored: nothing was written. */
  id: number | null;
  positionId: number | null;
  anomaly: ReceiptAnomaly | null;
  paid: boolean;
}

interface LockedPosition {
  id: number;
  status: PayablePosition['status'];
  validFrom: string | null;
  validTo: string | null;
  amountCents: number;
  /** Its place in its document and the document's other positions, read under the document's lock. */
  document?: { place: DocumentPlace; siblings: SiblingState[] } | undefined;
}

function cut(v: string | undefined, max: number): string | null {
  return v === undefined || v === '' ? null : truncateChars(v, max);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))?$/;

/**
 * A calendar date PostgreSQL accepts (a real day, year 1 or later), else null: optional data that
 * does not fit is kept only in the raw XML, it never costs the receipt.
 */
function validDate(v: string | undefined): string | null {
  if (!v || !DATE.test(v) || v.startsWith('0000')) return null;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v ? v : null;
}

/** An xs:dateTime PostgreSQL accepts (real day, hours, minutes, seconds, offset up to 14 hours), else null. */
function validDateTime(v: string | undefined): string | null {
  const m = v ? DATE_TIME.exec(v) : null;
  if (!m || validDate(m[1]) === null) return null;
  if (Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 59) return null;
  if (m[7] !== undefined && (Number(m[7]) > 14 || Number(m[8]) > 59)) return null;
  return v!;
}

/**
 * Stores a receipt and applies it to its position in one transaction: the position is locked,
 * the receipt inserted once per (ente, receiptId), then the position moves to PAID with its
 * history when `decide` says so. A receipt already stored writes nothing.
 *
 * The insert into receipt also writes, by the trigger receipt_gestionale_notification (migrations/0005_deliveries.sql),
 * the gestionale's payment notification: one gestionale_notification row (kind PAYMENT, the position's ente and payment
 * type, the position, the receipt) when the receipt's outcome is OK and it names a position. So it is atomic with the
 * receipt (both or neither) and written once (a duplicate receipt inserts no row, the trigger does not fire). It is a
 * trigger, not a statement here, because receipts written in SQL (tests, benchmarks) rely on it too.
 */
export async function storeReceipt(
  db: Database,
  enteId: number,
  positionEnteId: number | null,
  r: ReceiptInput,
  decide: (position: LockedPosition | undefined) => {
    anomaly: ReceiptAnomaly | null;
    markPaid: boolean;
    fromStatus?: string;
    reason: string;
  },
): Promise<StoredReceipt> {
  return db.transaction(async (tx) => {
    const rows = <T>(q: ReturnType<typeof sql>) => tx.execute(q).then((res) => (res as { rows: T[] }).rows);
    const [locked] =
      positionEnteId === null
        ? []
        : await rows<
            Omit<LockedPosition, 'document'> & {
              documentId: number | null;
              instalmentNumber: number | null;
              thresholdKind: string | null;
              thresholdDays: number | null;
            }
          >(sql`
            select id::int as id, status, valid_from as "validFrom", valid_to as "validTo", amount_cents::float8 as "amountCents",
                   document_id::int as "documentId", instalment_number as "instalmentNumber",
                   threshold_kind as "thresholdKind", threshold_days as "thresholdDays"
              from debt_position where ente_id = ${positionEnteId} and notice_number = ${r.noticeNumber} for no key update`);
    let position: LockedPosition | undefined;
    if (locked) {
      const { documentId, instalmentNumber, thresholdKind, thresholdDays, ...rest } = locked;
      position = rest;
      if (documentId !== null) {
        // the document's lock: two receipts of different plans see each other (the second is flagged). The
        // position is locked FOR NO KEY UPDATE (its key never changes): an activation holding the document
        // lock inserts a payment_attempt, whose foreign key takes KEY SHARE on the position; FOR UPDATE here
        // would wait on the document while that insert waits on the position, a deadlock
        await tx.execute(sql`select id from document where id = ${documentId} for update`);
        const [s] = await rows<{ siblings: unknown }>(
          sql`select ${sql.raw(siblingsSql('p'))} as siblings from debt_position p where p.id = ${locked.id}`,
        );
        position.document = {
          place: placeOf({ instalmentNumber, thresholdKind, thresholdDays }),
          siblings: siblingsOf(s?.siblings),
        };
      }
    }
    const [existing] = await rows<{ id: number }>(
      sql`select id::int as id from receipt where ente_id = ${enteId} and receipt_id = ${r.receiptId}`,
    );
    if (existing) return { id: null, positionId: position?.id ?? null, anomaly: null, paid: false };
    const [attempt] = position
      ? await rows<{ id: number }>(
          sql`select id::int as id from payment_attempt where position_id = ${position.id} order by id desc limit 1`,
        )
      : [];
    const effect = decide(position);
    const dateTime = validDateTime(r.paymentDateTime);
    // fires receipt_gestionale_notification: the payment notification of a positive receipt (see above)
    const [inserted] = await rows<{ id: number }>(sql`
      insert into receipt (ente_id, position_id, payment_attempt_id, receipt_id, primitive, outcome, notice_number, iuv, fiscal_code,
        amount_cents, fee_cents, payment_date_time, application_date, transfer_date, id_psp, psp_company_name, psp_fiscal_code,
        id_channel, channel_description, payment_method, payment_note, stand_in, debtor, payer, transfers, metadata, anomaly, raw_xml, raw_bytes)
      values (${enteId}, ${position?.id ?? null}, ${attempt?.id ?? null}, ${r.receiptId}, ${r.primitive}, ${r.outcome}, ${r.noticeNumber},
        ${truncateChars(r.creditorReferenceId, 35)}, ${r.fiscalCode}, ${r.amountCents}, ${r.feeCents ?? null},
        case when ${dateTime}::text is null then null
             when ${dateTime}::text ~ '(Z|[+-][0-9]{2}:[0-9]{2})$' then ${dateTime}::timestamptz
             else ${dateTime}::timestamp at time zone 'Europe/Rome' end,
        ${validDate(r.applicationDate)}::date, ${validDate(r.transferDate)}::date, ${cut(r.idPSP, 35)}, ${cut(r.pspCompanyName, 70)},
        ${cut(r.pspFiscalCode, 70)}, ${cut(r.idChannel, 35)}, ${cut(r.channelDescription, 35)}, ${cut(r.paymentMethod, 35)},
        ${cut(r.paymentNote, 210)}, ${r.standIn}, ${r.debtor ? JSON.stringify(r.debtor) : null}::jsonb,
        ${r.payer ? JSON.stringify(r.payer) : null}::jsonb, ${JSON.stringify(r.transfers)}::jsonb,
        ${r.metadata ? JSON.stringify(r.metadata) : null}::jsonb, ${effect.anomaly}, ${r.rawXml}, ${r.rawBytes ? Buffer.from(r.rawBytes.buffer, r.rawBytes.byteOffset, r.rawBytes.byteLength) : null}::bytea)
      on conflict (ente_id, receipt_id) do nothing
      returning id::int as id`);
    if (!inserted) return { id: null, positionId: position?.id ?? null, anomaly: null, paid: false };
    if (position && effect.markPaid) {
      await tx.execute(sql`
        update debt_position set status = 'PAID', status_changed_at = now(), version = version + 1, updated_at = now()
         where id = ${position.id}`);
      await tx.execute(sql`
        insert into debt_position_status_history (position_id, from_status, to_status, actor, reason)
        values (${position.id}, ${effect.fromStatus ?? position.status}, 'PAID', 'pagopa', ${effect.reason})`);
    }
    return {
      id: inserted.id,
      positionId: position?.id ?? null,
      anomaly: effect.anomaly,
      paid: Boolean(position && effect.markPaid),
    };
  });
}

export type ReceiptRecord = typeof receipt.$inferSelect;

/** The receipts of a position, newest first, with their raw XML (for the receipts API). */
export async function findReceiptsByPosition(
  db: Database | Executor,
  positionId: number,
): Promise<ReceiptRecord[]> {
  const ex: Executor = 'orm' in db ? db.orm : db;
  return ex.select().from(receipt).where(eq(receipt.positionId, positionId)).orderBy(desc(receipt.id));
}

/** One receipt by the ente it was sent for and its receiptId. */
export async function findReceipt(
  db: Database | Executor,
  enteId: number,
  receiptId: string,
): Promise<ReceiptRecord | undefined> {
  const ex: Executor = 'orm' in db ? db.orm : db;
  const [row] = await ex
    .select()
    .from(receipt)
    .where(sql`${receipt.enteId} = ${enteId} and ${receipt.receiptId} = ${receiptId}`)
    .limit(1);
  return row;
}
