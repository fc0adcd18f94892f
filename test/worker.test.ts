import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOBS, startWorker, type Worker } from '../src/jobs/worker.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { createEnteWithCaller, draft } from './helpers/fixtures.js';

let now = new Date('2026-03-10T10:00:00Z');
let t: TestApp;
let worker: Worker;
beforeAll(async () => {
  t = await buildTestApp({ clock: () => now });
  worker = await startWorker(t.c, { pollingIntervalSeconds: 0.5 });
});
afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

async function storedStatus(iuv: string) {
  const r = await t.c.db.executeSql('select status from debt_position where iuv = $1', [iuv]);
  return r.rows[0].status as string;
}

describe('worker: calendar transitions', () => {
  it('schedules the sweep every minute', async () => {
    const r = await t.c.db.executeSql('select name, cron from pgboss.schedule');
    expect(r.rows).toContainEqual(expect.objectContaining({ name: JOBS.sweepCalendar, cron: '* * * * *' }));
  });

  it('activates positions on their validity start and expires them after their validity end, with history', async () => {
    const { ctx } = await createEnteWithCaller(t.c);
    const later = await t.c.debtPositions.create(
      ctx,
      draft({ idPosizioneDebitoria: 'LATER', validFrom: '2026-03-12', validTo: '2026-03-20' }),
    );
    const soon = await t.c.debtPositions.create(
      ctx,
      draft({ idPosizioneDebitoria: 'SOON', validTo: '2026-03-11' }),
    );
    expect(await storedStatus(later.iuv)).toBe('NOT_YET_ACTIVE');
    expect(await storedStatus(soon.iuv)).toBe('PAYABLE');

    now = new Date('2026-03-12T08:00:00Z');
    // reads apply the calendar at once, before any sweep
    expect((await t.c.debtPositions.status(ctx, later.iuv)).code).toBe('1');
    expect((await t.c.debtPositions.status(ctx, soon.iuv)).code).toBe('4');

    await worker.boss.send(JOBS.sweepCalendar, {});
    await expect.poll(() => storedStatus(soon.iuv), { timeout: 15_000, interval: 200 }).toBe('EXPIRED');
    expect(await storedStatus(later.iuv)).toBe('PAYABLE');
    const h = await t.c.db.executeSql(
      `select p.iuv, h.from_status, h.to_status, h.actor from debt_position_status_history h join debt_position p on p.id = h.position_id where p.iuv = any($1) and h.actor = 'system' order by h.id`,
      [[later.iuv, soon.iuv]],
    );
    expect(h.rows).toEqual(
      expect.arrayContaining([
        { iuv: later.iuv, from_status: 'NOT_YET_ACTIVE', to_status: 'PAYABLE', actor: 'system' },
        { iuv: soon.iuv, from_status: 'PAYABLE', to_status: 'EXPIRED', actor: 'system' },
      ]),
    );
    // a second sweep finds nothing to do
    expect(await t.c.debtPositions.sweepCalendarTransitions()).toBe(0);
  });

  it('makes a position whose receipt never came back payable again, in the housekeeping job', async () => {
    const { ctx } = await createEnteWithCaller(t.c, {
      cf: '01234567897',
      seg: '05',
      code: 'MENS',
      caller: 'GEST_HOUSE',
    });
    const p = await t.c.debtPositions.create(ctx, draft({ idPosizioneDebitoria: 'AWAIT-1' }));
    const [row] = (await t.c.db.executeSql('select id::int as id from debt_position where iuv = $1', [p.iuv]))
      .rows;
    await t.c.debtPositions.markAwaitingReceipt([row.id], 'portal', 'Checkout: pagamento concluso');
    expect(await storedStatus(p.iuv)).toBe('PAYMENT_IN_PROGRESS');
    const r = await t.c.db.executeSql('select name, cron from pgboss.schedule');
    expect(r.rows).toContainEqual(expect.objectContaining({ name: JOBS.housekeeping }));
    // the mark is stamped by the database's clock: look at it from two hours after the real now
    now = new Date(Date.now() + 2 * 60 * 60 * 1000);
    await worker.boss.send(JOBS.housekeeping, {});
    await expect.poll(() => storedStatus(p.iuv), { timeout: 15_000, interval: 200 }).toBe('PAYABLE');
  });
});
