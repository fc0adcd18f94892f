import { asc, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../../db/database.js';
import {
  application,
  applicationEndpoint,
  applicationPaymentType,
  ente,
  paymentType,
} from '../../../db/schema.js';

export type ApplicationRow = typeof application.$inferSelect;
export type ApplicationInsert = typeof application.$inferInsert;
export type EndpointInsert = typeof applicationEndpoint.$inferInsert;

/** A payment type as an application names it: the ente's fiscal code and the codice versamento. */
export interface PaymentTypeRef {
  ente: string;
  codiceVersamento: string;
}

/** Inserts an application; undefined when its codiceChiamante is taken. */
export async function insertApplication(
  db: Executor,
  values: ApplicationInsert,
): Promise<ApplicationRow | undefined> {
  const [row] = await db.insert(application).values(values).onConflictDoNothing().returning();
  return row;
}

export async function updateApplication(
  db: Executor,
  id: number,
  values: Partial<ApplicationInsert>,
): Promise<ApplicationRow> {
  const [row] = await db.update(application).set(values).where(eq(application.id, id)).returning();
  return row!;
}

/** Sets the encrypted passphrase of an application by its codiceChiamante; false when there is none. */
export async function replacePassphrase(
  db: Executor,
  codiceChiamante: string,
  passphraseEnc: string,
  at: Date,
): Promise<boolean> {
  const rows = await db
    .update(application)
    .set({ passphraseEnc, passphraseRotatedAt: at, updatedAt: at })
    .where(eq(application.codiceChiamante, codiceChiamante))
    .returning({ id: application.id });
  return rows.length > 0;
}

export async function findApplication(
  db: Executor,
  codiceChiamante: string,
): Promise<ApplicationRow | undefined> {
  const [row] = await db
    .select()
    .from(application)
    .where(eq(application.codiceChiamante, codiceChiamante))
    .limit(1);
  return row;
}

export async function listApplications(db: Executor): Promise<ApplicationRow[]> {
  return db.select().from(application).orderBy(asc(application.codiceChiamante));
}

/** The payment types of these enti, by `ente/codiceVersamento`. */
export async function paymentTypeIds(db: Executor, enti: readonly string[]): Promise<Map<string, number>> {
  const rows = await db
    .select({ id: paymentType.id, ente: ente.codiceFiscale, code: paymentType.codiceVersamento })
    .from(paymentType)
    .innerJoin(ente, eq(ente.id, paymentType.enteId))
    .where(inArray(ente.codiceFiscale, [...enti]));
  return new Map(rows.map((r) => [`${r.ente}/${r.code}`, r.id]));
}

/** The payment types the application may use become exactly these. */
export async function replacePaymentTypes(
  db: Executor,
  applicationId: number,
  paymentTypeIds: readonly number[],
): Promise<void> {
  await db.delete(applicationPaymentType).where(eq(applicationPaymentType.applicationId, applicationId));
  if (paymentTypeIds.length > 0) {
    await db
      .insert(applicationPaymentType)
      .values(paymentTypeIds.map((paymentTypeId) => ({ applicationId, paymentTypeId })));
  }
}

/** Deletes the application's endpoints; returns their encrypted passwords by `kind/paymentTypeId` (0 for none). */
export async function deleteEndpoints(
  db: Executor,
  applicationId: number,
): Promise<Map<string, string | null>> {
  const rows = await db
    .delete(applicationEndpoint)
    .where(eq(applicationEndpoint.applicationId, applicationId))
    .returning();
  return new Map(rows.map((r) => [`${r.kind}/${r.paymentTypeId ?? 0}`, r.passwordEnc]));
}

export async function insertEndpoints(db: Executor, endpoints: readonly EndpointInsert[]): Promise<void> {
  if (endpoints.length > 0) await db.insert(applicationEndpoint).values([...endpoints]);
}

/** The payment types an application may use, in ente and code order. */
export async function paymentTypesOf(db: Executor, applicationId: number): Promise<PaymentTypeRef[]> {
  return db
    .select({ ente: ente.codiceFiscale, codiceVersamento: paymentType.codiceVersamento })
    .from(applicationPaymentType)
    .innerJoin(paymentType, eq(paymentType.id, applicationPaymentType.paymentTypeId))
    .innerJoin(ente, eq(ente.id, paymentType.enteId))
    .where(eq(applicationPaymentType.applicationId, applicationId))
    .orderBy(asc(ente.codiceFiscale), asc(paymentType.codiceVersamento));
}

/** An application's endpoints, with the payment type each is restricted to (null: all of them). */
export async function endpointsOf(db: Executor, applicationId: number) {
  const rows = await db
    .select({ ep: applicationEndpoint, ente: ente.codiceFiscale, code: paymentType.codiceVersamento })
    .from(applicationEndpoint)
    .leftJoin(paymentType, eq(paymentType.id, applicationEndpoint.paymentTypeId))
    .leftJoin(ente, eq(ente.id, paymentType.enteId))
    .where(eq(applicationEndpoint.applicationId, applicationId))
    .orderBy(asc(applicationEndpoint.kind), asc(applicationEndpoint.id));
  return rows.map(({ ep, ente: e, code }) => ({
    endpoint: ep,
    paymentType: e && code ? { ente: e, codiceVersamento: code } : null,
  }));
}

/** Every stored secret (passphrases, endpoint passwords), to re-encrypt them under the active key. */
export async function storedSecrets(db: Executor): Promise<{
  passphrases: { id: number; enc: string }[];
  passwords: { id: number; enc: string | null }[];
}> {
  return {
    passphrases: await db.select({ id: application.id, enc: application.passphraseEnc }).from(application),
    passwords: await db
      .select({ id: applicationEndpoint.id, enc: applicationEndpoint.passwordEnc })
      .from(applicationEndpoint),
  };
}

export async function setPassphraseEnc(db: Executor, id: number, passphraseEnc: string): Promise<void> {
  await db.update(application).set({ passphraseEnc }).where(eq(application.id, id));
}

export async function setPasswordEnc(db: Executor, id: number, passwordEnc: string): Promise<void> {
  await db.update(applicationEndpoint).set({ passwordEnc }).where(eq(applicationEndpoint.id, id));
}
