import { describe, expect, it } from 'vitest';
import { readLandingForm, unpayableReason } from '../../src/modules/portal/domain/session.js';

// What the Sportello accepts from a gestionale's redirect (seed 000 §2.1), and which positions it refuses
// to pay (§3.4), before any database or digest is looked at.

const valid = {
  codiceChiamante: 'AP_01',
  digest: 'a'.repeat(64),
  iuv: '01000000000000123',
  codiceFiscale: '00429440068',
  identificativoPagamento: 'POSDEB1_1234596724100',
};

describe('readLandingForm: the fields of the redirect', () => {
  it('reads the five fields, trimmed, the fiscal code in capitals', () => {
    expect(
      readLandingForm({
        ...valid,
        codiceChiamante: '  AP_01 ',
        codiceFiscale: ' tstpni70d01l219v\n',
        identificativoPagamento: '\tPOSDEB1_1234596724100 ',
      }),
    ).toEqual({
      ok: true,
      form: { ...valid, codiceFiscale: 'TSTPNI70D01L219V' },
    });
  });

  it('ignores fields it does not know', () => {
    expect(readLandingForm({ ...valid, extra: 'x', importo: '10.00' })).toEqual({
      ok: true,
      form: valid,
    });
  });

  it('names the first missing field, in the order of the form', () => {
    expect(readLandingForm({})).toEqual({ ok: false, field: 'codiceChiamante' });
    for (const field of Object.keys(valid)) {
      const without = Object.fromEntries(Object.entries(valid).filter(([k]) => k !== field));
      expect(readLandingForm(without), field).toEqual({ ok: false, field });
      expect(readLandingForm({ ...valid, [field]: '   ' }), `${field} blank`).toEqual({ ok: false, field });
    }
  });

  it('reads a body that is not an object (or a field that is not a string) as missing fields', () => {
    for (const body of [undefined, null, '', 'codiceChiamante=AP_01', 42, true, []])
      expect(readLandingForm(body), JSON.stringify(body)).toEqual({ ok: false, field: 'codiceChiamante' });
    expect(readLandingForm({ ...valid, iuv: ['01000000000000123'] })).toEqual({ ok: false, field: 'iuv' });
    expect(readLandingForm({ ...valid, digest: 123 })).toEqual({ ok: false, field: 'digest' });
  });

  it('codiceChiamante: letters, digits and _ . -, 1 to 50', () => {
    for (const ok of ['A', 'AP_01', 'gest.ionale-2', 'x'.repeat(50)])
      expect(readLandingForm({ ...valid, codiceChiamante: ok }).ok, ok).toBe(true);
    for (const bad of ['x'.repeat(51), 'AP 01', 'AP/01', "AP'01", 'àp'])
      expect(readLandingForm({ ...valid, codiceChiamante: bad }), bad).toEqual({
        ok: false,
        field: 'codiceChiamante',
      });
  });

  it('digest: any text up to 100 characters (its value is checked later, against the passphrase)', () => {
    expect(readLandingForm({ ...valid, digest: 'x' }).ok).toBe(true);
    expect(readLandingForm({ ...valid, digest: 'x'.repeat(100) }).ok).toBe(true);
    expect(readLandingForm({ ...valid, digest: 'x'.repeat(101) })).toEqual({ ok: false, field: 'digest' });
  });

  it('iuv: letters and digits, 1 to 35', () => {
    expect(readLandingForm({ ...valid, iuv: 'A' }).ok).toBe(true);
    expect(readLandingForm({ ...valid, iuv: '9'.repeat(35) }).ok).toBe(true);
    for (const bad of ['9'.repeat(36), '0100000000-0000123', '01000000000000123;', 'RF 18 5390'])
      expect(readLandingForm({ ...valid, iuv: bad }), bad).toEqual({ ok: false, field: 'iuv' });
  });

  it("codiceFiscale: letters and digits, 11 to 35 (an ente's 11 digits, a person's 16 characters, a foreign code)", () => {
    for (const ok of ['00429440068', 'TSTPNI70D01L219V', 'A'.repeat(35)])
      expect(readLandingForm({ ...valid, codiceFiscale: ok }).ok, ok).toBe(true);
    for (const bad of ['0042944006', 'A'.repeat(36), 'TSTPNI70D01L219-', 'ANONIMO'])
      expect(readLandingForm({ ...valid, codiceFiscale: bad }), bad).toEqual({
        ok: false,
        field: 'codiceFiscale',
      });
  });

  it('identificativoPagamento: only its presence here (its form and reuse are refusals of their own)', () => {
    expect(readLandingForm({ ...valid, identificativoPagamento: 'not [A-Za-z0-9_-]!' }).ok).toBe(true);
    expect(readLandingForm({ ...valid, identificativoPagamento: '' })).toEqual({
      ok: false,
      field: 'identificativoPagamento',
    });
  });
});

describe('unpayableReason: which positions the Sportello refuses to pay', () => {
  const today = '2026-03-10';
  const payable = { status: 'PAYABLE' as const, amountCents: 1000 };

  it('a payable position with an amount: none', () => {
    expect(unpayableReason(payable, today)).toBeNull();
    expect(unpayableReason({ ...payable, amountCents: 1 }, today)).toBeNull();
  });

  it('paid, cancelled, in payment: said so whatever the dates', () => {
    const dates = { validFrom: '2099-01-01', validTo: '2000-01-01' };
    expect(unpayableReason({ ...payable, ...dates, status: 'PAID' }, today)).toBe('POSITION_PAID');
    expect(unpayableReason({ ...payable, ...dates, status: 'CANCELLED' }, today)).toBe('POSITION_CANCELLED');
    expect(unpayableReason({ ...payable, ...dates, status: 'PAYMENT_IN_PROGRESS' }, today)).toBe(
      'POSITION_IN_PAYMENT',
    );
  });

  it('the validity dates are inclusive: payable on its first and last day, expired the day after', () => {
    expect(unpayableReason({ ...payable, validFrom: today, validTo: today }, today)).toBeNull();
    expect(unpayableReason({ ...payable, validTo: '2026-03-09' }, today)).toBe('POSITION_EXPIRED');
    expect(unpayableReason({ ...payable, validFrom: '2026-03-11' }, today)).toBe('POSITION_NOT_YET_PAYABLE');
  });

  it('the stored status EXPIRED or NOT_YET_ACTIVE counts only as the dates say today', () => {
    expect(unpayableReason({ ...payable, status: 'EXPIRED' }, today)).toBe('POSITION_EXPIRED');
    expect(unpayableReason({ ...payable, status: 'NOT_YET_ACTIVE' }, today)).toBeNull();
    expect(unpayableReason({ ...payable, status: 'NOT_YET_ACTIVE', validFrom: '2026-03-11' }, today)).toBe(
      'POSITION_NOT_YET_PAYABLE',
    );
  });

  it('an amount of zero (an ANONIMO fine still waiting for the offender) is not yet payable', () => {
    expect(unpayableReason({ ...payable, amountCents: 0 }, today)).toBe('POSITION_NOT_YET_PAYABLE');
    // the dates come first: an expired fine is expired
    expect(unpayableReason({ ...payable, amountCents: 0, validTo: '2026-03-09' }, today)).toBe(
      'POSITION_EXPIRED',
    );
  });
});
