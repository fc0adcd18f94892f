import { describe, expect, it } from 'vitest';
import {
  codEsitoOf,
  conclusionState,
  flowState,
  offersRetry,
} from '../../src/modules/portal/domain/session.js';

// What the Sportello says after Checkout, and where a payment flow stands when one of its pages is used.

describe('conclusionState: Checkout outcome read with the positions now', () => {
  it('every position paid: paid, whatever Checkout said (a receipt after an error or a timeout)', () => {
    for (const outcome of ['ok', 'ko', 'annullato', 'attesa'] as const)
      expect(conclusionState(outcome, ['PAID', 'PAID'], false)).toBe('paid');
    expect(conclusionState('ok', ['PAID', 'PAYMENT_IN_PROGRESS'], false)).toBe('received');
  });

  it('ok: received (waiting for the receipt); cancel: cancelled; error: failed', () => {
    expect(conclusionState('ok', ['PAYMENT_IN_PROGRESS'], false)).toBe('received');
    expect(conclusionState('annullato', ['PAYABLE'], true)).toBe('cancelled');
    expect(conclusionState('ko', ['PAYABLE'], true)).toBe('failed');
  });

  it('waiting (Checkout could not tell): unknown while a payment may be open at the node, abandoned after its token', () => {
    expect(conclusionState('attesa', ['PAYABLE'], true)).toBe('unknown');
    expect(conclusionState('attesa', ['PAYMENT_IN_PROGRESS'], false)).toBe('unknown');
    expect(conclusionState('attesa', ['PAYABLE'], false)).toBe('abandoned');
    expect(conclusionState('attesa', [], false)).toBe('abandoned');
  });

  it('codEsito 000 only for a payment made (paid, or registered by pagoPA), 100 otherwise (seed 000 §2.2.1, §3.3)', () => {
    expect(codEsitoOf('paid')).toBe('000');
    expect(codEsitoOf('received')).toBe('000');
    for (const s of ['unknown', 'abandoned', 'cancelled', 'failed'] as const)
      expect(codEsitoOf(s)).toBe('100');
  });
});

describe('offersRetry', () => {
  it('cancelled, failed, abandoned: retry; unknown (the receipt may still come), received, paid: none', () => {
    for (const st of ['cancelled', 'failed', 'abandoned'] as const) expect(offersRetry(st)).toBe(true);
    for (const st of ['unknown', 'received', 'paid'] as const) expect(offersRetry(st)).toBe(false);
  });
});

describe('flowState', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  const later = new Date('2026-12-02T11:00:00Z');
  it('closed ("< Indietro") and concluded before superseded before expired before open', () => {
    expect(flowState({ outcome: 'indietro', supersededAt: now, expiresAt: now }, now)).toBe('closed');
    expect(flowState({ outcome: 'ok', supersededAt: now, expiresAt: now }, now)).toBe('concluded');
    expect(flowState({ outcome: null, supersededAt: now, expiresAt: now }, now)).toBe('superseded');
    expect(flowState({ outcome: null, supersededAt: null, expiresAt: now }, now)).toBe('expired');
    expect(flowState({ outcome: null, supersededAt: null, expiresAt: later }, now)).toBe('open');
  });
});
