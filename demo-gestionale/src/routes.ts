import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CassaError } from './cassa-client.js';
import { formatCents, STATE_LABELS } from './format.js';
import { canPay, type Payments, type ReturnResult, type StatusCheckResult } from './payments.js';
import type { GestionaleStore, Position } from './store.js';
import type { Views } from './views.js';
import type { Inbox } from './epaywso2enti/inbox.js';
import { redirectWithNotice, takeNotice, type Notices } from './notices.js';

/** The "logged-in" citizen: a plain cookie with the chosen demo fiscal code (no real authentication). */
export const CITIZEN_COOKIE = 'gest_cf';
/** The secret of the CSRF tokens of the gestionale's own forms. */
export const CSRF_COOKIE = 'gest_csrf';
/** The payment page (GET) and its form (POST "Paga"). */
export const PAY_PATH = '/paga';
/** The IUV chosen with "Paga", for the payment page (a cookie of the browser, sent only to PAY_PATH). */
export const PAY_COOKIE = 'gest_paga';
/** Where a form refused for its CSRF token is redirected. */
export const EXPIRED_FORM_PATH = '/modulo-scaduto';

interface Deps {
  store: GestionaleStore;
  payments: Payments;
  views: Views;
  notices: Notices;
  /** EPaywso2EntiService's inbox: the RTs received for a position (optional for embedders). */
  inbox?: Inbox;
}

function html(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

function citizenOf(req: FastifyRequest, store: GestionaleStore): string | undefined {
  const cf = req.cookies[CITIZEN_COOKIE];
  return cf && store.positionsOf(cf).length > 0 ? cf : undefined;
}

function field(body: unknown, name: string): string | undefined {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : undefined;
}

function positionRow(p: Position, inbox?: Inbox) {
  const s = STATE_LABELS[p.state];
  const rts = (inbox?.rtsOf(p.iuv) ?? []).map((r) => ({ id: r.id, href: `/rt/${encodeURIComponent(r.id)}` }));
  const paidByNotification =
    p.paid?.source === 'notifica'
      ? {
          iur: p.paid.identificativoUnicoRiscossione,
          psp: p.paid.psp,
          importo:
            p.paid.importoPagatoCents === undefined ? undefined : formatCents(p.paid.importoPagatoCents),
        }
      : undefined;
  return {
    ...p,
    importo: formatCents(p.amountCents),
    stateLabel: s.label,
    stateClass: s.badge,
    canPay: canPay(p),
    rts,
    paidByNotification,
  };
}

export function registerRoutes(app: FastifyInstance, { store, payments, views, notices, inbox }: Deps): void {
  // The CSRF check of the forms (@fastify/csrf-protection, registered by app.ts).
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the plugin's hook does not use `this` (its types call it a method)
  const csrfProtection = app.csrfProtection;
  const listPage = (req: FastifyRequest, reply: FastifyReply, cf: string) => {
    const positions = store.positionsOf(cf);
    const message = takeNotice(req, reply, notices);
    return html(
      reply,
      views.render('posizioni', 'Le tue posizioni', {
        codiceFiscale: cf,
        debitore: positions[0]?.debitore ?? '',
        positions: positions.map((p) => positionRow(p, inbox)),
        message,
        csrf: reply.generateCsrf(),
      }),
    );
  };
  const errorPage = (reply: FastifyReply, status: number, heading: string, ...paragraphs: string[]) =>
    html(reply, views.render('errore', heading, { heading, paragraphs }), status);
  const notFound = { type: 'danger', text: 'Posizione non trovata tra le tue.' } as const;
  const notPayable = (p: Position) =>
    ({
      type: 'warning',
      text: `La posizione ${p.iuv} non si può pagare: ${STATE_LABELS[p.state].label}.`,
    }) as const;

  // Every POST below answers 303 to a GET page (post/redirect/get, notices.ts): Back and reload never re-send a form.

  app.get('/', async (req, reply) => {
    if (citizenOf(req, store)) return reply.redirect('/posizioni', 303);
    return html(
      reply,
      views.render('home', 'Accesso', {
        citizens: store.citizens(),
        message: takeNotice(req, reply, notices),
        csrf: reply.generateCsrf(),
      }),
    );
  });

  app.post('/accesso', { preHandler: csrfProtection }, async (req, reply) => {
    const cf = field(req.body, 'codiceFiscale')?.toUpperCase();
    if (!cf || !store.citizens().some((c) => c.codiceFiscale === cf))
      return redirectWithNotice(reply, notices, '/', {
        type: 'danger',
        text: 'Cittadino non riconosciuto: scegli uno dei cittadini di prova elencati.',
      });
    reply.setCookie(CITIZEN_COOKIE, cf, { path: '/', httpOnly: true, sameSite: 'lax' });
    return reply.redirect('/posizioni', 303);
  });

  app.post('/esci', { preHandler: csrfProtection }, async (_req, reply) => {
    reply.clearCookie(CITIZEN_COOKIE, { path: '/' });
    reply.clearCookie(PAY_COOKIE, { path: PAY_PATH });
    return reply.redirect('/', 303);
  });

  app.get('/posizioni', async (req, reply) => {
    const cf = citizenOf(req, store);
    if (!cf) return reply.redirect('/', 303);
    return listPage(req, reply, cf);
  });

  // "Paga": the position is remembered in a cookie of the browser and the payment page is a GET of its own.
  app.post(PAY_PATH, { preHandler: csrfProtection }, async (req, reply) => {
    const cf = citizenOf(req, store);
    if (!cf) return reply.redirect('/', 303);
    const r = payments.payable(cf, field(req.body, 'iuv') ?? '');
    if (r.kind === 'unknown-position') return redirectWithNotice(reply, notices, '/posizioni', notFound);
    if (r.kind === 'not-payable')
      return redirectWithNotice(reply, notices, '/posizioni', notPayable(r.position));
    reply.setCookie(PAY_COOKIE, r.position.iuv, { path: PAY_PATH, httpOnly: true, sameSite: 'lax' });
    return reply.redirect(PAY_PATH, 303);
  });

  // The page with the form to the Sportello (a POST to Cassa: PiemontePAY's protocol). Each time it is
  // shown (Back from the Sportello included: the page is no-store) it issues a fresh identificativoPagamento.
  app.get(PAY_PATH, async (req, reply) => {
    const cf = citizenOf(req, store);
    if (!cf) return reply.redirect('/', 303);
    const iuv = req.cookies[PAY_COOKIE];
    if (!iuv) return reply.redirect('/posizioni', 303);
    const r = payments.startAttempt(cf, iuv);
    if (r.kind === 'unknown-position') return redirectWithNotice(reply, notices, '/posizioni', notFound);
    if (r.kind === 'not-payable')
      return redirectWithNotice(reply, notices, '/posizioni', notPayable(r.position));
    req.log.info(
      { iuv: r.position.iuv, identificativoPagamento: r.attempt.identificativoPagamento },
      'payment attempt issued',
    );
    return html(
      reply,
      views.render('paga', 'Pagamento', {
        position: r.position,
        importo: formatCents(r.position.amountCents),
        form: r.form,
      }),
    );
  });

  app.post('/verifica-stato', { preHandler: csrfProtection }, async (req, reply) => {
    const cf = citizenOf(req, store);
    if (!cf) return reply.redirect('/', 303);
    let r: StatusCheckResult;
    try {
      r = await payments.checkStatus(cf, field(req.body, 'iuv') ?? '');
    } catch (e) {
      if (!(e instanceof CassaError)) throw e;
      req.log.warn({ err: e.message }, 'status check failed');
      return redirectWithNotice(reply, notices, '/verifica-stato', {
        type: 'danger',
        text: 'Non è stato possibile verificare lo stato su Cassa in questo momento: riprova più tardi.',
      });
    }
    if (r.kind === 'unknown-position') return redirectWithNotice(reply, notices, '/posizioni', notFound);
    const text =
      r.status.code === '0'
        ? `Cassa conferma che la posizione ${r.position.iuv} è pagata: il pagamento è definitivo.`
        : `Cassa risponde per la posizione ${r.position.iuv}: ${r.status.description} (codice ${r.status.code}).`;
    return redirectWithNotice(reply, notices, '/verifica-stato', {
      type: r.status.code === '0' ? 'success' : 'info',
      text,
    });
  });

  // Where "Verifica stato" lands: the list with Cassa's answer (once; a reload shows the list).
  app.get('/verifica-stato', async (req, reply) => {
    const cf = citizenOf(req, store);
    if (!cf) return reply.redirect('/', 303);
    return listPage(req, reply, cf);
  });

  // A form refused for its CSRF token (app.ts) lands here.
  app.get(EXPIRED_FORM_PATH, async (_req, reply) =>
    errorPage(
      reply,
      403,
      'Modulo scaduto',
      'Il modulo è scaduto o non è valido: torna alla pagina precedente, ricaricala e riprova.',
    ),
  );

  // The registered return URL (seed 000 §2.2): GET ?idPagamento=&digest=&codEsito=000|100
  app.get('/ritorno', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const r: ReturnResult = payments.receiveReturn({
      idPagamento: q.idPagamento,
      digest: q.digest,
      codEsito: q.codEsito,
    });
    switch (r.kind) {
      case 'invalid-request':
        req.log.warn({ reason: r.reason }, 'return refused');
        return errorPage(
          reply,
          400,
          'Esito non valido',
          `La richiesta di ritorno dallo Sportello non è valida: ${r.reason}.`,
          'La posizione non è stata modificata.',
        );
      case 'unknown-attempt':
        req.log.warn({ idPagamento: q.idPagamento }, 'return refused: unknown identificativoPagamento');
        return errorPage(
          reply,
          404,
          'Esito non riconosciuto',
          'Questo gestionale non ha avviato alcun pagamento con questo identificativo.',
          'La posizione non è stata modificata.',
        );
      case 'digest-mismatch':
        req.log.warn(
          { idPagamento: r.attempt.identificativoPagamento },
          'return refused: digest verification failed',
        );
        return errorPage(
          reply,
          400,
          'Esito non attendibile',
          "La verifica del digest non è riuscita: l'esito potrebbe essere stato alterato.",
          'La posizione non è stata modificata.',
        );
      case 'outcome': {
        const positive = r.codEsito === '000';
        const paragraphs = positive
          ? [
              "Il pagamento si è concluso positivamente, ma potrà ritenersi definitivo solo all'arrivo della notifica di pagamento (ricevuta telematica, RT).",
              'La notifica arriva al gestionale con un invio programmato, quindi non subito: la posizione resta in attesa fino ad allora.',
            ]
          : [
              'È stato effettuato un tentativo di pagamento, ma si è verificato un errore oppure il pagamento è stato annullato o abbandonato.',
              'Potrebbe trattarsi di una condizione temporanea: è possibile riprovare.',
            ];
        if (r.conflicting)
          paragraphs.push(
            `Per questo tentativo era già stato ricevuto l'esito ${r.codEsito}: vale il primo esito ricevuto.`,
          );
        else if (r.alreadyReceived) paragraphs.push('Questo esito era già stato registrato.');
        req.log.info(
          { idPagamento: r.attempt.identificativoPagamento, codEsito: r.codEsito, again: r.alreadyReceived },
          'return received',
        );
        const state = STATE_LABELS[r.position.state].label;
        return html(
          reply,
          views.render('ritorno', 'Esito del pagamento', {
            heading: positive ? 'Pagamento concluso positivamente' : 'Tentativo di pagamento non riuscito',
            alertType: positive ? 'success' : 'warning',
            paragraphs,
            position: r.position,
            importo: formatCents(r.position.amountCents),
            identificativoPagamento: r.attempt.identificativoPagamento,
            stateLabel: state,
          }),
        );
      }
    }
  });
}
