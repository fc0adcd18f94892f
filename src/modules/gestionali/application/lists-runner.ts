import type { Logger } from 'pino';
import type { ListsService } from './lists-service.js';
import { OutageBackoff } from '../../../db/errors.js';

export interface ListsRunnerOptions {
  /** lists processed at the same time by this process */
  concurrency: number;
  /** how often an idle loop looks for pending lists (lists stored by another process) */
  pollMs: number;
}

/**
 * The worker's loops over pending lists: each claims one list at a time (`for update skip locked`,
 * so any number of processes share the work), and sleeps when there is none until the next poll
 * or until a list is stored by this same process.
 */
export class ListsRunner {
  private stopped = false;
  private readonly sleepers = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private unsubscribe: (() => void) | undefined;
  private readonly outage: OutageBackoff;

  constructor(
    private readonly lists: ListsService,
    private readonly opts: ListsRunnerOptions,
    private readonly logger: Logger,
  ) {
    this.outage = new OutageBackoff('lists runner', logger, opts.pollMs);
  }

  start(): void {
    this.unsubscribe = this.lists.onStored(() => this.wakeAll());
    this.loops = Array.from({ length: this.opts.concurrency }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.wakeAll();
    await Promise.all(this.loops);
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let worked = false;
      let backoff: number | undefined;
      try {
        worked = await this.lists.processNext();
        this.outage.succeeded();
      } catch (err) {
        // database unreachable: every loop backs off, one line per outage; any other failure: logged
        backoff = this.outage.failed(err);
        if (backoff === undefined) this.logger.error({ err }, 'list processing loop failed');
      }
      if (!worked && !this.stopped) await this.sleep(backoff);
    }
  }

  private sleep(ms = this.opts.pollMs): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}
