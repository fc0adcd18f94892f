import type { Database } from '../../../db/database.js';
import type { SecondLanguage } from '../../printing/domain/notice-document.js';
import {
  assertPaymentTypeConsistent,
  EnteInput,
  EntePatch,
  NoticeTexts,
  OrganizationError,
  PaymentTypeInput,
  PaymentTypePatch,
} from '../domain/organizations.js';
import * as repo from '../infra/organizations-repository.js';
import type { EnteRow, PaymentTypeRow } from '../infra/organizations-repository.js';

export interface EnteView {
  codiceFiscale: string;
  denominazione: string;
  unitaOrganizzativa: string | null;
  codiceSegregazione: string;
  applicationCode: string | null;
  cbill: string | null;
  ibanBancario: string | null;
  ibanPostale: string | null;
  hasLogo: boolean;
  email: string | null;
  pec: string | null;
  telefono: string | null;
  sitoWeb: string | null;
  indirizzo: string | null;
  civico: string | null;
  cap: string | null;
  localita: string | null;
  provincia: string | null;
  idBrokerPA: string | null;
  idStation: string | null;
  active: boolean;
  noticeSecondLanguage: SecondLanguage | null;
  noticeTexts: NoticeTexts;
  postalAccountHolder: string | null;
  postalAuthorisation: string | null;
}

export interface PaymentTypeView {
  enteCodiceFiscale: string;
  codiceVersamento: string;
  descrizione: string;
  iban: string | null;
  ibanPostale: string | null;
  ibanAppoggio: string | null;
  transferCategory: string;
  spontaneousAllowed: boolean;
  marcaDaBollo: boolean;
  multiBeneficiary: boolean;
  validFrom: string | null;
  validTo: string | null;
  active: boolean;
}

function enteView(r: EnteRow): EnteView {
  const {
    id: _id,
    logo,
    logoMime: _m,
    createdAt: _c,
    updatedAt: _u,
    noticeSecondLanguage,
    noticeTexts,
    ...rest
  } = r;
  return {
    ...rest,
    hasLogo: logo !== null,
    noticeSecondLanguage: noticeSecondLanguage as SecondLanguage | null,
    noticeTexts: noticeTexts as NoticeTexts,
  };
}

function paymentTypeView(enteCf: string, r: PaymentTypeRow): PaymentTypeView {
  const { id: _id, enteId: _e, createdAt: _c, updatedAt: _u, ...rest } = r;
  return { enteCodiceFiscale: enteCf, ...rest };
}

function enteColumns(input: EntePatch) {
  const { logo, ...rest } = input;
  return {
    ...rest,
    ...(logo !== undefined
      ? { logo: logo ? Buffer.from(logo.base64, 'base64') : null, logoMime: logo ? logo.mime : null }
      : {}),
  };
}

/** Enti creditori and payment types: what the admin API and the CLI manage. */
export class OrganizationsService {
  constructor(private readonly db: Database) {}

  async createEnte(raw: unknown): Promise<EnteView> {
    const input = EnteInput.parse(raw);
    return this.db.transaction(async (tx) => {
      const row = await repo.insertEnte(tx, enteColumns(input) as repo.EnteInsert);
      if (!row)
        throw new OrganizationError(
          'ENTE_EXISTS',
          `l'ente ${input.codiceFiscale} esiste già`,
          'codiceFiscale',
        );
      await repo.ensureIuvSequence(tx, row.id, row.codiceSegregazione);
      return enteView(row);
    });
  }

  async updateEnte(codiceFiscale: string, raw: unknown): Promise<EnteView> {
    const patch = EntePatch.parse(raw);
    return this.db.transaction(async (tx) => {
      const current = await this.requireEnte(codiceFiscale, tx);
      const row = await repo.updateEnte(tx, current.id, enteColumns(patch));
      await repo.ensureIuvSequence(tx, row.id, row.codiceSegregazione);
      return enteView(row);
    });
  }

  async getEnte(codiceFiscale: string): Promise<EnteView> {
    return enteView(await this.requireEnte(codiceFiscale));
  }

  async getEnteLogo(codiceFiscale: string): Promise<{ mime: string; data: Buffer } | null> {
    const row = await this.requireEnte(codiceFiscale);
    return row.logo && row.logoMime ? { mime: row.logoMime, data: row.logo } : null;
  }

  async listEnti(): Promise<EnteView[]> {
    return (await repo.listEnti(this.db.orm)).map(enteView);
  }

  async createPaymentType(enteCf: string, raw: unknown): Promise<PaymentTypeView> {
    const input = PaymentTypeInput.parse(raw);
    assertPaymentTypeConsistent(input);
    const e = await this.requireEnte(enteCf);
    const row = await repo.insertPaymentType(this.db.orm, { ...input, enteId: e.id });
    if (!row) {
      throw new OrganizationError(
        'PAYMENT_TYPE_EXISTS',
        `il codice versamento ${input.codiceVersamento} esiste già per l'ente ${enteCf}`,
        'codiceVersamento',
      );
    }
    return paymentTypeView(enteCf, row);
  }

  async updatePaymentType(enteCf: string, codiceVersamento: string, raw: unknown): Promise<PaymentTypeView> {
    const patch = PaymentTypePatch.parse(raw);
    const e = await this.requireEnte(enteCf);
    const current = await this.requirePaymentType(e, codiceVersamento);
    assertPaymentTypeConsistent({ ...current, ...patch });
    return paymentTypeView(enteCf, await repo.updatePaymentType(this.db.orm, current.id, patch));
  }

  async listPaymentTypes(enteCf: string): Promise<PaymentTypeView[]> {
    const e = await this.requireEnte(enteCf);
    return (await repo.listPaymentTypes(this.db.orm, e.id)).map((r) => paymentTypeView(enteCf, r));
  }

  async getPaymentType(enteCf: string, codiceVersamento: string): Promise<PaymentTypeView> {
    const e = await this.requireEnte(enteCf);
    return paymentTypeView(enteCf, await this.requirePaymentType(e, codiceVersamento));
  }

  /** Internal ids of an ente and one of its payment types, for other modules. */
  async resolveIds(
    enteCf: string,
    codiceVersamento: string,
  ): Promise<{ enteId: number; paymentTypeId: number }> {
    const e = await this.requireEnte(enteCf);
    return { enteId: e.id, paymentTypeId: (await this.requirePaymentType(e, codiceVersamento)).id };
  }

  private async requireEnte(
    codiceFiscale: string,
    tx = this.db.orm as Parameters<typeof repo.findEnteByFiscalCode>[0],
  ): Promise<EnteRow> {
    const row = await repo.findEnteByFiscalCode(tx, codiceFiscale);
    if (!row)
      throw new OrganizationError('ENTE_NOT_FOUND', `ente ${codiceFiscale} sconosciuto`, 'codiceFiscale');
    return row;
  }

  private async requirePaymentType(e: EnteRow, codiceVersamento: string): Promise<PaymentTypeRow> {
    const row = await repo.findPaymentType(this.db.orm, e.id, codiceVersamento.toUpperCase());
    if (!row) {
      throw new OrganizationError(
        'PAYMENT_TYPE_NOT_FOUND',
        `codice versamento ${codiceVersamento} sconosciuto per l'ente ${e.codiceFiscale}`,
        'codiceVersamento',
      );
    }
    return row;
  }
}
