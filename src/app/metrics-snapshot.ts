import type { Database } from '../db/database.js';

/** What the metrics read from the database at scrape time: the same on every instance (alert on max()). */
export interface MetricsSnapshot {
  /** outbound messages not delivered, by status and operation, with the age of the oldest (seconds) */
  deliveries: { status: string; operation: string; n: number; age: number }[];
  /** notifications not yet grouped into a message (id_messaggio null) nor FAILED, by kind */
  notifications: { kind: string; n: number; age: number }[];
  /** FAILED notifications (0008_notification_failures.sql) not released by an operator, by kind */
  notificationsFailed: { kind: string; n: number }[];
  /** lists DA_ELABORARE (with the age of the oldest) and ERRORE_IN_FASE_DI_ELABORAZIONE, by kind */
  lists: { kind: string; status: string; n: number; age: number }[];
  /** receipts with an anomaly, all time */
  anomalies: { anomaly: string; n: number }[];
  /** mass-printing jobs waiting and running */
  printJobs: { queued: number; running: number };
}

/**
 * One statement for every figure, each part served by a partial or status index: outbound_message_due
 * (status <> 'DELIVERED'), gestionale_notification_pending (id_messaggio is null and failed_at is null),
 * gestionale_notification_failed (failed_at is not null and released_at is null), load_list_status and
 * receipt_anomaly (anomaly is not null), print_job_active (QUEUED, RUNNING). Delivered messages and grouped notifications, which grow without
 * end, are never counted. The result travels as JSON text, read the same way by both drivers.
 */
const SNAPSHOT_SQL = `
select json_build_object(
  'deliveries', (select coalesce(json_agg(d), '[]'::json) from (
      select status, operation, count(*)::int as n, extract(epoch from (clock_timestamp() - min(created_at)))::float8 as age
        from outbound_message where status <> 'DELIVERED' group by status, operation) d),
  'notifications', (select coalesce(json_agg(g), '[]'::json) from (
      select kind, count(*)::int as n, extract(epoch from (clock_timestamp() - min(created_at)))::float8 as age
        from gestionale_notification where id_messaggio is null and failed_at is null group by kind) g),
  'notificationsFailed', (select coalesce(json_agg(f), '[]'::json) from (
      select kind, count(*)::int as n from gestionale_notification where failed_at is not null and released_at is null group by kind) f),
  'lists', (select coalesce(json_agg(l), '[]'::json) from (
      select kind, status, count(*)::int as n, extract(epoch from (clock_timestamp() - min(received_at)))::float8 as age
        from load_list where status in ('DA_ELABORARE', 'ERRORE_IN_FASE_DI_ELABORAZIONE') group by kind, status) l),
  'anomalies', (select coalesce(json_agg(a), '[]'::json) from (
      select anomaly, count(*)::int as n from receipt where anomaly is not null group by anomaly) a),
  'printJobs', (select json_build_object('queued', count(*) filter (where status = 'QUEUED'),
      'running', count(*) filter (where status = 'RUNNING')) from print_job where status in ('QUEUED', 'RUNNING'))
)::text as snapshot`;

export async function readMetricsSnapshot(db: Database): Promise<MetricsSnapshot> {
  const { rows } = await db.executeSql(SNAPSHOT_SQL, []);
  const row = rows[0] as { snapshot?: unknown } | undefined;
  const snap = JSON.parse(String(row?.snapshot)) as MetricsSnapshot;
  // ages can come back slightly negative (clock_timestamp vs. a row's now() of a still-open transaction)
  for (const part of [snap.deliveries, snap.notifications, snap.lists])
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- parsed JSON, typed by a cast: a guard, not a conversion
    for (const r of part) r.age = Math.max(0, Number(r.age) || 0);
  return snap;
}
