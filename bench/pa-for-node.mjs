#!/usr/bin/env node
// Cassa benchmark: how fast Cassa answers the pagoPA node on POST /soap/paForNode, beside a bare
// Fastify route returning the same XML on the same machine in the same run.
//
// It creates a throwaway PostgreSQL database, starts `node bin/cassa.js demo` on it as a child
// process, creates --positions payable positions through the epayapi REST API, captures Cassa's own
// answers to paVerifyPaymentNotice and paGetPaymentV2, and starts a second child: a bare Fastify
// route that reads the request body as text and returns those same XML answers. Then, for each
// operation, it loads Cassa and the bare route in turn with --clients concurrent closed-loop
// clients (raw keep-alive sockets), checking every answer (HTTP 200, <outcome>OK</outcome>, no
// fault), and prints req/s, p50/p99 and Cassa's throughput as a share of the bare route's.
// See bench/README.md.
//
//   node bench/pa-for-node.mjs [--clients=50] [--seconds=10] [--warmup=3] [--positions=200] ...

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
  post,
  printTable,
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

const HELP = `Usage: node bench/pa-for-node.mjs [options]

  --clients=N        concurrent clients, each in a closed loop (default 50)
  --seconds=S        measured seconds per operation and target (default 10)
  --warmup=S         warm-up seconds before each measurement, not counted (default 3)
  --positions=N      payable positions created first and cycled through (default 200)
  --ops=LIST         operations, comma-separated (default paVerifyPaymentNotice,paGetPaymentV2)
  --pg-url=URL       PostgreSQL server (default $BENCH_PG_URL, else postgres://postgres@127.0.0.1:5432/postgres)
  --pg-db=NAME       throwaway database (default cassa_bench_paf; dropped before and after)
  --cassa-dir=DIR    Cassa checkout to run (default: the one this script is in); needs its build
  --build            run \`npm run build\` first
  --env=KEY=VALUE    extra environment for Cassa (repeatable)
  --log-level=LEVEL  CASSA_LOG_LEVEL of Cassa (default warn)
  --node-arg=ARG     extra node flag for Cassa (repeatable), e.g. --node-arg=--cpu-prof
  --keep             keep the bench database
  --json             print the results as JSON on stdout (the report goes to stderr)
  --target-ratio=R   Cassa's share of the bare route's req/s to reach (default 0.5)
  --target-p99=MS    p99 latency target (default 50)
  --enforce-target   exit 1 when a target is missed (errors always exit 1)
  -h, --help`;

const { values: opt } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    positions: { type: 'string', default: '200' },
    ops: { type: 'string', default: 'paVerifyPaymentNotice,paGetPaymentV2' },
    'pg-url': { type: 'string', default: DEFAULT_PG_URL },
    'pg-db': { type: 'string', default: 'cassa_bench_paf' },
    'cassa-dir': { type: 'string' },
    build: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    'log-level': { type: 'string', default: 'warn' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'target-ratio': { type: 'string', default: '0.5' },
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
const TARGET_RATIO = Number(opt['target-ratio']);
const TARGET_P99 = Number(opt['target-p99']);
if (!isPlainIdentifier(opt['pg-db'])) fail('--pg-db must be a plain lower-case identifier');
const OPS = opt.ops.split(',').map((s) => s.trim());
for (const op of OPS)
  if (op !== 'paVerifyPaymentNotice' && op !== 'paGetPaymentV2') fail(`--ops: unknown operation ${op}`);
const EXTRA_ENV = parseEnvOptions(opt.env);

const HERE = dirname(fileURLToPath(import.meta.url));
const CASSA_DIR = resolve(opt['cassa-dir'] ?? join(HERE, '..'));
const require = cassaRequire(CASSA_DIR);
const say = sayer(opt.json);

// The demo data (src/app/demo-seed.ts) and the intermediary the demo ente answers for
const DEMO = { ...DEMO_CALLER, idBrokerPA: '80087670016', idStation: '80087670016_01' };
const SOAP_PATH = '/soap/paForNode';
const PAFORNODE_NS = 'http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd';

/** The node's request: only the body's root element is namespaced, its children are unqualified. */
function soapRequest(op, noticeNumber) {
  const element = op === 'paVerifyPaymentNotice' ? 'paVerifyPaymentNoticeReq' : 'paGetPaymentV2Request';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:paf="${PAFORNODE_NS}"><soapenv:Header/><soapenv:Body>` +
    `<paf:${element}><idPA>${DEMO.ente}</idPA><idBrokerPA>${DEMO.idBrokerPA}</idBrokerPA><idStation>${DEMO.idStation}</idStation>` +
    `<qrCode><fiscalCode>${DEMO.ente}</fiscalCode><noticeNumber>${noticeNumber}</noticeNumber></qrCode>` +
    (op === 'paGetPaymentV2' ? '<amount>12.50</amount>' : '') +
    `</paf:${element}></soapenv:Body></soapenv:Envelope>`
  );
}

/** An answer counts only if it is a successful SOAP answer to the operation asked. */
function checkAnswer(op, r) {
  if (r.status !== 200) return `HTTP ${r.status}`;
  if (r.text.includes('faultCode') || r.text.includes(':Fault>'))
    return `fault ${/<faultCode>([^<]*)</.exec(r.text)?.[1] ?? /<faultstring>([^<]*)</.exec(r.text)?.[1] ?? ''}`.trim();
  if (!r.text.includes('<outcome>OK</outcome>')) return 'no <outcome>OK</outcome>';
  if (
    !r.text.includes(op === 'paVerifyPaymentNotice' ? 'paVerifyPaymentNoticeRes' : 'paGetPaymentV2Response')
  )
    return 'wrong response element';
  return null;
}

function soapHeaders(op) {
  return `content-type: text/xml; charset=utf-8\r\nsoapaction: "${op}"\r\n`;
}

// ---------------------------------------------------------------------------------------------
// One measured phase: `clients` closed loops on one target and operation until the deadline.

async function runPhase({ port, op, seconds, notices, bodies }) {
  const conns = Array.from({ length: CLIENTS }, () => new RawConnection(port));
  const latencies = [];
  const errors = new Map();
  let ok = 0;
  let next = 0;
  const headers = soapHeaders(op);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    conns.map(async (c) => {
      while (performance.now() < deadline) {
        const body = bodies[next++ % notices.length];
        const t0 = performance.now();
        let problem;
        try {
          const r = await c.request('POST', SOAP_PATH, headers, body);
          problem = checkAnswer(op, r);
        } catch (e) {
          problem = `transport: ${e.message}`;
        }
        const ms = performance.now() - t0;
        if (problem) {
          const e = errors.get(problem) ?? { count: 0 };
          e.count++;
          errors.set(problem, e);
        } else {
          ok++;
          latencies.push(ms);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  for (const c of conns) c.close();
  latencies.sort((a, b) => a - b);
  return {
    ok,
    errors: [...errors].reduce((s, [, e]) => s + e.count, 0),
    errorKinds: Object.fromEntries([...errors].map(([k, e]) => [k, e.count])),
    seconds: round(elapsed, 2),
    reqPerSecond: round(ok / elapsed),
    latencyMs: latencySummary(latencies),
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes

function startCassa(port, databaseUrl, dataDir) {
  const env = cassaEnv({ port, dataDir, logLevel: opt['log-level'], databaseUrl, extraEnv: EXTRA_ENV });
  return startChild([...opt['node-arg'], join(CASSA_DIR, 'bin', 'cassa.js'), 'demo'], env, CASSA_DIR);
}

/**
 * The bare route: Fastify with the same body handling a SOAP endpoint needs (the body read as
 * text), answering the XML Cassa answered, by SOAPAction. What is left is Cassa's own work.
 */
const BARE_SERVER = `
const { createRequire } = await import('node:module');
const require = createRequire(process.env.BARE_CASSA_DIR + '/package.json');
const Fastify = require('fastify');
const answers = JSON.parse(process.env.BARE_ANSWERS);
const app = Fastify({ logger: false, bodyLimit: 1048576 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
app.post('/soap/paForNode', async (req, reply) => {
  const op = String(req.headers.soapaction ?? '').replace(/"/g, '');
  const body = typeof req.body === 'string' ? req.body : '';
  if (!body.includes('<qrCode>')) return reply.code(500).type('text/xml; charset=utf-8').send('<fault/>');
  return reply.type('text/xml; charset=utf-8').send(answers[op]);
});
app.get('/health/ready', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.BARE_PORT) });
`;

function startBare(port, answers) {
  const env = {
    ...process.env,
    BARE_PORT: String(port),
    BARE_ANSWERS: JSON.stringify(answers),
    BARE_CASSA_DIR: CASSA_DIR,
  };
  return startChild(['--input-type=module', '-e', BARE_SERVER], env, CASSA_DIR);
}

/** Payable positions through the REST API (a few at a time), as the node will ask for them. */
function createPositions(port, n) {
  return createDemoPositions(
    port,
    n,
    (k) => ({
      causale: `Biblioteca - tessera ${k}`,
      importo: 12.5,
      codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
      nome: 'Pino',
      cognome: 'Test',
      identificativoPagamento: `BENCH-PAF-${k}`,
    }),
    (answer) => answer.codiceAvviso,
  );
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  if (opt.build) await runBuild(CASSA_DIR, say);
  checkBuild(CASSA_DIR, say, [
    [
      'http/soap/routes.js',
      'this build has no SOAP endpoint (dist/http/soap/routes.js): run `npm run build` (or pass --build)',
    ],
  ]);
  const environment = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
  };
  say(
    `Cassa paForNode benchmark — Node ${environment.node}, ${environment.cpus} CPUs (${environment.cpuModel})`,
  );
  say(
    `${CLIENTS} clients, ${WARMUP}s warm-up + ${SECONDS}s measured per operation and target; PostgreSQL database ${opt['pg-db']}`,
  );

  await recreateDatabase(require, opt['pg-url'], opt['pg-db']);
  const dataDir = mkdtempSync(join(tmpdir(), 'cassa-bench-paf-'));
  const cassaPort = await freePort();
  const barePort = await freePort();
  const cassa = startCassa(cassaPort, withDatabase(opt['pg-url'], opt['pg-db']), dataDir);
  let bare = null;
  const results = [];
  let failure = null;
  try {
    await waitReady(cassaPort, cassa, { name: 'a server' });
    const t0 = performance.now();
    const notices = await createPositions(cassaPort, POSITIONS);
    say(
      `cassa: pid ${cassa.child.pid}, http://127.0.0.1:${cassaPort}; ${notices.length} payable positions created in ${round((performance.now() - t0) / 1000, 1)}s`,
    );

    // Cassa's own answers, which the bare route will return verbatim
    const answers = {};
    for (const op of OPS) {
      const r = await post(
        cassaPort,
        SOAP_PATH,
        { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${op}"` },
        soapRequest(op, notices[0]),
      );
      const problem = checkAnswer(op, r);
      if (problem)
        throw new Error(`Cassa's ${op} is not an OK answer (${problem}):\n${r.text.slice(0, 1500)}`);
      answers[op] = r.text;
    }
    bare = startBare(barePort, answers);
    await waitReady(barePort, bare, { name: 'a server' });
    say(
      `bare route: pid ${bare.child.pid}, http://127.0.0.1:${barePort}, same XML answers (${OPS.map((op) => `${op} ${Buffer.byteLength(answers[op])} bytes`).join(', ')})`,
    );

    for (const op of OPS) {
      const bodies = notices.map((n) => soapRequest(op, n));
      const row = { operation: op };
      for (const [target, port] of [
        ['bare', barePort],
        ['cassa', cassaPort],
      ]) {
        if (WARMUP > 0) await runPhase({ port, op, seconds: WARMUP, notices, bodies });
        const r = await runPhase({ port, op, seconds: SECONDS, notices, bodies });
        row[target] = r;
        say(
          `${op.padEnd(22)} ${target.padEnd(5)} ${String(r.reqPerSecond).padStart(8)} req/s  p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms  max ${r.latencyMs.max} ms  errors ${r.errors}${r.errors ? ` ${JSON.stringify(r.errorKinds)}` : ''}`,
        );
      }
      row.ratio = round(row.cassa.reqPerSecond / row.bare.reqPerSecond, 3);
      row.meetsTarget = row.ratio >= TARGET_RATIO && row.cassa.latencyMs.p99 < TARGET_P99;
      results.push(row);
    }
  } catch (e) {
    failure = e;
  } finally {
    if (bare) await stopChild(bare);
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

  say('\n=== Summary (PostgreSQL) ===');
  const rows = [
    [
      'operation',
      'bare req/s',
      'bare p50',
      'bare p99',
      'cassa req/s',
      'cassa p50',
      'cassa p99',
      'ratio',
      'errors',
      `target ≥${TARGET_RATIO}× p99<${TARGET_P99}ms`,
    ],
    ...results.map((r) => [
      r.operation,
      String(r.bare.reqPerSecond),
      String(r.bare.latencyMs.p50),
      String(r.bare.latencyMs.p99),
      String(r.cassa.reqPerSecond),
      String(r.cassa.latencyMs.p50),
      String(r.cassa.latencyMs.p99),
      String(r.ratio),
      String(r.bare.errors + r.cassa.errors),
      r.meetsTarget ? 'met' : 'NOT met',
    ]),
  ];
  printTable(say, rows, [0, -1]);
  say(
    `latencies in ms, measured by the client (same machine, ${environment.cpus} CPUs shared by Cassa, PostgreSQL, the bare route and the client)`,
  );
  if (opt.json)
    process.stdout.write(
      `${JSON.stringify({ environment, options: { clients: CLIENTS, seconds: SECONDS, warmup: WARMUP, positions: POSITIONS, targetRatio: TARGET_RATIO, targetP99Ms: TARGET_P99 }, results }, null, 2)}\n`,
    );
  const errors = results.some((r) => r.bare.errors + r.cassa.errors > 0);
  process.exit(errors || (opt['enforce-target'] && results.some((r) => !r.meetsTarget)) ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e?.stack ?? e}\n`);
  process.exit(3);
});
