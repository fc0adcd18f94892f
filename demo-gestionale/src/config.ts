/**
 * The demo gestionale's configuration, from the environment (GEST_*; docs/demo-gestionale.md).
 * Parsed by hand: the demo gestionale imports nothing from Cassa.
 */
import type { DigestSeparator } from './digest.js';
// ../../ from demo-gestionale/src and from its build dist/demo-gestionale alike (public-url.js says why)
import {
  GestionaleConfigError,
  gestionalePort,
  gestionalePublicUrl,
} from '../../demo-gestionale/public-url.js';

export {
  EPAYWSO2ENTI_PATH,
  GestionaleConfigError,
  returnUrlOf,
  soapEndpointOf,
} from '../../demo-gestionale/public-url.js';

export type ReturnDigestMode = 'echo' | 'signed';

export interface GestionaleConfig {
  host: string;
  port: number;
  /**
   * Base URL the browser and Cassa reach the gestionale at, without a trailing slash; the return URL is
   * returnUrlOf() and the EPaywso2EntiService soapEndpointOf(), as Cassa's demo data register them.
   */
  publicUrl: string;
  /** Cassa's base URL: epayapi REST below /epayapi/api/v1, the Sportello below /epayweb. */
  cassaUrl: string;
  /** The caller code Cassa knows this gestionale by (seed 000 §2.1). */
  codiceChiamante: string;
  /** Shared with Cassa at registration (seed 000 §4.1): never sent to the browser. */
  passphrase: string;
  /** Codice fiscale of the ente the gestionale works for. */
  ente: string;
  /** Codice versamento (payment type) of the positions it creates. */
  paymentType: string;
  /** '%%%%' as PiemontePAY's code, '%%%' as the manual (seed 000 §2.1). */
  digestSeparator: DigestSeparator;
  /** echo: Cassa returns the digest the gestionale sent; signed: computed over the same fields plus codEsito. */
  returnDigestMode: ReturnDigestMode;
  /** Create the demo positions in Cassa at start when missing (epayapi createDebtPosition, idempotent). */
  seedOnStart: boolean;
  /** HTTP Basic credentials Cassa must present on POST /soap/EPaywso2EntiService (the endpoint's username / password in Cassa). */
  soapUser: string;
  soapPassword: string;
  logLevel: string;
  /** pretty: readable lines (the default); json: one JSON object a line (the default with NODE_ENV=production). */
  logFormat: 'pretty' | 'json';
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, def: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? def : raw;
}

function url(env: Env, name: string, def: string): string {
  const v = str(env, name, def).replace(/\/+$/, '');
  try {
    new URL(v);
  } catch {
    throw new GestionaleConfigError(`${name} must be an absolute URL, got "${v}"`);
  }
  return v;
}

function oneOf<T extends string>(env: Env, name: string, def: T, allowed: readonly T[]): T {
  const v = str(env, name, def);
  if (!(allowed as readonly string[]).includes(v))
    throw new GestionaleConfigError(
      `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got "${v}"`,
    );
  return v as T;
}

/** The passphrase of the manual's example (seed 000 §3.1), registered in Cassa's demo data for AP_01. */
export const MANUAL_PASSPHRASE = '1www%$se1ver£$APP';

/**
 * Default credentials of the gestionale's EPaywso2EntiService: the ones Cassa's demo data registers on
 * AP_02's endpoints (src/app/demo-seed.ts, DEMO_GESTIONALE.soap). Demo values: change both in earnest.
 */
export const DEMO_SOAP_CREDENTIALS = { user: 'cassa-demo', password: 'epaywso2enti-demo%AP_02' } as const;

export function loadGestionaleConfig(env: Env = process.env): GestionaleConfig {
  return {
    host: str(env, 'GEST_HOST', '127.0.0.1'),
    port: gestionalePort(env),
    // the same function gives Cassa's demo data the address they register (src/app/demo-seed.ts)
    publicUrl: gestionalePublicUrl(env),
    cassaUrl: url(env, 'CASSA_URL', 'http://127.0.0.1:8080'),
    codiceChiamante: str(env, 'GEST_CODICE_CHIAMANTE', 'AP_01'),
    passphrase: str(env, 'GEST_PASSPHRASE', MANUAL_PASSPHRASE),
    ente: str(env, 'GEST_ENTE', '00429440068'),
    paymentType: str(env, 'GEST_PAYMENT_TYPE', 'BIBL'),
    digestSeparator: oneOf(env, 'GEST_DIGEST_SEPARATOR', '%%%%', ['%%%%', '%%%'] as const),
    returnDigestMode: oneOf(env, 'GEST_RETURN_DIGEST_MODE', 'echo', ['echo', 'signed'] as const),
    seedOnStart: oneOf(env, 'GEST_SEED', 'true', ['true', 'false'] as const) === 'true',
    soapUser: str(env, 'GEST_SOAP_USER', DEMO_SOAP_CREDENTIALS.user),
    soapPassword: str(env, 'GEST_SOAP_PASSWORD', DEMO_SOAP_CREDENTIALS.password),
    logLevel: str(env, 'GEST_LOG_LEVEL', 'info'),
    logFormat: oneOf(env, 'GEST_LOG_FORMAT', env.NODE_ENV === 'production' ? 'json' : 'pretty', [
      'pretty',
      'json',
    ] as const),
  };
}

/** Defaults for tests and embedding: the env defaults, overridden field by field. */
export function gestionaleConfig(overrides: Partial<GestionaleConfig> = {}): GestionaleConfig {
  return { ...loadGestionaleConfig({}), logLevel: 'silent', logFormat: 'json', ...overrides };
}
