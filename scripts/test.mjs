#!/usr/bin/env node
// Runs the whole vitest suite twice: on the embedded database (PGlite, no
// CASSA_TEST_DATABASE_URL) and on a real PostgreSQL server.
//
//   node scripts/test.mjs [--db=pglite|pg|both] [vitest args...]
//
// Environment:
//   CASSA_TEST_DATABASE_URL  PostgreSQL URL for the pg run
//                            (default postgres://postgres@127.0.0.1:5432/postgres)
//   CASSA_TEST_REQUIRE_PG=1  an unreachable PostgreSQL is a failure instead of a skip
//                            (so is an explicit --db=pg)
//
// The last line of output is always `N passed, N failed` (plus `, N skipped`
// when > 0), summed over the runs. The exit code is non-zero if any test
// failed, a run crashed, or a run collected no test at all.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const PG_CONNECT_TIMEOUT_MS = 3000;

// ---------------------------------------------------------------- arguments
let db = 'both';
const vitestArgs = [];
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--db' && i + 1 < argv.length) db = argv[++i];
    else if (a.startsWith('--db=')) db = a.slice('--db='.length);
    else vitestArgs.push(a);
  }
  if (db === 'all') db = 'both';
  if (!['pglite', 'pg', 'both'].includes(db)) {
    console.error(`scripts/test.mjs: invalid --db=${db} (expected pglite, pg or both)`);
    console.log('0 passed, 1 failed');
    process.exit(2);
  }
}

const pgUrl = process.env.CASSA_TEST_DATABASE_URL || DEFAULT_PG_URL;
const requirePg = process.env.CASSA_TEST_REQUIRE_PG === '1' || db === 'pg';

// ------------------------------------------------------------------ helpers
function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/** Where a libpq-style URL points: {host, port} or a unix socket {path}. */
function pgTarget(url) {
  const u = new URL(url); // throws on garbage
  const port = Number(u.port || u.searchParams.get('port') || process.env.PGPORT || 5432);
  let host =
    u.searchParams.get('host') || decodeURIComponent(u.hostname) || process.env.PGHOST || 'localhost';
  host = host.replace(/^\[(.*)\]$/, '$1');
  if (host.startsWith('/')) {
    const path = `${host}/.s.PGSQL.${port}`;
    return { connect: { path }, label: path };
  }
  return { connect: { host, port }, label: `${host}:${port}` };
}

/**
 * Checks that a PostgreSQL server answers at the URL's host/port (or socket):
 * opens a connection and sends an SSLRequest, which any PostgreSQL server
 * answers with a single 'S' or 'N' byte. A bare TCP connect is not enough here
 * (a transparent proxy may accept connections to any address).
 * Resolves to {label, reason}; reason is null when the server is reachable.
 */
function checkReachable(url) {
  let target;
  try {
    target = pgTarget(url);
  } catch (err) {
    return Promise.resolve({ label: redact(url), reason: `invalid URL (${err.message})` });
  }
  return new Promise((done) => {
    const sock = net.connect(target.connect);
    let settled = false;
    const finish = (reason) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      done({ label: target.label, reason });
    };
    const timer = setTimeout(
      () => finish(`no answer within ${PG_CONNECT_TIMEOUT_MS / 1000}s`),
      PG_CONNECT_TIMEOUT_MS,
    );
    sock.once('connect', () => {
      const sslRequest = Buffer.alloc(8);
      sslRequest.writeInt32BE(8, 0);
      sslRequest.writeInt32BE(80877103, 4);
      sock.write(sslRequest);
    });
    sock.once('data', (data) => {
      const first = String.fromCharCode(data[0]);
      finish(['S', 'N', 'E'].includes(first) ? null : 'something answered, but not a PostgreSQL server');
    });
    sock.once('error', (err) => finish(err.code || err.message));
    sock.once('close', () => finish('connection closed without a PostgreSQL answer'));
  });
}

let currentChild = null;
let aborted = null;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    aborted = sig;
    if (currentChild && currentChild.exitCode === null) currentChild.kill(sig);
  });
}

function counts(r) {
  let s = `${r.passed} passed, ${r.failed} failed`;
  if (r.skipped > 0) s += `, ${r.skipped} skipped`;
  return s;
}

/** Runs vitest once; resolves to {name, passed, failed, skipped, ok, note}. */
async function runVitest(name, description, env) {
  console.log(`\n=== ${name}: vitest on ${description} (node ${process.version}) ===\n`);
  const dir = mkdtempSync(join(tmpdir(), 'cassa-test-'));
  const jsonFile = join(dir, 'vitest.json');
  const result = { name, passed: 0, failed: 0, skipped: 0, ok: false, note: '' };
  try {
    const args = [
      VITEST,
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${jsonFile}`,
      ...vitestArgs,
    ];
    const { code, signal } = await new Promise((done) => {
      const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'inherit' });
      currentChild = child;
      child.once('error', (err) => done({ code: null, signal: null, error: err }));
      child.once('exit', (code, signal) => done({ code, signal }));
    });
    currentChild = null;
    const exitDesc = signal ? `killed by ${signal}` : `exit code ${code}`;

    let report = null;
    if (existsSync(jsonFile)) {
      try {
        report = JSON.parse(readFileSync(jsonFile, 'utf8'));
      } catch {
        report = null;
      }
    }
    if (!report) {
      result.failed = 1;
      result.note = `vitest crashed (${exitDesc}) without writing its JSON report`;
      return result;
    }

    // Test files that failed to load/collect report no test: count each as one failure.
    const brokenFiles = (report.testResults ?? []).filter(
      (f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0,
    ).length;
    result.passed = report.numPassedTests ?? 0;
    result.failed = (report.numFailedTests ?? 0) + brokenFiles;
    result.skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    const total = report.numTotalTests ?? 0;

    const problems = [];
    if (brokenFiles > 0) problems.push(`${brokenFiles} test file(s) failed to load`);
    if (total === 0 && brokenFiles === 0) problems.push('no test collected');
    if (code !== 0 || signal) {
      const unexplained = result.failed === 0 && problems.length === 0;
      problems.push(
        `vitest ${exitDesc}${unexplained ? ' although no test failed: unhandled error? see its output above' : ''}`,
      );
    }
    result.ok = problems.length === 0 && result.failed === 0 && total > 0;
    if (!result.ok && result.failed === 0) result.failed = 1; // keep the totals line honest
    result.note = problems.join('; ');
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --------------------------------------------------------------------- main
if (!existsSync(VITEST)) {
  console.error(`scripts/test.mjs: ${VITEST} not found; run \`npm ci\` first.`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const results = [];

if (db !== 'pg' && !aborted) {
  const env = { ...process.env };
  delete env.CASSA_TEST_DATABASE_URL;
  results.push(await runVitest('pglite', 'the embedded database (PGlite)', env));
}

if (db !== 'pglite' && !aborted) {
  const { label, reason } = await checkReachable(pgUrl);
  if (reason) {
    const why = `PostgreSQL not reachable at ${label} (${reason}), URL ${redact(pgUrl)}`;
    if (requirePg) {
      console.log(
        `\n=== pg: FAILED, ${why}; PostgreSQL is required ` +
          `(${db === 'pg' ? '--db=pg' : 'CASSA_TEST_REQUIRE_PG=1'}) ===`,
      );
      results.push({ name: 'pg', passed: 0, failed: 1, skipped: 0, ok: false, note: `not run: ${why}` });
    } else {
      console.log(
        `\n=== pg: PostgreSQL run SKIPPED: ${why}. ` +
          'Set CASSA_TEST_DATABASE_URL to point at a server, or CASSA_TEST_REQUIRE_PG=1 to make this an error. ===',
      );
      results.push({
        name: 'pg',
        passed: 0,
        failed: 0,
        skipped: 0,
        ok: true,
        note: `SKIPPED: ${why}`,
        notRun: true,
      });
    }
  } else {
    const env = { ...process.env, CASSA_TEST_DATABASE_URL: pgUrl };
    results.push(await runVitest('pg', `PostgreSQL ${redact(pgUrl)}`, env));
  }
}

console.log('');
for (const r of results) {
  if (r.notRun) console.log(`${r.name}: ${r.note}`);
  else console.log(`${r.name}: ${counts(r)}${r.note ? ` (${r.note})` : ''}`);
}
if (aborted) console.log(`interrupted by ${aborted}: remaining runs not started`);
const total = results.reduce(
  (t, r) => ({ passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped }),
  { passed: 0, failed: 0, skipped: 0 },
);
const ok = !aborted && results.length > 0 && results.every((r) => r.ok) && results.some((r) => !r.notRun);
if (!ok && total.failed === 0) total.failed = 1;
console.log(counts(total));
process.exitCode = ok ? 0 : 1;
