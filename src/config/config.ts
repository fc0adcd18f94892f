import { isIP } from 'node:net';
import { z } from 'zod';
import { SecretBox } from '../shared/secret-box.js';
import { estimateTokenBits, MIN_TOKEN_BITS } from '../shared/token-strength.js';

/**
 * Cassa's configuration, read once from the environment and validated.
 * Every variable is documented in docs/configuration.md.
 */
const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * CASSA_TRUST_PROXY: `false` (the socket's address is the client's), a number of proxy hops in front
 * of Cassa (`true` is 1), or a comma-separated list of proxy addresses/CIDRs (and proxy-addr's names
 * `loopback`, `linklocal`, `uniquelocal`). The client address (req.ip, which every limit is keyed on)
 * is the one those hops or proxies saw: never a value the client alone chose.
 */
export type TrustProxy = false | number | string[];
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function proxyEntryProblem(entry: string): string | undefined {
  if (PROXY_NAMES.has(entry)) return undefined;
  const [ip, prefix, ...rest] = entry.split('/');
  const family = isIP(ip ?? '');
  if (family === 0 || rest.length > 0) return `"${entry}" is not an IP address or CIDR`;
  if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)))
    return `"${entry}" has an invalid prefix length`;
  return undefined;
}
const trustProxy = z.string().transform((v, ctx): TrustProxy => {
  const t = v.trim().toLowerCase();
  if (['false', '0', 'no'].includes(t)) return false;
  if (['true', 'yes'].includes(t)) return 1;
  if (/^\d+$/.test(t)) return Number(t);
  const entries = v
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const problems = entries.map(proxyEntryProblem).filter((p): p is string => p !== undefined);
  if (entries.length === 0 || problems.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected false, a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs: ${problems.join('; ') || 'empty list'}`,
    });
    return z.NEVER;
  }
  return entries;
});

/** A link the Sportello shows to citizens: http(s) only (never javascript: or data:). */
const webUrl = z
  .string()
  .trim()
  .pipe(z.url())
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'an http(s) URL');

/** The environment variables, each read and checked on its own. */
const EnvSchema = z.object({
  CASSA_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL')
    .optional(),
  CASSA_DATA_DIR: z.string().default('./data'),
  CASSA_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** a separate, unauthenticated listener serving only /metrics (docs/operations.md); unset: none */
  CASSA_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  CASSA_METRICS_HOST: z.string().min(1).optional(),
  CASSA_PUBLIC_URL: z.url().optional(),
  CASSA_TLS_CERT_FILE: z.string().optional(),
  CASSA_TLS_KEY_FILE: z.string().optional(),
  CASSA_TRUST_PROXY: trustProxy.default(false),
  /** base64 of 32 bytes; the first key encrypts, all decrypt. Comma-separated "kid:base64" entries. */
  CASSA_SECRET_KEYS: z
    .string()
    .superRefine((spec, ctx) => {
      try {
        new SecretBox(spec);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    })
    .optional(),
  CASSA_ADMIN_TOKEN: z.string().min(24, 'CASSA_ADMIN_TOKEN must be at least 24 characters').optional(),
  CASSA_ID_BROKER_PA: z
    .string()
    .regex(/^\d{11}$/, 'idBrokerPA is 11 digits')
    .optional(),
  CASSA_ID_STATION: z
    .string()
    .regex(/^\d{11}_\d{2}$/, 'idStation is <idBrokerPA>_NN')
    .optional(),
  CASSA_AUDIT_PAYLOADS: boolish.default(true),
  CASSA_AUDIT_PAYLOAD_MAX_BYTES: z.coerce.number().int().min(0).default(65536),
  CASSA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CASSA_BODY_LIMIT: z.coerce.number().int().min(1024).default(1_048_576),
  CASSA_PAGOPA_ENV: z.enum(['simulator', 'uat', 'production']).optional(),
  CASSA_CHECKOUT_URL: z.url().optional(),
  CASSA_CHECKOUT_API_VERSION: z.enum(['v1', 'v2']).default('v2'),
  CASSA_CHECKOUT_SUBSCRIPTION_KEY: z.string().min(1).optional(),
  CASSA_CHECKOUT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  CASSA_PORTAL_RATE_LIMIT: z.coerce.number().int().min(0).default(120),
  CASSA_AUTH_MAX_FAILURES_PER_CALLER: z.coerce.number().int().min(0).default(20),
  CASSA_AUTH_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(0).default(10),
  CASSA_AUTH_FAILURE_WINDOW_MS: z.coerce.number().int().min(1000).max(86_400_000).default(900_000),
  CASSA_AUTH_KNOWN_ADDRESS_TTL_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .max(31_536_000_000)
    .default(2_592_000_000),
  CASSA_PORTAL_CAPTCHA_MAX_NUMBER: z.coerce.number().int().min(10).max(10_000_000).default(100_000),
  CASSA_LIST_MAX_POSITIONS: z.coerce.number().int().min(1).max(1000).default(250),
  CASSA_LIST_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  CASSA_LIST_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  CASSA_PRINT_BATCH: z.coerce.number().int().min(1).max(5_000).default(200),
  CASSA_PRINT_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  CASSA_PRINT_LEASE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(120_000),
  CASSA_PRINT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(7),
  CASSA_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  CASSA_DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  CASSA_DELIVERY_PER_ENDPOINT: z.coerce.number().int().min(1).max(1000).default(4),
  CASSA_DELIVERY_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(1_000),
  CASSA_DELIVERY_RETRY_CAP_MS: z.coerce.number().int().min(10).max(86_400_000).default(300_000),
  CASSA_DELIVERY_FAILING_AFTER: z.coerce.number().int().min(1).max(1_000_000).default(10),
  CASSA_DELIVERY_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  CASSA_NOTIFICATION_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(3_600_000).default(2_000),
  // the Sportello's header and footer (SportelloSiteConfig); in development unset ones take demo values
  CASSA_INTERMEDIARY_NAME: z.string().trim().min(1).max(140).optional(),
  CASSA_INTERMEDIARY_URL: webUrl.optional(),
  CASSA_SPORTELLO_ACCESSIBILITY_URL: webUrl.optional(),
  CASSA_SPORTELLO_PRIVACY_URL: webUrl.optional(),
  CASSA_SPORTELLO_LEGAL_NOTES_URL: webUrl.optional(),
  CASSA_SPORTELLO_COOKIE_POLICY_URL: webUrl.optional(),
  CASSA_SPORTELLO_INFO_PHONE: z
    .string()
    .trim()
    .regex(/^\+?[0-9][0-9 .\-/]{2,28}$/, 'a phone number: digits, spaces, dots, dashes, an initial +')
    .optional(),
  CASSA_SPORTELLO_INFO_HOURS: z.string().trim().min(1).max(200).optional(),
  CASSA_SPORTELLO_INFO_HOURS_EN: z.string().trim().min(1).max(200).optional(),
  CASSA_SPORTELLO_INFO_URL: webUrl.optional(),
  CASSA_SPORTELLO_SUPPORT_URL: webUrl.optional(),
  CASSA_SPORTELLO_SUPPORT_EMAIL: z.string().trim().pipe(z.email().max(256)).optional(),
});

export type PagopaEnv = 'simulator' | 'uat' | 'production';

/** pagoPA Checkout's "EC API" base (without the version segment) per environment. */
export const CHECKOUT_BASE_URLS: Record<PagopaEnv, string> = {
  simulator: 'http://127.0.0.1:8090/checkout/ec',
  uat: 'https://api.uat.platform.pagopa.it/checkout/ec',
  production: 'https://api.platform.pagopa.it/checkout/ec',
};

export type RawConfig = z.infer<typeof EnvSchema>;

/**
 * Who runs the Sportello and the links and contacts of its header and footer (docs/configuration.md,
 * "Sportello: header and footer"). Each one unset is not shown; in development unset ones take the
 * demo values of SPORTELLO_SITE_DEMO.
 */
export interface SportelloSiteConfig {
  intermediaryName: string | undefined;
  intermediaryUrl: string | undefined;
  /** the accessibility statement (AgID's form.agid.gov.it/view/…) */
  accessibilityUrl: string | undefined;
  privacyUrl: string | undefined;
  legalNotesUrl: string | undefined;
  cookiePolicyUrl: string | undefined;
  /** "PER INFORMAZIONI": phone, hours (Italian; English falls back to it), a site */
  infoPhone: string | undefined;
  infoHours: string | undefined;
  infoHoursEn: string | undefined;
  infoUrl: string | undefined;
  /** "PER MALFUNZIONAMENTI": a report form and/or an address */
  supportUrl: string | undefined;
  supportEmail: string | undefined;
}

/** What a development Sportello shows where nothing is configured: visibly a demo (.example addresses). */
export const SPORTELLO_SITE_DEMO: SportelloSiteConfig = {
  intermediaryName: 'Intermediario tecnologico pagoPA (demo)',
  intermediaryUrl: 'https://intermediario.example/',
  accessibilityUrl: 'https://form.agid.gov.it/',
  privacyUrl: 'https://intermediario.example/privacy',
  legalNotesUrl: 'https://intermediario.example/note-legali',
  cookiePolicyUrl: undefined,
  infoPhone: '800 000 000',
  infoHours:
    'Il servizio è gratuito, dal lunedì al venerdì dalle 8:00 alle 18:00, da telefono fisso e mobile',
  infoHoursEn: 'Free of charge, Monday to Friday from 8:00 to 18:00, from landlines and mobile phones',
  infoUrl: 'https://intermediario.example/sportello',
  supportUrl: 'https://intermediario.example/segnalazioni',
  supportEmail: undefined,
};

function sportelloSiteConfig(c: RawConfig): SportelloSiteConfig {
  const given: SportelloSiteConfig = {
    intermediaryName: c.CASSA_INTERMEDIARY_NAME,
    intermediaryUrl: c.CASSA_INTERMEDIARY_URL,
    accessibilityUrl: c.CASSA_SPORTELLO_ACCESSIBILITY_URL,
    privacyUrl: c.CASSA_SPORTELLO_PRIVACY_URL,
    legalNotesUrl: c.CASSA_SPORTELLO_LEGAL_NOTES_URL,
    cookiePolicyUrl: c.CASSA_SPORTELLO_COOKIE_POLICY_URL,
    infoPhone: c.CASSA_SPORTELLO_INFO_PHONE,
    infoHours: c.CASSA_SPORTELLO_INFO_HOURS,
    infoHoursEn: c.CASSA_SPORTELLO_INFO_HOURS_EN,
    infoUrl: c.CASSA_SPORTELLO_INFO_URL,
    supportUrl: c.CASSA_SPORTELLO_SUPPORT_URL,
    supportEmail: c.CASSA_SPORTELLO_SUPPORT_EMAIL,
  };
  if (c.CASSA_ENV !== 'development') return given;
  const site = { ...given };
  for (const k of Object.keys(site) as (keyof SportelloSiteConfig)[]) site[k] ??= SPORTELLO_SITE_DEMO[k];
  return site;
}

/**
 * The configuration Cassa runs with: the environment as EnvSchema reads it, checked across variables
 * (a refusal is an issue without a path, reported as its message alone) and shaped by area.
 */
const ConfigSchema = EnvSchema.transform((c, ctx) => {
  const refuse = (problems: string[]) => {
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  if ((c.CASSA_TLS_CERT_FILE === undefined) !== (c.CASSA_TLS_KEY_FILE === undefined))
    return refuse(['CASSA_TLS_CERT_FILE and CASSA_TLS_KEY_FILE go together']);
  const production = c.CASSA_ENV === 'production';
  if (production) {
    const missing = [
      !c.DATABASE_URL && 'DATABASE_URL',
      !c.CASSA_SECRET_KEYS && 'CASSA_SECRET_KEYS',
      !c.CASSA_ADMIN_TOKEN && 'CASSA_ADMIN_TOKEN',
      // the Sportello's return URLs handed to pagoPA Checkout must not come from the Host header
      !c.CASSA_PUBLIC_URL && 'CASSA_PUBLIC_URL',
    ].filter(Boolean);
    if (missing.length > 0) return refuse([`production mode requires ${missing.join(', ')}`]);
    const unsafe = productionProblems(c);
    if (unsafe.length > 0) return refuse(unsafe);
  }
  const pagopaEnv: PagopaEnv = c.CASSA_PAGOPA_ENV ?? (production ? 'production' : 'simulator');
  const checkout = checkoutConfig(c, pagopaEnv);
  if (checkout.problems.length > 0) return refuse(checkout.problems);
  return {
    env: c.CASSA_ENV,
    production,
    databaseUrl: c.DATABASE_URL,
    dataDir: c.CASSA_DATA_DIR,
    dbPoolSize: c.CASSA_DB_POOL_SIZE,
    host: c.HOST,
    port: c.PORT,
    /**
     * The separate /metrics listener: port undefined means none (the web role still serves /metrics with the
     * admin token). It has no token: loopback unless an (internal) address is chosen explicitly.
     */
    metrics: { host: c.CASSA_METRICS_HOST ?? '127.0.0.1', port: c.CASSA_METRICS_PORT },
    publicUrl: c.CASSA_PUBLIC_URL,
    tls:
      c.CASSA_TLS_CERT_FILE && c.CASSA_TLS_KEY_FILE
        ? { certFile: c.CASSA_TLS_CERT_FILE, keyFile: c.CASSA_TLS_KEY_FILE }
        : undefined,
    /** Proxy hops or proxy addresses whose X-Forwarded-For is trusted (Fastify's trustProxy); false: none. */
    trustProxy: c.CASSA_TRUST_PROXY,
    secretKeys: c.CASSA_SECRET_KEYS,
    adminToken: c.CASSA_ADMIN_TOKEN,
    pagopa: { idBrokerPA: c.CASSA_ID_BROKER_PA, idStation: c.CASSA_ID_STATION, env: pagopaEnv },
    checkout: checkout.config,
    audit: { keepPayloads: c.CASSA_AUDIT_PAYLOADS, payloadMaxBytes: c.CASSA_AUDIT_PAYLOAD_MAX_BYTES },
    logLevel: c.CASSA_LOG_LEVEL,
    bodyLimit: c.CASSA_BODY_LIMIT,
    /** The citizen portal: requests per minute per client address on its public forms (0 = no limit); ALTCHA work. */
    portal: { rateLimit: c.CASSA_PORTAL_RATE_LIMIT, captchaMaxNumber: c.CASSA_PORTAL_CAPTCHA_MAX_NUMBER },
    /** The Sportello's header and footer: the intermediary, the links a PA site must have, contacts. */
    sportelloSite: sportelloSiteConfig(c),
    /** The throttle on the gestionali's HTTP Basic: failures per caller and per address in a window (docs/security.md). */
    auth: {
      maxFailuresPerCaller: c.CASSA_AUTH_MAX_FAILURES_PER_CALLER,
      maxFailuresPerAddress: c.CASSA_AUTH_MAX_FAILURES_PER_ADDRESS,
      windowMs: c.CASSA_AUTH_FAILURE_WINDOW_MS,
      knownAddressMs: c.CASSA_AUTH_KNOWN_ADDRESS_TTL_MS,
    },
    /** Liste di carico (Enti2EPaywsoService): positions per list, lists processed at once per worker, idle poll. */
    lists: {
      maxPositions: c.CASSA_LIST_MAX_POSITIONS,
      concurrency: c.CASSA_LIST_CONCURRENCY,
      pollMs: c.CASSA_LIST_POLL_MS,
    },
    /** Mass printing (docs/printing.md): notices per committed batch, idle poll, a claim's lease, days the files are kept. */
    printJobs: {
      batchSize: c.CASSA_PRINT_BATCH,
      pollMs: c.CASSA_PRINT_POLL_MS,
      leaseMs: c.CASSA_PRINT_LEASE_MS,
      retentionDays: c.CASSA_PRINT_RETENTION_DAYS,
    },
    /** Outbound deliveries to the gestionali (EPaywso2EntiService) and the grouping of notifications. */
    deliveries: {
      timeoutMs: c.CASSA_DELIVERY_TIMEOUT_MS,
      concurrency: c.CASSA_DELIVERY_CONCURRENCY,
      perEndpoint: c.CASSA_DELIVERY_PER_ENDPOINT,
      retryBaseMs: c.CASSA_DELIVERY_RETRY_BASE_MS,
      retryCapMs: Math.max(c.CASSA_DELIVERY_RETRY_CAP_MS, c.CASSA_DELIVERY_RETRY_BASE_MS),
      failingAfter: c.CASSA_DELIVERY_FAILING_AFTER,
      pollMs: c.CASSA_DELIVERY_POLL_MS,
      notificationBatchWindowMs: c.CASSA_NOTIFICATION_BATCH_WINDOW_MS,
    },
  };
});

export type Config = z.output<typeof ConfigSchema>;
/** Where Cassa sends carts (POST {url}/carts), with which body version and key. */
export type CheckoutConfig = Config['checkout'];
/** Outbound deliveries to the gestionali (EPaywso2EntiService) and the grouping of notifications. */
export type DeliveriesConfig = Config['deliveries'];

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // A variable set to the empty string (`PORT=` in a compose file) counts as unset, not as 0 or "".
  const parsed = ConfigSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) =>
      i.path.length > 0 ? `  ${i.path.join('.')}: ${i.message}` : `  ${i.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** What production refuses even when every required variable is set (docs/configuration.md, "Production"). */
function productionProblems(c: RawConfig): string[] {
  const problems: string[] = [];
  if (c.CASSA_PUBLIC_URL && new URL(c.CASSA_PUBLIC_URL).protocol !== 'https:') {
    problems.push(
      `CASSA_PUBLIC_URL must be https in production (it is ${new URL(c.CASSA_PUBLIC_URL).protocol.slice(0, -1)}): the Sportello's return URLs and printed links use it`,
    );
  }
  if (c.CASSA_PAGOPA_ENV === 'simulator') {
    problems.push(
      'CASSA_PAGOPA_ENV=simulator is refused in production: use uat or production (or leave it unset)',
    );
  }
  const bits = c.CASSA_ADMIN_TOKEN === undefined ? 0 : estimateTokenBits(c.CASSA_ADMIN_TOKEN);
  if (c.CASSA_ADMIN_TOKEN !== undefined && bits < MIN_TOKEN_BITS) {
    problems.push(
      `CASSA_ADMIN_TOKEN is too easy to guess (about ${Math.floor(bits)} bits; production needs ${MIN_TOKEN_BITS}, ` +
        'the worth of 32 random bytes, without repetitions or patterns): generate one with `openssl rand -base64 32` or `openssl rand -hex 32`',
    );
  }
  return problems;
}

/** Where Cassa sends carts (POST {url}/carts), with which body version and key; or why not. */
function checkoutConfig(c: RawConfig, env: PagopaEnv) {
  const version = c.CASSA_CHECKOUT_API_VERSION;
  const url = (c.CASSA_CHECKOUT_URL ?? `${CHECKOUT_BASE_URLS[env]}/${version}`).replace(/\/+$/, '');
  const problems: string[] = [];
  const given = /\/checkout\/ec\/(v\d+)$/.exec(new URL(url).pathname)?.[1];
  if (given !== undefined && given !== version) {
    problems.push(`CASSA_CHECKOUT_URL ends in /${given} but CASSA_CHECKOUT_API_VERSION is ${version}`);
  }
  if (env !== 'simulator' && !c.CASSA_CHECKOUT_SUBSCRIPTION_KEY) {
    problems.push(`CASSA_PAGOPA_ENV=${env} requires CASSA_CHECKOUT_SUBSCRIPTION_KEY`);
  }
  if (env !== 'simulator' && !url.startsWith('https://'))
    problems.push(`CASSA_PAGOPA_ENV=${env} requires an https CASSA_CHECKOUT_URL`);
  return {
    problems,
    config: {
      url,
      apiVersion: version,
      subscriptionKey: c.CASSA_CHECKOUT_SUBSCRIPTION_KEY,
      timeoutMs: c.CASSA_CHECKOUT_TIMEOUT_MS,
    },
  };
}
