import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { createContainer, type Container } from '../app/container.js';
import { DEMO, demoGestionaleUrl, seedDemo } from '../app/demo-seed.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { openDatabase } from '../db/database.js';
import { DataDirLockedError, declareLockHolder } from '../db/data-dir-lock.js';
import { migrate } from '../db/migrate.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { buildServer } from '../http/server.js';
import { createdApplicationView, rotatedPassphraseView } from '../http/admin/views.js';
import { startWorker } from '../jobs/worker.js';
import { startMetricsListener } from '../http/metrics.js';
import { DomainError } from '../shared/domain-error.js';
import { SecretBox } from '../shared/secret-box.js';
import { join } from 'node:path';
import {
  adminTokenFor,
  announceAdminApi,
  callRunningCassa,
  CommandRefused,
  EXIT_IN_USE,
  refusalOf,
  runningCassaFor,
  type AdminCall,
} from './running-cassa.js';

const HELP = `cassa — pagoPA collection platform

Usage:
  cassa start [--role web|worker|all]     start Cassa (default role: all)
  cassa demo                              migrate, load the demo data of seed 000 and start (role all)
  cassa migrate                           apply the database migrations
  cassa seed-demo                         load the demo data only

  cassa ente list | get <cf>
  cassa ente create (--json '<json>' | --file <path>)
  cassa ente update <cf> (--json ... | --file ...)
  cassa payment-type list <cf> | get <cf> <code>
  cassa payment-type create <cf> (--json ... | --file ...)
  cassa payment-type update <cf> <code> (--json ... | --file ...)
  cassa application list | get <codiceChiamante>
  cassa application create (--json ... | --file ...)
  cassa application update <codiceChiamante> (--json ... | --file ...)
  cassa application rotate-passphrase <codiceChiamante> [--passphrase <new>]
  cassa secrets generate-key [--kid <id>]  print a new key entry for CASSA_SECRET_KEYS
  cassa secrets rekey                     re-encrypt every stored secret with the first key

Configuration comes from the environment (see docs/configuration.md): without DATABASE_URL
Cassa uses the embedded database in ./data, which one process at a time may open. While Cassa
runs on it, the ente, payment-type and application commands go through its admin API; the
other commands are refused until it stops (docs/operations.md).`;

type Args = { positionals: string[]; values: Record<string, string | boolean | undefined> };

function parse(argv: string[]): Args {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      json: { type: 'string' },
      file: { type: 'string' },
      passphrase: { type: 'string' },
      kid: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return { positionals, values };
}

function inputOf(a: Args): unknown {
  if (typeof a.values.json === 'string') return JSON.parse(a.values.json);
  if (typeof a.values.file === 'string') return JSON.parse(readFileSync(a.values.file, 'utf8'));
  throw new UsageError('missing --json or --file with the data');
}

class UsageError extends Error {}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function arg(a: Args, i: number, name: string): string {
  const v = a.positionals[i];
  if (!v) throw new UsageError(`missing <${name}>`);
  return v;
}

/** The command as typed, for messages: the values of --json, --file and --passphrase left out. */
function commandLine(a: Args): string {
  const options = Object.entries(a.values)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (k === 'role' || k === 'kid' ? `--${k} ${String(v)}` : `--${k} …`));
  return ['cassa', ...a.positionals, ...options].join(' ');
}

/** An administrative command: what it does on the database itself, and the same call on a running Cassa's admin API. */
interface AdminCommand {
  direct: (c: Container) => Promise<unknown>;
  api: AdminCall;
}

/** The ente, payment-type and application commands, each with its admin API route (src/http/admin/routes.ts). */
function adminCommand(a: Args): AdminCommand {
  const [cmd, sub] = a.positionals;
  const p = encodeURIComponent;
  if (cmd === 'ente') {
    if (sub === 'list')
      return { direct: (c) => c.organizations.listEnti(), api: { method: 'GET', path: '/enti' } };
    if (sub === 'get') {
      const cf = arg(a, 2, 'cf');
      return { direct: (c) => c.organizations.getEnte(cf), api: { method: 'GET', path: `/enti/${p(cf)}` } };
    }
    if (sub === 'create') {
      const input = inputOf(a);
      return {
        direct: (c) => c.organizations.createEnte(input),
        api: { method: 'POST', path: '/enti', body: input },
      };
    }
    if (sub === 'update') {
      const cf = arg(a, 2, 'cf');
      const input = inputOf(a);
      return {
        direct: (c) => c.organizations.updateEnte(cf, input),
        api: { method: 'PATCH', path: `/enti/${p(cf)}`, body: input },
      };
    }
    throw new UsageError('ente: list | get | create | update');
  }
  if (cmd === 'payment-type') {
    if (sub === 'list') {
      const cf = arg(a, 2, 'cf');
      return {
        direct: (c) => c.organizations.listPaymentTypes(cf),
        api: { method: 'GET', path: `/enti/${p(cf)}/payment-types` },
      };
    }
    if (sub === 'get') {
      const [cf, code] = [arg(a, 2, 'cf'), arg(a, 3, 'code')];
      return {
        direct: (c) => c.organizations.getPaymentType(cf, code),
        api: { method: 'GET', path: `/enti/${p(cf)}/payment-types/${p(code)}` },
      };
    }
    if (sub === 'create') {
      const cf = arg(a, 2, 'cf');
      const input = inputOf(a);
      return {
        direct: (c) => c.organizations.createPaymentType(cf, input),
        api: { method: 'POST', path: `/enti/${p(cf)}/payment-types`, body: input },
      };
    }
    if (sub === 'update') {
      const [cf, code] = [arg(a, 2, 'cf'), arg(a, 3, 'code')];
      const input = inputOf(a);
      return {
        direct: (c) => c.organizations.updatePaymentType(cf, code, input),
        api: { method: 'PATCH', path: `/enti/${p(cf)}/payment-types/${p(code)}`, body: input },
      };
    }
    throw new UsageError('payment-type: list | get | create | update');
  }
  if (sub === 'list')
    return { direct: (c) => c.applications.list(), api: { method: 'GET', path: '/applications' } };
  if (sub === 'get') {
    const caller = arg(a, 2, 'codiceChiamante');
    return {
      direct: (c) => c.applications.get(caller),
      api: { method: 'GET', path: `/applications/${p(caller)}` },
    };
  }
  if (sub === 'create') {
    const input = inputOf(a);
    return {
      direct: async (c) => createdApplicationView(await c.applications.create(input)),
      api: { method: 'POST', path: '/applications', body: input },
    };
  }
  if (sub === 'update') {
    const caller = arg(a, 2, 'codiceChiamante');
    const input = inputOf(a);
    return {
      direct: (c) => c.applications.update(caller, input),
      api: { method: 'PATCH', path: `/applications/${p(caller)}`, body: input },
    };
  }
  if (sub === 'rotate-passphrase') {
    const caller = arg(a, 2, 'codiceChiamante');
    const given = typeof a.values.passphrase === 'string' ? a.values.passphrase : undefined;
    return {
      direct: async (c) => rotatedPassphraseView(await c.applications.rotatePassphrase(caller, given)),
      api: {
        method: 'POST',
        path: `/applications/${p(caller)}/passphrase`,
        ...(given !== undefined ? { body: { passphrase: given } } : {}),
      },
    };
  }
  throw new UsageError('application: list | get | create | update | rotate-passphrase');
}

/**
 * Runs an administrative command on the database itself, or, while a Cassa runs on the embedded database,
 * through that Cassa's admin API (a second opening of the database would corrupt it): same output either way.
 */
async function runAdminCommand(command: string, ac: AdminCommand): Promise<number> {
  const config = loadConfig();
  const running = config.databaseUrl ? undefined : await runningCassaFor(config, command, ac.api);
  print(
    running ? await callRunningCassa(running, adminTokenFor(config), ac.api) : await withContainer(ac.direct),
  );
  return 0;
}

async function withContainer<T>(fn: (c: Container) => Promise<T>): Promise<T> {
  const c = await createContainer(loadConfig());
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/**
 * The last resort of a running Cassa: a rejection nobody handled or an exception nobody caught is logged
 * (type, code, first line of the message, stack frames: no SQL, no parameters). Connection-level database
 * failures are handled where they happen (src/db/database.ts, the edges, the loops); should one still
 * escape, nothing is left broken (the pool replaces the connection) and Cassa goes on. Any other uncaught
 * exception leaves the process in an unknown state: it exits (code 3) and the orchestrator restarts it.
 */
function installSafetyNet(c: Container): void {
  // `err` goes through the logger's serializer (src/shared/safe-error.ts): type, code, message and frames, never data
  process.on('unhandledRejection', (reason) => {
    c.logger.error(
      { err: reason, databaseUnavailable: isDatabaseUnavailable(reason) },
      'unhandled promise rejection (a defect: every failure should be handled where it happens)',
    );
  });
  process.on('uncaughtException', (err, origin) => {
    if (isDatabaseUnavailable(err)) {
      c.logger.error(
        { err, origin },
        'uncaught database connection error; the pool replaces the connection, Cassa goes on',
      );
      return;
    }
    c.logger.fatal({ err, origin }, 'uncaught exception: stopping');
    process.exit(3);
  });
}

/**
 * The demo data include the caller AP_01 with the passphrase the manual publishes: `cassa demo` and
 * `cassa seed-demo` refuse production before anything is opened, migrated or written.
 */
function refuseDemoInProduction(command: string): void {
  if (process.env.CASSA_ENV?.trim() !== 'production') return;
  throw new ConfigError(
    `${command} refused with CASSA_ENV=production: the demo data include the caller ${DEMO.codiceChiamante} with the passphrase published in the manual. ` +
      'Nothing was written. Use `cassa start` and create enti, payment types and applications with their own credentials.',
  );
}

/** Runs the web and/or worker roles until SIGINT/SIGTERM, then stops gracefully. */
async function start(role: string, demo: boolean): Promise<void> {
  if (!['web', 'worker', 'all'].includes(role)) throw new UsageError('--role must be web, worker or all');
  // AP_02 points at the demo gestionale wherever it runs (GEST_PUBLIC_URL / GEST_PORT, derived as the
  // gestionale derives them); a value it would refuse stops here, before the database is opened
  const gestionaleUrl = demo ? demoGestionaleUrl() : undefined;
  const c = await createContainer(loadConfig());
  installSafetyNet(c);
  if (demo) {
    const { created } = await seedDemo(c, { gestionaleUrl });
    c.logger.info({ created }, 'demo data ready');
  }
  const stops: (() => Promise<void>)[] = [];
  if (role === 'worker' || role === 'all') {
    const worker = await startWorker(c);
    stops.push(() => worker.stop());
  }
  if (role === 'web' || role === 'all') {
    const app = await buildServer(c);
    const address = await app.listen({ host: c.config.host, port: c.config.port });
    stops.unshift(() => app.close());
    // the command line finds the admin API in the embedded database's lock, and uses it while Cassa runs
    if (c.db.dataDirLock) announceAdminApi(c.db.dataDirLock, c.config, app.server.address());
    const base = c.config.publicUrl ?? address;
    c.logger.info({ address, role, database: c.db.kind }, 'Cassa is listening');
    if (demo) {
      process.stdout.write(
        [
          '',
          `Cassa is running on the ${c.db.kind === 'pglite' ? `embedded database (${join(c.config.dataDir, 'pglite')})` : 'PostgreSQL database'}.`,
          `  OpenAPI and API explorer:   ${base}/docs`,
          `  REST API for gestionali:    ${base}/epayapi/api/v1  (HTTP Basic ${DEMO.codiceChiamante} / ${DEMO.passphrase})`,
          `  Admin API:                  ${base}/admin/api/v1   (Bearer token in ${join(c.config.dataDir, 'admin.token')} unless CASSA_ADMIN_TOKEN is set)`,
          `  Try: curl -u '${DEMO.codiceChiamante}:${DEMO.passphrase}' ${base}/epayapi/api/v1/organizations/${DEMO.ente}/paymenttypes/${DEMO.paymentType}/debtpositions/${DEMO.payable.iuv}/status`,
          '',
        ].join('\n'),
      );
    }
  }
  // CASSA_METRICS_PORT: /metrics without a token on a listener of its own (the worker role's only one)
  if (c.config.metrics.port !== undefined) {
    const metrics = await startMetricsListener(c);
    stops.push(metrics.close);
    c.logger.info({ address: metrics.url }, 'metrics listening at /metrics');
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    c.logger.info({ signal }, 'stopping');
    for (const stop of stops)
      await stop().catch((err: unknown) => c.logger.error({ err }, 'error while stopping'));
    await c.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

export async function main(argv: string[]): Promise<number> {
  const a = parse(argv);
  const [cmd, sub] = a.positionals;
  if (!cmd || a.values.help) {
    process.stdout.write(`${HELP}\n`);
    return cmd || a.values.help ? 0 : 1;
  }
  const role =
    cmd === 'demo'
      ? 'all'
      : cmd === 'start'
        ? typeof a.values.role === 'string'
          ? a.values.role
          : 'all'
        : undefined;
  declareLockHolder({
    command: commandLine(a),
    ...(role === 'web' || role === 'worker' || role === 'all' ? { role } : {}),
  });
  switch (cmd) {
    case 'start':
      await start(typeof a.values.role === 'string' ? a.values.role : 'all', false);
      return -1;
    case 'demo':
      refuseDemoInProduction(cmd);
      await start('all', true);
      return -1;
    case 'migrate': {
      const config = loadConfig();
      const db = await openDatabase({ url: config.databaseUrl, dataDir: join(config.dataDir, 'pglite') });
      try {
        print(await migrate(db));
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'seed-demo': {
      refuseDemoInProduction(cmd);
      const gestionaleUrl = demoGestionaleUrl();
      print(await withContainer((c) => seedDemo(c, { gestionaleUrl })));
      return 0;
    }
    case 'ente':
    case 'payment-type':
    case 'application':
      return runAdminCommand(commandLine(a), adminCommand(a));
    case 'secrets':
      if (sub === 'generate-key') {
        process.stdout.write(
          `${SecretBox.generateKeySpec(typeof a.values.kid === 'string' ? a.values.kid : `k${Date.now()}`)}\n`,
        );
        return 0;
      }
      if (sub === 'rekey')
        return withContainer(
          async (c) => (print({ reencrypted: await c.applications.reencryptSecrets() }), 0),
        );
      throw new UsageError('secrets: generate-key | rekey');
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

/**
 * Entry point of bin/cassa.js: exit codes 0 ok, 1 usage or input error, 2 configuration error, 3 unexpected,
 * 4 the embedded database is in use by another process (a running Cassa) and the command cannot go through it.
 */
export async function run(argv: string[]): Promise<void> {
  try {
    const code = await main(argv);
    if (code >= 0) process.exit(code);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`cassa: ${err.message}\n\n${HELP}\n`);
      process.exit(1);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`cassa: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof DataDirLockedError) {
      process.stderr.write(`cassa: ${refusalOf(err, commandLine(parse(argv)))}\n`);
      process.exit(EXIT_IN_USE);
    }
    if (err instanceof CommandRefused) {
      process.stderr.write(`cassa: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    if (err instanceof DomainError) {
      process.stderr.write(`cassa: ${err.message}${err.field ? ` (${err.field})` : ''}\n`);
      process.exit(1);
    }
    if (err instanceof ZodError) {
      const issue = err.issues[0]!;
      process.stderr.write(`cassa: campo ${issue.path.join('.') || '(dati)'}: ${issue.message}\n`);
      process.exit(1);
    }
    if (err instanceof SyntaxError) {
      process.stderr.write(`cassa: JSON non valido: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`cassa: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(3);
  }
}
