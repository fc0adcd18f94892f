import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { projectPath } from '../../shared/paths.js';
import { isLang, LANG_COOKIE, translator, type Lang } from './i18n.js';

const eta = new Eta({ views: projectPath('views', 'portal'), cache: true, autoEscape: true });

/** The language of a request: ?lang=, then the cookie, then Italian. */
export function requestLang(req: FastifyRequest): Lang {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(q)) return q;
  const c = req.cookies?.[LANG_COOKIE];
  return isLang(c) ? c : 'it';
}

/** The current page with the other language, for the switch link (only the path: no open redirect). */
function langSwitchUrl(req: FastifyRequest, lang: Lang): string {
  const other: Lang = lang === 'it' ? 'en' : 'it';
  const path = req.method === 'GET' ? req.url.split('?')[0]! : '/sportello/';
  return `${path}?lang=${other}`;
}

/**
 * Renders a portal page as HTML. Pages are never cached (they carry personal data or a CSRF token):
 * Cache-Control no-store. A ?lang= choice is remembered in a cookie.
 */
export function sendPage(req: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown>, status = 200): FastifyReply {
  const lang = requestLang(req);
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (isLang(q) && req.cookies?.[LANG_COOKIE] !== q) {
    reply.setCookie(LANG_COOKIE, q, { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 24 * 3600 });
  }
  const t = translator(lang);
  // every page's <title> names the page (WCAG 2.4.2): error pages by their status
  const pageTitle = data.pageTitle ?? (template === 'error' ? t(`errorTitle.${String(data.messageKey)}`) : t(`${template}.title`));
  const html = eta.render(template, { ...data, t, lang, langSwitchUrl: langSwitchUrl(req, lang), pageTitle });
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}

export { translator };
