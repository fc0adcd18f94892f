import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer, type Container } from '../src/app/container.js';
import { loadConfig } from '../src/config/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { SecretBox } from '../src/shared/secret-box.js';
import { createTestDatabase } from './helpers/db.js';
import { createEnteWithCaller, draft } from './helpers/fixtures.js';

/**
 * Several Cassa instances on one database (on PostgreSQL, two connection pools as two processes
 * would have): IUVs stay unique, idempotency holds, migrations do not race.
 */
let base: Awaited<ReturnType<typeof createTestDatabase>>;
let second: Database;
let a: Container;
let b: Container;

beforeAll(async () => {
  base = await createTestDatabase();
  second = base.url ? await openDatabase({ url: base.url, poolSize: 5 }) : base.db;
  const config = loadConfig({
    CASSA_ENV: 'test',
    CASSA_SECRET_KEYS: SecretBox.generateKeySpec('t1'),
    CASSA_ADMIN_TOKEN: 'x'.repeat(24),
    CASSA_LOG_LEVEL: 'silent',
  });
  // both instances migrate at the same time
  [a, b] = await Promise.all([
    createContainer(config, { db: base.db }),
    createContainer(config, { db: second }),
  ]);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  if (second && second !== base.db) await second.close();
  await base?.drop();
});

describe('two instances on one database', () => {
  it('applied each migration exactly once', async () => {
    const r = await base.db.executeSql('select name, count(*)::int as n from cassa_migration group by name');
    expect(r.rows.length).toBeGreaterThan(0);
    expect(r.rows.every((row) => row.n === 1)).toBe(true);
    expect((await migrate(base.db)).applied).toEqual([]);
  });

  it('hand out distinct IUVs to concurrent creates and agree on idempotent resends', async () => {
    const { ctx } = await createEnteWithCaller(a);
    const creates = Array.from({ length: 60 }, (_, i) =>
      (i % 2 === 0 ? a : b).debtPositions.create(ctx, draft({ idPosizioneDebitoria: `P-${i}` })),
    );
    const results = await Promise.all(creates);
    expect(new Set(results.map((r) => r.iuv)).size).toBe(60);
    expect(results.every((r) => /^02\d{15}$/.test(r.iuv))).toBe(true);
    const resends = await Promise.all(
      [a, b].map((c) => c.debtPositions.create(ctx, draft({ idPosizioneDebitoria: 'P-0' }))),
    );
    expect(resends.map((r) => r.iuv)).toEqual([results[0]!.iuv, results[0]!.iuv]);
    expect(resends.every((r) => r.replayed)).toBe(true);
    const n = await base.db.executeSql('select count(*)::int as n from debt_position');
    expect(n.rows[0].n).toBe(60);
  });
});
