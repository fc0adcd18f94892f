import { randomBytes } from 'node:crypto';
import type { Database, Executor } from '../../../db/database.js';
import type { SecretBox } from '../../../shared/secret-box.js';
import {
  ApplicationError,
  ApplicationInput,
  ApplicationPatch,
  endpointUrlProblem,
  PASSPHRASE,
  returnUrlProblem,
  type EndpointInput,
} from '../domain/applications.js';
import * as repo from '../infra/applications-repository.js';
import type { ApplicationRow, PaymentTypeRef } from '../infra/applications-repository.js';

export interface ApplicationView {
  codiceChiamante: string;
  descrizione: string;
  returnUrl: string | null;
  scopes: string[];
  paymentTypes: { ente: string; codiceVersamento: string }[];
  pageEmail: boolean;
  pagePrivacy: boolean;
  pageCaptcha: boolean;
  digestSeparator: string;
  returnDigestMode: string;
  validFrom: string | null;
  validTo: string | null;
  active: boolean;
  passphraseRotatedAt: string;
  endpoints: {
    kind: string;
    paymentType: { ente: string; codiceVersamento: string } | null;
    url: string;
    username: string | null;
    hasPassword: boolean;
  }[];
}

/** Applications (gestionali): registration, authorisations, passphrases and callback endpoints. */
export class ApplicationsService {
  constructor(
    private readonly db: Database,
    private readonly secrets: SecretBox,
    private readonly production: boolean,
  ) {}

  /** Creates an application. Returns the passphrase in clear only when Cassa generated it. */
  async create(raw: unknown): Promise<{ application: ApplicationView; generatedPassphrase?: string }> {
    const input = ApplicationInput.parse(raw);
    this.checkUrls(input.returnUrl, input.endpoints);
    checkValidity(input.validFrom, input.validTo);
    const passphrase = input.passphrase ?? generatePassphrase();
    return this.db.transaction(async (tx) => {
      const row = await repo.insertApplication(tx, {
        codiceChiamante: input.codiceChiamante,
        descrizione: input.descrizione,
        passphraseEnc: this.secrets.encrypt(passphrase),
        returnUrl: input.returnUrl ?? null,
        scopes: input.scopes ?? [],
        pageEmail: input.pageEmail ?? true,
        pagePrivacy: input.pagePrivacy ?? true,
        pageCaptcha: input.pageCaptcha ?? true,
        digestSeparator: input.digestSeparator ?? 'any',
        returnDigestMode: input.returnDigestMode ?? 'echo',
        validFrom: input.validFrom ?? null,
        validTo: input.validTo ?? null,
        active: input.active ?? true,
      });
      if (!row)
        throw new ApplicationError(
          'EXISTS',
          `l'applicazione ${input.codiceChiamante} esiste già`,
          'codiceChiamante',
        );
      if (input.paymentTypes) await this.replacePaymentTypes(tx, row.id, input.paymentTypes);
      if (input.endpoints) await this.replaceEndpoints(tx, row.id, input.endpoints);
      const view = await this.view(tx, row);
      return input.passphrase
        ? { application: view }
        : { application: view, generatedPassphrase: passphrase };
    });
  }

  async update(codiceChiamante: string, raw: unknown): Promise<ApplicationView> {
    const patch = ApplicationPatch.parse(raw);
    this.checkUrls(patch.returnUrl, patch.endpoints);
    return this.db.transaction(async (tx) => {
      const current = await this.require(tx, codiceChiamante);
      checkValidity(
        patch.validFrom === undefined ? current.validFrom : patch.validFrom,
        patch.validTo === undefined ? current.validTo : patch.validTo,
      );
      const { paymentTypes, endpoints, ...columns } = patch;
      const row = await repo.updateApplication(tx, current.id, { ...columns, updatedAt: new Date() });
      if (paymentTypes) await this.replacePaymentTypes(tx, current.id, paymentTypes);
      if (endpoints) await this.replaceEndpoints(tx, current.id, endpoints);
      return this.view(tx, row);
    });
  }

  /** Replaces the passphrase (given, or generated and returned once). The old one stops working at once. */
  async rotatePassphrase(
    codiceChiamante: string,
    newPassphrase?: string,
  ): Promise<{ passphrase: string; generated: boolean }> {
    const passphrase = newPassphrase === undefined ? generatePassphrase() : PASSPHRASE.parse(newPassphrase);
    const found = await repo.replacePassphrase(
      this.db.orm,
      codiceChiamante,
      this.secrets.encrypt(passphrase),
      new Date(),
    );
    if (!found)
      throw new ApplicationError(
        'NOT_FOUND',
        `applicazione ${codiceChiamante} sconosciuta`,
        'codiceChiamante',
      );
    return { passphrase, generated: newPassphrase === undefined };
  }

  async get(codiceChiamante: string): Promise<ApplicationView> {
    return this.view(this.db.orm, await this.require(this.db.orm, codiceChiamante));
  }

  async list(): Promise<ApplicationView[]> {
    const rows = await repo.listApplications(this.db.orm);
    return Promise.all(rows.map((r) => this.view(this.db.orm, r)));
  }

  /** Re-encrypts every stored secret under the active key (after adding a new key first in CASSA_SECRET_KEYS). */
  async reencryptSecrets(): Promise<number> {
    return this.db.transaction(async (tx) => {
      let n = 0;
      const { passphrases, passwords } = await repo.storedSecrets(tx);
      for (const a of passphrases) {
        if (this.secrets.isStale(a.enc)) {
          await repo.setPassphraseEnc(tx, a.id, this.secrets.encrypt(this.secrets.decrypt(a.enc)));
          n++;
        }
      }
      for (const e of passwords) {
        if (e.enc && this.secrets.isStale(e.enc)) {
          await repo.setPasswordEnc(tx, e.id, this.secrets.encrypt(this.secrets.decrypt(e.enc)));
          n++;
        }
      }
      return n;
    });
  }

  private checkUrls(returnUrl: string | null | undefined, endpoints: EndpointInput[] | undefined): void {
    if (returnUrl) {
      const problem = returnUrlProblem(returnUrl, this.production);
      if (problem) throw new ApplicationError('INVALID', problem, 'returnUrl');
    }
    endpoints?.forEach((ep, i) => {
      const problem = endpointUrlProblem(ep.url, this.production);
      if (problem) throw new ApplicationError('INVALID', problem, `endpoints[${i}].url`);
    });
  }

  private async resolvePaymentTypes(tx: Executor, refs: PaymentTypeRef[]): Promise<Map<string, number>> {
    if (refs.length === 0) return new Map<string, number>();
    const ids = await repo.paymentTypeIds(tx, [...new Set(refs.map((r) => r.ente))]);
    refs.forEach((ref, i) => {
      if (!ids.has(`${ref.ente}/${ref.codiceVersamento}`)) {
        throw new ApplicationError(
          'INVALID',
          `tipo di pagamento ${ref.codiceVersamento} dell'ente ${ref.ente} sconosciuto`,
          `paymentTypes[${i}]`,
        );
      }
    });
    return ids;
  }

  private async replacePaymentTypes(
    tx: Executor,
    applicationId: number,
    refs: PaymentTypeRef[],
  ): Promise<void> {
    const ids = await this.resolvePaymentTypes(tx, refs);
    const unique = [...new Set(refs.map((r) => ids.get(`${r.ente}/${r.codiceVersamento}`)!))];
    await repo.replacePaymentTypes(tx, applicationId, unique);
  }

  private async replaceEndpoints(
    tx: Executor,
    applicationId: number,
    endpoints: EndpointInput[],
  ): Promise<void> {
    const ids = await this.resolvePaymentTypes(
      tx,
      endpoints.flatMap((e) => (e.paymentType ? [e.paymentType] : [])),
    );
    const seen = new Set<string>();
    endpoints.forEach((e, i) => {
      const key = `${e.kind}/${e.paymentType ? `${e.paymentType.ente}/${e.paymentType.codiceVersamento}` : '*'}`;
      if (seen.has(key))
        throw new ApplicationError(
          'INVALID',
          `endpoint ${e.kind} ripetuto per lo stesso tipo di pagamento`,
          `endpoints[${i}]`,
        );
      seen.add(key);
    });
    const stored = await repo.deleteEndpoints(tx, applicationId);
    await repo.insertEndpoints(
      tx,
      endpoints.map((e) => {
        const paymentTypeId = e.paymentType
          ? ids.get(`${e.paymentType.ente}/${e.paymentType.codiceVersamento}`)!
          : null;
        const passwordEnc =
          e.password === undefined
            ? (stored.get(`${e.kind}/${paymentTypeId ?? 0}`) ?? null)
            : e.password === null
              ? null
              : this.secrets.encrypt(e.password);
        return {
          applicationId,
          paymentTypeId,
          kind: e.kind,
          url: e.url,
          username: e.username ?? null,
          passwordEnc,
        };
      }),
    );
  }

  private async require(tx: Executor, codiceChiamante: string): Promise<ApplicationRow> {
    const row = await repo.findApplication(tx, codiceChiamante);
    if (!row)
      throw new ApplicationError(
        'NOT_FOUND',
        `applicazione ${codiceChiamante} sconosciuta`,
        'codiceChiamante',
      );
    return row;
  }

  private async view(tx: Executor, row: ApplicationRow): Promise<ApplicationView> {
    const pts = await repo.paymentTypesOf(tx, row.id);
    const eps = await repo.endpointsOf(tx, row.id);
    return {
      codiceChiamante: row.codiceChiamante,
      descrizione: row.descrizione,
      returnUrl: row.returnUrl,
      scopes: row.scopes,
      paymentTypes: pts,
      pageEmail: row.pageEmail,
      pagePrivacy: row.pagePrivacy,
      pageCaptcha: row.pageCaptcha,
      digestSeparator: row.digestSeparator,
      returnDigestMode: row.returnDigestMode,
      validFrom: row.validFrom,
      validTo: row.validTo,
      active: row.active,
      passphraseRotatedAt: row.passphraseRotatedAt.toISOString(),
      endpoints: eps.map(({ endpoint: ep, paymentType }) => ({
        kind: ep.kind,
        paymentType,
        url: ep.url,
        username: ep.username,
        hasPassword: ep.passwordEnc !== null,
      })),
    };
  }
}

/** Like payment types: an application valid from after its end would never be usable. */
function checkValidity(validFrom: string | null | undefined, validTo: string | null | undefined): void {
  if (validFrom && validTo && validFrom > validTo)
    throw new ApplicationError('INVALID', 'validFrom è successivo a validTo', 'validFrom');
}

function generatePassphrase(): string {
  return randomBytes(24).toString('base64url');
}
