import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createGestionaleLogger } from '../../demo-gestionale/src/app.js';
import { loadGestionaleConfig } from '../../demo-gestionale/src/config.js';
import { createSimLogger } from '../../simulator/src/app.js';
import { loadSimConfig } from '../../simulator/src/config.js';
import { createLogger, logFormatOf } from '../../src/app/logger.js';
import { until } from '../helpers/until.js';

// Readable log lines where a person reads them (development: `npm start`), JSON lines where a machine
// does (production, tests); the same redaction in both.

const CF = 'TSTPNI70D01L219V';

function sink(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString('utf8');
      done();
    },
  });
  return { stream, text: () => out };
}

const isJson = (line: string) => {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
};

/** Logs what Cassa must never write in clear: a fiscal code, a passphrase, a query string with a fiscal code. */
function logPersonalData(log: ReturnType<typeof createLogger>): void {
  log.info(
    {
      position: { codiceFiscale: CF, iuv: '190280072147087' },
      app: { passphrase: 'segreto%£' },
      req: { method: 'GET', url: `/sportello/?codiceFiscale=${CF}`, id: 'r1' },
    },
    'demo line',
  );
}

describe("Cassa's log format", () => {
  it('is readable in development and JSON in production and tests; NODE_ENV=production means JSON', () => {
    expect(logFormatOf({ env: 'development' }, {})).toBe('pretty');
    expect(logFormatOf({ env: 'production' }, {})).toBe('json');
    expect(logFormatOf({ env: 'test' }, {})).toBe('json');
    expect(logFormatOf({}, {})).toBe('json');
    expect(logFormatOf({ env: 'development' }, { NODE_ENV: 'production' })).toBe('json');
  });

  it('development: one readable line an event, not JSON, with the personal data redacted', async () => {
    const s = sink();
    logPersonalData(createLogger({ logLevel: 'info', env: 'development' }, s.stream));
    await until(() => s.text().includes('\n'), 'the pretty line');
    const lines = s.text().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(isJson(line)).toBe(false);
    expect(line).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: demo line /);
    expect(line).toContain('190280072147087');
    expect(line).toContain('"codiceFiscale":"***"');
    expect(line).toContain('"passphrase":"***"');
    expect(line).not.toContain(CF);
    expect(line).not.toContain('segreto');
    expect(line).not.toContain('\u001b['); // no colours into something that is not a terminal
  });

  it('production: JSON lines, with the personal data redacted', () => {
    const s = sink();
    logPersonalData(createLogger({ logLevel: 'info', env: 'production' }, s.stream));
    const lines = s.text().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!);
    expect(j).toMatchObject({
      level: 30,
      msg: 'demo line',
      position: { codiceFiscale: '***', iuv: '190280072147087' },
      app: { passphrase: '***' },
      req: { method: 'GET', url: '/sportello/?…' },
    });
    expect(lines[0]).not.toContain(CF);
  });
});

describe('the demo programs log formats', () => {
  it('the simulator and the demo gestionale write readable lines by default, JSON with *_LOG_FORMAT=json or NODE_ENV=production', async () => {
    expect(loadSimConfig({}).logFormat).toBe('pretty');
    expect(loadSimConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadSimConfig({ SIM_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => loadSimConfig({ SIM_LOG_FORMAT: 'xml' })).toThrow(/SIM_LOG_FORMAT/);
    expect(loadGestionaleConfig({}).logFormat).toBe('pretty');
    expect(loadGestionaleConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadGestionaleConfig({ GEST_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => loadGestionaleConfig({ GEST_LOG_FORMAT: 'xml' })).toThrow(/GEST_LOG_FORMAT/);

    for (const make of [createSimLogger, createGestionaleLogger]) {
      const pretty = sink();
      make({ logLevel: 'info', logFormat: 'pretty' }, pretty.stream).info(
        { iuv: '190280072147087' },
        'started',
      );
      await until(() => pretty.text().includes('\n'), 'the pretty line');
      expect(isJson(pretty.text().trim())).toBe(false);
      expect(pretty.text()).toMatch(
        /INFO \((simulator|demo-gestionale)\): started \{"iuv":"190280072147087"\}/,
      );
      const json = sink();
      make({ logLevel: 'info', logFormat: 'json' }, json.stream).info('started');
      expect(JSON.parse(json.text())).toMatchObject({ msg: 'started', level: 30 });
    }
  });
});
