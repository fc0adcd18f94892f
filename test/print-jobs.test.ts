import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanNoticePdf } from '../simulator/src/notice-scan.js';
import { ADMIN_TOKEN, basic, buildTestApp, type TestApp } from './helpers/app.js';
import { createEnteWithCaller } from './helpers/fixtures.js';
import { insertListXml, readAck, updateListXml, type TestPosition } from './helpers/lists.js';
import { until } from './helpers/until.js';

const run = promisify(execFile);
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let t: TestApp;
let fx: Awaited<ReturnType<typeof createEnteWithCaller>>;
let dir: string;
let seq = 0;

beforeAll(async () => {
  // batches of 2: a job of 5 notices is 3 batches, so that stopping and resuming fall between them
  t = await buildTestApp({
    env: {
      CASSA_PRINT_BATCH: '2',
      CASSA_PRINT_POLL_MS: '50',
      CASSA_LIST_MAX_POSITIONS: '20',
      CASSA_ID_BROKER_PA: '80087670016',
      CASSA_ID_STATION: '80087670016_01',
    },
  });
  fx = await createEnteWithCaller(t.c);
  dir = await mkdtemp(join(tmpdir(), 'cassa-print-jobs-'));
}, 60_000);
afterAll(async () => {
  await t?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function q<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await t.c.db.executeSql(text, values)).rows as T[];
}

async function soap(xml: string, op: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/soap/Enti2EPaywsoService',
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: `"http://www.csi.it/epay/epaywso/service/${op}"`,
      authorization: basic(fx.caller, fx.passphrase),
    },
    payload: xml,
  });
  expect(readAck(res.body).code).toBe('000');
  while (await t.c.lists.processNext());
}

interface Loaded {
  listId: number;
  positions: { id: string; noticeNumber: string; amountCents: number }[];
}

/** A lista di carico of `n` positions, processed: its id and its positions in the list's order. */
async function loadList(n: number, dueDate = '2026-12-31'): Promise<Loaded> {
  const prefix = `P${++seq}`;
  const positions: TestPosition[] = Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    amount: `${10 + i}.${String(i).padStart(2, '0')}`,
    dueDate,
  }));
  const idMessaggio = `PRINT-${prefix}`;
  await soap(insertListXml({ idMessaggio, cf: fx.cf, code: fx.code, positions }), 'InserisciListaDiCarico');
  const [list] = await q<{ id: number }>('select id::int as id from load_list where id_messaggio = $1', [
    idMessaggio,
  ]);
  const rows = await q<{ id: string; noticeNumber: string; amountCents: number }>(
    `select li.id_posizione_debitoria as id, p.notice_number as "noticeNumber", p.amount_cents::int as "amountCents"
       from load_list_item li join debt_position p on p.id = li.position_id where li.list_id = $1 order by li.seq`,
    [list!.id],
  );
  expect(rows).toHaveLength(n);
  return { listId: list!.id, positions: rows };
}

async function createJob(body: Record<string, unknown>, cf = fx.cf) {
  return t.app.inject({
    method: 'POST',
    url: `/admin/api/v1/enti/${cf}/print-jobs`,
    headers: admin,
    payload: body,
  });
}

async function job(id: string) {
  const res = await t.app.inject({ method: 'GET', url: `/admin/api/v1/print-jobs/${id}`, headers: admin });
  expect(res.statusCode).toBe(200);
  return res.json<{
    id: string;
    status: string;
    done: number;
    total: number;
    skipped: number;
    bytes: number;
    attempts: number;
    downloadUrl: string | null;
    skippedItems: { seq: number; noticeNumber: string; reason: string }[];
  }>();
}

async function download(id: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/admin/api/v1/print-jobs/${id}/download`,
    headers: admin,
  });
  return res;
}

/** Every QR code of a PDF in page order: notice number and amount. */
async function qrCodes(pdf: Buffer) {
  const file = join(dir, `scan-${++seq}.pdf`);
  await writeFile(file, pdf);
  const pages = await scanNoticePdf(file, 100);
  return pages.flatMap((p) =>
    p.qrCodes.map((c) => ({ noticeNumber: c.noticeNumber, amountCents: c.amountCents })),
  );
}

/** The names of a ZIP's entries (Debian's unzip), and each entry's bytes. */
async function zipEntries(zip: Buffer) {
  const file = join(dir, `out-${++seq}.zip`);
  await writeFile(file, zip);
  const { stdout } = await run('zipinfo', ['-1', file]);
  const names = stdout.split('\n').filter(Boolean);
  const read = async (name: string) =>
    (await run('unzip', ['-p', file, name], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })).stdout;
  await run('unzip', ['-tq', file]);
  return { names, read };
}

const expected = (l: Loaded) =>
  l.positions.map((p) => ({ noticeNumber: p.noticeNumber, amountCents: p.amountCents }));

describe('mass printing', () => {
  it('prints a list into one PDF: one notice per position, in the list order, with progress and a download', async () => {
    const list = await loadList(5);
    const res = await createJob({ listId: list.listId, format: 'pdf' });
    expect(res.statusCode).toBe(202);
    const created = res.json<{ id: string; status: string; total: number; location: string }>();
    expect(created).toMatchObject({ status: 'QUEUED', total: 5 });
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(res.headers.location).toBe(`/admin/api/v1/print-jobs/${created.id}`);
    expect(created.location).toBe(res.headers.location);

    const early = await download(created.id);
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'PRINT_JOB_NOT_READY' });

    expect(await t.c.printJobs.runNext()).toBe(true);
    const done = await job(created.id);
    expect(done).toMatchObject({ status: 'DONE', done: 5, total: 5, skipped: 0, attempts: 1 });
    expect(done.downloadUrl).toBe(`/admin/api/v1/print-jobs/${created.id}/download`);

    const file = await download(created.id);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-disposition']).toBe(`attachment; filename="avvisi-${created.id}.pdf"`);
    expect(Number(file.headers['content-length'])).toBe(done.bytes);
    expect(file.rawPayload.length).toBe(done.bytes);
    expect(file.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect(await qrCodes(file.rawPayload)).toEqual(expected(list));
  }, 60_000);

  it('prints a list into a ZIP: one PDF per notice, named in order', async () => {
    const list = await loadList(3);
    const { id } = (await createJob({ listId: list.listId, format: 'zip' })).json<{ id: string }>();
    await t.c.printJobs.runNext();
    expect(await job(id)).toMatchObject({ status: 'DONE', done: 3, total: 3 });
    const file = await download(id);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/zip');
    expect(Number(file.headers['content-length'])).toBe(file.rawPayload.length);
    const zip = await zipEntries(file.rawPayload);
    expect(zip.names).toEqual(
      list.positions.map((p, i) => `avviso-${String(i + 1).padStart(5, '0')}-${p.noticeNumber}.pdf`),
    );
    for (const [i, name] of zip.names.entries())
      expect(await qrCodes(await zip.read(name))).toEqual([expected(list)[i]]);
  }, 60_000);

  it('skips a position cancelled after the job was created, and lists it with why', async () => {
    const list = await loadList(4);
    const { id } = (await createJob({ listId: list.listId, format: 'pdf' })).json<{ id: string }>();
    await soap(
      updateListXml({
        idMessaggio: `PRINT-CANCEL-${++seq}`,
        cf: fx.cf,
        code: fx.code,
        updates: [{ tipo: 'ANNULLAMENTO', id: list.positions[1]!.id, motivazione: 'sgravio' }],
      }),
      'AggiornaPosizioniDebitorie',
    );
    await t.c.printJobs.runNext();
    const done = await job(id);
    expect(done).toMatchObject({ status: 'DONE', done: 4, total: 4, skipped: 1 });
    expect(done.skippedItems).toEqual([
      { seq: 1, noticeNumber: list.positions[1]!.noticeNumber, reason: expect.any(String) as string },
    ]);
    const file = await download(id);
    expect(await qrCodes(file.rawPayload)).toEqual(expected(list).filter((_, i) => i !== 1));
  }, 60_000);

  it('resumes an interrupted ZIP job after its last committed batch, without duplicates', async () => {
    const list = await loadList(5);
    const { id } = (await createJob({ listId: list.listId, format: 'zip' })).json<{ id: string }>();
    // the worker stops after its first batch (2 notices): the job goes back to the queue
    expect(await t.c.printJobs.runNext(() => true)).toBe(true);
    // a clean stop hands the job back without using up an attempt
    expect(await job(id)).toMatchObject({ status: 'QUEUED', done: 2, total: 5, attempts: 0 });
    const [first] = await q<{ pdf: string }>(
      `select encode(pdf, 'hex') as pdf from print_job_item i join print_job j on j.id = i.job_id
        where j.public_id = $1 and i.seq = 0`,
      [id],
    );
    await t.c.printJobs.runNext();
    expect(await job(id)).toMatchObject({ status: 'DONE', done: 5, total: 5, attempts: 1 });
    // the first batch was not printed again: its entry is the same bytes
    const [again] = await q<{ pdf: string }>(
      `select encode(pdf, 'hex') as pdf from print_job_item i join print_job j on j.id = i.job_id
        where j.public_id = $1 and i.seq = 0`,
      [id],
    );
    expect(again!.pdf).toBe(first!.pdf);
    const zip = await zipEntries((await download(id)).rawPayload);
    expect(zip.names).toHaveLength(5);
    expect(new Set(zip.names).size).toBe(5);
    const scanned = [];
    for (const name of zip.names) scanned.push(...(await qrCodes(await zip.read(name))));
    expect(scanned).toEqual(expected(list));
  }, 60_000);

  it('a worker whose lease ran out stops writing; the worker that took the job over finishes a complete PDF', async () => {
    const list = await loadList(5);
    const { id } = (await createJob({ listId: list.listId, format: 'pdf' })).json<{ id: string }>();
    let tookOver = false;
    // worker A prints a batch, then stalls: its lease runs out and worker B claims the job and prints it
    await t.c.printJobs.runNext(async () => {
      if (tookOver) return false;
      tookOver = true;
      await q(`update print_job set lease_until = now() - interval '1 second' where public_id = $1`, [id]);
      expect(await t.c.printJobs.runNext()).toBe(true);
      return false; // A goes on: its next commit finds the lease taken
    });
    const done = await job(id);
    expect(done).toMatchObject({ status: 'DONE', done: 5, total: 5, attempts: 2 });
    const file = await download(id);
    expect(file.rawPayload.length).toBe(done.bytes);
    expect(await qrCodes(file.rawPayload)).toEqual(expected(list));
  }, 60_000);

  it('resumes an interrupted merged PDF after its last committed batch: its part kept, only the rest drawn', async () => {
    const list = await loadList(5);
    const { id } = (await createJob({ listId: list.listId, format: 'pdf' })).json<{ id: string }>();
    const printed = async () => {
      const m = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin });
      return Number(/^cassa_notices_printed_total\{format="pdf"\} (\d+)$/m.exec(m.body)?.[1] ?? 0);
    };
    const part0 = () =>
      q<{ seq: number; md5: string; at: string }>(
        `select p.seq, md5(p.data) as md5, p.xmin::text as at from print_job_part p join print_job j on j.id = p.job_id
          where j.public_id = $1 order by p.seq`,
        [id],
      );
    const before = await printed();
    // the worker stops after its first batch (2 notices): the job goes back to the queue with that batch's part
    await t.c.printJobs.runNext(() => true);
    expect(await job(id)).toMatchObject({ status: 'QUEUED', done: 2, total: 5 });
    expect(await printed()).toBe(before + 2);
    const [first, ...others] = await part0();
    expect(first).toMatchObject({ seq: 0 });
    expect(others).toEqual([]);
    // the next worker goes on from the third notice, then merges; the first part is not written again
    let seen: Awaited<ReturnType<typeof part0>> = [];
    await t.c.printJobs.runNext(async () => {
      seen = await part0();
      return false;
    });
    expect(seen[0]).toEqual(first);
    // (seen after the last batch, before the merge: the three batches' parts, the first as it was)
    expect(seen.map((p) => p.seq)).toEqual([0, 2, 4]);
    expect(await printed()).toBe(before + 5);
    const done = await job(id);
    expect(done).toMatchObject({ status: 'DONE', done: 5, total: 5, attempts: 1 });
    // merged: the parts are gone, the file is whole, every notice once and in order
    expect(await part0()).toEqual([]);
    const file = (await download(id)).rawPayload;
    expect(file.length).toBe(done.bytes);
    const path = join(dir, `merged-${++seq}.pdf`);
    await writeFile(path, file);
    const info = await run('pdfinfo', [path]);
    expect(info.stderr).toBe('');
    expect(info.stdout).toMatch(/^Pages:\s+5$/m);
    expect(await qrCodes(file)).toEqual(expected(list));
  }, 60_000);

  it('a merged PDF whose notices are all skipped is still a PDF (one page saying so)', async () => {
    const list = await loadList(2);
    const { id } = (await createJob({ listId: list.listId, format: 'pdf' })).json<{ id: string }>();
    await soap(
      updateListXml({
        idMessaggio: `PRINT-CANCEL-${++seq}`,
        cf: fx.cf,
        code: fx.code,
        updates: list.positions.map((p) => ({ tipo: 'ANNULLAMENTO', id: p.id, motivazione: 'sgravio' })),
      }),
      'AggiornaPosizioniDebitorie',
    );
    await t.c.printJobs.runNext();
    expect(await job(id)).toMatchObject({ status: 'DONE', done: 2, skipped: 2 });
    const path = join(dir, `empty-${++seq}.pdf`);
    await writeFile(path, (await download(id)).rawPayload);
    expect((await run('pdftotext', [path, '-'])).stdout).toMatch(/Nessun avviso stampabile/);
  }, 60_000);

  it('prints the payable positions of a filter (payment type, due dates), by due date', async () => {
    const early = await loadList(2, '2027-01-10');
    const late = await loadList(2, '2027-02-10');
    await loadList(1, '2027-03-10');
    const res = await createJob({
      filter: { paymentType: fx.code, dueFrom: '2027-01-01', dueTo: '2027-02-28' },
      format: 'pdf',
    });
    expect(res.statusCode).toBe(202);
    const { id, total } = res.json<{ id: string; total: number }>();
    expect(total).toBe(4);
    await t.c.printJobs.runNext();
    expect(await qrCodes((await download(id)).rawPayload)).toEqual([...expected(early), ...expected(late)]);
  }, 60_000);

  it('the worker loop prints a job as soon as it is created', async () => {
    const list = await loadList(3);
    t.c.loops.printJobs.start();
    try {
      const { id } = (await createJob({ listId: list.listId, format: 'zip' })).json<{ id: string }>();
      await until(async () => (await job(id)).status === 'DONE', 'the print job done', 30_000);
    } finally {
      await t.c.loops.printJobs.stop();
    }
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin });
    expect(metrics.body).toMatch(/cassa_notices_printed_total\{format="zip"\} [1-9]/);
    expect(metrics.body).toMatch(/cassa_print_jobs\{status="QUEUED"\} 0/);
  }, 60_000);

  it('removes the output of jobs past their retention (EXPIRED, download 409)', async () => {
    const list = await loadList(2);
    const { id } = (await createJob({ listId: list.listId, format: 'pdf' })).json<{ id: string }>();
    await t.c.printJobs.runNext();
    await q(`update print_job set expires_at = now() - interval '1 second' where public_id = $1`, [id]);
    expect(await t.c.printJobs.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await job(id)).toMatchObject({ status: 'EXPIRED' });
    const [left] = await q<{ n: number }>(
      `select count(*)::int as n from print_job_chunk c join print_job j on j.id = c.job_id where j.public_id = $1`,
      [id],
    );
    expect(left!.n).toBe(0);
    const [parts] = await q<{ n: number }>(
      `select count(*)::int as n from print_job_part p join print_job j on j.id = p.job_id where j.public_id = $1`,
      [id],
    );
    expect(parts!.n).toBe(0);
    const res = await download(id);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'PRINT_JOB_NOT_READY' });
  }, 60_000);

  it('answers bad requests with problem+json', async () => {
    const list = await loadList(1);
    const unknownJob = await t.app.inject({
      method: 'GET',
      url: '/admin/api/v1/print-jobs/AAAAAAAAAAAAAAAAAAAAAA',
      headers: admin,
    });
    expect(unknownJob.statusCode).toBe(404);
    expect(unknownJob.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(unknownJob.json()).toMatchObject({ code: 'PRINT_JOB_NOT_FOUND' });
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/admin/api/v1/print-jobs/AAAAAAAAAAAAAAAAAAAAAA/download',
          headers: admin,
        })
      ).statusCode,
    ).toBe(404);
    expect((await createJob({ listId: 999_999, format: 'pdf' })).json()).toMatchObject({
      code: 'LIST_NOT_FOUND',
    });
    expect((await createJob({ listId: list.listId, format: 'pdf' }, '00000000000')).statusCode).toBe(404);
    const both = await createJob({ listId: list.listId, filter: {}, format: 'pdf' });
    expect(both.statusCode).toBe(400);
    expect(both.json()).toMatchObject({ code: 'VALIDATION' });
    expect((await createJob({ listId: list.listId, format: 'docx' })).statusCode).toBe(400);
    expect(
      (await createJob({ filter: { dueFrom: '2027-02-01', dueTo: '2027-01-01' }, format: 'pdf' })).statusCode,
    ).toBe(400);
    expect((await createJob({ filter: { dueTo: '2027-02-30' }, format: 'pdf' })).json()).toMatchObject({
      code: 'VALIDATION',
    });
    const none = await createJob({ filter: { dueFrom: '2099-01-01' }, format: 'pdf' });
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ code: 'NOTHING_TO_PRINT' });
    expect((await createJob({ filter: { paymentType: 'ZZZZ' }, format: 'zip' })).json()).toMatchObject({
      code: 'PAYMENT_TYPE_UNKNOWN',
    });
    const noToken = await t.app.inject({
      method: 'POST',
      url: `/admin/api/v1/enti/${fx.cf}/print-jobs`,
      payload: {},
    });
    expect(noToken.statusCode).toBe(401);
  });
});
