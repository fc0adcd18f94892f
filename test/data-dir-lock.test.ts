import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO } from '../src/app/demo-seed.js';
import { main } from '../src/cli/main.js';
import { lockFileOf } from '../src/db/data-dir-lock.js';
import { createTestDatabase } from './helpers/db.js';
import { basic } from './helpers/app.js';
import {
  embeddedEnv,
  lockOf,
  runCassa,
  startCassa,
  waitListening,
  type CassaProcess,
} from './helpers/cassa-process.js';

/**
 * The embedded database belongs to one process (src/db/data-dir-lock.ts), checked from outside: real `cassa`
 * processes on one data directory. While Cassa runs, a second Cassa or a command that needs the database to
 * itself is refused without opening it, and the administrative commands go through the running Cassa's admin
 * API; the lock goes away with SIGTERM, and one left by kill -9 is taken over.
 */
const PGLITE_RUN = !process.env.CASSA_TEST_DATABASE_URL;

const ENTE = {
  codiceFiscale: '15376371009',
  denominazione: 'Comune di Prova',
  codiceSegregazione: '02',
  ibanBancario: 'IT60X0542811101000000123456',
};
const PAYMENT_TYPE = {
  codiceVersamento: 'TARI',
  descrizione: 'Tassa rifiuti',
  iban: 'IT60X0542811101000000123456',
  transferCategory: '9/0101108TS/',
};
const APP = {
  codiceChiamante: 'CLI_LIVE',
  descrizione: 'Gestionale di prova',
  scopes: ['RICHIESTA_STATO_POS_DEB'],
  paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
};

describe.skipIf(!PGLITE_RUN)('the embedded database while Cassa runs on it', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cassa: CassaProcess;
  let base: string;
  let token: string;
  const admin = (path: string) =>
    fetch(`${base}/admin/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cassa-lock-live-'));
    env = embeddedEnv(dir);
    cassa = startCassa(['demo'], env);
    base = await waitListening(dir, cassa);
    token = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
  }, 120_000);

  afterAll(async () => {
    if (cassa && cassa.child.exitCode === null) {
      cassa.child.kill('SIGKILL');
      await cassa.exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('records who holds it: pid, start time, host and the admin API it listens on', () => {
    const lock = JSON.parse(readFileSync(lockFileOf(join(dir, 'pglite')), 'utf8'));
    expect(lock).toMatchObject({
      pid: cassa.pid,
      command: 'cassa demo',
      role: 'all',
      adminUrl: `${base}/admin/api/v1`,
    });
    expect(typeof lock.hostname).toBe('string');
    if (existsSync('/proc/self/stat')) expect(lock.startTicks).toMatch(/^\d+$/);
  });

  it('refuses a second Cassa and every command that needs the database to itself, without opening it', async () => {
    const before = readFileSync(lockFileOf(join(dir, 'pglite')), 'utf8');
    const refused = await Promise.all([
      runCassa(['start'], env),
      runCassa(['migrate'], env),
      runCassa(['seed-demo'], env),
      runCassa(['secrets', 'rekey'], env),
    ]);
    for (const r of refused) {
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`in use by cassa demo (pid ${cassa.pid}`);
      expect(r.stderr).toContain(`kill -TERM ${cassa.pid}`);
    }
    expect(refused[1].stderr).toContain('then run `cassa migrate`');
    expect(refused[3].stderr).toContain('run `cassa secrets rekey`');
    // the running Cassa still holds it and answers
    expect(readFileSync(lockFileOf(join(dir, 'pglite')), 'utf8')).toBe(before);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  }, 120_000);

  it("runs the administrative commands through the running Cassa's admin API: the same output, the change in its database", async () => {
    const created = await runCassa(['ente', 'create', '--json', JSON.stringify(ENTE)], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.out).toEqual(await (await admin(`/enti/${ENTE.codiceFiscale}`)).json());

    const updated = await runCassa(
      ['ente', 'update', ENTE.codiceFiscale, '--json', '{"denominazione":"Città di Prova"}'],
      env,
    );
    expect(updated.out.denominazione).toBe('Città di Prova');
    const pt = await runCassa(
      ['payment-type', 'create', ENTE.codiceFiscale, '--json', JSON.stringify(PAYMENT_TYPE)],
      env,
    );
    expect(pt.code, pt.stderr).toBe(0);
    expect(pt.out).toEqual(await (await admin(`/enti/${ENTE.codiceFiscale}/payment-types/TARI`)).json());

    const app = await runCassa(['application', 'create', '--json', JSON.stringify(APP)], env);
    expect(app.code, app.stderr).toBe(0);
    expect(app.out.passphrase).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // a rotated passphrase is the one the running Cassa checks at once
    const rotated = await runCassa(
      ['application', 'rotate-passphrase', 'CLI_LIVE', '--passphrase', 'rotated-while-running'],
      env,
    );
    expect(rotated).toMatchObject({ code: 0, out: { rotated: true } });
    const status = `${base}/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions/${DEMO.payable.iuv}/status`;
    expect(
      (await fetch(status, { headers: { authorization: basic('CLI_LIVE', 'rotated-while-running') } }))
        .status,
    ).toBe(200);
    expect(
      (await fetch(status, { headers: { authorization: basic('CLI_LIVE', app.out.passphrase) } })).status,
    ).toBe(401);

    // they were calls of the admin API, journaled as such
    const journal = (await (await admin('/audit-events?interface=admin&limit=100')).json()) as {
      items: { operation: string }[];
    };
    expect(journal.items.map((e) => e.operation)).toEqual(
      expect.arrayContaining([
        'createEnte',
        'updateEnte',
        'createPaymentType',
        'createApplication',
        'rotatePassphrase',
      ]),
    );

    const list = await runCassa(['application', 'list'], env);
    expect(list.out.map((a: { codiceChiamante: string }) => a.codiceChiamante)).toEqual(
      expect.arrayContaining([DEMO.codiceChiamante, 'CLI_LIVE']),
    );
  }, 180_000);

  it('turns problem+json answers into the exit codes and messages of the direct path', async () => {
    const unknown = await runCassa(['ente', 'get', '99999999999'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('cassa: ente 99999999999 sconosciuto (codiceFiscale)\n');
    const invalid = await runCassa(['ente', 'create', '--json', '{"codiceFiscale":"1"}'], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^cassa: campo codiceFiscale: /);
    // both were answered by the running Cassa
    const journal = (await (await admin('/audit-events?interface=admin&limit=100')).json()) as {
      items: { operation: string; outcome: string }[];
    };
    expect(journal.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ operation: 'GET /enti/:cf', outcome: 'ENTE_NOT_FOUND' }),
        expect.objectContaining({ operation: 'createEnte', outcome: 'VALIDATION' }),
      ]),
    );
  }, 120_000);

  it('is released when Cassa stops on SIGTERM: the commands then open the database themselves, and find the changes', async () => {
    expect(lockOf(dir)?.pid).toBe(cassa.pid);
    cassa.child.kill('SIGTERM');
    expect(await cassa.exited).toEqual({ code: 0, signal: null });
    expect(lockOf(dir)).toBeUndefined();
    const ente = await runCassa(['ente', 'get', ENTE.codiceFiscale], env);
    expect(ente).toMatchObject({ code: 0, out: { denominazione: 'Città di Prova' } });
    // the same message as through the admin API
    expect((await runCassa(['ente', 'get', '99999999999'], env)).stderr).toBe(
      'cassa: ente 99999999999 sconosciuto (codiceFiscale)\n',
    );
    expect(lockOf(dir)).toBeUndefined();
  }, 120_000);

  it('takes over the lock a Cassa killed with SIGKILL left behind', async () => {
    const killed = startCassa(['start'], env);
    await waitListening(dir, killed);
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(lockOf(dir)?.pid).toBe(killed.pid);
    const apps = await runCassa(['application', 'get', 'CLI_LIVE'], env);
    expect(apps, apps.stderr).toMatchObject({ code: 0, out: { codiceChiamante: 'CLI_LIVE' } });
    expect(lockOf(dir)).toBeUndefined();
    // and Cassa starts again on it
    cassa = startCassa(['start'], env);
    base = await waitListening(dir, cassa);
    expect(
      ((await (await admin(`/enti/${ENTE.codiceFiscale}`)).json()) as { denominazione: string })
        .denominazione,
    ).toBe('Città di Prova');
    cassa.child.kill('SIGTERM');
    expect((await cassa.exited).code).toBe(0);
  }, 180_000);

  it('refuses the administrative commands while a worker-only Cassa holds it, with the alternatives', async () => {
    const worker = startCassa(['start', '--role', 'worker'], env);
    try {
      await vi.waitUntil(() => lockOf(dir)?.pid === worker.pid, { timeout: 90_000, interval: 50 });
      const r = await runCassa(['ente', 'list'], { ...env, PORT: '8080' });
      expect(r.code).toBe(4);
      expect(r.stderr).toContain("Cassa's worker role, which serves no admin API");
      expect(r.stderr).toContain(`kill -TERM ${worker.pid}`);
      expect(r.stderr).toContain(
        `curl -sS -H "authorization: Bearer $(cat ${join(dir, 'admin.token')})" http://127.0.0.1:8080/admin/api/v1/enti`,
      );
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    expect(lockOf(dir)).toBeUndefined();
  }, 180_000);
});

describe.runIf(!PGLITE_RUN)('with DATABASE_URL (PostgreSQL)', () => {
  let drop: () => Promise<void>;
  let dir: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cassa-lock-pg-'));
    const t = await createTestDatabase();
    drop = t.drop;
    Object.assign(process.env, { DATABASE_URL: t.url, CASSA_DATA_DIR: dir, CASSA_LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    process.env = saved;
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes no lock and heeds none: a lock file in the data directory changes nothing', async () => {
    // a live holder (this very process) named in the embedded database's lock file
    writeFileSync(
      join(dir, 'pglite.lock'),
      JSON.stringify({
        pid: process.pid,
        hostname: 'x',
        nonce: 'n',
        since: new Date().toISOString(),
        command: 'cassa start',
        role: 'all',
      }),
    );
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['migrate'])).toBe(0);
      expect(await main(['ente', 'list'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(existsSync(join(dir, 'pglite'))).toBe(false);
  });
});
