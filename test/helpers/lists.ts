import { PiemontePaySchema } from '../../src/modules/gestionali/infra/piemontepay-schemas.js';

/** XSD checks of what Cassa answers and sends on PiemontePAY's SOAP interfaces (lists, outcomes). */
let schemas:
  { common: PiemontePaySchema; epaywso2enti: PiemontePaySchema; enti2epaywso: PiemontePaySchema } | undefined;

export function piemontePaySchemas() {
  schemas ??= {
    common: new PiemontePaySchema('EPaywsoCommonTypes.xsd'),
    epaywso2enti: new PiemontePaySchema('EPaywso2EntiServiceTypes.xsd'),
    enti2epaywso: new PiemontePaySchema('Enti2EPaywsoServiceTypes.xsd'),
  };
  return schemas;
}

const ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const SRV = 'http://www.csi.it/epay/epaywso/enti2epaywso/types';
const CMN = 'http://www.csi.it/epay/epaywso/types';

export interface TestPosition {
  id: string;
  amount: string;
  causale?: string;
  cf?: string;
  name?: string;
  surname?: string;
  company?: string;
  components?: { amount: string; causale: string }[];
  references?: { name: string; value: string }[];
  validTo?: string;
  dueDate?: string;
}

function soggetto(p: { cf?: string; name?: string; surname?: string; company?: string }): string {
  const who = p.company
    ? `<cmn:PersonaGiuridica><cmn:RagioneSociale>${p.company}</cmn:RagioneSociale></cmn:PersonaGiuridica>`
    : `<cmn:PersonaFisica><cmn:Cognome>${p.surname ?? 'Rossi'}</cmn:Cognome><cmn:Nome>${p.name ?? 'Mario'}</cmn:Nome></cmn:PersonaFisica>`;
  return `${who}<cmn:IdentificativoUnivocoFiscale>${p.cf ?? 'RSSMRA80A01L219M'}</cmn:IdentificativoUnivocoFiscale>`;
}

export function envelope(inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${ENV}" xmlns:srv="${SRV}" xmlns:cmn="${CMN}"><soapenv:Header/><soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`;
}

export function insertListXml(o: {
  idMessaggio: string;
  cf: string;
  code: string;
  positions: TestPosition[];
  count?: number;
  total?: string;
}): string {
  const total =
    o.total ?? (o.positions.reduce((s, p) => s + Math.round(Number(p.amount) * 100), 0) / 100).toFixed(2);
  const positions = o.positions
    .map(
      (p) =>
        `<srv:PosizioneDaInserire><srv:IdPosizioneDebitoria>${p.id}</srv:IdPosizioneDebitoria><srv:ImportoTotale>${p.amount}</srv:ImportoTotale>` +
        (p.dueDate ? `<srv:DataScadenza>${p.dueDate}</srv:DataScadenza>` : '') +
        (p.validTo ? `<srv:DataFineValidita>${p.validTo}</srv:DataFineValidita>` : '') +
        `<srv:DescrizioneCausaleVersamento>${p.causale ?? 'TARI 2026'}</srv:DescrizioneCausaleVersamento>` +
        (p.components
          ? `<srv:ComponentiImporto>${p.components.map((c) => `<srv:ComponenteImporto><srv:Importo>${c.amount}</srv:Importo><srv:CausaleDescrittiva>${c.causale}</srv:CausaleDescrittiva></srv:ComponenteImporto>`).join('')}</srv:ComponentiImporto>`
          : '') +
        (p.references
          ? `<srv:RiferimentiPagamento>${p.references.map((r) => `<srv:Riferimento><srv:Nome>${r.name}</srv:Nome><srv:Valore>${r.value}</srv:Valore></srv:Riferimento>`).join('')}</srv:RiferimentiPagamento>`
          : '') +
        `<srv:SoggettoPagatore>${soggetto(p)}</srv:SoggettoPagatore></srv:PosizioneDaInserire>`,
    )
    .join('');
  return envelope(
    `<srv:InserisciListaDiCaricoRequest><srv:Testata><srv:IdMessaggio>${o.idMessaggio}</srv:IdMessaggio><srv:CFEnteCreditore>${o.cf}</srv:CFEnteCreditore>` +
      `<srv:CodiceVersamento>${o.code}</srv:CodiceVersamento><srv:NumeroPosizioniDebitorie>${o.count ?? o.positions.length}</srv:NumeroPosizioniDebitorie>` +
      `<srv:ImportoTotaleListaDiCarico>${total}</srv:ImportoTotaleListaDiCarico></srv:Testata><srv:ListaDiCarico><srv:PosizioniDaInserire>${positions}</srv:PosizioniDaInserire></srv:ListaDiCarico></srv:InserisciListaDiCaricoRequest>`,
  );
}

export interface TestUpdate {
  tipo: 'MODIFICA' | 'ANNULLAMENTO';
  id: string;
  amount?: string;
  motivazione?: string;
  debtor?: { cf: string; name?: string; surname?: string; company?: string };
}

export function updateListXml(o: {
  idMessaggio: string;
  cf: string;
  code: string;
  updates: TestUpdate[];
  count?: number;
}): string {
  const updates = o.updates
    .map(
      (u) =>
        `<srv:PosizioneDaAggiornare><srv:TipoAggiornamento>${u.tipo}</srv:TipoAggiornamento><srv:IdPosizioneDebitoria>${u.id}</srv:IdPosizioneDebitoria>` +
        (u.amount ? `<srv:ImportoTotale>${u.amount}</srv:ImportoTotale>` : '') +
        (u.motivazione ? `<srv:Motivazione>${u.motivazione}</srv:Motivazione>` : '') +
        (u.debtor ? `<srv:SoggettoPagatore>${soggetto(u.debtor)}</srv:SoggettoPagatore>` : '') +
        `</srv:PosizioneDaAggiornare>`,
    )
    .join('');
  return envelope(
    `<srv:AggiornaPosizioniDebitorieRequest><srv:Testata><srv:IdMessaggio>${o.idMessaggio}</srv:IdMessaggio><srv:CFEnteCreditore>${o.cf}</srv:CFEnteCreditore>` +
      `<srv:CodiceVersamento>${o.code}</srv:CodiceVersamento><srv:NumeroPosizioniDebitorie>${o.count ?? o.updates.length}</srv:NumeroPosizioniDebitorie></srv:Testata>` +
      `<srv:ElencoPosizioniDaAggiornare><srv:PosizioniDaAggiornare>${updates}</srv:PosizioniDaAggiornare></srv:ElencoPosizioniDaAggiornare></srv:AggiornaPosizioniDebitorieRequest>`,
  );
}

/** Codice and Messaggio of an acknowledgement, after checking it against the XSDs. */
export function readAck(xml: string): { code: string; message: string } {
  const errors = piemontePaySchemas().common.checkEnvelope(xml).errors;
  if (errors.length > 0) throw new Error(`acknowledgement not valid: ${errors.join('; ')}`);
  const code = /<cmn:Codice>([^<]*)<\/cmn:Codice>/.exec(xml)?.[1] ?? '';
  const message = /<cmn:Messaggio>([^<]*)<\/cmn:Messaggio>/.exec(xml)?.[1] ?? '';
  return { code, message };
}
