import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../shared/paths.js';
import type { Database } from './database.js';

const MIGRATIONS_DIR = projectPath('src', 'db', 'migrations');
/** Serialises concurrent `migrate` runs of several instances (arbitrary constant). */
const MIGRATION_LOCK = 727_001;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies the SQL files in src/db/migrations in name order, each once, each in its own
 * transaction, under an advisory lock so that instances starting together do not race.
 * The same files run on PGlite and PostgreSQL.
 */
export async function migrate(db: Database): Promise<MigrationResult> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort();
  // under the lock too: two instances' concurrent `create table if not exists` can collide
  await db.scriptTransaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(`create table if not exists cassa_migration (
      name varchar(200) primary key, applied_at timestamptz not null default now())`);
  });
  const applied: string[] = [];
  let alreadyApplied = 0;
  for (const name of files) {
    const sqlText = readFileSync(join(MIGRATIONS_DIR, name), 'utf8');
    const done = await db.scriptTransaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const seen = await tx.query('select 1 from cassa_migration where name = $1', [name]);
      if (seen.rows.length > 0) return false;
      await tx.exec(sqlText);
      await tx.query('insert into cassa_migration (name) values ($1)', [name]);
      return true;
    });
    if (done) applied.push(name);
    else alreadyApplied++;
  }
  return { applied, alreadyApplied };
}
