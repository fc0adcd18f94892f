/**
 * Documents (GovPay's documento) and the positions in them. A document's row is the lock every change of
 * its positions' payability takes (the activation of a position, a receipt, a new position in it).
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/database.js';
import { iuvSequenceName } from '../../organizations/domain/organizations.js';
import { debtPosition, debtPositionStatusHistory, document } from '../../../db/schema.js';
import {
  ACTIVATION_HOLD_MINUTES,
  comparePlaces,
  placeColumns,
  placeOf,
  type DocumentPlace,
} from '../domain/documents.js';
import type { DebtPosition } from '../domain/debt-position.js';
import type { NewPosition } from './debt-positions-repository.js';
import { draftColumns, positionOf } from './position-row.js';

export interface DocumentRow {
  id: number;
  enteId: number;
  identificativo: string;
  descrizione: string;
  createdAt: Date;
}

const HOLD = sql.raw(`interval '${ACTIVATION_HOLD_MINUTES} minutes'`);

const DOCUMENT_COLUMNS = {
  id: document.id,
  enteId: document.enteId,
  identificativo: document.identificativo,
  descrizione: document.descrizione,
  createdAt: document.createdAt,
};

const exec = (db: Database | Executor): Executor => ('orm' in db ? db.orm : db);

export async function findDocument(
  db: Database | Executor,
  enteId: number,
  identificativo: string,
): Promise<DocumentRow | undefined> {
  const [row] = await exec(db)
    .select(DOCUMENT_COLUMNS)
    .from(document)
    .where(and(eq(document.enteId, enteId), eq(document.identificativo, identificativo)))
    .limit(1);
  return row;
}

/** Inserts the document; undefined when the ente already has one with that identificativo. */
export async function insertDocument(
  tx: Executor,
  enteId: number,
  identificativo: string,
  descrizione: string,
): Promise<DocumentRow | undefined> {
  const [row] = await tx
    .insert(document)
    .values({ enteId, identificativo, descrizione })
    .onConflictDoNothing()
    .returning(DOCUMENT_COLUMNS);
  return row;
}

/** The ente's document by identificativo, created when absent, and locked until the transaction ends. */
export async function lockOrCreateDocument(
  tx: Executor,
  enteId: number,
  identificativo: string,
  descrizione: string,
): Promise<{ row: DocumentRow; created: boolean }> {
  const created = await insertDocument(tx, enteId, identificativo, descrizione);
  if (created) return { row: created, created: true };
  const [row] = await tx
    .select(DOCUMENT_COLUMNS)
    .from(document)
    .where(and(eq(document.enteId, enteId), eq(document.identificativo, identificativo)))
    .for('update');
  return { row: row!, created: false };
}

/**
 * Locks a document's row until the transaction ends: activations and receipts of its positions take
 * it, so that two plans cannot both be activated (or paid unnoticed) at the same moment.
 */
export async function lockDocument(tx: Executor, documentId: number): Promise<void> {
  await tx.execute(sql`select id from document where id = ${documentId} for update`);
}

/** The places the document's positions already hold. */
export async function placesTaken(tx: Executor, documentId: number): Promise<DocumentPlace[]> {
  const rows = await tx
    .select({
      instalmentNumber: debtPosition.instalmentNumber,
      thresholdKind: debtPosition.thresholdKind,
      thresholdDays: debtPosition.thresholdDays,
      documentId: debtPosition.documentId,
    })
    .from(debtPosition)
    .where(eq(debtPosition.documentId, documentId));
  return rows.map((r) => placeOf(r));
}

/**
 * Inserts a position in a document, with its first status-history entry, inside the caller's transaction.
 * Returns null when a unique key is taken (the IUV, the gestionale's id, or the place in the document).
 */
export async function insertDocumentPosition(
  tx: Executor,
  p: NewPosition,
  documentId: number,
  place: DocumentPlace,
  actor: string,
): Promise<number | null> {
  const [row] = await tx
    .insert(debtPosition)
    .values({
      enteId: p.enteId,
      paymentTypeId: p.paymentTypeId,
      iuv: p.iuv,
      noticeNumber: p.noticeNumber,
      status: p.status,
      contentHash: p.contentHash,
      createdByApplicationId: p.createdByApplicationId,
      ...draftColumns(p.draft),
      documentId,
      ...placeColumns(place),
    })
    .onConflictDoNothing()
    .returning({ id: debtPosition.id });
  if (!row) return null;
  await tx.insert(debtPositionStatusHistory).values({
    positionId: row.id,
    fromStatus: null,
    toStatus: p.status,
    actor,
    reason: 'creazione',
  });
  return row.id;
}

/** A position of a document with whether an activation of it still holds the other plans. */
export interface DocumentPosition {
  position: DebtPosition;
  activationOpen: boolean;
}

/**
 * The positions of a document with the document's identificativo and descrizione, ordered single
 * solution, thresholds (ENTRO first, then by days), instalments by number: the order the notice prints.
 */
export async function documentPositions(
  db: Database | Executor,
  documentId: number,
): Promise<DocumentPosition[]> {
  const rows = await exec(db)
    .select({
      p: debtPosition,
      identificativo: document.identificativo,
      descrizione: document.descrizione,
      activationOpen: sql<boolean>`exists (select 1 from payment_attempt a
          where a.position_id = ${debtPosition.id} and a.created_at > now() - ${HOLD}
            and not exists (select 1 from receipt r where r.position_id = ${debtPosition.id} and r.received_at >= a.created_at))`,
    })
    .from(debtPosition)
    .innerJoin(document, eq(document.id, debtPosition.documentId))
    .where(eq(debtPosition.documentId, documentId))
    .orderBy(asc(debtPosition.id));
  return rows
    .map((r) => ({ position: positionOf(r.p, r), activationOpen: r.activationOpen }))
    .sort((a, b) => comparePlaces(a.position.document!.place, b.position.document!.place));
}

/** The positions of a document in the order its notice prints them (single solution, thresholds, instalments). */
export async function positionsOfDocument(
  db: Database | Executor,
  documentId: number,
): Promise<DebtPosition[]> {
  return (await documentPositions(db, documentId)).map((d) => d.position);
}

/** The next number of the ente's IUV sequence, inside a transaction (after a collision with a supplied IUV). */
export async function nextProgressive(
  tx: Executor,
  enteId: number,
  codiceSegregazione: string,
): Promise<bigint> {
  const res = (await tx.execute(
    sql`select nextval(${iuvSequenceName(enteId, codiceSegregazione)}::regclass)::text as v`,
  )) as { rows: { v: string }[] };
  return BigInt(res.rows[0]!.v);
}

/** What an operator's creation needs of the ente and the payment type, by their codes; undefined when either is unknown. */
export async function loadOperatorContext(
  db: Database,
  enteCf: string,
  codiceVersamento: string,
): Promise<
  | {
      enteId: number;
      codiceSegregazione: string;
      paymentTypeId: number | null;
    }
  | undefined
> {
  const [row] = await db.rows<{
    enteId: number;
    codiceSegregazione: string;
    paymentTypeId: number | null;
  }>(sql`
    select e.id::int as "enteId", e.codice_segregazione as "codiceSegregazione", pt.id::int as "paymentTypeId"
      from ente e left join payment_type pt on pt.ente_id = e.id and pt.codice_versamento = upper(${codiceVersamento})
     where e.codice_fiscale = ${enteCf}`);
  return row;
}
