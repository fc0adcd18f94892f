import type { PositionState } from './store.js';

const euro = new Intl.NumberFormat('it-IT', { style: 'currency', currency: 'EUR' });

export function formatCents(cents: number): string {
  return euro.format(cents / 100);
}

/** How the gestionale names its states to the citizen, and the badge colour. */
export const STATE_LABELS: Record<PositionState, { label: string; badge: string }> = {
  DA_PAGARE: { label: 'da pagare', badge: 'secondary' },
  PAGAMENTO_AVVIATO: { label: 'pagamento avviato, esito non ricevuto: puoi riprovare', badge: 'secondary' },
  ESITO_POSITIVO_IN_ATTESA: {
    label: 'esito positivo, in attesa della notifica di pagamento',
    badge: 'warning',
  },
  TENTATIVO_NON_RIUSCITO: { label: 'tentativo non riuscito o annullato: puoi riprovare', badge: 'danger' },
  PAGATO_DEFINITIVO: { label: 'pagato (definitivo)', badge: 'success' },
  ANNULLATA: { label: "annullata dall'ente", badge: 'dark' },
  NON_PAGABILE: { label: 'non pagabile (non ancora attiva o scaduta)', badge: 'dark' },
  SCADUTA: { label: 'scaduta senza pagamento (avviso di scadenza ricevuto)', badge: 'dark' },
};
