import { describe, expect, it } from 'vitest';
import {
  ANONIMO,
  assertDebtorChangeAllowed,
  assertModifiable,
  contentHash,
  DEFAULT_FIELD_NAMES,
  effectiveStatus,
  initialStatus,
  isPayable,
  MAX_AMOUNT_CENTS,
  piemontePayStatus,
  validateDraft,
  type DebtPositionDraft,
  type DebtPositionStatus,
  type DraftFieldNames,
} from '../../src/modules/debt-positions/domain/debt-position.js';
import { DebtPositionError } from '../../src/modules/debt-positions/domain/errors.js';

/** A valid draft: one component, a natural person as debtor. */
function draft(overrides: Partial<DebtPositionDraft> = {}): DebtPositionDraft {
  return {
    idPosizioneDebitoria: 'GEST-0001',
    amountCents: 1250,
    components: [{ amountCents: 1250, causale: 'Copie' }],
    causale: 'Biblioteca-Copie eseguite su prenotazione',
    debtor: {
      type: 'F',
      fiscalCode: 'TSTPNI70D01L219V',
      name: 'Pino',
      surname: 'Test',
      email: 'pino.test@example.org',
    },
    paymentReferences: [],
    ...overrides,
  };
}

const anonymous = (amountCents = 0): DebtPositionDraft =>
  draft({
    amountCents,
    components: [{ amountCents, causale: 'Verbale' }],
    debtor: { type: null, fiscalCode: ANONIMO },
  });

/** The DebtPositionError thrown by fn (fails the test when nothing, or something else, is thrown). */
function thrown(fn: () => unknown): DebtPositionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DebtPositionError);
    return e as DebtPositionError;
  }
  throw new Error('expected a DebtPositionError, nothing was thrown');
}

function expectRefused(
  d: DebtPositionDraft,
  errorName: string,
  code: string,
  field: string,
  names?: DraftFieldNames,
): DebtPositionError {
  const e = thrown(() => validateDraft(d, names));
  expect({ errorName: e.errorName, code: e.code, kind: e.kind, field: e.field }).toEqual({
    errorName,
    code,
    kind: 'invalid',
    field,
  });
  expect(e.message).toContain(field.replace(/\[\d+\].*$/, ''));
  return e;
}

describe('validateDraft: a valid draft', () => {
  it('passes as is, and with every optional field filled in', () => {
    expect(() => validateDraft(draft())).not.toThrow();
    expect(() =>
      validateDraft(
        draft({
          descrizioneRata: 'Rata 1 di 3',
          dueDate: '2099-06-30',
          validFrom: '2099-01-01',
          validTo: '2099-12-31',
          paymentReferences: [{ name: 'Pratica', value: 'PR-1' }],
          payerNote: 'Nota',
          referenceYear: 2026,
          debtor: {
            type: 'F',
            fiscalCode: 'TSTPNI70D01L219V',
            name: 'Pino',
            surname: 'Test',
            address: 'Via Roma',
            civic: '1',
            postalCode: '15121',
            locality: 'Alessandria',
            province: 'AL',
            nation: 'IT',
            email: 'pino@example.org',
          },
        }),
      ),
    ).not.toThrow();
  });
});

describe('validateDraft: amount', () => {
  it('accepts 1 cent and the maximum 999.999.999,99 € = 99_999_999_999 cents', () => {
    expect(MAX_AMOUNT_CENTS).toBe(99_999_999_999);
    expect(() =>
      validateDraft(draft({ amountCents: 1, components: [{ amountCents: 1, causale: 'A' }] })),
    ).not.toThrow();
    expect(() =>
      validateDraft(
        draft({
          amountCents: MAX_AMOUNT_CENTS,
          components: [{ amountCents: MAX_AMOUNT_CENTS, causale: 'A' }],
        }),
      ),
    ).not.toThrow();
  });

  it.each([MAX_AMOUNT_CENTS + 1, -1, -1250, 12.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
    'refuses %s cents (code 100, amountCents)',
    (amountCents) => {
      expectRefused(
        draft({ amountCents, components: [{ amountCents: 1250, causale: 'A' }] }),
        'INVALID_FIELD',
        '100',
        'amountCents',
      );
    },
  );

  it('refuses zero (code 163) unless the debtor is ANONIMO', () => {
    const e = expectRefused(
      draft({ amountCents: 0, components: [{ amountCents: 0, causale: 'A' }] }),
      'AMOUNT_NOT_POSITIVE',
      '163',
      'amountCents',
    );
    expect(e.message).toMatch(/ANONIMO/);
    expect(() => validateDraft(anonymous(0))).not.toThrow();
  });

  it('accepts a positive amount for ANONIMO too', () => {
    expect(() => validateDraft(anonymous(5000))).not.toThrow();
  });
});

describe('validateDraft: components', () => {
  const comps = (...amounts: number[]) =>
    amounts.map((amountCents, i) => ({ amountCents, causale: `Quota ${i + 1}` }));

  it('accepts one to five components summing to the total', () => {
    expect(() => validateDraft(draft({ amountCents: 1500, components: comps(1000, 500) }))).not.toThrow();
    expect(() =>
      validateDraft(draft({ amountCents: 1500, components: comps(100, 200, 300, 400, 500) })),
    ).not.toThrow();
  });

  it('refuses no component (code 300)', () => {
    expectRefused(draft({ components: [] }), 'COMPONENTS_INCONSISTENT', '300', 'components');
  });

  it('refuses six components (code 183), even when they sum to the total', () => {
    expectRefused(
      draft({ amountCents: 600, components: comps(100, 100, 100, 100, 100, 100) }),
      'TOO_MANY_COMPONENTS',
      '183',
      'components',
    );
  });

  it('refuses components not summing to the total (code 184), saying both amounts', () => {
    const e = expectRefused(
      draft({ amountCents: 3000, components: comps(1000, 1000) }),
      'COMPONENTS_NOT_MATCHING_TOTAL',
      '184',
      'components',
    );
    expect(e.message).toContain('20,00 €');
    expect(e.message).toContain('30,00 €');
    expectRefused(
      draft({ amountCents: 1000, components: comps(1000, 1) }),
      'COMPONENTS_NOT_MATCHING_TOTAL',
      '184',
      'components',
    );
  });

  it('refuses a zero component (code 300) unless the debtor is ANONIMO, naming it', () => {
    expectRefused(
      draft({ amountCents: 1000, components: comps(1000, 0) }),
      'COMPONENTS_INCONSISTENT',
      '300',
      'components[1].amountCents',
    );
  });

  it('refuses a negative, fractional or oversized component (code 100), naming it', () => {
    expectRefused(
      draft({ amountCents: 1000, components: comps(1001, -1) }),
      'INVALID_FIELD',
      '100',
      'components[1].amountCents',
    );
    expectRefused(
      draft({ amountCents: 1000, components: comps(999.5, 0.5) }),
      'INVALID_FIELD',
      '100',
      'components[0].amountCents',
    );
    expectRefused(
      draft({ amountCents: 1000, components: comps(MAX_AMOUNT_CENTS + 1) }),
      'INVALID_FIELD',
      '100',
      'components[0].amountCents',
    );
  });

  it('requires the causale of each component, at most 80 characters', () => {
    expect(() =>
      validateDraft(draft({ components: [{ amountCents: 1250, causale: 'x'.repeat(80) }] })),
    ).not.toThrow();
    expectRefused(
      draft({ components: [{ amountCents: 1250, causale: 'x'.repeat(81) }] }),
      'INVALID_FIELD',
      '100',
      'components[0].causale',
    );
    expectRefused(
      draft({
        amountCents: 1250,
        components: [
          { amountCents: 1000, causale: 'A' },
          { amountCents: 250, causale: '  ' },
        ],
      }),
      'INVALID_FIELD',
      '100',
      'components[1].causale',
    );
  });
});

describe('validateDraft: causale', () => {
  it('accepts 140 characters and refuses 141 or blank (code 100)', () => {
    expect(() => validateDraft(draft({ causale: 'c'.repeat(140) }))).not.toThrow();
    expectRefused(draft({ causale: 'c'.repeat(141) }), 'INVALID_FIELD', '100', 'causale');
    expectRefused(draft({ causale: '' }), 'INVALID_FIELD', '100', 'causale');
    expectRefused(draft({ causale: ' \t ' }), 'INVALID_FIELD', '100', 'causale');
  });
});

describe('validateDraft: debtor', () => {
  const F = { type: 'F' as const, fiscalCode: 'TSTPNI70D01L219V', name: 'Pino', surname: 'Test' };
  const G = { type: 'G' as const, fiscalCode: '00429440068', company: 'Comune di Alessandria' };

  it('accepts a natural person with name and surname, and a legal person with a company name', () => {
    expect(() => validateDraft(draft({ debtor: F }))).not.toThrow();
    expect(() => validateDraft(draft({ debtor: G }))).not.toThrow();
  });

  it('requires name and surname for F (code 100)', () => {
    expectRefused(draft({ debtor: { ...F, name: undefined } }), 'INVALID_FIELD', '100', 'debtor.name');
    expectRefused(draft({ debtor: { ...F, name: '  ' } }), 'INVALID_FIELD', '100', 'debtor.name');
    expectRefused(draft({ debtor: { ...F, surname: undefined } }), 'INVALID_FIELD', '100', 'debtor.surname');
    expectRefused(draft({ debtor: { ...F, name: 'n'.repeat(71) } }), 'INVALID_FIELD', '100', 'debtor.name');
  });

  it('requires the company name for G (code 100)', () => {
    expectRefused(draft({ debtor: { ...G, company: undefined } }), 'INVALID_FIELD', '100', 'debtor.company');
    expectRefused(draft({ debtor: { ...G, company: '' } }), 'INVALID_FIELD', '100', 'debtor.company');
    expectRefused(
      draft({ debtor: { ...G, company: 'c'.repeat(141) } }),
      'INVALID_FIELD',
      '100',
      'debtor.company',
    );
  });

  it('requires a type F or G for a debtor other than ANONIMO', () => {
    expectRefused(draft({ debtor: { ...F, type: null } }), 'INVALID_FIELD', '100', 'debtor.fiscalCode');
  });

  it('checks the check character of a 16-character fiscal code', () => {
    expect(() => validateDraft(draft({ debtor: { ...F, fiscalCode: 'TSTPNI70D01L219V' } }))).not.toThrow();
    expectRefused(
      draft({ debtor: { ...F, fiscalCode: 'TSTPNI70D01L219X' } }),
      'INVALID_FIELD',
      '100',
      'debtor.fiscalCode',
    );
    expectRefused(
      draft({ debtor: { ...F, fiscalCode: 'tstpni70d01l219v' } }),
      'INVALID_FIELD',
      '100',
      'debtor.fiscalCode',
    );
    expectRefused(
      draft({ debtor: { ...F, fiscalCode: 'TSTPNI70D01L219' } }),
      'INVALID_FIELD',
      '100',
      'debtor.fiscalCode',
    );
    expectRefused(draft({ debtor: { ...F, fiscalCode: '' } }), 'INVALID_FIELD', '100', 'debtor.fiscalCode');
  });

  it('checks the check digit of an 11-digit fiscal code / partita IVA', () => {
    expect(() => validateDraft(draft({ debtor: { ...G, fiscalCode: '00429440068' } }))).not.toThrow();
    expectRefused(
      draft({ debtor: { ...G, fiscalCode: '00429440069' } }),
      'INVALID_FIELD',
      '100',
      'debtor.fiscalCode',
    );
    expectRefused(
      draft({ debtor: { ...G, fiscalCode: '0042944006' } }),
      'INVALID_FIELD',
      '100',
      'debtor.fiscalCode',
    );
  });

  it('checks the email', () => {
    expect(() => validateDraft(draft({ debtor: { ...F, email: 'a.b+c@sub.example.it' } }))).not.toThrow();
    for (const email of [
      'not-an-email',
      'a@b',
      'a b@example.org',
      '@example.org',
      '',
      `${'a'.repeat(250)}@example.org`,
    ]) {
      expectRefused(draft({ debtor: { ...F, email } }), 'INVALID_FIELD', '100', 'debtor.email');
    }
  });

  it('does not check name, fiscal code or email of ANONIMO', () => {
    expect(() =>
      validateDraft(draft({ debtor: { type: null, fiscalCode: ANONIMO, email: 'whatever' } })),
    ).not.toThrow();
  });
});

describe('validateDraft: dates', () => {
  it('accepts valid calendar dates, including 29 February of a leap year', () => {
    expect(() =>
      validateDraft(draft({ dueDate: '2028-02-29', validFrom: '2028-02-29', validTo: '2028-02-29' })),
    ).not.toThrow();
  });

  it.each([
    '2027-02-29',
    '2026-02-30',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-1-01',
    '2026-01-01T00:00:00',
    '31/12/2026',
    '',
  ])('refuses %j as a date (code 100)', (bad) => {
    expectRefused(draft({ dueDate: bad }), 'INVALID_FIELD', '100', 'dueDate');
    expectRefused(draft({ validFrom: bad }), 'INVALID_FIELD', '100', 'validFrom');
    expectRefused(draft({ validTo: bad }), 'INVALID_FIELD', '100', 'validTo');
  });

  it('requires validFrom ≤ validTo (code 185 naming validFrom)', () => {
    expect(() => validateDraft(draft({ validFrom: '2099-01-01', validTo: '2099-01-01' }))).not.toThrow();
    expectRefused(
      draft({ validFrom: '2099-01-02', validTo: '2099-01-01' }),
      'VALIDITY_DATES',
      '185',
      'validFrom',
    );
  });

  it('requires dueDate ≤ validTo (code 185 naming dueDate)', () => {
    expect(() => validateDraft(draft({ dueDate: '2099-06-30', validTo: '2099-06-30' }))).not.toThrow();
    expect(() => validateDraft(draft({ dueDate: '2099-06-30' }))).not.toThrow();
    expectRefused(
      draft({ dueDate: '2099-07-01', validTo: '2099-06-30' }),
      'VALIDITY_DATES',
      '185',
      'dueDate',
    );
  });
});

describe('validateDraft: payment references', () => {
  const refs = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `Rif${i}`, value: `V${i}` }));

  it('accepts up to five, refuses six (code 193)', () => {
    expect(() => validateDraft(draft({ paymentReferences: refs(5) }))).not.toThrow();
    expectRefused(draft({ paymentReferences: refs(6) }), 'REFERENCES_INVALID', '193', 'paymentReferences');
  });

  it('requires name and value of each (code 193 naming it)', () => {
    expectRefused(
      draft({ paymentReferences: [...refs(1), { name: 'x', value: ' ' }] }),
      'REFERENCES_INVALID',
      '193',
      'paymentReferences[1]',
    );
    expectRefused(
      draft({ paymentReferences: [{ name: '', value: 'x' }] }),
      'REFERENCES_INVALID',
      '193',
      'paymentReferences[0]',
    );
  });
});

describe('validateDraft: external id', () => {
  it.each(['A', 'GEST-0001', 'a_b-C_9', 'x'.repeat(50)])('accepts %j', (id) => {
    expect(() => validateDraft(draft({ idPosizioneDebitoria: id }))).not.toThrow();
  });

  it.each(['', 'x'.repeat(51), 'has space', 'a.b', 'àèì', 'a/b', 'a\nb'])('refuses %j (code 100)', (id) => {
    expectRefused(draft({ idPosizioneDebitoria: id }), 'INVALID_FIELD', '100', 'idPosizioneDebitoria');
  });

  it('is optional', () => {
    expect(() => validateDraft(draft({ idPosizioneDebitoria: undefined }))).not.toThrow();
  });
});

describe("validateDraft: the caller's field names", () => {
  const names: DraftFieldNames = {
    ...DEFAULT_FIELD_NAMES,
    amount: 'importo',
    componentAmount: (i) => `componentiPagamento[${i}].importo`,
    debtorFiscalCode: 'codiceFiscalePartitaIVAPagatore',
    validFrom: 'dataInizioValidita',
  };

  it('names the field as the caller knows it, in the error and in its message', () => {
    expectRefused(draft({ amountCents: -1 }), 'INVALID_FIELD', '100', 'importo', names);
    expectRefused(
      draft({
        amountCents: 1000,
        components: [
          { amountCents: 1000, causale: 'A' },
          { amountCents: 0, causale: 'B' },
        ],
      }),
      'COMPONENTS_INCONSISTENT',
      '300',
      'componentiPagamento[1].importo',
      names,
    );
    expectRefused(
      draft({ debtor: { type: 'F', fiscalCode: 'TSTPNI70D01L219X', name: 'a', surname: 'b' } }),
      'INVALID_FIELD',
      '100',
      'codiceFiscalePartitaIVAPagatore',
      names,
    );
    expectRefused(
      draft({ validFrom: '2099-01-02', validTo: '2099-01-01' }),
      'VALIDITY_DATES',
      '185',
      'dataInizioValidita',
      names,
    );
  });
});

describe('initialStatus', () => {
  const today = '2026-05-15';

  it('is PAYABLE without validity dates, or when validity has started', () => {
    expect(initialStatus({}, today)).toBe('PAYABLE');
    expect(initialStatus({ validFrom: '2026-05-15' }, today)).toBe('PAYABLE');
    expect(initialStatus({ validFrom: '2026-01-01', validTo: '2026-05-15' }, today)).toBe('PAYABLE');
  });

  it('is NOT_YET_ACTIVE when validity starts after today', () => {
    expect(initialStatus({ validFrom: '2026-05-16' }, today)).toBe('NOT_YET_ACTIVE');
  });

  it('refuses a position whose validity already ended (code 185, naming validTo)', () => {
    const e = thrown(() => initialStatus({ validTo: '2026-05-14' }, today));
    expect({ code: e.code, errorName: e.errorName, field: e.field }).toEqual({
      code: '185',
      errorName: 'VALIDITY_DATES',
      field: 'validTo',
    });
    expect(
      thrown(() => initialStatus({ validTo: '2026-05-14' }, today, { validTo: 'dataFineValidita' })).field,
    ).toBe('dataFineValidita');
  });
});

describe('effectiveStatus', () => {
  const today = '2026-05-15';

  it('activates a NOT_YET_ACTIVE position on its first day of validity', () => {
    expect(effectiveStatus({ status: 'NOT_YET_ACTIVE', validFrom: '2026-05-16' }, today)).toBe(
      'NOT_YET_ACTIVE',
    );
    expect(effectiveStatus({ status: 'NOT_YET_ACTIVE', validFrom: '2026-05-15' }, today)).toBe('PAYABLE');
    expect(effectiveStatus({ status: 'NOT_YET_ACTIVE', validFrom: '2026-05-01' }, today)).toBe('PAYABLE');
  });

  it('expires a PAYABLE or NOT_YET_ACTIVE position the day after its validity ends', () => {
    expect(effectiveStatus({ status: 'PAYABLE', validTo: '2026-05-15' }, today)).toBe('PAYABLE');
    expect(effectiveStatus({ status: 'PAYABLE', validTo: '2026-05-14' }, today)).toBe('EXPIRED');
    expect(
      effectiveStatus({ status: 'NOT_YET_ACTIVE', validFrom: '2026-05-01', validTo: '2026-05-10' }, today),
    ).toBe('EXPIRED');
  });

  it('moves a PAYABLE position whose validity was moved later back to NOT_YET_ACTIVE', () => {
    expect(effectiveStatus({ status: 'PAYABLE', validFrom: '2026-06-01' }, today)).toBe('NOT_YET_ACTIVE');
  });

  it('never changes a paid, cancelled, expired or in-progress position', () => {
    for (const status of ['PAID', 'CANCELLED', 'EXPIRED', 'PAYMENT_IN_PROGRESS'] as const) {
      expect(effectiveStatus({ status, validFrom: '2026-06-01', validTo: '2026-05-01' }, today)).toBe(status);
      expect(effectiveStatus({ status }, today)).toBe(status);
    }
  });

  it('isPayable needs an effectively PAYABLE position with a positive amount', () => {
    expect(isPayable({ status: 'PAYABLE', amountCents: 100 }, today)).toBe(true);
    expect(isPayable({ status: 'PAYABLE', amountCents: 0 }, today)).toBe(false);
    expect(isPayable({ status: 'PAYABLE', amountCents: 100, validTo: '2026-05-14' }, today)).toBe(false);
    expect(isPayable({ status: 'NOT_YET_ACTIVE', amountCents: 100, validFrom: '2026-05-15' }, today)).toBe(
      true,
    );
  });
});

describe('assertModifiable', () => {
  it('lets PAYABLE and NOT_YET_ACTIVE positions be changed', () => {
    expect(() => assertModifiable('PAYABLE')).not.toThrow();
    expect(() => assertModifiable('NOT_YET_ACTIVE')).not.toThrow();
  });

  it.each([
    ['PAID', 'ALREADY_PAID', '178'],
    ['PAYMENT_IN_PROGRESS', 'PAYMENT_IN_PROGRESS', '177'],
    ['CANCELLED', 'ALREADY_CANCELLED', '179'],
    ['EXPIRED', 'EXPIRED', '187'],
  ] as const)('refuses %s with %s (code %s), a conflict', (status, errorName, code) => {
    const e = thrown(() => assertModifiable(status));
    expect({ errorName: e.errorName, code: e.code, kind: e.kind, field: e.field }).toEqual({
      errorName,
      code,
      kind: 'conflict',
      field: undefined,
    });
  });
});

describe('assertDebtorChangeAllowed', () => {
  it('allows setting the debtor of an ANONIMO position with amount zero', () => {
    expect(() =>
      assertDebtorChangeAllowed({ debtor: { type: null, fiscalCode: ANONIMO }, amountCents: 0 }),
    ).not.toThrow();
  });

  it('refuses a position not intestata ad ANONIMO with code 218', () => {
    for (const amountCents of [0, 1250]) {
      const e = thrown(() =>
        assertDebtorChangeAllowed({ debtor: { type: 'F', fiscalCode: 'TSTPNI70D01L219V' }, amountCents }),
      );
      expect({ errorName: e.errorName, code: e.code, kind: e.kind, field: e.field }).toEqual({
        errorName: 'DEBTOR_NOT_ANONYMOUS',
        code: '218',
        kind: 'conflict',
        field: 'codiceFiscalePartitaIVAPagatore',
      });
    }
  });

  it('refuses an ANONIMO position whose amount is not zero with code 196', () => {
    const e = thrown(() =>
      assertDebtorChangeAllowed({ debtor: { type: null, fiscalCode: ANONIMO }, amountCents: 1 }),
    );
    expect({ errorName: e.errorName, code: e.code, kind: e.kind, field: e.field }).toEqual({
      errorName: 'DEBTOR_NOT_UPDATABLE',
      code: '196',
      kind: 'conflict',
      field: 'codiceFiscalePartitaIVAPagatore',
    });
  });
});

describe('piemontePayStatus', () => {
  it.each([
    ['PAID', '0', 'Pagato'],
    ['PAYABLE', '1', 'Non Pagato'],
    ['PAYMENT_IN_PROGRESS', '1', 'Non Pagato'],
    ['CANCELLED', '2', "Annullato dall'Ente"],
    ['NOT_YET_ACTIVE', '3', 'Non ancora attiva'],
    ['EXPIRED', '4', "Non piu' attiva"],
  ] as [DebtPositionStatus, string, string][])('maps %s to code %s (%s)', (status, code, description) => {
    expect(piemontePayStatus(status)).toEqual({ code, description });
  });
});

describe('contentHash', () => {
  it('is a sha-256 hex digest, stable across calls', () => {
    expect(contentHash(draft())).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash(draft())).toBe(contentHash(draft()));
  });

  it('does not depend on the order of keys, at any depth', () => {
    const d = draft({ dueDate: '2099-12-31', paymentReferences: [{ name: 'n', value: 'v' }] });
    const reversed = (o: object): unknown =>
      Array.isArray(o)
        ? o.map((x) => (x && typeof x === 'object' ? reversed(x) : x))
        : Object.fromEntries(
            Object.entries(o)
              .reverse()
              .map(([k, v]) => [k, v && typeof v === 'object' ? reversed(v) : v]),
          );
    const r = reversed(d) as DebtPositionDraft;
    expect(Object.keys(r)[0]).not.toBe(Object.keys(d)[0]);
    expect(Object.keys(r.debtor)[0]).not.toBe(Object.keys(d.debtor)[0]);
    expect(contentHash(r)).toBe(contentHash(d));
  });

  it('treats an undefined property as absent', () => {
    expect(contentHash({ ...draft(), dueDate: undefined })).toBe(contentHash(draft()));
  });

  it('changes with the content', () => {
    const base = contentHash(draft());
    const variants: DebtPositionDraft[] = [
      draft({ amountCents: 1251, components: [{ amountCents: 1251, causale: 'Copie' }] }),
      draft({ causale: 'Biblioteca-Copie eseguite su prenotazione.' }),
      draft({
        debtor: {
          type: 'F',
          fiscalCode: 'TSTPNI70D01L219V',
          name: 'Pina',
          surname: 'Test',
          email: 'pino.test@example.org',
        },
      }),
      draft({ dueDate: '2099-12-31' }),
      draft({ idPosizioneDebitoria: 'GEST-0002' }),
      draft({ paymentReferences: [{ name: 'n', value: 'v' }] }),
    ];
    const hashes = variants.map((v) => contentHash(v));
    for (const h of hashes) expect(h).not.toBe(base);
    expect(new Set(hashes).size).toBe(variants.length);
  });

  it('is sensitive to the order of components', () => {
    const a = draft({
      amountCents: 300,
      components: [
        { amountCents: 100, causale: 'A' },
        { amountCents: 200, causale: 'B' },
      ],
    });
    const b = draft({
      amountCents: 300,
      components: [
        { amountCents: 200, causale: 'B' },
        { amountCents: 100, causale: 'A' },
      ],
    });
    expect(contentHash(a)).not.toBe(contentHash(b));
  });

  it('includes the extra fields', () => {
    expect(contentHash(draft(), { iuv: '01000000000000144' })).not.toBe(contentHash(draft()));
    expect(contentHash(draft(), { iuv: '01000000000000144' })).toBe(
      contentHash(draft(), { iuv: '01000000000000144' }),
    );
  });
});
