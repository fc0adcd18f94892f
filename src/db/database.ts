import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import pg from 'pg';
import { schema } from './schema.js';

export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>;
/** What repositories run queries on: the database itself or an open transaction. */
export type Executor = Pick<Orm, 'select' | 'insert' | 'update' | 'delete' | 'execute'>;

/** Raw query runner, shaped as pg-boss's `db` adapter expects. */
export interface RawExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

/** A raw transaction for scripts (migrations): parameterised queries and multi-statement scripts. */
export interface ScriptTransaction {
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
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
}

export interface DatabaseOptions {
  /** postgres:// URL; without it the embedded PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; 'memory://' for a throwaway database. */
  dataDir?: string;
  poolSize?: number;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts.poolSize ?? 20);
  return openPglite(opts.dataDir ?? './data/pglite');
}

// Calendar dates (OID 1082) stay 'YYYY-MM-DD' strings on both drivers; a JS Date would shift them by time zone.
pg.types.setTypeParser(1082, (v: string) => v);

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'cassa' });
  pool.on('error', () => {
    /* idle client errors are reported on the next query */
  });
  const client = await pool.connect();
  client.release();
  const orm = drizzlePg(pool, { schema }) as unknown as Orm;
  return {
    kind: 'postgres',
    orm,
    transaction: (fn) => orm.transaction((tx) => fn(tx as unknown as Executor)),
    rows: async <T>(query: SQL) => ((await orm.execute(query)) as unknown as { rows: T[] }).rows,
    run: async <T>(stmt: NamedStatement, values: unknown[]) => (await pool.query({ name: stmt.name, text: stmt.text, values })).rows as T[],
    executeSql: async (text, values) => {
      const r = await pool.query(text, values as unknown[]);
      return { rows: r.rows };
    },
    scriptTransaction: async (fn) => {
      const c = await pool.connect();
      try {
        await c.query('begin');
        const result = await fn({
          query: async (text, values) => ({ rows: (await c.query(text, values as unknown[])).rows }),
          exec: async (script) => {
            await c.query(script);
          },
        });
        await c.query('commit');
        return result;
      } catch (e) {
        await c.query('rollback').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir, { parsers: { 1082: (v: string) => v } });
  const orm = drizzlePglite(client, { schema }) as unknown as Orm;
  return {
    kind: 'pglite',
    orm,
    transaction: (fn) => orm.transaction((tx) => fn(tx as unknown as Executor)),
    rows: async <T>(query: SQL) => ((await orm.execute(query)) as unknown as { rows: T[] }).rows,
    // PGlite runs in this process: no per-connection plan cache to gain, the text is enough
    run: async <T>(stmt: NamedStatement, values: unknown[]) => (await client.query<T>(stmt.text, values)).rows,
    executeSql: async (text, values) => {
      // Without parameters, use the simple protocol (as node-postgres does): scripts of several
      // statements, such as pg-boss's schema, run only that way.
      if (!values || values.length === 0) {
        const results = await client.exec(text);
        return { rows: (results.at(-1)?.rows ?? []) as any[] };
      }
      const r = await client.query(text, values as unknown[]);
      return { rows: r.rows as any[] };
    },
    scriptTransaction: (fn) =>
      client.transaction((tx) =>
        fn({
          query: async (text, values) => ({ rows: (await tx.query(text, values as unknown[])).rows as any[] }),
          exec: async (script) => {
            await tx.exec(script);
          },
        }),
      ),
    close: () => client.close(),
  };
}
