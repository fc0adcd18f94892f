#!/usr/bin/env node
// How long Cassa takes to start again on the embedded database (PGlite) after a kill -9, depending on how
// much it had written since its last checkpoint (docs/operations.md, "The embedded database's lock").
//
// A writer process opens a fresh data directory as Cassa does (the build's container: the directory's lock,
// the owner's checkpoints, migrations, the demo data) and writes --positions debt positions with their status
// history, 500 per transaction, yielding to the event loop between transactions as a busy server does. SQL
// rather than the REST API: the API creates a few hundred positions per second on this machine, too few to
// pile up gigabytes of WAL in a bench's time. The writer is killed with SIGKILL; `node bin/cassa.js start`
// then starts on the same directory and is timed until /health/ready answers (wall clock, and its own CPU
// time from /proc, which other work on the machine inflates less); it is stopped with SIGTERM and timed
// again on a clean start.
//
//   npm run build && node bench/restart-after-crash.mjs [--positions=1000000] [--keep]

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  cassaEnv,
  checkBuild,
  fail,
  freePort,
  positiveInt,
  round,
  sayer,
  sleep,
  startChild,
  stopChild,
  waitReady,
} from './lib.mjs';

const { values: opt } = parseArgs({
  options: {
    positions: { type: 'string', default: '1000000' },
    'cassa-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (opt.help) {
  process.stdout.write(
    'node bench/restart-after-crash.mjs [--positions=1000000] [--cassa-dir=DIR] [--keep]\n',
  );
  process.exit(0);
}
const POSITIONS = positiveInt('positions', opt.positions);
const CASSA_DIR = resolve(opt['cassa-dir'] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const say = sayer(false);

// The writer: Cassa's own container on the directory, then positions of the demo ente's BIBL, like a busy Cassa.
const WRITER = `
const { join } = await import('node:path');
const dist = join(process.env.BENCH_CASSA_DIR, 'dist');
const { createContainer } = await import(join(dist, 'app/container.js'));
const { loadConfig } = await import(join(dist, 'config/config.js'));
const { seedDemo } = await import(join(dist, 'app/demo-seed.js'));
const c = await createContainer(loadConfig());
await seedDemo(c);
const n = Number(process.env.BENCH_POSITIONS);
const t0 = Date.now();
for (let from = 1; from <= n; from += 500) {
  const to = Math.min(n, from + 499);
  await c.db.executeSql(\`with ins as (
      insert into debt_position (ente_id, payment_type_id, id_posizione_debitoria, iuv, notice_number, amount_cents, components, causale, debtor_type, debtor_fiscal_code, debtor_name, debtor_surname, status)
      select e.id, pt.id, 'CRASH-' || g, '9' || lpad(g::text, 16, '0'), '39' || lpad(g::text, 16, '0'), 1250, '[{"amountCents":1250,"causale":"Prestito"}]', 'Prestito bibliotecario', 'F', 'TSTPNI70D01L219V', 'Pino', 'Test', 'PAYABLE'
      from generate_series(\${from}, \${to}) g, ente e join payment_type pt on pt.ente_id = e.id and pt.codice_versamento = 'BIBL' where e.codice_fiscale = '00429440068'
      returning id)
    insert into debt_position_status_history (position_id, to_status, actor) select id, 'PAYABLE', 'bench' from ins\`);
  await new Promise((r) => setTimeout(r, 1));
}
const [w] = (await c.db.executeSql('select pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::float8 as since, pg_wal_lsn_diff(pg_current_wal_lsn(), \\'0/0\\')::float8 as total from pg_control_checkpoint()')).rows;
process.stdout.write('written ' + JSON.stringify({ seconds: (Date.now() - t0) / 1000, walSinceCheckpoint: w.since, walTotal: w.total }) + '\\n');
setInterval(() => undefined, 1000);
`;

const du = (d) =>
  readdirSync(d, { withFileTypes: true }).reduce(
    (s, f) => s + (f.isDirectory() ? du(join(d, f.name)) : statSync(join(d, f.name)).size),
    0,
  );
const cpuSeconds = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 1/100 s
};
const mb = (bytes) => `${round(bytes / 1e6, 0)} MB`;

async function timedStart(env, label) {
  const t0 = performance.now();
  const server = startChild([join(CASSA_DIR, 'bin', 'cassa.js'), 'start'], env, CASSA_DIR);
  await waitReady(Number(env.PORT), server, { name: label, timeoutMs: 600_000 });
  const r = { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds(server.child.pid) };
  say(`${label.padEnd(24)} ${round(r.wall, 2)} s until /health/ready (${round(r.cpu, 2)} s of CPU)`);
  await stopChild(server);
  return r;
}

checkBuild(CASSA_DIR, say);
const dataDir = mkdtempSync(join(tmpdir(), 'cassa-bench-crash-'));
const env = cassaEnv({ port: await freePort(), dataDir, logLevel: 'warn' });
try {
  say(`writing ${POSITIONS.toLocaleString('en')} positions on the embedded database in ${dataDir}...`);
  const writer = startChild(
    ['--input-type=module', '-e', WRITER],
    { ...env, BENCH_CASSA_DIR: CASSA_DIR, BENCH_POSITIONS: String(POSITIONS) },
    CASSA_DIR,
  );
  let done;
  while (!(done = /^written (\{.*\})$/m.exec(writer.log()))) {
    if (writer.child.exitCode !== null) fail(`the writer exited:\n${writer.log()}`);
    await sleep(200);
  }
  const w = JSON.parse(done[1]);
  writer.child.kill('SIGKILL');
  await writer.exited;
  say(
    `written in ${round(w.seconds, 0)} s: ${mb(w.walTotal)} of WAL in all, ${mb(w.walSinceCheckpoint)} since the last checkpoint; killed with SIGKILL, pg_wal ${mb(du(join(dataDir, 'pglite', 'pg_wal')))}`,
  );
  await timedStart(env, 'restart after kill -9');
  await timedStart(env, 'clean start');
} finally {
  if (!opt.keep) rmSync(dataDir, { recursive: true, force: true });
}
