import { pino, type Logger } from 'pino';
import type { Config } from '../config/config.js';

/**
 * Logs never carry secrets or personal fiscal codes: credentials, bodies and the query strings of
 * requests are left out or masked; the audit journal (access-controlled) is where payloads go.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-admin-token"]',
  '*.passphrase',
  '*.password',
  '*.codiceFiscale',
  '*.codiceFiscalePartitaIVAPagatore',
  '*.debtorFiscalCode',
  '*.fiscalCode',
  'body',
];

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '***' },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: stripQuery(req.url), id: req.id }),
    },
  });
}

/** Query strings can carry a fiscal code (e.g. the Sportello's forms): never logged. */
export function stripQuery(url: string): string {
  const i = url.indexOf('?');
  return i < 0 ? url : `${url.slice(0, i)}?…`;
}
