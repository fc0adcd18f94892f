import { describe, expect, it } from 'vitest';
import type { Debtor } from '../../src/modules/debt-positions/domain/debt-position.js';
import { PrintingError } from '../../src/modules/printing/domain/errors.js';
import {
  buildNotice,
  creditorInfoLine,
  debtorAddressLine,
  debtorFullName,
  postalAccountNumber,
  whereToPayOf,
  type NoticeEnte,
  type NoticeOption,
  type NoticeSource,
} from '../../src/modules/printing/domain/notice-builder.js';

const TODAY = '2025-06-15';
const POSTAL_IBAN = 'IT48X0760110400000012345678';
const BANK_IBAN = 'IT60X0542811101000000123456';

const ente: NoticeEnte = {
  fiscalCode: '00429440068',
  name: 'Comune di Alessandria',
  sector: 'Servizi Bibliotecari',
  website: 'https://comune.alessandria.example/',
  email: 'protocollo@comune.alessandria.example',
  pec: null,
  phone: '0131 000000',
  cbill: 'AAL01',
  logo: null,
  secondLanguage: null,
  texts: {},
  postalAccountHolder: null,
  postalAuthorisation: null,
};

const pino: Debtor = { type: 'F', fiscalCode: 'tstpni70d01l219v', name: 'Pino', surname: 'Test' };

let seq = 0;
function option(o: Partial<NoticeOption> = {}): NoticeOption {
  seq += 1;
  return {
    id: seq,
    iuv: `0100000000000${String(seq).padStart(4, '0')}`,
    noticeNumber: `30100000000000${String(seq).padStart(4, '0')}`,
    amountCents: 10_000,
    status: 'PAYABLE',
    dueDate: '2025-07-31',
    validFrom: null,
    validTo: null,
    postalIban: null,
    instalmentNumber: null,
    thresholdKind: null,
    thresholdDays: null,
    activationOpen: false,
    ...o,
  };
}

function source(
  p: Partial<NoticeOption> & { causale?: string; debtor?: Debtor } = {},
  extra: Partial<NoticeSource> = {},
): NoticeSource {
  const { causale = 'Biblioteca - copie', debtor = pino, ...o } = p;
  return { ente, position: { ...option(o), causale, debtor }, document: null, ...extra };
}

function refusal(src: NoticeSource): PrintingError {
  try {
    buildNotice(src, TODAY);
  } catch (e) {
    if (PrintingError.is(e)) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('postal account of an IBAN', () => {
  it('is the last 12 digits of a Poste IBAN (ABI 07601), whatever the spacing and case', () => {
    expect(postalAccountNumber(POSTAL_IBAN)).toBe('000012345678');
    expect(postalAccountNumber('it48 x076 0110 4000 0001 2345 678')).toBe('000012345678');
  });

  it('is none for a bank IBAN, a foreign IBAN or a malformed one', () => {
    expect(postalAccountNumber(BANK_IBAN)).toBeNull();
    expect(postalAccountNumber('DE89370400440532013000')).toBeNull();
    expect(postalAccountNumber('IT48X076011040000001234567')).toBeNull();
    expect(postalAccountNumber('IT48X0760110400ABC012345678')).toBeNull();
  });
});

describe("the recipient's name and address", () => {
  it('names a person by name and surname, a company by its name', () => {
    expect(debtorFullName(pino)).toBe('Pino Test');
    expect(debtorFullName({ type: 'G', fiscalCode: '00429440068', company: ' ACME  S.p.A. ' })).toBe(
      'ACME S.p.A.',
    );
    expect(debtorFullName({ type: 'F', fiscalCode: 'X', company: 'Ditta Rossi' })).toBe('Ditta Rossi');
  });

  it('writes the address on one line, the nation only when not Italy', () => {
    const full = {
      ...pino,
      address: 'Via Roma',
      civic: '1',
      postalCode: '15121',
      locality: 'Alessandria',
      province: 'AL',
      nation: 'IT',
    };
    expect(debtorAddressLine(full)).toBe('Via Roma 1, 15121 Alessandria (AL)');
    expect(debtorAddressLine({ ...full, province: undefined, nation: 'fr' })).toBe(
      'Via Roma 1, 15121 Alessandria, FR',
    );
    expect(debtorAddressLine({ ...pino, locality: 'Torino' })).toBe('Torino');
    expect(debtorAddressLine(pino)).toBeUndefined();
  });
});

describe("the ente's info line and texts", () => {
  it('joins site (without scheme), e-mail, PEC and telephone', () => {
    expect(creditorInfoLine(ente)).toBe(
      'comune.alessandria.example - protocollo@comune.alessandria.example - 0131 000000',
    );
    expect(creditorInfoLine({ website: null, email: null, pec: 'a@pec.it', phone: null })).toBe('a@pec.it');
    expect(creditorInfoLine({ website: null, email: null, pec: null, phone: null })).toBeUndefined();
  });

  it('keeps only known languages and channels with a text', () => {
    expect(
      whereToPayOf({
        it: { online: ' Sul sito ', physical: '' },
        de: { physical: 'Post' },
        es: { online: 'x' },
        en: { email: 'x' },
      }),
    ).toEqual({ it: { online: 'Sul sito' }, de: { physical: 'Post' } });
    expect(whereToPayOf(null)).toEqual({});
    expect(whereToPayOf('x')).toEqual({});
  });
});

describe('the notice of a position on its own', () => {
  it('maps the position, the ente and the debtor', () => {
    const src = source({ debtor: { ...pino, locality: 'Torino' } });
    expect(buildNotice(src, TODAY)).toEqual({
      subject: 'Biblioteca - copie',
      creditor: {
        fiscalCode: '00429440068',
        name: 'Comune di Alessandria',
        sector: 'Servizi Bibliotecari',
        info: 'comune.alessandria.example - protocollo@comune.alessandria.example - 0131 000000',
        cbill: 'AAL01',
        logo: null,
        whereToPay: {},
      },
      recipient: { fiscalCode: 'TSTPNI70D01L219V', fullName: 'Pino Test', address: 'Torino' },
      languages: ['it'],
      single: {
        noticeNumber: src.position.noticeNumber,
        amountCents: 10_000,
        dueDate: '2025-07-31',
        instalment: undefined,
        postal: undefined,
      },
      instalments: [],
    });
  });

  it('has no recipient for ANONIMO, a second language, and the end of validity as due date', () => {
    const n = buildNotice(
      {
        ...source({ debtor: { type: null, fiscalCode: 'ANONIMO' }, dueDate: null, validTo: '2025-12-31' }),
        ente: { ...ente, secondLanguage: 'de' },
      },
      TODAY,
    );
    expect(n.recipient).toBeNull();
    expect(n.languages).toEqual(['it', 'de']);
    expect(n.single?.dueDate).toBe('2025-12-31');
    expect(buildNotice(source({ dueDate: null }), TODAY).single?.dueDate).toBeUndefined();
  });

  it("prints the Bollettino for a postal account: the holder is the ente's unless configured", () => {
    expect(buildNotice(source({ postalIban: POSTAL_IBAN }), TODAY).single?.postal).toEqual({
      accountNumber: '000012345678',
      holder: 'Comune di Alessandria',
      authorisation: undefined,
    });
    const configured = {
      ...source({ postalIban: POSTAL_IBAN }),
      ente: { ...ente, postalAccountHolder: 'Tesoreria comunale', postalAuthorisation: 'AUT. 123' },
    };
    expect(buildNotice(configured, TODAY).single?.postal).toEqual({
      accountNumber: '000012345678',
      holder: 'Tesoreria comunale',
      authorisation: 'AUT. 123',
    });
    expect(buildNotice(source({ postalIban: BANK_IBAN }), TODAY).single?.postal).toBeUndefined();
  });

  it('prints a position not yet active (a notice mailed before its validity starts)', () => {
    expect(
      buildNotice(source({ status: 'NOT_YET_ACTIVE', validFrom: '2025-09-01' }), TODAY).single,
    ).toBeDefined();
  });

  it.each([
    ['PAID', { status: 'PAID' }, '178'],
    ['CANCELLED', { status: 'CANCELLED' }, '179'],
    ['EXPIRED', { status: 'EXPIRED' }, '187'],
    ['EXPIRED', { status: 'PAYABLE', validTo: '2025-06-14' }, '187'],
    ['PAYMENT_IN_PROGRESS', { status: 'PAYMENT_IN_PROGRESS' }, '177'],
    ['AWAITING_AMOUNT', { amountCents: 0, debtor: { type: null, fiscalCode: 'ANONIMO' } }, '163'],
  ] as const)('refuses %s (%o) with code %s', (name, p, code) => {
    const e = refusal(source(p));
    expect(e.errorName).toBe(name);
    expect(e.code).toBe(code);
  });
});

describe('the notice of a document', () => {
  function doc(positions: NoticeOption[], asked: NoticeOption): NoticeSource {
    return {
      ente,
      position: { ...asked, causale: 'Rata', debtor: pino },
      document: { description: 'TARI 2025', positions },
    };
  }

  it('shows the single solution and every instalment in order, under the document description', () => {
    const single = option({ amountCents: 30_000 });
    const r2 = option({ instalmentNumber: 2, amountCents: 15_000, dueDate: '2025-09-30' });
    const r1 = option({ instalmentNumber: 1, amountCents: 15_000, postalIban: POSTAL_IBAN });
    const n = buildNotice(doc([single, r2, r1], r2), TODAY);
    expect(n.subject).toBe('TARI 2025');
    expect(n.single?.noticeNumber).toBe(single.noticeNumber);
    expect(n.instalments.map((i) => [i.noticeNumber, i.instalment, i.amountCents])).toEqual([
      [r1.noticeNumber, 1, 15_000],
      [r2.noticeNumber, 2, 15_000],
    ]);
    expect(n.instalments[0]!.postal?.accountNumber).toBe('000012345678');
    expect(n.instalments[1]!.postal).toBeUndefined();
  });

  it('leaves out the single solution once an instalment is paid, and paid or cancelled instalments', () => {
    const single = option();
    const r1 = option({ instalmentNumber: 1, status: 'PAID' });
    const r2 = option({ instalmentNumber: 2 });
    const r3 = option({ instalmentNumber: 3 });
    const r4 = option({ instalmentNumber: 4, status: 'CANCELLED' });
    const n = buildNotice(doc([single, r1, r2, r3, r4], r3), TODAY);
    expect(n.single).toBeUndefined();
    expect(n.instalments.map((i) => i.instalment)).toEqual([2, 3]);
    // "RATA 3 di 4": the document's instalments in all, the paid and cancelled ones too
    expect(n.instalmentsTotal).toBe(4);
    // the single solution itself has no notice any more
    const e = refusal(doc([single, r1, r2, r3], single));
    expect(e.errorName).toBe('PAID');
  });

  it('has no notice for an instalment once the single solution is paid or being paid', () => {
    const r1 = option({ instalmentNumber: 1 });
    const r2 = option({ instalmentNumber: 2 });
    expect(refusal(doc([option({ status: 'PAID' }), r1, r2], r1)).errorName).toBe('PAID');
    expect(refusal(doc([option({ status: 'PAYMENT_IN_PROGRESS' }), r1, r2], r1)).errorName).toBe(
      'PAYMENT_IN_PROGRESS',
    );
  });

  it('prints the one option left as a single payment, with its instalment number', () => {
    const r1 = option({ instalmentNumber: 1, status: 'PAID' });
    const r2 = option({ instalmentNumber: 2 });
    const n = buildNotice(doc([r1, r2], r2), TODAY);
    expect(n.instalments).toEqual([]);
    expect(n.single).toMatchObject({ noticeNumber: r2.noticeNumber, instalment: 2 });
    expect(n.instalmentsTotal).toBe(2);
  });

  it('in a print run, prints what the document still offers whichever of its positions stands for it', () => {
    const single = option();
    const r1 = option({ instalmentNumber: 1, status: 'PAID' });
    const r2 = option({ instalmentNumber: 2 });
    const r3 = option({ instalmentNumber: 3 });
    // the single solution, blocked by the paid instalment, stands for the document in the run
    expect(refusal(doc([single, r1, r2, r3], single)).errorName).toBe('PAID');
    const n = buildNotice(doc([single, r1, r2, r3], single), TODAY, { wholeDocument: true });
    expect(n.single).toBeUndefined();
    expect(n.instalments.map((i) => i.noticeNumber)).toEqual([r2.noticeNumber, r3.noticeNumber]);
    // nothing left to pay: the run skips it with the position's own reason
    const paid = option({ status: 'PAID' });
    expect(() =>
      buildNotice(
        doc([paid, option({ instalmentNumber: 1 }), option({ instalmentNumber: 2 })], paid),
        TODAY,
        {
          wholeDocument: true,
        },
      ),
    ).toThrow(/pagat/i);
  });

  it('has no notice while another plan was activated by pagoPA (its payment token alive)', () => {
    const single = option({ activationOpen: true });
    const r1 = option({ instalmentNumber: 1 });
    const r2 = option({ instalmentNumber: 2 });
    expect(refusal(doc([single, r1, r2], r1)).errorName).toBe('PAYMENT_IN_PROGRESS');
    // an instalment activated leaves the other instalments printable, not the single solution
    const a1 = option({ instalmentNumber: 1, activationOpen: true });
    const n = buildNotice(doc([option(), a1, r2], r2), TODAY);
    expect(n.single).toBeUndefined();
    expect(n.instalments.map((i) => i.instalment)).toEqual([1, 2]);
  });

  it('has no notice for the threshold beyond once the one within is paid', () => {
    const within = option({ thresholdKind: 'ENTRO', thresholdDays: 5, status: 'PAID' });
    const beyond = option({ thresholdKind: 'OLTRE', thresholdDays: 5 });
    expect(refusal(doc([within, beyond], beyond)).errorName).toBe('PAID');
  });

  it('prints a threshold position (documento.soglia) as a notice of its own', () => {
    const within = option({ thresholdKind: 'ENTRO', thresholdDays: 5, amountCents: 7_000 });
    const beyond = option({ thresholdKind: 'OLTRE', thresholdDays: 5, amountCents: 10_000 });
    const n = buildNotice(doc([within, beyond], within), TODAY);
    expect(n.single?.noticeNumber).toBe(within.noticeNumber);
    expect(n.instalments).toEqual([]);
  });
});
