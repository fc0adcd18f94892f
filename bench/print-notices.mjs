#!/usr/bin/env node
// Mass printing: --notices payment notices of one lista di carico printed into one merged PDF (and a ZIP),
// by Cassa's worker, into the database, then downloaded.
//
// It creates a throwaway PostgreSQL database, starts `node bin/cassa.js demo` on it as a child process (web and
// worker roles in one process: the process that prints is the one measured), creates --notices payable
// positions through the epayapi REST API, gathers them into one lista di carico (load_list / load_list_item
// written in SQL: a SOAP list carries at most 1000 positions), then for each --formats: starts a print job
// through the admin API, polls it until DONE while sampling the server's resident memory (/proc/PID/status
// VmRSS) every 100 ms, downloads the file and checks it (PDF: pdfinfo's page count; ZIP: zipinfo's entries).
// Prints notices/s (job created → DONE), the peak RSS during the job, the server's CPU, the file's size.
// Exit code 1 when a job fails, a notice is missing, or the file does not check out.
//
//   node bench/print-notices.mjs [--notices=10000] [--formats=pdf,zip] [--cpu-prof] ...

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import {
  DEFAULT_PG_URL,
  DEMO_CALLER,
  cassaEnv,
  cassaRequire,
  checkBuild,
  createDemoPositions,
  dropDatabase,
  fail,
  freePort,
  isPlainIdentifier,
  parseEnvOptions,
  pgConnect,
  post,
  positiveInt,
  recreateDatabase,
  round,
  runBuild,
  sayer,
  sleep,
  startChild,
  stopChild,
  waitReady,
  withDatabase,
} from './lib.mjs';

const HELP = `Usage: node bench/print-notices.mjs [options]

  --notices=N        positions in the list, one notice each (default 10000)
  --formats=LIST     jobs to run, in order: pdf, zip or both (default pdf,zip)
  --pg-url=URL       PostgreSQL server (default $BENCH_PG_URL, else postgres://postgres@127.0.0.1:5432/postgres)
  --pg-db=NAME       throwaway database (default cassa_bench_print; dropped before and after)
  --cassa-dir=DIR    Cassa checkout to run (default: the one this script is in); needs its build
  --build            run \`npm run build\` first
  --env=KEY=VALUE    extra environment for Cassa (repeatable), e.g. --env=CASSA_PRINT_BATCH=500
  --cpu-prof         run Cassa with node --cpu-prof (profiles in bench-results/print-notices-prof/)
  --log-level=LEVEL  CASSA_LOG_LEVEL of Cassa (default warn)
  --keep             keep the bench database
  --json             print the results as JSON on stdout (the report goes to stderr)
  -h, --help`;

const { values: opt } = parseArgs({
  options: {
    notices: { type: 'string', default: '10000' },
    formats: { type: 'string', default: 'pdf,zip' },
    'pg-url': { type: 'string', default: DEFAULT_PG_URL },
    'pg-db': { type: 'string', default: 'cassa_bench_print' },
    'cassa-dir': { type: 'string' },
    build: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    'cpu-prof': { type: 'boolean', default: false },
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

const NOTICES = positiveInt('notices', opt.notices);
const FORMATS = opt.formats.split(',').filter(Boolean);
if (FORMATS.length === 0 || FORMATS.some((f) => f !== 'pdf' && f !== 'zip'))
  fail('--formats is a list of pdf and zip');
if (!isPlainIdentifier(opt['pg-db'])) fail('--pg-db must be a plain lower-case identifier');
const EXTRA_ENV = parseEnvOptions(opt.env);
const HERE = dirname(fileURLToPath(import.meta.url));
const CASSA_DIR = resolve(opt['cassa-dir'] ?? join(HERE, '..'));
const require = cassaRequire(CASSA_DIR);
const say = sayer(opt.json);
const run = promisify(execFile);
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

function get(port, path) {
  return new Promise((res, rej) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: admin }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }));
      r.on('error', rej);
    });
    req.on('error', rej);
  });
}

/** Resident memory of a process now (kB), and its CPU time so far (s): /proc. */
function procSample(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssKb, cpuSeconds: ticks / 100 };
}

/** Gathers the positions into one processed lista di carico, in creation order; its id. */
async function makeList(pg, notices) {
  const { rows } = await pg.query(
    `insert into load_list (kind, application_id, ente_id, payment_type_id, id_messaggio, declared_count, raw_xml, status, result_code,
        ok_count, ko_count, processed_at)
     select 'INSERIMENTO', a.id, e.id, pt.id, 'BENCH-PRINT-' || extract(epoch from now())::bigint, $1, '<bench/>', 'ELABORATA', '000', $1, 0, now()
       from application a, ente e join payment_type pt on pt.ente_id = e.id
      where a.codice_chiamante = $2 and e.codice_fiscale = $3 and pt.codice_versamento = $4
     returning id`,
    [notices.length, DEMO_CALLER.codiceChiamante, DEMO_CALLER.ente, DEMO_CALLER.paymentType],
  );
  const listId = rows[0].id;
  await pg.query(
    `insert into load_list_item (list_id, seq, id_posizione_debitoria, position_id, iuv, notice_number, outcome_code)
     select $1, x.seq - 1, p.id_posizione_debitoria, p.id, p.iuv, p.notice_number, '000'
       from unnest($2::text[]) with ordinality as x(notice, seq) join debt_position p on p.notice_number = x.notice`,
    [listId, notices],
  );
  return Number(listId);
}

async function printJob(port, pid, listId, format) {
  const created = await post(
    port,
    `/admin/api/v1/enti/${DEMO_CALLER.ente}/print-jobs`,
    { ...admin, 'content-type': 'application/json' },
    JSON.stringify({ listId, format }),
  );
  if (created.status !== 202) throw new Error(`creating the job: HTTP ${created.status} ${created.text}`);
  const start = performance.now();
  const before = procSample(pid);
  const cpu0 = before.cpuSeconds;
  const { id, total } = JSON.parse(created.text);
  let peakKb = 0;
  let job;
  let firstProgressMs = null;
  for (;;) {
    peakKb = Math.max(peakKb, procSample(pid).rssKb);
    const r = await get(port, `/admin/api/v1/print-jobs/${id}`);
    job = JSON.parse(r.body.toString());
    if (firstProgressMs === null && job.done > 0) firstProgressMs = performance.now() - start;
    if (job.status === 'DONE' || job.status === 'FAILED') break;
    await sleep(100);
  }
  const seconds = (performance.now() - start) / 1000;
  const cpuSeconds = procSample(pid).cpuSeconds - cpu0;
  if (job.status !== 'DONE') throw new Error(`job ${id} ${job.status}: ${job.lastError}`);
  const dlStart = performance.now();
  const file = await get(port, job.downloadUrl);
  const downloadSeconds = (performance.now() - dlStart) / 1000;
  if (file.status !== 200) throw new Error(`download: HTTP ${file.status}`);
  const problems = [];
  if (Number(file.headers['content-length']) !== file.body.length)
    problems.push(`Content-Length ${file.headers['content-length']} for ${file.body.length} bytes`);
  if (job.done !== total || job.skipped !== 0)
    problems.push(`done ${job.done} skipped ${job.skipped} of ${total}`);
  const tmp = mkdtempSync(join(os.tmpdir(), 'cassa-bench-print-'));
  let check;
  try {
    const path = join(tmp, `out.${format}`);
    writeFileSync(path, file.body);
    if (format === 'pdf') {
      const { stdout } = await run('pdfinfo', [path]);
      const pages = Number(/Pages:\s+(\d+)/.exec(stdout)?.[1]);
      check = `${pages} pages (pdfinfo)`;
      if (!(pages >= total)) problems.push(`${pages} pages for ${total} notices`);
    } else {
      const { stdout } = await run('zipinfo', ['-1', path], { maxBuffer: 64 * 1024 * 1024 });
      const entries = stdout.split('\n').filter(Boolean).length;
      check = `${entries} entries (zipinfo)`;
      if (entries !== total) problems.push(`${entries} entries for ${total} notices`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return {
    format,
    notices: total,
    seconds: round(seconds, 2),
    noticesPerSecond: round(total / seconds, 1),
    firstBatchSeconds: round((firstProgressMs ?? 0) / 1000, 2),
    rssBeforeMb: round(before.rssKb / 1024, 1),
    peakRssMb: round(peakKb / 1024, 1),
    serverCpuSeconds: round(cpuSeconds, 1),
    bytes: file.body.length,
    bytesPerNotice: Math.round(file.body.length / total),
    downloadSeconds: round(downloadSeconds, 2),
    check,
    problems,
  };
}

async function main() {
  if (opt.build) await runBuild(CASSA_DIR, say);
  checkBuild(CASSA_DIR, say);
  const pgUrl = opt['pg-url'];
  const dbName = opt['pg-db'];
  const dbUrl = withDatabase(pgUrl, dbName);
  await recreateDatabase(require, pgUrl, dbName);
  const dataDir = mkdtempSync(join(os.tmpdir(), 'cassa-bench-print-'));
  const port = await freePort();
  const profDir = join(CASSA_DIR, 'bench-results', 'print-notices-prof');
  if (opt['cpu-prof']) mkdirSync(profDir, { recursive: true });
  const nodeArgs = opt['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const cassa = startChild(
    [...nodeArgs, 'bin/cassa.js', 'demo'],
    cassaEnv({
      port,
      dataDir,
      logLevel: opt['log-level'],
      databaseUrl: dbUrl,
      more: { CASSA_ADMIN_TOKEN: ADMIN_TOKEN },
      extraEnv: EXTRA_ENV,
    }),
    CASSA_DIR,
  );
  const pg = await pgConnect(require, dbUrl);
  const results = [];
  let failed = false;
  try {
    await waitReady(port, cassa, { name: 'Cassa' });
    const pgVersion = (await pg.query('show server_version')).rows[0].server_version;
    say(
      `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; Node ${process.version}; PostgreSQL ${pgVersion}`,
    );
    say(
      `server: pid ${cassa.child.pid}, http://127.0.0.1:${port} (web + worker), env ${JSON.stringify(EXTRA_ENV)}`,
    );
    say(`creating ${NOTICES} payable positions through epayapi...`);
    const t0 = performance.now();
    const notices = await createDemoPositions(
      port,
      NOTICES,
      (k) => ({
        causale: `Biblioteca - tessera annuale ${k}`,
        importo: 8.5 + (k % 100),
        codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
        nome: 'Pino',
        cognome: 'Test',
        identificativoPagamento: `PRINT-${k}`,
        dataScadenza: '2030-12-31',
      }),
      (a) => a.codiceAvviso,
    );
    say(`  ${notices.length} in ${round((performance.now() - t0) / 1000, 1)} s`);
    const listId = await makeList(pg, notices);
    say(`list ${listId}: ${NOTICES} positions`);
    for (const format of FORMATS) {
      say(`printing the list as ${format}...`);
      const r = await printJob(port, cassa.child.pid, listId, format);
      results.push(r);
      say(
        `  ${r.format}: ${r.notices} notices in ${r.seconds} s = ${r.noticesPerSecond} notices/s; peak RSS ${r.peakRssMb} MB (${r.rssBeforeMb} MB before the job); ` +
          `server CPU ${r.serverCpuSeconds} s (${round((100 * r.serverCpuSeconds) / r.seconds)}% of a core); ` +
          `${(r.bytes / 1e6).toFixed(1)} MB (${r.bytesPerNotice} B/notice), downloaded in ${r.downloadSeconds} s; ${r.check}`,
      );
      for (const p of r.problems) say(`  PROBLEM: ${p}`);
      if (r.problems.length > 0) failed = true;
    }
  } catch (e) {
    failed = true;
    say(`error: ${e?.stack ?? e}`);
    say(cassa.log().slice(-4000));
  } finally {
    await pg.end();
    const stopped = await stopChild(cassa);
    if (stopped.code !== 0 && stopped.signal === null) say(`Cassa exited with ${JSON.stringify(stopped)}`);
    rmSync(dataDir, { recursive: true, force: true });
    if (!opt.keep) await dropDatabase(require, pgUrl, dbName);
  }
  if (opt['cpu-prof']) say(`CPU profile(s) in ${profDir}`);
  if (opt.json) process.stdout.write(`${JSON.stringify({ notices: NOTICES, results }, null, 2)}\n`);
  say(`target: >= 200 notices/s and peak RSS < 300 MB`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
