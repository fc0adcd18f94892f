import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { ConfigError } from '../src/config/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { SecretBox } from '../src/shared/secret-box.js';
import { createTestDatabase } from './helpers/db.js';

/**
 * Issue 10, item 7: `cassa demo` and `cassa seed-demo` with CASSA_ENV=production refuse before
 * anything is opened, migrated or written (the demo caller AP_01 has a published passphrase). The
 * PostgreSQL run gives a complete production configuration on a fresh database; the embedded run a
 * fresh data directory.
 */
let dir: string;
let url: string | undefined;
let drop: () => Promise<void>;
const saved = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cassa-cli-prod-'));
  const t = await createTestDatabase();
  url = t.url;
  drop = t.drop;
  Object.assign(process.env, {
    CASSA_ENV: 'production',
    CASSA_DATA_DIR: dir,
    CASSA_LOG_LEVEL: 'silent',
    CASSA_SECRET_KEYS: SecretBox.generateKeySpec('p1'),
    CASSA_ADMIN_TOKEN: '1F7iCQA5iSSMo8v5hzoHcWKK5KNnZnepW4imAHYxZN0=',
    CASSA_PUBLIC_URL: 'https://cassa.example.org',
    CASSA_CHECKOUT_SUBSCRIPTION_KEY: 'a-checkout-subscription-key',
    PORT: '0',
  });
  if (url) process.env.DATABASE_URL = url;
  else delete process.env.DATABASE_URL;
});

afterAll(async () => {
  process.env = saved;
  await drop?.();
  rmSync(dir, { recursive: true, force: true });
});

/** The database the refused command would have written to, migrated now only to count its rows. */
async function counts(): Promise<{ tablesBefore: number; ente: number; application: number }> {
  const db: Database = await openDatabase(url ? { url, poolSize: 2 } : { dataDir: join(dir, 'pglite') });
  try {
    const [before] = await db.rows<{ n: number }>(
      sql`select count(*)::int as n from information_schema.tables where table_schema = 'public'`,
    );
    await migrate(db);
    const [ente] = await db.rows<{ n: number }>(sql`select count(*)::int as n from ente`);
    const [application] = await db.rows<{ n: number }>(sql`select count(*)::int as n from application`);
    return { tablesBefore: before!.n, ente: ente!.n, application: application!.n };
  } finally {
    await db.close();
  }
}

describe('cassa demo / seed-demo in production', () => {
  for (const command of ['seed-demo', 'demo']) {
    it(`${command} refuses with a clear message before writing anything`, async () => {
      const err = await main([command]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(`${command} refused with CASSA_ENV=production`);
      expect((err as Error).message).toContain('AP_01');
      expect((err as Error).message).toContain('Nothing was written');
      // not even the embedded database was created
      if (!url) expect(existsSync(join(dir, 'pglite'))).toBe(false);
    });
  }

  it('left the database untouched: nothing migrated, no ente, no application', async () => {
    expect(await counts()).toEqual({ tablesBefore: 0, ente: 0, application: 0 });
  });
});
