/**
 * Liste di carico (PiemontePAY Enti2EPaywsoService): the acknowledgement codes, the per-position
 * outcome codes (CodiciEsito), a list's header and changes, and the rules a list's positions obey
 * beyond the XSD. Field names are the XSD's (Enti2EPaywsoServiceTypes.xsd), so that every outcome
 * names the element the gestionale sent; reading the XML itself is infra/piemontepay-xml/list-reader.ts.
 */
import {
  ANONIMO,
  type Debtor,
  type DraftFieldNames,
  type DraftPatch,
  type PaymentReference,
} from '../../debt-positions/domain/debt-position.js';
import { positionError } from '../../debt-positions/domain/errors.js';
import { defineCatalog } from '../../../shared/domain-error.js';
import { ESITO } from '../../../shared/piemontepay/codes.js';

export type ListOperation = 'InserisciListaDiCarico' | 'AggiornaPosizioniDebitorie';
export type ListKind = 'INSERIMENTO' | 'AGGIORNAMENTO';
export const LIST_OPERATIONS: Record<string, { operation: ListOperation; kind: ListKind }> = {
  InserisciListaDiCaricoRequest: { operation: 'InserisciListaDiCarico', kind: 'INSERIMENTO' },
  AggiornaPosizioniDebitorieRequest: { operation: 'AggiornaPosizioniDebitorie', kind: 'AGGIORNAMENTO' },
};

export type ListStatus = 'DA_ELABORARE' | 'ELABORATA' | 'ERRORE_IN_FASE_DI_ELABORAZIONE';

/**
 * A list refused at once: answered with its code in the acknowledgement, nothing stored. The codes
 * are the synchronous Result of Enti2EPaywsoService as PiemontePAY's WSO2 layer answers them
 * (IssueEnum), plus CodiciEsito 154/155/157 for header checks.
 */
export class ListAckError extends defineCatalog({
  GENERIC: { code: ESITO.GENERIC_ERROR, kind: 'invalid' },
  XSD: { code: ESITO.MESSAGE_INVALID, kind: 'invalid' },
  BLANK_ID: { code: ESITO.MESSAGE_INVALID, kind: 'invalid' },
  ENTE_UNKNOWN: { code: ESITO.ACK_ENTE_UNKNOWN, kind: 'not-found' },
  PAYMENT_TYPE_UNKNOWN: { code: ESITO.ACK_PAYMENT_TYPE_UNKNOWN, kind: 'not-found' },
  NOT_AUTHORISED: { code: ESITO.ACK_NOT_AUTHORISED, kind: 'forbidden' },
  DUPLICATE_MESSAGE: { code: ESITO.DUPLICATE_MESSAGE, kind: 'conflict' },
  COUNT_MISMATCH: { code: ESITO.COUNT_MISMATCH, kind: 'invalid' },
  TOTAL_MISMATCH: { code: ESITO.TOTAL_MISMATCH, kind: 'invalid' },
  PAYMENT_TYPE_NOT_ACTIVE: { code: ESITO.PAYMENT_TYPE_NOT_ACTIVE, kind: 'forbidden' },
  CALLER_NOT_AUTHENTICATED: { code: ESITO.GENERIC_ERROR, kind: 'unauthorized' },
}) {}

export type ListAckName = ListAckError['errorName'];

export function ackError(name: ListAckName, message: string): ListAckError {
  return new ListAckError(name, message);
}

export const ACK_OK = { code: ESITO.OK, message: 'Lista presa in carico' };

/** A list's result: 000 every position OK, 050 some, 051 none (CodiciEsito). */
export function listResult(ok: number, ko: number): { code: string; message: string } {
  if (ko === 0)
    return { code: ESITO.OK, message: `Elaborazione completata: ${ok} posizioni elaborate correttamente` };
  if (ok === 0)
    return {
      code: ESITO.LIST_NOT_DONE,
      message: `Elaborazione completata: nessuna delle ${ko} posizioni elaborata correttamente`,
    };
  return {
    code: ESITO.LIST_PARTLY_DONE,
    message: `Elaborazione parzialmente completata: ${ok} posizioni elaborate correttamente, ${ko} con errori`,
  };
}

export const OUTCOME_OK = { code: ESITO.OK, description: 'OK' };

/**
 * A per-position CodiceEsito as EPaywso2EntiServiceTypes.xsd allows it (CodiceEsitoType: [012][0-9]{2}).
 * Cassa's shared catalog has codes outside it (300, inconsistent components, from PiemontePAY's REST API):
 * they become 100 ("a field is not valid"), the description still naming the field.
 */
export function outcomeCode(code: string): string {
  return /^[012][0-9]{2}$/.test(code) ? code : ESITO.GENERIC_ERROR;
}

/** A positions's field names as Enti2EPaywsoServiceTypes.xsd spells them. */
export const LIST_FIELD_NAMES: DraftFieldNames = {
  amount: 'ImportoTotale',
  components: 'ComponentiImporto',
  componentAmount: (i) => `ComponentiImporto/ComponenteImporto[${i + 1}]/Importo`,
  componentCausale: (i) => `ComponentiImporto/ComponenteImporto[${i + 1}]/CausaleDescrittiva`,
  causale: 'DescrizioneCausaleVersamento',
  debtorFiscalCode: 'SoggettoPagatore/IdentificativoUnivocoFiscale',
  debtorName: 'SoggettoPagatore/PersonaFisica/Nome',
  debtorSurname: 'SoggettoPagatore/PersonaFisica/Cognome',
  debtorCompany: 'SoggettoPagatore/PersonaGiuridica/RagioneSociale',
  email: 'SoggettoPagatore/EMail',
  validFrom: 'DataInizioValidita',
  validTo: 'DataFineValidita',
  dueDate: 'DataScadenza',
  references: 'RiferimentiPagamento',
  idPosizioneDebitoria: 'IdPosizioneDebitoria',
};

/** A list's Testata, as the XSD names its fields. */
export interface ListHeader {
  idMessaggio: string;
  cfEnteCreditore: string;
  codiceVersamento: string;
  multiBeneficiario: boolean | undefined;
  numeroPosizioniDebitorie: number;
  /** only for InserisciListaDiCarico */
  importoTotaleCents: number | undefined;
}

/**
 * Fines with advance notice (modello Multe): a new position carries RiferimentiPagamento only when its soggetto
 * pagatore is ANONIMO (PiemontePAY 194).
 */
export function assertReferencesAllowed(debtor: Debtor, references: readonly PaymentReference[]): void {
  if (references.length > 0 && debtor.fiscalCode !== ANONIMO) {
    throw positionError(
      'REFERENCES_NOT_ALLOWED',
      `Il campo ${LIST_FIELD_NAMES.references} è ammesso solo per le posizioni con soggetto pagatore ANONIMO (modello Multe)`,
      LIST_FIELD_NAMES.references,
    );
  }
}

/** A PosizioneDaAggiornare as Cassa applies it: a change of some fields, or the position's cancellation. */
export type ListChange =
  | { kind: 'MODIFICA'; idPosizioneDebitoria: string; patch: DraftPatch }
  | { kind: 'ANNULLAMENTO'; idPosizioneDebitoria: string; reason?: string | undefined };
