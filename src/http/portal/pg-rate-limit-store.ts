import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Database } from '../../db/database.js';
import { hit, LIMIT_KEYS } from '../../modules/limits/infra/limits-repository.js';

type IncrCallback = Parameters<FastifyRateLimitStore['incr']>[1];

/** What @fastify/rate-limit really hands to child(): the route's merged limit options, with the route. */
interface RouteParams {
  routeInfo?: { method?: string | string[]; url?: string };
}

/**
 * A @fastify/rate-limit store whose counters are rows of table rate_limit in PostgreSQL: every web
 * instance on the database counts the same requests (one upsert per limited request). Fixed
 * windows, per route and client address (req.ip, as CASSA_TRUST_PROXY yields it).
 */
export function pgRateLimitStore(
  db: Database,
  clock: () => Date = () => new Date(),
): FastifyRateLimitStoreCtor {
  return class PgRateLimitStore implements FastifyRateLimitStore {
    constructor(
      _params?: unknown,
      private readonly route = '*',
    ) {}

    incr(key: string, cb: IncrCallback, timeWindow: number): void {
      const now = clock();
      hit(db, [LIMIT_KEYS.portal(this.route, key)], now, timeWindow).then(
        ([h]) => cb(null, { current: h!.count, ttl: Math.max(0, h!.resetAt.getTime() - now.getTime()) }),
        (err: unknown) => cb(err as Error), // the database driver's error
      );
    }

    child(params: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const { method, url } = (params as unknown as RouteParams).routeInfo ?? {};
      return new PgRateLimitStore(undefined, `${[method ?? ''].flat().join(',')} ${url ?? ''}`);
    }
  };
}
