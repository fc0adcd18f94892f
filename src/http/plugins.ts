/**
 * The third-party Fastify plugins, all registered here (as fastify/demo's plugins/external): the OpenAPI
 * document and its UI for the whole server; the Sportello's cookies, form bodies, CSRF tokens, security
 * headers, rate limit and static files for the Sportello only.
 *
 * Both groups are wrapped with fastify-plugin, so what they register belongs to the instance that registers
 * them: server.ts registers `apiDocs` on the root (it sees every route) and `portalPlugins` inside the
 * Sportello's own encapsulated instance, beside the Sportello's routes, so that its CSP and other helmet
 * headers, its cookie and form-body parsing and its rate limit never reach the SOAP, REST and admin edges.
 */
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { Container } from '../app/container.js';
import type { Config } from '../config/config.js';
import { projectPath } from '../shared/paths.js';
import { pgRateLimitStore } from './portal/pg-rate-limit-store.js';

/** The OpenAPI document of the REST APIs (collected from every route's schema) and its UI at /docs. */
export const apiDocs = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Cassa API',
          version: '1.0.0',
          description:
            'Cassa: REST API for gestionali (PiemontePAY epayapi v1 compatible, under /epayapi/api/v1) and the administration API (/admin/api/v1). See docs/api.md.',
        },
        components: {
          securitySchemes: {
            basicAuth: { type: 'http', scheme: 'basic', description: 'codiceChiamante / passphrase' },
            adminToken: { type: 'http', scheme: 'bearer', description: 'CASSA_ADMIN_TOKEN' },
          },
        },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'cassa-api-docs', fastify: '5.x' },
);

/** The Sportello's cookies are Secure when it is served over https: in production, or behind an https public URL. */
export function secureCookies(config: Pick<Config, 'production' | 'publicUrl'>): boolean {
  return config.production || (config.publicUrl?.startsWith('https://') ?? false);
}

const RATE_WINDOW = '1 minute';

/**
 * A Sportello route's rate limit, for its `config`: CASSA_PORTAL_RATE_LIMIT requests per minute per client
 * address, counted by the rate-limit plugin below; none when it is 0.
 */
export function portalRateLimit(config: Pick<Config, 'portal'>): {
  rateLimit?: { max: number; timeWindow: string };
} {
  return config.portal.rateLimit > 0
    ? { rateLimit: { max: config.portal.rateLimit, timeWindow: RATE_WINDOW } }
    : {};
}

/** Where the citizen's browser may go on a form's redirect: Cassa and pagoPA Checkout's pages. */
function checkoutOrigins(config: Pick<Config, 'checkout' | 'pagopa'>): string[] {
  const origins = new Set<string>([new URL(config.checkout.url).origin]);
  const env = config.pagopa.env;
  if (env === 'production') origins.add('https://checkout.pagopa.it');
  if (env === 'uat') origins.add('https://uat.checkout.pagopa.it');
  return [...origins];
}

/** The Sportello's third-party plugins, for the instance its routes are registered on. */
export const portalPlugins = fp(
  async (app: FastifyInstance, { container }: { container: Container }) => {
    const { config } = container;
    await app.register(cookie);
    await app.register(formbody);
    await app.register(csrf, {
      sessionPlugin: '@fastify/cookie',
      cookieKey: 'cassa_csrf',
      cookieOpts: {
        path: '/',
        sameSite: 'lax',
        httpOnly: true,
        secure: secureCookies(config),
        signed: false,
      },
      getToken: (req) => {
        const token = (req.body as Record<string, unknown> | undefined)?._csrf;
        return typeof token === 'string' ? token : undefined;
      },
    });
    await app.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'font-src': ["'self'"],
          // the captcha widget fetches its challenge from Cassa
          'connect-src': ["'self'"],
          // "Prosegui" posts to Cassa, which redirects to pagoPA Checkout's page
          'form-action': ["'self'", ...checkoutOrigins(config)],
          'frame-ancestors': ["'none'"],
          'base-uri': ["'none'"],
          'object-src': ["'none'"],
        },
      },
      strictTransportSecurity: config.production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'no-referrer' },
    });
    if (config.portal.rateLimit > 0) {
      await app.register(rateLimit, {
        global: false,
        max: config.portal.rateLimit,
        timeWindow: RATE_WINDOW,
        // counted in PostgreSQL, per route and client address (req.ip): the limit holds across web instances
        store: pgRateLimitStore(container.db),
        errorResponseBuilder: (_req, ctx) =>
          Object.assign(new Error('rate limited'), { statusCode: ctx.statusCode }),
      });
    }
    await app.register(fastifyStatic, {
      root: projectPath('node_modules', 'bootstrap-italia', 'dist'),
      prefix: '/static/bootstrap-italia/',
      allowedPath: (path) => /^\/(css|fonts|svg)\//.test(path),
      maxAge: '1d',
      index: false,
    });
    await app.register(fastifyStatic, {
      root: projectPath('views', 'static'),
      prefix: '/static/portal/',
      decorateReply: false,
      maxAge: '1h',
      index: false,
    });
  },
  { name: 'cassa-portal-plugins', fastify: '5.x' },
);
