import type { Logger } from 'pino';
import type { ListsService } from './lists-service.js';

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

  constructor(
    private readonly lists: ListsService,
    private readonly opts: ListsRunnerOptions,
    private readonly logger: Logger,
  ) {}

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
      try {
        worked = await this.lists.processNext();
      } catch (err) {
        this.logger.error({ err }, 'list processing loop failed');
      }
      if (!worked && !this.stopped) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.opts.pollMs);
      this.sleepers.add(done);
    });
  }
}
