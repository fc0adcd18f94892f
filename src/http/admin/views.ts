import type { DebtPosition } from '../../modules/debt-positions/domain/debt-position.js';
import type { DocumentPlace } from '../../modules/debt-positions/domain/documents.js';
import type {
  CreatedDocument,
  DocumentState,
} from '../../modules/debt-positions/application/documents-service.js';
import type { ReceiptSummary } from '../../modules/pagopa/application/receipts-queries.js';

/** A debt position as the admin API shows it: amounts in cents, dates ISO, the status history. */
export function positionView(
  p: DebtPosition,
  history: { from: string | null; to: string; at: Date; actor: string; reason: string | null }[],
) {
  return {
    iuv: p.iuv,
    noticeNumber: p.noticeNumber,
    idPosizioneDebitoria: p.idPosizioneDebitoria ?? null,
    status: p.status,
    amountCents: p.amountCents,
    components: p.components,
    causale: p.causale,
    descrizioneRata: p.descrizioneRata ?? null,
    debtor: p.debtor,
    dueDate: p.dueDate ?? null,
    validFrom: p.validFrom ?? null,
    validTo: p.validTo ?? null,
    paymentReferences: p.paymentReferences,
    payerNote: p.payerNote ?? null,
    referenceYear: p.referenceYear ?? null,
    cancellationReason: p.cancellationReason ?? null,
    document: p.document
      ? {
          identificativo: p.document.identificativo,
          descrizione: p.document.descrizione,
          ...placeView(p.document.place),
        }
      : null,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
    statusHistory: history.map((h) => ({ ...h, at: h.at.toISOString() })),
  };
}

/** A receipt as the admin API lists it: amounts in cents, instants ISO, without its XML. */
export function receiptView(r: ReceiptSummary) {
  return {
    id: r.id,
    ente: r.enteFiscalCode,
    iuv: r.iuv,
    noticeNumber: r.noticeNumber,
    positionId: r.positionId,
    receiptId: r.receiptId,
    primitive: r.primitive,
    outcome: r.outcome,
    amountCents: r.amountCents,
    feeCents: r.feeCents,
    paymentDateTime: r.paymentDateTime?.toISOString() ?? null,
    applicationDate: r.applicationDate,
    transferDate: r.transferDate,
    idPsp: r.idPsp,
    pspCompanyName: r.pspCompanyName,
    pspFiscalCode: r.pspFiscalCode,
    idChannel: r.idChannel,
    channelDescription: r.channelDescription,
    paymentMethod: r.paymentMethod,
    paymentNote: r.paymentNote,
    standIn: r.standIn,
    anomaly: r.anomaly,
    receivedAt: r.receivedAt.toISOString(),
  };
}

/** A new application as the admin API (and the CLI) answer: with the passphrase Cassa generated, shown this once. */
export function createdApplicationView<A extends object>(r: {
  application: A;
  generatedPassphrase?: string;
}) {
  return { ...r.application, ...(r.generatedPassphrase ? { passphrase: r.generatedPassphrase } : {}) };
}

/** A passphrase rotation as the admin API (and the CLI) answer: a generated passphrase is shown this once. */
export function rotatedPassphraseView(r: { passphrase: string; generated: boolean }) {
  return r.generated ? { passphrase: r.passphrase } : { rotated: true };
}

/** A position's place in its document, in GovPay's words: `rata` n, `soglia` {tipo, giorni}, or neither (the single solution). */
export function placeView(place: DocumentPlace) {
  switch (place.kind) {
    case 'INSTALMENT':
      return { place: 'INSTALMENT' as const, rata: place.rata };
    case 'THRESHOLD':
      return { place: 'THRESHOLD' as const, soglia: { tipo: place.tipo, giorni: place.giorni } };
    default:
      return { place: 'SINGLE' as const };
  }
}

/** A document just created: each position's place, IUV, notice number, amount and due date. */
export function createdDocumentView(enteCf: string, codiceVersamento: string, d: CreatedDocument) {
  return {
    ente: enteCf,
    paymentType: codiceVersamento,
    identificativo: d.identificativo,
    descrizione: d.descrizione,
    positions: d.positions.map((p) => ({
      ...placeView(p.place),
      iuv: p.iuv,
      noticeNumber: p.noticeNumber,
      amountCents: p.amountCents,
      dueDate: p.dueDate ?? null,
      status: p.status,
    })),
  };
}

/** A document with its positions as of today: status, place, whether each can be paid now and what blocks it. */
export function documentView(enteCf: string, d: DocumentState) {
  return {
    ente: enteCf,
    identificativo: d.identificativo,
    descrizione: d.descrizione,
    createdAt: d.createdAt.toISOString(),
    positions: d.positions.map((s) => ({
      ...placeView(s.position.document!.place),
      iuv: s.position.iuv,
      noticeNumber: s.position.noticeNumber,
      amountCents: s.position.amountCents,
      dueDate: s.position.dueDate ?? null,
      causale: s.position.causale,
      status: s.status,
      payableNow: s.payableNow,
      blockedBy: s.blockedBy,
    })),
  };
}
