import { describe, expect, it } from 'vitest';
import { PaaFault } from '../../src/modules/pagopa/domain/faults.js';
import {
  allTransfersPostal,
  answeredDueDate,
  assertCaller,
  assertPayable,
  debtorSubject,
  paymentData,
  transfers,
  type Creditor,
  type PayablePosition,
  type PaymentTypeAccounts,
} from '../../src/modules/pagopa/domain/notice.js';
import { receiptEffect } from '../../src/modules/pagopa/domain/receipt.js';
import { debtorOf, type DebtorRow } from '../../src/modules/debt-positions/infra/position-row.js';
import { faultBody, paymentBody, verifyBody } from '../../src/http/soap/pa-for-node-messages.js';
import {
  parseSoapRequest,
  soapFault,
  soapResponse,
  SoapEnvelopeError,
} from '../../src/shared/soap/soap-envelope.js';
import { xmlEscape } from '../../src/shared/soap/xml-text.js';
import { validateSoapResponse } from '../helpers/xsd.js';

const TODAY = '2026-03-02';
const creditor: Creditor = {
  enteId: 1,
  fiscalCode: '00429440068',
  companyName: 'Comune di Alessandria',
  officeName: null,
  idBrokerPA: '80087670016',
  idStation: '80087670016_01',
  active: true,
  province: 'AL',
};
const bank = 'IT60X0542811101000000123456';
const postal = 'IT48X0760110400000012345678';
const pt: PaymentTypeAccounts = {
  iban: bank,
  ibanPostale: postal,
  ibanAppoggio: null,
  transferCategory: '9/0201133IM/',
  marcaDaBollo: false,
};

/** A payable position as loaded from its row: the overrides name the debtor's columns, mapped as the repository maps them. */
function pos(o: Partial<Omit<PayablePosition, 'debtor'> & DebtorRow> = {}): PayablePosition {
  const row: Omit<PayablePosition, 'debtor'> & DebtorRow = {
    id: 1,
    iuv: '01000000000000144',
    noticeNumber: '301000000000000144',
    amountCents: 1000,
    components: [{ amountCents: 1000, causale: 'Quota' }],
    causale: 'Quota',
    status: 'PAYABLE',
    validFrom: null,
    validTo: null,
    dueDate: null,
    debtorType: 'F',
    debtorFiscalCode: 'TSTPNI70D01L219V',
    debtorName: 'Pino',
    debtorSurname: 'Test',
    debtorCompany: null,
    debtorAddress: null,
    debtorCivic: null,
    debtorPostalCode: null,
    debtorLocality: null,
    debtorProvince: null,
    debtorNation: null,
    debtorEmail: null,
    paymentReferences: [],
    ...o,
  };
  return { ...row, debtor: debtorOf(row) };
}

function faultOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof PaaFault) return e.code;
    throw e;
  }
  return 'none';
}

describe('assertCaller', () => {
  const req = { idPA: '00429440068', idBrokerPA: '80087670016', idStation: '80087670016_01' };
  it('checks the ente, then the broker, then the station', () => {
    expect(faultOf(() => assertCaller({ ...req, idBrokerPA: 'x', idStation: 'y' }, undefined, {}))).toBe(
      'PAA_ID_DOMINIO_ERRATO',
    );
    expect(faultOf(() => assertCaller({ ...req, idBrokerPA: 'x', idStation: 'y' }, creditor, {}))).toBe(
      'PAA_ID_INTERMEDIARIO_ERRATO',
    );
    expect(faultOf(() => assertCaller({ ...req, idStation: 'y' }, creditor, {}))).toBe(
      'PAA_STAZIONE_INT_ERRATA',
    );
    expect(faultOf(() => assertCaller(req, creditor, {}))).toBe('none');
  });
  it('uses the global identifiers only for enti without their own, and matches nothing when none is configured', () => {
    const bare = { ...creditor, idBrokerPA: null, idStation: null };
    expect(faultOf(() => assertCaller(req, bare, {}))).toBe('PAA_ID_INTERMEDIARIO_ERRATO');
    expect(faultOf(() => assertCaller(req, bare, { idBrokerPA: req.idBrokerPA }))).toBe(
      'PAA_STAZIONE_INT_ERRATA',
    );
    expect(
      faultOf(() => assertCaller(req, bare, { idBrokerPA: req.idBrokerPA, idStation: req.idStation })),
    ).toBe('none');
    expect(faultOf(() => assertCaller(req, creditor, { idBrokerPA: '99999999999' }))).toBe('none');
  });
  it('refuses an inactive ente unless told to accept it (receipts)', () => {
    const inactive = { ...creditor, active: false };
    expect(faultOf(() => assertCaller(req, inactive, {}))).toBe('PAA_ID_DOMINIO_ERRATO');
    expect(faultOf(() => assertCaller(req, inactive, {}, { acceptInactive: true }))).toBe('none');
  });
  it('names the requested idPA as the fault id', () => {
    try {
      assertCaller({ ...req, idPA: '12345678901' }, undefined, {});
    } catch (e) {
      expect((e as PaaFault).id).toBe('12345678901');
      expect((e as PaaFault).faultString).toBe('La PAA non corrisponde al Dominio indicato');
    }
  });
});

describe('assertPayable', () => {
  it.each([
    [undefined, 'PAA_PAGAMENTO_SCONOSCIUTO'],
    [pos({ status: 'PAID' }), 'PAA_PAGAMENTO_DUPLICATO'],
    [pos({ status: 'CANCELLED' }), 'PAA_PAGAMENTO_ANNULLATO'],
    [pos({ status: 'EXPIRED' }), 'PAA_PAGAMENTO_SCADUTO'],
    [pos({ validTo: '2026-03-01' }), 'PAA_PAGAMENTO_SCADUTO'],
    [pos({ status: 'NOT_YET_ACTIVE', validFrom: '2026-04-01' }), 'PAA_PAGAMENTO_SCONOSCIUTO'],
    [pos({ status: 'NOT_YET_ACTIVE', validFrom: '2026-03-02' }), 'none'],
    [pos({ status: 'PAYMENT_IN_PROGRESS' }), 'PAA_PAGAMENTO_IN_CORSO'],
    [pos({ amountCents: 0, debtorFiscalCode: 'ANONIMO', debtorType: null }), 'PAA_PAGAMENTO_SCONOSCIUTO'],
    [pos({ validTo: '2026-03-02' }), 'none'],
  ])('%# → %s', (p, code) => {
    expect(faultOf(() => assertPayable(p, '00429440068', TODAY))).toBe(code);
  });
});

describe('transfers and payment data', () => {
  it('picks accounts by transferType', () => {
    expect(transfers(pos(), pt, creditor, 2, undefined)[0]!.iban).toBe(bank);
    expect(transfers(pos(), pt, creditor, 2, 'POSTAL')[0]!.iban).toBe(postal);
    expect(transfers(pos(), { ...pt, ibanPostale: null }, creditor, 1, 'POSTAL')[0]!.iban).toBe(bank);
    expect(transfers(pos(), { ...pt, iban: null }, creditor, 1, undefined)[0]!.iban).toBe(postal);
    expect(
      faultOf(() => transfers(pos(), { ...pt, iban: null, ibanPostale: null }, creditor, 2, undefined)),
    ).toBe('PAA_SEMANTICA');
  });
  it('adds IBANAPPOGGIO only for V2 with transferType PAGOPA, with a postal account in IBAN or IBANAPPOGGIO', () => {
    const appoggio = 'IT02A0300203280000000000001';
    expect(transfers(pos(), pt, creditor, 2, 'PAGOPA')[0]!.metadata).toEqual([
      { key: 'IBANAPPOGGIO', value: postal },
    ]);
    // the transfer goes to the bank: the postal account is the one that must appear, even with an iban_appoggio
    expect(transfers(pos(), { ...pt, ibanAppoggio: appoggio }, creditor, 2, 'PAGOPA')[0]!.metadata).toEqual([
      { key: 'IBANAPPOGGIO', value: postal },
    ]);
    // only a postal account: it is the IBAN, the alternative is iban_appoggio, else the same account
    const onlyPostal = transfers(
      pos(),
      { ...pt, iban: null, ibanAppoggio: appoggio },
      creditor,
      2,
      'PAGOPA',
    )[0]!;
    expect(onlyPostal.iban).toBe(postal);
    expect(onlyPostal.metadata).toEqual([{ key: 'IBANAPPOGGIO', value: appoggio }]);
    expect(transfers(pos(), { ...pt, iban: null }, creditor, 2, 'PAGOPA')[0]!.metadata).toEqual([
      { key: 'IBANAPPOGGIO', value: postal },
    ]);
    // no postal account at all: the alternative is still given (iban_appoggio, else the bank IBAN)
    expect(
      transfers(pos(), { ...pt, ibanPostale: null, ibanAppoggio: appoggio }, creditor, 2, 'PAGOPA')[0]!
        .metadata,
    ).toEqual([{ key: 'IBANAPPOGGIO', value: appoggio }]);
    expect(transfers(pos(), pt, creditor, 1, 'PAGOPA')[0]!.metadata).toEqual([]);
    expect(transfers(pos(), pt, creditor, 2, 'POSTAL')[0]!.metadata).toEqual([]);
  });
  it('refuses components that do not add up, zero components and more than five', () => {
    expect(
      faultOf(() =>
        transfers(pos({ components: [{ amountCents: 900, causale: 'x' }] }), pt, creditor, 2, undefined),
      ),
    ).toBe('PAA_SEMANTICA');
    expect(
      faultOf(() =>
        transfers(
          pos({
            components: [
              { amountCents: 1000, causale: 'x' },
              { amountCents: 0, causale: 'y' },
            ],
          }),
          pt,
          creditor,
          2,
          undefined,
        ),
      ),
    ).toBe('PAA_SEMANTICA');
    const six = Array.from({ length: 6 }, () => ({ amountCents: 100, causale: 'x' }));
    expect(
      faultOf(() => transfers(pos({ amountCents: 600, components: six }), pt, creditor, 2, undefined)),
    ).toBe('PAA_SEMANTICA');
  });
  it('marca da bollo: V2 only; hash and province from the references, else derived, else the debtor or ente province', () => {
    const bollo = { ...pt, iban: null, ibanPostale: null, marcaDaBollo: true };
    expect(faultOf(() => transfers(pos(), bollo, creditor, 1, undefined))).toBe('PAA_SEMANTICA');
    const given = transfers(
      pos({
        paymentReferences: [
          { name: 'hashDocumento', value: 'YWJjZA==' },
          { name: 'provinciaResidenza', value: 'TO' },
        ],
      }),
      bollo,
      creditor,
      2,
      undefined,
    )[0]!;
    expect(given.iban).toBeUndefined();
    expect(given).toMatchObject({
      marcaDaBollo: { hashDocumento: 'YWJjZA==', tipoBollo: '01', provinciaResidenza: 'TO' },
    });
    const derived = transfers(pos({ debtorProvince: 'MI' }), bollo, creditor, 2, undefined)[0]!.marcaDaBollo!;
    expect(derived.hashDocumento).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(derived.provinciaResidenza).toBe('MI');
    expect(
      transfers(pos({ debtorProvince: 'Alessandria' }), bollo, creditor, 2, undefined)[0]!.marcaDaBollo!
        .provinciaResidenza,
    ).toBe('AL');
    expect(faultOf(() => transfers(pos(), bollo, { ...creditor, province: null }, 2, undefined))).toBe(
      'PAA_SEMANTICA',
    );
    expect(allTransfersPostal(bollo)).toBe(false);
    expect(allTransfersPostal(pt)).toBe(true);
    expect(allTransfersPostal({ ...pt, ibanPostale: null })).toBe(false);
  });
  it('answers the due date, else the validity end, else 2099-12-31', () => {
    expect(answeredDueDate({ dueDate: '2026-04-30', validTo: '2026-05-31' })).toBe('2026-04-30');
    expect(answeredDueDate({ dueDate: null, validTo: '2026-05-31' })).toBe('2026-05-31');
    expect(answeredDueDate({ dueDate: null, validTo: null })).toBe('2099-12-31');
  });
  it('writes debtors within the XSD limits', () => {
    const long = debtorSubject(
      pos({
        debtorName: 'N'.repeat(60),
        debtorSurname: 'S'.repeat(60),
        debtorEmail: 'not an email',
        debtorNation: 'it',
      }),
    );
    expect(long.fullName).toHaveLength(70);
    expect(long.email).toBeUndefined();
    expect(long.country).toBeUndefined();
    expect(
      debtorSubject(pos({ debtorType: 'G', debtorFiscalCode: '00429440068', debtorCompany: 'ACME Srl' })),
    ).toMatchObject({ type: 'G', id: '00429440068', fullName: 'ACME Srl' });
    expect(
      debtorSubject(
        pos({ debtorType: null, debtorFiscalCode: 'ANONIMO', debtorName: null, debtorSurname: null }),
      ),
    ).toMatchObject({ type: 'F', id: 'ANONIMO', fullName: 'ANONIMO' });
  });
});

describe('receiptEffect', () => {
  it.each([
    ['PAYABLE', 1000, 'OK', null, true],
    ['PAYMENT_IN_PROGRESS', 1000, 'OK', null, true],
    ['PAYABLE', 900, 'OK', 'AMOUNT_MISMATCH', true],
    ['PAID', 1000, 'OK', 'DOUBLE_PAYMENT', false],
    ['CANCELLED', 1000, 'OK', 'POSITION_CANCELLED', false],
    ['EXPIRED', 900, 'OK', 'POSITION_EXPIRED', true],
    ['NOT_YET_ACTIVE', 1000, 'OK', 'POSITION_NOT_YET_ACTIVE', true],
    ['PAYABLE', 1000, 'KO', null, false],
    ['PAID', 1000, 'KO', null, false],
  ] as const)('%s, receipt of %i cents %s → %s', (status, amountCents, outcome, anomaly, markPaid) => {
    expect(receiptEffect({ status, amountCents: 1000 }, { outcome, amountCents })).toEqual({
      anomaly,
      markPaid,
    });
  });
  it('keeps an unknown notice as UNKNOWN_POSITION only when money was collected', () => {
    expect(receiptEffect(undefined, { outcome: 'OK', amountCents: 1 })).toEqual({
      anomaly: 'UNKNOWN_POSITION',
      markPaid: false,
    });
    expect(receiptEffect(undefined, { outcome: 'KO', amountCents: 1 })).toEqual({
      anomaly: null,
      markPaid: false,
    });
  });
});

describe('XML at the SOAP edge', () => {
  it('escapes markup and drops characters XML 1.0 cannot carry', () => {
    expect(xmlEscape('a & b < c > "d"')).toBe('a &amp; b &lt; c &gt; &quot;d&quot;');
    expect(xmlEscape('ok\u0001\u0008 \uD800x 😀')).toBe('ok x 😀');
    expect(xmlEscape('plain')).toBe('plain');
  });

  it('reads envelopes whatever their prefixes, refusing SOAP 1.2 and non-envelopes', () => {
    const r = parseSoapRequest(
      '<a:Envelope xmlns:a="http://schemas.xmlsoap.org/soap/envelope/"><a:Body xmlns:b="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><b:paSendRTReq><b:idPA>1</b:idPA><receipt><transferList><transfer><idTransfer>1</idTransfer></transfer><transfer><idTransfer>2</idTransfer></transfer></transferList></receipt></b:paSendRTReq></a:Body></a:Envelope>',
    );
    expect(r).toEqual({
      element: 'paSendRTReq',
      namespace: 'http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd',
      body: {
        idPA: '1',
        receipt: { transferList: { transfer: [{ idTransfer: '1' }, { idTransfer: '2' }] } },
      },
    });
    const code = (xml: string) => {
      try {
        parseSoapRequest(xml);
        return 'parsed';
      } catch (e) {
        return (e as SoapEnvelopeError).faultCode;
      }
    };
    expect(
      code(
        '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><x/></e:Body></e:Envelope>',
      ),
    ).toBe('VersionMismatch');
    expect(code('<Envelope><Body><x/></Body></Envelope>')).toBe('Client');
    expect(
      code(
        '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><x/><y/></e:Body></e:Envelope>',
      ),
    ).toBe('Client');
    expect(code('<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>')).toBe('Client');
  });

  it('writes responses and faults the official schemas accept (the XSD helper refuses what they do not)', () => {
    const data = paymentData(pos({ causale: 'Tassa & <diritti>' }), pt, creditor, 2, 'PAGOPA');
    expect(validateSoapResponse(soapResponse('paGetPaymentV2Response', paymentBody(data, 2))).element).toBe(
      'paGetPaymentV2Response',
    );
    expect(
      validateSoapResponse(
        soapResponse('paGetPaymentRes', paymentBody(paymentData(pos(), pt, creditor, 1, undefined), 1)),
      ).element,
    ).toBe('paGetPaymentRes');
    const verify = verifyBody({
      iuv: '1',
      option: { amountCents: 1, dueDate: undefined, description: 'x', allCCP: false },
      paymentDescription: 'x',
      fiscalCodePA: '00429440068',
      companyName: 'c',
      officeName: null,
    });
    expect(validateSoapResponse(soapResponse('paVerifyPaymentNoticeRes', verify)).element).toBe(
      'paVerifyPaymentNoticeRes',
    );
    const fault = faultBody({
      code: 'PAA_SEMANTICA',
      faultString: 'Errore semantico',
      id: '00429440068',
      description: 'a < b',
    });
    expect(validateSoapResponse(soapResponse('paSendRTV2Response', fault)).element).toBe(
      'paSendRTV2Response',
    );
    expect(validateSoapResponse(soapFault('Client', 'x & y')).element).toBe('Fault');
    // The helper is not a rubber stamp: qualified children, missing required data and a bare Fault fail.
    expect(() =>
      validateSoapResponse(soapResponse('paSendRTRes', '<pafn:outcome>OK</pafn:outcome>')),
    ).toThrow(/not valid/);
    expect(() =>
      validateSoapResponse(
        soapResponse(
          'paGetPaymentV2Response',
          '<outcome>OK</outcome><data><creditorReferenceId>1</creditorReferenceId></data>',
        ),
      ),
    ).toThrow(/not valid/);
    expect(() =>
      validateSoapResponse(
        soapResponse(
          'paVerifyPaymentNoticeRes',
          '<outcome>OK</outcome><paymentList><paymentOptionDescription><amount>0.00</amount><options>EQ</options><allCCP>false</allCCP></paymentOptionDescription></paymentList>',
        ),
      ),
    ).toThrow(/not valid/);
  });
});
