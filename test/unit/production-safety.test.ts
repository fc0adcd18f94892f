import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { SecretBox } from '../../src/shared/secret-box.js';
import { readXmlBytes, xmlDocumentBytes } from '../../src/shared/soap/soap-envelope.js';
import { charLength, truncateChars } from '../../src/shared/text.js';
import { estimateTokenBits, MIN_TOKEN_BITS } from '../../src/shared/token-strength.js';

/** Issue 10, items 7 and 8: what production refuses, and text and receipt bytes as the XSDs see them. */

const PROD = {
  CASSA_ENV: 'production',
  DATABASE_URL: 'postgres://cassa@db:5432/cassa',
  CASSA_SECRET_KEYS: SecretBox.generateKeySpec('k1'),
  CASSA_ADMIN_TOKEN: '1F7iCQA5iSSMo8v5hzoHcWKK5KNnZnepW4imAHYxZN0=',
  CASSA_CHECKOUT_SUBSCRIPTION_KEY: 'a-checkout-subscription-key',
  CASSA_PUBLIC_URL: 'https://cassa.example.org',
};

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('estimateTokenBits', () => {
  it('passes what `openssl rand -base64 32` and `openssl rand -hex 32` print (and 32 random bytes in base64url)', () => {
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(32);
      for (const token of [bytes.toString('base64'), bytes.toString('hex'), bytes.toString('base64url')]) {
        expect(estimateTokenBits(token), token).toBeGreaterThanOrEqual(MIN_TOKEN_BITS);
      }
    }
    expect(estimateTokenBits('1F7iCQA5iSSMo8v5hzoHcWKK5KNnZnepW4imAHYxZN0=')).toBeGreaterThanOrEqual(
      MIN_TOKEN_BITS,
    );
    expect(estimateTokenBits('503b497ec5cf8245e07fce29a6e12dbb8166b9f99cdcb00d99ff00ab05c02c90')).toBe(256);
  });

  it('refuses repeated characters, periodic and low-diversity tokens, runs, and anything shorter than 32 random bytes', () => {
    const weak = [
      'a'.repeat(64),
      'a'.repeat(200),
      'abc'.repeat(30),
      '0123456789abcdef'.repeat(4),
      '0123456789abcdef'.repeat(10),
      'Password1!'.repeat(6),
      // non-periodic but nearly all one character
      `${'a'.repeat(60)}b${'a'.repeat(20)}c`,
      // the alphabet in order
      'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/',
      // a 30-character password, however mixed
      'Tr0ub4dor&3-horse-battery-st!!',
      randomBytes(22).toString('base64').slice(0, 30),
      // 31 random bytes in hex: one byte short
      randomBytes(31).toString('hex'),
      'test-admin-token-0123456789abcdef',
      '',
    ];
    for (const token of weak) expect(estimateTokenBits(token), token).toBeLessThan(MIN_TOKEN_BITS);
  });
});

describe('production refuses what is unsafe', () => {
  it('accepts a complete, safe production configuration', () => {
    expect(loadConfig(PROD)).toMatchObject({
      production: true,
      publicUrl: PROD.CASSA_PUBLIC_URL,
      pagopa: { env: 'production' },
    });
    expect(
      loadConfig({ ...PROD, CASSA_ADMIN_TOKEN: randomBytes(32).toString('hex'), CASSA_PAGOPA_ENV: 'uat' })
        .pagopa.env,
    ).toBe('uat');
  });

  it('CASSA_PUBLIC_URL must be https', () => {
    const msg = configError({ ...PROD, CASSA_PUBLIC_URL: 'http://cassa.example.org' });
    expect(msg).toContain('CASSA_PUBLIC_URL must be https');
    expect(
      loadConfig({ ...PROD, CASSA_ENV: 'test', CASSA_PUBLIC_URL: 'http://cassa.example.org' }).publicUrl,
    ).toBe('http://cassa.example.org');
  });

  it('CASSA_PAGOPA_ENV=simulator is refused', () => {
    expect(configError({ ...PROD, CASSA_PAGOPA_ENV: 'simulator' })).toContain(
      'CASSA_PAGOPA_ENV=simulator is refused in production',
    );
    expect(loadConfig({ ...PROD, CASSA_ENV: 'development', CASSA_PAGOPA_ENV: 'simulator' }).pagopa.env).toBe(
      'simulator',
    );
  });

  it.each([
    ['repeated characters', 'a'.repeat(64)],
    ['a periodic token', 'abc'.repeat(20)],
    ['hex digits in order, repeated', '0123456789abcdef'.repeat(4)],
    ['a 30-character password', 'Tr0ub4dor&3-horse-battery-st!!'],
    ['an old-style token', 'a-production-admin-token-0123456789'],
  ])('CASSA_ADMIN_TOKEN: refuses %s, saying how to generate a good one', (_what, token) => {
    const msg = configError({ ...PROD, CASSA_ADMIN_TOKEN: token });
    expect(msg).toContain('CASSA_ADMIN_TOKEN is too easy to guess');
    expect(msg).toContain('openssl rand -base64 32');
    expect(msg).not.toContain(token);
  });

  it('lists every unsafe setting at once', () => {
    const msg = configError({
      ...PROD,
      CASSA_PUBLIC_URL: 'http://x.example',
      CASSA_PAGOPA_ENV: 'simulator',
      CASSA_ADMIN_TOKEN: 'x'.repeat(40),
    });
    expect(msg.split('\n').slice(1)).toHaveLength(3);
  });

  it('outside production keeps the old rule (24 characters at least)', () => {
    expect(loadConfig({ CASSA_ENV: 'test', CASSA_ADMIN_TOKEN: 'x'.repeat(24) }).adminToken).toBe(
      'x'.repeat(24),
    );
    expect(configError({ CASSA_ENV: 'test', CASSA_ADMIN_TOKEN: 'short' })).toContain('CASSA_ADMIN_TOKEN');
  });
});

describe('charLength and truncateChars: characters as the XSDs count them', () => {
  it('counts code points, an emoji as one', () => {
    expect(charLength('')).toBe(0);
    expect(charLength('àèìòù')).toBe(5);
    expect(charLength('😀')).toBe(1);
    expect(charLength(`${'a'.repeat(139)}😀`)).toBe(140);
    expect(`${'a'.repeat(139)}😀`.length).toBe(141);
    // a lone surrogate counts as one
    expect(charLength('a\uD83D')).toBe(2);
  });

  it('never cuts a surrogate pair in half', () => {
    const s = `${'a'.repeat(139)}😀b`;
    expect(truncateChars(s, 140)).toBe(`${'a'.repeat(139)}😀`);
    expect(truncateChars('😀😀😀', 2)).toBe('😀😀');
    expect(truncateChars('abc', 5)).toBe('abc');
    expect(truncateChars('a😀', 1)).toBe('a');
    expect(/[\uD800-\uDFFF]/.test(truncateChars('😀'.repeat(100), 33).replace(/\uD83D\uDE00/g, ''))).toBe(
      false,
    );
  });
});

describe('XML documents kept as received', () => {
  const text = '<?xml version="1.0" encoding="ISO-8859-1"?><a>Attività già pagata: àèìòù</a>';
  const latin1 = Buffer.from(text, 'latin1');

  it('reads an ISO-8859-1 document and keeps its bytes; a UTF-8 one needs no copy', () => {
    expect(readXmlBytes(latin1)).toEqual({ text, original: latin1 });
    const utf8 = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><a>già</a>', 'utf8');
    expect(readXmlBytes(utf8)).toEqual({
      text: '<?xml version="1.0" encoding="UTF-8"?><a>già</a>',
      original: undefined,
    });
    expect(readXmlBytes(Buffer.from('<a>già</a>', 'utf8')).original).toBeUndefined();
  });

  it('hands out bytes that agree with their declaration', () => {
    expect(xmlDocumentBytes(text, latin1)).toEqual({ bytes: latin1, encoding: 'ISO-8859-1' });
    expect(xmlDocumentBytes('<a>già</a>', null)).toEqual({
      bytes: Buffer.from('<a>già</a>', 'utf8'),
      encoding: 'UTF-8',
    });
    // kept before the bytes were: re-declared as UTF-8, the text unchanged
    const legacy = xmlDocumentBytes(text, null);
    expect(legacy.encoding).toBe('UTF-8');
    expect(legacy.bytes.toString('utf8')).toBe(text.replace('ISO-8859-1', 'UTF-8'));
  });
});
