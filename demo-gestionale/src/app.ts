import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { CassaClient } from './cassa-client.js';
import { returnUrlOf, type GestionaleConfig } from './config.js';
import { GESTIONALE_NAME, loadDemoPositions } from './demo-positions.js';
import { Payments } from './payments.js';
import { Notices } from './notices.js';
import { CSRF_COOKIE, EXPIRED_FORM_PATH, registerRoutes } from './routes.js';
import { GestionaleStore } from './store.js';
import { bootstrapItaliaDist, Views } from './views.js';
import { Inbox } from './epaywso2enti/inbox.js';
import { registerSoapPages } from './epaywso2enti/pages.js';
import { epaywso2EntiRoutes } from './epaywso2enti/routes.js';
import { EPaywso2Enti } from './epaywso2enti/service.js';
import { ListeClient } from './liste-client.js';

export interface DemoGestionale extends FastifyInstance {
  gestionale: {
    config: GestionaleConfig;
    store: GestionaleStore;
    payments: Payments;
    cassa: CassaClient;
    /** What arrived on EPaywso2EntiService: message log, liste di carico and their outcomes, RTs. */
    inbox: Inbox;
    /** Cassa's Enti2EPaywsoService (liste di carico). */
    liste: ListeClient;
    /** Loads the demo positions (and creates in Cassa those it owns, when config.seedOnStart). */
    loadDemoPositions(): Promise<{ created: number; replayed: number }>;
  };
}

/**
 * The gestionale's own logger: readable lines (pino-pretty, one event a line) unless GEST_LOG_FORMAT=json
 * (or NODE_ENV=production).
 */
export function createGestionaleLogger(
  config: Pick<GestionaleConfig, 'logLevel' | 'logFormat'>,
  destination?: DestinationStream,
): Logger {
  const options = { level: config.logLevel, name: 'demo-gestionale' };
  if (config.logFormat === 'json' || config.logLevel === 'silent') return pino(options, destination);
  return pino(
    options,
    pretty({
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      sync: true,
      destination: destination ?? 1,
    }),
  );
}

/**
 * The demo gestionale "Pagamenti Vari del Comune di Alessandria": a web application of its own that
 * talks to Cassa only over HTTP (epayapi REST; the Sportello's redirect through the browser).
 * Returns the Fastify app, not yet listening (tests listen on port 0). Positions are loaded by
 * `app.gestionale.loadDemoPositions()` (main calls it before listening).
 */
export async function buildDemoGestionale(
  config: GestionaleConfig,
  opts: { logger?: Logger; clock?: () => Date } = {},
): Promise<DemoGestionale> {
  const logger = opts.logger ?? createGestionaleLogger(config);
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: 65_536,
  }) as unknown as DemoGestionale;
  const store = new GestionaleStore();
  const cassa = new CassaClient(config);
  const payments = new Payments(config, store, cassa, opts.clock);
  const views = new Views(GESTIONALE_NAME);
  const inbox = new Inbox();
  const notices = new Notices();
  const liste = new ListeClient(config);
  const soapService = new EPaywso2Enti(store, payments, inbox, opts.clock);
  await app.register(fastifyFormbody);
  await app.register(fastifyCookie);
  // CSRF tokens on the gestionale's own forms (access, exit, pay, status check, test list): the
  // secret in an HttpOnly cookie, the token in a hidden field. The form to the Sportello carries
  // none (it goes to Cassa, protected by its digest).
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, signed: false },
    getToken: (req) => {
      const v = (req.body as Record<string, unknown> | undefined)?._csrf;
      return typeof v === 'string' ? v : undefined;
    },
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err.code?.startsWith('FST_CSRF')) {
      req.log.info({ code: err.code }, 'form refused: CSRF token missing or invalid');
      // post/redirect/get here too: the refusal is a page of its own (403), never the answer to the POST
      return reply.redirect(EXPIRED_FORM_PATH, 303);
    }
    return reply.send(err);
  });
  await app.register(fastifyStatic, {
    root: bootstrapItaliaDist(),
    prefix: '/static/bootstrap-italia/',
    maxAge: 3_600_000,
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    // the return URL carries the digest: never leak it (or the attempt id) to another site
    reply.header('referrer-policy', 'no-referrer');
    // No form-action directive: the form to the Sportello is followed by redirects (to pagoPA
    // Checkout, when the Sportello skips its personal-data page), and browsers apply form-action to them.
    if (!req.url.startsWith('/static/')) {
      reply.header('cache-control', 'no-store');
      reply.header(
        'content-security-policy',
        `default-src 'self'; img-src 'self' data:; style-src 'self'; font-src 'self' data:; script-src 'none'; frame-ancestors 'none'; base-uri 'none'`,
      );
    }
  });

  app.get('/static/demo-gestionale.css', async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=3600').send(views.css),
  );
  app.get('/health', () => ({
    status: 'ok',
    codiceChiamante: config.codiceChiamante,
    returnUrl: returnUrlOf(config),
  }));
  registerRoutes(app, { store, payments, views, notices, inbox });
  registerSoapPages(app, { inbox, views, liste, notices });
  // EPaywso2EntiService in a scope of its own: its XML body parser does not touch the pages
  // eslint-disable-next-line @typescript-eslint/require-await -- an async plugin makes avvio reject register() if the routes throw (a sync one would throw uncaught)
  await app.register(async (scope) => {
    epaywso2EntiRoutes(scope, { config, service: soapService, inbox });
  });

  app.decorate('gestionale', {
    config,
    store,
    payments,
    cassa,
    inbox,
    liste,
    loadDemoPositions: () => loadDemoPositions(store, cassa, { create: config.seedOnStart }),
  });
  return app;
}
