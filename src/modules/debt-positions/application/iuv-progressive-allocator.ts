/**
 * Hands out the numbers of the ente's IUV sequences (one PostgreSQL sequence per ente and
 * segregation code), fetched a block at a time so that creating a position costs no round trip of
 * its own. Each process holds only numbers that PostgreSQL has already given to it and to nobody
 * else: instances never see each other's blocks, and a number a process never used (it stopped with
 * part of a block left) is simply skipped. IUVs stay unique forever; they are not gapless, which
 * pagoPA does not ask for (docs/decisions/0002-iuv-generation.md).
 */
export type FetchProgressives = (
  enteId: number,
  codiceSegregazione: string,
  count: number,
) => Promise<bigint[]>;

interface Pool {
  numbers: bigint[];
  refill: Promise<void> | undefined;
}

export const DEFAULT_IUV_BLOCK_SIZE = 20;

export class IuvProgressiveAllocator {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly fetch: FetchProgressives,
    private readonly blockSize = DEFAULT_IUV_BLOCK_SIZE,
  ) {
    if (!Number.isInteger(blockSize) || blockSize < 1)
      throw new RangeError('IUV block size must be a positive integer');
  }

  async next(enteId: number, codiceSegregazione: string): Promise<bigint> {
    const key = `${enteId}/${codiceSegregazione}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = { numbers: [], refill: undefined };
      this.pools.set(key, pool);
    }
    while (pool.numbers.length === 0) {
      const p = pool;
      p.refill ??= this.fetch(enteId, codiceSegregazione, this.blockSize)
        .then((numbers) => {
          p.numbers.push(...numbers);
        })
        .finally(() => {
          p.refill = undefined;
        });
      await p.refill;
    }
    return pool.numbers.shift()!;
  }

  /** Forgets the numbers held (tests; or after an ente's segregation code changes). */
  clear(): void {
    this.pools.clear();
  }
}
