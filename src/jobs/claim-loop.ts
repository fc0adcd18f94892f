import type { Logger } from 'pino';
import { OutageBackoff } from '../db/errors.js';

/**
 * When a loop's next round runs, as its last round found things:
 * - `after-poll`: nothing more to do now; after the poll interval, or sooner when woken;
 * - `at-once`: it did some work and more may be waiting; at once;
 * - `when-woken`: this process has no capacity left (every slot busy); when woken (a slot frees, stop).
 */
export type NextRound = 'after-poll' | 'at-once' | 'when-woken';

export interface ClaimLoopOptions {
  /** The loop's name in the outage log lines ('deliveries sender', 'lists runner', 'notifications grouping'). */
  name: string;
  /** One round: claims work from its table (`for update skip locked`) and does it, or starts it. */
  round: () => Promise<NextRound>;
  /** How often an idle loop looks again (work stored by another process); also the first outage back-off. */
  pollMs: number;
  /** The wait after a round that failed for another reason than the database being unavailable. */
  afterErrorMs: number;
  /** Logged with the error of such a round. */
  errorMessage: string;
  /** Loops running rounds side by side in this process (default 1); they share wake-ups and the outage state. */
  parallel?: number;
  /** Subscribes to what should wake the loop before its poll (a list stored, a slot freed); returns the unsubscribe. */
  wakeOn?: (wake: () => void) => () => void;
  /** What stop waits for after the last round: work the rounds started and did not await (attempts in flight). */
  drain?: () => Promise<void>;
  logger?: Logger;
}

/** One of the loops running rounds: whether it sleeps (and how to end the sleep), or was woken during a round. */
interface Runner {
  sleeping: (() => void) | undefined;
  woken: boolean;
}

/**
 * The worker's claim loop, written once: rounds over a table of work that any number of processes share through
 * PostgreSQL (each round claims with `for update skip locked`), with a sleep between them that a poll timer or a
 * wake-up ends. A round that fails does not stop the loop: while the database is unavailable it backs off (from
 * `pollMs`, doubling, up to 5 s) with one log line when the outage starts and one when it ends (OutageBackoff);
 * any other failure is logged and the loop tries again after `afterErrorMs`.
 */
export class ClaimLoop {
  private running = false;
  private finished: Promise<unknown> = Promise.resolve();
  private readonly runners = new Set<Runner>();
  private unsubscribe: (() => void) | undefined;
  private readonly outage: OutageBackoff;

  constructor(private readonly opts: ClaimLoopOptions) {
    this.outage = new OutageBackoff(opts.name, opts.logger, opts.pollMs);
  }

  /** True once `stop` was called (until the next start): a long round ends early at its next safe point. */
  get stopping(): boolean {
    return !this.running;
  }

  /** Starts the loops (a second call while they run does nothing). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.opts.wakeOn?.(() => {
      this.wake();
    });
    this.finished = Promise.all(Array.from({ length: this.opts.parallel ?? 1 }, () => this.run()));
  }

  /** Stops: no round starts any more; waits for the rounds in progress, then for what `drain` waits for. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.wake();
    await this.finished;
    await this.opts.drain?.();
  }

  /**
   * Runs the next round now instead of at the next poll: a sleeping loop wakes; a loop in the middle of a round
   * runs another one as soon as it ends (work that arrived during the round may not have been seen by its claim).
   */
  wake(): void {
    for (const r of this.runners) {
      if (r.sleeping) r.sleeping();
      else r.woken = true;
    }
  }

  private async run(): Promise<void> {
    const r: Runner = { sleeping: undefined, woken: false };
    this.runners.add(r);
    try {
      while (this.running) {
        // a wake-up that came before this round is answered by it
        r.woken = false;
        let wait: number;
        try {
          const next = await this.opts.round();
          this.outage.succeeded();
          wait = next === 'at-once' ? 0 : next === 'when-woken' ? Number.POSITIVE_INFINITY : this.opts.pollMs;
        } catch (err) {
          // the database unreachable: back off, one line per outage; any other failure: logged, tried again later
          const backoff = this.outage.failed(err);
          if (backoff === undefined) this.opts.logger?.error({ err }, this.opts.errorMessage);
          wait = backoff ?? this.opts.afterErrorMs;
        }
        if (wait > 0) await this.sleep(r, wait);
      }
    } finally {
      this.runners.delete(r);
    }
  }

  /** Sleeps `ms`, unless the loop was stopped or woken during the round that just ended. */
  private sleep(r: Runner, ms: number): Promise<void> {
    if (r.woken || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        r.sleeping = undefined;
        resolve();
      };
      // no timer for `when-woken`: only a wake-up (or stop) ends that sleep
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      r.sleeping = done;
    });
  }
}
