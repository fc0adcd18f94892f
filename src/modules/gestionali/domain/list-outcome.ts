/**
 * The outcome of a list, sent back to the gestionale's EPaywso2EntiService once the list is processed: the
 * list's Result and one CodiceEsito per position, under the operation that answers the list's kind.
 */
import type { ListKind } from './lists.js';

export interface OutcomeItem {
  idPosizioneDebitoria: string;
  iuv?: string | null | undefined;
  noticeNumber?: string | null | undefined;
  code: string;
  description?: string | null | undefined;
}

export interface ListOutcome {
  kind: ListKind;
  result: { code: string; message: string };
  idMessaggio: string;
  cfEnteCreditore: string;
  codiceVersamento: string;
  items: readonly OutcomeItem[];
}

export const OUTCOME_OPERATION: Record<
  ListKind,
  'EsitoInserimentoListaDiCarico' | 'EsitoAggiornaPosizioniDebitorie'
> = {
  INSERIMENTO: 'EsitoInserimentoListaDiCarico',
  AGGIORNAMENTO: 'EsitoAggiornaPosizioniDebitorie',
};
