import { DEMO, seedDemo } from '../../src/app/demo-seed.js';
import type { Container } from '../../src/app/container.js';
import { locations, type Json } from './mutate.js';
import { person, type Person } from './pii.js';
import { Rng } from './prng.js';
import type { Needle } from './harness.js';

/** Positions the fuzzer works on, created before the campaigns (same seed, same pool). */
export interface PoolPosition {
  iuv: string;
  noticeNumber: string;
  debtor: Person;
}

export interface World {
  /** For updates, reads, verifications and landings. */
  pool: PoolPosition[];
  /** For cancellations (a cancelled position stays cancelled). */
  victims: PoolPosition[];
  /** The admin API's own ente, payment type and application (the demo data is never changed by the admin campaign). */
  admin: { ente: string; paymentType: string; application: string };
}

export async function buildWorld(c: Container, seed: number): Promise<World> {
  await seedDemo(c);
  const rng = new Rng(seed ^ 0x5eed);
  const ctx = await c.debtPositions.authorize({
    codiceChiamante: DEMO.codiceChiamante,
    passphrase: DEMO.passphrase,
    enteCodiceFiscale: DEMO.ente,
    codiceVersamento: DEMO.paymentType,
    scope: 'CREAZIONE_IUV',
  });
  const make = async (prefix: string, i: number): Promise<PoolPosition> => {
    const debtor = person(rng);
    const cents = rng.range(100, 50_000);
    const p = await c.debtPositions.create(ctx, {
      idPosizioneDebitoria: `${prefix}-${i}`,
      amountCents: cents,
      components: [{ amountCents: cents, causale: 'Quota fuzz' }],
      causale: 'Posizione del fuzzer',
      debtor: {
        type: 'F',
        fiscalCode: debtor.fiscalCode,
        name: debtor.name,
        surname: debtor.surname,
        email: debtor.email,
      },
      paymentReferences: [],
      dueDate: '2099-12-31',
    } as never);
    return { iuv: p.iuv, noticeNumber: p.noticeNumber, debtor };
  };
  const pool: PoolPosition[] = [];
  const victims: PoolPosition[] = [];
  for (let i = 0; i < 40; i++) pool.push(await make('FZPOOL', i));
  for (let i = 0; i < 30; i++) victims.push(await make('FZDEL', i));
  const admin = { ente: '80000000002', paymentType: 'FUZZ', application: 'FUZZ_ADMIN' };
  await c.organizations.createEnte({
    codiceFiscale: admin.ente,
    denominazione: 'Ente del fuzzer',
    codiceSegregazione: '07',
    ibanBancario: 'IT60X0542811101000000123456',
  });
  await c.organizations.createPaymentType(admin.ente, {
    codiceVersamento: admin.paymentType,
    descrizione: 'Tipo del fuzzer',
    iban: 'IT60X0542811101000000123456',
    transferCategory: '9/0101108TS/',
  });
  await c.applications.create({
    codiceChiamante: admin.application,
    descrizione: 'Applicazione del fuzzer',
    passphrase: 'fuzz-admin-passphrase-0',
    scopes: ['CREAZIONE_IUV'],
    paymentTypes: [{ ente: admin.ente, codiceVersamento: admin.paymentType }],
  });
  return { pool, victims, admin };
}

/** A new payable position of the demo ente (for the checks after a campaign). */
export async function freshPosition(
  c: Container,
  id: string,
): Promise<{ iuv: string; noticeNumber: string }> {
  const ctx = await c.debtPositions.authorize({
    codiceChiamante: DEMO.codiceChiamante,
    passphrase: DEMO.passphrase,
    enteCodiceFiscale: DEMO.ente,
    codiceVersamento: DEMO.paymentType,
    scope: 'CREAZIONE_IUV',
  });
  const p = await c.debtPositions.create(ctx, {
    idPosizioneDebitoria: id,
    amountCents: 1234,
    components: [{ amountCents: 1234, causale: 'Quota' }],
    causale: 'Dopo il fuzzer',
    debtor: {
      type: 'F',
      fiscalCode: DEMO.debtor.codiceFiscalePartitaIVAPagatore,
      name: 'Pino',
      surname: 'Test',
    },
    paymentReferences: [],
  } as never);
  return { iuv: p.iuv, noticeNumber: p.noticeNumber };
}

/** Personal data in a JSON body: the string values of the named keys, wherever they are. */
export function piiOfJson(value: Json | undefined, keys: Record<string, string>): Needle[] {
  if (value === undefined) return [];
  const out: Needle[] = [];
  for (const { path, value: v } of locations(value)) {
    const kind = keys[String(path[path.length - 1])];
    if (kind && typeof v === 'string') out.push({ kind, value: v });
  }
  return out;
}

export function personNeedles(p: Person): Needle[] {
  return [
    { kind: 'fiscal-code', value: p.fiscalCode },
    { kind: 'name', value: p.name },
    { kind: 'name', value: p.surname },
    { kind: 'email', value: p.email },
  ];
}
