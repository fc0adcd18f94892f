import { randomBytes } from 'node:crypto';
import {
  linkSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

/**
 * The embedded database (PGlite) belongs to one process: PostgreSQL runs inside it, in single-user mode,
 * and nothing in PGlite stops a second process from opening the same directory and writing over the first
 * one's WAL and pages (a database that no longer opens, receipts answered OK and then lost, changes that
 * report success and vanish). Before PGlite opens a directory, its owner takes this lock: a file beside the
 * directory (`<dir>.lock`, e.g. `data/pglite.lock`) naming who holds it, created only if none exists.
 *
 * A lock left behind by a process that died without releasing it (kill -9, a power cut of the container) is
 * recognised and taken over: the process it names no longer runs, or the pid now belongs to a later process
 * (its start time in /proc differs), or the machine has restarted since (another boot id). A lock written on
 * another host cannot be checked from here and is never taken over.
 */

/** Who holds the data directory: the content of the lock file (JSON). */
export interface LockHolder {
  pid: number;
  /** Start time of the process, in clock ticks after boot (/proc/<pid>/stat, field 22), where /proc exists. */
  startTicks?: string;
  /** /proc/sys/kernel/random/boot_id: a lock from before the last boot is stale whatever its pid. */
  bootId?: string;
  hostname: string;
  /** ISO 8601: when the lock was taken. */
  since: string;
  /** The command holding it, in words (`cassa start --role all`, `cassa migrate`...). */
  command: string;
  /** The role, for `cassa start` and `cassa demo`: web and all listen, and write their admin API's URL below. */
  role?: 'web' | 'worker' | 'all';
  /** Base URL of the holder's admin API (…/admin/api/v1), written once its web server listens. */
  adminUrl?: string;
  /** SHA-256 fingerprint of the certificate the holder serves, when it serves HTTPS itself. */
  tlsCertSha256?: string;
  /** Tells this holding apart from any other, even of the same process. */
  nonce: string;
}

/** What this process is, written in the locks it takes: the CLI says it before opening the database. */
export interface HolderIdentity {
  command: string;
  role?: 'web' | 'worker' | 'all';
}

let identity: HolderIdentity = { command: ['node', ...process.argv.slice(1)].join(' ') };

/** Sets what the locks taken from now on say about this process (for whoever finds the directory taken). */
export function declareLockHolder(who: HolderIdentity): void {
  identity = who;
}

/** What can be known of a process from here; replaced in tests. */
export interface ProcessProbe {
  hostname(): string;
  bootId(): string | undefined;
  /** Start time of a running process (clock ticks after boot), when /proc tells it. */
  startTicks(pid: number): string | undefined;
  /** Whether a process with this pid exists (signal 0: ESRCH says no; EPERM says yes, of another user). */
  isRunning(pid: number): boolean;
}

export const systemProbe: ProcessProbe = {
  hostname: () => hostname(),
  bootId: () => readOptional('/proc/sys/kernel/random/boot_id')?.trim() || undefined,
  startTicks: (pid) => startTicksOf(readOptional(`/proc/${pid}/stat`)),
  isRunning: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

/** Field 22 of /proc/<pid>/stat. The second field (the command) is in parentheses and may contain spaces. */
export function startTicksOf(stat: string | undefined): string | undefined {
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = fields[19]; // field 3 is fields[0]
  return ticks && /^\d+$/.test(ticks) ? ticks : undefined;
}

export type HolderState =
  /** The process that took the lock still runs: the directory is in use. */
  | { state: 'alive' }
  /** Left behind by a process that no longer runs: may be taken over. */
  | { state: 'stale'; why: string }
  /** Cannot be checked from here (another host): in use, as far as this process can tell. */
  | { state: 'unknown'; why: string };

/** Whether the holder named in a lock file still runs. */
export function judgeHolder(h: LockHolder, probe: ProcessProbe = systemProbe): HolderState {
  if (h.hostname !== probe.hostname())
    return {
      state: 'unknown',
      why: `it was taken on host ${h.hostname}, whose processes cannot be checked from ${probe.hostname()}`,
    };
  const boot = probe.bootId();
  if (h.bootId && boot && h.bootId !== boot)
    return { state: 'stale', why: 'the machine has restarted since it was taken' };
  if (!probe.isRunning(h.pid)) return { state: 'stale', why: `process ${h.pid} no longer runs` };
  const ticks = probe.startTicks(h.pid);
  if (h.startTicks && ticks && h.startTicks !== ticks)
    return {
      state: 'stale',
      why: `pid ${h.pid} now belongs to another process, started after the lock was taken`,
    };
  return { state: 'alive' };
}

/** The lock file of a PGlite data directory: beside it, `<dir>.lock` (the same file whatever path names the directory). */
export function lockFileOf(pgliteDir: string): string {
  let dir = resolve(pgliteDir);
  try {
    dir = realpathSync(dir);
  } catch {
    /* not created yet */
  }
  return `${dir}.lock`;
}

/** A lock file as found on disk: its text, its inode, and the holder when the text is a valid one. */
export interface FoundLock {
  raw: string;
  ino: number;
  mtimeMs: number;
  holder: LockHolder | undefined;
}

export function readLockFile(file: string): FoundLock | undefined {
  try {
    const st = statSync(file);
    const raw = readFileSync(file, 'utf8');
    return { raw, ino: st.ino, mtimeMs: st.mtimeMs, holder: parseHolder(raw) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function parseHolder(raw: string): LockHolder | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LockHolder> | null;
    if (
      !v ||
      typeof v !== 'object' ||
      !Number.isInteger(v.pid) ||
      (v.pid ?? 0) <= 0 ||
      typeof v.hostname !== 'string' ||
      typeof v.nonce !== 'string'
    )
      return undefined;
    return v as LockHolder;
  } catch {
    return undefined;
  }
}

/** Reads who holds a data directory, and whether it still runs; undefined when nobody does. */
export function inspectDataDirLock(
  pgliteDir: string,
  probe: ProcessProbe = systemProbe,
): { file: string; holder: LockHolder; state: HolderState } | undefined {
  const file = lockFileOf(pgliteDir);
  const found = readLockFile(file);
  if (!found?.holder) return undefined;
  return { file, holder: found.holder, state: judgeHolder(found.holder, probe) };
}

/** The directory is held by another process (or by an earlier opening in this one): it must not be opened. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly lockFile: string,
    readonly holder: LockHolder,
    readonly holderState: HolderState,
  ) {
    super(lockedMessage(dir, lockFile, holder, holderState));
    this.name = 'DataDirLockedError';
  }
}

function lockedMessage(dir: string, lockFile: string, h: LockHolder, s: HolderState): string {
  const who = `${h.command} (pid ${h.pid} on ${h.hostname}, since ${h.since}${h.adminUrl ? `, admin API at ${h.adminUrl}` : ''})`;
  const base = `the embedded database in ${dir} is in use by ${who}; a second process must never open it.`;
  if (s.state === 'unknown')
    return `${base} ${s.why[0]!.toUpperCase()}${s.why.slice(1)}: if Cassa no longer runs there, remove ${lockFile} and try again.`;
  return base;
}

/** Several processes may find the same stale lock at once: a bounded number of rounds, then give up. */
const MAX_ROUNDS = 20;
/** A lock file whose text is not (yet) a holder: being written by a filesystem without hard links, or damaged. */
const UNREADABLE_GRACE_MS = 2_000;

/**
 * Takes the lock of a PGlite data directory, or throws DataDirLockedError naming who holds it. The lock is
 * released by `release()`, and in any case when the process exits normally.
 */
export async function acquireDataDirLock(
  pgliteDir: string,
  probe: ProcessProbe = systemProbe,
): Promise<DataDirLock> {
  const file = lockFileOf(pgliteDir);
  const holder: LockHolder = {
    pid: process.pid,
    startTicks: probe.startTicks(process.pid),
    bootId: probe.bootId(),
    hostname: probe.hostname(),
    since: new Date().toISOString(),
    command: identity.command,
    ...(identity.role ? { role: identity.role } : {}),
    nonce: randomBytes(12).toString('hex'),
  };
  const text = `${JSON.stringify(holder, null, 2)}\n`;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (placeExclusive(file, text, holder.nonce)) return DataDirLock.held(file, holder);
    const found = readLockFile(file);
    if (!found) continue; // released (or set aside) meanwhile: try again
    if (!found.holder) {
      if (Date.now() - found.mtimeMs < UNREADABLE_GRACE_MS) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      takeOverStale(file, found, holder.nonce);
      continue;
    }
    const state = judgeHolder(found.holder, probe);
    if (state.state !== 'stale') throw new DataDirLockedError(pgliteDir, file, found.holder, state);
    takeOverStale(file, found, holder.nonce);
  }
  throw new Error(`could not take the lock ${file}: it kept changing hands (${MAX_ROUNDS} attempts)`);
}

/**
 * Creates `file` with `text` only if it does not exist, atomically and complete: the text goes to a file of
 * its own, which is then hard-linked to the lock's name (link fails when the name exists), so nobody ever
 * reads a half-written lock. Where hard links are not supported, an exclusive create (O_EXCL) and a write.
 */
function placeExclusive(file: string, text: string, nonce: string): boolean {
  const tmp = `${file}.${process.pid}.${nonce}.new`;
  writeFileSync(tmp, text, { flag: 'w', mode: 0o644 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    try {
      writeFileSync(file, text, { flag: 'wx', mode: 0o644 });
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Sets a stale lock aside so that the next round can create a new one. Another process may have found the
 * same stale lock and replaced it with its own between our reading and our move: the lock is therefore
 * renamed (atomic: of several processes, one moves it, the others find nothing), and only if what was moved
 * is the very file judged stale (same inode, same text) is it deleted; otherwise it is put back where it was.
 */
export function takeOverStale(file: string, judged: FoundLock, nonce: string): void {
  const aside = `${file}.${process.pid}.${nonce}.stale`;
  try {
    renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // another process moved it first
    throw e;
  }
  const moved = readLockFile(aside);
  if (moved && moved.ino === judged.ino && moved.raw === judged.raw) {
    unlinkSync(aside);
    return;
  }
  // not the stale lock: a live one, just taken by another process: back in place, unless a third one now exists
  try {
    if (moved) placeExclusive(file, moved.raw, `${nonce}r`);
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      /* already gone */
    }
  }
}

const held = new Set<DataDirLock>();
let exitHookInstalled = false;

/** The lock of a data directory, held by this process. */
export class DataDirLock {
  private released = false;

  private constructor(
    readonly file: string,
    private holderNow: LockHolder,
  ) {}

  static held(file: string, holder: LockHolder): DataDirLock {
    const lock = new DataDirLock(file, holder);
    held.add(lock);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // a normal exit (process.exit, the end of the event loop, an uncaught exception) releases what is still held
      process.on('exit', () => {
        for (const l of held) l.release();
      });
    }
    return lock;
  }

  get holder(): LockHolder {
    return this.holderNow;
  }

  /** Whether the lock file still names this holding (nobody took it over). */
  isOurs(): boolean {
    return readLockFile(this.file)?.holder?.nonce === this.holderNow.nonce;
  }

  /** Adds to the lock what the holder now offers (its admin API's URL once it listens); atomic for readers. */
  announce(more: Pick<LockHolder, 'adminUrl' | 'tlsCertSha256'>): void {
    if (this.released) return;
    if (!this.isOurs()) throw new Error(`the lock ${this.file} no longer names this process`);
    const next = { ...this.holderNow, ...more };
    const tmp = `${this.file}.${process.pid}.${next.nonce}.new`;
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o644 });
    renameSync(tmp, this.file);
    this.holderNow = next;
  }

  /** Releases the lock (synchronously: it also runs at process exit); only a lock file that is still ours is removed. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    try {
      if (this.isOurs()) unlinkSync(this.file);
    } catch {
      /* already removed */
    }
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
