#!/usr/bin/env node
// kill -9 under receipt load: is every receipt Cassa acknowledged still there after the restart, none
// applied twice, and how long does the restart take?
//
// For each run it starts `node bin/cassa.js demo` as a child process (embedded PGlite in a fresh data
// directory, or a throwaway PostgreSQL database with --db=pg), creates --rate x --seconds payable positions
// through the epayapi, then sends paSendRTV2 receipts for them at a steady --rate (open loop) and kills the
// process with SIGKILL at a random moment between 30 % and 80 % of the run. It then starts Cassa again on the
// same data (`cassa start`), times it until /health/ready answers, and reads the receipts back through the
// admin API: every receipt answered OK must be stored, once, and its position PAID. It also times a clean
// start of the same data for comparison. Exit code 1 when an acknowledged receipt is missing or the restart
// fails.
//
//   node bench/kill-receipts.mjs [--db=pglite|pg] [--runs=3] [--rate=40] [--seconds=15]

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_PG_URL,
  cassaEnv,
  cassaRequire,
  checkBuild,
  createDemoPositions,
  demoReceiptBuilder,
  dropDatabase,
  fail,
  freePort,
  isPlainIdentifier,
  post,
  positiveInt,
  recreateDatabase,
  sayer,
  sleep,
  startChild,
  stopChild,
  waitReady,
  withDatabase,
} from './lib.mjs';

const HELP = `Usage: node bench/kill-receipts.mjs [options]

  --db=pglite|pg     the embedded database (default) or a throwaway PostgreSQL database
  --runs=N           kill -9 runs, each on fresh data (default 3)
  --rate=N           receipts per second (default 40)
  --seconds=S        length of the receipt run the kill interrupts (default 15)
  --pg-url=URL       PostgreSQL server (default $BENCH_PG_URL, else postgres://postgres@127.0.0.1:5432/postgres)
  --pg-db=NAME       throwaway database (default cassa_bench_kill)
  --json             print the results as JSON on stdout (the report goes to stderr)
  -h, --help`;

const { values: opt } = parseArgs({
  options: {
    db: { type: 'string', default: 'pglite' },
    runs: { type: 'string', default: '3' },
    rate: { type: 'string', default: '40' },
    seconds: { type: 'string', default: '15' },
    'pg-url': { type: 'string', default: DEFAULT_PG_URL },
    'pg-db': { type: 'string', default: 'cassa_bench_kill' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (opt.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
if (!['pglite', 'pg'].includes(opt.db)) fail('--db must be pglite or pg');
if (!isPlainIdentifier(opt['pg-db'])) fail('--pg-db must be a plain lower-case identifier');
const RUNS = positiveInt('runs', opt.runs);
const RATE = positiveInt('rate', opt.rate);
const SECONDS = positiveInt('seconds', opt.seconds);
const HERE = dirname(fileURLToPath(import.meta.url));
const CASSA_DIR = resolve(join(HERE, '..'));
const require = cassaRequire(CASSA_DIR);
const say = sayer(opt.json);

const receiptXml = demoReceiptBuilder(CASSA_DIR);

function get(port, path, token) {
  return new Promise((res, rej) => {
    http
      .get(
        { host: '127.0.0.1', port, path, agent: false, headers: { authorization: `Bearer ${token}` } },
        (r) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (c) => (text += c));
          r.on('end', () => res({ status: r.statusCode, text }));
        },
      )
      .on('error', rej);
  });
}

/** Every receipt of the run (receiptId → count) and how many positions are PAID, through the admin API. */
async function storedReceipts(port, token) {
  const ids = new Map();
  let before = '';
  for (;;) {
    const r = await get(port, `/admin/api/v1/receipts?limit=500${before}`, token);
    if (r.status !== 200)
      throw new Error(`GET /admin/api/v1/receipts: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    const page = JSON.parse(r.text);
    for (const it of page.items)
      if (it.receiptId.startsWith('bench-kill-')) ids.set(it.receiptId, (ids.get(it.receiptId) ?? 0) + 1);
    if (!page.nextBefore) break;
    before = `&before=${page.nextBefore}`;
  }
  return ids;
}

async function timedStart(env, port) {
  const t0 = Date.now();
  const server = startChild(['bin/cassa.js', 'start'], env, CASSA_DIR);
  await waitReady(port, server, { name: 'Cassa (restart)', timeoutMs: 180_000 });
  return { server, ms: Date.now() - t0 };
}

async function oneRun(k) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cassa-bench-kill-'));
  const port = await freePort();
  const pgUrl = opt['pg-url'];
  const dbName = `${opt['pg-db']}_${k}`;
  const databaseUrl = opt.db === 'pg' ? withDatabase(pgUrl, dbName) : undefined;
  if (databaseUrl) await recreateDatabase(require, pgUrl, dbName);
  const env = cassaEnv({ port, dataDir, logLevel: 'warn', databaseUrl });
  let server = startChild(['bin/cassa.js', 'demo'], env, CASSA_DIR);
  try {
    await waitReady(port, server, { name: 'Cassa' });
    const n = RATE * SECONDS;
    const notices = await createDemoPositions(
      port,
      n,
      (i) => ({
        causale: `Biblioteca - tessera ${i}`,
        importo: 8.5,
        codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
        nome: 'Pino',
        cognome: 'Test',
        identificativoPagamento: `BENCH-KILL-${i}`,
      }),
      (answer) => answer.codiceAvviso,
    );
    const killAfterMs = Math.round(SECONDS * 1000 * (0.3 + 0.5 * Math.random()));
    const acked = [];
    let refused = 0;
    let faults = 0;
    const inflight = [];
    const started = Date.now();
    let killed = false;
    const killer = sleep(killAfterMs).then(() => {
      killed = true;
      server.child.kill('SIGKILL');
    });
    for (let i = 0; i < n && !killed; i++) {
      await sleep(Math.max(0, started + (i * 1000) / RATE - Date.now()));
      if (killed) break;
      const id = `bench-kill-${k}-${i}`;
      inflight.push(
        post(
          port,
          '/soap/paForNode',
          { 'content-type': 'text/xml; charset=utf-8', soapaction: 'paSendRTV2' },
          receiptXml(notices[i], id),
        ).then(
          (r) => {
            if (r.status === 200 && r.text.includes('<outcome>OK</outcome>')) acked.push(id);
            else faults++;
          },
          () => refused++,
        ),
      );
    }
    await killer;
    await Promise.all(inflight);
    await server.exited;
    const restart = await timedStart(env, port);
    server = restart.server;
    const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
    const stored = await storedReceipts(port, token);
    const missing = acked.filter((id) => !stored.has(id)).length;
    const twice = [...stored.values()].filter((v) => v > 1).length;
    await stopChild(server);
    const clean = await timedStart(env, port);
    server = clean.server;
    return {
      run: k,
      killedAfterS: killAfterMs / 1000,
      acknowledged: acked.length,
      stored: stored.size,
      missing,
      twice,
      faults,
      unanswered: refused,
      restartMs: restart.ms,
      cleanStartMs: clean.ms,
    };
  } finally {
    await stopChild(server);
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropDatabase(require, pgUrl, dbName);
  }
}

async function main() {
  checkBuild(CASSA_DIR, say);
  const results = [];
  for (let k = 1; k <= RUNS; k++) {
    say(`run ${k}/${RUNS} (${opt.db})...`);
    const r = await oneRun(k);
    results.push(r);
    say(
      `  killed after ${r.killedAfterS} s: acknowledged OK ${r.acknowledged}, stored ${r.stored} (acknowledged but missing ${r.missing}, twice ${r.twice}), ` +
        `unanswered ${r.unanswered}, faults ${r.faults}; restart after kill -9 ${r.restartMs} ms, clean start ${r.cleanStartMs} ms`,
    );
  }
  const sum = (f) => results.reduce((s, r) => s + r[f], 0);
  say(
    `\n${opt.db}: ${RUNS} kill -9 runs: acknowledged ${sum('acknowledged')}, stored ${sum('stored')}, acknowledged but missing ${sum('missing')}, stored twice ${sum('twice')}`,
  );
  say(
    `restart after kill -9: ${results.map((r) => r.restartMs).join(', ')} ms; clean start: ${results.map((r) => r.cleanStartMs).join(', ')} ms`,
  );
  if (opt.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return sum('missing') === 0 && sum('twice') === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
