#!/usr/bin/env node
// `npm start`: Cassa's demo, the bundled pagoPA simulator (node + Checkout + PSP) and the demo
// gestionale ("Pagamenti Vari del Comune di Alessandria", caller AP_02), pointed at each other, in
// one terminal. Output lines are prefixed [cassa] / [sim] / [gest]; Ctrl-C (SIGINT) or SIGTERM stops
// them all, and so does any of them dying.
//
// Environment: PORT (Cassa, default 8080), SIM_PORT (simulator, default 8090), GEST_PORT (demo
// gestionale, default 8070: Cassa's demo data registers http://127.0.0.1:8070/ritorno as AP_02's
// return URL); anything else (CASSA_*, SIM_*, GEST_*) is passed through. Needs the build
// (`npm install` or `npm run build`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cassaPort = process.env.PORT || '8080';
const simPort = process.env.SIM_PORT || '8090';
const gestPort = process.env.GEST_PORT || '8070';
const host = '127.0.0.1';

for (const [file, what] of [
  ['dist/cli/main.js', 'Cassa'],
  ['dist/simulator/main.js', 'the simulator'],
  ['dist/demo-gestionale/main.js', 'the demo gestionale'],
]) {
  if (!existsSync(join(ROOT, file))) {
    process.stderr.write(`demo: the build of ${what} is missing (${file}); run \`npm run build\` first\n`);
    process.exit(2);
  }
}

const children = [
  {
    name: 'cassa',
    args: [join(ROOT, 'bin', 'cassa.js'), 'demo'],
    env: { PORT: cassaPort, CASSA_CHECKOUT_URL: process.env.CASSA_CHECKOUT_URL || `http://${host}:${simPort}/checkout/ec/v2` },
  },
  {
    name: 'sim',
    args: [join(ROOT, 'simulator', 'bin', 'simulator.js')],
    env: {
      SIM_PORT: simPort,
      SIM_PUBLIC_URL: process.env.SIM_PUBLIC_URL || `http://${host}:${simPort}`,
      SIM_STATION_URL: process.env.SIM_STATION_URL || `http://${host}:${cassaPort}/soap/paForNode`,
    },
  },
  {
    name: 'gest',
    args: [join(ROOT, 'demo-gestionale', 'bin', 'demo-gestionale.js')],
    // AP_02 of Cassa's demo data (src/app/demo-seed.ts DEMO_GESTIONALE): AP_01 keeps the manual's return URL
    env: {
      GEST_PORT: gestPort,
      GEST_PUBLIC_URL: process.env.GEST_PUBLIC_URL || `http://${host}:${gestPort}`,
      CASSA_URL: process.env.CASSA_URL || `http://${host}:${cassaPort}`,
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
  c.proc = spawn(process.execPath, c.args, { cwd: ROOT, env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
      process.stderr.write(`demo: ${c.name} stopped (${signal ? `signal ${signal}` : `exit code ${code}`}); stopping the rest\n`);
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
    `demo: Cassa on http://${host}:${cassaPort}, pagoPA simulator on http://${host}:${simPort}, demo gestionale on http://${host}:${gestPort} (Ctrl-C stops all)`,
    `demo: open the demo gestionale, log in as TSTPNI70D01L219V and press "Paga":  http://${host}:${gestPort}/`,
    `demo: the Sportello (citizens' portal):  http://${host}:${cassaPort}/sportello/`,
    `demo: pay the demo notice at a PSP:  npm run simulator -- pay --url http://${host}:${simPort} --fiscal-code 00429440068 --notice 001190280072147087`,
    '',
  ].join('\n'),
);
