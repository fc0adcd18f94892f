import type { Logger } from 'pino';
import type { DeliverySender } from '../modules/gestionali/application/deliveries.js';
import type { NotificationsService } from '../modules/gestionali/application/notifications.js';
import type { ListsService } from '../modules/gestionali/application/lists-service.js';
import type { PrintJobsService } from '../modules/printing/application/print-jobs.js';
import { ClaimLoop } from './claim-loop.js';

/**
 * The worker's claim loops (docs/decisions/0005-claim-loops-and-pg-boss.md): work that lives in a table of its own,
 * claimed with `for update skip locked` so that any number of worker processes share it. Each loop only calls an
 * application service; the loop itself (poll, wake-up, outage back-off, stop) is ClaimLoop.
 */
export interface WorkerLoops {
  /** Outbound messages to the gestionali (per-endpoint fairness, FAILING, replay). */
  deliveries: ClaimLoop;
  /** Payment and expiry notifications grouped into messages once their batching window has passed. */
  notifications: ClaimLoop;
  /** Liste di carico waiting to be processed. */
  lists: ClaimLoop;
  /** Mass printing jobs (docs/printing.md "Mass printing"). */
  printJobs: ClaimLoop;
}

/**
 * The deliveries sender: idle, one indexed query every `pollMs`; with every slot busy it waits for one to free
 * (an attempt ending wakes it); a claim that fails for another reason than an outage waits four polls. Stopping
 * waits for the attempts in flight.
 */
export function deliveriesLoop(sender: DeliverySender, pollMs: number, logger?: Logger): ClaimLoop {
  return new ClaimLoop({
    name: 'deliveries sender',
    round: async () => ((await sender.dispatchDue()).slotsFull ? 'when-woken' : 'after-poll'),
    pollMs,
    afterErrorMs: pollMs * 4,
    errorMessage: 'delivery claim failed',
    wakeOn: (wake) => sender.onSlotFreed(wake),
    drain: () => sender.settled(),
    logger,
  });
}

/**
 * The notifications grouping: every `pollMs` it flushes every due group; after a failure that is not an outage it
 * waits longer before the next look (20 polls, at least 5 s).
 */
export function notificationsLoop(
  notifications: NotificationsService,
  pollMs: number,
  logger?: Logger,
): ClaimLoop {
  return new ClaimLoop({
    name: 'notifications grouping',
    round: async () => {
      await notifications.groupDue();
      return 'after-poll';
    },
    pollMs,
    afterErrorMs: Math.max(pollMs * 20, 5_000),
    errorMessage: 'grouping notifications failed; retried',
    logger,
  });
}

/**
 * The lists runner: `concurrency` loops, each processing one list at a time and taking the next at once; idle,
 * they look again every `pollMs`, or as soon as this process stores a list.
 */
export function listsLoop(
  lists: ListsService,
  opts: { concurrency: number; pollMs: number },
  logger?: Logger,
): ClaimLoop {
  return new ClaimLoop({
    name: 'lists runner',
    round: async () => ((await lists.processNext()) ? 'at-once' : 'after-poll'),
    pollMs: opts.pollMs,
    afterErrorMs: opts.pollMs,
    errorMessage: 'list processing loop failed',
    parallel: opts.concurrency,
    wakeOn: (wake) => lists.onStored(wake),
    logger,
  });
}

/**
 * The print jobs: one job at a time per process (rendering takes a core), the next at once; idle, a look every
 * `pollMs` or as soon as this process creates a job. Stopping ends the job in progress after its current batch
 * and hands it back, so that another worker (or this one, restarted) goes on with it.
 */
export function printJobsLoop(jobs: PrintJobsService, pollMs: number, logger?: Logger): ClaimLoop {
  const loop: ClaimLoop = new ClaimLoop({
    name: 'print jobs',
    round: async () => ((await jobs.runNext(() => loop.stopping)) ? 'at-once' : 'after-poll'),
    pollMs,
    afterErrorMs: Math.max(pollMs, 5_000),
    errorMessage: 'print job loop failed',
    wakeOn: (wake) => jobs.onCreated(wake),
    logger,
  });
  return loop;
}
