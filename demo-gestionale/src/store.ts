/**
 * The gestionale's own little database, in memory (a demo program: restarting it forgets the
 * attempts, not the positions, which are re-read from the demo list and Cassa is idempotent).
 * A real gestionale keeps these in its database, with the same associations (seed 000 §4.2).
 */

/** A position's state as the gestionale knows it. */
export type PositionState =
  /** nothing attempted yet */
  | 'DA_PAGARE'
  /** the citizen was sent to the Sportello; no return yet (browser closed?): a new attempt is allowed */
  | 'PAGAMENTO_AVVIATO'
  /** return with codEsito 000: positive, but definitive only when the notification / RT arrives */
  | 'ESITO_POSITIVO_IN_ATTESA'
  /** return with codEsito 100: error or abandoned; a new attempt is allowed */
  | 'TENTATIVO_NON_RIUSCITO'
  /** the notification arrived (or Cassa's status said paid): no further attempt */
  | 'PAGATO_DEFINITIVO'
  /** Cassa says the ente cancelled it */
  | 'ANNULLATA'
  /** Cassa says it is not (or no longer) payable: not yet active or expired */
  | 'NON_PAGABILE'
  /** TrasmettiAvvisiScaduti announced that it expired unpaid */
  | 'SCADUTA';

export interface PaidEvidence {
  /** 'stato-cassa': GET …/debtpositions/{iuv}/status answered code 0; 'notifica': TrasmettiNotifichePagamento (issue 5). */
  source: 'stato-cassa' | 'notifica';
  at: Date;
  /** From a notification: IUR, PSP, amount paid, message id (kept for display and duplicate detection). */
  identificativoUnicoRiscossione?: string;
  psp?: string;
  importoPagatoCents?: number;
  idMessaggio?: string;
}

export interface Position {
  /** The gestionale's own id of the position (epayapi identificativoPagamento at creation). */
  idPosizione: string;
  iuv: string;
  codiceAvviso: string;
  codiceFiscale: string;
  debitore: string;
  causale: string;
  amountCents: number;
  state: PositionState;
  /** The last answer of Cassa's status, as text, when asked. */
  statoCassa?: string;
  paid?: PaidEvidence;
  /** From TrasmettiAvvisiScaduti. */
  scaduta?: { dataScadenza?: string; idMessaggio: string; at: Date };
  /** identificativoPagamento of the attempts on this position, newest last. */
  attempts: string[];
}

export interface Attempt {
  identificativoPagamento: string;
  iuv: string;
  /** The digest sent to the Sportello: the echo mode expects it back unchanged. */
  digest: string;
  /** Separator and return URL the digest was computed with (so that a later config change cannot break a pending return). */
  separator: '%%%' | '%%%%';
  returnUrl: string;
  codiceChiamante: string;
  createdAt: Date;
  /** The return, once received. */
  codEsito?: '000' | '100';
  returnedAt?: Date;
}

export class GestionaleStore {
  private readonly positions = new Map<string, Position>();
  private readonly attempts = new Map<string, Attempt>();

  upsertPosition(p: Omit<Position, 'state' | 'attempts'> & Partial<Pick<Position, 'state'>>): Position {
    const existing = this.positions.get(p.iuv);
    if (existing) {
      Object.assign(existing, { ...p, state: existing.state, attempts: existing.attempts });
      return existing;
    }
    const created: Position = { ...p, state: p.state ?? 'DA_PAGARE', attempts: [] };
    this.positions.set(p.iuv, created);
    return created;
  }

  position(iuv: string): Position | undefined {
    return this.positions.get(iuv);
  }

  /** The position paid with this IUR (receiptId), from the notification's evidence. */
  positionByIur(iur: string): Position | undefined {
    return [...this.positions.values()].find((p) => p.paid?.identificativoUnicoRiscossione === iur);
  }

  positionsOf(codiceFiscale: string): Position[] {
    return [...this.positions.values()].filter((p) => p.codiceFiscale === codiceFiscale.toUpperCase());
  }

  citizens(): { codiceFiscale: string; debitore: string }[] {
    const seen = new Map<string, string>();
    for (const p of this.positions.values())
      if (!seen.has(p.codiceFiscale)) seen.set(p.codiceFiscale, p.debitore);
    return [...seen].map(([codiceFiscale, debitore]) => ({ codiceFiscale, debitore }));
  }

  hasAttempt(identificativoPagamento: string): boolean {
    return this.attempts.has(identificativoPagamento);
  }

  attempt(identificativoPagamento: string): Attempt | undefined {
    return this.attempts.get(identificativoPagamento);
  }

  addAttempt(a: Attempt): void {
    if (this.attempts.has(a.identificativoPagamento))
      throw new Error('identificativoPagamento already issued');
    const p = this.positions.get(a.iuv);
    if (!p) throw new Error(`unknown position ${a.iuv}`);
    this.attempts.set(a.identificativoPagamento, a);
    p.attempts.push(a.identificativoPagamento);
  }
}
