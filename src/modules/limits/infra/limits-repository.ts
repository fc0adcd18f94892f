import { isIP } from 'node:net';
import { namedStatement, type Database } from '../../../db/database.js';

/**
 * The address a failure counter is kept for: an IPv4 address as is, an IPv6 address by its /64 (one
 * subscriber's network, whose 2^64 addresses would otherwise each get their own allowance), as the
 * Sportello's limit does.
 */
export function addressBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const [head, tail] = address.toLowerCase().split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The keys of the counters in table rate_limit (migration 0009). */
export const LIMIT_KEYS = {
  authCaller: (codiceChiamante: string) => `auth:caller:${codiceChiamante}`,
  authAddress: (address: string) => `auth:address:${addressBucket(address)}`,
  portal: (route: string, address: string) => `portal:${route}:${address}`,
};

export interface Hit {
  key: string;
  count: number;
  resetAt: Date;
}

// One statement for one or more keys: a key whose window is over (or absent) starts a new one at 1,
// any other is incremented. Keys in sorted order, so that concurrent hits lock rows in the same order.
const HIT = namedStatement(
  'limits_hit',
  `insert into rate_limit as r (key, count, reset_at)
     select k, 1, $3::timestamptz from unnest($1::text[]) as k order by k
   on conflict (key) do update set
     count = case when r.reset_at <= $2::timestamptz then 1 else r.count + 1 end,
     reset_at = case when r.reset_at <= $2::timestamptz then excluded.reset_at else r.reset_at end
   returning r.key, r.count::int as count, r.reset_at as "resetAt"`,
);

/** Counts one hit on each key in a window of `windowMs` starting now (for a key without a running window). */
export async function hit(db: Database, keys: string[], now: Date, windowMs: number): Promise<Hit[]> {
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return [];
  const rows = await db.run<{ key: string; count: number; resetAt: Date | string }>(HIT, [
    sorted,
    now.toISOString(),
    new Date(now.getTime() + windowMs).toISOString(),
  ]);
  return rows.map((r) => ({ key: r.key, count: r.count, resetAt: new Date(r.resetAt) }));
}

const REMEMBER_ADDRESS = namedStatement(
  'limits_remember_address',
  `insert into auth_known_address (codice_chiamante, address, last_success_at) values ($1, $2, $3::timestamptz)
   on conflict (codice_chiamante, address) do update set last_success_at = excluded.last_success_at`,
);

/** Records that `codiceChiamante` authenticated from `address` at `now`. */
export async function rememberAddress(
  db: Database,
  codiceChiamante: string,
  address: string,
  now: Date,
): Promise<void> {
  await db.run(REMEMBER_ADDRESS, [codiceChiamante, address, now.toISOString()]);
}

const CLEAR = namedStatement(
  'limits_clear',
  'delete from rate_limit where key = any($1::text[]) returning key',
);

/** Ends the windows of these keys at once (an operator unblocking a caller or an address). */
export async function clear(db: Database, keys: string[]): Promise<number> {
  return (await db.run(CLEAR, [keys])).length;
}

const PURGE = namedStatement(
  'limits_purge',
  `with a as (delete from rate_limit where reset_at <= $1::timestamptz returning 1),
        b as (delete from auth_known_address where last_success_at <= $2::timestamptz returning 1)
   select (select count(*) from a)::int + (select count(*) from b)::int as n`,
);

/** Deletes the counters whose window is over and the known addresses not seen since `knownSince`. */
export async function purge(db: Database, now: Date, knownSince: Date): Promise<number> {
  const [row] = await db.run<{ n: number }>(PURGE, [now.toISOString(), knownSince.toISOString()]);
  return row?.n ?? 0;
}
