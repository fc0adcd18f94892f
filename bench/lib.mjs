// Shared helpers of the bench scripts (not run directly): option checks, output, the raw keep-alive
// HTTP client, the Cassa child process (start, readiness, stop), free ports, latency percentiles,
// and the PostgreSQL admin helpers (throwaway databases). Plain Node, no dependencies of its own:
// `pg` is loaded from the Cassa checkout through the `require` the caller passes.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { join } from 'node:path';

/** PostgreSQL server the scripts create their throwaway databases on. */
export const DEFAULT_PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// The demo data (src/app/demo-seed.ts): ente, payment type and the manual's caller AP_01
export const DEMO_CALLER = {
  ente: '00429440068',
  paymentType: 'BIBL',
  codiceChiamante: 'AP_01',
  passphrase: '1www%$se1ver£$APP',
};
export const CREATE_PATH = `/epayapi/api/v1/organizations/${DEMO_CALLER.ente}/paymenttypes/${DEMO_CALLER.paymentType}/debtpositions`;
export const AUTHORIZATION = `Basic ${Buffer.from(`${DEMO_CALLER.codiceChiamante}:${DEMO_CALLER.passphrase}`, 'utf8').toString('base64')}`;

// ---------------------------------------------------------------------------------------------
// Options and output

export function fail(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}

export function positiveInt(name, v, { min = 1 } = {}) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}`);
  return n;
}

/** `--env=KEY=VALUE` options as an object (a malformed one fails). */
export function parseEnvOptions(list) {
  const env = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) fail(`--env expects KEY=VALUE (got "${kv}")`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

/** `--pg-db` becomes part of SQL statements: a plain identifier only. */
export function isPlainIdentifier(name) {
  return /^[a-z_][a-z0-9_]*$/.test(name);
}

/** Human output goes to stdout, or to stderr when stdout carries JSON. */
export function sayer(json) {
  const out = json ? process.stderr : process.stdout;
  return (s = '') => out.write(`${s}\n`);
}

/** A `require` resolving from the Cassa checkout (its node_modules: pg, fastify, pglite). */
export function cassaRequire(cassaDir) {
  return createRequire(join(cassaDir, 'package.json'));
}

/** Rows of cells as aligned columns: right-aligned, except the `leftColumns` (negative: from the end). */
export function printTable(say, rows, leftColumns) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [i, r] of rows.entries()) {
    const left = new Set(leftColumns.map((k) => (k < 0 ? r.length + k : k)));
    say(r.map((c, k) => (left.has(k) ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join('  '));
    if (i === 0) say(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

export async function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** p50, p90, p99 and max (ms, 2 decimals) of latencies sorted in ascending order. */
export function latencySummary(sorted) {
  return {
    p50: round(percentile(sorted, 50), 2),
    p90: round(percentile(sorted, 90), 2),
    p99: round(percentile(sorted, 99), 2),
    max: round(sorted.at(-1) ?? NaN, 2),
  };
}

export function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

// ---------------------------------------------------------------------------------------------
// Raw keep-alive client: one request at a time per connection, responses framed by Content-Length
// (what Fastify sends); anything else is reported as an error rather than guessed at.

export class RawConnection {
  constructor(port) {
    this.port = port;
    this.socket = null;
    this.pending = null;
    this.buf = Buffer.alloc(0);
  }

  connect() {
    return new Promise((res, rej) => {
      const s = net.connect({ host: '127.0.0.1', port: this.port, noDelay: true });
      s.once('connect', () => {
        s.removeListener('error', rej);
        s.on('error', (e) => this.failPending(e));
        s.on('close', () => {
          this.socket = null;
          this.failPending(new Error('connection closed by the server'));
        });
        s.on('data', (d) => this.onData(d));
        this.socket = s;
        res();
      });
      s.once('error', rej);
    });
  }

  failPending(err) {
    const p = this.pending;
    this.pending = null;
    this.buf = Buffer.alloc(0);
    if (p) p.rej(err);
  }

  onData(d) {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const p = this.pending;
    if (!p) return;
    const headEnd = this.buf.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buf.toString('latin1', 0, headEnd);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!m || !cl) {
      this.socket?.destroy();
      return this.failPending(new Error(`unsupported response framing: ${head.split('\r\n')[0]}`));
    }
    const total = headEnd + 4 + Number(cl[1]);
    if (this.buf.length < total) return;
    const text = this.buf.toString('utf8', headEnd + 4, total);
    this.buf = this.buf.subarray(total);
    this.pending = null;
    if (/\r\nconnection:\s*close/i.test(head)) this.socket?.end();
    p.res({ status: Number(m[1]), head, text });
  }

  /** `headers`: complete header lines ("name: value\r\n" each); a body gets its content-length. */
  async request(method, path, headers = '', body = undefined) {
    if (!this.socket) await this.connect();
    const msg = `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${this.port}\r\n${headers}${body === undefined ? '\r\n' : `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`}`;
    return new Promise((res, rej) => {
      this.pending = { res, rej };
      this.socket.write(msg);
    });
  }

  close() {
    this.socket?.destroy();
  }
}

/** One POST through node:http without keep-alive: `{ status, text }`. */
export function post(port, path, headers, body) {
  return new Promise((res, rej) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c) => (text += c));
        r.on('end', () => res({ status: r.statusCode, text }));
        r.on('error', rej);
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

/**
 * `n` positions of the demo caller through the epayapi REST API, 8 at a time: `bodyFor(k)` is the
 * JSON body of the k-th, `pick(answer)` what is kept of each answer (in the order they come).
 */
export async function createDemoPositions(port, n, bodyFor, pick) {
  const kept = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (i < n) {
        const k = i++;
        const r = await post(
          port,
          CREATE_PATH,
          { authorization: AUTHORIZATION, 'content-type': 'application/json' },
          JSON.stringify(bodyFor(k)),
        );
        if (r.status !== 201)
          throw new Error(`creating position ${k}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
        kept.push(pick(JSON.parse(r.text)));
      }
    }),
  );
  return kept;
}

/**
 * The demo's paSendRTV2 (resources/demo: 8.50 EUR), retargeted: `(notice, receiptId) => xml` for a
 * position created by createDemoPositions (same amount).
 */
export function demoReceiptBuilder(cassaDir) {
  const template = readFileSync(
    join(cassaDir, 'resources', 'demo', 'paSendRTV2-191890494852566.xml'),
    'utf8',
  );
  return (notice, receiptId) =>
    template
      .replace('d7c3a1e0b5f24c6a9e8d0f1b2c3d4e5f', receiptId)
      .replace('001191890494852566', notice)
      .replace('<creditorReferenceId>191890494852566', `<creditorReferenceId>${notice.slice(3)}`);
}

// ---------------------------------------------------------------------------------------------
// Child processes: `{ child, exited, log }`, the log being the tail of its output

export function startChild(args, env, cwd) {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d) => {
    log += d.toString();
    if (log.length > 64_000) log = log.slice(-32_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
  return { child, exited, log: () => log };
}

/**
 * The environment of `cassa demo` on 127.0.0.1:port: the caller's, without CASSA_PUBLIC_URL, with
 * DATABASE_URL only when given (else PGlite in dataDir), then `more`, then the --env options.
 */
export function cassaEnv({ port, dataDir, logLevel, databaseUrl, more = {}, extraEnv = {} }) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.CASSA_PUBLIC_URL;
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    CASSA_DATA_DIR: dataDir,
    CASSA_LOG_LEVEL: logLevel,
    CASSA_ENV: 'development',
  });
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return Object.assign(env, more, extraEnv);
}

/** Polls GET /health/ready until 200; `name` says which server in the errors. */
export async function waitReady(port, server, { name = 'the server', timeoutMs = 120_000 } = {}) {
  const until = Date.now() + timeoutMs;
  let exited = null;
  server.exited.then((e) => (exited = e));
  while (Date.now() < until) {
    if (exited)
      throw new Error(`${name} exited before being ready (${JSON.stringify(exited)}):\n${server.log()}`);
    const ready = await new Promise((res) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/health/ready', agent: false, timeout: 2000 },
        (r) => {
          r.resume();
          r.on('end', () => res(r.statusCode === 200));
        },
      );
      req.on('error', () => res(false));
      req.on('timeout', () => {
        req.destroy();
        res(false);
      });
    });
    if (ready) return;
    await sleep(200);
  }
  throw new Error(`${name} was not ready after ${timeoutMs / 1000}s:\n${server.log()}`);
}

/** SIGTERM, SIGKILL after `timeoutMs`; resolves to `{ code, signal }`. */
export async function stopChild(server, timeoutMs = 30_000) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), timeoutMs);
  const r = await server.exited;
  clearTimeout(timer);
  return r;
}

// ---------------------------------------------------------------------------------------------
// The Cassa checkout: its build

/** `npm run build` in cassaDir (--build); a failed build fails. */
export async function runBuild(cassaDir, say) {
  say(`building ${cassaDir}...`);
  const r = await new Promise((res) =>
    spawn('npm', ['run', 'build'], { cwd: cassaDir, stdio: ['ignore', 'inherit', 'inherit'] }).on(
      'exit',
      res,
    ),
  );
  if (r !== 0) fail('the build failed');
}

/**
 * Fails without a build (or without the `required` files: [path in dist, message]); warns when
 * sources are newer than the build.
 */
export function checkBuild(cassaDir, say, required = []) {
  const entry = join(cassaDir, 'dist', 'cli', 'main.js');
  if (!existsSync(join(cassaDir, 'bin', 'cassa.js')))
    fail(`${cassaDir} is not a Cassa checkout (no bin/cassa.js)`);
  if (!existsSync(entry)) fail(`no build in ${cassaDir}: run \`npm run build\` (or pass --build)`);
  for (const [path, message] of required) if (!existsSync(join(cassaDir, 'dist', path))) fail(message);
  const built = statSync(entry).mtimeMs;
  const newer = [];
  const walk = (d) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith('.ts') && statSync(p).mtimeMs > built)
        newer.push(p.slice(cassaDir.length + 1));
    }
  };
  walk(join(cassaDir, 'src'));
  if (newer.length)
    say(
      `warning: the build may be stale, newer sources: ${newer.slice(0, 5).join(', ')}${newer.length > 5 ? ', ...' : ''} (use --build)`,
    );
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL (pg from the Cassa checkout: `require` from cassaRequire)

export async function pgConnect(require, url) {
  const pg = require('pg');
  const c = new (pg.default ?? pg).Client({ connectionString: url, application_name: 'cassa-bench' });
  await c.connect();
  return c;
}

/** `fn(client)` on a connection of its own, closed afterwards. */
export async function withPg(require, url, fn) {
  const c = await pgConnect(require, url);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Drops (forcing out its sessions) and creates `database` on the server of `url`. */
export function recreateDatabase(require, url, database) {
  return withPg(require, url, async (c) => {
    await c.query(`drop database if exists ${database} with (force)`);
    await c.query(`create database ${database}`);
  });
}

export function dropDatabase(require, url, database) {
  return withPg(require, url, (c) => c.query(`drop database if exists ${database} with (force)`));
}
