import { createRequire } from 'node:module';
import PgBoss from 'pg-boss';
import type { Container } from '../app/container.js';
import { OutageBackoff } from '../db/errors.js';

const PGBOSS_SCHEMA = 'pgboss';
// pg-boss's own statements for completing and failing jobs (its plans module: the exact texts it sends)
const pgBossPlans = createRequire(import.meta.url)('pg-boss/src/plans.js') as {
  completeJobs(schema: string): string;
  failJobsById(schema: string): string;
};
const UNAWAITED_BY_PGBOSS = new Set([
  pgBossPlans.completeJobs(PGBOSS_SCHEMA),
  pgBossPlans.failJobsById(PGBOSS_SCHEMA),
]);

export const JOBS = {
  sweepCalendar: 'debt-positions.sweep-calendar',
  housekeeping: 'portal.housekeeping',
} as const;

/**
 * How long a position the Sportello marked as awaiting its receipt (Checkout said ok) stays so
 * before it is payable again: pagoPA's payment token lives 30 minutes and a receipt normally follows
 * within seconds; a receipt that still comes later pays the position all the same.
 */
export const AWAITING_RECEIPT_MAX_MS = 60 * 60 * 1000;

export interface Worker {
  boss: PgBoss;
  stop(): Promise<void>;
}

/**
 * The worker role: pg-boss queues and schedules on Cassa's own database (PGlite through pg-boss's
 * `db` adapter, or PostgreSQL), so that any number of worker processes share the work through
 * PostgreSQL alone. Jobs only call application services: no business logic lives here.
 */
export async function startWorker(
  c: Container,
  opts: { pollingIntervalSeconds?: number } = {},
): Promise<Worker> {
  c.metrics.markRole('worker');
  const outage = new OutageBackoff('job queue', c.logger, 1_000);
  const boss = new PgBoss({
    db: {
      executeSql: async (text: string, values?: unknown[]) => {
        try {
          const r = await c.db.executeSql(text, values);
          outage.succeeded();
          return r;
        } catch (err) {
          // pg-boss 10 completes and fails a worker's jobs without awaiting the promise (manager.js, onFetch):
          // rejected while the database is down, it would be an unhandled rejection, which ends the process.
          // The job stays active; pg-boss expires and retries it (retryLimit), and Cassa's jobs are idempotent.
          if (UNAWAITED_BY_PGBOSS.has(text) && outage.failed(err) !== undefined)
            return { rows: [{ count: 0 }] };
          throw err;
        }
      },
    },
    schema: PGBOSS_SCHEMA,
    // pg-boss's own maintenance and monitoring (archiving, expiring) run in every worker
    supervise: true,
    schedule: true,
  });
  // pg-boss reports its loops' failures here (maintenance, schedules, workers), then retries on its own
  // intervals: while the database is unreachable that is one line per outage, not one per attempt
  boss.on('error', (err) => {
    if (outage.failed(err) === undefined) c.logger.error({ err }, 'job queue error');
  });
  await boss.start();

  // A scheduled job: one run at a time across the workers (singleton), retried with backoff, on Rome's clock.
  const scheduled = async (name: string, cron: string, run: () => Promise<void>) => {
    await boss.createQueue(name, {
      name,
      policy: 'singleton',
      retryLimit: 3,
      retryDelay: 30,
      retryBackoff: true,
    });
    await boss.schedule(name, cron, {}, { tz: 'Europe/Rome' });
    await boss.work(name, { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 5 }, run);
  };

  // Calendar-driven transitions (activation at validity start, expiry after validity end) are
  // applied on read at once; this sweep records them in the stored status and its history.
  await scheduled(JOBS.sweepCalendar, '* * * * *', async () => {
    const n = await c.debtPositions.sweepCalendarTransitions();
    if (n > 0) c.logger.info({ transitions: n }, 'calendar transitions recorded');
  });

  // Every few minutes: positions whose receipt never came back are payable again; expired Sportello
  // sessions and captcha records are removed.
  await scheduled(JOBS.housekeeping, '*/5 * * * *', async () => {
    const released = await c.debtPositions.releaseStaleAwaitingReceipt(AWAITING_RECEIPT_MAX_MS);
    const purged = await c.portal.purgeExpired();
    // rate-limit counters whose window is over, known addresses of the gestionali past their time
    const limits = await c.authThrottle.purgeExpired();
    // print jobs past their retention (CASSA_PRINT_RETENTION_DAYS) lose their file
    const printJobs = await c.printJobs.purgeExpired();
    if (released > 0 || purged > 0 || limits > 0 || printJobs > 0)
      c.logger.info({ released, purged, limits, printJobs }, 'housekeeping done');
  });

  // Outbound deliveries to the gestionali, the grouping of notifications and the liste di carico are not pg-boss
  // jobs but claim loops on their own tables (for update skip locked; docs/decisions/0005-claim-loops-and-pg-boss.md):
  // a message is due at a time of its own (backoff), idle polling is one indexed query every CASSA_DELIVERY_POLL_MS,
  // and a message goes out within that interval of being enqueued (see docs/gestionali.md "Notifiche").
  c.loops.notifications.start();
  c.loops.deliveries.start();
  c.loops.lists.start();
  c.loops.printJobs.start();

  return {
    boss,
    stop: async () => {
      await c.loops.printJobs.stop();
      await c.loops.lists.stop();
      await c.loops.notifications.stop();
      await c.loops.deliveries.stop();
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    },
  };
}
