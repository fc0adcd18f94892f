import { and, asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../../db/database.js';
import { ente, paymentType } from '../../../db/schema.js';
import { iuvSequenceName } from '../domain/organizations.js';

export type EnteRow = typeof ente.$inferSelect;
export type EnteInsert = typeof ente.$inferInsert;
export type PaymentTypeRow = typeof paymentType.$inferSelect;
export type PaymentTypeInsert = typeof paymentType.$inferInsert;

export async function findEnteByFiscalCode(
  db: Executor,
  codiceFiscale: string,
): Promise<EnteRow | undefined> {
  const [row] = await db.select().from(ente).where(eq(ente.codiceFiscale, codiceFiscale)).limit(1);
  return row;
}

export async function listEnti(db: Executor): Promise<EnteRow[]> {
  return db.select().from(ente).orderBy(asc(ente.codiceFiscale));
}

export async function insertEnte(db: Executor, values: EnteInsert): Promise<EnteRow | undefined> {
  const [row] = await db.insert(ente).values(values).onConflictDoNothing().returning();
  return row;
}

export async function updateEnte(db: Executor, id: number, values: Partial<EnteInsert>): Promise<EnteRow> {
  const [row] = await db
    .update(ente)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(ente.id, id))
    .returning();
  return row!;
}

/** The IUV progressive of an ente and segregation code: a sequence, so concurrent instances never share a number. */
export async function ensureIuvSequence(
  db: Executor,
  enteId: number,
  codiceSegregazione: string,
): Promise<void> {
  const name = iuvSequenceName(enteId, codiceSegregazione);
  await db.execute(
    sql.raw(`create sequence if not exists ${name} as bigint minvalue 1 maxvalue 9999999999999 no cycle`),
  );
}

export async function findPaymentType(
  db: Executor,
  enteId: number,
  codiceVersamento: string,
): Promise<PaymentTypeRow | undefined> {
  const [row] = await db
    .select()
    .from(paymentType)
    .where(and(eq(paymentType.enteId, enteId), eq(paymentType.codiceVersamento, codiceVersamento)))
    .limit(1);
  return row;
}

export async function listPaymentTypes(db: Executor, enteId: number): Promise<PaymentTypeRow[]> {
  return db
    .select()
    .from(paymentType)
    .where(eq(paymentType.enteId, enteId))
    .orderBy(asc(paymentType.codiceVersamento));
}

export async function insertPaymentType(
  db: Executor,
  values: PaymentTypeInsert,
): Promise<PaymentTypeRow | undefined> {
  const [row] = await db.insert(paymentType).values(values).onConflictDoNothing().returning();
  return row;
}

export async function updatePaymentType(
  db: Executor,
  id: number,
  values: Partial<PaymentTypeInsert>,
): Promise<PaymentTypeRow> {
  const [row] = await db
    .update(paymentType)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(paymentType.id, id))
    .returning();
  return row!;
}
