/**
 * The simulator's configuration, from the environment (SIM_*). Every variable is described in
 * docs/simulator.md. Parsed by hand: the simulator imports nothing from Cassa.
 */
export interface SimConfig {
  host: string;
  port: number;
  /** Base URL the browser reaches the simulator at; the carts' Location points below it. */
  publicUrl: string;
  /** The EC station's paForNode endpoint (Cassa's POST /soap/paForNode). */
  stationUrl: string;
  idBrokerPA: string;
  idStation: string;
  /** 2: paGetPaymentV2 + paSendRTV2; 1: paGetPayment + paSendRT (a station setting on pagoPA). */
  primitiveVersion: 1 | 2;
  /** When set, POST /carts requires it (Ocp-Apim-Subscription-Key header or subscription-key query). */
  subscriptionKey: string | undefined;
  rtRetryIntervalMs: number;
  rtRetryMax: number;
  tokenTtlMs: number;
  logLevel: string;
  /** pretty: readable lines (the default); json: one JSON object a line (the default with NODE_ENV=production). */
  logFormat: 'pretty' | 'json';
  /** Directory holding wsdl/, xsd-common/ and openapi/ of pagoPA (default: resources/specs/pagopa). */
  specsDir: string | undefined;
}

export class SimConfigError extends Error {}

function int(
  env: Record<string, string | undefined>,
  name: string,
  def: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new SimConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

function str(env: Record<string, string | undefined>, name: string, def: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? def : raw;
}

function url(env: Record<string, string | undefined>, name: string, def: string): string {
  const v = str(env, name, def).replace(/\/+$/, '');
  try {
    new URL(v);
  } catch {
    throw new SimConfigError(`${name} must be an absolute URL, got "${v}"`);
  }
  return v;
}

function logFormat(env: Record<string, string | undefined>, name: string): 'pretty' | 'json' {
  const v = str(env, name, env.NODE_ENV === 'production' ? 'json' : 'pretty');
  if (v !== 'pretty' && v !== 'json') throw new SimConfigError(`${name} must be pretty or json, got "${v}"`);
  return v;
}

export function loadSimConfig(env: Record<string, string | undefined> = process.env): SimConfig {
  const host = str(env, 'SIM_HOST', '127.0.0.1');
  const port = int(env, 'SIM_PORT', 8090, 0, 65535);
  const version = int(env, 'SIM_PRIMITIVE_VERSION', 2, 1, 2) as 1 | 2;
  return {
    host,
    port,
    publicUrl: url(env, 'SIM_PUBLIC_URL', `http://127.0.0.1:${port}`),
    stationUrl: url(env, 'SIM_STATION_URL', 'http://127.0.0.1:8080/soap/paForNode'),
    idBrokerPA: str(env, 'SIM_ID_BROKER_PA', '80087670016'),
    idStation: str(env, 'SIM_ID_STATION', '80087670016_01'),
    primitiveVersion: version,
    subscriptionKey: env.SIM_SUBSCRIPTION_KEY || undefined,
    rtRetryIntervalMs: int(env, 'SIM_RT_RETRY_INTERVAL_MS', 2000, 1, 86_400_000),
    rtRetryMax: int(env, 'SIM_RT_RETRY_MAX', 48, 0, 10_000),
    tokenTtlMs: int(env, 'SIM_TOKEN_TTL_MS', 1_800_000, 1, 1_800_000),
    logLevel: str(env, 'SIM_LOG_LEVEL', 'info'),
    logFormat: logFormat(env, 'SIM_LOG_FORMAT'),
    specsDir: env.SIM_SPECS_DIR || undefined,
  };
}

/** Defaults for tests and embedding: the env defaults, overridden field by field. */
export function simConfig(overrides: Partial<SimConfig> = {}): SimConfig {
  return { ...loadSimConfig({}), logLevel: 'silent', logFormat: 'json', ...overrides };
}
