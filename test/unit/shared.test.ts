import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SPORTELLO_SITE_DEMO } from '../../src/config/config.js';
import { returnUrlProblem } from '../../src/modules/applications/domain/applications.js';
import { redactPayload } from '../../src/modules/audit/domain/redaction.js';
import {
  isNumericFiscalCode,
  isPersonFiscalCode,
  numericCheckDigit,
  personCheckCharacter,
} from '../../src/shared/fiscal-code.js';
import { ibanCheckDigits, isValidIban } from '../../src/shared/iban.js';
import {
  centsToDecimal,
  centsToEuros,
  decimalToCents,
  euroFigures,
  eurosToCents,
  formatCents,
} from '../../src/shared/money.js';
import { safeEqual, SecretBox } from '../../src/shared/secret-box.js';
import { parseBasicAuth } from '../../src/http/basic-auth.js';
import { DomainError, HTTP_STATUS_OF_KIND } from '../../src/shared/domain-error.js';
import { checkoutError } from '../../src/modules/pagopa/domain/checkout-errors.js';

describe('money', () => {
  it('converts euros with up to two decimals to cents', () => {
    expect(eurosToCents(0)).toBe(0);
    expect(eurosToCents(1)).toBe(100);
    expect(eurosToCents(12.5)).toBe(1250);
    expect(eurosToCents(19.99)).toBe(1999);
    expect(eurosToCents(0.01)).toBe(1);
    expect(eurosToCents(8.5)).toBe(850);
    expect(eurosToCents(999_999_999.99)).toBe(99_999_999_999);
  });

  it('tolerates the noise of binary floating point (0.1 + 0.2 and the like)', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(eurosToCents(0.1 + 0.2)).toBe(30);
    expect(eurosToCents(1.1 + 2.2)).toBe(330);
    expect(eurosToCents(0.7 + 0.1)).toBe(80);
    expect(eurosToCents(4.35 * 3)).toBe(1305);
  });

  it('is exact for every two-decimal amount up to the maximum, however large', () => {
    // every amount a gestionale may send arrives as the double nearest to its decimal text
    const samples = [
      136_155_827.7, 651_697_614.33, 285_183_016.47, 556_698_948.57, 85_899_345.93, 999_999_999.98,
      900_000_000.01, 123_456_789.12,
    ];
    for (const euros of samples) {
      expect(eurosToCents(euros), String(euros)).toBe(Math.round(euros * 100));
    }
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const cents = (next() * 2 ** 31 + next()) % 100_000_000_000;
      const euros = Number(`${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`);
      if (eurosToCents(euros) !== cents)
        expect.fail(`${euros} euros should be ${cents} cents, got ${eurosToCents(euros)}`);
    }
  });

  it('refuses more than two decimals and non-finite numbers', () => {
    expect(eurosToCents(12.345)).toBeNull();
    expect(eurosToCents(1.005)).toBeNull();
    expect(eurosToCents(0.001)).toBeNull();
    expect(eurosToCents(123_456_789.125)).toBeNull();
    expect(eurosToCents(999_999_999.999)).toBeNull();
    expect(eurosToCents(Number.NaN)).toBeNull();
    expect(eurosToCents(Number.POSITIVE_INFINITY)).toBeNull();
    expect(eurosToCents(Number.NEGATIVE_INFINITY)).toBeNull();
    expect(eurosToCents(1e300)).toBeNull();
  });

  it('formats cents as a two-place decimal string', () => {
    expect(centsToDecimal(0)).toBe('0.00');
    expect(centsToDecimal(5)).toBe('0.05');
    expect(centsToDecimal(1250)).toBe('12.50');
    expect(centsToDecimal(10000)).toBe('100.00');
    expect(centsToDecimal(99_999_999_999)).toBe('999999999.99');
    expect(centsToDecimal(-1250)).toBe('-12.50');
    expect(centsToDecimal(-5)).toBe('-0.05');
    expect(centsToEuros(1250)).toBe(12.5);
    expect(centsToEuros(99_999_999_999)).toBe(999_999_999.99);
  });

  it('parses decimal strings to cents', () => {
    expect(decimalToCents('100')).toBe(10000);
    expect(decimalToCents('100.5')).toBe(10050);
    expect(decimalToCents('100.50')).toBe(10050);
    expect(decimalToCents('0.01')).toBe(1);
    expect(decimalToCents(' 12.34 ')).toBe(1234);
    expect(decimalToCents('999999999.99')).toBe(99_999_999_999);
  });

  it.each(['', '12.345', '12,50', '-1', '+1', '.5', '1.', '1e3', 'abc', '1 000', '1234567890123'])(
    'refuses the decimal string %j',
    (s) => {
      expect(decimalToCents(s)).toBeNull();
    },
  );

  it.each([
    ['10', 1000],
    ['10.', 1000],
    ['.5', 50],
    ['.50', 50],
    ['+10.00', 1000],
    ['-0', 0],
    ['-0.00', 0],
    ['010.500', 1050],
    ['000000000999999999.990', 99_999_999_999],
    [' 12.34 ', 1234],
  ])('reads every lexical form of an xs:decimal amount: %j is %i cents', (s, cents) => {
    expect(decimalToCents(s, 'xs:decimal')).toBe(cents);
  });

  it.each(['', '.', '+', '-1', '-0.01', '12.345', '1.001', '1000000000', '12,50', '1e3', '1 000', 'abc'])(
    'refuses the xs:decimal %j (not a decimal, a third significant decimal, negative, or over 999999999.99)',
    (s) => {
      expect(decimalToCents(s, 'xs:decimal')).toBeNull();
    },
  );

  it('round-trips cents through the decimal string', () => {
    for (const c of [0, 1, 99, 100, 1250, 123_456_789, 99_999_999_999])
      expect(decimalToCents(centsToDecimal(c))).toBe(c);
  });

  it('writes amounts for people in Italian notation, every thousand grouped, with a plain space', () => {
    expect(formatCents(0)).toBe('0,00 €');
    expect(formatCents(5)).toBe('0,05 €');
    expect(formatCents(10000)).toBe('100,00 €');
    expect(formatCents(123456)).toBe('1.234,56 €');
    expect(formatCents(99_999_999_999)).toBe('999.999.999,99 €');
    expect(euroFigures(123456)).toBe('1.234,56');
    expect(euroFigures(1_234_567_800)).toBe('12.345.678,00');
  });
});

describe('fiscal codes', () => {
  it('checks the check character of a person fiscal code', () => {
    expect(isPersonFiscalCode('TSTPNI70D01L219V')).toBe(true);
    expect(isPersonFiscalCode('RSSMRA85T10A562S')).toBe(true);
    expect(isPersonFiscalCode('TSTPNI70D01L219X')).toBe(false);
    expect(isPersonFiscalCode('RSSMRA85T10A562T')).toBe(false);
  });

  it('accepts omocodie (digits replaced by letters) with their own check character', () => {
    // RSSMRA85T10A562S with the last digit 2 → N (omocodia): check character recomputed
    expect(isPersonFiscalCode('RSSMRA85T10A56NH')).toBe(true);
    expect(isPersonFiscalCode('RSSMRA85T10A56NS')).toBe(false);
  });

  it('refuses malformed person fiscal codes', () => {
    for (const cf of [
      '',
      'tstpni70d01l219v',
      'TSTPNI70D01L219',
      'TSTPNI70D01L219VV',
      'TSTPNI70Z01L219V',
      '1STPNI70D01L219V',
      'TSTPNI70D01L219 ',
    ]) {
      expect(isPersonFiscalCode(cf), cf).toBe(false);
    }
  });

  it('checks the check digit of an 11-digit fiscal code / partita IVA', () => {
    expect(isNumericFiscalCode('00429440068')).toBe(true);
    expect(isNumericFiscalCode('01234567897')).toBe(true);
    expect(isNumericFiscalCode('15376371009')).toBe(true);
    expect(isNumericFiscalCode('00429440069')).toBe(false);
    expect(isNumericFiscalCode('00429440060')).toBe(false);
    expect(isNumericFiscalCode('0042944006')).toBe(false);
    expect(isNumericFiscalCode('004294400680')).toBe(false);
    expect(isNumericFiscalCode('0042944006A')).toBe(false);
    expect(isNumericFiscalCode('TSTPNI70D01L219V')).toBe(false);
  });
});

describe('iban', () => {
  it('accepts valid IBANs (mod 97)', () => {
    expect(isValidIban('IT60X0542811101000000123456')).toBe(true);
    expect(isValidIban('GB82WEST12345698765432')).toBe(true);
    expect(isValidIban('DE89370400440532013000')).toBe(true);
  });

  it('refuses a wrong check, a wrong Italian length, lower case and spaces', () => {
    expect(isValidIban('IT60X0542811101000000123457')).toBe(false);
    expect(isValidIban('IT61X0542811101000000123456')).toBe(false);
    expect(isValidIban('IT60X054281110100000012345')).toBe(false);
    expect(isValidIban('it60x0542811101000000123456')).toBe(false);
    expect(isValidIban('IT60 X054 2811 1010 0000 0123 456')).toBe(false);
    expect(isValidIban('')).toBe(false);
  });
});

describe('SecretBox', () => {
  const key = () => randomBytes(32).toString('base64');

  it('encrypts and decrypts, with a fresh IV every time', () => {
    const box = new SecretBox(`k1:${key()}`);
    const a = box.encrypt('passphrase-1');
    const b = box.encrypt('passphrase-1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('passphrase-1');
    expect(a).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/);
    expect(box.decrypt(a)).toBe('passphrase-1');
    expect(box.decrypt(b)).toBe('passphrase-1');
    expect(box.decrypt(box.encrypt(''))).toBe('');
  });

  it("round-trips the manual's unicode passphrase '1www%$se1ver£$APP'", () => {
    const box = new SecretBox(SecretBox.generateKeySpec('k1'));
    const p = '1www%$se1ver£$APP';
    expect(box.decrypt(box.encrypt(p))).toBe(p);
    expect(box.decrypt(box.encrypt('🔑 àèìòù €'))).toBe('🔑 àèìòù €');
  });

  it('detects tampering with the ciphertext, the tag, the IV or the key id', () => {
    const box = new SecretBox(`k1:${key()},k2:${key()}`);
    const stored = box.encrypt('a secret value');
    const flip = (part: number) => {
      const parts = stored.split('.');
      const bytes = Buffer.from(parts[part]!, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      parts[part] = bytes.toString('base64url');
      return parts.join('.');
    };
    for (const part of [2, 3, 4]) {
      const tampered = flip(part);
      expect(tampered).not.toBe(stored);
      expect(() => box.decrypt(tampered)).toThrow();
    }
    // the same ciphertext presented as if under the other key
    expect(() => box.decrypt(stored.replace(/^v1\.k1\./, 'v1.k2.'))).toThrow();
    expect(() => box.decrypt(stored.replace(/^v1\.k1\./, 'v1.k9.'))).toThrow(/unknown key "k9"/);
    expect(() => box.decrypt('plain text')).toThrow(/unrecognised/);
    expect(() => box.decrypt(`v2${stored.slice(2)}`)).toThrow(/unrecognised/);
  });

  it('does not decrypt with another key', () => {
    const stored = new SecretBox(`k1:${key()}`).encrypt('x');
    expect(() => new SecretBox(`k1:${key()}`).decrypt(stored)).toThrow();
  });

  it('rotates keys: the first key encrypts, an old key listed second still decrypts', () => {
    const oldKey = key();
    const newKey = key();
    const before = new SecretBox(`old:${oldKey}`);
    const stored = before.encrypt('1www%$se1ver£$APP');
    const rotated = new SecretBox(`new:${newKey}, old:${oldKey}`);
    expect(rotated.activeKeyId).toBe('new');
    expect(rotated.decrypt(stored)).toBe('1www%$se1ver£$APP');
    expect(rotated.isStale(stored)).toBe(true);
    const reencrypted = rotated.encrypt(rotated.decrypt(stored));
    expect(reencrypted.startsWith('v1.new.')).toBe(true);
    expect(rotated.isStale(reencrypted)).toBe(false);
    expect(before.isStale(stored)).toBe(false);
    // once the old key is removed, only re-encrypted secrets can be read
    const newOnly = new SecretBox(`new:${newKey}`);
    expect(newOnly.decrypt(reencrypted)).toBe('1www%$se1ver£$APP');
    expect(() => newOnly.decrypt(stored)).toThrow(/unknown key "old"/);
  });

  it('refuses malformed key specs', () => {
    expect(() => new SecretBox('')).toThrow(/no secret key/);
    expect(() => new SecretBox(' , ')).toThrow(/no secret key/);
    expect(() => new SecretBox(key())).toThrow(/kid:base64key/);
    expect(() => new SecretBox(`:${key()}`)).toThrow(/kid:base64key/);
    expect(() => new SecretBox(`bad kid:${key()}`)).toThrow(/invalid secret key id/);
    expect(() => new SecretBox(`k1:${randomBytes(16).toString('base64')}`)).toThrow(/32 bytes/);
  });

  it('tells whether a candidate is the stored secret, also after rotation, never for unknown or unreadable secrets', () => {
    const box = new SecretBox(`k1:${key()}`);
    const stored = box.encrypt('1www%$se1ver£$APP');
    expect(box.matches(stored, '1www%$se1ver£$APP')).toBe(true);
    expect(box.matches(stored, '1www%$se1ver£$APP')).toBe(true); // from the remembered digest
    expect(box.matches(stored, '1www%$se1ver£$AP')).toBe(false);
    expect(box.matches(stored, '')).toBe(false);
    const rotated = box.encrypt('la-nuova-passphrase');
    expect(box.matches(rotated, '1www%$se1ver£$APP')).toBe(false);
    expect(box.matches(rotated, 'la-nuova-passphrase')).toBe(true);
    expect(box.matches(null, '1www%$se1ver£$APP')).toBe(false);
    expect(box.matches('garbage', 'garbage')).toBe(false);
    expect(box.matches(new SecretBox(`k1:${key()}`).encrypt('x'), 'x')).toBe(false);
    expect(box.matches(box.encrypt(''), '')).toBe(true);
  });

  it('generates key specs it accepts', () => {
    const spec = SecretBox.generateKeySpec('k7');
    expect(spec).toMatch(/^k7:[A-Za-z0-9+/]{43}=$/);
    expect(new SecretBox(spec).activeKeyId).toBe('k7');
  });
});

describe('safeEqual', () => {
  it('compares strings exactly', () => {
    expect(safeEqual('1www%$se1ver£$APP', '1www%$se1ver£$APP')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('abc', '')).toBe(false);
    expect(safeEqual('ABC', 'abc')).toBe(false);
    expect(safeEqual('£', '\u00a3')).toBe(true);
    expect(safeEqual('é', 'e\u0301')).toBe(false);
  });
});

describe('error kinds', () => {
  it("map a failing dependency to 502 and a defect of Cassa to 500, the caller's mistakes to 4xx", () => {
    expect(HTTP_STATUS_OF_KIND).toEqual({
      invalid: 400,
      unauthorized: 401,
      forbidden: 403,
      'not-found': 404,
      conflict: 409,
      unavailable: 502,
      internal: 500,
    });
  });
  it("make Checkout errors domain errors like every module's, with their field and problem", () => {
    const e = checkoutError('CHECKOUT_TIMEOUT', 'pagoPA Checkout non ha risposto', {
      field: 'positions[0]',
      problem: { status: 504 },
    });
    expect(e).toBeInstanceOf(DomainError);
    expect({ kind: e.kind, code: e.code, field: e.field, problem: e.problem }).toEqual({
      kind: 'unavailable',
      code: 'CHECKOUT_TIMEOUT',
      field: 'positions[0]',
      problem: { status: 504 },
    });
    expect(checkoutError('POSITION_NOT_PAYABLE', 'x').kind).toBe('conflict');
  });
});

describe('parseBasicAuth', () => {
  const header = (s: string, enc: BufferEncoding) => `Basic ${Buffer.from(s, enc).toString('base64')}`;
  it('reads UTF-8 credentials, and ISO-8859-1 ones (Java clients) when the bytes are not UTF-8', () => {
    expect(parseBasicAuth(header('AP_01:1www%$se1ver£$APP', 'utf8'))).toEqual({
      user: 'AP_01',
      password: '1www%$se1ver£$APP',
    });
    expect(parseBasicAuth(header('AP_01:1www%$se1ver£$APP', 'latin1'))).toEqual({
      user: 'AP_01',
      password: '1www%$se1ver£$APP',
    });
    expect(parseBasicAuth(header('AP_01:pass:with:colons', 'utf8'))).toEqual({
      user: 'AP_01',
      password: 'pass:with:colons',
    });
  });
  it('returns null for absent or malformed headers', () => {
    expect(parseBasicAuth(undefined)).toBeNull();
    expect(parseBasicAuth('Bearer abc')).toBeNull();
    expect(parseBasicAuth(header('nocolon', 'utf8'))).toBeNull();
    expect(parseBasicAuth(header(':password', 'utf8'))).toBeNull();
  });
});

describe('redactPayload', () => {
  it('keeps names of moments (passphraseRotatedAt) that merely contain a secret word', () => {
    expect(redactPayload('{"passphraseRotatedAt":"2026-01-01T00:00:00Z","passphrase":"x"}')).toBe(
      '{"passphraseRotatedAt":"2026-01-01T00:00:00Z","passphrase":"***"}',
    );
    expect(redactPayload('<passwordChangedAt>2026</passwordChangedAt><password>x</password>')).toBe(
      '<passwordChangedAt>2026</passwordChangedAt><password>***</password>',
    );
  });

  it('masks JSON secrets, keeping fiscal codes and the paymentToken', () => {
    const out = redactPayload(
      JSON.stringify({
        passphrase: '1www%$se1ver£$APP',
        codiceFiscale: 'TSTPNI70D01L219V',
        paymentToken: 'tok-123',
        nested: { password: 'p"w\\d', username: 'u' },
      }),
    );
    expect(out).not.toContain('1www%$se1ver');
    expect(out).not.toContain('p\\"w');
    expect(out).toContain('"passphrase":"***"');
    expect(out).toContain('"password":"***"');
    expect(out).toContain('TSTPNI70D01L219V');
    expect(out).toContain('"paymentToken":"tok-123"');
    expect(out).toContain('"username":"u"');
    expect(JSON.parse(out)).toMatchObject({ passphrase: '***', nested: { password: '***', username: 'u' } });
  });

  it('masks keys named like secrets, whatever their case and spacing', () => {
    const out = redactPayload(
      '{"client_secret": "s1", "apiKey":"s2", "api_key" : "s3", "accessToken":"s4", "Authorization":"Basic s5", "newPassword":"s6", "SUBSCRIPTION_KEY":"s7", "Passphrase":"s8"}',
    );
    for (let i = 1; i <= 8; i++) expect(out).not.toContain(`s${i}`);
    expect(JSON.parse(out)).toEqual({
      client_secret: '***',
      apiKey: '***',
      api_key: '***',
      accessToken: '***',
      Authorization: '***',
      newPassword: '***',
      SUBSCRIPTION_KEY: '***',
      Passphrase: '***',
    });
  });

  it('masks keys with digits or hyphens in their names', () => {
    const out = redactPayload(
      '{"password2":"s1","x-api-key":"s2","Ocp-Apim-Subscription-Key":"s3"}<p><db-password>s4</db-password></p>',
    );
    for (let i = 1; i <= 4; i++) expect(out).not.toContain(`s${i}`);
  });

  it('masks a JSON secret sent as a number or boolean too', () => {
    const out = redactPayload(
      '{"passphrase":12345678,"password": 3.5e2,"secret":true,"codiceFiscale":"00429440068","importo":12.5}',
    );
    expect(out).not.toContain('12345678');
    expect(out).not.toContain('3.5e2');
    expect(JSON.parse(out)).toEqual({
      passphrase: '***',
      password: '***',
      secret: '***',
      codiceFiscale: '00429440068',
      importo: 12.5,
    });
  });

  it('masks XML secrets, with or without a namespace prefix and attributes', () => {
    const xml =
      '<soap:Envelope><soap:Body><ns2:Password xmlns:ns2="urn:x">pw1</ns2:Password><passphrase>pw2</passphrase>' +
      '<CodiceFiscale>TSTPNI70D01L219V</CodiceFiscale><paymentToken>tok-123</paymentToken></soap:Body></soap:Envelope>';
    const out = redactPayload(xml);
    expect(out).not.toContain('pw1');
    expect(out).not.toContain('pw2');
    expect(out).toContain('<ns2:Password xmlns:ns2="urn:x">***</ns2:Password>');
    expect(out).toContain('<passphrase>***</passphrase>');
    expect(out).toContain('<CodiceFiscale>TSTPNI70D01L219V</CodiceFiscale>');
    expect(out).toContain('<paymentToken>tok-123</paymentToken>');
  });

  it('masks an XML secret wrapped in CDATA', () => {
    const out = redactPayload('<auth><password><![CDATA[s3cr<e>t]]></password><user>u</user></auth>');
    expect(out).not.toContain('s3cr');
    expect(out).toBe('<auth><password>***</password><user>u</user></auth>');
  });

  it('leaves payloads without secrets unchanged', () => {
    const p =
      '{"causale":"Biblioteca","codiceFiscalePartitaIVAPagatore":"TSTPNI70D01L219V","importo":12.5,"iuv":"01000000000000144"}';
    expect(redactPayload(p)).toBe(p);
    expect(redactPayload('<a><token>x</token></a>')).toBe('<a><token>x</token></a>');
  });
});

describe('loadConfig', () => {
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

  it('has defaults for a development machine', () => {
    expect(loadConfig({})).toEqual({
      env: 'development',
      production: false,
      databaseUrl: undefined,
      dataDir: './data',
      dbPoolSize: 20,
      host: '127.0.0.1',
      port: 8080,
      metrics: { host: '127.0.0.1', port: undefined },
      publicUrl: undefined,
      tls: undefined,
      trustProxy: false,
      secretKeys: undefined,
      adminToken: undefined,
      pagopa: { idBrokerPA: undefined, idStation: undefined, env: 'simulator' },
      checkout: {
        url: 'http://127.0.0.1:8090/checkout/ec/v2',
        apiVersion: 'v2',
        subscriptionKey: undefined,
        timeoutMs: 10000,
      },
      audit: { keepPayloads: true, payloadMaxBytes: 65536 },
      logLevel: 'info',
      bodyLimit: 1_048_576,
      portal: { rateLimit: 120, captchaMaxNumber: 100000 },
      sportelloSite: SPORTELLO_SITE_DEMO,
      lists: { maxPositions: 250, concurrency: 2, pollMs: 250 },
      printJobs: { batchSize: 200, pollMs: 1000, leaseMs: 120000, retentionDays: 7 },
      deliveries: {
        timeoutMs: 10000,
        concurrency: 16,
        perEndpoint: 4,
        retryBaseMs: 1000,
        retryCapMs: 300000,
        failingAfter: 10,
        pollMs: 250,
        notificationBatchWindowMs: 2000,
      },
      auth: {
        maxFailuresPerCaller: 20,
        maxFailuresPerAddress: 10,
        windowMs: 900000,
        knownAddressMs: 2592000000,
      },
    });
  });

  it('reads and converts the variables', () => {
    const c = loadConfig({
      ...PROD,
      PORT: '9090',
      HOST: '0.0.0.0',
      CASSA_DB_POOL_SIZE: '5',
      CASSA_TRUST_PROXY: 'yes',
      CASSA_AUDIT_PAYLOADS: '0',
      CASSA_AUDIT_PAYLOAD_MAX_BYTES: '1024',
      CASSA_ID_BROKER_PA: '01234567897',
      CASSA_ID_STATION: '01234567897_01',
      CASSA_TLS_CERT_FILE: '/etc/cassa/cert.pem',
      CASSA_TLS_KEY_FILE: '/etc/cassa/key.pem',
      CASSA_PUBLIC_URL: 'https://cassa.example.org',
      CASSA_LOG_LEVEL: 'warn',
    });
    expect(c).toMatchObject({
      env: 'production',
      production: true,
      databaseUrl: PROD.DATABASE_URL,
      port: 9090,
      host: '0.0.0.0',
      dbPoolSize: 5,
      trustProxy: 1,
      audit: { keepPayloads: false, payloadMaxBytes: 1024 },
      pagopa: { idBrokerPA: '01234567897', idStation: '01234567897_01' },
      tls: { certFile: '/etc/cassa/cert.pem', keyFile: '/etc/cassa/key.pem' },
      publicUrl: 'https://cassa.example.org',
      logLevel: 'warn',
      secretKeys: PROD.CASSA_SECRET_KEYS,
      adminToken: PROD.CASSA_ADMIN_TOKEN,
    });
  });

  it('requires DATABASE_URL, CASSA_SECRET_KEYS, CASSA_ADMIN_TOKEN and CASSA_PUBLIC_URL in production, naming the missing ones', () => {
    expect(loadConfig(PROD).production).toBe(true);
    expect(configError({ CASSA_ENV: 'production' })).toMatch(
      /production mode requires DATABASE_URL, CASSA_SECRET_KEYS, CASSA_ADMIN_TOKEN, CASSA_PUBLIC_URL/,
    );
    const required = ['DATABASE_URL', 'CASSA_SECRET_KEYS', 'CASSA_ADMIN_TOKEN', 'CASSA_PUBLIC_URL'] as const;
    for (const name of required) {
      const { [name]: _omit, ...rest } = PROD;
      const msg = configError(rest);
      expect(msg).toContain(`production mode requires ${name}`);
      for (const other of required.filter((n) => n !== name)) expect(msg).not.toContain(other);
    }
    // outside production none of them is required
    expect(() => loadConfig({ CASSA_ENV: 'test' })).not.toThrow();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ CASSA_ENV: 'prod' }, 'CASSA_ENV'],
    [{ DATABASE_URL: 'mysql://db/cassa' }, 'DATABASE_URL must be a postgres:// URL'],
    [{ CASSA_ADMIN_TOKEN: 'short' }, 'CASSA_ADMIN_TOKEN must be at least 24 characters'],
    [{ CASSA_TRUST_PROXY: 'maybe' }, 'CASSA_TRUST_PROXY'],
    [{ CASSA_DB_POOL_SIZE: '0' }, 'CASSA_DB_POOL_SIZE'],
    [{ CASSA_ID_BROKER_PA: '123' }, 'idBrokerPA is 11 digits'],
    [{ CASSA_ID_STATION: '01234567897' }, 'idStation is <idBrokerPA>_NN'],
    [{ CASSA_LOG_LEVEL: 'verbose' }, 'CASSA_LOG_LEVEL'],
    [{ CASSA_PUBLIC_URL: 'not a url' }, 'CASSA_PUBLIC_URL'],
    [{ CASSA_BODY_LIMIT: '10' }, 'CASSA_BODY_LIMIT'],
    [
      { CASSA_TLS_CERT_FILE: '/etc/cassa/cert.pem' },
      'CASSA_TLS_CERT_FILE and CASSA_TLS_KEY_FILE go together',
    ],
  ] as [Record<string, string>, string][])('refuses %j with a message naming it (%s)', (env, expected) => {
    const msg = configError(env);
    expect(msg).toMatch(/^Invalid configuration:\n/);
    expect(msg).toContain(expected);
  });

  it('lists every invalid variable, one per line', () => {
    const msg = configError({ PORT: 'abc', CASSA_ENV: 'prod' });
    const lines = msg.split('\n').slice(1);
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.trim().startsWith('PORT:'))).toBe(true);
    expect(lines.some((l) => l.trim().startsWith('CASSA_ENV:'))).toBe(true);
  });

  it('refuses a malformed CASSA_SECRET_KEYS as a configuration error, without echoing the key', () => {
    const k = randomBytes(16).toString('base64');
    const msg = configError({ CASSA_SECRET_KEYS: `k1:${k}` });
    expect(msg).toContain('CASSA_SECRET_KEYS');
    expect(msg).toContain('32 bytes');
    expect(msg).not.toContain(k);
    expect(configError({ CASSA_SECRET_KEYS: 'not-a-key-spec' })).toContain('CASSA_SECRET_KEYS');
    expect(
      loadConfig({
        CASSA_SECRET_KEYS: `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`,
      }).secretKeys,
    ).toMatch(/^k2:/);
  });

  it('treats a variable set to the empty string as unset', () => {
    const c = loadConfig({
      PORT: '',
      CASSA_DB_POOL_SIZE: '',
      CASSA_ENV: '',
      CASSA_AUDIT_PAYLOAD_MAX_BYTES: '',
      CASSA_TRUST_PROXY: '',
      HOST: '',
    });
    expect(c).toMatchObject({
      port: 8080,
      dbPoolSize: 20,
      env: 'development',
      audit: { payloadMaxBytes: 65536 },
      trustProxy: false,
      host: '127.0.0.1',
    });
    expect(configError({ ...PROD, CASSA_ADMIN_TOKEN: '' })).toContain(
      'production mode requires CASSA_ADMIN_TOKEN',
    );
  });

  it('accepts the boolean spellings', () => {
    for (const [v, b] of [
      ['true', true],
      ['1', true],
      ['yes', true],
      ['false', false],
      ['0', false],
      ['no', false],
    ] as const) {
      // CASSA_TRUST_PROXY=true means one proxy hop
      expect(loadConfig({ CASSA_TRUST_PROXY: v }).trustProxy).toBe(b ? 1 : false);
      expect(loadConfig({ CASSA_AUDIT_PAYLOADS: v }).audit.keepPayloads).toBe(b);
    }
  });

  it('CASSA_TRUST_PROXY takes a number of hops or a list of proxy addresses/CIDRs, nothing else', () => {
    expect(loadConfig({ CASSA_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(
      loadConfig({ CASSA_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,fd00::/8,loopback' }).trustProxy,
    ).toEqual(['10.0.0.1', '192.168.0.0/16', 'fd00::/8', 'loopback']);
    for (const bad of ['proxy.example.org', '10.0.0.1/33', '10.0.0.0/8/1', ',', 'maybe']) {
      expect(() => loadConfig({ CASSA_TRUST_PROXY: bad }), bad).toThrow(/CASSA_TRUST_PROXY/);
    }
  });
});

describe('returnUrlProblem', () => {
  it('accepts absolute http(s) URLs without query or fragment', () => {
    expect(returnUrlProblem('https://applicativoChiamanteApp2.prova.it/biblioweb', false)).toBeNull();
    expect(returnUrlProblem('https://applicativoChiamanteApp2.prova.it/biblioweb', true)).toBeNull();
    expect(returnUrlProblem('http://localhost:3000/ritorno', false)).toBeNull();
    expect(returnUrlProblem('https://example.org/a/b;c', true)).toBeNull();
  });

  it.each([
    'https://example.org/ritorno?x=1',
    'https://example.org/ritorno?',
    'https://example.org/a&b',
    'https://example.org/ritorno#frag',
  ])('refuses %j: Cassa appends the query string itself', (url) => {
    expect(returnUrlProblem(url, false)).toMatch(/'\?', '&' o '#'/);
    expect(returnUrlProblem(url, true)).toMatch(/'\?', '&' o '#'/);
  });

  it('requires an absolute URL', () => {
    for (const url of ['/ritorno', 'ritorno', 'example.org/ritorno', '//example.org/ritorno', '']) {
      expect(returnUrlProblem(url, false), url).toMatch(/URL assoluto/);
    }
  });

  it('requires http or https', () => {
    for (const url of [
      'ftp://example.org/x',
      'javascript:alert(1)',
      'data:text/html,x',
      'file:///etc/passwd',
    ]) {
      expect(returnUrlProblem(url, false), url).toMatch(/http o https/);
    }
  });

  it('requires https in production', () => {
    expect(returnUrlProblem('http://example.org/ritorno', false)).toBeNull();
    expect(returnUrlProblem('http://example.org/ritorno', true)).toMatch(/https/);
  });

  it('refuses credentials in the URL', () => {
    expect(returnUrlProblem('https://user:pw@example.org/ritorno', false)).toMatch(/credenziali/);
  });
});

describe('check characters, as the validators and the fuzzer compute them', () => {
  it('person fiscal code, codice fiscale numerico and IBAN', () => {
    expect(personCheckCharacter('TSTPNI70D01L219')).toBe('V');
    expect(numericCheckDigit('0042944006')).toBe('8');
    expect(ibanCheckDigits('IT', 'X0542811101000000123456')).toBe('60');
  });
});
