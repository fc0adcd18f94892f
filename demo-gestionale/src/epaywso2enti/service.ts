import type { Payments } from '../payments.js';
import type { GestionaleStore } from '../store.js';
import type { Inbox } from './inbox.js';
import type { Request } from './messages.js';

export interface Answer {
  codice: string;
  messaggio: string;
}

const euro = (cents: number) => (cents / 100).toFixed(2);

/**
 * The gestionale's side of EPaywso2EntiService, independent of HTTP: applies a request that passed
 * the credentials and the XSD. A message is applied once per IdMessaggio (and operation); a message
 * that arrives again (Cassa retries when an answer was lost) is answered 000 and changes nothing.
 */
export class EPaywso2Enti {
  constructor(
    private readonly store: GestionaleStore,
    private readonly payments: Payments,
    private readonly inbox: Inbox,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  receive(r: Request): Answer {
    const { idMessaggio, cfEnteCreditore, codiceVersamento } = r.testata;
    const base = { operation: r.operation, idMessaggio, cfEnteCreditore, codiceVersamento, at: this.clock() };
    if (this.inbox.wasApplied(r.operation, idMessaggio)) {
      this.inbox.record({
        ...base,
        codice: '000',
        duplicate: true,
        details: ['IdMessaggio già ricevuto: scartato, nulla applicato di nuovo'],
      });
      return { codice: '000', messaggio: `IdMessaggio ${idMessaggio} già ricevuto: scartato` };
    }
    const details = this.apply(r);
    this.inbox.markApplied(r.operation, idMessaggio);
    this.inbox.record({ ...base, codice: '000', duplicate: false, details });
    return { codice: '000', messaggio: 'OK' };
  }

  private apply(r: Request): string[] {
    const at = this.clock();
    switch (r.operation) {
      case 'TrasmettiNotifichePagamento':
        return r.notifiche.map((n) => {
          const psp = n.ragioneSocialePsp ? `${n.ragioneSocialePsp} (${n.idPsp})` : n.idPsp;
          const res = this.payments.markPaidDefinitive(n.iuv, {
            source: 'notifica',
            at,
            identificativoUnicoRiscossione: n.iur,
            psp,
            importoPagatoCents: n.importoPagatoCents,
            idMessaggio: r.testata.idMessaggio,
          });
          const what =
            res.kind === 'marked'
              ? 'pagato (definitivo)'
              : res.kind === 'already-paid'
                ? 'già pagato: invariato'
                : 'posizione sconosciuta a questo gestionale';
          return `IUV ${n.iuv}${n.idPosizioneDebitoria ? ` (${n.idPosizioneDebitoria})` : ''}: € ${euro(n.importoPagatoCents)}, IUR ${n.iur}, PSP ${psp} — ${what}`;
        });
      case 'TrasmettiAvvisiScaduti':
        return r.avvisi.map((a) => {
          const p = this.store.position(a.iuv);
          let what = 'posizione sconosciuta a questo gestionale';
          if (p && p.state === 'PAGATO_DEFINITIVO') what = 'già pagata: invariata';
          else if (p) {
            p.state = 'SCADUTA';
            p.scaduta = { dataScadenza: a.dataScadenza, idMessaggio: r.testata.idMessaggio, at };
            what = 'scaduta';
          }
          return `IUV ${a.iuv}: € ${euro(a.importoCents)}${a.dataScadenza ? `, scadenza ${a.dataScadenza}` : ''} — ${what}`;
        });
      case 'TrasmettiRT':
        return r.rt.map((rt) => {
          // the RT is pagoPA's receipt as Cassa received it: its creditorReferenceId is the IUV
          const iuv =
            /<(?:\w+:)?creditorReferenceId>\s*([^<\s]+)\s*</.exec(rt.xml)?.[1] ??
            this.store.positionByIur(rt.id)?.iuv;
          this.inbox.addRt({
            id: rt.id,
            iuv,
            xml: rt.xml,
            receivedAt: at,
            idMessaggio: r.testata.idMessaggio,
          });
          return `RT ${rt.id}${iuv ? ` (IUV ${iuv})` : ''}: ${rt.xml.length} caratteri${iuv && this.store.position(iuv) ? ', scaricabile dalla posizione' : ''}`;
        });
      case 'EsitoInserimentoListaDiCarico':
      case 'EsitoAggiornaPosizioniDebitorie': {
        const kind =
          r.operation === 'EsitoInserimentoListaDiCarico'
            ? 'InserisciListaDiCarico'
            : 'AggiornaPosizioniDebitorie';
        const list = this.inbox.applyListOutcome(kind, r.testata, r.result, r.posizioni, at);
        const lines = [
          `esito della lista ${r.testata.idMessaggio}: ${r.result.codice}${r.result.messaggio ? ` ${r.result.messaggio}` : ''}`,
        ];
        for (const p of list.positions) {
          if (
            kind === 'InserisciListaDiCarico' &&
            p.codiceEsito === '000' &&
            p.iuv &&
            p.codiceAvviso &&
            p.codiceFiscale &&
            p.debitore &&
            p.causale &&
            p.amountCents !== undefined
          ) {
            // a position this gestionale sent: from now on it is one of its positions, payable from the pages
            this.store.upsertPosition({
              idPosizione: p.idPosizioneDebitoria,
              iuv: p.iuv,
              codiceAvviso: p.codiceAvviso,
              causale: p.causale,
              amountCents: p.amountCents,
              codiceFiscale: p.codiceFiscale,
              debitore: p.debitore,
            });
          }
        }
        for (const e of r.posizioni)
          lines.push(
            `${e.idPosizioneDebitoria}: ${e.codiceEsito}${e.iuv ? `, IUV ${e.iuv}` : ''}${e.codiceAvviso ? `, avviso ${e.codiceAvviso}` : ''}${e.descrizioneEsito ? ` — ${e.descrizioneEsito}` : ''}`,
          );
        return lines;
      }
      case 'TrasmettiRichiesteDiRevoca':
        // recorded only: the demo gestionale has no refunds to handle (Cassa does not send these)
        return r.richieste.map(
          (q) =>
            `richiesta di revoca ${q.identificativoMessaggioRevoca} per IUV ${q.iuv}: € ${euro(q.importoPagatoCents)} — registrata`,
        );
    }
  }
}
