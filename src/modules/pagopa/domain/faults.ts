/**
 * Error catalog of the pagoPA creditor-side interface (paForNode): the PAA_* fault codes an ente
 * creditore may answer to the node, with the official faultStrings (docs.pagopa.it
 * gestionedeglierrori › faultcode e faultstring › "Dominio EC"). The SOAP edge writes them as the
 * operation's `fault` (ctFaultBean) with outcome KO; `id` is the fiscal code of the ente that raises it.
 */
import { DomainError, type ErrorKind } from '../../../shared/domain-error.js';

const catalog = {
  PAA_SINTASSI_EXTRAXSD: { faultString: 'Errore di sintassi extra XSD', kind: 'invalid' },
  PAA_SINTASSI_XSD: { faultString: 'Errore di sintassi XSD', kind: 'invalid' },
  PAA_ID_DOMINIO_ERRATO: { faultString: 'La PAA non corrisponde al Dominio indicato', kind: 'not-found' },
  PAA_ID_INTERMEDIARIO_ERRATO: {
    faultString: 'Identificativo intermediario non corrispondente',
    kind: 'forbidden',
  },
  PAA_STAZIONE_INT_ERRATA: { faultString: 'Stazione intermediario non corrispondente', kind: 'forbidden' },
  PAA_PAGAMENTO_SCONOSCIUTO: {
    faultString: 'Pagamento in attesa risulta sconosciuto all’Ente Creditore',
    kind: 'not-found',
  },
  PAA_PAGAMENTO_DUPLICATO: {
    faultString: 'Pagamento in attesa risulta concluso all’Ente Creditore',
    kind: 'conflict',
  },
  PAA_PAGAMENTO_IN_CORSO: {
    faultString: 'Pagamento in attesa risulta in corso all’Ente Creditore',
    kind: 'conflict',
  },
  PAA_PAGAMENTO_SCADUTO: {
    faultString: 'Pagamento in attesa risulta scaduto all’Ente Creditore',
    kind: 'conflict',
  },
  PAA_PAGAMENTO_ANNULLATO: {
    faultString: 'Pagamento in attesa risulta annullato all’Ente Creditore',
    kind: 'conflict',
  },
  PAA_RECEIPT_DUPLICATA: { faultString: 'Receipt duplicata', kind: 'conflict' },
  PAA_SEMANTICA: { faultString: 'Errore semantico', kind: 'invalid' },
  PAA_SYSTEM_ERROR: { faultString: 'Errore generico', kind: 'conflict' },
} as const satisfies Record<string, { faultString: string; kind: ErrorKind }>;

export type PaaFaultCode = keyof typeof catalog;

export class PaaFault extends DomainError {
  readonly code: PaaFaultCode;
  readonly kind: ErrorKind;
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
    super(description ?? catalog[code].faultString);
    this.name = 'PaaFault';
    this.code = code;
    this.kind = catalog[code].kind;
    this.faultString = catalog[code].faultString;
  }
}

export function paaFault(code: PaaFaultCode, id: string, description?: string): PaaFault {
  return new PaaFault(code, id, description);
}

export function faultStringOf(code: PaaFaultCode): string {
  return catalog[code].faultString;
}
