import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockFileOf } from '../../src/db/data-dir-lock.js';
import { projectPath } from '../../src/shared/paths.js';
import { until } from './until.js';

// `cassa` as processes of their own (a running Cassa, command lines beside it), from the sources through
// tsx (test/helpers/cassa-cli-entry.ts), on the embedded database of a data directory of the test's.

/** The environment of a `cassa` process on `dataDir`: the embedded database, an ephemeral port, quiet logs. */
export function embeddedEnv(dataDir: string, more: Record<string, string> = {}): NodeJS.ProcessEnv {
  const unset = new Set([
    'DATABASE_URL',
    'CASSA_ADMIN_TOKEN',
    'CASSA_SECRET_KEYS',
    'CASSA_PUBLIC_URL',
    'CASSA_METRICS_PORT',
    'CASSA_TEST_DATABASE_URL',
  ]);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !unset.has(k)));
  return {
    ...env,
    CASSA_ENV: 'development',
    CASSA_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    CASSA_LOG_LEVEL: 'warn',
    ...more,
  };
}

export interface CassaProcess {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export function startCassa(args: string[], env: NodeJS.ProcessEnv): CassaProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', projectPath('test', 'helpers', 'cassa-cli-entry.ts'), ...args],
    { cwd: projectPath(), env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return { child, pid: child.pid!, exited, output: () => out };
}

/** Runs one command to its end: exit code, stdout (JSON when it is), stderr. */
export async function runCassa(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: any; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', projectPath('test', 'helpers', 'cassa-cli-entry.ts'), ...args],
    { cwd: projectPath(), env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  let out: unknown = stdout;
  try {
    out = JSON.parse(stdout);
  } catch {
    /* plain text */
  }
  return { code, out, stderr };
}

/** The lock file of the data directory's embedded database, parsed (undefined when there is none). */
export function lockOf(
  dataDir: string,
): { pid: number; adminUrl?: string; role?: string; command: string } | undefined {
  try {
    return JSON.parse(readFileSync(lockFileOf(join(dataDir, 'pglite')), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Waits until the Cassa holding `dataDir` has announced its admin API and answers /health/ready; returns its base URL. */
export async function waitListening(dataDir: string, p: CassaProcess, timeoutMs = 90_000): Promise<string> {
  const adminUrl = await until(
    () => {
      if (p.child.exitCode !== null)
        throw new Error(`cassa exited early (${p.child.exitCode}):\n${p.output()}`);
      const l = lockOf(dataDir);
      return l?.pid === p.pid ? l.adminUrl : undefined;
    },
    'Cassa to listen',
    timeoutMs,
  );
  const base = adminUrl.replace(/\/admin\/api\/v1$/, '');
  await until(
    async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.ok,
    'Cassa to be ready',
    timeoutMs,
  );
  return base;
}
