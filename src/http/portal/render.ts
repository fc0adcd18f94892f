import { Eta } from 'eta';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config, SportelloSiteConfig } from '../../config/config.js';
import { projectPath } from '../../shared/paths.js';
import { isLang, LANG_COOKIE, translator, type Lang } from './i18n.js';
import { lookView, type LayoutPageData } from './layout-data.js';

const eta = new Eta({ views: projectPath('views', 'portal'), cache: true, autoEscape: true });

const NO_SITE: SportelloSiteConfig = {
  intermediaryName: undefined,
  intermediaryUrl: undefined,
  accessibilityUrl: undefined,
  privacyUrl: undefined,
  legalNotesUrl: undefined,
  cookiePolicyUrl: undefined,
  infoPhone: undefined,
  infoHours: undefined,
  infoHoursEn: undefined,
  infoUrl: undefined,
  supportUrl: undefined,
  supportEmail: undefined,
};
const SITE = Symbol('cassa.sportelloSite');
/** The settings of the portal built last: for pages rendered outside its plugin (a malformed URL's 400). */
let lastSite: SportelloSiteConfig = NO_SITE;

/**
 * The installation's header and footer settings for the pages of a portal plugin (`app`: its
 * instance; several apps in one process, as in the tests, each keep their own).
 */
export function configureLayout(config: Pick<Config, 'sportelloSite'>, app?: FastifyInstance): void {
  lastSite = config.sportelloSite;
  if (app && !app.hasDecorator(SITE)) app.decorate(SITE, config.sportelloSite);
}

function siteOf(req: FastifyRequest): SportelloSiteConfig {
  return (req.server as unknown as Record<symbol, SportelloSiteConfig | undefined>)[SITE] ?? lastSite;
}

/** The language of a request: ?lang=, then the cookie, then Italian. */
export function requestLang(req: FastifyRequest): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(q)) return q;
  const c = langCookie(req);
  return isLang(c) ? c : 'it';
}

/** The language cookie; `req.cookies` is still null on a page rendered before @fastify/cookie's onRequest hook (a framework error). */
function langCookie(req: FastifyRequest): string | undefined {
  return (req.cookies as FastifyRequest['cookies'] | null)?.[LANG_COOKIE];
}

/** The current page with the other language, for the switch link (only the path: no open redirect). */
function langSwitchUrl(req: FastifyRequest, lang: Lang): string {
  const other: Lang = lang === 'it' ? 'en' : 'it';
  const path = req.method === 'GET' ? req.url.split('?')[0]! : '/sportello/';
  return `${path}?lang=${other}`;
}

/**
 * Renders a portal page as HTML. Pages are never cached (they carry personal data or a CSRF token):
 * Cache-Control no-store. A ?lang= choice is remembered in a cookie. Besides its own data a page may
 * pass `step` (the stepper) and `headerEnte` (the ente's name and logo in the header, its contacts in
 * the footer: layout-data.ts enteHeader).
 */
export function sendPage(
  req: FastifyRequest,
  reply: FastifyReply,
  template: string,
  data: Record<string, unknown> & LayoutPageData,
  status = 200,
): FastifyReply {
  const lang = requestLang(req);
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(q) && langCookie(req) !== q) {
    reply.setCookie(LANG_COOKIE, q, { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 24 * 3600 });
  }
  const t = translator(lang);
  // every page's <title> names the page (WCAG 2.4.2): error pages by their status
  const pageTitle =
    data.pageTitle ??
    (template === 'error' ? t(`errorTitle.${String(data.messageKey)}`) : t(`${template}.title`));
  // the shell: header (intermediary, ente), stepper (data.step), footer (settings, the ente's contacts)
  const look = lookView(siteOf(req), lang, data);
  const html = eta.render(template, {
    ...data,
    t,
    lang,
    langSwitchUrl: langSwitchUrl(req, lang),
    pageTitle,
    look,
  });
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}

export { translator };
