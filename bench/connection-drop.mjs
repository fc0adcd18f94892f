#!/usr/bin/env node
// Cassa under database connection drops: does it survive, and is every receipt it acknowledged stored?
//
// It creates a throwaway PostgreSQL database, starts `node bin/cassa.js demo` on it as a child process
// (web and worker roles), creates --rate x --seconds payable positions through the epayapi REST API,
// then sends paSendRTV2 receipts for them at a steady --rate (open loop: one every 1/rate s, whatever
// the answers) for --seconds, while terminating Cassa's PostgreSQL backends --drops times, evenly spaced
// (`pg_terminate_backend` of every session of the database with application_name 'cassa': what a
// restart, a failover or a pooler timeout does to it). At the end it counts the receipts in the database
// and prints: receipts acknowledged OK, receipts stored, faults (PAA_SYSTEM_ERROR), anything else, and
// whether the process survived (still running and /health/ready 200). Exit code 1 when the process died,
// an acknowledged receipt is missing or stored twice, or an answer was neither OK nor PAA_SYSTEM_ERROR.
//
//   node bench/connection-drop.mjs [--rate=40] [--seconds=15] [--drops=5] ...

import { mkdtempSync, rmSync } from 'node:fs';
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
  parseEnvOptions,
  pgConnect,
  post,
  positiveInt,
  recreateDatabase,
  runBuild,
  sayer,
  sleep,
  startChild,
  stopChild,
  waitReady,
  withDatabase,
  withPg,
} from './lib.mjs';

const HELP = `Usage: node bench/connection-drop.mjs [options]

  --rate=N           receipts per second, sent at a steady pace (default 40)
  --seconds=S        how long receipts are sent (default 15)
  --drops=N          times Cassa's backends are terminated during the run, evenly spaced (default 5)
  --pg-url=URL       PostgreSQL server (default $BENCH_PG_URL, else postgres://postgres@127.0.0.1:5432/postgres)
  --pg-db=NAME       throwaway database (default cassa_bench_drop; dropped before and after)
  --cassa-dir=DIR    Cassa checkout to run (default: the one this script is in); needs its build
  --build            run \`npm run build\` first
  --env=KEY=VALUE    extra environment for Cassa (repeatable)
  --log-level=LEVEL  CASSA_LOG_LEVEL of Cassa (default warn)
  --keep             keep the bench database
  --json             print the results as JSON on stdout (the report goes to stderr)
  -h, --help`;

const { values: opt } = parseArgs({
  options: {
    rate: { type: 'string', default: '40' },
    seconds: { type: 'string', default: '15' },
    drops: { type: 'string', default: '5' },
    'pg-url': { type: 'string', default: DEFAULT_PG_URL },
    'pg-db': { type: 'string', default: 'cassa_bench_drop' },
    'cassa-dir': { type: 'string' },
    build: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    'log-level': { type: 'string', default: 'warn' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (opt.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const RATE = positiveInt('rate', opt.rate);
const SECONDS = positiveInt('seconds', opt.seconds);
const DROPS = positiveInt('drops', opt.drops, { min: 0 });
if (!isPlainIdentifier(opt['pg-db'])) fail('--pg-db must be a plain lower-case identifier');
const EXTRA_ENV = parseEnvOptions(opt.env);
const HERE = dirname(fileURLToPath(import.meta.url));
const CASSA_DIR = resolve(opt['cassa-dir'] ?? join(HERE, '..'));
const require = cassaRequire(CASSA_DIR);
const say = sayer(opt.json);

const SOAP_PATH = '/soap/paForNode';
const receiptXml = demoReceiptBuilder(CASSA_DIR);

async function main() {
  if (opt.build) await runBuild(CASSA_DIR, say);
  checkBuild(CASSA_DIR, say);
  const pgUrl = opt['pg-url'];
  const dbName = opt['pg-db'];
  const dbUrl = withDatabase(pgUrl, dbName);
  await recreateDatabase(require, pgUrl, dbName);
  const dataDir = mkdtempSync(join(tmpdir(), 'cassa-bench-drop-'));
  const port = await freePort();
  const cassa = startChild(
    ['bin/cassa.js', 'demo'],
    cassaEnv({ port, dataDir, logLevel: opt['log-level'], databaseUrl: dbUrl, extraEnv: EXTRA_ENV }),
    CASSA_DIR,
  );
  let exit = null;
  cassa.exited.then((e) => (exit = e));
  const admin = await pgConnect(require, pgUrl);
  try {
    await waitReady(port, cassa, { name: 'Cassa' });
    const n = RATE * SECONDS;
    say(`creating ${n} payable positions...`);
    const notices = await createDemoPositions(
      port,
      n,
      (k) => ({
        causale: `Biblioteca - tessera ${k}`,
        importo: 8.5,
        codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
        nome: 'Pino',
        cognome: 'Test',
        identificativoPagamento: `BENCH-DROP-${k}`,
      }),
      (answer) => answer.codiceAvviso,
    );
    say(`sending ${RATE} receipts/s for ${SECONDS} s, terminating Cassa's backends ${DROPS} times...`);
    const answers = { ok: [], faults: 0, duplicates: 0, other: [] };
    const inflight = [];
    const started = Date.now();
    const terminations = [];
    const dropper = (async () => {
      for (let i = 1; i <= DROPS; i++) {
        const at = started + (i * SECONDS * 1000) / (DROPS + 1);
        await sleep(Math.max(0, at - Date.now()));
        const r = await admin.query(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and application_name = 'cassa'`,
          [dbName],
        );
        terminations.push(r.rows[0].n);
      }
    })();
    for (let k = 0; k < n; k++) {
      await sleep(Math.max(0, started + (k * 1000) / RATE - Date.now()));
      const id = `bench-drop-${k}`;
      inflight.push(
        post(
          port,
          SOAP_PATH,
          { 'content-type': 'text/xml; charset=utf-8', soapaction: 'paSendRTV2' },
          receiptXml(notices[k], id),
        ).then(
          (r) => {
            if (r.status === 200 && r.text.includes('<outcome>OK</outcome>')) answers.ok.push(id);
            else if (r.text.includes('<faultCode>PAA_SYSTEM_ERROR</faultCode>')) answers.faults++;
            else if (r.text.includes('<faultCode>PAA_RECEIPT_DUPLICATA</faultCode>')) answers.duplicates++;
            else answers.other.push(`HTTP ${r.status}: ${r.text.slice(0, 200)}`);
          },
          (e) => answers.other.push(`no answer: ${e.message}`),
        ),
      );
    }
    await Promise.all([dropper, ...inflight]);
    const elapsed = (Date.now() - started) / 1000;
    await sleep(500);
    const alive = exit === null;
    let readyAfter = false;
    if (alive) {
      try {
        await waitReady(port, cassa, { name: 'Cassa', timeoutMs: 15_000 });
        readyAfter = true;
      } catch {
        readyAfter = false;
      }
    }
    const stored = await withPg(require, dbUrl, async (c) => {
      const all = await c.query(
        `select receipt_id, count(*)::int as n from receipt where receipt_id like 'bench-drop-%' group by receipt_id`,
      );
      return new Map(all.rows.map((r) => [r.receipt_id, r.n]));
    });
    const ackedMissing = answers.ok.filter((id) => !stored.has(id)).length;
    const twice = [...stored.values()].filter((v) => v > 1).length;
    const results = {
      sent: n,
      seconds: Math.round(elapsed * 10) / 10,
      drops: DROPS,
      backendsTerminated: terminations,
      acknowledgedOk: answers.ok.length,
      stored: stored.size,
      storedTwice: twice,
      acknowledgedButMissing: ackedMissing,
      storedAfterAFault: stored.size - (answers.ok.length - ackedMissing),
      faults: answers.faults,
      duplicates: answers.duplicates,
      other: answers.other.length,
      survived: alive && readyAfter,
      exit,
    };
    say('');
    say(`receipts sent                 ${results.sent} in ${results.seconds} s (${RATE}/s)`);
    say(`backends terminated           ${DROPS} times: ${terminations.join(', ')} sessions`);
    say(`acknowledged OK               ${results.acknowledgedOk}`);
    say(
      `stored (counted in the db)    ${results.stored}  (twice: ${twice}; acknowledged but missing: ${ackedMissing}; committed though answered with a fault: ${results.storedAfterAFault})`,
    );
    say(`faults PAA_SYSTEM_ERROR       ${results.faults}`);
    say(
      `other answers                 ${results.other}${answers.other.length ? `  e.g. ${answers.other[0]}` : ''}`,
    );
    say(
      `process survived              ${results.survived ? 'yes (running, /health/ready 200 afterwards)' : `NO ${JSON.stringify(exit)}`}`,
    );
    if (!results.survived) say(cassa.log().slice(-4000));
    if (opt.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return results.survived && ackedMissing === 0 && twice === 0 && results.other === 0 ? 0 : 1;
  } finally {
    await admin.end();
    await stopChild(cassa);
    rmSync(dataDir, { recursive: true, force: true });
    if (!opt.keep) await dropDatabase(require, pgUrl, dbName);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
