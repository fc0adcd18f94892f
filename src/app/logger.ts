import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/config.js';
import { serializeError } from '../shared/safe-error.js';

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

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '***' },
    serializers: {
      // errors without their data: a failed query's SQL parameters, PostgreSQL's echoed values (src/shared/safe-error.ts)
      err: serializeError,
      error: serializeError,
      req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: stripQuery(req.url), id: req.id }),
    },
  }, destination);
}

/**
 * Query strings can carry a fiscal code (e.g. the Sportello's forms): never logged. Nor are the
 * Sportello's conclusion URLs' session reference and secret token (/sportello/esito/{ref}/{outcome}/{token}).
 */
export function stripQuery(url: string): string {
  const i = url.indexOf('?');
  const path = i < 0 ? url : `${url.slice(0, i)}?…`;
  return path.replace(/^\/sportello\/esito\/[^?]*/, '/sportello/esito/…');
}
