/**
 * What a printed receipt needs besides the receipt itself: the ente's name and logo, and the
 * causale of the position it paid (absent for a receipt of an unknown notice).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../../db/database.js';

export interface ReceiptContext {
  enteFiscalCode: string;
  enteName: string;
  enteSector: string | null;
  logo: { mime: string; bytes: Buffer } | null;
  /** The position's causale; null when the receipt paid no known position. */
  causale: string | null;
}

export async function receiptContext(
  db: Database,
  enteId: number,
  iuv: string,
): Promise<ReceiptContext | undefined> {
  const [r] = await db.rows<{
    enteFiscalCode: string;
    enteName: string;
    enteSector: string | null;
    logoMime: string | null;
    logo: Uint8Array | null;
    causale: string | null;
  }>(sql`
    select e.codice_fiscale as "enteFiscalCode", e.denominazione as "enteName", e.unita_organizzativa as "enteSector",
           e.logo_mime as "logoMime", e.logo, p.causale
      from ente e left join debt_position p on p.ente_id = e.id and p.iuv = ${iuv}
     where e.id = ${enteId}`);
  if (!r) return undefined;
  return {
    enteFiscalCode: r.enteFiscalCode,
    enteName: r.enteName,
    enteSector: r.enteSector,
    logo: r.logo && r.logoMime ? { mime: r.logoMime, bytes: Buffer.from(r.logo) } : null,
    causale: r.causale,
  };
}
