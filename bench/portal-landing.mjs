#!/usr/bin/env node
// Cassa benchmark: the redirect from a gestionale to the Sportello dei pagamenti (seed 000),
// POST /epayweb/accessoLibero/pagaConIuv/accessoChiamanteEsterno — digest check, caller and
// position lookup, identificativoPagamento used up, payment flow opened, 303 to the flow's page — and,
// unless --no-summary, what the browser then asks for: the flow's page with its single-use token
// (GET /sportello/pagamento/{flow}?accesso=…: binds the flow to the browser, sets the cookie, shows
// the summary).
//
// It creates a throwaway PostgreSQL database, starts `node bin/cassa.js demo` on it as a child
// process (rate limits off), creates --positions payable positions through the epayapi REST API,
// then runs --clients concurrent closed-loop clients on raw keep-alive sockets. Each iteration posts
// the landing form of the demo caller AP_01 with a fresh identificativoPagamento and a digest
// computed as the manual says, checks the answer (303 to /sportello/pagamento/{flow}?accesso=…, not
// a refusal page), then follows it as a browser does (200 with the cookie, the position's IUV, the
// personal-data form, no refusal). Prints req/s and p50/p90/p99/max for each.
// See bench/README.md.
//
//   node bench/portal-landing.mjs [--clients=50] [--seconds=10] [--warmup=3] [--positions=200] ...

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_PG_URL,
  DEMO_CALLER,
  RawConnection,
  cassaEnv,
  cassaRequire,
  checkBuild,
  createDemoPositions,
  dropDatabase,
  fail,
  freePort,
  isPlainIdentifier,
  latencySummary,
  parseEnvOptions,
  positiveInt,
  recreateDatabase,
  round,
  runBuild,
  sayer,
  startChild,
  stopChild,
  waitReady,
  withDatabase,
} from './lib.mjs';

const HELP = `Usage: node bench/portal-landing.mjs [options]

  --clients=N        concurrent clients, each in a closed loop (default 50)
  --seconds=S        measured seconds (default 10)
  --warmup=S         warm-up seconds before the measurement, not counted (default 3)
  --positions=N      payable positions created first and cycled through (default 200)
  --no-summary       only the landing POST (no GET of the summary page)
  --separator=SEP    digest separator: %%%% (PiemontePAY's code, default) or %%% (the manual)
  --pg-url=URL       PostgreSQL server (default $BENCH_PG_URL, else postgres://postgres@127.0.0.1:5432/postgres)
  --pg-db=NAME       throwaway database (default cassa_bench_portal; dropped before and after)
  --cassa-dir=DIR    Cassa checkout to run (default: the one this script is in); needs its build
  --build            run \`npm run build\` first
  --env=KEY=VALUE    extra environment for Cassa (repeatable)
  --log-level=LEVEL  CASSA_LOG_LEVEL of Cassa (default warn)
  --node-arg=ARG     extra node flag for Cassa (repeatable), e.g. --node-arg=--cpu-prof
  --keep             keep the bench database
  --json             print the results as JSON on stdout (the report goes to stderr)
  --target-p99=MS    p99 latency target of the landing (default 50)
  --enforce-target   exit 1 when the target is missed (errors always exit 1)
  -h, --help`;

const { values: opt } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    positions: { type: 'string', default: '200' },
    'no-summary': { type: 'boolean', default: false },
    separator: { type: 'string', default: '%%%%' },
    'pg-url': { type: 'string', default: DEFAULT_PG_URL },
    'pg-db': { type: 'string', default: 'cassa_bench_portal' },
    'cassa-dir': { type: 'string' },
    build: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    'log-level': { type: 'string', default: 'warn' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'target-p99': { type: 'string', default: '50' },
    'enforce-target': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (opt.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const CLIENTS = positiveInt('clients', opt.clients);
const SECONDS = Number(opt.seconds);
if (!(SECONDS > 0)) fail('--seconds must be > 0');
const WARMUP = Number(opt.warmup);
if (!(WARMUP >= 0)) fail('--warmup must be >= 0');
const POSITIONS = positiveInt('positions', opt.positions);
const TARGET_P99 = Number(opt['target-p99']);
const SUMMARY = !opt['no-summary'];
const SEP = opt.separator;
if (SEP !== '%%%' && SEP !== '%%%%') fail('--separator must be %%% or %%%%');
if (!isPlainIdentifier(opt['pg-db'])) fail('--pg-db must be a plain lower-case identifier');
const EXTRA_ENV = parseEnvOptions(opt.env);

const HERE = dirname(fileURLToPath(import.meta.url));
const CASSA_DIR = resolve(opt['cassa-dir'] ?? join(HERE, '..'));
const require = cassaRequire(CASSA_DIR);
const say = sayer(opt.json);

// The demo data (src/app/demo-seed.ts): the manual's caller AP_01, its passphrase and registered return URL
const DEMO = {
  ...DEMO_CALLER,
  returnUrl: 'https://applicativoChiamanteApp2.prova.it/biblioweb',
  codiceFiscale: 'TSTPNI70D01L219V',
};
const LANDING_PATH = '/epayweb/accessoLibero/pagaConIuv/accessoChiamanteEsterno';
const FLOW_LOCATION = /^(\/sportello\/pagamento\/[A-Za-z0-9_-]{43})\?accesso=[A-Za-z0-9_-]{43}$/;

/** Base64(SHA-256(UTF-8(passphrase + sep + codiceChiamante + identificativoPagamento + iuv + returnUrl + sep))), seed 000 §2.1. */
function digest(identificativoPagamento, iuv) {
  return createHash('sha256')
    .update(
      `${DEMO.passphrase}${SEP}${DEMO.codiceChiamante}${identificativoPagamento}${iuv}${DEMO.returnUrl}${SEP}`,
      'utf8',
    )
    .digest('base64');
}

/** The form a gestionale's page posts (what the citizen's browser sends). */
function landingBody(identificativoPagamento, iuv) {
  return new URLSearchParams({
    codiceChiamante: DEMO.codiceChiamante,
    digest: digest(identificativoPagamento, iuv),
    iuv,
    codiceFiscale: DEMO.codiceFiscale,
    identificativoPagamento,
  }).toString();
}

/** The landing counts only as an accepted redirect to its flow's page, with the single-use token. */
function checkLanding(r) {
  if (r.status !== 303) {
    const reason = /data-reason="([^"]+)"/.exec(r.text)?.[1];
    return `HTTP ${r.status}${reason ? ` refusal ${reason}` : ''}`;
  }
  const location = /\r\nlocation:\s*([^\r]*)/i.exec(r.head)?.[1];
  const flow = location ? FLOW_LOCATION.exec(location) : null;
  if (!flow) return `redirect to ${location ?? '(none)'}`;
  if (/id="refusal"/.test(r.text)) return 'refusal page';
  return { location, summaryPath: flow[1] };
}

/** The flow's first page counts only with the browser's cookie. */
function checkClaim(r) {
  return /\r\nset-cookie:\s*cassa_sportello=[^;\r]+/i.test(r.head) ? null : 'summary without the cookie';
}

/** The summary counts only as the personal-data page of that position. */
function checkSummary(r, iuv) {
  if (r.status !== 200) return `summary HTTP ${r.status}`;
  if (r.text.includes('id="refusal"') || r.text.includes('id="error"'))
    return 'summary: refusal or error page';
  if (!r.text.includes(`data-iuv="${iuv}"`)) return "summary without the position's IUV";
  if (!r.text.includes('id="form-personal-data"')) return 'summary without the personal-data form';
  return null;
}

// ---------------------------------------------------------------------------------------------
// One phase: `clients` closed loops until the deadline. Every iteration uses a fresh
// identificativoPagamento (a value seen before is refused, by design).

let idSeq = 0;
const RUN = `B${Date.now().toString(36)}`;

function stats(latencies, elapsed) {
  latencies.sort((a, b) => a - b);
  return {
    ok: latencies.length,
    reqPerSecond: round(latencies.length / elapsed),
    latencyMs: latencySummary(latencies),
  };
}

async function runPhase({ port, seconds, iuvs }) {
  const conns = Array.from({ length: CLIENTS }, () => new RawConnection(port));
  const landing = [];
  const summary = [];
  const errors = new Map();
  const problem = (p) => errors.set(p, (errors.get(p) ?? 0) + 1);
  let next = 0;
  const formHeaders = 'content-type: application/x-www-form-urlencoded\r\n';
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    conns.map(async (c) => {
      while (performance.now() < deadline) {
        const iuv = iuvs[next++ % iuvs.length];
        const id = `${RUN}_${++idSeq}`;
        try {
          const t0 = performance.now();
          const r = await c.request('POST', LANDING_PATH, formHeaders, landingBody(id, iuv));
          const t1 = performance.now();
          const landed = checkLanding(r);
          if (typeof landed === 'string') {
            problem(landed);
            continue;
          }
          landing.push(t1 - t0);
          if (!SUMMARY) continue;
          const s = await c.request('GET', landed.location, '');
          const t2 = performance.now();
          const bad = checkSummary(s, iuv) ?? checkClaim(s);
          if (bad) problem(bad);
          else summary.push(t2 - t1);
        } catch (e) {
          problem(`transport: ${e.message}`);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  for (const c of conns) c.close();
  return {
    seconds: round(elapsed, 2),
    errors: [...errors.values()].reduce((a, b) => a + b, 0),
    errorKinds: Object.fromEntries(errors),
    landing: stats(landing, elapsed),
    ...(SUMMARY ? { summary: stats(summary, elapsed) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Child process, REST

function startCassa(port, databaseUrl, dataDir) {
  const env = cassaEnv({
    port,
    dataDir,
    logLevel: opt['log-level'],
    databaseUrl,
    more: { CASSA_PORTAL_RATE_LIMIT: '0' },
    extraEnv: EXTRA_ENV,
  });
  return startChild([...opt['node-arg'], join(CASSA_DIR, 'bin', 'cassa.js'), 'demo'], env, CASSA_DIR);
}

/** Payable positions of the demo debtor through the REST API (a few at a time). */
function createPositions(port, n) {
  return createDemoPositions(
    port,
    n,
    (k) => ({
      causale: `Biblioteca - copie ${k}`,
      importo: 12.5,
      codiceFiscalePartitaIVAPagatore: DEMO.codiceFiscale,
      nome: 'Pino',
      cognome: 'Test',
      email: 'pino.test@example.org',
      identificativoPagamento: `BENCH-PORTAL-${k}`,
    }),
    (answer) => answer.iuv,
  );
}

// ---------------------------------------------------------------------------------------------
// Main

function line(label, s) {
  return `${label.padEnd(8)} ${String(s.reqPerSecond).padStart(8)} req/s  p50 ${s.latencyMs.p50} ms  p90 ${s.latencyMs.p90} ms  p99 ${s.latencyMs.p99} ms  max ${s.latencyMs.max} ms`;
}

async function main() {
  if (opt.build) await runBuild(CASSA_DIR, say);
  checkBuild(CASSA_DIR, say, [
    [
      'http/portal/routes.js',
      'this build has no Sportello (dist/http/portal/routes.js): run `npm run build` (or pass --build)',
    ],
  ]);
  const environment = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
  };
  say(
    `Cassa Sportello landing benchmark — Node ${environment.node}, ${environment.cpus} CPUs (${environment.cpuModel})`,
  );
  say(
    `${CLIENTS} clients, ${WARMUP}s warm-up + ${SECONDS}s measured; ${SUMMARY ? 'landing POST then summary GET' : 'landing POST only'}; digest separator ${SEP}; PostgreSQL database ${opt['pg-db']}`,
  );

  await recreateDatabase(require, opt['pg-url'], opt['pg-db']);
  const dataDir = mkdtempSync(join(tmpdir(), 'cassa-bench-portal-'));
  const port = await freePort();
  const cassa = startCassa(port, withDatabase(opt['pg-url'], opt['pg-db']), dataDir);
  let result = null;
  let failure = null;
  try {
    await waitReady(port, cassa, { name: 'Cassa' });
    const t0 = performance.now();
    const iuvs = await createPositions(port, POSITIONS);
    say(
      `cassa: pid ${cassa.child.pid}, http://127.0.0.1:${port}; ${iuvs.length} payable positions created in ${round((performance.now() - t0) / 1000, 1)}s`,
    );
    // one landing first, so that a misconfiguration shows as itself and not as N errors
    const probe = new RawConnection(port);
    const first = await probe.request(
      'POST',
      LANDING_PATH,
      'content-type: application/x-www-form-urlencoded\r\n',
      landingBody(`${RUN}_probe`, iuvs[0]),
    );
    probe.close();
    const checked = checkLanding(first);
    if (typeof checked === 'string')
      throw new Error(
        `the landing is not accepted (${checked}):\n${first.head}\n${first.text.slice(0, 1500)}`,
      );
    if (WARMUP > 0) await runPhase({ port, seconds: WARMUP, iuvs });
    result = await runPhase({ port, seconds: SECONDS, iuvs });
    say(line('landing', result.landing));
    if (result.summary) say(line('summary', result.summary));
    say(`errors ${result.errors}${result.errors ? ` ${JSON.stringify(result.errorKinds)}` : ''}`);
  } catch (e) {
    failure = e;
  } finally {
    const stopped = await stopChild(cassa);
    if (stopped.code !== 0 && !failure)
      failure = new Error(
        `Cassa did not stop cleanly: ${JSON.stringify(stopped)}\n${cassa.log().slice(-2000)}`,
      );
    rmSync(dataDir, { recursive: true, force: true });
    if (!opt.keep) await dropDatabase(require, opt['pg-url'], opt['pg-db']).catch(() => undefined);
  }
  if (failure) {
    process.stderr.write(`bench: ${failure.stack ?? failure}\n`);
    process.exit(1);
  }
  const met = result.landing.latencyMs.p99 < TARGET_P99;
  say(
    `\nlanding p99 ${result.landing.latencyMs.p99} ms: target p99 < ${TARGET_P99} ms ${met ? 'met' : 'NOT met'}`,
  );
  say(
    `latencies in ms, measured by the client (same machine, ${environment.cpus} CPUs shared by Cassa, PostgreSQL and the client)`,
  );
  if (opt.json)
    process.stdout.write(
      `${JSON.stringify({ environment, options: { clients: CLIENTS, seconds: SECONDS, warmup: WARMUP, positions: POSITIONS, summary: SUMMARY, separator: SEP, targetP99Ms: TARGET_P99 }, result: { ...result, meetsTarget: met } }, null, 2)}\n`,
    );
  process.exit(result.errors > 0 || (opt['enforce-target'] && !met) ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e?.stack ?? e}\n`);
  process.exit(3);
});
