import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import pg from 'pg';
import { NodePgSession } from 'drizzle-orm/node-postgres';
import { schema } from './schema.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import { PgliteCheckpoints } from './pglite-checkpoints.js';
import { dbErrorSummary, isDatabaseUnavailable, type DbErrorSummary } from './errors.js';

export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>;
/** What repositories run queries on: the database itself or an open transaction. */
export type Executor = Pick<Orm, 'select' | 'insert' | 'update' | 'delete' | 'execute'>;

/** Raw query runner, shaped as pg-boss's `db` adapter expects. */
export interface RawExecutor {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg-boss's adapter type; a row's shape is the SQL text's, which callers know
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

/** A raw transaction for scripts (migrations): parameterised queries and multi-statement scripts. */
export interface ScriptTransaction {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  exec(script: string): Promise<void>;
}

/**
 * A statement of the hot paths, sent by name: PostgreSQL parses and plans it once per connection
 * instead of at every call (drizzle's statements are unnamed). Positional parameters ($1, $2...).
 */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
}

const statementNames = new Set<string>();

/** Declares a named statement; names are unique in the process (a clash would reuse the wrong plan). */
export function namedStatement(name: string, text: string): NamedStatement {
  if (statementNames.has(name)) throw new Error(`named statement ${name} declared twice`);
  statementNames.add(name);
  return { name, text };
}

export interface Database extends RawExecutor {
  readonly kind: 'pglite' | 'postgres';
  readonly orm: Orm;
  /** Runs a named statement (prepared once per connection) and returns its rows. */
  run<T = Record<string, unknown>>(stmt: NamedStatement, values: unknown[]): Promise<T[]>;
  /** Run `fn` in one transaction: all of it is written, or none of it. */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  /** Run a statement and return its rows (one round trip, no transaction of its own). */
  rows<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  scriptTransaction<T>(fn: (tx: ScriptTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PostgreSQL only: the connections lost (restart, failover, pooler timeout) and where each is reported. */
  readonly connections?: ConnectionLosses;
  /** PostgreSQL only: the pool's connections (busy or idle), idle ones and queries waiting for one (metrics). */
  poolStats?(): { total: number; idle: number; waiting: number };
  /** The embedded database in a directory only: this process's lock on it (src/db/data-dir-lock.ts), released by close(). */
  readonly dataDirLock?: DataDirLock;
  /** The embedded database in a directory only: where a failed background checkpoint is reported (the container logs it). */
  onCheckpointError?: ((err: unknown) => void) | undefined;
}

/**
 * Connections the pool lost outside a query (idle, or between the statements of a transaction: the 'error'
 * events of node-postgres): each counted and reported once (no SQL, no parameters), then replaced on
 * demand. A connection lost during a query fails that query instead, and is not counted here.
 */
export interface ConnectionLosses {
  readonly lost: number;
  /** Called once per connection lost (the container logs it); until set, losses are only counted. */
  report: ((e: DbErrorSummary) => void) | undefined;
}

export interface DatabaseOptions {
  /** postgres:// URL; without it the embedded PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; 'memory://' for a throwaway database. */
  dataDir?: string;
  poolSize?: number;
  /**
   * PostgreSQL: how long a query waits for a connection (a new one, or a free one of the pool) before
   * it fails as "database unavailable", instead of hanging while the server is down. Default 5000.
   */
  connectTimeoutMs?: number;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts.poolSize ?? 20, opts.connectTimeoutMs ?? 5_000);
  return openPglite(opts.dataDir ?? './data/pglite');
}

// Calendar dates (OID 1082) stay 'YYYY-MM-DD' strings on both drivers; a JS Date would shift them by time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);

async function openPostgres(url: string, poolSize: number, connectTimeoutMs: number): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    application_name: 'cassa',
    connectionTimeoutMillis: connectTimeoutMs,
    // a peer that vanished without closing (failover, NAT, pooler) is noticed by the kernel, not after hours
    keepAlive: true,
  });
  const losses: ConnectionLosses & { lost: number } = { lost: 0, report: undefined };
  // node-postgres emits 'error' on a client whose connection is lost (the server sends 57P01 and closes,
  // or the socket is reset). pg-pool listens only while the client is idle in the pool (and re-emits it
  // as the pool's 'error'); on a checked-out client (a transaction) nobody listened, and an 'error'
  // event without a listener ends the process. So every client gets a listener for its whole life, the
  // one place where a lost connection is counted and reported (once per connection: the 'end' that
  // follows an ErrorResponse is the same loss). The client is then not queryable: its queries fail,
  // the pool drops it when it is released (or at once when idle) and opens a new one on demand.
  pool.on('connect', (client) => {
    let reported = false;
    client.on('error', (err) => {
      if (reported) return;
      reported = true;
      losses.lost++;
      losses.report?.(dbErrorSummary(err));
    });
  });
  pool.on('error', () => {
    /* an idle client's error, re-emitted by pg-pool: already counted and reported by the client's listener */
  });
  const client = await pool.connect();
  client.release();
  const orm = drizzlePg(pool, { schema }) as unknown as Orm;
  type SessionArgs = ConstructorParameters<typeof NodePgSession>;
  const internals = orm as unknown as {
    dialect: SessionArgs[1];
    session: { schema: SessionArgs[2]; options: SessionArgs[3] };
  };
  return {
    kind: 'postgres',
    orm,
    // Not drizzle's transaction on the pool: it sends `begin` before its try/finally, so a connection lost
    // at that moment was never released and the pool lost a slot for good (after `max` of them every
    // query waits forever). Here the client is always released, and destroyed when its connection broke;
    // drizzle runs the transaction on that one client (begin, commit or rollback).
    transaction: async (fn) => {
      const c = await pool.connect();
      let broken: Error | undefined;
      try {
        const session = new NodePgSession(
          c,
          internals.dialect,
          internals.session.schema,
          internals.session.options,
        );
        return await session.transaction((tx) => fn(tx as unknown as Executor));
      } catch (e) {
        if (isDatabaseUnavailable(e)) broken = e instanceof Error ? e : new Error('connection lost');
        throw e;
      } finally {
        c.release(broken);
      }
    },
    rows: async <T>(query: SQL) => ((await orm.execute(query)) as { rows: T[] }).rows,
    run: async <T>(stmt: NamedStatement, values: unknown[]) =>
      (await pool.query({ name: stmt.name, text: stmt.text, values })).rows as T[],
    executeSql: async (text, values) => {
      const r = await pool.query(text, values as unknown[]);
      return { rows: r.rows };
    },
    scriptTransaction: async (fn) => {
      const c = await pool.connect();
      let broken: Error | undefined;
      try {
        await c.query('begin');
        const result = await fn({
          query: async (text, values) => ({
            rows: (await c.query<Record<string, unknown>>(text, values as unknown[])).rows,
          }),
          exec: async (script) => {
            await c.query(script);
          },
        });
        await c.query('commit');
        return result;
      } catch (e) {
        if (isDatabaseUnavailable(e)) broken = e instanceof Error ? e : new Error('connection lost');
        else await c.query('rollback').catch(() => undefined);
        throw e;
      } finally {
        c.release(broken);
      }
    },
    close: () => pool.end(),
    connections: losses,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  // One process at a time: the lock is taken before PGlite reads a single page, or the open is refused.
  const lock = inMemory ? undefined : await acquireDataDirLock(dataDir);
  let client: PGlite;
  try {
    client = await PGlite.create(dataDir, { parsers: { 1082: (v: string) => v } });
  } catch (e) {
    lock?.release();
    throw e;
  }
  // single-user PostgreSQL checkpoints only when closed: bound the WAL a crash leaves to replay (src/db/pglite-checkpoints.ts)
  // assigned once the object exists; the checkpoints' callback reads it
  let self: Database | undefined;
  const checkpoints = inMemory
    ? undefined
    : new PgliteCheckpoints(client, undefined, (err) => self?.onCheckpointError?.(err));
  checkpoints?.start();
  const orm = drizzlePglite(client, { schema }) as unknown as Orm;
  return (self = {
    kind: 'pglite',
    orm,
    transaction: (fn) => orm.transaction((tx) => fn(tx as unknown as Executor)),
    rows: async <T>(query: SQL) => ((await orm.execute(query)) as { rows: T[] }).rows,
    // PGlite runs in this process: no per-connection plan cache to gain, the text is enough
    run: async <T>(stmt: NamedStatement, values: unknown[]) =>
      (await client.query<T>(stmt.text, values)).rows,
    executeSql: async (text, values) => {
      // Without parameters, use the simple protocol (as node-postgres does): scripts of several
      // statements, such as pg-boss's schema, run only that way.
      if (!values || values.length === 0) {
        const results = await client.exec(text);
        return { rows: results.at(-1)?.rows ?? [] };
      }
      const r = await client.query(text, values);
      return { rows: r.rows };
    },
    scriptTransaction: (fn) =>
      client.transaction((tx) =>
        fn({
          query: async (text, values) => ({
            rows: (await tx.query<Record<string, unknown>>(text, values as unknown[])).rows,
          }),
          exec: async (script) => {
            await tx.exec(script);
          },
        }),
      ),
    dataDirLock: lock,
    onCheckpointError: undefined,
    close: async () => {
      try {
        await checkpoints?.stop();
        await client.close();
      } finally {
        lock?.release();
      }
    },
  });
}
