#!/usr/bin/env node
// Cassa benchmark: liste di carico over SOAP (PiemontePAY Enti2EPaywsoService), measured until every
// outcome (EsitoInserimentoListaDiCarico) has been delivered to the gestionale.
//
// It recreates a throwaway PostgreSQL database, starts a tiny HTTP server playing the gestionale's
// EPaywso2EntiService (answers Result 000 and records when each list's outcome arrives), starts
// `cassa demo` (web + worker) on that database, points the demo application's
// ESITO_INSERIMENTO_LISTA_DI_CARICO endpoint at the listener, then sends N lists of 250 positions
// with C concurrent clients and waits for the last outcome. See bench/README.md.
//
//   node bench/load-lists.mjs [--lists=4000] [--positions=250] [--clients=4] [--pg-url=URL] [--source]
//
// --source runs the TypeScript sources through tsx instead of the build (dist/).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEFAULT_PG_URL,
  cassaEnv,
  cassaRequire,
  dropDatabase,
  freePort,
  isPlainIdentifier,
  percentile,
  recreateDatabase,
  sayer,
  sleep,
  withDatabase,
  withPg,
} from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    lists: { type: 'string', default: '4000' },
    positions: { type: 'string', default: '250' },
    clients: { type: 'string', default: '4' },
    'pg-url': { type: 'string', default: DEFAULT_PG_URL },
    'pg-db': { type: 'string', default: 'cassa_bench_lists' },
    env: { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
    source: { type: 'boolean', default: false },
    'timeout-s': { type: 'string', default: '900' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (opt.help) {
  process.stdout.write(
    'node bench/load-lists.mjs [--lists=4000] [--positions=250] [--clients=4] [--pg-url=URL] [--pg-db=NAME] [--env=K=V]... [--node-arg=ARG]... [--source] [--timeout-s=900] [--keep] [--json]\n',
  );
  process.exit(0);
}
const LISTS = Number(opt.lists);
const PER_LIST = Number(opt.positions);
const CLIENTS = Number(opt.clients);
if (!(LISTS >= 1 && PER_LIST >= 1 && PER_LIST <= 1000 && CLIENTS >= 1))
  throw new Error('bad --lists/--positions/--clients');
if (!isPlainIdentifier(opt['pg-db'])) throw new Error('--pg-db must be a plain identifier');

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const require = cassaRequire(ROOT);
const say = sayer(opt.json);

const DEMO = { ente: '00429440068', code: 'BIBL', caller: 'AP_01', passphrase: '1www%$se1ver£$APP' };
const AUTH = `Basic ${Buffer.from(`${DEMO.caller}:${DEMO.passphrase}`, 'utf8').toString('base64')}`;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

const dbUrl = (name) => withDatabase(opt['pg-url'], name);

// ------------------------------------------------------------------------------- the gestionale
const outcomes = new Map(); // IdMessaggio -> { at, ok, total, result }
let outcomeCalls = 0;
const listener = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    outcomeCalls++;
    const id = /<(?:\w+:)?IdMessaggio>([^<]*)<\/(?:\w+:)?IdMessaggio>/.exec(body)?.[1];
    if (id && !outcomes.has(id)) {
      const codes = [...body.matchAll(/<(?:\w+:)?CodiceEsito>(\d{3})</g)].map((m) => m[1]);
      outcomes.set(id, {
        at: performance.now(),
        ok: codes.filter((c) => c === '000').length,
        total: codes.length,
        result: /<(?:\w+:)?Codice>(\d{3})</.exec(body)?.[1],
      });
    }
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
        '<cmn:EPaywsoServiceResponse xmlns:cmn="http://www.csi.it/epay/epaywso/types"><cmn:Result><cmn:Codice>000</cmn:Codice></cmn:Result></cmn:EPaywsoServiceResponse></soapenv:Body></soapenv:Envelope>',
    );
  });
});

// ------------------------------------------------------------------------------------- the lists
const SRV = 'http://www.csi.it/epay/epaywso/enti2epaywso/types';
const CMN = 'http://www.csi.it/epay/epaywso/types';
function listXml(n) {
  const idMessaggio = `BENCH-${n}`;
  const parts = [];
  for (let i = 0; i < PER_LIST; i++) {
    const cents = 1000 + ((n * PER_LIST + i) % 9000);
    const amount = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    parts.push(
      `<srv:PosizioneDaInserire><srv:IdPosizioneDebitoria>B${n}-${i}</srv:IdPosizioneDebitoria><srv:AnnoRiferimento>2026</srv:AnnoRiferimento><srv:ImportoTotale>${amount}</srv:ImportoTotale>` +
        `<srv:DataScadenza>2026-12-31</srv:DataScadenza><srv:DescrizioneCausaleVersamento>Quota iscrizione ${n}/${i}</srv:DescrizioneCausaleVersamento>` +
        `<srv:ComponentiImporto><srv:ComponenteImporto><srv:Importo>${amount}</srv:Importo><srv:CausaleDescrittiva>Quota</srv:CausaleDescrittiva></srv:ComponenteImporto></srv:ComponentiImporto>` +
        `<srv:SoggettoPagatore><cmn:PersonaFisica><cmn:Cognome>Rossi</cmn:Cognome><cmn:Nome>Mario</cmn:Nome></cmn:PersonaFisica><cmn:IdentificativoUnivocoFiscale>RSSMRA80A01L219M</cmn:IdentificativoUnivocoFiscale>` +
        `<cmn:Indirizzo>Via Roma</cmn:Indirizzo><cmn:Civico>1</cmn:Civico><cmn:CAP>10100</cmn:CAP><cmn:Localita>Torino</cmn:Localita><cmn:Provincia>TO</cmn:Provincia><cmn:Nazione>IT</cmn:Nazione></srv:SoggettoPagatore></srv:PosizioneDaInserire>`,
    );
    parts.total = (parts.total ?? 0) + cents;
  }
  const total = `${Math.floor(parts.total / 100)}.${String(parts.total % 100).padStart(2, '0')}`;
  return {
    idMessaggio,
    xml:
      `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:srv="${SRV}" xmlns:cmn="${CMN}"><soapenv:Body>` +
      `<srv:InserisciListaDiCaricoRequest><srv:Testata><srv:IdMessaggio>${idMessaggio}</srv:IdMessaggio><srv:CFEnteCreditore>${DEMO.ente}</srv:CFEnteCreditore><srv:CodiceVersamento>${DEMO.code}</srv:CodiceVersamento>` +
      `<srv:NumeroPosizioniDebitorie>${PER_LIST}</srv:NumeroPosizioniDebitorie><srv:ImportoTotaleListaDiCarico>${total}</srv:ImportoTotaleListaDiCarico></srv:Testata>` +
      `<srv:ListaDiCarico><srv:PosizioniDaInserire>${parts.join('')}</srv:PosizioniDaInserire></srv:ListaDiCarico></srv:InserisciListaDiCaricoRequest></soapenv:Body></soapenv:Envelope>`,
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
function request(port, method, path, headers, body) {
  return new Promise((res, rej) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', rej);
    if (body) req.end(body);
    else req.end();
  });
}

// ------------------------------------------------------------------------------------------ run
let child;
let dataDir;
async function main() {
  await recreateDatabase(require, opt['pg-url'], opt['pg-db']);
  const listenerPort = await freePort();
  await new Promise((r) => listener.listen(listenerPort, '127.0.0.1', r));
  const port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'cassa-bench-lists-'));
  const env = cassaEnv({
    port,
    dataDir,
    logLevel: 'warn',
    databaseUrl: dbUrl(opt['pg-db']),
    more: { CASSA_ADMIN_TOKEN: ADMIN_TOKEN, CASSA_AUDIT_PAYLOADS: 'false' },
  });
  for (const kv of opt.env) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  const args = opt.source
    ? [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { run } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'cli', 'main.ts')).href)}); await run(['demo']);`,
      ]
    : [...opt['node-arg'], join(ROOT, 'bin', 'cassa.js'), 'demo'];
  if (!opt.source && !existsSync(join(ROOT, 'dist', 'cli', 'main.js')))
    throw new Error('no build: run `npm run build` or use --source');
  let log = '';
  child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => (log = (log + d).slice(-20000)));
  child.stderr.on('data', (d) => (log = (log + d).slice(-20000)));
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cassa exited:\n${log}`);
    const r = await request(port, 'GET', '/health/ready', {}).catch(() => null);
    if (r?.status === 200) break;
    if (Date.now() - started > 120_000) throw new Error(`cassa not ready:\n${log}`);
    await sleep(300);
  }
  const patch = await request(
    port,
    'PATCH',
    `/admin/api/v1/applications/${DEMO.caller}`,
    { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    JSON.stringify({
      endpoints: [
        {
          kind: 'ESITO_INSERIMENTO_LISTA_DI_CARICO',
          url: `http://127.0.0.1:${listenerPort}/EPaywso2EntiService`,
        },
      ],
    }),
  );
  if (patch.status !== 200) throw new Error(`cannot set the outcome endpoint: ${patch.status} ${patch.body}`);

  say(
    `liste di carico: ${LISTS} lists × ${PER_LIST} positions = ${LISTS * PER_LIST} positions, ${CLIENTS} clients, PostgreSQL ${opt['pg-db']}`,
  );
  const acks = new Map(); // IdMessaggio -> ack time
  const ackLatency = [];
  let next = 0;
  const t0 = performance.now();
  let lastReport = t0;
  async function client() {
    for (;;) {
      const n = next++;
      if (n >= LISTS) return;
      const { idMessaggio, xml } = listXml(n);
      const s = performance.now();
      const r = await request(
        port,
        'POST',
        '/soap/Enti2EPaywsoService',
        {
          authorization: AUTH,
          'content-type': 'text/xml; charset=utf-8',
          soapaction: '"http://www.csi.it/epay/epaywso/service/InserisciListaDiCarico"',
        },
        xml,
      );
      const at = performance.now();
      const code = /<cmn:Codice>(\d{3})</.exec(r.body)?.[1];
      if (r.status !== 200 || code !== '000')
        throw new Error(`list ${idMessaggio}: HTTP ${r.status} ${r.body.slice(0, 500)}`);
      acks.set(idMessaggio, at);
      ackLatency.push(at - s);
      if (at - lastReport > 10_000) {
        lastReport = at;
        say(
          `  ${((at - t0) / 1000).toFixed(0)} s: ${acks.size} lists acknowledged, ${outcomes.size} outcomes delivered`,
        );
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const tSent = performance.now();
  say(
    `  all ${LISTS} lists acknowledged in ${((tSent - t0) / 1000).toFixed(1)} s; waiting for the outcomes...`,
  );
  const deadline = Date.now() + Number(opt['timeout-s']) * 1000;
  while (outcomes.size < LISTS) {
    if (Date.now() > deadline) throw new Error(`timeout: ${outcomes.size}/${LISTS} outcomes delivered`);
    if (child.exitCode !== null) throw new Error(`cassa exited:\n${log}`);
    await sleep(50);
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      say(`  ${((lastReport - t0) / 1000).toFixed(0)} s: ${outcomes.size} outcomes delivered`);
    }
  }
  const tLast = Math.max(...[...outcomes.values()].map((o) => o.at));
  const latencies = [...outcomes.entries()].map(([id, o]) => o.at - acks.get(id)).sort((a, b) => a - b);
  const ackSorted = ackLatency.sort((a, b) => a - b);
  const okPositions = [...outcomes.values()].reduce((s, o) => s + o.ok, 0);
  const notOk = [...outcomes.values()].filter((o) => o.result !== '000').length;
  const counts = await withPg(
    require,
    dbUrl(opt['pg-db']),
    async (c) =>
      (
        await c.query(
          `select (select count(*) from debt_position where id_posizione_debitoria like 'B%')::int as positions, (select count(distinct iuv) from debt_position)::int as iuvs, (select count(*) from load_list where status = 'ELABORATA')::int as lists`,
        )
      ).rows[0],
  );
  const seconds = (tLast - t0) / 1000;
  const result = {
    lists: LISTS,
    positionsPerList: PER_LIST,
    positions: LISTS * PER_LIST,
    clients: CLIENTS,
    secondsToLastOutcome: Number(seconds.toFixed(2)),
    positionsPerSecond: Math.round((LISTS * PER_LIST) / seconds),
    ackMs: { p50: Math.round(percentile(ackSorted, 50)), p99: Math.round(percentile(ackSorted, 99)) },
    ackToOutcomeMs: {
      p50: Math.round(percentile(latencies, 50)),
      p99: Math.round(percentile(latencies, 99)),
      max: Math.round(latencies.at(-1)),
    },
    outcomeCalls,
    positionsOkInOutcomes: okPositions,
    listsNotOk: notOk,
    database: counts,
  };
  say(`  positions/s ${result.positionsPerSecond} · last outcome after ${result.secondsToLastOutcome} s`);
  say(
    `  ack latency p50 ${result.ackMs.p50} ms, p99 ${result.ackMs.p99} ms · ack → outcome delivered p50 ${result.ackToOutcomeMs.p50} ms, p99 ${result.ackToOutcomeMs.p99} ms, max ${result.ackToOutcomeMs.max} ms`,
  );
  say(
    `  outcomes: ${outcomes.size} lists (${outcomeCalls} calls), ${okPositions} positions with 000, ${notOk} lists not 000; database: ${JSON.stringify(counts)}`,
  );
  if (opt.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (
    okPositions !== LISTS * PER_LIST ||
    counts.positions !== LISTS * PER_LIST ||
    counts.iuvs < LISTS * PER_LIST
  )
    throw new Error('verification failed');
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench: ${e.stack ?? e}\n`);
  process.exitCode = 1;
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        r();
      }, 15000);
      child.on('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
  listener.close();
  agent.destroy();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (!opt.keep) await dropDatabase(require, opt['pg-url'], opt['pg-db']).catch(() => undefined);
}
