import { describe, expect, it } from 'vitest';
import { defineCatalog, DomainError, HTTP_STATUS_OF_KIND } from '../../src/shared/domain-error.js';
import { serializeError } from '../../src/shared/safe-error.js';
import { DebtPositionError } from '../../src/modules/debt-positions/domain/errors.js';
import { ListAckError } from '../../src/modules/gestionali/domain/lists.js';
import { faultStringOf, PaaFault } from '../../src/modules/pagopa/domain/faults.js';
import { ReceiptsError } from '../../src/modules/pagopa/domain/receipts-errors.js';
import { ESITO } from '../../src/shared/piemontepay/codes.js';

/** A module's catalog as every module writes it: a table, and a class named after the module's errors. */
class ParcelError extends defineCatalog({
  PARCEL_LOST: { code: 'P404', kind: 'not-found' },
  PARCEL_LATE: { kind: 'conflict' },
  PARCEL_OPENED: { code: 'P409', kind: 'conflict', message: 'Pacco aperto' },
}) {}

class OtherError extends defineCatalog({ PARCEL_LOST: { kind: 'not-found' } }) {}

describe('An error catalog (defineCatalog)', () => {
  it("gives each error its table's code and kind, the thrower's message and field", () => {
    const e = new ParcelError('PARCEL_LOST', 'Pacco 42 non trovato', 'parcelId');
    expect(e).toBeInstanceOf(DomainError);
    expect(e).toBeInstanceOf(Error);
    expect({
      errorName: e.errorName,
      code: e.code,
      kind: e.kind,
      message: e.message,
      field: e.field,
    }).toEqual({
      errorName: 'PARCEL_LOST',
      code: 'P404',
      kind: 'not-found',
      message: 'Pacco 42 non trovato',
      field: 'parcelId',
    });
    expect(HTTP_STATUS_OF_KIND[e.kind]).toBe(404);
  });

  it("uses the entry's name as its code when the table gives none, and the table's message when the thrower gives none", () => {
    expect(new ParcelError('PARCEL_LATE', 'in ritardo').code).toBe('PARCEL_LATE');
    expect(new ParcelError('PARCEL_OPENED').message).toBe('Pacco aperto');
    expect(new ParcelError('PARCEL_OPENED', 'aperto alla dogana').message).toBe('aperto alla dogana');
    expect(new ParcelError('PARCEL_LATE').message).toBe('PARCEL_LATE');
  });

  it("keeps the module's class name for err.name, the logger's type and instanceof", () => {
    const e = new ParcelError('PARCEL_LOST', 'x');
    expect(e.name).toBe('ParcelError');
    expect(e.constructor.name).toBe('ParcelError');
    expect(serializeError(e)).toMatchObject({ type: 'ParcelError', code: 'P404', kind: 'not-found' });
    expect(e).not.toBeInstanceOf(OtherError);
  });

  it('gives each catalog a guard of its own errors', () => {
    const mine: unknown = new ParcelError('PARCEL_LOST', 'x');
    const other: unknown = new OtherError('PARCEL_LOST', 'x');
    expect(ParcelError.is(mine)).toBe(true);
    expect(ParcelError.is(other)).toBe(false);
    expect(ParcelError.is(new Error('x'))).toBe(false);
    expect(OtherError.is(other)).toBe(true);
  });

  it('lists its table', () => {
    expect(Object.keys(ParcelError.table)).toEqual(['PARCEL_LOST', 'PARCEL_LATE', 'PARCEL_OPENED']);
  });
});

describe("The modules' catalogs", () => {
  it("answer PiemontePAY's codes (codiceEsito) for the debt positions, the lists and the receipts", () => {
    expect(new DebtPositionError('TOO_MANY_COMPONENTS', 'x').code).toBe('183');
    expect(new DebtPositionError('REFERENCES_INVALID', 'x').code).toBe('193');
    expect(new DebtPositionError('CALLER_NOT_AUTHENTICATED', 'x')).toMatchObject({
      code: ESITO.GENERIC_ERROR,
      kind: 'unauthorized',
      name: 'DebtPositionError',
    });
    expect(new ListAckError('BLANK_ID', 'x').code).toBe('101');
    expect(new ListAckError('DUPLICATE_MESSAGE', 'x').code).toBe('112');
    expect(new ReceiptsError('RECEIPT_NOT_FOUND', 'x').code).toBe('188');
  });

  it("make a PAA fault's message its official faultString unless a description is given", () => {
    const f = new PaaFault('PAA_PAGAMENTO_SCONOSCIUTO', '00429440068');
    expect(f.message).toBe('Pagamento in attesa risulta sconosciuto all’Ente Creditore');
    expect(f.faultString).toBe(faultStringOf('PAA_PAGAMENTO_SCONOSCIUTO'));
    expect(new PaaFault('PAA_SEMANTICA', '00429440068', 'importo errato')).toMatchObject({
      code: 'PAA_SEMANTICA',
      message: 'importo errato',
      faultString: 'Errore semantico',
      description: 'importo errato',
      name: 'PaaFault',
    });
  });
});
