import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/errors.js';
import { ClaimLoop, type ClaimLoopOptions, type NextRound } from '../../src/jobs/claim-loop.js';

// The worker's claim loop (deliveries sender, notifications grouping, lists runner): rounds separated by a sleep
// that the poll or a wake-up ends, stopped cleanly, never ended by a round that fails. The poll interval here is
// an hour unless a test needs it short: what happens comes from the rounds and the wake-ups, not from the clock.

const HOUR = 3_600_000;

interface LogLine {
  level: number;
  msg: string;
  loop?: string;
}

function logSink(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n'))
        if (l.trim() !== '') lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** A round that waits until the test lets it end. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

const loops: ClaimLoop[] = [];
function loop(opts: Partial<ClaimLoopOptions> & Pick<ClaimLoopOptions, 'round'>): ClaimLoop {
  const l = new ClaimLoop({
    name: 'test loop',
    pollMs: HOUR,
    afterErrorMs: HOUR,
    errorMessage: 'test round failed',
    ...opts,
  });
  loops.push(l);
  return l;
}
afterEach(async () => {
  for (const l of loops.splice(0)) await l.stop();
});

const unavailable = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('ClaimLoop', () => {
  it('runs a first round at start, then sleeps until the poll or a wake-up', async () => {
    let rounds = 0;
    const l = loop({
      round: () => {
        rounds++;
        return Promise.resolve('after-poll');
      },
    });
    l.start();
    await vi.waitUntil(() => rounds === 1);
    l.wake();
    await vi.waitUntil(() => rounds === 2);
    l.wake();
    await vi.waitUntil(() => rounds === 3);
  });

  it('polls by itself at its interval', async () => {
    let rounds = 0;
    const l = loop({
      pollMs: 1,
      round: () => {
        rounds++;
        return Promise.resolve('after-poll');
      },
    });
    l.start();
    await vi.waitUntil(() => rounds >= 3);
  });

  it('stop waits for the round in progress, and no round starts after it', async () => {
    const g = gate();
    let rounds = 0;
    let ended = false;
    const l = loop({
      round: async () => {
        rounds++;
        await g.wait;
        ended = true;
        return 'at-once';
      },
    });
    l.start();
    await vi.waitUntil(() => rounds === 1);
    let stopped = false;
    const stopping = l.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    g.open();
    await stopping;
    expect(ended).toBe(true);
    l.wake();
    await Promise.resolve();
    expect(rounds).toBe(1);
  });

  it('stop ends the sleep at once, then waits for what the rounds left running (drain)', async () => {
    const attempt = gate();
    let drained = false;
    const l = loop({
      round: () => Promise.resolve('after-poll'),
      drain: async () => {
        await attempt.wait;
        drained = true;
      },
    });
    l.start();
    const stopping = l.stop();
    attempt.open();
    await stopping;
    expect(drained).toBe(true);
  });

  it('a wake-up during a round makes another round follow as soon as it ends', async () => {
    const first = gate();
    let rounds = 0;
    const l = loop({
      round: async () => {
        rounds++;
        if (rounds === 1) await first.wait;
        return 'after-poll';
      },
    });
    l.start();
    await vi.waitUntil(() => rounds === 1);
    l.wake();
    first.open();
    await vi.waitUntil(() => rounds === 2);
  });

  it('at-once runs the next round without waiting; when-woken waits for a wake-up, not for the poll', async () => {
    const plan: NextRound[] = ['at-once', 'at-once', 'when-woken', 'after-poll'];
    let rounds = 0;
    const l = loop({
      round: () => Promise.resolve(plan[rounds++] ?? 'after-poll'),
    });
    l.start();
    await vi.waitUntil(() => rounds === 3);
    l.wake();
    await vi.waitUntil(() => rounds === 4);
  });

  it('wakes on what it subscribes to while it runs, and unsubscribes when it stops', async () => {
    const listeners = new Set<() => void>();
    let rounds = 0;
    const l = loop({
      round: () => {
        rounds++;
        return Promise.resolve('after-poll');
      },
      wakeOn: (wake) => {
        listeners.add(wake);
        return () => listeners.delete(wake);
      },
    });
    l.start();
    await vi.waitUntil(() => rounds === 1);
    for (const w of listeners) w();
    await vi.waitUntil(() => rounds === 2);
    await l.stop();
    expect(listeners.size).toBe(0);
  });

  it('runs `parallel` rounds side by side, and a wake-up wakes each of them', async () => {
    const g = gate();
    let inRound = 0;
    let rounds = 0;
    const l = loop({
      parallel: 3,
      round: async () => {
        rounds++;
        inRound++;
        await g.wait;
        inRound--;
        return 'after-poll';
      },
    });
    l.start();
    await vi.waitUntil(() => inRound === 3);
    g.open();
    await vi.waitUntil(() => inRound === 0 && rounds === 3);
    l.wake();
    await vi.waitUntil(() => rounds === 6);
  });

  it('a round that fails is logged and does not stop the loop', async () => {
    const { logger, lines } = logSink();
    let rounds = 0;
    const l = loop({
      logger,
      round: () => {
        rounds++;
        return rounds === 1 ? Promise.reject(new Error('boom')) : Promise.resolve('after-poll');
      },
    });
    l.start();
    await vi.waitUntil(() => lines.some((x) => x.msg === 'test round failed'));
    // the error is not an outage: no pause line
    expect(lines.filter((x) => /database unavailable/.test(x.msg))).toEqual([]);
    l.wake();
    await vi.waitUntil(() => rounds === 2);
    l.wake();
    await vi.waitUntil(() => rounds === 3);
  });

  it('while the database is unavailable it pauses with one line, not one per round, and says when it resumes', async () => {
    expect(isDatabaseUnavailable(unavailable())).toBe(true);
    const { logger, lines } = logSink();
    let rounds = 0;
    const l = loop({
      name: 'lists runner',
      logger,
      // short, so that the back-off (from the poll interval, doubling) lets the failing rounds follow one another
      pollMs: 1,
      round: () => {
        rounds++;
        return rounds <= 4 ? Promise.reject(unavailable()) : Promise.resolve('after-poll');
      },
    });
    l.start();
    await vi.waitUntil(() => lines.some((x) => x.msg === 'database available again: resumed'), {
      timeout: 10_000,
    });
    expect(rounds).toBeGreaterThanOrEqual(5);
    const pauses = lines.filter((x) => x.msg === 'database unavailable: pausing and retrying with backoff');
    expect(pauses).toHaveLength(1);
    expect(pauses[0]!.loop).toBe('lists runner');
    // an outage is not a failure of the round
    expect(lines.filter((x) => x.msg === 'test round failed')).toEqual([]);
  });
});
