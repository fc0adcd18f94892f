import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../../db/database.js';
import { checkoutCart, debtPosition, ente } from '../../../db/schema.js';
import { iuvFromNoticeNumber } from '../../debt-positions/domain/notice-number.js';
import { positionOf } from '../../debt-positions/infra/position-row.js';
import type { CartNotice, PayablePosition, ReturnUrls } from '../domain/checkout-cart.js';

/** A position a front end wants to pay: by its ente and its notice number (or IUV). */
export interface PositionRef {
  enteFiscalCode: string;
  noticeNumber?: string | undefined;
  iuv?: string | undefined;
}

/** Reads the positions of a cart with their enti, in the order asked; undefined where not found. */
export async function loadPositions(
  db: Database,
  refs: PositionRef[],
): Promise<(PayablePosition | undefined)[]> {
  const cfs = [...new Set(refs.map((r) => r.enteFiscalCode))];
  if (cfs.length === 0) return [];
  const rows = await db.orm
    .select({
      p: debtPosition,
      cf: ente.codiceFiscale,
      denominazione: ente.denominazione,
      active: ente.active,
    })
    .from(debtPosition)
    .innerJoin(ente, eq(ente.id, debtPosition.enteId))
    .where(
      and(
        inArray(ente.codiceFiscale, cfs),
        inArray(
          debtPosition.iuv,
          refs.map((r) => r.iuv ?? iuvFromNoticeNumber(r.noticeNumber ?? '') ?? ''),
        ),
      ),
    );
  return refs.map((r) => {
    const row = rows.find(
      (x) =>
        x.cf === r.enteFiscalCode &&
        (r.iuv !== undefined ? x.p.iuv === r.iuv : x.p.noticeNumber === r.noticeNumber),
    );
    return (
      row && {
        position: positionOf(row.p),
        ente: { codiceFiscale: row.cf, denominazione: row.denominazione, active: row.active },
      }
    );
  });
}

export interface StoredCart {
  id: number;
  idCart: string;
  notices: CartNotice[];
  email: string | null;
  returnUrls: ReturnUrls;
  location: string | null;
  outcome: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export async function insertCart(
  db: Database,
  c: {
    idCart: string;
    notices: CartNotice[];
    email: string | undefined;
    returnUrls: ReturnUrls;
    outcome: string;
  },
): Promise<number> {
  const [row] = await db.orm
    .insert(checkoutCart)
    .values({
      idCart: c.idCart,
      notices: c.notices,
      email: c.email ?? null,
      returnUrls: c.returnUrls,
      outcome: c.outcome,
    })
    .returning({ id: checkoutCart.id });
  return row!.id;
}

export async function recordCartOutcome(
  db: Database,
  id: number,
  outcome: string,
  location: string | null,
): Promise<void> {
  await db.orm
    .update(checkoutCart)
    .set({ outcome, location, updatedAt: new Date() })
    .where(eq(checkoutCart.id, id));
}

export async function findCart(db: Database, idCart: string): Promise<StoredCart | undefined> {
  const [row] = await db.orm.select().from(checkoutCart).where(eq(checkoutCart.idCart, idCart)).limit(1);
  return row && { ...row, notices: row.notices as CartNotice[], returnUrls: row.returnUrls as ReturnUrls };
}
