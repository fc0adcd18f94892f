import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { dbErrorSummary, OutageBackoff } from '../db/errors.js';
import { SecretBox } from '../shared/secret-box.js';
import { AuditJournal } from '../modules/audit/application/audit-journal.js';
import { OrganizationsService } from '../modules/organizations/application/organizations-service.js';
import { ApplicationsService } from '../modules/applications/application/applications-service.js';
import { DebtPositionsService } from '../modules/debt-positions/application/debt-positions-service.js';
import { PaForNodeService } from '../modules/pagopa/application/pa-for-node-service.js';
import { CheckoutService } from '../modules/pagopa/application/checkout-service.js';
import { ReceiptsQueries } from '../modules/pagopa/application/receipts-queries.js';
import { ReceiptPdfs } from '../modules/printing/application/receipt-pdfs.js';
import { PortalService } from '../modules/portal/application/portal-service.js';
import { NoticesService } from '../modules/printing/application/notices-service.js';
import { Captcha } from '../modules/portal/application/captcha.js';
import { createHash } from 'node:crypto';
import { DeliveriesQueries, DeliverySender } from '../modules/gestionali/application/deliveries.js';
import { NotificationsService } from '../modules/gestionali/application/notifications.js';
import { BulkPositions } from '../modules/debt-positions/application/bulk-positions.js';
import { ListsService } from '../modules/gestionali/application/lists-service.js';
import { AuthThrottle } from '../modules/limits/application/auth-throttle.js';
import type { DocumentsService } from '../modules/debt-positions/application/documents-service.js';
import {
  deliveriesLoop,
  listsLoop,
  notificationsLoop,
  printJobsLoop,
  type WorkerLoops,
} from '../jobs/worker-loops.js';
import { PrintJobsService } from '../modules/printing/application/print-jobs.js';
import { drawNotice, renderNoticePdf } from '../modules/printing/infra/notice-pdf.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';

/** Everything a process (web, worker or CLI) works with, wired once. */
export interface Container {
  config: Config;
  logger: Logger;
  /** Prometheus metrics of this process (its own registry), served at /metrics (docs/operations.md). */
  metrics: Metrics;
  db: Database;
  secrets: SecretBox;
  adminToken: string;
  audit: AuditJournal;
  organizations: OrganizationsService;
  applications: ApplicationsService;
  debtPositions: DebtPositionsService;
  /** Documents (GovPay's documento): single solution, instalments, thresholds (docs/printing.md). */
  documents: DocumentsService;
  /** pagoPA's creditor-side SOAP interface (paForNode). */
  paForNode: PaForNodeService;
  checkout: CheckoutService;
  receipts: ReceiptsQueries;
  /** Receipts on paper (ricevuta di pagamento PDF) for epayapi, the admin API and the Sportello. */
  receiptPdfs: ReceiptPdfs;
  /** The citizen portal (Sportello dei pagamenti). */
  portal: PortalService;
  /** Payment notices (avvisi pagoPA): which positions have one, their NoticeDocument and PDF (docs/printing.md). */
  notices: NoticesService;
  /** Outbound messages to the gestionali (EPaywso2EntiService): the sender runs in the worker role. */
  deliverySender: DeliverySender;
  deliveries: DeliveriesQueries;
  /** Payment / expiry notifications grouped into messages for the gestionali (worker role). */
  notifications: NotificationsService;
  /** Liste di carico received over SOAP (Enti2EPaywsoService), processed by the worker role. */
  lists: ListsService;
  /** The throttle on the gestionali's failed HTTP Basic authentications (docs/security.md). */
  authThrottle: AuthThrottle;
  /** Mass printing: jobs created through the admin API, printed by the worker role (docs/printing.md). */
  printJobs: PrintJobsService;
  /** The worker role's claim loops over deliveries, notifications and lists: built here, started by the worker. */
  loops: WorkerLoops;
  close(): Promise<void>;
}

export interface ContainerOptions {
  /** Use this database instead of opening the configured one (tests). */
  db?: Database;
  logger?: Logger;
  migrate?: boolean;
  clock?: () => Date;
}

export async function createContainer(config: Config, opts: ContainerOptions = {}): Promise<Container> {
  const logger = opts.logger ?? createLogger(config);
  const db =
    opts.db ??
    (await openDatabase({
      url: config.databaseUrl,
      dataDir: join(config.dataDir, 'pglite'),
      poolSize: config.dbPoolSize,
    }));
  // each connection the pool loses (restart, failover, pooler timeout) is one line, without SQL or parameters
  // a checkpoint that fails leaves more WAL to replay after a crash, nothing else: a warning, without data
  if (db.kind === 'pglite')
    db.onCheckpointError = (err) =>
      logger.warn({ err }, 'embedded database: background checkpoint failed; retried at the next check');
  if (db.connections)
    db.connections.report = (e) =>
      logger.warn(
        { db: e, lost: db.connections?.lost },
        'database connection lost; the pool opens a new one on demand',
      );
  if (opts.migrate ?? true) {
    const result = await migrate(db);
    if (result.applied.length > 0) logger.info({ applied: result.applied }, 'database migrations applied');
  }
  const secrets = new SecretBox(
    config.secretKeys ??
      localDevSecret(config, 'secret.key', () => SecretBox.generateKeySpec('dev1'), logger),
  );
  const adminToken =
    config.adminToken ??
    localDevSecret(config, 'admin.token', () => randomBytes(32).toString('base64url'), logger);
  // the journal flushes every 50 ms: while the database is down, one line when the outage starts and one when it ends
  const metrics = new Metrics(db, { logger });
  const auditOutage = new OutageBackoff('audit journal', logger, 50);
  const audit = new AuditJournal(
    db,
    {
      keepPayloads: config.audit.keepPayloads,
      payloadMaxBytes: config.audit.payloadMaxBytes,
      onWriteFailure: (events) => metrics.journalWriteFailed(events),
    },
    (err) => {
      if (auditOutage.failed(err) === undefined)
        logger.error({ db: dbErrorSummary(err) }, 'audit journal write failed');
    },
    () => auditOutage.succeeded(),
  );
  // failed HTTP Basic authentications of the gestionali, counted in PostgreSQL (docs/security.md)
  const authThrottle = new AuthThrottle(db, config.auth, opts.clock);
  const debtPositions = new DebtPositionsService(db, secrets, opts.clock, { throttle: authThrottle });
  const checkout = new CheckoutService(db, audit, { ...config.checkout, env: config.pagopa.env }, opts.clock);
  // the captcha's HMAC key: derived from secrets every instance shares, never stored
  const captchaKey = createHash('sha256')
    .update(`cassa-portal-captcha:${config.secretKeys ?? ''}:${adminToken}`)
    .digest('base64');
  const receipts = new ReceiptsQueries(db, debtPositions);
  // the Sportello's receipt links' HMAC key: derived the same way, under another label
  const linkKey = createHash('sha256')
    .update(`cassa-portal-links:${config.secretKeys ?? ''}:${adminToken}`)
    .digest('base64');
  const portal = new PortalService(
    db,
    secrets,
    debtPositions,
    checkout,
    new Captcha(db, captchaKey, config.portal.captchaMaxNumber, opts.clock),
    receipts,
    linkKey,
    opts.clock,
  );
  const deliverySender = new DeliverySender(db, secrets, audit, config.deliveries, logger);
  const notifications = new NotificationsService(
    db,
    { batchWindowMs: config.deliveries.notificationBatchWindowMs },
    logger,
  );
  const lists = new ListsService(
    db,
    debtPositions,
    new BulkPositions(opts.clock),
    { maxPositions: config.lists.maxPositions },
    logger,
  );
  const notices = new NoticesService(db, opts.clock);
  const printJobs = new PrintJobsService(
    db,
    notices,
    { draw: drawNotice, render: renderNoticePdf },
    config.printJobs,
    { printed: (format, n) => metrics.noticesPrinted.inc({ format }, n) },
    logger,
  );
  return {
    config,
    logger,
    metrics,
    db,
    secrets,
    adminToken,
    audit,
    organizations: new OrganizationsService(db),
    applications: new ApplicationsService(db, secrets, config.production),
    debtPositions,
    documents: debtPositions.documents,
    paForNode: new PaForNodeService(db, config.pagopa, opts.clock, (r) => metrics.receiptStored(r)),
    checkout,
    receipts,
    receiptPdfs: new ReceiptPdfs(db, receipts),
    portal,
    deliverySender,
    deliveries: new DeliveriesQueries(db),
    notifications,
    authThrottle,
    lists,
    notices,
    printJobs,
    loops: {
      deliveries: deliveriesLoop(deliverySender, config.deliveries.pollMs, logger),
      notifications: notificationsLoop(notifications, config.deliveries.pollMs, logger),
      lists: listsLoop(lists, { concurrency: config.lists.concurrency, pollMs: config.lists.pollMs }, logger),
      printJobs: printJobsLoop(printJobs, config.printJobs.pollMs, logger),
    },
    async close() {
      await audit.close();
      if (!opts.db) await db.close();
    },
  };
}

/**
 * Outside production a missing secret is generated once and kept in the data directory (mode 600),
 * so that `npm start` works on a fresh machine and survives restarts. Production refuses to start
 * without it (see loadConfig).
 */
function localDevSecret(config: Config, file: string, generate: () => string, logger: Logger): string {
  const path = join(config.dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const value = generate();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  logger.warn({ path }, `generated a development ${file}; set it in the environment for production`);
  return value;
}
