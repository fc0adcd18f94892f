import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createContainer, type Container } from '../../src/app/container.js';
import { loadConfig } from '../../src/config/config.js';
import { buildServer } from '../../src/http/server.js';
import { SecretBox } from '../../src/shared/secret-box.js';
import { createTestDatabase } from './db.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestApp {
  app: FastifyInstance;
  c: Container;
  close: () => Promise<void>;
}

/** Cassa on a fresh database, migrated, with a fixed admin token; `clock` fixes "now", `logger` captures the logs, when given. */
export async function buildTestApp(
  opts: { clock?: () => Date; env?: Record<string, string>; logger?: Logger } = {},
): Promise<TestApp> {
  const { db, drop } = await createTestDatabase();
  const config = loadConfig({
    CASSA_ENV: 'test',
    CASSA_SECRET_KEYS: SecretBox.generateKeySpec('t1'),
    CASSA_ADMIN_TOKEN: ADMIN_TOKEN,
    CASSA_LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const c = await createContainer(config, { db, clock: opts.clock, logger: opts.logger });
  const app = await buildServer(c);
  await app.ready();
  return {
    app,
    c,
    close: async () => {
      await app.close();
      await c.close();
      await drop();
    },
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
