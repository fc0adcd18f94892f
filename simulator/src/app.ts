import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { Checkout } from './checkout.js';
import type { SimConfig } from './config.js';
import { Journal } from './journal.js';
import { PagoPaNode } from './node.js';
import { registerCheckoutRoutes } from './checkout-routes.js';
import { registerControlRoutes } from './control-routes.js';
import { StationClient } from './station-client.js';
import { PaForNodeSchema } from './xsd.js';

export interface Simulator {
  app: FastifyInstance;
  config: SimConfig;
  node: PagoPaNode;
  checkout: Checkout;
  journal: Journal;
  schema: PaForNodeSchema;
  logger: Logger;
  /** Starts listening on config.host:config.port (0: any free port); resolves to the base URL. */
  listen(): Promise<string>;
  /** The base URL once listening (publicUrl follows it when the port was 0 and no public URL was given). */
  url(): string;
  /** Forgets carts, tokens, receipts, calls and violations; clears the faults. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The simulator's own logger: readable lines (pino-pretty, one event a line) unless SIM_LOG_FORMAT=json
 * (or NODE_ENV=production).
 */
export function createSimLogger(
  config: Pick<SimConfig, 'logLevel' | 'logFormat'>,
  destination?: DestinationStream,
): Logger {
  const options = { level: config.logLevel, name: 'simulator' };
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
 * Builds the simulator of the pagoPA node, Checkout and a PSP. It talks to the EC (Cassa) only over
 * HTTP/SOAP at config.stationUrl; tests start it in-process on port 0.
 */
export function buildSimulator(config: SimConfig, opts: { logger?: Logger } = {}): Promise<Simulator> {
  const logger = opts.logger ?? createSimLogger(config);
  const journal = new Journal(logger);
  const schema = new PaForNodeSchema(config.specsDir);
  const client = new StationClient(schema, journal);
  const node = new PagoPaNode(config, client, journal);
  const checkout = new Checkout(node, () => config.publicUrl, config.specsDir);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- without it the compiler infers a FastifyInstance of pino's Logger, not assignable to FastifyInstance
  const app: FastifyInstance = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: 1_048_576 });

  app.addHook('onResponse', async (req, reply) => {
    // Reads of the control API and the reset (which empties the journal) are not journaled.
    if ((req.method === 'GET' && req.url.startsWith('/sim/')) || req.url === '/sim/reset') return;
    journal.record({
      direction: 'inbound',
      operation: `${req.method} ${req.routeOptions.url ?? req.url}`,
      url: req.url,
      httpStatus: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
      request:
        req.url.startsWith('/checkout/ec/') && req.body !== undefined ? JSON.stringify(req.body) : undefined,
    });
  });

  registerCheckoutRoutes(app, { config, checkout });
  registerControlRoutes(app, { config, node, checkout, journal });

  let base: string | undefined;
  const sim: Simulator = {
    app,
    config,
    node,
    checkout,
    journal,
    schema,
    logger,
    async listen() {
      const address = await app.listen({ host: config.host, port: config.port });
      const u = new URL(address);
      base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${u.port}`;
      if (config.port === 0 && new URL(config.publicUrl).port === '0') config.publicUrl = base;
      return base;
    },
    url() {
      if (!base) throw new Error('the simulator is not listening');
      return base;
    },
    reset() {
      node.reset();
      checkout.reset();
      journal.reset();
    },
    async close() {
      node.stopTimers();
      await app.close();
      schema.dispose();
    },
  };
  // A promise like the builders of Cassa and of the demo gestionale (which await their plugins):
  // callers build all three the same way.
  return Promise.resolve(sim);
}
