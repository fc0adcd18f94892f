import { randomUUID } from 'node:crypto';
import type { CassaClient, PositionStatus } from './cassa-client.js';
import { returnUrlOf, type GestionaleConfig } from './config.js';
import { callDigest, digestsEqual, normalizeReceivedDigest, signedReturnDigest } from './digest.js';
import type { Attempt, GestionaleStore, PaidEvidence, Position } from './store.js';

/** The path of the Sportello's redirect entry (PiemontePAY's, so only the host changes). */
export const SPORTELLO_ENTRY_PATH = '/epayweb/accessoLibero/pagaConIuv/accessoChiamanteEsterno';

/** What the browser posts to the Sportello (seed 000 §2.1): no passphrase, no return URL. */
export interface SportelloForm {
  action: string;
  fields: {
    codiceChiamante: string;
    digest: string;
    iuv: string;
    codiceFiscale: string;
    identificativoPagamento: string;
  };
}

export type StartAttemptResult =
  | { kind: 'form'; form: SportelloForm; position: Position; attempt: Attempt }
  | { kind: 'unknown-position' }
  | { kind: 'not-payable'; position: Position };

export type ReturnResult =
  | { kind: 'invalid-request'; reason: string }
  | { kind: 'unknown-attempt' }
  | { kind: 'digest-mismatch'; attempt: Attempt }
  | {
      kind: 'outcome';
      codEsito: '000' | '100';
      attempt: Attempt;
      position: Position;
      alreadyReceived: boolean;
      conflicting: boolean;
    };

export type MarkPaidResult =
  | { kind: 'marked'; position: Position }
  | { kind: 'already-paid'; position: Position }
  | { kind: 'unknown-position' };

export type StatusCheckResult =
  { kind: 'checked'; status: PositionStatus; position: Position } | { kind: 'unknown-position' };

const ID_PAGAMENTO = /^[A-Za-z0-9_-]{1,50}$/;

/** States in which the gestionale offers "Paga" (seed 000 §3.2: until the notification, a new attempt is allowed). */
export function canPay(p: Position): boolean {
  return (
    p.state !== 'PAGATO_DEFINITIVO' &&
    p.state !== 'ANNULLATA' &&
    p.state !== 'NON_PAGABILE' &&
    p.state !== 'SCADUTA'
  );
}

/**
 * The gestionale's payment logic, independent of HTTP: issuing attempts with their digest,
 * receiving the Sportello's return, and making a payment definitive. The pages (routes.ts) and,
 * with issue 5, the EPaywso2EntiService SOAP handler (TrasmettiNotifichePagamento) call this.
 */
export class Payments {
  constructor(
    private readonly config: GestionaleConfig,
    private readonly store: GestionaleStore,
    private readonly cassa: CassaClient,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** A fresh identificativoPagamento: [A-Za-z0-9_] only (the manual's range, §4.2), 41 characters, never reused. */
  newIdentificativoPagamento(): string {
    for (;;) {
      const id = `GEST_${randomUUID().replace(/-/g, '_')}`;
      if (!this.store.hasAttempt(id)) return id;
    }
  }

  /** Whether this citizen may pay this position now, without issuing an attempt ("Paga" is posted, then the page is shown). */
  payable(
    codiceFiscale: string,
    iuv: string,
  ):
    | { kind: 'payable'; position: Position }
    | { kind: 'unknown-position' }
    | { kind: 'not-payable'; position: Position } {
    const position = this.store.position(iuv);
    if (!position || position.codiceFiscale !== codiceFiscale.toUpperCase())
      return { kind: 'unknown-position' };
    if (!canPay(position)) return { kind: 'not-payable', position };
    return { kind: 'payable', position };
  }

  /** "Paga": a new attempt on a position of this citizen, and the form that takes the browser to the Sportello. */
  startAttempt(codiceFiscale: string, iuv: string): StartAttemptResult {
    const check = this.payable(codiceFiscale, iuv);
    if (check.kind !== 'payable') return check;
    const { position } = check;
    const identificativoPagamento = this.newIdentificativoPagamento();
    const returnUrl = returnUrlOf(this.config);
    const digest = callDigest({
      passphrase: this.config.passphrase,
      separator: this.config.digestSeparator,
      codiceChiamante: this.config.codiceChiamante,
      identificativoPagamento,
      iuv,
      returnUrl,
    });
    const attempt: Attempt = {
      identificativoPagamento,
      iuv,
      digest,
      separator: this.config.digestSeparator,
      returnUrl,
      codiceChiamante: this.config.codiceChiamante,
      createdAt: this.clock(),
    };
    this.store.addAttempt(attempt);
    if (position.state === 'DA_PAGARE') position.state = 'PAGAMENTO_AVVIATO';
    return {
      kind: 'form',
      position,
      attempt,
      form: {
        action: `${this.config.cassaUrl}${SPORTELLO_ENTRY_PATH}`,
        fields: {
          codiceChiamante: this.config.codiceChiamante,
          digest,
          iuv,
          codiceFiscale: position.codiceFiscale,
          identificativoPagamento,
        },
      },
    };
  }

  /**
   * The return from the Sportello: GET {returnUrl}?idPagamento=&digest=&codEsito=000|100 (seed 000 §2.2).
   * Accepted only for an identificativoPagamento this gestionale issued and with the expected digest.
   * A 000 is NOT a payment: the position waits for the notification (§3.2).
   */
  receiveReturn(q: { idPagamento?: string; digest?: string; codEsito?: string }): ReturnResult {
    if (!q.idPagamento || !ID_PAGAMENTO.test(q.idPagamento))
      return { kind: 'invalid-request', reason: 'idPagamento mancante o non valido' };
    if (q.codEsito !== '000' && q.codEsito !== '100')
      return { kind: 'invalid-request', reason: 'codEsito mancante o diverso da 000 e 100' };
    if (!q.digest) return { kind: 'invalid-request', reason: 'digest mancante' };
    const attempt = this.store.attempt(q.idPagamento);
    if (!attempt) return { kind: 'unknown-attempt' };
    const expected = this.expectedReturnDigest(attempt, q.codEsito);
    if (!digestsEqual(normalizeReceivedDigest(q.digest), expected))
      return { kind: 'digest-mismatch', attempt };
    const position = this.store.position(attempt.iuv)!;
    if (attempt.codEsito !== undefined) {
      // A reload of the return page, or a second return for the same attempt: the first one stands.
      return {
        kind: 'outcome',
        codEsito: attempt.codEsito,
        attempt,
        position,
        alreadyReceived: true,
        conflicting: attempt.codEsito !== q.codEsito,
      };
    }
    attempt.codEsito = q.codEsito;
    attempt.returnedAt = this.clock();
    if (canPay(position)) {
      // The latest attempt decides what the citizen sees; an older attempt returning late does not undo a 000.
      const latest = position.attempts[position.attempts.length - 1] === attempt.identificativoPagamento;
      if (q.codEsito === '000') position.state = 'ESITO_POSITIVO_IN_ATTESA';
      else if (latest && position.state !== 'ESITO_POSITIVO_IN_ATTESA')
        position.state = 'TENTATIVO_NON_RIUSCITO';
    }
    return {
      kind: 'outcome',
      codEsito: q.codEsito,
      attempt,
      position,
      alreadyReceived: false,
      conflicting: false,
    };
  }

  /** The digest the return must carry for this attempt, in the configured mode. */
  expectedReturnDigest(attempt: Attempt, codEsito: string): string {
    if (this.config.returnDigestMode === 'echo') return attempt.digest;
    return signedReturnDigest({
      passphrase: this.config.passphrase,
      separator: attempt.separator,
      codiceChiamante: attempt.codiceChiamante,
      identificativoPagamento: attempt.identificativoPagamento,
      iuv: attempt.iuv,
      returnUrl: attempt.returnUrl,
      codEsito,
    });
  }

  /**
   * The only way a position becomes "pagato (definitivo)": an authoritative answer — Cassa's status
   * (code 0) now, the TrasmettiNotifichePagamento notification with issue 5. Idempotent: a
   * notification delivered twice changes nothing the second time.
   */
  markPaidDefinitive(iuv: string, evidence: Omit<PaidEvidence, 'at'> & { at?: Date }): MarkPaidResult {
    const position = this.store.position(iuv);
    if (!position) return { kind: 'unknown-position' };
    if (position.state === 'PAGATO_DEFINITIVO') return { kind: 'already-paid', position };
    position.state = 'PAGATO_DEFINITIVO';
    position.paid = { ...evidence, at: evidence.at ?? this.clock() };
    return { kind: 'marked', position };
  }

  /** "Verifica stato": asks Cassa (epayapi getDebtPositionStatus) and records what it says. */
  async checkStatus(codiceFiscale: string, iuv: string): Promise<StatusCheckResult> {
    const position = this.store.position(iuv);
    if (!position || position.codiceFiscale !== codiceFiscale.toUpperCase())
      return { kind: 'unknown-position' };
    const status = await this.cassa.status(iuv);
    position.statoCassa = `${status.code} — ${status.description}`;
    if (status.code === '0') this.markPaidDefinitive(iuv, { source: 'stato-cassa' });
    else if (status.code === '2') position.state = 'ANNULLATA';
    else if (status.code === '3' || status.code === '4') position.state = 'NON_PAGABILE';
    return { kind: 'checked', status, position };
  }
}
