import type { EsitoPosizione } from './messages.js';

/**
 * What the gestionale received on EPaywso2EntiService and what it keeps of it, in memory (a real
 * gestionale keeps these in its database): the message log, the IdMessaggio already applied (to
 * discard duplicates), the liste di carico it sent with their outcomes, and the RTs.
 */
export interface ReceivedMessage {
  seq: number;
  at: Date;
  /** one of OPERATIONS; for a refused request '(rifiutato)', '(illeggibile)' or its Body element's name */
  operation: string;
  idMessaggio: string;
  cfEnteCreditore: string;
  codiceVersamento: string;
  /** the Result code answered */
  codice: string;
  /** true when the IdMessaggio had already been applied: answered 000, nothing applied again */
  duplicate: boolean;
  /** one line per item, for the "Messaggi ricevuti" page */
  details: string[];
}

export interface ListPosition {
  idPosizioneDebitoria: string;
  /** known when the list was sent by this gestionale */
  causale?: string;
  amountCents?: number;
  codiceFiscale?: string;
  debitore?: string;
  /** from the outcome */
  iuv?: string;
  codiceAvviso?: string;
  codiceEsito?: string;
  descrizioneEsito?: string;
}

export interface ListRecord {
  /** the list's IdMessaggio (the outcome's TestataEsito carries it back) */
  idMessaggio: string;
  kind: 'InserisciListaDiCarico' | 'AggiornaPosizioniDebitorie';
  cfEnteCreditore: string;
  codiceVersamento: string;
  sentAt?: Date;
  /** Cassa's synchronous acknowledgement */
  ack?: { codice: string; messaggio: string };
  /** the outcome (EsitoInserimentoListaDiCarico / EsitoAggiornaPosizioniDebitorie) */
  outcome?: { codice: string; messaggio?: string; receivedAt: Date };
  positions: ListPosition[];
}

export interface StoredRt {
  id: string;
  iuv?: string;
  xml: string;
  receivedAt: Date;
  idMessaggio: string;
}

const MAX_LOG = 500;

export class Inbox {
  private seq = 0;
  private readonly log: ReceivedMessage[] = [];
  private readonly applied = new Set<string>();
  private readonly lists = new Map<string, ListRecord>();
  private readonly rts = new Map<string, StoredRt>();

  private static key(operation: string, idMessaggio: string): string {
    return `${operation}\u0000${idMessaggio}`;
  }

  /** Whether a message with this operation and IdMessaggio was already applied. */
  wasApplied(operation: string, idMessaggio: string): boolean {
    return this.applied.has(Inbox.key(operation, idMessaggio));
  }

  markApplied(operation: string, idMessaggio: string): void {
    this.applied.add(Inbox.key(operation, idMessaggio));
  }

  record(m: Omit<ReceivedMessage, 'seq' | 'at'> & { at?: Date }): ReceivedMessage {
    const entry: ReceivedMessage = { ...m, seq: ++this.seq, at: m.at ?? new Date() };
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log.shift();
    return entry;
  }

  /** Newest first. */
  messages(): ReceivedMessage[] {
    return [...this.log].reverse();
  }

  addSentList(l: ListRecord): void {
    this.lists.set(l.idMessaggio, l);
  }

  list(idMessaggio: string): ListRecord | undefined {
    return this.lists.get(idMessaggio);
  }

  /** Newest first (by sending or outcome time). */
  allLists(): ListRecord[] {
    const t = (l: ListRecord) => (l.outcome?.receivedAt ?? l.sentAt ?? new Date(0)).getTime();
    return [...this.lists.values()].sort((a, b) => t(b) - t(a));
  }

  /** Records a list's outcome; a list this gestionale did not send (or forgot at a restart) is recorded from the outcome alone. */
  applyListOutcome(
    kind: ListRecord['kind'],
    testata: { idMessaggio: string; cfEnteCreditore: string; codiceVersamento: string },
    result: { codice: string; messaggio?: string },
    esiti: EsitoPosizione[],
    at: Date,
  ): ListRecord {
    let l = this.lists.get(testata.idMessaggio);
    if (!l) {
      l = {
        idMessaggio: testata.idMessaggio,
        kind,
        cfEnteCreditore: testata.cfEnteCreditore,
        codiceVersamento: testata.codiceVersamento,
        positions: [],
      };
      this.lists.set(l.idMessaggio, l);
    }
    l.outcome = { codice: result.codice, messaggio: result.messaggio, receivedAt: at };
    for (const e of esiti) {
      let p = l.positions.find((x) => x.idPosizioneDebitoria === e.idPosizioneDebitoria);
      if (!p) {
        p = { idPosizioneDebitoria: e.idPosizioneDebitoria };
        l.positions.push(p);
      }
      Object.assign(p, {
        iuv: e.iuv ?? p.iuv,
        codiceAvviso: e.codiceAvviso ?? p.codiceAvviso,
        codiceEsito: e.codiceEsito,
        descrizioneEsito: e.descrizioneEsito,
      });
    }
    return l;
  }

  addRt(rt: StoredRt): void {
    this.rts.set(rt.id, rt);
  }

  rt(id: string): StoredRt | undefined {
    return this.rts.get(id);
  }

  rtsOf(iuv: string): StoredRt[] {
    return [...this.rts.values()].filter((r) => r.iuv === iuv);
  }
}
