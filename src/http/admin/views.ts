import type { DebtPosition } from '../../modules/debt-positions/domain/debt-position.js';
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
