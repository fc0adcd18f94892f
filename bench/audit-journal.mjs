#!/usr/bin/env node
// Benchmark of the audit journal's queries at millions of rows (a script, not a test).
//
//   npm run build && node bench/audit-journal.mjs [--rows=2000000] [--pg-url=postgres://postgres@127.0.0.1:5432/postgres]
//
// Creates a scratch database `cassa_bench_audit`, applies Cassa's migrations, fills audit_event with
// synthetic events (10,000 IUVs, 50 callers, 200 enti over 90 days), then times the queries the admin
// API runs (GET /admin/api/v1/audit-events with each filter, first and a deep keyset page) through
// Cassa's own AuditJournal, and prints each plan's access path. Drops the database at the end.
import pg from 'pg';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const ROWS = Number(args.rows ?? 2_000_000);
const SERVER = args['pg-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = 'cassa_bench_audit';

const { openDatabase } = await import('../dist/db/database.js');
const { migrate } = await import('../dist/db/migrate.js');
const { AuditJournal } = await import('../dist/modules/audit/application/audit-journal.js');

const admin = new pg.Client({ connectionString: SERVER });
await admin.connect();
await admin.query(`drop database if exists ${DB} with (force)`);
await admin.query(`create database ${DB}`);
const url = new URL(SERVER);
url.pathname = `/${DB}`;
const db = await openDatabase({ url: url.toString(), poolSize: 4 });

try {
  await migrate(db);
  let t0 = performance.now();
  await db.executeSql(`
    insert into audit_event (at, interface, direction, operation, caller, ente_fiscal_code, iuv, outcome, http_status, duration_ms, correlation_id, detail)
    select now() - interval '90 days' + (g * (interval '90 days' / ${ROWS})),
           case when g % 10 = 0 then 'admin' else 'epayapi' end, 'IN',
           (array['createDebtPosition','getDebtPositionStatus','getDebtPositionData','updateDebtPositions'])[1 + g % 4],
           'APP_' || (g % 50), lpad((g % 200)::text, 11, '0'), lpad((g % 10000)::text, 17, '0'),
           case when g % 97 = 0 then '176' else '000' end, 200, g % 40, 'corr-' || g, null
      from generate_series(1, ${ROWS}) g`);
  await db.executeSql('analyze audit_event');
  console.log(
    `inserted ${ROWS.toLocaleString('en')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const journal = new AuditJournal(db, { keepPayloads: false, payloadMaxBytes: 0 });
  const someId = (await db.executeSql('select max(id)::int - 1500000 as id from audit_event')).rows[0].id;
  const cases = [
    ['newest page, no filter', { limit: 50 }],
    ['by IUV', { iuv: lpad(4242), limit: 50 }],
    ['by caller', { caller: 'APP_7', limit: 50 }],
    ['by ente', { enteFiscalCode: '00000000042', limit: 50 }],
    ['by correlation id', { correlationId: 'corr-123456', limit: 50 }],
    ['by operation', { interface: 'epayapi', operation: 'updateDebtPositions', limit: 50 }],
    ['by outcome (rare)', { outcome: '176', limit: 50 }],
    [
      'time window (1 hour, 45 days ago)',
      { from: daysAgo(45), to: new Date(daysAgo(45).getTime() + 3_600_000), limit: 50 },
    ],
    ['deep page (keyset, 1.5M rows back)', { before: someId, limit: 50 }],
    ['caller + deep page', { caller: 'APP_7', before: someId, limit: 50 }],
  ];
  console.log(
    `\n${'query'.padEnd(38)} ${'rows'.padStart(5)} ${'p50 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
  );
  for (const [name, q] of cases) {
    const times = [];
    let n = 0;
    for (let i = 0; i < 20; i++) {
      t0 = performance.now();
      n = (await journal.query(q)).items.length;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(38)} ${String(n).padStart(5)} ${times[10].toFixed(2).padStart(8)} ${times[19].toFixed(2).padStart(8)}`,
    );
  }
  const plan = await db.executeSql(
    `explain select * from audit_event where caller = 'APP_7' and id < ${someId} order by id desc limit 51`,
  );
  console.log(`\nplan of "caller + deep page":\n  ${plan.rows.map((r) => r['QUERY PLAN']).join('\n  ')}`);
} finally {
  await db.close();
  await admin.query(`drop database if exists ${DB} with (force)`);
  await admin.end();
}

function lpad(n) {
  return String(n).padStart(17, '0');
}
function daysAgo(d) {
  return new Date(Date.now() - d * 86_400_000);
}
