/**
 * Writing the notifications Cassa sends to a gestionale's EPaywso2EntiService (EPaywso2EntiServiceTypes.xsd):
 * TrasmettiNotifichePagamento, TrasmettiAvvisiScaduti and TrasmettiRT. Pure builders: rows in, request element
 * out (no envelope).
 */
import { centsToDecimal } from '../../../../shared/money.js';
import { el } from '../../../../shared/soap/xml-text.js';
import { truncateChars } from '../../../../shared/text.js';
import {
  MAX_IMPORTO_CENTS,
  MAX_NOTIFICATIONS_PER_MESSAGE,
  MAX_RT_PER_MESSAGE,
  type ExpiredNotice,
  type MessageHeader,
  type Party,
  type PaymentNotification,
  type ReceiptCopy,
} from '../../domain/notifications.js';
import { EPAYWSO2ENTI_NS, EPAYWSO_COMMON_NS } from './namespaces.js';

export function trasmettiNotifichePagamento(
  h: MessageHeader & { pagamentiSpontanei: boolean },
  items: readonly PaymentNotification[],
): string {
  checkCount(items.length, MAX_NOTIFICATIONS_PER_MESSAGE);
  const total = items.reduce((s, n) => s + n.amountCents, 0);
  const out: string[] = [
    `<TrasmettiNotifichePagamentoRequest xmlns="${EPAYWSO2ENTI_NS}" xmlns:cmn="${EPAYWSO_COMMON_NS}"><Testata>`,
    testata(h),
    el('PagamentiSpontanei', h.pagamentiSpontanei ? 'true' : 'false'),
    el('NumeroPagamenti', String(items.length)),
    el('ImportoTotalePagamenti', centsToDecimal(total)),
    '</Testata><CorpoNotifichePagamento><ElencoNotifichePagamento>',
  ];
  for (const n of items) {
    out.push(
      '<NotificaPagamento>',
      opt('IdPosizioneDebitoria', cut(n.idPosizioneDebitoria, 50)),
      opt(
        'AnnoDiRiferimento',
        n.referenceYear !== null && n.referenceYear >= 1900 && n.referenceYear <= 2900
          ? String(n.referenceYear)
          : null,
      ),
      el('IUV', n.iuv.slice(0, 35)),
      el('ImportoPagato', centsToDecimal(n.amountCents)),
      opt('DataScadenza', n.dueDate),
      opt('DescrizioneCausaleVersamento', cut(n.causale, 140)),
      el('DataEsitoPagamento', n.paymentDate),
      soggetto('SoggettoDebitore', n.debtor),
      n.payer ? soggetto('SoggettoVersante', n.payer) : '',
      '<DatiTransazionePSP>',
      el('IdPSP', cut(n.idPSP, 35) ?? 'N/A'),
      opt('RagioneSocialePSP', cut(n.pspCompanyName, 250)),
      el('DataOraAvvioTransazione', n.paymentDateTime),
      el('IUR', n.receiptId.slice(0, 35)),
      el('DataOraAutorizzazione', n.paymentDateTime),
      opt('TipoSicurezza', cut(n.paymentMethod, 50)),
      // amount + fee may exceed cmn:ImportoType's maximum; the element is optional and then left out
      n.amountCents + (n.feeCents ?? 0) <= MAX_IMPORTO_CENTS
        ? el('ImportoTransato', centsToDecimal(n.amountCents + (n.feeCents ?? 0)))
        : '',
      n.feeCents !== null ? el('ImportoCommissioni', centsToDecimal(n.feeCents)) : '',
      '</DatiTransazionePSP>',
      opt('DatiSpecificiRiscossione', cut(n.datiSpecificiRiscossione, 140)),
      el('CodiceAvviso', n.noticeNumber),
      '</NotificaPagamento>',
    );
  }
  out.push('</ElencoNotifichePagamento></CorpoNotifichePagamento></TrasmettiNotifichePagamentoRequest>');
  return out.join('');
}

export function trasmettiAvvisiScaduti(h: MessageHeader, items: readonly ExpiredNotice[]): string {
  checkCount(items.length, MAX_NOTIFICATIONS_PER_MESSAGE);
  const total = items.reduce((s, n) => s + n.amountCents, 0);
  const out: string[] = [
    `<TrasmettiAvvisiScadutiRequest xmlns="${EPAYWSO2ENTI_NS}" xmlns:cmn="${EPAYWSO_COMMON_NS}"><Testata>`,
    testata(h),
    el('NumeroAvvisiScaduti', String(items.length)),
    el('ImportoTotaleAvvisiScaduti', centsToDecimal(total)),
    '</Testata><CorpoAvvisiScaduti><ElencoAvvisiScaduti>',
  ];
  for (const a of items) {
    out.push(
      '<AvvisoScaduto>',
      el('IUV', a.iuv.slice(0, 35)),
      opt('DataScadenza', a.dueDate),
      el('Importo', centsToDecimal(a.amountCents)),
      '</AvvisoScaduto>',
    );
  }
  out.push('</ElencoAvvisiScaduti></CorpoAvvisiScaduti></TrasmettiAvvisiScadutiRequest>');
  return out.join('');
}

export function trasmettiRT(h: MessageHeader, items: readonly ReceiptCopy[]): string {
  checkCount(items.length, MAX_RT_PER_MESSAGE);
  const out: string[] = [
    `<TrasmettiRTRequest xmlns="${EPAYWSO2ENTI_NS}"><Testata>`,
    testata(h),
    el('NumeroRT', String(items.length)),
    '</Testata><CorpoRT><ElencoRT>',
  ];
  for (const r of items)
    out.push(
      '<RT>',
      el('Id', truncateChars(r.id, 50)),
      el(
        'XML',
        (typeof r.xml === 'string'
          ? Buffer.from(r.xml, 'utf8')
          : Buffer.from(r.xml.buffer, r.xml.byteOffset, r.xml.byteLength)
        ).toString('base64'),
      ),
      '</RT>',
    );
  out.push('</ElencoRT></CorpoRT></TrasmettiRTRequest>');
  return out.join('');
}

// --- XML pieces --------------------------------------------------------------------------------------------

/** The Testata's elements every message starts with: the message, its ente and its payment type. */
function testata(h: MessageHeader): string {
  return (
    el('IdMessaggio', h.idMessaggio) +
    el('CFEnteCreditore', h.enteFiscalCode) +
    el('CodiceVersamento', h.codiceVersamento)
  );
}

function checkCount(n: number, max: number): void {
  if (n < 1 || n > max) throw new RangeError(`a message carries 1..${max} items, not ${n}`);
}

function opt(name: string, value: string | null | undefined): string {
  return value === null || value === undefined || value.trim() === '' ? '' : el(name, value);
}

function cut(v: string | null | undefined, max: number): string | null {
  if (v === null || v === undefined) return null;
  const t = v.trim();
  return t === '' ? null : truncateChars(t, max);
}

const EMAIL = /^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;

/** cmn:SoggettoType (its children are in the common namespace). */
function soggetto(name: string, p: Party): string {
  const company = cut(p.company, 70);
  const surname = cut(p.surname, 70);
  const given = cut(p.name, 70);
  const juridical = p.type === 'G' || (p.type === null && company !== null && surname === null);
  const who = juridical
    ? `<cmn:PersonaGiuridica>${el('cmn:RagioneSociale', company ?? surname ?? 'ANONIMO')}</cmn:PersonaGiuridica>`
    : `<cmn:PersonaFisica>${el('cmn:Cognome', surname ?? company ?? 'ANONIMO')}${el('cmn:Nome', given ?? '-')}</cmn:PersonaFisica>`;
  const nation = p.nation && /^[A-Z]{2}$/.test(p.nation) ? p.nation : null;
  const email = p.email && p.email.length <= 256 && EMAIL.test(p.email) ? p.email : null;
  return [
    `<${name}>`,
    who,
    el('cmn:IdentificativoUnivocoFiscale', p.fiscalCode.slice(0, 35) || 'ANONIMO'),
    opt('cmn:Indirizzo', cut(p.address, 70)),
    opt('cmn:Civico', cut(p.civic, 16)),
    opt('cmn:CAP', cut(p.postalCode, 16)),
    opt('cmn:Localita', cut(p.locality, 35)),
    opt('cmn:Provincia', cut(p.province, 35)),
    opt('cmn:Nazione', nation),
    opt('cmn:EMail', email),
    `</${name}>`,
  ].join('');
}
