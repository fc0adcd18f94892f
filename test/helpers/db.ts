import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';

/**
 * A fresh, empty database for one test file: an in-memory PGlite, or, when
 * CASSA_TEST_DATABASE_URL is set (the PostgreSQL run of `npm test`), a new database on that server,
 * dropped afterwards.
 */
export async function createTestDatabase(): Promise<{
  db: Database;
  url: string | undefined;
  drop: () => Promise<void>;
}> {
  const serverUrl = process.env.CASSA_TEST_DATABASE_URL;
  if (!serverUrl) {
    const db = await openDatabase({ dataDir: 'memory://' });
    return { db, url: undefined, drop: () => db.close() };
  }
  const name = `cassa_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), poolSize: 5 });
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
