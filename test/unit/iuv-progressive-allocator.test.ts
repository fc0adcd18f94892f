import { describe, expect, it } from 'vitest';
import { IuvProgressiveAllocator } from '../../src/modules/debt-positions/application/iuv-progressive-allocator.js';

/** A stand-in for a PostgreSQL sequence per key: hands out increasing numbers, counting the calls. */
function fakeSequences() {
  const next = new Map<string, bigint>();
  const calls: { key: string; count: number }[] = [];
  const fetch = async (enteId: number, seg: string, count: number) => {
    const key = `${enteId}/${seg}`;
    calls.push({ key, count });
    await new Promise((r) => setImmediate(r));
    const start = next.get(key) ?? 1n;
    next.set(key, start + BigInt(count));
    return Array.from({ length: count }, (_, i) => start + BigInt(i));
  };
  return { fetch, calls };
}

describe('IuvProgressiveAllocator', () => {
  it('hands out each number of a block once, in order, fetching a new block only when one is used up', async () => {
    const seq = fakeSequences();
    const a = new IuvProgressiveAllocator(seq.fetch, 3);
    const got: bigint[] = [];
    for (let i = 0; i < 7; i++) got.push(await a.next(1, '01'));
    expect(got).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(seq.calls).toEqual([
      { key: '1/01', count: 3 },
      { key: '1/01', count: 3 },
      { key: '1/01', count: 3 },
    ]);
  });

  it('keeps separate numbers per ente and segregation code', async () => {
    const seq = fakeSequences();
    const a = new IuvProgressiveAllocator(seq.fetch, 2);
    expect(await a.next(1, '01')).toBe(1n);
    expect(await a.next(1, '02')).toBe(1n);
    expect(await a.next(2, '01')).toBe(1n);
    expect(await a.next(1, '01')).toBe(2n);
    expect(await a.next(1, '01')).toBe(3n);
  });

  it('never gives the same number twice to concurrent callers, with one fetch per block', async () => {
    const seq = fakeSequences();
    const a = new IuvProgressiveAllocator(seq.fetch, 10);
    const got = await Promise.all(Array.from({ length: 95 }, () => a.next(1, '01')));
    expect(new Set(got.map(String)).size).toBe(95);
    expect(got.every((n) => n >= 1n && n <= 100n)).toBe(true);
    expect(seq.calls.length).toBe(10);
  });

  it('lets a failed fetch fail its callers and retries on the next call', async () => {
    let fail = true;
    const a = new IuvProgressiveAllocator(
      (_e, _s, count) =>
        fail
          ? Promise.reject(new Error('database down'))
          : Promise.resolve(Array.from({ length: count }, (_, i) => BigInt(i + 1))),
      2,
    );
    await expect(a.next(1, '01')).rejects.toThrow('database down');
    fail = false;
    expect(await a.next(1, '01')).toBe(1n);
  });

  it('refuses a block size that is not a positive integer', () => {
    const seq = fakeSequences();
    expect(() => new IuvProgressiveAllocator(seq.fetch, 0)).toThrow(RangeError);
    expect(() => new IuvProgressiveAllocator(seq.fetch, 1.5)).toThrow(RangeError);
  });
});
