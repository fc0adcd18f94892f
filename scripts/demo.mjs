#!/usr/bin/env node
// `npm start`: Cassa's demo, the bundled pagoPA simulator (node + Checkout + PSP) and the demo
// gestionale ("Pagamenti Vari del Comune di Alessandria", caller AP_02), pointed at each other, in
// one terminal. Output lines are prefixed [cassa] / [sim] / [gest]; Ctrl-C (SIGINT) or SIGTERM stops
// them all, and so does any of them dying.
//
// Environment, read here: PORT (Cassa, default 8080), SIM_PORT (simulator, default 8090), GEST_PORT
// (demo gestionale, default 8070), and the public URLs derived from them unless set (SIM_PUBLIC_URL,
// CASSA_URL; GEST_PUBLIC_URL see below). Each program is told the others' URLs: the
// simulator Cassa's station, Cassa the simulator's Checkout, the gestionale Cassa. The gestionale's
// own address is not derived here: Cassa and the gestionale both get GEST_PORT (and GEST_PUBLIC_URL
// when set) and both derive it with gestionalePublicUrl() of demo-gestionale/public-url.js, so that
// Cassa's demo data register exactly the return URL the gestionale's digests cover (…/ritorno) and
// its EPaywso2EntiService (…/soap/EPaywso2EntiService) as AP_02's endpoints, moving them at each
// start if the ports changed; this script calls the same function only to print the address.
// Anything else (CASSA_*, SIM_*, GEST_*) is passed through.
//
// Logs: readable lines from all three. NODE_ENV=production makes all three write JSON lines;
// SIM_LOG_FORMAT=json / GEST_LOG_FORMAT=json switch the simulator / the gestionale alone.
// CASSA_ENV=production does not do it: `cassa demo` refuses to start with it (the demo data publish
// their passphrases), and the simulator and the gestionale do not read CASSA_ENV.
//
// Runs the build (`npm install` or `npm run build`); `npm start -- --sources` runs the TypeScript
// sources through tsx instead (no build needed after a change; tsx is a development dependency).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
// plain JavaScript, shared with the gestionale's config and Cassa's demo data: no build or tsx needed
import { GestionaleConfigError, gestionalePublicUrl } from '../demo-gestionale/public-url.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fromSources = process.argv.slice(2).includes('--sources');
const host = '127.0.0.1';

function port(name, def) {
  const raw = process.env[name] || def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    process.stderr.write(`demo: ${name} must be a port number (1-65535), got "${raw}"\n`);
    process.exit(2);
  }
  return String(n);
}
const stripSlash = (u) => u.replace(/\/+$/, '');
const cassaPort = port('PORT', '8080');
const simPort = port('SIM_PORT', '8090');
const gestPort = port('GEST_PORT', '8070');
const cassaUrl = stripSlash(process.env.CASSA_URL || `http://${host}:${cassaPort}`);
const simUrl = stripSlash(process.env.SIM_PUBLIC_URL || `http://${host}:${simPort}`);
/** The gestionale's address as Cassa and the gestionale derive it from the environment they get below. */
let gestUrl;
try {
  gestUrl = gestionalePublicUrl({ ...process.env, GEST_PORT: gestPort });
} catch (e) {
  if (!(e instanceof GestionaleConfigError)) throw e;
  process.stderr.write(`demo: ${e.message}\n`);
  process.exit(2);
}

/** What runs each program: its bin (the build) or, with --sources, its TypeScript entry through tsx. */
const entries = {
  cassa: {
    bin: join(ROOT, 'bin', 'cassa.js'),
    build: 'dist/cli/main.js',
    source: 'src/cli/main.ts',
    what: 'Cassa',
  },
  sim: {
    bin: join(ROOT, 'simulator', 'bin', 'simulator.js'),
    build: 'dist/simulator/main.js',
    source: 'simulator/src/main.ts',
    what: 'the simulator',
  },
  gest: {
    bin: join(ROOT, 'demo-gestionale', 'bin', 'demo-gestionale.js'),
    build: 'dist/demo-gestionale/main.js',
    source: 'demo-gestionale/src/main.ts',
    what: 'the demo gestionale',
  },
};

for (const e of Object.values(entries)) {
  const file = fromSources ? e.source : e.build;
  if (!existsSync(join(ROOT, file))) {
    process.stderr.write(
      fromSources
        ? `demo: ${file} is missing\n`
        : `demo: the build of ${e.what} is missing (${file}); run \`npm run build\` first (or \`npm start -- --sources\`)\n`,
    );
    process.exit(2);
  }
}
if (fromSources && !existsSync(join(ROOT, 'node_modules', 'tsx'))) {
  process.stderr.write('demo: --sources needs tsx (a development dependency): run `npm install`\n');
  process.exit(2);
}

function argsOf(name, args) {
  const e = entries[name];
  if (!fromSources) return [e.bin, ...args];
  const entry = pathToFileURL(join(ROOT, e.source)).href;
  return [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    `const { run } = await import(${JSON.stringify(entry)}); await run(process.argv.slice(1));`,
    '--',
    ...args,
  ];
}

// Readable logs keep their colours when this terminal has them (the programs write to a pipe).
const colour =
  process.stdout.isTTY && !process.env.NO_COLOR && process.env.FORCE_COLOR === undefined
    ? { FORCE_COLOR: '1' }
    : {};

const children = [
  {
    name: 'cassa',
    args: argsOf('cassa', ['demo']),
    env: {
      PORT: cassaPort,
      CASSA_CHECKOUT_URL: process.env.CASSA_CHECKOUT_URL || `${simUrl}/checkout/ec/v2`,
      // the demo data register the gestionale where it listens: GEST_PORT, or GEST_PUBLIC_URL when set
      // (passed through), read by demoGestionaleUrl() of src/app/demo-seed.ts as the gestionale reads them
      GEST_PORT: gestPort,
    },
  },
  {
    name: 'sim',
    args: argsOf('sim', []),
    env: {
      SIM_PORT: simPort,
      SIM_PUBLIC_URL: simUrl,
      SIM_STATION_URL: process.env.SIM_STATION_URL || `${cassaUrl}/soap/paForNode`,
    },
  },
  {
    name: 'gest',
    args: argsOf('gest', []),
    // AP_02 of Cassa's demo data (src/app/demo-seed.ts DEMO_GESTIONALE): AP_01 keeps the manual's return URL
    env: {
      GEST_PORT: gestPort,
      CASSA_URL: cassaUrl,
      GEST_CODICE_CHIAMANTE: process.env.GEST_CODICE_CHIAMANTE || 'AP_02',
      GEST_PASSPHRASE: process.env.GEST_PASSPHRASE || 'demo-gestionale%£AP_02',
    },
  },
];

const width = Math.max(...children.map((c) => c.name.length));
let stopping = false;
let exitCode = 0;

function prefix(name, stream, out) {
  const tag = `[${name}]`.padEnd(width + 3);
  createInterface({ input: stream }).on('line', (line) => out.write(`${tag}${line}\n`));
}

for (const c of children) {
  c.proc = spawn(process.execPath, c.args, {
    cwd: ROOT,
    env: { ...process.env, ...colour, ...c.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prefix(c.name, c.proc.stdout, process.stdout);
  prefix(c.name, c.proc.stderr, process.stderr);
  c.proc.once('error', (err) => {
    process.stderr.write(`demo: cannot start ${c.name}: ${err.message}\n`);
    exitCode = 1;
    stopAll();
  });
  c.proc.once('exit', (code, signal) => {
    c.exited = true;
    if (!stopping) {
      process.stderr.write(
        `demo: ${c.name} stopped (${signal ? `signal ${signal}` : `exit code ${code}`}); stopping the rest\n`,
      );
      exitCode = code || 1;
      stopAll();
    }
    if (children.every((x) => x.exited)) process.exit(exitCode);
  });
}

function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (!c.exited && c.proc.exitCode === null) c.proc.kill('SIGTERM');
  // A child that ignores SIGTERM is killed after 10 s.
  setTimeout(() => {
    for (const c of children) if (!c.exited) c.proc.kill('SIGKILL');
  }, 10_000).unref();
}

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stopAll());

process.stdout.write(
  [
    `demo: Cassa on ${cassaUrl}, pagoPA simulator on ${simUrl}, demo gestionale on ${gestUrl}${fromSources ? ' (from the sources)' : ''} (Ctrl-C stops all)`,
    `demo: open the demo gestionale, log in as TSTPNI70D01L219V and press "Paga":  ${gestUrl}/`,
    `demo: the Sportello (citizens' portal):  ${cassaUrl}/sportello/`,
    `demo: pay the demo notice at a PSP:  npm run simulator -- pay --url ${simUrl} --fiscal-code 00429440068 --notice 001190280072147087`,
    '',
  ].join('\n'),
);
