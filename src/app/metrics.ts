import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import { DELIVERY_OPERATIONS, DELIVERY_STATUSES } from '../modules/gestionali/domain/deliveries.js';
import type { ListKind } from '../modules/gestionali/domain/lists.js';
import type { NotificationKind } from '../modules/gestionali/infra/notifications-repository.js';
import type { ReceiptAnomaly, ReceiptPrimitive } from '../modules/pagopa/domain/receipt.js';
import { projectPath } from '../shared/paths.js';
import { readMetricsSnapshot, type MetricsSnapshot } from './metrics-snapshot.js';

/**
 * Cassa's Prometheus metrics (prom-client), one registry per container: tests build several containers in
 * one process, and the global registry would mix them. Other modules reach the counters through the typed
 * accessors below; the gauges read from the database are computed at scrape time with one query (see
 * metrics-snapshot.ts) and a database that does not answer is reported as `cassa_database_up 0`, never as a
 * failed scrape. Every label value is bounded: protocol codes, operation names, statuses, never IUVs,
 * fiscal codes or anything a caller typed. The list of metrics and example alerts: docs/operations.md.
 */

/** A label value from a bounded vocabulary: anything else (too long, odd characters) becomes "other". */
const LABEL = /^[A-Za-z0-9_:.-]{1,40}$/;
/** Operation names are route patterns or protocol operations (`GET /enti/:cf`, `paSendRTV2`). */
const OPERATION = /^[A-Za-z0-9_:./{}* -]{1,80}$/;
/** At most this many (interface, operation) pairs: beyond, new pairs count under operation "other". */
const MAX_OPERATIONS = 500;

export function boundedLabel(value: string | undefined, pattern: RegExp = LABEL): string {
  return value !== undefined && pattern.test(value) ? value : 'other';
}

const NON_DELIVERED = DELIVERY_STATUSES.filter((s) => s !== 'DELIVERED');
const NOTIFICATION_KINDS = ['PAYMENT', 'EXPIRED'] as const satisfies readonly NotificationKind[];
const LIST_KINDS = ['INSERIMENTO', 'AGGIORNAMENTO'] as const satisfies readonly ListKind[];
const RECEIPT_ANOMALIES = [
  'DOUBLE_PAYMENT',
  'POSITION_CANCELLED',
  'POSITION_EXPIRED',
  'POSITION_NOT_YET_ACTIVE',
  'AMOUNT_MISMATCH',
  'UNKNOWN_POSITION',
  'DOCUMENT_PLAN_CONFLICT',
] as const satisfies readonly ReceiptAnomaly[];

export interface MetricsOptions {
  logger?: Logger | undefined;
  /** Process metrics (prom-client's default metrics: CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
  /** A scrape reuses the database figures read less than this long ago (default 0: only a read still in progress). */
  snapshotTtlMs?: number;
  /** Beyond this the database counts as down for the scrape (default 5 s). */
  queryTimeoutMs?: number;
}

export type Role = 'web' | 'worker';

export class Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  /** Inbound calls by interface, operation and outcome (the journal's; unjournaled routes under interface "other"). */
  readonly requests: Counter<'interface' | 'operation' | 'outcome'>;
  readonly requestDuration: Histogram<'interface' | 'operation'>;
  /** Receipts (paSendRT / paSendRTV2) stored anew, by primitive, outcome and anomaly ("none" without). */
  readonly receiptsStored: Counter<'primitive' | 'outcome' | 'anomaly'>;
  /** Audit journal events given up (not written, and never will be): the failures and the events. */
  readonly journalWriteFailures: Counter;
  readonly journalLostEvents: Counter;

  private readonly info: Gauge<'version' | 'role' | 'database'>;
  private readonly version: string;
  private readonly roles = new Set<Role>();
  private readonly operations = new Set<string>();

  // figures read from the database at scrape time
  private readonly databaseUp: Gauge;
  private readonly deliveries: Gauge<'status' | 'operation'>;
  private readonly deliveriesOldestAge: Gauge<'operation'>;
  private readonly notificationsPending: Gauge<'kind'>;
  private readonly notificationsPendingOldestAge: Gauge<'kind'>;
  /** FAILED notifications (migration 0008: failed_at set, not released): they wait for an operator. */
  private readonly notificationsFailed: Gauge<'kind'>;
  private readonly listsPending: Gauge<'kind'>;
  private readonly listsPendingOldestAge: Gauge<'kind'>;
  private readonly listsFailed: Gauge<'kind'>;
  private readonly receiptsWithAnomaly: Gauge<'anomaly'>;
  private readonly dbGauges: Gauge[] = [];

  private readonly snapshotTtlMs: number;
  private readonly queryTimeoutMs: number;
  private snapshot: Promise<void> | undefined;
  private snapshotPending = false;
  private snapshotAt = 0;
  /** the query of an earlier scrape that has not come back yet (a hanging database): not queried again */
  private queryInFlight = false;
  private lastUp: boolean | undefined;

  constructor(
    private readonly db: Database,
    private readonly opts: MetricsOptions = {},
  ) {
    this.snapshotTtlMs = opts.snapshotTtlMs ?? 0;
    this.queryTimeoutMs = opts.queryTimeoutMs ?? 5000;
    this.version = packageVersion();
    const registers = [this.registry];
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });

    this.info = new Gauge({
      name: 'cassa_info',
      help: 'Always 1: the version, role (web, worker, all) and database kind (pglite, postgres) of this process',
      labelNames: ['version', 'role', 'database'],
      registers,
    });
    this.setInfo();

    this.requests = new Counter({
      name: 'cassa_requests_total',
      help: 'Inbound calls by interface, operation and outcome (the protocol code the journal records; the HTTP status otherwise)',
      labelNames: ['interface', 'operation', 'outcome'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'cassa_request_duration_seconds',
      help: 'Time to answer an inbound call, by interface and operation',
      labelNames: ['interface', 'operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.receiptsStored = new Counter({
      name: 'cassa_receipts_stored_total',
      help: 'pagoPA receipts stored anew (duplicates excluded) by primitive, receipt outcome and anomaly ("none" without)',
      labelNames: ['primitive', 'outcome', 'anomaly'],
      registers,
    });
    this.journalWriteFailures = new Counter({
      name: 'cassa_audit_journal_write_failures_total',
      help: 'Writes of the audit journal that failed for good (their events given up)',
      registers,
    });
    this.journalLostEvents = new Counter({
      name: 'cassa_audit_journal_lost_events_total',
      help: 'Audit journal events given up: not written, and never will be',
      registers,
    });

    const refresh = () => this.refresh();
    // A figure of the scrape query's snapshot: collected by refresh(), and reset before each snapshot is applied.
    const dbGauge = <L extends string>(config: { name: string; help: string; labelNames: readonly L[] }) => {
      const gauge = new Gauge({ ...config, registers, collect: refresh });
      this.dbGauges.push(gauge);
      return gauge;
    };
    this.databaseUp = new Gauge({
      name: 'cassa_database_up',
      help: '1 when the database answered the scrape query, 0 otherwise (the other database figures are then absent)',
      registers,
      collect: refresh,
    });
    this.deliveries = dbGauge({
      name: 'cassa_deliveries',
      help: 'Outbound messages to the gestionali not delivered yet, by status (PENDING, SENDING, FAILING) and operation',
      labelNames: ['status', 'operation'],
    });
    this.deliveriesOldestAge = dbGauge({
      name: 'cassa_deliveries_oldest_age_seconds',
      help: 'Age of the oldest outbound message not delivered yet, by operation (0 when none)',
      labelNames: ['operation'],
    });
    this.notificationsPending = dbGauge({
      name: 'cassa_notifications_pending',
      help: 'Payment / expiry notifications not yet grouped into a message for the gestionali, by kind',
      labelNames: ['kind'],
    });
    this.notificationsPendingOldestAge = dbGauge({
      name: 'cassa_notifications_pending_oldest_age_seconds',
      help: 'Age of the oldest notification not yet grouped into a message, by kind (0 when none)',
      labelNames: ['kind'],
    });
    this.notificationsFailed = dbGauge({
      name: 'cassa_notifications_failed',
      help: 'Notifications FAILED (left out of grouping until an operator replays or releases them), by kind',
      labelNames: ['kind'],
    });
    this.listsPending = dbGauge({
      name: 'cassa_lists_pending',
      help: 'Liste di carico stored and not processed yet (DA_ELABORARE), by kind',
      labelNames: ['kind'],
    });
    this.listsPendingOldestAge = dbGauge({
      name: 'cassa_lists_pending_oldest_age_seconds',
      help: 'Age of the oldest lista di carico not processed yet, by kind (0 when none)',
      labelNames: ['kind'],
    });
    this.listsFailed = dbGauge({
      name: 'cassa_lists_failed',
      help: 'Liste di carico whose processing failed (ERRORE_IN_FASE_DI_ELABORAZIONE), by kind',
      labelNames: ['kind'],
    });
    this.receiptsWithAnomaly = dbGauge({
      name: 'cassa_receipts_with_anomaly',
      help: 'Receipts stored with an anomaly for an operator, all time, by anomaly',
      labelNames: ['anomaly'],
    });

    const pool = db.poolStats?.bind(db);
    if (pool) {
      new Gauge({
        name: 'cassa_database_pool_clients',
        help: 'Connections the PostgreSQL pool holds, busy or idle',
        registers,
        collect() {
          this.set(pool().total);
        },
      });
      new Gauge({
        name: 'cassa_database_pool_idle_clients',
        help: 'Idle connections in the PostgreSQL pool',
        registers,
        collect() {
          this.set(pool().idle);
        },
      });
      new Gauge({
        name: 'cassa_database_pool_waiting_requests',
        help: 'Queries waiting for a connection of the PostgreSQL pool',
        registers,
        collect() {
          this.set(pool().waiting);
        },
      });
    }
    const connections = db.connections;
    if (connections) {
      let seen = 0;
      new Counter({
        name: 'cassa_database_connection_errors_total',
        help: 'PostgreSQL connections of the pool lost to an error (server restart, failover, network): each is replaced on demand',
        registers,
        collect() {
          if (connections.lost > seen) this.inc(connections.lost - seen);
          seen = connections.lost;
        },
      });
    }
  }

  /** Records one inbound call; the label values are bounded here (see boundedLabel). */
  observeRequest(r: { interface: string; operation: string; outcome: string; seconds: number }): void {
    const iface = boundedLabel(r.interface);
    let operation = boundedLabel(r.operation, OPERATION);
    const key = `${iface} ${operation}`;
    if (!this.operations.has(key)) {
      if (this.operations.size >= MAX_OPERATIONS) operation = 'other';
      else this.operations.add(key);
    }
    this.requests.inc({ interface: iface, operation, outcome: boundedLabel(r.outcome) });
    this.requestDuration.observe({ interface: iface, operation }, Math.max(0, r.seconds));
  }

  receiptStored(r: { primitive: ReceiptPrimitive; outcome: string; anomaly: ReceiptAnomaly | null }): void {
    this.receiptsStored.inc({
      primitive: r.primitive,
      outcome: boundedLabel(r.outcome),
      anomaly: r.anomaly ?? 'none',
    });
  }

  /** The journal's onWriteFailure: `events` were given up. */
  journalWriteFailed(events: number): void {
    this.journalWriteFailures.inc();
    if (events > 0) this.journalLostEvents.inc(events);
  }

  /** The role this process plays, for cassa_info: a process that is both web and worker reports "all". */
  markRole(role: Role): void {
    this.roles.add(role);
    this.setInfo();
  }

  /** The Prometheus text exposition of every metric of this container. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private setInfo(): void {
    const role = this.roles.size === 2 ? 'all' : ([...this.roles][0] ?? 'none');
    this.info.reset();
    this.info.set({ version: this.version, role, database: this.db.kind }, 1);
  }

  /**
   * One database query per scrape: the registry starts every metric's collect at once, and every database
   * gauge awaits the same read while it is in progress (so concurrent scrapes share it too).
   */
  private refresh(): Promise<void> {
    if (this.snapshot && (this.snapshotPending || Date.now() - this.snapshotAt < this.snapshotTtlMs))
      return this.snapshot;
    this.snapshotPending = true;
    this.snapshot = this.load().finally(() => {
      this.snapshotPending = false;
      this.snapshotAt = Date.now();
    });
    return this.snapshot;
  }

  private async load(): Promise<void> {
    let snap: MetricsSnapshot | undefined;
    let error: unknown;
    if (this.queryInFlight) error = new Error('the previous scrape query has not come back');
    else {
      this.queryInFlight = true;
      const query = readMetricsSnapshot(this.db).finally(() => {
        this.queryInFlight = false;
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer in ${this.queryTimeoutMs} ms`)),
          this.queryTimeoutMs,
        );
      });
      try {
        snap = await Promise.race([query, timeout]);
      } catch (err) {
        error = err;
        query.catch(() => undefined);
      } finally {
        clearTimeout(timer);
      }
    }
    for (const g of this.dbGauges) g.reset();
    if (!snap) {
      this.databaseUp.set(0);
      if (this.lastUp !== false)
        this.opts.logger?.warn({ err: error }, 'metrics: the database did not answer the scrape query');
      this.lastUp = false;
      return;
    }
    this.databaseUp.set(1);
    this.lastUp = true;
    this.apply(snap);
  }

  private apply(s: MetricsSnapshot): void {
    for (const operation of DELIVERY_OPERATIONS) {
      this.deliveriesOldestAge.set({ operation }, 0);
      for (const status of NON_DELIVERED) this.deliveries.set({ status, operation }, 0);
    }
    const oldest = new Map<string, number>();
    for (const d of s.deliveries) {
      const labels = { status: boundedLabel(d.status), operation: boundedLabel(d.operation) };
      this.deliveries.inc(labels, d.n);
      oldest.set(labels.operation, Math.max(oldest.get(labels.operation) ?? 0, d.age));
    }
    for (const [operation, age] of oldest) this.deliveriesOldestAge.set({ operation }, age);

    for (const kind of NOTIFICATION_KINDS) {
      this.notificationsPending.set({ kind }, 0);
      this.notificationsPendingOldestAge.set({ kind }, 0);
      this.notificationsFailed.set({ kind }, 0);
    }
    for (const n of s.notifications) {
      const kind = boundedLabel(n.kind);
      this.notificationsPending.set({ kind }, n.n);
      this.notificationsPendingOldestAge.set({ kind }, n.age);
    }
    for (const n of s.notificationsFailed) this.notificationsFailed.set({ kind: boundedLabel(n.kind) }, n.n);

    for (const kind of LIST_KINDS) {
      this.listsPending.set({ kind }, 0);
      this.listsPendingOldestAge.set({ kind }, 0);
      this.listsFailed.set({ kind }, 0);
    }
    for (const l of s.lists) {
      const kind = boundedLabel(l.kind);
      if (l.status === 'DA_ELABORARE') {
        this.listsPending.set({ kind }, l.n);
        this.listsPendingOldestAge.set({ kind }, l.age);
      } else this.listsFailed.set({ kind }, l.n);
    }

    for (const anomaly of RECEIPT_ANOMALIES) this.receiptsWithAnomaly.set({ anomaly }, 0);
    for (const a of s.anomalies) this.receiptsWithAnomaly.set({ anomaly: boundedLabel(a.anomaly) }, a.n);
  }
}

let cachedVersion: string | undefined;
function packageVersion(): string {
  if (cachedVersion === undefined) {
    try {
      cachedVersion = boundedLabel(
        (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version?: string }).version,
      );
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}
