/**
 * Checkpoints of the embedded database, taken by the process that owns it.
 *
 * PGlite runs PostgreSQL in single-user mode: there is no checkpointer process (so `checkpoint_timeout` never
 * fires), and the checkpoint PostgreSQL requests once `max_wal_size` of WAL has been written is skipped
 * outside a postmaster (XLogWrite asks for it only `IsUnderPostmaster`). Left alone, the embedded database
 * takes a checkpoint only when it is closed: while Cassa runs, pg_wal grows without bound, and after a crash
 * (kill -9, an out-of-memory kill) the next start replays every WAL record written since the last start
 * before it answers anything, longer the longer Cassa had run (17-19 s after 2 million positions, 2.3 GB of
 * WAL, against 2-2.5 s for a clean start: docs/operations.md).
 *
 * So the owner asks for one: every `checkEveryMs` it reads how much WAL was written since the last
 * checkpoint's redo point, and runs CHECKPOINT when that is at least `maxWalBytes`, or when anything was
 * written and `maxAgeMs` have passed. A crash then leaves at most about `maxWalBytes` plus `checkEveryMs` of
 * writes to replay. A checkpoint writes the dirty pages out (no fsync: PGlite runs with fsync off) and holds
 * the database meanwhile, some tens of milliseconds under load.
 */

/** The part of PGlite the checkpoints need. */
export interface CheckpointTarget {
  query(text: string): Promise<{ rows: Record<string, unknown>[] }>;
  exec(text: string): Promise<unknown>;
}

export interface CheckpointPolicy {
  checkEveryMs: number;
  maxWalBytes: number;
  maxAgeMs: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = {
  checkEveryMs: 5_000,
  maxWalBytes: 32 * 1024 * 1024,
  maxAgeMs: 60_000,
};

/** WAL written after the last checkpoint's redo point beyond the checkpoint record itself: something to checkpoint. */
const NOTHING_WRITTEN_BYTES = 4096;

export class PgliteCheckpoints {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastAt = Date.now();
  /** Checkpoints taken, and the last one's duration (ms): for whoever wants to look. */
  taken = 0;
  lastDurationMs = 0;

  constructor(
    private readonly db: CheckpointTarget,
    private readonly policy: CheckpointPolicy = DEFAULT_CHECKPOINT_POLICY,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.policy.checkEveryMs);
    this.timer.unref();
  }

  /** Stops the checks, waiting for a checkpoint in progress (the database is closed next). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One check: a checkpoint if enough WAL, or old enough WAL, has accumulated. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.checkpointIfDue()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
      });
    await this.running;
  }

  private async checkpointIfDue(): Promise<void> {
    const { rows } = await this.db.query(
      'select pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::float8 as wal from pg_control_checkpoint()',
    );
    const wal = Number(rows[0]?.wal ?? 0);
    const due =
      wal >= this.policy.maxWalBytes ||
      (wal > NOTHING_WRITTEN_BYTES && Date.now() - this.lastAt >= this.policy.maxAgeMs);
    if (!due) return;
    const t0 = Date.now();
    await this.db.exec('checkpoint');
    this.lastAt = Date.now();
    this.lastDurationMs = this.lastAt - t0;
    this.taken++;
  }
}
