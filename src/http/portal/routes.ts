import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app/container.js';
import { sendPdfDownload } from '../pdf-download.js';
import { ANONIMO } from '../../modules/debt-positions/domain/debt-position.js';
import { romeDateLabel, romeDateTimeLabel } from '../../shared/calendar.js';
import { euro } from './format.js';
import { enteHeader, isServedLogoType, type HeaderEnte } from './layout-data.js';
import type {
  FlowLookup,
  Landed,
  ReturnUrlBuilder,
} from '../../modules/portal/application/portal-service.js';
import { CheckoutError } from '../../modules/pagopa/domain/checkout-errors.js';
import { PrintingError } from '../../modules/printing/domain/errors.js';
import {
  CartChanged,
  NoticeNotPayable,
  PortalInputError,
  PortalInputErrors,
  PortalRefusal,
  type RefusalReason,
} from '../../modules/portal/domain/errors.js';
import {
  codEsitoOf,
  FLOW_ID,
  MAX_CART,
  offersRetry,
  OUTCOMES,
  type Outcome,
  type PortalSession,
} from '../../modules/portal/domain/session.js';
import type { PortalPosition } from '../../modules/portal/infra/portal-repository.js';
import { sendPage, translator, requestLang } from './render.js';
import { dbErrorSummary, isDatabaseUnavailable } from '../../db/errors.js';
import { portalRateLimit, secureCookies } from '../plugins.js';
import { publicBaseUrl } from '../public-url.js';
import { HTTP_STATUS_OF_KIND } from '../../shared/domain-error.js';

export const SESSION_COOKIE = 'cassa_sportello';
export const LANDING_PATH = '/epayweb/accessoLibero/pagaConIuv/accessoChiamanteEsterno';

/**
 * A failure of pagoPA Checkout as the Sportello names it to the citizen (its message key): Checkout
 * itself failed (kind 'unavailable', HTTP 502), or it refused the cart.
 */
function checkoutProblem(e: CheckoutError): 'CHECKOUT_UNAVAILABLE' | 'CHECKOUT_REFUSED' {
  return e.kind === 'unavailable' ? 'CHECKOUT_UNAVAILABLE' : 'CHECKOUT_REFUSED';
}

interface FormErrorView {
  field: string;
  message: string;
}

function positionView(p: PortalPosition) {
  // an ANONIMO position (fines with advance notice): no debtor to show, its payment references instead
  return { ...p, amount: euro(p.amountCents), anonymous: p.debtorFiscalCode === ANONIMO };
}

/** Adds an origin to the form-action directive of the response's Content-Security-Policy. */
function allowFormActionTo(reply: FastifyReply, origin: string): void {
  const csp = reply.getHeader('content-security-policy');
  if (typeof csp !== 'string') return;
  reply.header(
    'content-security-policy',
    csp.replace(
      /(^|;)\s*form-action ([^;]*)/,
      (_m, sep: string, sources: string) => `${sep}form-action ${sources} ${origin}`,
    ),
  );
}

/** The language chosen in the query, kept across a redirect ("?lang=en" or nothing). */
function langQuery(req: FastifyRequest): string {
  const lang = (req.query as Record<string, unknown> | undefined)?.lang;
  return lang === 'it' || lang === 'en' ? `?lang=${lang}` : '';
}

function str(body: unknown, key: string): string | undefined {
  const v = (body as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** What the journal keeps of a portal form: everything but the CSRF token and the captcha solution. */
function journalBody(req: FastifyRequest): void {
  if (req.body && typeof req.body === 'object') {
    const { _csrf, altcha: _altcha, ...rest } = req.body as Record<string, unknown>;
    req.auditRawBody = JSON.stringify(rest);
  }
}

/** Whether a URL is the portal's (its pages and the landing): their errors are the portal's HTML pages. */
export function isPortalUrl(url: string): boolean {
  const path = url.split('?')[0]!;
  return path === '/sportello' || path.startsWith('/sportello/') || path === LANDING_PATH;
}

/**
 * An error the router answers before any route is found (a URL with a bad %-encoding) on a portal
 * URL: the portal's plain error page instead of Fastify's JSON (the portal's plugins did not run).
 */
export function sendPortalFrameworkError(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
): FastifyReply {
  reply.header(
    'content-security-policy',
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'",
  );
  return sendPage(req, reply, 'error', { status, messageKey: status >= 500 ? '500' : '400' }, status);
}

/**
 * The citizen portal ("Sportello dei pagamenti"): the redirect from a gestionale at PiemontePAY's
 * path and the pages under /sportello, with their plain error pages. server.ts registers it in the
 * Sportello's own encapsulated instance, after the plugins it relies on (http/plugins.ts: cookies,
 * CSRF tokens, security headers, rate limits, static files), so nothing of them reaches other edges.
 */
export async function portalRoutes(
  app: FastifyInstance,
  { container }: { container: Container },
): Promise<void> {
  const { config, portal } = container;
  const secure = secureCookies(config);
  const rateLimitConfig = portalRateLimit(config);
  // The CSRF check of the forms (@fastify/csrf-protection, registered by http/plugins.ts).
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the plugin's hook does not use `this` (its types call it a method)
  const csrfProtection = app.csrfProtection;

  await app.register((await import('./look.js')).portalLook, { container }); // header and footer settings, GET /sportello/enti/:codiceFiscale/logo

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (!(err.statusCode && err.statusCode < 500) && isDatabaseUnavailable(err)) {
      // the database unreachable (restart, failover): the plain page says to retry in a few minutes
      req.log.warn({ db: dbErrorSummary(err) }, 'portal: database unavailable');
      reply.header('retry-after', '30');
      return sendPage(req, reply, 'error', { status: 503, messageKey: '503' }, 503);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'portal error');
    else req.log.info({ code: err.code, status }, 'portal request refused');
    const key =
      status === 403 || status === 404 || status === 429 ? String(status) : status >= 500 ? '500' : '400';
    return sendPage(req, reply, 'error', { status, messageKey: key }, status);
  });

  // The browser's cookie names the browser, not a payment: each payment flow has its own id in its
  // pages' URLs and forms, and belongs to the browser whose cookie it was bound to.
  const setBrowserCookie = (reply: FastifyReply, value: string) =>
    reply.setCookie(SESSION_COOKIE, value, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure,
      maxAge: 2 * 3600,
    });
  const browserCookie = (req: FastifyRequest): string | undefined => req.cookies[SESSION_COOKIE];
  const returnUrls = (req: FastifyRequest): ReturnUrlBuilder => {
    const base = publicBaseUrl(config, req);
    return (publicId, outcome, token) => `${base}/sportello/esito/${publicId}/${outcome}/${token}`;
  };
  /** A new cookie value when a notice enters the browser's cart (no session fixation; see PortalService.rotate). */
  const rotateBrowser = async (req: FastifyRequest, reply: FastifyReply) => {
    const current = browserCookie(req);
    const fresh = current ? await portal.rotate(current) : undefined;
    if (fresh) {
      setBrowserCookie(reply, fresh);
      req.cookies[SESSION_COOKIE] = fresh;
    }
  };
  const t = (req: FastifyRequest) => translator(requestLang(req));
  const errorViews = (req: FastifyRequest, problems: PortalInputError[]): FormErrorView[] =>
    problems.map((p) => ({
      field: p.field,
      message: t(req)(`errors.${p.problem}`, {
        max: MAX_CART,
        ...p.params,
        ...(p.params.reason ? { reason: t(req)(`refusal.${p.params.reason}`) } : {}),
      }),
    }));

  app.get('/', async (_req, reply) => reply.redirect('/sportello/', 302));

  // A reload or a bookmark of the landing (a GET), or another method: a plain page saying where to start again.
  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: LANDING_PATH,
    handler: async (req, reply) => {
      reply.header('allow', 'POST');
      return sendPage(req, reply, 'error', { status: 405, messageKey: '405' }, 405);
    },
  });

  // --- the redirect from a gestionale (seed 000 §2.1) ---
  app.post(
    LANDING_PATH,
    {
      config: {
        audit: { interface: 'portal', operation: 'accessoChiamanteEsterno', keepResponse: false },
        ...rateLimitConfig,
      },
    },
    async (req, reply) => {
      const form = req.body as Record<string, unknown> | undefined;
      req.audit!.caller =
        typeof form?.codiceChiamante === 'string' ? form.codiceChiamante.slice(0, 80) : undefined;
      let landed: Landed;
      try {
        landed = await portal.land(req.body, { returnUrls: returnUrls(req), correlationId: req.id });
      } catch (e) {
        if (e instanceof PortalRefusal) {
          Object.assign(req.audit!, {
            outcome: e.code,
            detail: e.journal,
            caller: e.context.caller ?? req.audit!.caller,
            iuv: e.context.iuv,
            enteFiscalCode: e.context.enteFiscalCode,
          });
          req.log.warn({ reason: e.reason }, `[accessoChiamanteEsterno] - ${e.journal}`);
          return sendPage(
            req,
            reply,
            'refusal',
            { reason: e.reason, kind: e.reason.startsWith('POSITION_') ? 'status' : 'refusal' },
            HTTP_STATUS_OF_KIND[e.kind],
          );
        }
        if (e instanceof CheckoutError) {
          Object.assign(req.audit!, { outcome: 'CHECKOUT_NON_DISPONIBILE', detail: checkoutProblem(e) });
          return sendPage(req, reply, 'error', { status: 502, messageKey: '500' }, 502);
        }
        throw e;
      }
      const first = landed.session.positions[0]!;
      Object.assign(req.audit!, {
        enteFiscalCode: first.enteFiscalCode,
        iuv: first.iuv,
        outcome: 'ACCETTATO',
        detail: `identificativoPagamento ${landed.session.identificativoPagamento}; separatore digest ${landed.session.digestSeparator}${landed.checkoutLocation ? '; dati personali non richiesti: avvio pagamento' : ''}`,
      });
      // post/redirect/get: the flow's own page, bound to this browser at its first GET (the cookie
      // is SameSite=Lax, so this cross-site POST does not carry it); or straight to Checkout
      return reply.redirect(
        landed.checkoutLocation ??
          `/sportello/pagamento/${landed.session.publicId}?accesso=${landed.claimToken}`,
        303,
      );
    },
  );

  await app.register(
    // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async is how Fastify knows it is loaded (a throw becomes a registration error)
    async (s) => {
      s.setNotFoundHandler((req, reply) =>
        sendPage(req, reply, 'error', { status: 404, messageKey: '404' }, 404),
      );

      /** The browser's manual cart, opened (with a cookie when the browser has none) when asked. */
      const manualCart = async (
        req: FastifyRequest,
        reply: FastifyReply,
        open: boolean,
      ): Promise<PortalSession | undefined> => {
        const cart = await portal.manualCart(browserCookie(req));
        if (cart || !open) return cart;
        const opened = await portal.openManual(browserCookie(req));
        if (opened.cookie.changed) setBrowserCookie(reply, opened.cookie.value);
        req.cookies[SESSION_COOKIE] = opened.cookie.value;
        return opened.session;
      };

      const renderHome = async (
        req: FastifyRequest,
        reply: FastifyReply,
        session: PortalSession | undefined,
        extra: {
          errors?: FormErrorView[];
          form?: Record<string, string | undefined>;
          notPayable?: { notice: string; reason: RefusalReason; receiptUrl: string | null };
        } = {},
        status = 200,
      ) => {
        const cart = portal.editable(session)
          ? (await portal.positions(session)).map((p) => ({
              ...positionView(p),
              noticeUrl: noticeUrl(req, p.id),
            }))
          : [];
        const total = euro(cart.reduce((sum, p) => sum + p.amountCents, 0));
        // payments started by a gestionale in this browser and not concluded: the way back to each summary
        const resume = (await portal.openFlows(browserCookie(req))).map((f) => ({
          href: `/sportello/pagamento/${f.publicId}`,
          iuv: f.positions[0]?.iuv ?? '',
        }));
        return sendPage(
          req,
          reply,
          'home',
          {
            cart,
            total,
            max: MAX_CART,
            csrf: reply.generateCsrf(),
            errors: extra.errors ?? [],
            form: extra.form ?? {},
            notPayable: extra.notPayable ?? null,
            resume,
            proceedUrl: session ? `/sportello/pagamento/${session.publicId}` : null,
            step: 'references',
            pageTitle: t(req)('home.title'),
          },
          status,
        );
      };

      /** The position's notice to download, for this browser only (it proved the notice: code and fiscal code, or a landing). */
      const noticeUrl = (req: FastifyRequest, positionId: number): string | null => {
        const cookie = browserCookie(req);
        return cookie ? `/sportello/avviso/${positionId}/${portal.noticeToken(cookie, positionId)}` : null;
      };

      /** A notice found but not payable: its own message (not a form error), with the receipt when paid. */
      const notPayableView = async (req: FastifyRequest, e: NoticeNotPayable, notice: string) => {
        const cookie = browserCookie(req);
        const hasReceipt =
          e.reason === 'POSITION_PAID' &&
          e.positionId !== undefined &&
          cookie !== undefined &&
          (await portal.receiptOf(e.positionId)) !== undefined;
        const receiptUrl = hasReceipt
          ? `/sportello/ricevuta/${e.positionId}/${portal.receiptToken(cookie, e.positionId)}`
          : null;
        return { notice, reason: e.reason, receiptUrl };
      };

      s.get('/', async (req, reply) => renderHome(req, reply, await portal.manualCart(browserCookie(req))));

      s.post(
        '/avvisi',
        {
          preHandler: csrfProtection,
          config: {
            audit: { interface: 'portal', operation: 'aggiungiAvviso', keepResponse: false },
            ...rateLimitConfig,
          },
        },
        async (req, reply) => {
          journalBody(req);
          const session = (await manualCart(req, reply, true))!;
          const input = {
            code: str(req.body, 'codiceAvviso'),
            codiceFiscale: str(req.body, 'codiceFiscale'),
            ente: str(req.body, 'ente'),
          };
          let result: 'added' | 'references';
          try {
            result = await portal.addNotice(session, input);
          } catch (e) {
            const form = { codiceAvviso: input.code, codiceFiscale: input.codiceFiscale, ente: input.ente };
            if (e instanceof PortalInputError) {
              req.audit!.outcome = e.problem;
              return renderHome(req, reply, session, { errors: errorViews(req, [e]), form }, 422);
            }
            if (e instanceof NoticeNotPayable) {
              req.audit!.outcome = e.reason;
              return renderHome(
                req,
                reply,
                session,
                { notPayable: await notPayableView(req, e, (input.code ?? '').trim()) },
                409,
              );
            }
            throw e;
          }
          req.audit!.outcome = result === 'added' ? 'AGGIUNTO' : 'RIFERIMENTI_RICHIESTI';
          await rotateBrowser(req, reply);
          return reply.redirect(result === 'added' ? '/sportello/' : '/sportello/riferimenti', 303);
        },
      );

      s.post('/avvisi/rimuovi', { preHandler: csrfProtection }, async (req, reply) => {
        const session = await portal.manualCart(browserCookie(req));
        const id = Number(str(req.body, 'positionId'));
        if (portal.editable(session) && Number.isSafeInteger(id)) await portal.removeNotice(session, id);
        return reply.redirect('/sportello/', 303);
      });

      const renderReferences = async (
        req: FastifyRequest,
        reply: FastifyReply,
        session: PortalSession,
        errors: FormErrorView[] = [],
        status = 200,
      ) => {
        const position = await portal.pendingReferences(session);
        if (!position) return reply.redirect('/sportello/', 303);
        return sendPage(
          req,
          reply,
          'references',
          {
            position,
            csrf: reply.generateCsrf(),
            errors,
            step: 'references',
            pageTitle: t(req)('references.title'),
          },
          status,
        );
      };

      s.get('/riferimenti', async (req, reply) => {
        const session = await portal.manualCart(browserCookie(req));
        if (!portal.editable(session)) return reply.redirect('/sportello/', 303);
        return renderReferences(req, reply, session);
      });

      s.post(
        '/riferimenti',
        {
          preHandler: csrfProtection,
          config: {
            audit: { interface: 'portal', operation: 'riferimentiPagamento', keepResponse: false },
            ...rateLimitConfig,
          },
        },
        async (req, reply) => {
          journalBody(req);
          const session = await portal.manualCart(browserCookie(req));
          if (!portal.editable(session)) return reply.redirect('/sportello/', 303);
          const values = [0, 1, 2, 3, 4].map((i) => str(req.body, `riferimento_${i}`) ?? '');
          try {
            await portal.submitReferences(session, values);
          } catch (e) {
            if (e instanceof PortalInputError) {
              req.audit!.outcome = e.problem;
              return renderReferences(req, reply, session, errorViews(req, [e]), 422);
            }
            if (e instanceof NoticeNotPayable) {
              req.audit!.outcome = e.reason;
              await portal.cancelPending(session);
              const pending = session.pending?.noticeNumber ?? '';
              return renderHome(
                req,
                reply,
                await portal.manualCart(browserCookie(req)),
                { notPayable: await notPayableView(req, e, pending) },
                409,
              );
            }
            throw e;
          }
          req.audit!.outcome = 'AGGIUNTO';
          await rotateBrowser(req, reply);
          return reply.redirect('/sportello/', 303);
        },
      );

      const renderPayment = async (
        req: FastifyRequest,
        reply: FastifyReply,
        session: PortalSession,
        extra: {
          errors?: FormErrorView[];
          form?: Record<string, string | undefined>;
          cartChanged?: boolean;
        } = {},
        status = 200,
      ) => {
        const summary = await portal.summary(session);
        const { parts } = summary;
        const headerEnte = headerFrom(session, summary.positions[0]);
        const positions = summary.positions.map((p) => ({
          ...positionView(p),
          noticeUrl: noticeUrl(req, p.id),
        }));
        // "< Indietro" posts to Cassa, which redirects to the caller's return URL: browsers apply the
        // page's form-action to that redirect, so this page also allows the caller's origin
        if (summary.callerOrigin) allowFormActionTo(reply, summary.callerOrigin);
        const prefill =
          session.kind === 'gestionale'
            ? { email: session.email ?? '', emailConferma: session.email ?? '' }
            : {};
        return sendPage(
          req,
          reply,
          'payment',
          {
            positions,
            total: euro(positions.reduce((sum, p) => sum + p.amountCents, 0)),
            parts,
            date: romeDateLabel(),
            csrf: reply.generateCsrf(),
            errors: extra.errors ?? [],
            form: extra.form ?? prefill,
            cartChanged: extra.cartChanged ?? false,
            // the form names its flow and the cart it shows: "Prosegui" pays exactly these notices
            action: `/sportello/pagamento/${session.publicId}`,
            revision: session.revision,
            // "< Indietro": the manual flow's cart; a gestionale's flow goes back to the caller with
            // codEsito 100, as for a citizen who gives up (seed 000 §3.3)
            backUrl: session.kind === 'manual' ? '/sportello/' : null,
            backAction:
              session.kind === 'gestionale' ? `/sportello/pagamento/${session.publicId}/indietro` : null,
            step: parts.email || parts.privacy || parts.captcha ? 'personalData' : 'summary',
            headerEnte,
            pageTitle: t(req)('summary.title'),
          },
          status,
        );
      };

      /** The ente whose name and logo head a gestionale's payment pages (seed 000's screens); none for the manual cart. */
      const headerOf = (session: PortalSession) =>
        session.kind === 'gestionale' && session.positions[0]
          ? enteHeader(container, session.positions[0].enteFiscalCode)
          : Promise.resolve(undefined);
      /** The same from a position already read (no query of its own). */
      const headerFrom = (session: PortalSession, p: PortalPosition | undefined): HeaderEnte | undefined =>
        session.kind === 'gestionale' && p
          ? {
              name: p.enteName,
              fiscalCode: p.enteFiscalCode,
              hasLogo: isServedLogoType(p.enteLogoMime),
              contacts: p.enteContacts,
            }
          : undefined;

      /** A page of a flow that can no longer go on: says why, with the way back to the caller (codEsito 100) when there is one. */
      const renderEnded = async (req: FastifyRequest, reply: FastifyReply, lookup: FlowLookup) => {
        const state = lookup.state;
        const returnLink = lookup.state === 'unknown' ? null : await portal.giveUpLink(lookup.session);
        const status = state === 'unknown' ? 404 : 410;
        const headerEnte = lookup.state === 'unknown' ? undefined : await headerOf(lookup.session);
        // an expired flow that had been handed to Checkout: it may have been paid there
        const message =
          state === 'expired' && 'session' in lookup && lookup.session.idCart !== null
            ? 'expiredStarted'
            : state;
        return sendPage(
          req,
          reply,
          'flow-ended',
          { state, message, returnLink, headerEnte, pageTitle: t(req)(`flowEnded.title.${state}`) },
          status,
        );
      };

      /** The way on for a page of a flow that is not open: the conclusion when concluded, the "ended" page otherwise. */
      /** The journal's outcome of a form posted to a flow that is not open (or not this browser's). */
      const flowOutcome = (lookup: FlowLookup): string =>
        lookup.state === 'unknown' ? 'SESSIONE_ASSENTE' : `FLUSSO_${lookup.state.toUpperCase()}`;
      const notOpen = async (req: FastifyRequest, reply: FastifyReply, lookup: FlowLookup) => {
        if (lookup.state === 'concluded') return reply.redirect(portal.conclusionPath(lookup.session)!, 303);
        return renderEnded(req, reply, lookup);
      };

      // The summary without a flow (an old bookmark, the home's link before this version): the browser's cart, else its latest payment.
      s.get('/pagamento', async (req, reply) => {
        const cart = await portal.manualCart(browserCookie(req));
        if (cart && cart.positions.length > 0)
          return reply.redirect(`/sportello/pagamento/${cart.publicId}${langQuery(req)}`, 303);
        const [latest] = await portal.openFlows(browserCookie(req));
        return reply.redirect(
          `${latest ? `/sportello/pagamento/${latest.publicId}` : '/sportello/'}${langQuery(req)}`,
          303,
        );
      });

      s.post('/pagamento', { preHandler: csrfProtection }, async (_req, reply) =>
        reply.redirect('/sportello/pagamento', 303),
      );

      s.get<{ Params: { flow: string }; Querystring: { accesso?: string } }>(
        '/pagamento/:flow',
        async (req, reply) => {
          const { flow } = req.params;
          const token = typeof req.query.accesso === 'string' ? req.query.accesso : undefined;
          if (!FLOW_ID.test(flow)) return renderEnded(req, reply, { state: 'unknown' });
          if (token) {
            // the landing's redirect: bind the flow to this browser and show its summary at once; a
            // reload finds the token used and shows the flow if it is this browser's
            const claimed = await portal.claim(flow, token, browserCookie(req));
            if (claimed) {
              if (claimed.cookie) {
                setBrowserCookie(reply, claimed.cookie);
                req.cookies[SESSION_COOKIE] = claimed.cookie;
              }
              return renderPayment(req, reply, claimed.session);
            }
          }
          const lookup = await portal.flow(flow, browserCookie(req));
          if (lookup.state !== 'open') return notOpen(req, reply, lookup);
          if (lookup.session.positions.length === 0) return reply.redirect('/sportello/', 303);
          return renderPayment(req, reply, lookup.session);
        },
      );

      s.post<{ Params: { flow: string } }>(
        '/pagamento/:flow',
        {
          preHandler: csrfProtection,
          config: {
            audit: { interface: 'portal', operation: 'avviaPagamento', keepResponse: false },
            ...rateLimitConfig,
          },
        },
        async (req, reply) => {
          journalBody(req);
          const lookup = await portal.flow(req.params.flow, browserCookie(req));
          if (lookup.state !== 'open' || lookup.session.positions.length === 0) {
            req.audit!.outcome = flowOutcome(lookup);
            if (lookup.state === 'open') return reply.redirect('/sportello/', 303);
            return notOpen(req, reply, lookup);
          }
          const session = lookup.session;
          const first = session.positions[0]!;
          Object.assign(req.audit!, {
            enteFiscalCode: first.enteFiscalCode,
            iuv: first.iuv,
            caller: session.identificativoPagamento ? `portal:${session.identificativoPagamento}` : 'portal',
          });
          const input = {
            email: str(req.body, 'email'),
            emailConfirm: str(req.body, 'emailConferma'),
            privacy: str(req.body, 'privacy'),
            captcha: str(req.body, 'altcha'),
          };
          const revision = Number(str(req.body, 'revisione'));
          let location: string;
          try {
            location = await portal.startPayment(session, input, {
              returnUrls: returnUrls(req),
              correlationId: req.id,
              revision: Number.isSafeInteger(revision) ? revision : undefined,
            });
          } catch (e) {
            const form = { email: input.email, emailConferma: input.emailConfirm, privacy: input.privacy };
            if (e instanceof CartChanged) {
              req.audit!.outcome = 'CARRELLO_CAMBIATO';
              return renderPayment(req, reply, session, { cartChanged: true, form }, 409);
            }
            if (e instanceof PortalInputErrors) {
              req.audit!.outcome = e.problems
                .map((p) => p.problem)
                .join(',')
                .slice(0, 40);
              const unpayable = e.problems.some((p) => p.kind === 'conflict');
              return renderPayment(
                req,
                reply,
                session,
                { errors: errorViews(req, e.problems), form },
                unpayable ? HTTP_STATUS_OF_KIND.conflict : 422,
              );
            }
            if (e instanceof CheckoutError) {
              const problem = checkoutProblem(e);
              req.audit!.outcome = problem;
              return renderPayment(
                req,
                reply,
                session,
                { errors: [{ field: 'prosegui', message: t(req)(`errors.${problem}`) }], form },
                e.kind === 'unavailable' ? HTTP_STATUS_OF_KIND.unavailable : 422,
              );
            }
            throw e;
          }
          Object.assign(req.audit!, {
            outcome: 'AVVIATO',
            detail: `avvisi ${session.positions.map((p) => p.noticeNumber).join(',')}`,
          });
          return reply.redirect(location, 303);
        },
      );

      // "< Indietro" on a gestionale's summary: the flow is closed and the browser goes back to the
      // caller with codEsito 100, as for a citizen who gives up (seed 000 §3.3)
      s.post<{ Params: { flow: string } }>(
        '/pagamento/:flow/indietro',
        {
          preHandler: csrfProtection,
          config: {
            audit: { interface: 'portal', operation: 'tornaAlChiamante', keepResponse: false },
            ...rateLimitConfig,
          },
        },
        async (req, reply) => {
          journalBody(req);
          const lookup = await portal.flow(req.params.flow, browserCookie(req));
          if (lookup.state !== 'open' || lookup.session.kind !== 'gestionale') {
            req.audit!.outcome = flowOutcome(lookup);
            return notOpen(req, reply, lookup);
          }
          const first = lookup.session.positions[0];
          Object.assign(req.audit!, {
            outcome: 'RINUNCIA',
            enteFiscalCode: first?.enteFiscalCode,
            iuv: first?.iuv,
            caller: `portal:${lookup.session.identificativoPagamento}`,
            detail: 'ritorno al chiamante con codEsito 100',
          });
          const link = await portal.giveUp(lookup.session);
          return reply.redirect(link ?? '/sportello/', 303);
        },
      );

      s.get('/captcha', { config: rateLimitConfig }, async (_req, reply) => {
        reply.header('cache-control', 'no-store');
        return portal.captcha.challenge();
      });

      s.get<{ Params: { ref: string; outcome: string; token: string } }>(
        '/esito/:ref/:outcome/:token',
        { config: { audit: { interface: 'portal', operation: 'esito', keepResponse: false } } },
        async (req, reply) => {
          const { ref, outcome, token } = req.params;
          const conclusion = OUTCOMES.includes(outcome as Outcome)
            ? await portal.conclude(ref, outcome as Outcome, token)
            : undefined;
          if (!conclusion) {
            req.audit!.outcome = 'ESITO_NON_RICONOSCIUTO';
            return sendPage(req, reply, 'error', { status: 404, messageKey: '404' }, 404);
          }
          const first = conclusion.positions[0];
          const codEsito = codEsitoOf(conclusion.state);
          Object.assign(req.audit!, {
            outcome: conclusion.outcome.toUpperCase(),
            enteFiscalCode: first?.enteFiscalCode,
            iuv: first?.iuv,
            caller: conclusion.session.identificativoPagamento
              ? `portal:${conclusion.session.identificativoPagamento}`
              : 'portal',
            detail: `idCart ${conclusion.session.idCart}; esito Checkout ${outcome}; stato ${conclusion.state}${conclusion.returnLink ? `; ritorno al chiamante con codEsito ${codEsito}` : ''}`,
          });
          // the e-mail and the receipts only to the browser of the flow (the URL alone does not show them)
          const cookie = browserCookie(req);
          const own =
            cookie !== undefined &&
            (await portal.flow(conclusion.session.publicId, cookie)).state !== 'unknown';
          const positions = conclusion.positions.map((p) => ({
            ...positionView(p),
            receiptUrl:
              own && cookie && p.status === 'PAID'
                ? `/sportello/ricevuta/${p.id}/${portal.receiptToken(cookie, p.id)}`
                : null,
          }));
          const when = conclusion.session.concludedAt ?? new Date();
          return sendPage(req, reply, 'conclusion', {
            outcome: conclusion.outcome,
            state: conclusion.state,
            codEsito,
            success: codEsito === '000',
            positions,
            total: euro(conclusion.positions.reduce((sum, p) => sum + p.amountCents, 0)),
            email: own ? conclusion.session.email : null,
            date: romeDateTimeLabel(when),
            returnLink: conclusion.returnLink,
            // the manual flow's retry, after a payment that was not made (a gestionale's is back at the caller)
            retryUrl:
              conclusion.session.kind === 'manual' && offersRetry(conclusion.state) ? '/sportello/' : null,
            step: 'conclusion',
            headerEnte: headerFrom(conclusion.session, conclusion.positions[0]),
            pageTitle: t(req)(`conclusion.heading.${conclusion.state}`),
          });
        },
      );

      // The links to a position's notice and receipt carry a secret of the browser they were shown to.
      type PositionLink = { Params: { position: string; token: string } };
      const linkRoute = (operation: string) => ({
        config: { audit: { interface: 'portal', operation, keepResponse: false }, ...rateLimitConfig },
      });
      /** The position of a link whose secret is this browser's. */
      const linkedPositionId = (
        req: FastifyRequest<PositionLink>,
        check: (cookie: string | undefined, positionId: number, token: string) => boolean,
      ): number | undefined => {
        const id = Number(req.params.position);
        return Number.isSafeInteger(id) && id > 0 && check(browserCookie(req), id, req.params.token)
          ? id
          : undefined;
      };
      const linkedReceipt = async (req: FastifyRequest<PositionLink>) => {
        const id = linkedPositionId(req, portal.checkReceiptToken.bind(portal));
        return id === undefined ? undefined : portal.receiptOf(id);
      };
      /** A link that leads nowhere (another browser's, a mistyped one): the plain 404 page. */
      const unavailable = (req: FastifyRequest, reply: FastifyReply, outcome: string) => {
        req.audit!.outcome = outcome;
        return sendPage(req, reply, 'error', { status: 404, messageKey: '404' }, 404);
      };

      // A payable position's notice (avviso pagoPA) as a PDF: only in the browser that proved the position.
      s.get<PositionLink>('/avviso/:position/:token', linkRoute('avviso'), async (req, reply) => {
        const id = linkedPositionId(req, portal.checkNoticeToken.bind(portal));
        if (id === undefined) return unavailable(req, reply, 'AVVISO_NON_DISPONIBILE');
        let notice;
        try {
          notice = await container.notices.noticePdf({ positionId: id });
        } catch (e) {
          if (!PrintingError.is(e)) throw e;
          // paid, cancelled, expired or in payment since the page was shown: a plain message, no notice
          req.audit!.outcome = `AVVISO_${e.errorName}`;
          const status = HTTP_STATUS_OF_KIND[e.kind];
          return sendPage(
            req,
            reply,
            'error',
            { status, messageKey: e.errorName === 'PAID' ? 'noticePaid' : 'noticeUnavailable' },
            status,
          );
        }
        Object.assign(req.audit!, {
          outcome: 'SCARICATO',
          enteFiscalCode: notice.enteFiscalCode,
          iuv: notice.iuv,
        });
        return sendPdfDownload(reply, notice.filename, notice.pdf);
      });

      // A paid position's receipt, as a printable page: only in the browser that reached the position.
      s.get<PositionLink>('/ricevuta/:position/:token', linkRoute('ricevuta'), async (req, reply) => {
        const found = await linkedReceipt(req);
        if (!found) return unavailable(req, reply, 'RICEVUTA_NON_DISPONIBILE');
        const { position, receipt } = found;
        Object.assign(req.audit!, {
          outcome: 'MOSTRATA',
          enteFiscalCode: position.enteFiscalCode,
          iuv: position.iuv,
        });
        return sendPage(req, reply, 'receipt', {
          position: positionView(position),
          receipt: {
            receiptId: receipt.receiptId,
            amount: euro(receipt.amountCents),
            fee: receipt.feeCents === null ? null : euro(receipt.feeCents),
            psp: receipt.pspCompanyName ?? receipt.idPsp,
            paymentMethod: receipt.paymentMethod,
            paymentDateTime: receipt.paymentDateTime ? romeDateTimeLabel(receipt.paymentDateTime) : null,
            receivedAt: romeDateTimeLabel(receipt.receivedAt),
          },
          pdfUrl: `/sportello/ricevuta/${position.id}/${req.params.token}/pdf`,
          pageTitle: t(req)('receipt.title'),
        });
      });

      // The same receipt as a PDF to keep (ricevuta di pagamento): the same link's secret, so only that browser.
      s.get<PositionLink>('/ricevuta/:position/:token/pdf', linkRoute('ricevutaPdf'), async (req, reply) => {
        const found = await linkedReceipt(req);
        if (!found) return unavailable(req, reply, 'RICEVUTA_NON_DISPONIBILE');
        const { position } = found;
        const receipt = await container.receiptPdfs.ofPosition(
          position.enteId,
          position.iuv,
          requestLang(req),
        );
        Object.assign(req.audit!, {
          outcome: 'SCARICATA',
          enteFiscalCode: position.enteFiscalCode,
          iuv: position.iuv,
        });
        return sendPdfDownload(reply, receipt.fileName, receipt.pdf);
      });
    },
    { prefix: '/sportello' },
  );
}
