/**
 * Error catalog of the pagoPA creditor-side interface (paForNode): the PAA_* fault codes an ente
 * creditore may answer to the node, with the official faultStrings (docs.pagopa.it
 * gestionedeglierrori › faultcode e faultstring › "Dominio EC"). The SOAP edge writes them as the
 * operation's `fault` (ctFaultBean) with outcome KO; `id` is the fiscal code of the ente that raises it.
 */
import { defineCatalog } from '../../../shared/domain-error.js';

/** Each fault's `message` is its official faultString. */
export class PaaFault extends defineCatalog({
  PAA_SINTASSI_EXTRAXSD: { message: 'Errore di sintassi extra XSD', kind: 'invalid' },
  PAA_SINTASSI_XSD: { message: 'Errore di sintassi XSD', kind: 'invalid' },
  PAA_ID_DOMINIO_ERRATO: { message: 'La PAA non corrisponde al Dominio indicato', kind: 'not-found' },
  PAA_ID_INTERMEDIARIO_ERRATO: {
    message: 'Identificativo intermediario non corrispondente',
    kind: 'forbidden',
  },
  PAA_STAZIONE_INT_ERRATA: { message: 'Stazione intermediario non corrispondente', kind: 'forbidden' },
  PAA_PAGAMENTO_SCONOSCIUTO: {
    message: 'Pagamento in attesa risulta sconosciuto all’Ente Creditore',
    kind: 'not-found',
  },
  PAA_PAGAMENTO_DUPLICATO: {
    message: 'Pagamento in attesa risulta concluso all’Ente Creditore',
    kind: 'conflict',
  },
  PAA_PAGAMENTO_IN_CORSO: {
    message: 'Pagamento in attesa risulta in corso all’Ente Creditore',
    kind: 'conflict',
  },
  PAA_PAGAMENTO_SCADUTO: {
    message: 'Pagamento in attesa risulta scaduto all’Ente Creditore',
    kind: 'conflict',
  },
  PAA_PAGAMENTO_ANNULLATO: {
    message: 'Pagamento in attesa risulta annullato all’Ente Creditore',
    kind: 'conflict',
  },
  PAA_RECEIPT_DUPLICATA: { message: 'Receipt duplicata', kind: 'conflict' },
  PAA_SEMANTICA: { message: 'Errore semantico', kind: 'invalid' },
  PAA_SYSTEM_ERROR: { message: 'Errore generico', kind: 'conflict' },
}) {
  readonly faultString: string;

  /**
   * @param id the fiscal code of the ente raising the fault (the request's idPA)
   * @param description free text for the node's operators; never a stack trace
   */
  constructor(
    code: PaaFaultCode,
    readonly id: string,
    readonly description?: string,
  ) {
    super(code, description);
    this.faultString = faultStringOf(code);
  }
}

export type PaaFaultCode = PaaFault['code'];

export function paaFault(code: PaaFaultCode, id: string, description?: string): PaaFault {
  return new PaaFault(code, id, description);
}

export function faultStringOf(code: PaaFaultCode): string {
  return PaaFault.table[code].message;
}
