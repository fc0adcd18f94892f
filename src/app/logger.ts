import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
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

/**
 * How the lines are written: readable ones in development (`npm start`, `cassa demo`: a person reads
 * the terminal), JSON lines in production and in tests (a log collector, or a test, parses them).
 * NODE_ENV=production also means JSON, whatever CASSA_ENV says.
 */
export type LogFormat = 'pretty' | 'json';

export function logFormatOf(
  config: Partial<Pick<Config, 'env'>>,
  env: Record<string, string | undefined> = process.env,
): LogFormat {
  return config.env === 'development' && env.NODE_ENV !== 'production' ? 'pretty' : 'json';
}

/**
 * Readable lines (pino-pretty, in this process: no worker thread): time, level, message and the
 * other fields on one line, so that `npm start`'s [cassa] prefix stays on every line; colours only
 * on a terminal (or FORCE_COLOR). Written synchronously, as pino's own stdout is, so that the last
 * line before an exit is not lost.
 */
export function prettyStream(destination?: DestinationStream | number): DestinationStream {
  return pretty({
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
    destination: destination ?? 1,
  });
}

/**
 * Cassa's logger. Redaction and serializers act before the line is written, so they hold in both
 * formats; `format` defaults to the configuration's (logFormatOf), `destination` to stdout.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'env'>>,
  destination?: DestinationStream,
  format: LogFormat = logFormatOf(config),
): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '***' },
    serializers: {
      // errors without their data: a failed query's SQL parameters, PostgreSQL's echoed values (src/shared/safe-error.ts)
      err: serializeError,
      error: serializeError,
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: stripQuery(req.url),
        id: req.id,
      }),
    },
  };
  if (format === 'pretty' && config.logLevel !== 'silent') return pino(options, prettyStream(destination));
  return pino(options, destination);
}

/**
 * Query strings can carry a fiscal code (e.g. the Sportello's forms): never logged. Nor are the secrets
 * in the Sportello's links: a conclusion URL's session reference and token (/sportello/esito/{ref}/{outcome}/{token}),
 * a notice's or a receipt's link token (/sportello/avviso/{position}/{token}, /sportello/ricevuta/{position}/{token}[/pdf]).
 */
export function stripQuery(url: string): string {
  const i = url.indexOf('?');
  const path = i < 0 ? url : `${url.slice(0, i)}?…`;
  return path.replace(/^\/sportello\/(esito|avviso|ricevuta)\/[^?]*/, '/sportello/$1/…');
}
