import type { Container } from '../../src/app/container.js';

/** A second ente, payment type and caller, besides the demo data, for tests that need their own. */
export async function createEnteWithCaller(
  c: Container,
  opts: { cf?: string; seg?: string; code?: string; caller?: string; passphrase?: string } = {},
) {
  const cf = opts.cf ?? '15376371009';
  const code = opts.code ?? 'TARI';
  const caller = opts.caller ?? 'GEST_TEST';
  const passphrase = opts.passphrase ?? 'test-passphrase-1';
  await c.organizations.createEnte({
    codiceFiscale: cf,
    denominazione: 'Comune di Prova',
    codiceSegregazione: opts.seg ?? '02',
    ibanBancario: 'IT60X0542811101000000123456',
  });
  await c.organizations.createPaymentType(cf, {
    codiceVersamento: code,
    descrizione: 'Tassa rifiuti',
    iban: 'IT60X0542811101000000123456',
    transferCategory: '9/0101108TS/',
  });
  await c.applications.create({
    codiceChiamante: caller,
    descrizione: 'Gestionale di prova',
    passphrase,
    scopes: ['CREAZIONE_IUV', 'RICHIESTA_STATO_POS_DEB', 'RICHIESTA_DATI_PAGAMENTO'],
    paymentTypes: [{ ente: cf, codiceVersamento: code }],
  });
  const ctx = await c.debtPositions.authorize({
    codiceChiamante: caller,
    passphrase,
    enteCodiceFiscale: cf,
    codiceVersamento: code,
    scope: 'CREAZIONE_IUV',
  });
  return { cf, code, caller, passphrase, ctx };
}

export function draft(overrides: Record<string, unknown> = {}) {
  return {
    amountCents: 1000,
    components: [{ amountCents: 1000, causale: 'Quota' }],
    causale: 'Quota',
    debtor: { type: 'F' as const, fiscalCode: 'TSTPNI70D01L219V', name: 'Pino', surname: 'Test' },
    paymentReferences: [],
    ...overrides,
  };
}
