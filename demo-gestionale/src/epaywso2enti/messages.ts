import { XMLParser } from 'fast-xml-parser';
import { child, children, optionalText, text, type XmlNode } from '../parsed-xml.js';
import { SOAP11_NS } from './schema.js';

/**
 * The six requests of EPaywso2EntiService (EPaywso2EntiService.wsdl), read from an envelope that has
 * already been validated against EPaywso2EntiServiceTypes.xsd: only the fields the gestionale uses.
 */
export const OPERATIONS = [
  'EsitoInserimentoListaDiCarico',
  'EsitoAggiornaPosizioniDebitorie',
  'TrasmettiNotifichePagamento',
  'TrasmettiAvvisiScaduti',
  'TrasmettiRT',
  'TrasmettiRichiesteDiRevoca',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** SOAPAction of each operation in the WSDL's binding. */
export const SOAP_ACTION_BASE = 'http://www.csi.it/epay/epaywso/service/';

export interface Testata {
  idMessaggio: string;
  cfEnteCreditore: string;
  codiceVersamento: string;
}

export interface NotificaPagamento {
  idPosizioneDebitoria?: string;
  iuv: string;
  codiceAvviso?: string;
  importoPagatoCents: number;
  dataEsitoPagamento: string;
  idPsp: string;
  ragioneSocialePsp?: string;
  iur: string;
}

export interface EsitoPosizione {
  idPosizioneDebitoria: string;
  iuv?: string;
  codiceAvviso?: string;
  codiceEsito: string;
  descrizioneEsito?: string;
}

export type Request =
  | {
      operation: 'EsitoInserimentoListaDiCarico' | 'EsitoAggiornaPosizioniDebitorie';
      testata: Testata;
      result: { codice: string; messaggio?: string };
      posizioni: EsitoPosizione[];
    }
  | { operation: 'TrasmettiNotifichePagamento'; testata: Testata; notifiche: NotificaPagamento[] }
  | {
      operation: 'TrasmettiAvvisiScaduti';
      testata: Testata;
      avvisi: { iuv: string; dataScadenza?: string; importoCents: number }[];
    }
  | { operation: 'TrasmettiRT'; testata: Testata; rt: { id: string; xml: string }[] }
  | {
      operation: 'TrasmettiRichiesteDiRevoca';
      testata: Testata;
      richieste: { iuv: string; importoPagatoCents: number; identificativoMessaggioRevoca: string }[];
    };

const ARRAYS = new Set([
  'NotificaPagamento',
  'AvvisoScaduto',
  'RT',
  'PosizioneDebitoriaInserita',
  'PosizioneDebitoriaAggiornata',
  'RichiestaDiRevoca',
]);
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});

/** xs:decimal with at most two places (ImportoType) → cents. */
export const cents = (v: unknown): number => {
  const [int = '0', frac = ''] = text(v).trim().replace(/^\+/, '').split('.');
  return Number(int) * 100 + Number((frac + '00').slice(0, 2));
};

function testata(t: XmlNode | undefined): Testata {
  return {
    idMessaggio: text(t?.IdMessaggio),
    cfEnteCreditore: text(t?.CFEnteCreditore),
    codiceVersamento: text(t?.CodiceVersamento),
  };
}

function esitoPosizione(p: XmlNode): EsitoPosizione {
  return {
    idPosizioneDebitoria: text(p.IdPosizioneDebitoria),
    iuv: optionalText(p.IUV),
    codiceAvviso: optionalText(p.CodiceAvviso),
    codiceEsito: text(p.CodiceEsito),
    descrizioneEsito: optionalText(p.DescrizioneEsito),
  };
}

/** Reads the (XSD-valid) envelope's Body element `element` (e.g. TrasmettiRTRequest). */
export function readRequest(xml: string, element: string): Request {
  // the XSD check already established a SOAP 1.1 envelope with exactly this element in its Body
  const b = child(parser.parse(xml), 'Envelope', 'Body', element);
  if (!b) throw new Error(`elemento ${element} assente nel Body SOAP`);
  const operation = element.replace(/Request$/, '') as Operation;
  switch (operation) {
    case 'EsitoInserimentoListaDiCarico':
    case 'EsitoAggiornaPosizioniDebitorie': {
      const posizioni =
        operation === 'EsitoInserimentoListaDiCarico'
          ? children(
              child(b, 'EsitoInserimento', 'ElencoPosizioniDebitorieInserite'),
              'PosizioneDebitoriaInserita',
            )
          : children(
              child(b, 'EsitoAggiornamento', 'ElencoPosizioniDebitorieAggiornate'),
              'PosizioneDebitoriaAggiornata',
            );
      const result = child(b, 'Result');
      return {
        operation,
        testata: testata(child(b, 'TestataEsito')),
        result: { codice: text(result?.Codice), messaggio: optionalText(result?.Messaggio) },
        posizioni: posizioni.map(esitoPosizione),
      };
    }
    case 'TrasmettiNotifichePagamento':
      return {
        operation,
        testata: testata(child(b, 'Testata')),
        notifiche: children(
          child(b, 'CorpoNotifichePagamento', 'ElencoNotifichePagamento'),
          'NotificaPagamento',
        ).map((n) => {
          const psp = child(n, 'DatiTransazionePSP');
          return {
            idPosizioneDebitoria: optionalText(n.IdPosizioneDebitoria),
            iuv: text(n.IUV),
            codiceAvviso: optionalText(n.CodiceAvviso),
            importoPagatoCents: cents(n.ImportoPagato),
            dataEsitoPagamento: text(n.DataEsitoPagamento),
            idPsp: text(psp?.IdPSP),
            ragioneSocialePsp: optionalText(psp?.RagioneSocialePSP),
            iur: text(psp?.IUR),
          };
        }),
      };
    case 'TrasmettiAvvisiScaduti':
      return {
        operation,
        testata: testata(child(b, 'Testata')),
        avvisi: children(child(b, 'CorpoAvvisiScaduti', 'ElencoAvvisiScaduti'), 'AvvisoScaduto').map((a) => ({
          iuv: text(a.IUV),
          dataScadenza: optionalText(a.DataScadenza),
          importoCents: cents(a.Importo),
        })),
      };
    case 'TrasmettiRT':
      return {
        operation,
        testata: testata(child(b, 'Testata')),
        rt: children(child(b, 'CorpoRT', 'ElencoRT'), 'RT').map((r) => ({
          id: text(r.Id),
          xml: Buffer.from(text(r.XML).replace(/\s+/g, ''), 'base64').toString('utf8'),
        })),
      };
    case 'TrasmettiRichiesteDiRevoca':
      return {
        operation,
        testata: testata(child(b, 'Testata')),
        richieste: children(
          child(b, 'CorpoRichiesteDiRevoca', 'ElencoRichiesteDiRevoca'),
          'RichiestaDiRevoca',
        ).map((r) => ({
          iuv: text(r.IUV),
          importoPagatoCents: cents(r.ImportoPagato),
          identificativoMessaggioRevoca: text(r.IdentificativoMessaggioRevoca),
        })),
      };
    default:
      throw new Error(`operazione sconosciuta: ${element}`);
  }
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The answer of every operation (WSDL: output part cmn:EPaywsoServiceResponse): Result{Codice, Messaggio}. */
export function responseEnvelope(codice: string, messaggio: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11_NS}"><soapenv:Body>` +
    `<cmn:EPaywsoServiceResponse xmlns:cmn="http://www.csi.it/epay/epaywso/types"><cmn:Result><cmn:Codice>${codice}</cmn:Codice>` +
    `<cmn:Messaggio>${xmlEscape(messaggio.slice(0, 500) || '-')}</cmn:Messaggio></cmn:Result></cmn:EPaywsoServiceResponse></soapenv:Body></soapenv:Envelope>`
  );
}

/** A SOAP 1.1 fault (for requests refused before reading them: missing or wrong credentials). */
export function faultEnvelope(faultcode: 'Client' | 'Server', faultstring: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11_NS}"><soapenv:Body><soapenv:Fault><faultcode>soapenv:${faultcode}</faultcode><faultstring>${xmlEscape(faultstring)}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
}
