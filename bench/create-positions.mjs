#!/usr/bin/env node
// Cassa benchmark: how many debt positions per second the epayapi REST API creates, and how fast.
//
// For each database target it starts `node bin/cassa.js demo` as a child process on a fresh database
// (a temporary CASSA_DATA_DIR for PGlite; a dropped and re-created database for PostgreSQL), waits
// for /health/ready, runs a warm-up and a measured phase of N concurrent closed-loop clients that
// POST .../debtpositions with unique identificativoPagamento values, verifies every answer (201,
// codiceEsito 000, distinct well-formed IUV) and the number of rows written, then stops the server
// with SIGTERM and cleans up. See bench/README.md.
//
//   npm run bench -- [--db=pglite|pg|both] [--clients=32] [--seconds=20] [--warmup=5] [--json] ...
//
// No dependencies beyond Node and the project's own (pg, @electric-sql/pglite for the checks).

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  AUTHORIZATION,
  CREATE_PATH,
  DEFAULT_PG_URL,
  DEMO_CALLER,
  RawConnection,
  cassaEnv,
  cassaRequire,
  checkBuild,
  dropDatabase,
  fail,
  freePort,
  isPlainIdentifier,
  parseEnvOptions,
  pgConnect,
  percentile,
  positiveInt,
  printTable,
  round,
  runBuild,
  sayer,
  sleep,
  startChild,
  stopChild,
  waitReady,
  withDatabase,
  withPg,
} from './lib.mjs';

const HELP = `Usage: node bench/create-positions.mjs [options]

Targets and server
  --db=pglite|pg|both     database targets, in this order (default both)
  --pg-url=URL            PostgreSQL server to create the bench database on (default $BENCH_PG_URL,
                          else postgres://postgres@127.0.0.1:5432/postgres)
  --pg-db=NAME            name of the throwaway database (default cassa_bench; dropped before and after)
  --cassa-dir=DIR         Cassa checkout to run (default: the one this script is in); needs its build
  --build                 run \`npm run build\` in --cassa-dir first
  --env=KEY=VALUE         extra environment for the server (repeatable), e.g. --env=CASSA_DB_POOL_SIZE=32
  --node-arg=ARG          extra node flag for the server (repeatable), e.g. --node-arg=--max-semi-space-size=64
  --cpu-prof[=DIR]        write a V8 CPU profile of the server's whole run (start-up, warm-up,
                          measurement) to DIR (default ./bench-profiles); open it in Chrome DevTools
  --log-level=LEVEL       CASSA_LOG_LEVEL of the server (default warn)
  --count-queries         count the statements the server sends to its database during the measured
                          phase, by kind (preloads bench/count-queries-preload.mjs into the server)
  --keep                  keep the temporary data directory and the bench database
  --wait-quiet=S          before each target, wait up to S seconds for other processes to leave the
                          machine idle (under 15% of a core), so that they do not skew the figures

Load
  --clients=N             concurrent clients, each in a closed loop (default 32)
  --seconds=S             length of the measured phase (default 20)
  --requests=N            measure a fixed number of creations instead of a duration
  --warmup=S              warm-up seconds before measuring, not counted (default 5; 0 to skip)
  --client=raw|http       load generator: raw keep-alive sockets with a minimal HTTP/1.1 client
                          (default; about half the client CPU of node:http, which matters when it
                          shares the machine with the server), or node:http with a keep-alive Agent
  --verify-sample=N       positions read back through GET .../status after the run (default 50)

Output
  --json                  print the results as JSON on stdout (the human report goes to stderr)
  --target-rps=N          throughput target shown in the summary (default 1500)
  --target-p99=MS         p99 latency target shown in the summary (default 50)
  --enforce-target        exit 1 when a target is missed (errors always exit 1)
  -h, --help`;

// ---------------------------------------------------------------------------------------------
// Options

const { values: opt } = parseArgs({
  options: {
    db: { type: 'string', default: 'both' },
    'pg-url': { type: 'string', default: DEFAULT_PG_URL },
    'pg-db': { type: 'string', default: 'cassa_bench' },
    'cassa-dir': { type: 'string' },
    build: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
    'cpu-prof': { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
    'count-queries': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'wait-quiet': { type: 'string', default: '0' },
    clients: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '20' },
    requests: { type: 'string' },
    warmup: { type: 'string', default: '5' },
    client: { type: 'string', default: 'raw' },
    'verify-sample': { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
    'target-rps': { type: 'string', default: '1500' },
    'target-p99': { type: 'string', default: '50' },
    'enforce-target': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  // `--cpu-prof` alone (no value) is allowed: see normaliseArgv
  args: normaliseArgv(process.argv.slice(2)),
  strict: true,
});

function normaliseArgv(argv) {
  return argv.map((a) => (a === '--cpu-prof' ? '--cpu-prof=./bench-profiles' : a));
}

if (opt.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const TARGETS = opt.db === 'both' ? ['pglite', 'pg'] : opt.db.split(',').map((s) => s.trim());
for (const t of TARGETS)
  if (t !== 'pglite' && t !== 'pg') fail(`--db must be pglite, pg or both (got "${t}")`);
const CLIENTS = positiveInt('clients', opt.clients);
const SECONDS = Number(opt.seconds);
if (!(SECONDS > 0)) fail('--seconds must be > 0');
const REQUESTS = opt.requests === undefined ? undefined : positiveInt('requests', opt.requests);
const WARMUP = Number(opt.warmup);
if (!(WARMUP >= 0)) fail('--warmup must be >= 0');
if (opt.client !== 'http' && opt.client !== 'raw') fail('--client must be http or raw');
const VERIFY_SAMPLE = positiveInt('verify-sample', opt['verify-sample'], { min: 0 });
const TARGET_RPS = Number(opt['target-rps']);
const TARGET_P99 = Number(opt['target-p99']);
if (!isPlainIdentifier(opt['pg-db'])) fail('--pg-db must be a plain lower-case identifier');
const EXTRA_ENV = parseEnvOptions(opt.env);

const HERE = dirname(fileURLToPath(import.meta.url));
const CASSA_DIR = resolve(opt['cassa-dir'] ?? join(HERE, '..'));
const require = cassaRequire(CASSA_DIR);

// Human output goes to stdout, or to stderr when stdout carries JSON.
const say = sayer(opt.json);

// The demo data (src/app/demo-seed.ts)
const DEMO = { ...DEMO_CALLER, seededPositions: 3 };

// ---------------------------------------------------------------------------------------------
// Small helpers

function redactUrl(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** CPU time (ms) of a process from /proc (Linux), or null elsewhere. */
const CLK_TCK = 100;
function procCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime + stime
  } catch {
    return null;
  }
}

/**
 * The server's main thread (the event loop) from /proc/<pid>/schedstat: ms on a CPU and ms runnable
 * but waiting for one. What is left of the wall time it was idle, waiting for work (clients or
 * the database). Linux only; null elsewhere.
 */
function mainThreadSched(pid) {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return { runMs: run / 1e6, waitMs: wait / 1e6 };
  } catch {
    return null;
  }
}

/**
 * CPU ms of the PostgreSQL processes that work for the bench: the backends connected to the bench
 * database and the server's background processes (WAL writer, checkpointer...), kept per pid.
 * Backends of other databases (say, a test suite running meanwhile) are left out. Local server only.
 */
async function postgresCpu(url) {
  let pids;
  try {
    const c = await pgConnect(require, url);
    try {
      const r = await c.query(
        `select pid from pg_stat_activity where (datname = current_database() and pid <> pg_backend_pid()) or backend_type <> 'client backend'`,
      );
      pids = r.rows.map((x) => String(x.pid));
    } finally {
      await c.end();
    }
  } catch {
    return null;
  }
  const byPid = new Map();
  for (const pid of pids) {
    const ms = procCpuMs(pid);
    if (ms !== null) byPid.set(pid, ms);
  }
  return byPid.size ? byPid : null;
}

function postgresCpuDelta(before, after) {
  if (!before || !after) return null;
  let ms = 0;
  for (const [pid, v] of after) ms += v - (before.get(pid) ?? 0);
  return ms;
}

/** Share of the machine's CPU (percent of one core) that something else uses over `ms`. */
async function backgroundLoad(ms = 1000) {
  const a = machineCpu();
  const self = process.cpuUsage();
  await sleep(ms);
  const b = machineCpu();
  if (!a || !b) return null;
  const selfMs = (process.cpuUsage(self).user + process.cpuUsage(self).system) / 1000;
  const busyShare = (b.busy - a.busy) / (b.total - a.total); // of all cores
  return Math.max(0, busyShare * cpus().length * 100 - (100 * selfMs) / ms);
}

/** Whole-machine busy and total jiffies from /proc/stat. */
function machineCpu() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Load generators: both expose `post(path, body) -> Promise<{ status, text }>` and `close()`.

function httpClient(port, connections) {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: connections,
    maxFreeSockets: connections,
    scheduling: 'fifo',
  });
  return {
    post(path, body) {
      return new Promise((res, rej) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            path,
            method: 'POST',
            agent,
            headers: {
              authorization: AUTHORIZATION,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (resp) => {
            let text = '';
            resp.setEncoding('utf8');
            resp.on('data', (c) => (text += c));
            resp.on('end', () => res({ status: resp.statusCode, text }));
            resp.on('error', rej);
          },
        );
        req.on('error', rej);
        req.end(body);
      });
    },
    get(path) {
      return new Promise((res, rej) => {
        const req = http.request(
          { host: '127.0.0.1', port, path, method: 'GET', agent, headers: { authorization: AUTHORIZATION } },
          (resp) => {
            let text = '';
            resp.setEncoding('utf8');
            resp.on('data', (c) => (text += c));
            resp.on('end', () => res({ status: resp.statusCode, text }));
            resp.on('error', rej);
          },
        );
        req.on('error', rej);
        req.end();
      });
    },
    close() {
      agent.destroy();
    },
  };
}

// The raw client (RawConnection, bench/lib.mjs): every request with the caller's credentials.
const RAW_GET_HEADERS = `authorization: ${AUTHORIZATION}\r\n`;
const RAW_POST_HEADERS = `${RAW_GET_HEADERS}content-type: application/json\r\n`;

function rawClient(port, connections) {
  const pool = Array.from({ length: connections }, () => new RawConnection(port));
  const free = [...pool];
  const waiters = [];
  async function withConn(fn) {
    const c = free.pop() ?? (await new Promise((r) => waiters.push(r)));
    try {
      return await fn(c);
    } finally {
      const w = waiters.shift();
      if (w) w(c);
      else free.push(c);
    }
  }
  return {
    post: (path, body) => withConn((c) => c.request('POST', path, RAW_POST_HEADERS, body)),
    get: (path) => withConn((c) => c.request('GET', path, RAW_GET_HEADERS)),
    close() {
      for (const c of pool) c.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One phase of load: `clients` closed loops until the deadline (or the request budget) is spent.

const IUV = /^\d{17}$/;

/**
 * `iuvs` is shared by every phase of a target, so that a duplicate across warm-up and measurement
 * is caught too. Returns counts, latencies and the IUVs created in this phase.
 */
async function runPhase({ client, clients, seconds, requests, tag, iuvs, onTick }) {
  const latencies = new Float64Array(requests ?? 1 << 16);
  let latencyCount = 0;
  let lat = latencies;
  const created = [];
  const errors = new Map(); // kind -> { count, sample }
  let ok = 0;
  let issued = 0;
  const addError = (kind, sample) => {
    const e = errors.get(kind);
    if (e) e.count++;
    else errors.set(kind, { count: 1, sample: String(sample).slice(0, 300) });
  };

  const t0 = performance.now();
  const deadline = requests === undefined ? t0 + seconds * 1000 : Infinity;
  const more = () => (requests === undefined ? performance.now() < deadline : issued < requests);

  async function loop(c) {
    let seq = 0;
    while (more()) {
      issued++;
      const id = `${tag}-${c}-${seq++}`;
      const body = JSON.stringify({
        causale: `Bench ${tag} posizione ${seq}`,
        importo: 12.5,
        codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
        nome: 'Pino',
        cognome: 'Test',
        identificativoPagamento: id,
      });
      const start = performance.now();
      let r;
      try {
        r = await client.post(CREATE_PATH, body);
      } catch (e) {
        addError('network', e?.message ?? e);
        await sleep(10); // do not spin on a dead server
        continue;
      }
      const ms = performance.now() - start;
      if (latencyCount === lat.length) {
        const bigger = new Float64Array(lat.length * 2);
        bigger.set(lat);
        lat = bigger;
      }
      lat[latencyCount++] = ms;
      if (r.status !== 201) {
        addError(`HTTP ${r.status}`, r.text);
        continue;
      }
      let j;
      try {
        j = JSON.parse(r.text);
      } catch {
        addError('invalid JSON', r.text);
        continue;
      }
      if (j.codiceEsito !== '000') addError(`codiceEsito ${j.codiceEsito}`, r.text);
      else if (typeof j.iuv !== 'string' || !IUV.test(j.iuv) || j.codiceAvviso !== `3${j.iuv}`)
        addError('malformed IUV or codiceAvviso', r.text);
      else if (j.identificativoPagamento !== id) addError('identificativoPagamento not echoed', r.text);
      else if (iuvs.has(j.iuv)) addError('duplicate IUV', `${j.iuv} for ${id} and ${iuvs.get(j.iuv)}`);
      else {
        iuvs.set(j.iuv, id);
        created.push(j.iuv);
        ok++;
      }
    }
  }

  const ticker = onTick
    ? setInterval(() => onTick({ ok, elapsed: (performance.now() - t0) / 1000 }), 1000)
    : null;
  await Promise.all(Array.from({ length: clients }, (_, c) => loop(c)));
  if (ticker) clearInterval(ticker);
  const elapsed = (performance.now() - t0) / 1000;

  const sorted = lat.slice(0, latencyCount).sort();
  let errorCount = 0;
  for (const e of errors.values()) errorCount += e.count;
  return {
    ok,
    errors: errorCount,
    errorKinds: Object.fromEntries(errors),
    elapsed,
    created,
    latencyMs: {
      mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1] : NaN,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The server child

function startServer({ target, port, dataDir, databaseUrl, profileDir }) {
  // whatever the caller's shell has, the target decides the database
  const env = cassaEnv({
    port,
    dataDir,
    logLevel: opt['log-level'],
    databaseUrl: target === 'pg' ? databaseUrl : undefined,
    extraEnv: EXTRA_ENV,
  });
  const nodeArgs = [...opt['node-arg']];
  if (opt['count-queries'])
    nodeArgs.push(`--import=${pathToFileURL(join(HERE, 'count-queries-preload.mjs')).href}`);
  if (profileDir)
    nodeArgs.push(
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=cassa-${target}-${Date.now()}.cpuprofile`,
    );
  return startChild([...nodeArgs, join(CASSA_DIR, 'bin', 'cassa.js'), 'demo'], env, CASSA_DIR);
}

/** With --count-queries: the server's statement counts so far (see count-queries-preload.mjs). */
async function queryCounts(server) {
  const marker = '@@cassa-bench-queries ';
  const seen = server.log().lastIndexOf(marker);
  server.child.kill('SIGUSR2');
  for (let i = 0; i < 50; i++) {
    await sleep(20);
    const log = server.log();
    const at = log.lastIndexOf(marker);
    if (at > seen) {
      const end = log.indexOf('\n', at);
      if (end > 0) return JSON.parse(log.slice(at + marker.length, end));
    }
  }
  return null;
}

function queryCountDelta(a, b, positions) {
  if (!a || !b) return null;
  const byKind = {};
  for (const [k, v] of Object.entries(b.byKind)) {
    const d = v - (a.byKind[k] ?? 0);
    if (d > 0) byKind[k] = d;
  }
  const total = b.total - a.total;
  return {
    total,
    perPosition: positions ? round(total / positions, 2) : null,
    byKindPerPosition: Object.fromEntries(
      Object.entries(byKind)
        .sort((x, y) => y[1] - x[1])
        .map(([k, v]) => [k, positions ? round(v / positions, 3) : v]),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Database set-up and checks

async function recreatePgDatabase() {
  return withPg(require, opt['pg-url'], async (admin) => {
    await admin.query(`drop database if exists ${opt['pg-db']} with (force)`);
    await admin.query(`create database ${opt['pg-db']}`);
    const settings = await admin.query(
      `select name, setting from pg_settings where name in ('server_version','synchronous_commit','fsync','shared_buffers','max_connections','wal_level') order by name`,
    );
    return Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]));
  });
}

const COUNT_SQL =
  'select (select count(*) from debt_position)::int as positions, (select count(distinct iuv) from debt_position)::int as iuvs, (select count(*) from debt_position_status_history)::int as history';

async function countPg(url) {
  return withPg(require, url, async (c) => (await c.query(COUNT_SQL)).rows[0]);
}

/** PGlite's data directory is the server's while it runs: counted once the server has stopped. */
async function countPglite(dataDir) {
  const { PGlite } = await import(pathToFileURL(require.resolve('@electric-sql/pglite')).href);
  const db = await PGlite.create(join(dataDir, 'pglite'));
  try {
    return (await db.query(COUNT_SQL)).rows[0];
  } finally {
    await db.close();
  }
}

/** Reads a sample of the created positions back through the API: each must exist and be payable. */
async function verifySample(client, created, n) {
  const problems = [];
  const step = Math.max(1, Math.floor(created.length / Math.max(1, n)));
  let checked = 0;
  for (let i = 0; i < created.length && checked < n; i += step, checked++) {
    const iuv = created[i];
    const r = await client.get(`${CREATE_PATH}/${iuv}/status`);
    let j;
    try {
      j = JSON.parse(r.text);
    } catch {
      j = null;
    }
    if (r.status !== 200 || j?.code !== '1' || j?.result?.code !== '000')
      problems.push(`${iuv}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  }
  return { checked, problems };
}

// ---------------------------------------------------------------------------------------------
// One target

async function runTarget(target) {
  const label = target === 'pg' ? 'PostgreSQL' : 'PGlite (embedded)';
  say(`\n=== ${label} ===`);
  let idleLoad = await backgroundLoad();
  const quietUntil = Date.now() + Number(opt['wait-quiet']) * 1000;
  if (idleLoad !== null && idleLoad > 15 && Date.now() < quietUntil) {
    say(
      `waiting up to ${opt['wait-quiet']}s for the machine to be quiet (others use ${idleLoad.toFixed(0)}% of a core)...`,
    );
    while (idleLoad > 15 && Date.now() < quietUntil) idleLoad = await backgroundLoad(2000);
  }
  if (idleLoad !== null && idleLoad > 15)
    say(
      `warning: something else uses ${idleLoad.toFixed(0)}% of a core before the server starts; figures will be noisy`,
    );
  const dataDir = mkdtempSync(join(tmpdir(), `cassa-bench-${target}-`));
  const port = await freePort();
  let databaseUrl;
  let pgSettings;
  if (target === 'pg') {
    pgSettings = await recreatePgDatabase();
    databaseUrl = withDatabase(opt['pg-url'], opt['pg-db']);
    say(
      `database: ${redactUrl(databaseUrl)} (fresh; PostgreSQL ${pgSettings.server_version}, synchronous_commit=${pgSettings.synchronous_commit}, fsync=${pgSettings.fsync}, shared_buffers=${pgSettings.shared_buffers}x8kB)`,
    );
  } else {
    say(`database: ${join(dataDir, 'pglite')} (fresh)`);
  }
  const profileDir = opt['cpu-prof'] ? resolve(opt['cpu-prof']) : undefined;
  const server = startServer({ target, port, dataDir, databaseUrl, profileDir });
  const result = {
    target,
    database: target === 'pg' ? 'postgres' : 'pglite',
    clients: CLIENTS,
    client: opt.client,
    mode: REQUESTS === undefined ? { seconds: SECONDS } : { requests: REQUESTS },
    warmupSeconds: WARMUP,
    serverEnv: { CASSA_LOG_LEVEL: opt['log-level'], ...EXTRA_ENV },
    pgSettings,
    ok: false,
  };
  let client;
  const verification = { problems: [] };
  try {
    const tReady = performance.now();
    await waitReady(port, server, { name: 'the server' });
    say(
      `server: pid ${server.child.pid}, http://127.0.0.1:${port}, ready in ${((performance.now() - tReady) / 1000).toFixed(1)}s`,
    );
    client = opt.client === 'raw' ? rawClient(port, CLIENTS) : httpClient(port, CLIENTS);
    const runTag = `B${Date.now().toString(36)}`;
    const iuvs = new Map();

    let warm = null;
    if (WARMUP > 0) {
      warm = await runPhase({ client, clients: CLIENTS, seconds: WARMUP, tag: `${runTag}w`, iuvs });
      say(
        `warm-up: ${warm.ok} positions in ${warm.elapsed.toFixed(1)}s (${(warm.ok / warm.elapsed).toFixed(0)}/s), ${warm.errors} errors`,
      );
    }
    const before = target === 'pg' ? await countPg(databaseUrl) : null;

    const q0 = opt['count-queries'] ? await queryCounts(server) : null;
    const cpu0 = {
      sched: mainThreadSched(server.child.pid),
      server: procCpuMs(server.child.pid),
      pg: target === 'pg' ? await postgresCpu(databaseUrl) : null,
      self: process.cpuUsage(),
      machine: machineCpu(),
    };
    say(
      `measuring: ${CLIENTS} clients, ${REQUESTS === undefined ? `${SECONDS}s` : `${REQUESTS} requests`}...`,
    );
    const m = await runPhase({
      client,
      clients: CLIENTS,
      seconds: SECONDS,
      requests: REQUESTS,
      tag: `${runTag}m`,
      iuvs,
      onTick:
        opt.json || !process.stderr.isTTY
          ? undefined
          : ({ ok, elapsed }) =>
              process.stderr.write(
                `\r  ${ok} positions, ${elapsed.toFixed(0)}s, ${(ok / elapsed).toFixed(0)}/s   `,
              ),
    });
    if (!opt.json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    const q1 = opt['count-queries'] ? await queryCounts(server) : null;
    const cpu1 = {
      sched: mainThreadSched(server.child.pid),
      server: procCpuMs(server.child.pid),
      pg: target === 'pg' ? await postgresCpu(databaseUrl) : null,
      self: process.cpuUsage(cpu0.self),
      machine: machineCpu(),
    };

    // Checks: the database grew by exactly the successes, with distinct IUVs; a sample reads back.
    if (target === 'pg') {
      const after = await countPg(databaseUrl);
      verification.rowsBefore = before.positions;
      verification.rowsAfter = after.positions;
      verification.rowsAdded = after.positions - before.positions;
      verification.distinctIuvs = after.iuvs;
      verification.historyRows = after.history;
      if (verification.rowsAdded !== m.ok)
        verification.problems.push(`debt_position grew by ${verification.rowsAdded}, successes were ${m.ok}`);
      if (after.iuvs !== after.positions)
        verification.problems.push(`${after.positions} positions but ${after.iuvs} distinct IUVs`);
      if (after.history !== after.positions + 2)
        verification.problems.push(
          `${after.history} status-history rows for ${after.positions} positions (expected positions + 2 of the demo data)`,
        );
    }
    if (VERIFY_SAMPLE > 0 && m.created.length > 0) {
      const s = await verifySample(client, m.created, VERIFY_SAMPLE);
      verification.readBack = s.checked;
      verification.problems.push(...s.problems);
    }

    const elapsedMs = m.elapsed * 1000;
    const serverCpuMs = cpu0.server !== null && cpu1.server !== null ? cpu1.server - cpu0.server : null;
    const pgCpuMs = postgresCpuDelta(cpu0.pg, cpu1.pg);
    const clientCpuMs = (cpu1.self.user + cpu1.self.system) / 1000;
    const machineBusy =
      cpu0.machine && cpu1.machine
        ? (cpu1.machine.busy - cpu0.machine.busy) / (cpu1.machine.total - cpu0.machine.total)
        : null;
    Object.assign(result, {
      warmup: warm && { positions: warm.ok, errors: warm.errors, seconds: round(warm.elapsed, 2) },
      positions: m.ok,
      errors: m.errors,
      errorKinds: m.errorKinds,
      queries: opt['count-queries'] ? queryCountDelta(q0, q1, m.ok) : undefined,
      seconds: round(m.elapsed, 2),
      positionsPerSecond: round(m.ok / m.elapsed, 1),
      latencyMs: Object.fromEntries(Object.entries(m.latencyMs).map(([k, v]) => [k, round(v, 2)])),
      cpu: {
        // percent of one core over the measured phase, and CPU time per created position
        serverPct: serverCpuMs === null ? null : round((100 * serverCpuMs) / elapsedMs),
        postgresPct: pgCpuMs === null ? null : round((100 * pgCpuMs) / elapsedMs),
        benchClientPct: round((100 * clientCpuMs) / elapsedMs),
        machineBusyPct: machineBusy === null ? null : round(100 * machineBusy),
        // whatever else ran meanwhile (percent of one core): high values mean noisy figures
        otherPct:
          machineBusy === null || serverCpuMs === null
            ? null
            : round(
                Math.max(
                  0,
                  machineBusy * cpus().length * 100 -
                    (100 * (serverCpuMs + (pgCpuMs ?? 0) + clientCpuMs)) / elapsedMs,
                ),
              ),
        idleBeforePct: idleLoad === null ? null : round(idleLoad),
        // the event loop thread: share of the wall time running, waiting for a CPU, and idle
        eventLoop:
          cpu0.sched && cpu1.sched
            ? {
                runningPct: round((100 * (cpu1.sched.runMs - cpu0.sched.runMs)) / elapsedMs),
                waitingForCpuPct: round((100 * (cpu1.sched.waitMs - cpu0.sched.waitMs)) / elapsedMs),
                idlePct: round(
                  Math.max(
                    0,
                    100 -
                      (100 * (cpu1.sched.runMs - cpu0.sched.runMs + cpu1.sched.waitMs - cpu0.sched.waitMs)) /
                        elapsedMs,
                  ),
                ),
              }
            : null,
        serverUsPerPosition:
          serverCpuMs === null || m.ok === 0 ? null : round((1000 * serverCpuMs) / m.ok, 0),
        postgresUsPerPosition: pgCpuMs === null || m.ok === 0 ? null : round((1000 * pgCpuMs) / m.ok, 0),
      },
    });
    report(result);
  } catch (e) {
    result.failure = e?.stack ?? String(e);
    say(`FAILED: ${result.failure}`);
  } finally {
    client?.close();
    const exit = await stopChild(server);
    result.serverExit = exit;
    if (exit.code !== 0 && !result.failure)
      verification.problems.push(`server exited with ${JSON.stringify(exit)} after SIGTERM`);
    if (exit.code !== 0) say(`server log (tail):\n${server.log().slice(-4000)}`);
    if (target === 'pglite' && result.positions !== undefined && exit.code !== null) {
      try {
        const c = await countPglite(dataDir);
        const expected = DEMO.seededPositions + (result.warmup?.positions ?? 0) + result.positions;
        verification.rowsAfter = c.positions;
        verification.distinctIuvs = c.iuvs;
        verification.historyRows = c.history;
        verification.rowsExpected = expected;
        if (c.positions !== expected)
          verification.problems.push(
            `debt_position has ${c.positions} rows, expected ${expected} (demo + warm-up + measured successes)`,
          );
        if (c.iuvs !== c.positions)
          verification.problems.push(`${c.positions} positions but ${c.iuvs} distinct IUVs`);
      } catch (e) {
        verification.problems.push(`could not count PGlite rows: ${e?.message ?? e}`);
      }
    }
    if (profileDir) {
      const profiles = existsSync(profileDir)
        ? readdirSync(profileDir).filter((f) => f.startsWith(`cassa-${target}-`))
        : [];
      result.cpuProfile = profiles.length ? join(profileDir, profiles.sort().at(-1)) : null;
    }
    if (opt.keep) say(`kept: ${dataDir}${target === 'pg' ? ` and database ${opt['pg-db']}` : ''}`);
    else {
      rmSync(dataDir, { recursive: true, force: true });
      if (target === 'pg')
        await dropDatabase(require, opt['pg-url'], opt['pg-db']).catch((e) =>
          say(`warning: could not drop ${opt['pg-db']}: ${e.message}`),
        );
    }
  }
  result.verification = verification;
  result.ok = !result.failure && result.errors === 0 && verification.problems.length === 0;
  result.meetsTarget = result.positionsPerSecond >= TARGET_RPS && result.latencyMs?.p99 < TARGET_P99;
  const v = verification;
  if (!result.failure) {
    const rows =
      target === 'pg'
        ? `debt_position +${v.rowsAdded} rows (successes ${result.positions}), ${v.distinctIuvs} distinct IUVs of ${v.rowsAfter}`
        : v.rowsAfter !== undefined
          ? `debt_position ${v.rowsAfter} rows (expected ${v.rowsExpected}), ${v.distinctIuvs} distinct IUVs`
          : 'row count not checked';
    say(
      `checks: ${rows}; ${v.readBack ?? 0} read back via GET .../status; ${v.problems.length ? `PROBLEMS:\n  - ${v.problems.join('\n  - ')}` : 'all good'}`,
    );
    if (result.cpuProfile) say(`cpu profile: ${result.cpuProfile}`);
  }
  return result;
}

function report(r) {
  const l = r.latencyMs;
  const c = r.cpu;
  say(`positions/s:   ${r.positionsPerSecond}  (${r.positions} in ${r.seconds}s)`);
  say(`latency (ms):  p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}  (mean ${l.mean})`);
  say(`errors:        ${r.errors}${r.errors ? `  ${JSON.stringify(r.errorKinds)}` : ''}`);
  say(
    `cpu:           server ${c.serverPct ?? '?'}% of a core (${c.serverUsPerPosition ?? '?'} µs/position)` +
      (c.postgresPct !== null
        ? `, postgres ${c.postgresPct}% (${c.postgresUsPerPosition} µs/position)`
        : '') +
      `, bench client ${c.benchClientPct}%, other ${c.otherPct ?? '?'}%; machine ${c.machineBusyPct ?? '?'}% busy (${cpus().length} cores)`,
  );
  if (c.eventLoop)
    say(
      `event loop:    running ${c.eventLoop.runningPct}%, waiting for a CPU ${c.eventLoop.waitingForCpuPct}%, idle ${c.eventLoop.idlePct}% of the time`,
    );
  if (r.queries) {
    say(
      `queries:       ${r.queries.perPosition} statements per position (${r.queries.total} in all), by kind per position:`,
    );
    for (const [k, v] of Object.entries(r.queries.byKindPerPosition)) say(`  ${String(v).padStart(7)}  ${k}`);
  }
  if (c.otherPct > 20)
    say(
      `warning:       other processes used ${c.otherPct}% of a core during the measurement: figures are noisy`,
    );
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  if (opt.build) await runBuild(CASSA_DIR, say);
  checkBuild(CASSA_DIR, say);
  let commit = null;
  try {
    const head = readFileSync(join(CASSA_DIR, '.git', 'HEAD'), 'utf8').trim();
    commit = head.startsWith('ref: ')
      ? readFileSync(join(CASSA_DIR, '.git', head.slice(5)), 'utf8')
          .trim()
          .slice(0, 12)
      : head.slice(0, 12);
  } catch {
    /* not a git checkout */
  }
  const env = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    platform: `${process.platform} ${process.arch}`,
    cassaDir: CASSA_DIR,
    commit,
    date: new Date().toISOString(),
  };
  say(
    `Cassa create-positions benchmark — Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), ${env.platform}`,
  );
  say(
    `${CLIENTS} clients (${opt.client}), ${REQUESTS === undefined ? `${SECONDS}s` : `${REQUESTS} requests`} measured after ${WARMUP}s warm-up; ` +
      `server CASSA_LOG_LEVEL=${opt['log-level']}${
        Object.keys(EXTRA_ENV).length
          ? `, ${Object.entries(EXTRA_ENV)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      }` +
      `${opt['node-arg'].length ? `, node ${opt['node-arg'].join(' ')}` : ''}; ${CASSA_DIR}${commit ? ` @ ${commit}` : ''}`,
  );

  const results = [];
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    say('\ninterrupted: finishing the current target and cleaning up (Ctrl-C again to abort)');
  });
  for (const t of TARGETS) {
    if (interrupted) break;
    results.push(await runTarget(t));
  }

  say('\n=== Summary ===');
  const rows = [
    [
      'database',
      'positions/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'errors',
      'clients',
      'seconds',
      'server CPU',
      'pg CPU',
      'checks',
      `target ≥${TARGET_RPS}/s p99<${TARGET_P99}ms`,
    ],
    ...results.map((r) =>
      r.failure
        ? [r.database, 'FAILED', '', '', '', '', '', String(r.clients), '', '', '', 'failed', '']
        : [
            r.database,
            String(r.positionsPerSecond),
            String(r.latencyMs.p50),
            String(r.latencyMs.p90),
            String(r.latencyMs.p99),
            String(r.latencyMs.max),
            String(r.errors),
            String(r.clients),
            String(r.seconds),
            r.cpu.serverPct === null ? '?' : `${r.cpu.serverPct}%`,
            r.cpu.postgresPct === null ? '-' : `${r.cpu.postgresPct}%`,
            r.verification.problems.length ? 'FAILED' : 'ok',
            r.meetsTarget ? 'met' : 'NOT met',
          ],
    ),
  ];
  printTable(say, rows, [0, -2]);
  say(
    `Node ${env.node}, ${env.cpus} CPUs; ${CLIENTS} clients; CPU columns are percent of one core (the bench client runs on the same machine).`,
  );

  if (opt.json)
    process.stdout.write(
      `${JSON.stringify({ environment: env, options: { clients: CLIENTS, seconds: REQUESTS === undefined ? SECONDS : null, requests: REQUESTS ?? null, warmupSeconds: WARMUP, client: opt.client, targets: TARGETS, targetRps: TARGET_RPS, targetP99Ms: TARGET_P99 }, results }, null, 2)}\n`,
    );
  const failed = results.some((r) => !r.ok) || (opt['enforce-target'] && results.some((r) => !r.meetsTarget));
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e?.stack ?? e}\n`);
  process.exit(3);
});
