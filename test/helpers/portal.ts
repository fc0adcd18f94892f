import { expect } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { solveChallenge } from 'altcha-lib/v1';
import { DEMO } from '../../src/app/demo-seed.js';
import type { Container } from '../../src/app/container.js';
import { computeDigest, type Separator } from '../../src/modules/portal/domain/digest.js';

export const LANDING = '/epayweb/accessoLibero/pagaConIuv/accessoChiamanteEsterno';

/** A browser for app.inject: keeps cookies, reads the CSRF token of the last page. */
export class Browser {
  readonly cookies = new Map<string, string>();
  lastHtml = '';
  /** The cookies the last response set. */
  lastCookies: { name: string; value: string; httpOnly?: boolean; sameSite?: string }[] = [];
  constructor(private readonly app: FastifyInstance) {}

  async request(opts: InjectOptions & { form?: Record<string, string> }) {
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string> | undefined) };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let payload = opts.payload;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = new URLSearchParams(opts.form).toString();
    }
    const { form: _form, ...rest } = opts;
    const res = await this.app.inject({ ...rest, headers, payload } as InjectOptions);
    this.lastCookies = res.cookies;
    for (const c of res.cookies as { name: string; value: string; maxAge?: number }[]) {
      if (c.maxAge === 0 || c.value === '') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    if (String(res.headers['content-type'] ?? '').startsWith('text/html')) this.lastHtml = res.body;
    // as a browser does, the landing's redirect is followed: that first GET binds the flow to this browser
    const location = res.headers.location;
    if (
      typeof location === 'string' &&
      location.startsWith('/sportello/pagamento/') &&
      location.includes('?accesso=')
    )
      await this.request({ method: 'GET', url: location });
    return res;
  }

  /** A GET; redirects to a flow's summary page are followed (the summary without a flow leads there). */
  async get(url: string) {
    let res = await this.request({ method: 'GET', url });
    for (
      let hops = 0;
      hops < 3 && res.statusCode === 303 && (res.headers.location ?? '').startsWith('/sportello/pagamento/');
      hops++
    ) {
      res = await this.request({ method: 'GET', url: String(res.headers.location) });
    }
    return res;
  }

  post(url: string, form: Record<string, string>) {
    return this.request({ method: 'POST', url, form });
  }

  /**
   * Posts a form of the last page, with its CSRF token. '/sportello/pagamento' stands for the
   * summary's own form: its flow's URL and the cart revision it shows, as a browser sends them.
   */
  submit(url: string, form: Record<string, string>) {
    if (url === '/sportello/pagamento') {
      const action = /id="form-personal-data"/.test(this.lastHtml)
        ? /<form method="post" action="([^"]+)" id="form-personal-data"/.exec(this.lastHtml)?.[1]
        : undefined;
      const revision = /name="revisione" value="(\d+)"/.exec(this.lastHtml)?.[1];
      if (action)
        return this.post(action, {
          _csrf: csrfOf(this.lastHtml),
          ...(revision !== undefined ? { revisione: revision } : {}),
          ...form,
        });
    }
    return this.post(url, { _csrf: csrfOf(this.lastHtml), ...form });
  }

  /** The public id of the flow whose summary is the last page. */
  flowOfLastPage(): string {
    const m = /action="\/sportello\/pagamento\/([A-Za-z0-9_-]+)" id="form-personal-data"/.exec(this.lastHtml);
    if (!m) throw new Error('the last page is not a summary');
    return m[1]!;
  }
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token in the page');
  return m[1]!;
}

/** The landing form a gestionale posts, with the digest computed as the manual says. */
export function landingForm(o: {
  iuv: string;
  identificativoPagamento: string;
  codiceFiscale?: string;
  sep?: Separator;
  passphrase?: string;
  codiceChiamante?: string;
  returnUrl?: string;
}): Record<string, string> {
  const codiceChiamante = o.codiceChiamante ?? DEMO.codiceChiamante;
  const digest = computeDigest(
    {
      passphrase: o.passphrase ?? DEMO.passphrase,
      codiceChiamante,
      identificativoPagamento: o.identificativoPagamento,
      iuv: o.iuv,
      returnUrl: o.returnUrl ?? DEMO.returnUrl,
    },
    o.sep ?? '%%%%',
  );
  return {
    codiceChiamante,
    digest,
    iuv: o.iuv,
    codiceFiscale: o.codiceFiscale ?? DEMO.debtor.codiceFiscalePartitaIVAPagatore,
    identificativoPagamento: o.identificativoPagamento,
  };
}

/** Solves an ALTCHA challenge served by Cassa, as the widget does. */
export async function solveCaptcha(browser: Browser): Promise<string> {
  const res = await browser.get('/sportello/captcha');
  const c = res.json<{
    algorithm: string;
    challenge: string;
    salt: string;
    signature: string;
    maxnumber: number;
  }>();
  const solution = await solveChallenge(c.challenge, c.salt, c.algorithm, c.maxnumber).promise;
  if (!solution) throw new Error('captcha not solved');
  return Buffer.from(
    JSON.stringify({
      algorithm: c.algorithm,
      challenge: c.challenge,
      number: solution.number,
      salt: c.salt,
      signature: c.signature,
    }),
  ).toString('base64');
}

let seq = 0;
/** A new payable position of the demo ente (BIBL), optionally for another debtor or ANONIMO with references. */
export async function newPosition(
  c: Container,
  o: {
    cents?: number;
    debtor?: 'ANONIMO';
    references?: { name: string; value: string }[];
    email?: string;
  } = {},
) {
  const ctx = await c.debtPositions.authorize({
    codiceChiamante: DEMO.codiceChiamante,
    passphrase: DEMO.passphrase,
    enteCodiceFiscale: DEMO.ente,
    codiceVersamento: DEMO.paymentType,
    scope: 'CREAZIONE_IUV',
  });
  const cents = o.cents ?? 2500;
  const debtor =
    o.debtor === 'ANONIMO'
      ? { type: null, fiscalCode: 'ANONIMO', name: 'ANONIMO', surname: 'ANONIMO' }
      : {
          type: 'F' as const,
          fiscalCode: DEMO.debtor.codiceFiscalePartitaIVAPagatore,
          name: 'Pino',
          surname: 'Test',
          email: o.email ?? DEMO.debtor.email,
        };
  return c.debtPositions.create(ctx, {
    idPosizioneDebitoria: `PORTAL-${process.pid}-${++seq}`,
    amountCents: cents,
    components: [{ amountCents: cents, causale: 'Biblioteca-Copie' }],
    causale: 'Biblioteca-Copie eseguite su prenotazione',
    debtor: debtor,
    paymentReferences: o.references ?? [],
    dueDate: '2099-12-31',
  });
}

export function nextPaymentId(): string {
  return `PORTAL_${process.pid}_${Date.now()}_${++seq}`;
}

/** What a browser does on the simulator's Checkout page: press a button; answers Cassa's conclusion URL. */
export async function pressOnCheckout(location: string, action: 'pay' | 'cancel' | 'fail'): Promise<string> {
  const html = await (await fetch(location)).text();
  const form = new RegExp(`<form method="post" action="([^"]+/${action})">`).exec(html);
  expect(form, `the ${action} button`).not.toBeNull();
  const res = await fetch(new URL(form![1]!, location), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  return res.headers.get('location')!;
}

/** The path and query of an absolute URL (for app.inject). */
export function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}
