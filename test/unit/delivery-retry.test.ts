import { describe, expect, it } from 'vitest';
import { isDeliveredCode, retryDelayMs } from '../../src/modules/gestionali/domain/deliveries.js';

// When a message to a gestionale counts as delivered, and how long Cassa waits before trying it again:
// exponential backoff from CASSA_DELIVERY_RETRY_BASE_MS, capped at CASSA_DELIVERY_RETRY_CAP_MS, with
// "equal jitter" so that the messages of a gestionale that was down do not come back all at once.

describe('retry policy', () => {
  it('grows exponentially up to the cap, with jitter within [delay/2, delay]', () => {
    const policy = { baseMs: 1000, capMs: 60_000, failingAfter: 5 };
    const low = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(n, policy, () => 0));
    const high = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(n, policy, () => 1));
    expect(high).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(low).toEqual(high.map((h) => h / 2));
    expect(retryDelayMs(1000, policy, () => 1)).toBe(60000);
  });

  it('the random half lies between: never below half the delay, never above it', () => {
    const policy = { baseMs: 1000, capMs: 60_000, failingAfter: 5 };
    expect(retryDelayMs(3, policy, () => 0.5)).toBe(3000);
    for (let i = 0; i <= 100; i++) {
      const d = retryDelayMs(4, policy, () => i / 100);
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });

  it('the first retry waits the base delay; a count of zero or less (no failure yet) too', () => {
    const policy = { baseMs: 40, capMs: 150, failingAfter: 3 };
    for (const attempts of [1, 0, -5]) expect(retryDelayMs(attempts, policy, () => 1)).toBe(40);
  });

  it('never more than the cap, however many attempts (no overflow to Infinity or NaN)', () => {
    const policy = { baseMs: 1000, capMs: 60_000, failingAfter: 5 };
    for (const attempts of [31, 32, 1024, 1e9, Number.MAX_SAFE_INTEGER])
      expect(
        retryDelayMs(attempts, policy, () => 1),
        String(attempts),
      ).toBe(60_000);
    // a base above the cap: the cap from the first retry
    expect(retryDelayMs(1, { baseMs: 90_000, capMs: 60_000, failingAfter: 5 }, () => 1)).toBe(60_000);
  });

  it('whole milliseconds, also from an odd base', () => {
    const policy = { baseMs: 3, capMs: 1000, failingAfter: 5 };
    expect(retryDelayMs(1, policy, () => 0)).toBe(2);
    expect(retryDelayMs(1, policy, () => 1)).toBe(3);
    expect(Number.isInteger(retryDelayMs(2, policy, () => 0.123))).toBe(true);
  });
});

describe("the gestionale's Result code", () => {
  it('000 is delivered; so are 012, 112 and 150 ("IdMessaggio already received": the gestionale has it)', () => {
    for (const code of ['000', '012', '112', '150']) expect(isDeliveredCode(code), code).toBe(true);
  });

  it('any other code, or none, is not delivered (retried)', () => {
    for (const code of [undefined, '', '100', '200', '300', '999', '0', '00', '0000', ' 000', '000 '])
      expect(isDeliveredCode(code), JSON.stringify(code)).toBe(false);
  });
});
