import { randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import type { GestionaleConfig } from './config.js';
import { child, text as textOf } from './parsed-xml.js';
import type { ListRecord } from './epaywso2enti/inbox.js';

/**
 * Cassa's Enti2EPaywsoService (PiemontePAY's, docs/gestionali.md "Liste di carico"), as a gestionale
 * calls it: POST {CASSA_URL}/soap/Enti2EPaywsoService, SOAP 1.1, HTTP Basic with codiceChiamante and
 * passphrase. The answer is only an acknowledgement; the outcome arrives later on the gestionale's own
 * EPaywso2EntiService (EsitoInserimentoListaDiCarico).
 */
const ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const SRV = 'http://www.csi.it/epay/epaywso/enti2epaywso/types';
const CMN = 'http://www.csi.it/epay/epaywso/types';
export const ENTI2EPAYWSO_PATH = '/soap/Enti2EPaywsoService';

export interface ListItem {
  idPosizioneDebitoria: string;
  amountCents: number;
  causale: string;
  codiceFiscale: string;
  nome: string;
  cognome: string;
  /** YYYY-MM-DD */
  dataScadenza?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const euro = (cents: number) => (cents / 100).toFixed(2);

/** A fresh IdMessaggio (String35): never reused, so that Cassa never takes a new list for a resend. */
export function newIdMessaggio(now = new Date()): string {
  return `GEST-${now.toISOString().replace(/\D/g, '').slice(0, 14)}-${randomBytes(6).toString('hex')}`;
}

export function inserisciListaDiCaricoXml(o: {
  idMessaggio: string;
  cfEnteCreditore: string;
  codiceVersamento: string;
  items: ListItem[];
}): string {
  const total = o.items.reduce((s, i) => s + i.amountCents, 0);
  const positions = o.items
    .map(
      (i) =>
        `<srv:PosizioneDaInserire><srv:IdPosizioneDebitoria>${esc(i.idPosizioneDebitoria)}</srv:IdPosizioneDebitoria><srv:ImportoTotale>${euro(i.amountCents)}</srv:ImportoTotale>` +
        (i.dataScadenza ? `<srv:DataScadenza>${i.dataScadenza}</srv:DataScadenza>` : '') +
        `<srv:DescrizioneCausaleVersamento>${esc(i.causale)}</srv:DescrizioneCausaleVersamento>` +
        `<srv:SoggettoPagatore><cmn:PersonaFisica><cmn:Cognome>${esc(i.cognome)}</cmn:Cognome><cmn:Nome>${esc(i.nome)}</cmn:Nome></cmn:PersonaFisica>` +
        `<cmn:IdentificativoUnivocoFiscale>${esc(i.codiceFiscale)}</cmn:IdentificativoUnivocoFiscale></srv:SoggettoPagatore></srv:PosizioneDaInserire>`,
    )
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${ENV}" xmlns:srv="${SRV}" xmlns:cmn="${CMN}"><soapenv:Header/><soapenv:Body>` +
    `<srv:InserisciListaDiCaricoRequest><srv:Testata><srv:IdMessaggio>${esc(o.idMessaggio)}</srv:IdMessaggio><srv:CFEnteCreditore>${esc(o.cfEnteCreditore)}</srv:CFEnteCreditore>` +
    `<srv:CodiceVersamento>${esc(o.codiceVersamento)}</srv:CodiceVersamento><srv:NumeroPosizioniDebitorie>${o.items.length}</srv:NumeroPosizioniDebitorie>` +
    `<srv:ImportoTotaleListaDiCarico>${euro(total)}</srv:ImportoTotaleListaDiCarico></srv:Testata>` +
    `<srv:ListaDiCarico><srv:PosizioniDaInserire>${positions}</srv:PosizioniDaInserire></srv:ListaDiCarico></srv:InserisciListaDiCaricoRequest></soapenv:Body></soapenv:Envelope>`
  );
}

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false });

/** Result{Codice, Messaggio} of Cassa's acknowledgement, or of a SOAP fault / HTTP error as a pseudo-code. */
export function readAck(httpStatus: number, text: string): { codice: string; messaggio: string } {
  try {
    const body = child(parser.parse(text), 'Envelope', 'Body');
    const r = child(body, 'EPaywsoServiceResponse', 'Result');
    if (r) return { codice: textOf(r.Codice), messaggio: textOf(r.Messaggio) };
    if (body?.Fault) {
      const faultstring = child(body, 'Fault')?.faultstring;
      return {
        codice: `HTTP ${httpStatus}`,
        messaggio: typeof faultstring === 'string' ? faultstring : 'SOAP fault',
      };
    }
  } catch {
    /* not XML */
  }
  return { codice: `HTTP ${httpStatus}`, messaggio: text.slice(0, 200) };
}

export class ListeClient {
  constructor(
    private readonly config: Pick<
      GestionaleConfig,
      'cassaUrl' | 'codiceChiamante' | 'passphrase' | 'ente' | 'paymentType'
    >,
  ) {}

  /** Sends one InserisciListaDiCarico; returns the list as the gestionale records it (with Cassa's acknowledgement). */
  async inserisciListaDiCarico(items: ListItem[], now = new Date()): Promise<ListRecord> {
    const idMessaggio = newIdMessaggio(now);
    const xml = inserisciListaDiCaricoXml({
      idMessaggio,
      cfEnteCreditore: this.config.ente,
      codiceVersamento: this.config.paymentType,
      items,
    });
    const list: ListRecord = {
      idMessaggio,
      kind: 'InserisciListaDiCarico',
      cfEnteCreditore: this.config.ente,
      codiceVersamento: this.config.paymentType,
      sentAt: now,
      positions: items.map((i) => ({
        idPosizioneDebitoria: i.idPosizioneDebitoria,
        causale: i.causale,
        amountCents: i.amountCents,
        codiceFiscale: i.codiceFiscale,
        debitore: `${i.nome} ${i.cognome}`,
      })),
    };
    try {
      const res = await fetch(`${this.config.cassaUrl}${ENTI2EPAYWSO_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          soapaction: '"http://www.csi.it/epay/epaywso/service/InserisciListaDiCarico"',
          authorization: `Basic ${Buffer.from(`${this.config.codiceChiamante}:${this.config.passphrase}`, 'utf8').toString('base64')}`,
        },
        body: xml,
        signal: AbortSignal.timeout(15_000),
      });
      list.ack = readAck(res.status, await res.text());
    } catch (e) {
      list.ack = { codice: 'ERRORE', messaggio: `Cassa non raggiungibile: ${(e as Error).message}` };
    }
    return list;
  }
}
