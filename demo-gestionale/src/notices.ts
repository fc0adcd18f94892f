import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Post/redirect/get: every POST of the gestionale's pages answers 303 to a GET page, so that the
 * browser's Back and reload never re-send a form ("Confirm Form Resubmission"). What the POST has to
 * say to the page it redirects to (an outcome, a refusal) is a notice: kept here, in memory, under a
 * random id that the browser carries in a cookie, and shown once by the next page that reads it.
 * No personal data goes into a URL.
 */
export interface Notice {
  /** bootstrap-italia alert type: success, info, warning, danger */
  type: 'success' | 'info' | 'warning' | 'danger';
  text: string;
}

/** The cookie with the id of the pending notice (HttpOnly; the notice itself stays on the server). */
export const NOTICE_COOKIE = 'gest_avviso';

export class Notices {
  private readonly byId = new Map<string, Notice>();

  /** At most `max` notices are kept: the oldest unread ones are dropped first (a demo keeps no more). */
  constructor(private readonly max = 1000) {}

  put(notice: Notice): string {
    const id = randomBytes(18).toString('base64url');
    this.byId.set(id, notice);
    while (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value!);
    return id;
  }

  /** The notice, removed: shown once. */
  take(id: string | undefined): Notice | undefined {
    if (!id) return undefined;
    const n = this.byId.get(id);
    this.byId.delete(id);
    return n;
  }

  get size(): number {
    return this.byId.size;
  }
}

/** 303 to `location`, with a notice for the page there. */
export function redirectWithNotice(
  reply: FastifyReply,
  notices: Notices,
  location: string,
  notice: Notice,
): FastifyReply {
  reply.setCookie(NOTICE_COOKIE, notices.put(notice), { path: '/', httpOnly: true, sameSite: 'lax' });
  return reply.redirect(location, 303);
}

/** The notice a POST left for this page, if any (the cookie is cleared: a reload shows the page without it). */
export function takeNotice(req: FastifyRequest, reply: FastifyReply, notices: Notices): Notice | undefined {
  const id = req.cookies[NOTICE_COOKIE];
  if (id === undefined) return undefined;
  reply.clearCookie(NOTICE_COOKIE, { path: '/' });
  return notices.take(id);
}
