import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { computeDigest, computeReturnDigest, matchDigest } from '../src/modules/portal/domain/digest.js';
import { startLiveCassa, startSimulator, type LiveCassa } from './helpers/live.js';
import { until } from './helpers/until.js';
import {
  Browser,
  LANDING,
  landingForm,
  newPosition,
  nextPaymentId,
  pathOf,
  pressOnCheckout,
  solveCaptcha,
} from './helpers/portal.js';

// The redirect from a gestionale to the Sportello (seed 000), against a real pagoPA Checkout peer:
// the bundled simulator, in-process, with Cassa listening on a real port.

let cassa: LiveCassa;
let sim: Awaited<ReturnType<typeof startSimulator>>;

beforeAll(async () => {
  sim = await startSimulator();
  cassa = await startLiveCassa({
    env: { CASSA_CHECKOUT_URL: `${sim.base}/checkout/ec/v2`, CASSA_PORTAL_RATE_LIMIT: '0' },
  });
  await seedDemo(cassa.c);
});
afterAll(async () => {
  await sim?.close();
  await cassa?.close();
});
beforeEach(() => {
  Object.assign(sim.config, { stationUrl: cassa.soapUrl, primitiveVersion: 2 });
});

async function setApp(patch: Record<string, unknown>) {
  await cassa.c.applications.update(DEMO.codiceChiamante, patch);
}

async function journal(operation: string) {
  await cassa.c.audit.flush();
  return (
    await cassa.c.db.executeSql(
      `select outcome, detail, caller, iuv, ente_fiscal_code, http_status from audit_event where interface = 'portal' and operation = '${operation}' order by id desc limit 1`,
    )
  ).rows[0] as Record<string, any>;
}

async function land(browser: Browser, form: Record<string, string>) {
  const res = await browser.post(LANDING, form);
  await cassa.c.audit.flush();
  return res;
}

describe('digest', () => {
  const manual = {
    passphrase: DEMO.passphrase,
    codiceChiamante: 'AP_01',
    identificativoPagamento: 'POSDEB1_1234596724100',
    iuv: '190280072147087',
    returnUrl: 'https://applicativoChiamanteApp2.prova.it/biblioweb',
  };

  it("the manual's example: neither separator reproduces its printed digest (documented in docs/sportello.md)", () => {
    const printed = 'qlsh0JUK1JwA00jcVjbltehOswfsERV1j0Nes+Sb6rs=';
    expect(computeDigest(manual, '%%%')).not.toBe(printed);
    expect(computeDigest(manual, '%%%%')).not.toBe(printed);
    expect(matchDigest(printed, manual, 'any')).toBeNull();
    // what Cassa computes for the manual's values (UTF-8: £ is two bytes)
    expect(computeDigest(manual, '%%%%')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('accepts either separator unless the application restricts it; CR/LF and case ignored', () => {
    const three = computeDigest(manual, '%%%');
    const four = computeDigest(manual, '%%%%');
    expect(three).not.toBe(four);
    expect(matchDigest(three, manual, 'any')).toBe('%%%');
    expect(matchDigest(four, manual, 'any')).toBe('%%%%');
    expect(matchDigest(three, manual, '%%%%')).toBeNull();
    expect(matchDigest(four, manual, '%%%')).toBeNull();
    expect(matchDigest(`${four.slice(0, 20)}\r\n${four.slice(20)}`, manual, 'any')).toBe('%%%%');
    expect(matchDigest(four.toLowerCase(), manual, 'any')).toBe('%%%%');
    expect(
      matchDigest(computeDigest({ ...manual, iuv: '190280072147088' }, '%%%%'), manual, 'any'),
    ).toBeNull();
    expect(matchDigest('', manual, 'any')).toBeNull();
  });

  it('the signed return digest covers codEsito', () => {
    expect(computeReturnDigest(manual, '000', '%%%%')).not.toBe(computeReturnDigest(manual, '100', '%%%%'));
    expect(computeReturnDigest(manual, '000', '%%%%')).not.toBe(computeDigest(manual, '%%%%'));
  });
});

describe('refusals of the redirect (only the way back to the Sportello home)', () => {
  beforeEach(async () =>
    setApp({
      active: true,
      digestSeparator: 'any',
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
    }),
  );

  async function expectRefusal(
    form: Record<string, string>,
    status: number,
    reason: string,
    outcome: string,
  ) {
    const b = new Browser(cassa.app);
    const res = await land(b, form);
    expect(res.statusCode).toBe(status);
    expect(res.body).toContain(`data-reason="${reason}"`);
    expect(res.body).toContain('href="/sportello/"');
    expect(res.body).not.toContain('applicativoChiamanteApp2');
    expect(res.body).not.toContain('link-back-to-caller');
    expect(res.headers['cache-control']).toBe('no-store');
    const j = await journal('accessoChiamanteEsterno');
    expect(j.outcome).toBe(outcome);
    expect(j.detail ?? '').not.toContain(DEMO.debtor.codiceFiscalePartitaIVAPagatore);
    return j;
  }

  it('unknown caller', async () => {
    const j = await expectRefusal(
      landingForm({
        iuv: DEMO.payable.iuv,
        identificativoPagamento: nextPaymentId(),
        codiceChiamante: 'APP2_01',
      }),
      403,
      'CALLER_UNKNOWN',
      'CHIAMANTE_NON_RICONOSCIUTO',
    );
    expect(j.detail).toContain('Chiamante esterno con codice APP2_01 non riconosciuto');
  });

  it('inactive caller', async () => {
    await setApp({ active: false });
    await expectRefusal(
      landingForm({ iuv: DEMO.payable.iuv, identificativoPagamento: nextPaymentId() }),
      403,
      'CALLER_UNKNOWN',
      'CHIAMANTE_NON_RICONOSCIUTO',
    );
  });

  it('wrong digest (wrong passphrase), and the separator the application does not allow', async () => {
    const j = await expectRefusal(
      landingForm({
        iuv: DEMO.payable.iuv,
        identificativoPagamento: nextPaymentId(),
        passphrase: 'not-the-passphrase',
      }),
      403,
      'DIGEST_INVALID',
      'DIGEST_NON_VALIDO',
    );
    expect(j.detail).toMatch(/Errore sul campo digest, con valore .+\. Messaggio = Verifica digest fallita/);
    await setApp({ digestSeparator: '%%%' });
    await expectRefusal(
      landingForm({ iuv: DEMO.payable.iuv, identificativoPagamento: nextPaymentId(), sep: '%%%%' }),
      403,
      'DIGEST_INVALID',
      'DIGEST_NON_VALIDO',
    );
  });

  it('a digest over a URL sent by the caller instead of the registered one', async () => {
    await expectRefusal(
      landingForm({
        iuv: DEMO.payable.iuv,
        identificativoPagamento: nextPaymentId(),
        returnUrl: 'https://evil.example/steal',
      }),
      403,
      'DIGEST_INVALID',
      'DIGEST_NON_VALIDO',
    );
  });

  it('missing field, and an identificativoPagamento out of [A-Za-z0-9_-]{1,50}', async () => {
    const { digest: _d, ...noDigest } = landingForm({
      iuv: DEMO.payable.iuv,
      identificativoPagamento: nextPaymentId(),
    });
    await expectRefusal(noDigest, 400, 'REQUEST_INVALID', 'RICHIESTA_NON_VALIDA');
    await expectRefusal(
      landingForm({ iuv: DEMO.payable.iuv, identificativoPagamento: 'with space' }),
      400,
      'PAYMENT_ID_INVALID',
      'IDENTIFICATIVO_NON_VALIDO',
    );
    await expectRefusal(
      landingForm({ iuv: DEMO.payable.iuv, identificativoPagamento: 'x'.repeat(51) }),
      400,
      'PAYMENT_ID_INVALID',
      'IDENTIFICATIVO_NON_VALIDO',
    );
  });

  it('IUV unknown, or not of that fiscal code', async () => {
    const j = await expectRefusal(
      landingForm({ iuv: '190000000000099', identificativoPagamento: nextPaymentId() }),
      404,
      'IUV_NOT_FOUND',
      'IUV_NON_TROVATO',
    );
    expect(j.detail).toContain('Errore sul campo iuv, con valore 190000000000099');
    await expectRefusal(
      landingForm({
        iuv: DEMO.payable.iuv,
        identificativoPagamento: nextPaymentId(),
        codiceFiscale: 'RSSMRA80A01H501U',
      }),
      404,
      'IUV_NOT_FOUND',
      'IUV_NON_TROVATO',
    );
  });

  it('caller not allowed on the payment type', async () => {
    await setApp({ paymentTypes: [] });
    await expectRefusal(
      landingForm({ iuv: DEMO.payable.iuv, identificativoPagamento: nextPaymentId() }),
      403,
      'PAYMENT_TYPE_NOT_ALLOWED',
      'TIPO_PAGAMENTO_NON_AUTORIZZATO',
    );
  });

  it('a reused identificativoPagamento; a refused landing does not use it up', async () => {
    const id = nextPaymentId();
    const p = await newPosition(cassa.c);
    // refused first (wrong passphrase): the identificativo is still free
    await expectRefusal(
      landingForm({ iuv: p.iuv, identificativoPagamento: id, passphrase: 'wrong-passphrase' }),
      403,
      'DIGEST_INVALID',
      'DIGEST_NON_VALIDO',
    );
    const first = await land(
      new Browser(cassa.app),
      landingForm({ iuv: p.iuv, identificativoPagamento: id }),
    );
    expect(first.statusCode).toBe(303);
    await expectRefusal(
      landingForm({ iuv: p.iuv, identificativoPagamento: id }),
      409,
      'PAYMENT_ID_REUSED',
      'IDENTIFICATIVO_GIA_USATO',
    );
  });

  it.each([
    ['paid', () => DEMO.paid.iuv, 'POSITION_PAID', 'POSIZIONE_PAGATA'],
    ['cancelled', () => DEMO.cancelled.iuv, 'POSITION_CANCELLED', 'POSIZIONE_ANNULLATA'],
  ])('position %s: its message, no return to the caller', async (_name, iuv, reason, outcome) => {
    const j = await expectRefusal(
      landingForm({ iuv: iuv(), identificativoPagamento: nextPaymentId() }),
      409,
      reason,
      outcome,
    );
    expect(j.detail).toContain(
      'Codice Iuv riferito a pagamento effettuato, annullato o in attesa di ricevuta oppure non più valido perché scaduto',
    );
  });

  it('position expired, and in payment (awaiting the receipt)', async () => {
    const expired = await newPosition(cassa.c);
    await cassa.c.db.executeSql(
      `update debt_position set valid_to = '2020-01-01' where iuv = '${expired.iuv}'`,
    );
    await expectRefusal(
      landingForm({ iuv: expired.iuv, identificativoPagamento: nextPaymentId() }),
      409,
      'POSITION_EXPIRED',
      'POSIZIONE_SCADUTA',
    );
    const inPayment = await newPosition(cassa.c);
    const [row] = (
      await cassa.c.db.executeSql(`select id::int as id from debt_position where iuv = '${inPayment.iuv}'`)
    ).rows as { id: number }[];
    expect(await cassa.c.debtPositions.markAwaitingReceipt([row!.id], 'test', 'in attesa')).toEqual([
      row!.id,
    ]);
    await expectRefusal(
      landingForm({ iuv: inPayment.iuv, identificativoPagamento: nextPaymentId() }),
      409,
      'POSITION_IN_PAYMENT',
      'POSIZIONE_IN_ATTESA_DI_RICEVUTA',
    );
    // no receipt within the wait: payable again, with history
    expect(await cassa.c.debtPositions.releaseStaleAwaitingReceipt(0)).toBeGreaterThanOrEqual(1);
    const history = await cassa.c.debtPositions.history(row!.id);
    expect(history.map((h) => h.to)).toEqual(['PAYABLE', 'PAYMENT_IN_PROGRESS', 'PAYABLE']);
  });
});

describe('the accepted redirect', () => {
  beforeEach(async () =>
    setApp({
      active: true,
      digestSeparator: 'any',
      pageEmail: true,
      pagePrivacy: true,
      pageCaptcha: true,
      returnDigestMode: 'echo',
      paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
    }),
  );

  it('summary and personal data, then Checkout, pay, conclusion, and the return link with the echoed digest', async () => {
    const p = await newPosition(cassa.c, { cents: 10000 });
    const b = new Browser(cassa.app);
    const id = nextPaymentId();
    const form = landingForm({ iuv: p.iuv, identificativoPagamento: id, sep: '%%%' });
    const landed = await land(b, form);
    expect(landed.statusCode).toBe(303);
    // post/redirect/get to the flow's own page; its first GET binds the flow to the browser (the
    // cross-site POST carries no SameSite cookie) and sets the cookie
    expect(landed.headers.location).toMatch(
      /^\/sportello\/pagamento\/[A-Za-z0-9_-]{43}\?accesso=[A-Za-z0-9_-]{43}$/,
    );
    expect(landed.cookies).toEqual([]);
    // (the test browser b followed the redirect, as a browser does: the flow is b's)
    const cookie = b.lastCookies.find((c) => c.name === 'cassa_sportello')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    // the token is single use: another browser using it gets nothing (no cookie, the flow is not its own)
    const other = await cassa.app.inject({ method: 'GET', url: landed.headers.location as string });
    expect(other.statusCode).toBe(404);
    expect(other.cookies).toEqual([]);
    expect(other.body).toContain('data-state="unknown"');
    // b reloading the same URL: the token is used, the flow is b's, its summary again
    expect((await b.get(landed.headers.location as string)).body).toContain(`data-iuv="${p.iuv}"`);
    expect((await journal('accessoChiamanteEsterno')).outcome).toBe('ACCETTATO');

    const page = await b.get('/sportello/pagamento');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    for (const text of [
      'Comune di Alessandria',
      p.iuv,
      '€ 100,00',
      'Pino',
      'Test',
      DEMO.debtor.codiceFiscalePartitaIVAPagatore,
      'id="email"',
      'id="emailConferma"',
      'id="privacy"',
      'id="altcha"',
      'GDPR',
    ]) {
      expect(page.body).toContain(text);
    }
    expect(page.body).toContain(`value="${DEMO.debtor.email}"`);

    const captcha = await solveCaptcha(b);
    const go = await b.submit('/sportello/pagamento', {
      email: 'pino.test@example.org',
      emailConferma: 'pino.test@example.org',
      privacy: 'on',
      altcha: captcha,
    });
    expect(go.statusCode).toBe(303);
    const location = go.headers.location as string;
    expect(location.startsWith(`${sim.base}/checkout/carts/`)).toBe(true);

    const back = await pressOnCheckout(location, 'pay');
    // the return URLs name the host the browser used (CASSA_PUBLIC_URL when set)
    expect(new URL(back).pathname.startsWith('/sportello/esito/')).toBe(true);
    expect(back).toContain('/ok/');
    const conclusion = await b.get(pathOf(back));
    expect(conclusion.statusCode).toBe(200);
    expect(conclusion.body).toContain('Operazione terminata');
    expect(conclusion.body).toContain('Ricevuta Telematica');
    const link = /id="link-back-to-caller" href="([^"]+)"/
      .exec(conclusion.body)![1]!
      .replaceAll('&amp;', '&');
    expect(link.startsWith(`${DEMO.returnUrl}?idPagamento=`)).toBe(true);
    const u = new URL(link);
    expect(u.searchParams.get('idPagamento')).toBe(id);
    expect(u.searchParams.get('digest')).toBe(form.digest);
    expect(u.searchParams.get('codEsito')).toBe('000');
    expect((await journal('esito')).outcome).toBe('OK');

    // the receipt makes the position PAID, whether it came before or after the return
    await until(
      async () =>
        (
          (await cassa.c.db.executeSql(`select status from debt_position where iuv = '${p.iuv}'`))
            .rows[0] as { status: string }
        ).status === 'PAID',
      'position paid',
    );
  });

  it('cancel on Checkout: "Operazione annullata", codEsito 100; the outcome cannot be changed afterwards', async () => {
    const p = await newPosition(cassa.c);
    await setApp({ pageCaptcha: false });
    const b = new Browser(cassa.app);
    const id = nextPaymentId();
    await land(b, landingForm({ iuv: p.iuv, identificativoPagamento: id }));
    await b.get('/sportello/pagamento');
    const go = await b.submit('/sportello/pagamento', {
      email: 'a@example.org',
      emailConferma: 'a@example.org',
      privacy: 'on',
    });
    expect(go.statusCode).toBe(303);
    const back = await pressOnCheckout(go.headers.location as string, 'cancel');
    expect(back).toContain('/annullato/');
    const conclusion = await b.get(pathOf(back));
    expect(conclusion.body).toContain('Operazione annullata');
    const link = new URL(
      /id="link-back-to-caller" href="([^"]+)"/.exec(conclusion.body)![1]!.replaceAll('&amp;', '&'),
    );
    expect(link.searchParams.get('codEsito')).toBe('100');
    // the ok URL of the same session needs its own secret token: a forged one is not recognised
    const forged = pathOf(back).replace('/annullato/', '/ok/');
    expect((await b.get(forged)).statusCode).toBe(404);
    // the position is still payable
    expect(
      (
        (await cassa.c.db.executeSql(`select status from debt_position where iuv = '${p.iuv}'`)).rows[0] as {
          status: string;
        }
      ).status,
    ).toBe('PAYABLE');
  });

  it('signed mode: the return digest is computed over the fields plus codEsito', async () => {
    await setApp({ returnDigestMode: 'signed', pageEmail: false, pagePrivacy: true, pageCaptcha: false });
    const p = await newPosition(cassa.c);
    const b = new Browser(cassa.app);
    const id = nextPaymentId();
    await land(b, landingForm({ iuv: p.iuv, identificativoPagamento: id, sep: '%%%%' }));
    await b.get('/sportello/pagamento');
    expect(b.lastHtml).not.toContain('id="email"');
    const go = await b.submit('/sportello/pagamento', { privacy: 'on' });
    const back = await pressOnCheckout(go.headers.location as string, 'fail');
    const conclusion = await b.get(pathOf(back));
    const link = new URL(
      /id="link-back-to-caller" href="([^"]+)"/.exec(conclusion.body)![1]!.replaceAll('&amp;', '&'),
    );
    expect(link.searchParams.get('codEsito')).toBe('100');
    const fields = {
      passphrase: DEMO.passphrase,
      codiceChiamante: DEMO.codiceChiamante,
      identificativoPagamento: id,
      iuv: p.iuv,
      returnUrl: DEMO.returnUrl,
    };
    expect(link.searchParams.get('digest')).toBe(computeReturnDigest(fields, '100', '%%%%'));
    expect(link.searchParams.get('digest')).not.toBe(computeReturnDigest(fields, '000', '%%%%'));
  });

  it('with email, privacy and captcha all off the personal-data page is skipped: straight to Checkout', async () => {
    await setApp({ pageEmail: false, pagePrivacy: false, pageCaptcha: false });
    const p = await newPosition(cassa.c);
    const b = new Browser(cassa.app);
    const res = await land(b, landingForm({ iuv: p.iuv, identificativoPagamento: nextPaymentId() }));
    expect(res.statusCode).toBe(303);
    expect((res.headers.location as string).startsWith(`${sim.base}/checkout/carts/`)).toBe(true);
    const cart = (await (await fetch(`${sim.base}/sim/carts`)).json()) as {
      body?: { emailNotice?: string };
    }[];
    expect(cart.length).toBeGreaterThan(0);
  });

  it('personal data validation: missing email, mismatch, missing consent, bad and replayed captcha, missing CSRF', async () => {
    const p = await newPosition(cassa.c);
    const b = new Browser(cassa.app);
    await land(b, landingForm({ iuv: p.iuv, identificativoPagamento: nextPaymentId() }));
    await b.get('/sportello/pagamento');
    let r = await b.submit('/sportello/pagamento', { email: '', emailConferma: '', privacy: 'on' });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('Inserisci l&#39;indirizzo e-mail.');
    r = await b.submit('/sportello/pagamento', {
      email: 'a@example.org',
      emailConferma: 'b@example.org',
      privacy: 'on',
    });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('I due indirizzi e-mail non coincidono.');
    r = await b.submit('/sportello/pagamento', { email: 'a@example.org', emailConferma: 'a@example.org' });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('Per proseguire devi dare il consenso');
    r = await b.submit('/sportello/pagamento', {
      email: 'a@example.org',
      emailConferma: 'a@example.org',
      privacy: 'on',
    });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('Completa la verifica anti-robot.');
    const bad = Buffer.from(
      JSON.stringify({ algorithm: 'SHA-256', challenge: 'ab', number: 1, salt: 'x', signature: 'y' }),
    ).toString('base64');
    r = await b.submit('/sportello/pagamento', {
      email: 'a@example.org',
      emailConferma: 'a@example.org',
      privacy: 'on',
      altcha: bad,
    });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('non è valida o è scaduta');
    // CSRF: missing and wrong
    expect(
      (
        await b.post('/sportello/pagamento', {
          email: 'a@example.org',
          emailConferma: 'a@example.org',
          privacy: 'on',
        })
      ).statusCode,
    ).toBe(403);
    const wrong = await b.post('/sportello/pagamento', { _csrf: 'forged-token', email: 'a@example.org' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.body).not.toMatch(/at .+\.(ts|js):\d+/);
    // a solved captcha works once; its replay is refused (by another session too)
    await b.get('/sportello/pagamento');
    const solved = await solveCaptcha(b);
    r = await b.submit('/sportello/pagamento', {
      email: 'a@example.org',
      emailConferma: 'a@example.org',
      privacy: 'on',
      altcha: solved,
    });
    expect(r.statusCode).toBe(303);
    const other = await newPosition(cassa.c);
    const b2 = new Browser(cassa.app);
    await land(b2, landingForm({ iuv: other.iuv, identificativoPagamento: nextPaymentId() }));
    await b2.get('/sportello/pagamento');
    r = await b2.submit('/sportello/pagamento', {
      email: 'a@example.org',
      emailConferma: 'a@example.org',
      privacy: 'on',
      altcha: solved,
    });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('già stata usata');
  });
});
