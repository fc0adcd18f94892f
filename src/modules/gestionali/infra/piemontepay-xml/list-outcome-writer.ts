/**
 * The outcome of a list as the gestionale's EPaywso2EntiService receives it:
 * EsitoInserimentoListaDiCaricoRequest / EsitoAggiornaPosizioniDebitorieRequest
 * (EPaywso2EntiServiceTypes.xsd, elementFormDefault qualified: Result and the positions are in the
 * common namespace, TestataEsito and EsitoInserimento/EsitoAggiornamento in the service's).
 */
import { xmlEscape } from '../../../../shared/soap/xml-text.js';
import { OUTCOME_OPERATION, type ListOutcome } from '../../domain/list-outcome.js';
import { EPAYWSO2ENTI_NS, EPAYWSO_COMMON_NS } from './namespaces.js';

const el = (prefix: string, name: string, value: string | null | undefined, max?: number) =>
  value === null || value === undefined || value === ''
    ? ''
    : `<${prefix}:${name}>${xmlEscape(max ? value.slice(0, max) : value)}</${prefix}:${name}>`;

export function listOutcomeXml(o: ListOutcome): string {
  const op = OUTCOME_OPERATION[o.kind];
  const [wrapper, list, item] =
    o.kind === 'INSERIMENTO'
      ? ['EsitoInserimento', 'ElencoPosizioniDebitorieInserite', 'PosizioneDebitoriaInserita']
      : ['EsitoAggiornamento', 'ElencoPosizioniDebitorieAggiornate', 'PosizioneDebitoriaAggiornata'];
  const parts: string[] = [
    `<ent:${op}Request xmlns:ent="${EPAYWSO2ENTI_NS}" xmlns:cmn="${EPAYWSO_COMMON_NS}">`,
    `<cmn:Result>${el('cmn', 'Codice', o.result.code)}${el('cmn', 'Messaggio', o.result.message, 500)}</cmn:Result>`,
    `<ent:TestataEsito>${el('ent', 'IdMessaggio', o.idMessaggio)}${el('ent', 'CFEnteCreditore', o.cfEnteCreditore)}${el('ent', 'CodiceVersamento', o.codiceVersamento)}</ent:TestataEsito>`,
  ];
  if (o.items.length > 0) {
    parts.push(`<ent:${wrapper}><cmn:${list}>`);
    for (const i of o.items) {
      parts.push(
        `<cmn:${item}>${el('cmn', 'IdPosizioneDebitoria', i.idPosizioneDebitoria, 50)}${el('cmn', 'IUV', i.iuv)}${el('cmn', 'CodiceAvviso', i.noticeNumber)}` +
          `${el('cmn', 'CodiceEsito', i.code)}${el('cmn', 'DescrizioneEsito', i.description, 200)}</cmn:${item}>`,
      );
    }
    parts.push(`</cmn:${list}></ent:${wrapper}>`);
  }
  parts.push(`</ent:${op}Request>`);
  return parts.join('');
}
