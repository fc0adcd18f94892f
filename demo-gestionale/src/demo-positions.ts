import type { CassaClient } from './cassa-client.js';
import type { GestionaleStore } from './store.js';

/** The demo citizen of seed 000 §3.1 (Pino Test). No real authentication: the demo lets anyone pick him. */
export const DEMO_CITIZEN = {
  codiceFiscale: 'TSTPNI70D01L219V',
  nome: 'Pino',
  cognome: 'Test',
  email: 'pino.test@example.org',
} as const;

/** The manual's position (seed 000 §3.1), already in Cassa's demo data: the gestionale only knows it. */
export const MANUAL_POSITION = {
  idPosizione: 'POSDEB1_1234596724100',
  iuv: '190280072147087',
  codiceAvviso: '001190280072147087',
  causale: 'Biblioteca-Copie eseguite su prenotazione tramite operatore',
  amountCents: 10_000,
} as const;

/**
 * Positions the demo gestionale creates in Cassa itself (epayapi createDebtPosition). Fixed content
 * and ids, so that creating them again at each start is a harmless resend (Cassa answers the same
 * IUV). Amounts in cents.
 */
export const CREATED_POSITIONS = [
  {
    idPosizione: 'GEST_BIBL_TESSERA_2025',
    causale: 'Biblioteca-Rinnovo tessera annuale',
    amountCents: 1_200,
  },
  {
    idPosizione: 'GEST_BIBL_RITARDO_0042',
    causale: 'Biblioteca-Sanzione per restituzione in ritardo',
    amountCents: 450,
  },
] as const;

export const GESTIONALE_NAME = 'Pagamenti Vari del Comune di Alessandria';

/** Puts the demo positions in the store, creating in Cassa those the gestionale owns. */
export async function loadDemoPositions(
  store: GestionaleStore,
  cassa: CassaClient,
  opts: { create: boolean },
): Promise<{ created: number; replayed: number }> {
  const debitore = `${DEMO_CITIZEN.nome} ${DEMO_CITIZEN.cognome}`;
  store.upsertPosition({ ...MANUAL_POSITION, codiceFiscale: DEMO_CITIZEN.codiceFiscale, debitore });
  let created = 0;
  let replayed = 0;
  if (!opts.create) return { created, replayed };
  for (const p of CREATED_POSITIONS) {
    const r = await cassa.createDebtPosition({
      identificativoPagamento: p.idPosizione,
      importo: p.amountCents / 100,
      causale: p.causale,
      codiceFiscalePartitaIVAPagatore: DEMO_CITIZEN.codiceFiscale,
      nome: DEMO_CITIZEN.nome,
      cognome: DEMO_CITIZEN.cognome,
      email: DEMO_CITIZEN.email,
      notePerIlPagatore: 'Posizione creata dal gestionale dimostrativo',
    });
    if (r.replayed) replayed++;
    else created++;
    store.upsertPosition({
      idPosizione: p.idPosizione,
      iuv: r.iuv,
      codiceAvviso: r.codiceAvviso,
      causale: p.causale,
      amountCents: p.amountCents,
      codiceFiscale: DEMO_CITIZEN.codiceFiscale,
      debitore,
    });
  }
  return { created, replayed };
}
