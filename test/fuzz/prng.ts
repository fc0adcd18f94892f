/**
 * The fuzzer's own small PRNG (mulberry32): fast, 32-bit state, identical on every Node version, so
 * that a seed names exactly the same inputs everywhere. Every case gets its own generator, derived
 * from the run's seed, the interface and the case's index: one case can be replayed on its own.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    const total = entries.reduce((s, [w]) => s + w, 0);
    let x = this.next() * total;
    for (const [w, v] of entries) {
      if ((x -= w) < 0) return v;
    }
    return entries[entries.length - 1]![1];
  }

  /** `n` characters drawn from `alphabet`. */
  chars(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)]!;
    return s;
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** 32-bit FNV-1a of a string: turns names and textual seeds into numbers. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The generator of case `index` of `iface` in the run of `seed`. */
export function caseRng(seed: number, iface: string, index: number): Rng {
  return new Rng(hash32(`${seed}:${iface}:${index}`));
}

/** CASSA_FUZZ_SEED: a number (decimal or 0x hex) or any text (hashed); the fixed default keeps CI deterministic. */
export const DEFAULT_SEED = 0x0ca55a;
export function seedFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_SEED;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) >>> 0;
  if (/^0x[0-9a-f]+$/i.test(v)) return Number.parseInt(v.slice(2), 16) >>> 0;
  return hash32(v);
}

/** CASSA_FUZZ_RUNS: inputs per interface. */
export function runsFromEnv(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`CASSA_FUZZ_RUNS must be a positive integer, not ${value}`);
  return n;
}
