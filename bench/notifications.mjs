#!/usr/bin/env node
// Cassa benchmark: payment notifications delivered to a gestionale (TrasmettiNotifichePagamento).
//
// On a throwaway PostgreSQL database it migrates Cassa's schema, creates one ente, payment type and
// application whose TRASMETTI_NOTIFICHE_PAGAMENTO endpoint is a local HTTP listener in this process, and
// --count payable positions (SQL, generate_series: untimed). Then it starts Cassa's worker role as a child
// (`node bin/cassa.js start --role worker`) and, timed, inserts one positive receipt per position with SQL, in
// transactions of --chunk receipts (each receipt insert fires the same trigger as a receipt from paSendRTV2,
// so the notifications are recorded exactly as in production; the paSendRTV2 SOAP path itself is measured by
// bench/pa-for-node.mjs). It measures the time from the first receipt until the listener has received every
// notification, the delay between the last receipt's commit and the last delivery, and messages/s.
// The listener answers Result 000 and counts NotificaPagamento by IdMessaggio (duplicates counted apart).
//
//   node bench/notifications.mjs [--count=100000] [--chunk=5000] [--window-ms=2000] [--build]

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_PG_URL, cassaRequire, dropDatabase, recreateDatabase, withDatabase } from './lib.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = cassaRequire(ROOT);
const pg = require('pg');

const { values: opt } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    chunk: { type: 'string', default: '5000' },
    'window-ms': { type: 'string', default: '2000' },
    'pg-url': { type: 'string', default: DEFAULT_PG_URL },
    'pg-db': { type: 'string', default: 'cassa_bench_notif' },
    env: { type: 'string', multiple: true, default: [] },
    build: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(`Usage: node bench/notifications.mjs [--count=100000] [--chunk=5000] [--window-ms=2000] [--pg-url=URL] [--pg-db=NAME]
  [--env=KEY=VALUE ...] [--build] [--keep] [--json]`);
  process.exit(0);
}
const COUNT = Number(opt.count);
const CHUNK = Number(opt.chunk);
const log = (...a) => console.error(...a);

if (opt.build) {
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}

// ------------------------------------------------------------------ database
const serverUrl = opt['pg-url'];
const dbName = opt['pg-db'];
const dbUrl = withDatabase(serverUrl, dbName);
await recreateDatabase(require, serverUrl, dbName);
const dataDir = mkdtempSync(join(tmpdir(), 'cassa-bench-notif-'));
const env = {
  ...process.env,
  DATABASE_URL: dbUrl,
  CASSA_DATA_DIR: dataDir,
  CASSA_LOG_LEVEL: 'warn',
  CASSA_NOTIFICATION_BATCH_WINDOW_MS: opt['window-ms'],
};
for (const kv of opt.env) {
  const i = kv.indexOf('=');
  env[kv.slice(0, i)] = kv.slice(i + 1);
}
const mig = spawnSync(process.execPath, [join(ROOT, 'bin/cassa.js'), 'migrate'], {
  cwd: ROOT,
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (mig.status !== 0) throw new Error('migrate failed');

// ------------------------------------------------------------------ listener (the gestionale)
const byMessage = new Map();
let notifications = 0;
let duplicates = 0;
let lastAt = 0;
let requests = 0;
const OK = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><cmn:EPaywsoServiceResponse xmlns:cmn="http://www.csi.it/epay/epaywso/types"><cmn:Result><cmn:Codice>000</cmn:Codice></cmn:Result></cmn:EPaywsoServiceResponse></soapenv:Body></soapenv:Envelope>`;
let resolveDone;
const done = new Promise((r) => (resolveDone = r));
const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', () => {
    requests++;
    const body = Buffer.concat(parts).toString('utf8');
    const id = /<IdMessaggio>([^<]+)<\/IdMessaggio>/.exec(body)?.[1] ?? '';
    const n = body.split('<NotificaPagamento>').length - 1;
    if (byMessage.has(id)) duplicates += n;
    else {
      byMessage.set(id, n);
      notifications += n;
      lastAt = performance.now();
      if (notifications >= COUNT) resolveDone();
    }
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(OK);
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const listenerUrl = `http://127.0.0.1:${server.address().port}/EPaywso2EntiService`;

// ------------------------------------------------------------------ data
const db = new pg.Client({ connectionString: dbUrl });
await db.connect();
const {
  rows: [ids],
} = await db.query(
  `
  with e as (insert into ente (codice_fiscale, denominazione, codice_segregazione) values ('00429440068', 'Comune di Bench', '02') returning id),
       pt as (insert into payment_type (ente_id, codice_versamento, descrizione, transfer_category) select id, 'TARI', 'Tassa rifiuti', '9/0101108TS/' from e returning id, ente_id),
       ap as (insert into application (codice_chiamante, descrizione, passphrase_enc) values ('GEST_BENCH', 'Gestionale bench', 'x') returning id),
       apt as (insert into application_payment_type (application_id, payment_type_id) select ap.id, pt.id from ap, pt),
       ep as (insert into application_endpoint (application_id, kind, url) select ap.id, 'TRASMETTI_NOTIFICHE_PAGAMENTO', $1 from ap)
  select pt.ente_id::int as ente, pt.id::int as pt from pt`,
  [listenerUrl],
);
let t0 = performance.now();
await db.query(
  `
  insert into debt_position (ente_id, payment_type_id, id_posizione_debitoria, iuv, notice_number, amount_cents, components, causale,
                             debtor_type, debtor_fiscal_code, debtor_name, debtor_surname, status)
  select $1, $2, 'B-' || g, lpad(g::text, 17, '0'), '3' || lpad(g::text, 17, '0'), 1000 + g % 100, '[{"amountCents":1000,"causale":"Quota"}]',
         'Quota', 'F', 'TSTPNI70D01L219V', 'Pino', 'Test', 'PAYABLE'
    from generate_series(1, $3) g`,
  [ids.ente, ids.pt, COUNT],
);
log(`${COUNT} positions created in ${Math.round(performance.now() - t0)} ms (untimed)`);

// ------------------------------------------------------------------ worker
const worker = spawn(process.execPath, [join(ROOT, 'bin/cassa.js'), 'start', '--role', 'worker'], {
  cwd: ROOT,
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
});
await new Promise((r) => setTimeout(r, 1500));

// ------------------------------------------------------------------ timed: receipts, then deliveries
const start = performance.now();
for (let from = 1; from <= COUNT; from += CHUNK) {
  const to = Math.min(COUNT, from + CHUNK - 1);
  await db.query(
    `
    insert into receipt (ente_id, position_id, receipt_id, primitive, outcome, notice_number, iuv, fiscal_code, amount_cents, fee_cents,
                         payment_date_time, id_psp, psp_company_name, raw_xml)
    select p.ente_id, p.id, 'rcpt-' || p.id, 'paSendRTV2', 'OK', p.notice_number, p.iuv, '00429440068', p.amount_cents, 100, now(),
           'BCITITMM', 'Banca di Prova', '<paSendRTV2Request/>'
      from generate_series($2::int, $3::int) g join debt_position p on p.ente_id = $1 and p.iuv = lpad(g::text, 17, '0')`,
    [ids.ente, from, to],
  );
}
const receiptsDone = performance.now();
log(`${COUNT} receipts committed in ${Math.round(receiptsDone - start)} ms`);
const timeout = setTimeout(() => {
  log(`timed out: ${notifications}/${COUNT} notifications received`);
  resolveDone();
}, 600_000);
await done;
clearTimeout(timeout);
const total = lastAt - start;
await new Promise((r) => setTimeout(r, 500)); // let the worker record the last answers
const {
  rows: [st],
} = await db.query(
  `select count(*) filter (where status = 'DELIVERED')::int as delivered, count(*)::int as messages, coalesce(sum(attempts), 0)::int as attempts from outbound_message`,
);
const result = {
  notifications: COUNT,
  received: notifications,
  duplicates,
  messages: byMessage.size,
  requests,
  outboundMessages: st.messages,
  attempts: st.attempts,
  receiptsInsertMs: Math.round(receiptsDone - start),
  firstReceiptToLastDeliveryMs: Math.round(total),
  lastReceiptToLastDeliveryMs: Math.round(lastAt - receiptsDone),
  notificationsPerSecond: Math.round((notifications / total) * 1000),
  messagesPerSecond: Math.round((byMessage.size / total) * 10000) / 10,
  batchWindowMs: Number(opt['window-ms']),
};
log(result);
if (opt.json) console.log(JSON.stringify(result));

worker.kill('SIGTERM');
await new Promise((r) => worker.once('exit', r));
await db.end();
server.close();
rmSync(dataDir, { recursive: true, force: true });
if (!opt.keep) await dropDatabase(require, serverUrl, dbName);
process.exit(notifications >= COUNT && duplicates === 0 ? 0 : 1);
