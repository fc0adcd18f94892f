import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  acquireDataDirLock,
  DataDirLockedError,
  inspectDataDirLock,
  judgeHolder,
  lockFileOf,
  readLockFile,
  startTicksOf,
  systemProbe,
  takeOverStale,
  type LockHolder,
  type ProcessProbe,
} from '../src/db/data-dir-lock.js';
import { projectPath } from '../src/shared/paths.js';
import { until } from './helpers/until.js';

const root = mkdtempSync(join(tmpdir(), 'cassa-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh PGlite directory path (the lock sits beside it). */
function freshDir(): string {
  const dir = join(root, `d${n++}`, 'pglite');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function holder(over: Partial<LockHolder> = {}): LockHolder {
  return {
    pid: 4242,
    startTicks: '1000',
    bootId: 'boot-a',
    hostname: 'vm',
    since: '2025-01-01T00:00:00.000Z',
    command: 'cassa start',
    role: 'all',
    nonce: 'n1',
    ...over,
  };
}

function probe(over: Partial<ProcessProbe> = {}): ProcessProbe {
  return {
    hostname: () => 'vm',
    bootId: () => 'boot-a',
    startTicks: () => '1000',
    isRunning: () => true,
    ...over,
  };
}

/** The pid of a process that has just exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

function startChild(args: string[]) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', projectPath('test', 'helpers', 'lock-child.ts'), ...args],
    { cwd: projectPath(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, out: () => out };
}

describe('who holds a data directory', () => {
  it('reads the start time from /proc/<pid>/stat, whatever the command name holds', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21';
    expect(startTicksOf(`1234 (node) ${rest}`)).toBe('987654');
    expect(startTicksOf(`1234 (we (ird) name) ${rest}`)).toBe('987654');
    expect(startTicksOf(undefined)).toBeUndefined();
    expect(startTicksOf('garbage')).toBeUndefined();
    if (existsSync('/proc/self/stat')) expect(systemProbe.startTicks(process.pid)).toMatch(/^\d+$/);
  });

  it('is alive while its process runs with the start time it recorded', () => {
    expect(judgeHolder(holder(), probe())).toEqual({ state: 'alive' });
    // where /proc tells nothing (not Linux), a running pid is taken at its word
    expect(judgeHolder(holder({ startTicks: undefined }), probe({ startTicks: () => undefined }))).toEqual({
      state: 'alive',
    });
  });

  it('is stale when its process no longer runs', () => {
    expect(judgeHolder(holder(), probe({ isRunning: () => false }))).toMatchObject({
      state: 'stale',
      why: 'process 4242 no longer runs',
    });
  });

  it('is stale when its pid now belongs to a later process (pid reuse)', () => {
    expect(judgeHolder(holder(), probe({ startTicks: () => '2000' }))).toMatchObject({
      state: 'stale',
      why: expect.stringContaining('another process'),
    });
  });

  it('is stale after a restart of the machine, whatever runs under its pid now', () => {
    expect(judgeHolder(holder(), probe({ bootId: () => 'boot-b' }))).toMatchObject({
      state: 'stale',
      why: expect.stringContaining('restarted'),
    });
  });

  it('cannot be checked from another host, and is never taken for stale', () => {
    expect(judgeHolder(holder({ hostname: 'other' }), probe({ isRunning: () => false }))).toMatchObject({
      state: 'unknown',
    });
  });
});

describe('the lock of a data directory', () => {
  it('is taken once: a second taking is refused with who holds it, until it is released', async () => {
    const dir = freshDir();
    const lock = await acquireDataDirLock(dir);
    expect(lock.file).toBe(`${dir}.lock`);
    const written = JSON.parse(readFileSync(lock.file, 'utf8')) as LockHolder;
    expect(written).toMatchObject({ pid: process.pid, hostname: systemProbe.hostname() });
    const refused = await acquireDataDirLock(dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).message).toContain(`pid ${process.pid}`);
    expect(inspectDataDirLock(dir)).toMatchObject({
      holder: { nonce: written.nonce },
      state: { state: 'alive' },
    });
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    (await acquireDataDirLock(dir)).release();
  });

  it("records the admin API's URL once announced, atomically for readers", async () => {
    const dir = freshDir();
    const lock = await acquireDataDirLock(dir);
    lock.announce({ adminUrl: 'http://127.0.0.1:1234/admin/api/v1' });
    expect(inspectDataDirLock(dir)?.holder.adminUrl).toBe('http://127.0.0.1:1234/admin/api/v1');
    expect(lock.isOurs()).toBe(true);
    lock.release();
  });

  it('takes over a lock whose process no longer runs', async () => {
    const dir = freshDir();
    writeFileSync(
      lockFileOf(dir),
      JSON.stringify(
        holder({ pid: await deadPid(), hostname: systemProbe.hostname(), bootId: systemProbe.bootId() }),
      ),
    );
    const lock = await acquireDataDirLock(dir);
    expect(lock.holder.pid).toBe(process.pid);
    expect(readLockFile(lock.file)?.holder?.nonce).toBe(lock.holder.nonce);
    lock.release();
  });

  it.skipIf(!existsSync('/proc/self/stat'))(
    'takes over a lock whose pid is now another process (this one, started later)',
    async () => {
      const dir = freshDir();
      writeFileSync(
        lockFileOf(dir),
        JSON.stringify(
          holder({
            pid: process.pid,
            startTicks: '1',
            hostname: systemProbe.hostname(),
            bootId: systemProbe.bootId(),
          }),
        ),
      );
      const lock = await acquireDataDirLock(dir);
      expect(lock.holder.startTicks).not.toBe('1');
      lock.release();
    },
  );

  it('never takes over a lock of another host, and says how to remove it', async () => {
    const dir = freshDir();
    writeFileSync(lockFileOf(dir), JSON.stringify(holder({ hostname: 'elsewhere.example' })));
    const refused = (await acquireDataDirLock(dir).catch((e: unknown) => e)) as DataDirLockedError;
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect(refused.message).toContain('elsewhere.example');
    expect(refused.message).toContain(`remove ${lockFileOf(dir)}`);
  });

  it('takes over a damaged lock file once it is old enough not to be one being written', async () => {
    const dir = freshDir();
    writeFileSync(lockFileOf(dir), '{"pid":');
    // just written: it may be a lock being written, so it is refused
    await expect(acquireDataDirLock(dir)).rejects.toThrow(/could not take the lock/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockFileOf(dir), old, old);
    (await acquireDataDirLock(dir)).release();
  });

  it('puts back a lock another process took between the judgement and the move (not the stale one)', () => {
    const dir = freshDir();
    const file = lockFileOf(dir);
    writeFileSync(file, JSON.stringify(holder({ nonce: 'stale' })));
    const judged = readLockFile(file)!;
    // meanwhile another process replaced the stale lock with its own, live one
    rmSync(file);
    writeFileSync(file, JSON.stringify(holder({ nonce: 'live' })));
    takeOverStale(file, judged, 'me');
    expect(readLockFile(file)?.holder?.nonce).toBe('live');
    // the very file judged stale is removed
    takeOverStale(file, readLockFile(file)!, 'me');
    expect(existsSync(file)).toBe(false);
  });

  it('is released when its process exits normally, and left for taking over when it is killed', async () => {
    const dir = freshDir();
    const normal = startChild([dir, '--exit']);
    expect(await normal.exited).toBe(0);
    expect(normal.out()).toContain('acquired');
    expect(existsSync(lockFileOf(dir))).toBe(false);

    const killed = startChild([dir, '--hold']);
    await until(() => killed.out().includes('acquired'), 'the child to take the lock', 20_000);
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(inspectDataDirLock(dir)).toMatchObject({
      holder: { pid: killed.child.pid },
      state: { state: 'stale' },
    });
    const lock = await acquireDataDirLock(dir);
    expect(lock.holder.pid).toBe(process.pid);
    lock.release();
  }, 60_000);

  it('goes to exactly one of several processes taking over the same stale lock at once', async () => {
    const dir = freshDir();
    writeFileSync(
      lockFileOf(dir),
      JSON.stringify(
        holder({ pid: await deadPid(), hostname: systemProbe.hostname(), bootId: systemProbe.bootId() }),
      ),
    );
    const go = join(root, `go-${n++}`);
    const children = Array.from({ length: 6 }, () => startChild([dir, '--wait-for', go, '--hold']));
    try {
      await until(() => children.every((c) => c.out().includes('ready')), 'the children to load', 60_000);
      writeFileSync(go, '');
      await until(
        () => children.every((c) => /acquired|refused/.test(c.out())),
        'every child to try',
        30_000,
      );
      const winners = children.filter((c) => c.out().includes('acquired'));
      expect(winners, children.map((c) => c.out()).join('\n')).toHaveLength(1);
      for (const c of children)
        if (c !== winners[0]) expect(c.out()).toContain(`refused ${winners[0]!.child.pid}`);
      expect(inspectDataDirLock(dir)?.holder.pid).toBe(winners[0]!.child.pid);
    } finally {
      for (const c of children) c.child.kill('SIGKILL');
    }
  }, 90_000);
});
