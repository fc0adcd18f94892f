import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { PgliteCheckpoints, type CheckpointTarget } from '../src/db/pglite-checkpoints.js';

/**
 * PGlite's single-user PostgreSQL takes no checkpoint of its own while it runs: the owner of the embedded
 * database takes them (src/db/pglite-checkpoints.ts), so that a crash leaves a bounded WAL to replay.
 */

/** A database that says how much WAL it holds since its last checkpoint and counts the checkpoints asked of it. */
function fakeTarget(walBytes: () => number) {
  // the one query PgliteCheckpoints makes: the WAL written since the last checkpoint
  const query = (() => Promise.resolve({ rows: [{ wal: walBytes() }] })) as CheckpointTarget['query'];
  const target = {
    checkpoints: 0,
    query,
    exec: () => {
      target.checkpoints++;
      return Promise.resolve();
    },
  };
  return target satisfies CheckpointTarget & { checkpoints: number };
}

describe('checkpoints of the embedded database', () => {
  it('checkpoints once enough WAL has accumulated, and not before', async () => {
    let wal = 1_000_000;
    const db = fakeTarget(() => wal);
    const cp = new PgliteCheckpoints(db, { checkEveryMs: 1000, maxWalBytes: 8_000_000, maxAgeMs: 3_600_000 });
    await cp.tick();
    expect(db.checkpoints).toBe(0);
    wal = 8_000_000;
    await cp.tick();
    expect(db.checkpoints).toBe(1);
    expect(cp.taken).toBe(1);
  });

  it('checkpoints a little WAL once it is old enough, and nothing when nothing was written', async () => {
    let wal = 120; // the checkpoint record itself
    const db = fakeTarget(() => wal);
    const cp = new PgliteCheckpoints(db, { checkEveryMs: 1000, maxWalBytes: 8_000_000, maxAgeMs: 0 });
    await cp.tick();
    expect(db.checkpoints).toBe(0);
    wal = 50_000;
    await cp.tick();
    expect(db.checkpoints).toBe(1);
  });

  it('reports a failed check and goes on', async () => {
    const errors: unknown[] = [];
    const cp = new PgliteCheckpoints(
      { query: () => Promise.reject(new Error('boom')), exec: () => Promise.resolve(undefined) },
      undefined,
      (e) => errors.push(e),
    );
    await cp.tick();
    await cp.tick();
    expect(errors).toHaveLength(2);
  });
});

describe.skipIf(!!process.env.CASSA_TEST_DATABASE_URL)('the embedded database in a directory', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cassa-checkpoints-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes checkpoints while it runs: the WAL a crash would leave to replay stays bounded', async () => {
    const db = await openDatabase({ dataDir: join(dir, 'pglite') });
    try {
      const redo = async () =>
        (
          await db.executeSql(
            'select redo_lsn::text as lsn, pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::float8 as wal from pg_control_checkpoint()',
          )
        ).rows[0] as { lsn: string; wal: number };
      const first = await redo();
      await db.executeSql(
        "create table filler (id int, body text); insert into filler select g, repeat('x', 400) from generate_series(1, 100000) g",
      );
      expect((await redo()).wal).toBeGreaterThan(32 * 1024 * 1024);
      // the owner's check runs every 5 s; single-user PostgreSQL alone would never move its redo point
      const deadline = Date.now() + 20_000;
      let now = await redo();
      while (now.lsn === first.lsn && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        now = await redo();
      }
      expect(now.lsn).not.toBe(first.lsn);
      expect(now.wal).toBeLessThan(1024 * 1024);
    } finally {
      await db.close();
    }
  }, 60_000);
});
