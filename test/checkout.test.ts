import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { loadConfig, ConfigError } from '../src/config/config.js';
import { CheckoutService, type StartCheckout } from '../src/modules/pagopa/application/checkout-service.js';
import { CheckoutError } from '../src/modules/pagopa/domain/checkout-errors.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { startCheckoutPeer, type CheckoutPeer } from './helpers/checkout-peer.js';

/**
 * Cassa's pagoPA Checkout client against a real HTTP peer that validates every cart against the
 * official OpenAPI (checkout_v1.json / checkout_v2.json) and answers as Checkout does.
 */
const KEY = 'test-subscription-key-0123';
const RETURN = {
  returnOkUrl: 'https://sportello.example.org/esito/ok',
  returnCancelUrl: 'https://sportello.example.org/esito/annullato',
  returnErrorUrl: 'https://sportello.example.org/esito/errore',
  returnWaitingUrl: 'https://sportello.example.org/esito/in-attesa',
};

let t: TestApp;
let peer: CheckoutPeer;
const payable: { iuv: string; noticeNumber: string }[] = [];
let notYetActive: { iuv: string; noticeNumber: string };
let zeroAmount: { iuv: string; noticeNumber: string };

beforeAll(async () => {
  peer = await startCheckoutPeer({ subscriptionKey: KEY });
  t = await buildTestApp({
    env: {
      CASSA_PAGOPA_ENV: 'simulator',
      CASSA_CHECKOUT_URL: `${peer.url}/checkout/ec/v2`,
      CASSA_CHECKOUT_SUBSCRIPTION_KEY: KEY,
      CASSA_CHECKOUT_TIMEOUT_MS: '2000',
    },
  });
  await seedDemo(t.c);
  const ctx = await t.c.debtPositions.authorize({
    codiceChiamante: DEMO.codiceChiamante,
    passphrase: DEMO.passphrase,
    enteCodiceFiscale: DEMO.ente,
    codiceVersamento: DEMO.paymentType,
    scope: 'CREAZIONE_IUV',
  });
  const debtor = { type: 'F' as const, fiscalCode: 'TSTPNI70D01L219V', name: 'Pino', surname: 'Test' };
  for (let i = 0; i < 6; i++) {
    const cents = 1000 + i;
    const r = await t.c.debtPositions.create(ctx, {
      amountCents: cents,
      components: [{ amountCents: cents, causale: `Quota ${i}` }],
      causale: `Biblioteca - quota ${i}`,
      debtor,
      paymentReferences: [],
    });
    payable.push({ iuv: r.iuv, noticeNumber: r.noticeNumber });
  }
  const future = await t.c.debtPositions.create(ctx, {
    amountCents: 500,
    components: [{ amountCents: 500, causale: 'Futura' }],
    causale: 'Futura',
    debtor,
    paymentReferences: [],
    validFrom: '2099-01-01',
  });
  notYetActive = { iuv: future.iuv, noticeNumber: future.noticeNumber };
  const zero = await t.c.debtPositions.create(ctx, {
    amountCents: 0,
    components: [{ amountCents: 0, causale: 'Verbale' }],
    causale: 'Verbale da completare',
    debtor: { type: null, fiscalCode: 'ANONIMO' },
    paymentReferences: [],
  });
  zeroAmount = { iuv: zero.iuv, noticeNumber: zero.noticeNumber };
});
afterAll(async () => {
  await t?.close();
  await peer?.close();
});
beforeEach(() => {
  peer.mode = { kind: 'redirect' };
  peer.subscriptionKey = KEY;
  peer.received.length = 0;
});

const ref = (p: { noticeNumber: string }) => ({ enteFiscalCode: DEMO.ente, noticeNumber: p.noticeNumber });

function service(
  over: Partial<{
    url: string;
    apiVersion: 'v1' | 'v2';
    subscriptionKey: string | undefined;
    timeoutMs: number;
    env: 'simulator' | 'uat' | 'production';
  }> = {},
) {
  return new CheckoutService(t.c.db, t.c.audit, {
    url: `${peer.url}/checkout/ec/v2`,
    apiVersion: 'v2',
    subscriptionKey: KEY,
    timeoutMs: 2000,
    env: 'simulator',
    ...over,
  });
}

async function refused(p: Promise<unknown>): Promise<CheckoutError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CheckoutError) return e;
    throw e;
  }
  throw new Error('expected a CheckoutError');
}

async function cartRow(idCart: string) {
  const [row] = (await t.c.db.executeSql('select * from checkout_cart where id_cart = $1', [idCart])).rows;
  return row;
}

async function journal(idCartOrCorrelation: string) {
  await t.c.audit.flush();
  const page = await t.c.audit.query({
    interface: 'checkout',
    correlationId: idCartOrCorrelation,
    limit: 10,
  });
  return page.items;
}

describe('startCheckout: POST /carts and the 302 Location', () => {
  it('sends a v2 cart with the subscription key, returns the Location and stores the cart', async () => {
    const req: StartCheckout = {
      positions: [ref(payable[0]!), ref(payable[1]!)],
      returnUrls: RETURN,
      emailNotice: 'pino.test@example.org',
      correlationId: 'corr-checkout-0001',
    };
    const r = await t.c.checkout.startCheckout(req);
    expect(peer.received).toHaveLength(1);
    const got = peer.received[0]!;
    expect(got.version).toBe('v2');
    expect(got.headers['ocp-apim-subscription-key']).toBe(KEY);
    expect(got.body).toEqual({
      paymentNotices: [
        {
          noticeNumber: payable[0]!.noticeNumber,
          fiscalCode: DEMO.ente,
          amount: 1000,
          companyName: 'Comune di Alessandria',
          description: 'Biblioteca - quota 0',
        },
        {
          noticeNumber: payable[1]!.noticeNumber,
          fiscalCode: DEMO.ente,
          amount: 1001,
          companyName: 'Comune di Alessandria',
          description: 'Biblioteca - quota 1',
        },
      ],
      returnUrls: RETURN,
      emailNotice: 'pino.test@example.org',
      idCart: r.idCart,
    });
    expect(r.location).toBe(`${peer.url}/checkout/carts/${r.idCart}`);
    const row = await cartRow(r.idCart);
    expect(row).toMatchObject({
      location: r.location,
      outcome: 'REDIRECTED',
      email: 'pino.test@example.org',
      return_urls: RETURN,
    });
    expect(row.notices.map((n: { iuv: string }) => n.iuv)).toEqual([payable[0]!.iuv, payable[1]!.iuv]);
    expect(await t.c.checkout.getCart(r.idCart)).toMatchObject({
      idCart: r.idCart,
      location: r.location,
      outcome: 'REDIRECTED',
    });
  });

  it('sends a v1 cart (no returnWaitingUrl) to a v1 base URL, by IUV too, with allCCP', async () => {
    const svc = service({ url: `${peer.url}/checkout/ec/v1`, apiVersion: 'v1' });
    const r = await svc.startCheckout({
      positions: [{ enteFiscalCode: DEMO.ente, iuv: payable[2]!.iuv }],
      returnUrls: RETURN,
      allCCP: true,
    });
    const got = peer.received[0]!;
    expect(got.version).toBe('v1');
    expect(got.body.returnUrls).toEqual({
      returnOkUrl: RETURN.returnOkUrl,
      returnCancelUrl: RETURN.returnCancelUrl,
      returnErrorUrl: RETURN.returnErrorUrl,
    });
    expect(got.body).toMatchObject({
      allCCP: true,
      idCart: r.idCart,
      paymentNotices: [{ noticeNumber: payable[2]!.noticeNumber, amount: 1002 }],
    });
    expect(got.body.emailNotice).toBeUndefined();
  });

  it('takes five notices, gives every cart its own idCart', async () => {
    const a = await service().startCheckout({ positions: payable.slice(0, 5).map(ref), returnUrls: RETURN });
    const b = await service().startCheckout({ positions: payable.slice(0, 5).map(ref), returnUrls: RETURN });
    expect(peer.received[0]!.body.paymentNotices).toHaveLength(5);
    expect(a.idCart).not.toBe(b.idCart);
  });

  it('journals the call: interface checkout, OUT, postCarts, status and duration', async () => {
    const r = await service().startCheckout({
      positions: [ref(payable[3]!)],
      returnUrls: RETURN,
      correlationId: 'corr-checkout-journal',
      caller: 'sportello',
    });
    const [e] = await journal('corr-checkout-journal');
    expect(e).toMatchObject({
      interface: 'checkout',
      direction: 'OUT',
      operation: 'postCarts',
      outcome: '302',
      httpStatus: 302,
      caller: 'sportello',
      enteFiscalCode: DEMO.ente,
      iuv: payable[3]!.iuv,
    });
    expect(e!.durationMs).toBeGreaterThanOrEqual(0);
    expect(e!.detail).toContain(r.idCart);
    expect(e!.requestPayload).toContain(payable[3]!.noticeNumber);
    // the key travels in a header, never in the journal
    expect(JSON.stringify(e)).not.toContain(KEY);
  });
});

describe("Checkout's refusals and failures, catalogued", () => {
  it('maps a 400 ProblemJson, keeping what Checkout said, and stores the outcome', async () => {
    peer.mode = { kind: 'problem', status: 400, detail: 'paymentNotices[0].noticeNumber invalid' };
    const e = await refused(
      service().startCheckout({
        positions: [ref(payable[0]!)],
        returnUrls: RETURN,
        correlationId: 'corr-checkout-400',
      }),
    );
    expect(e).toMatchObject({
      code: 'CHECKOUT_CART_REFUSED',
      kind: 'unavailable',
      problem: { status: 400, detail: 'paymentNotices[0].noticeNumber invalid' },
    });
    expect(e.message).toContain('paymentNotices[0].noticeNumber invalid');
    const idCart = peer.received[0]!.body.idCart;
    expect(await cartRow(idCart)).toMatchObject({ outcome: 'REFUSED_400', location: null });
    const [j] = await journal('corr-checkout-400');
    expect(j).toMatchObject({ outcome: '400', httpStatus: 400 });
    expect(j!.detail).toContain('CHECKOUT_CART_REFUSED');
  });

  it('maps 401 (wrong or missing subscription key), 422 and 500', async () => {
    const noKey = await refused(
      service({ subscriptionKey: undefined }).startCheckout({
        positions: [ref(payable[0]!)],
        returnUrls: RETURN,
      }),
    );
    expect(noKey.code).toBe('CHECKOUT_KEY_REFUSED');
    expect(peer.received[0]!.headers['ocp-apim-subscription-key']).toBeUndefined();
    const wrongKey = await refused(
      service({ subscriptionKey: 'wrong' }).startCheckout({
        positions: [ref(payable[0]!)],
        returnUrls: RETURN,
      }),
    );
    expect(wrongKey.code).toBe('CHECKOUT_KEY_REFUSED');
    peer.mode = { kind: 'problem', status: 422, detail: 'notice already paid' };
    const e422 = await refused(
      service().startCheckout({ positions: [ref(payable[0]!)], returnUrls: RETURN }),
    );
    expect(e422).toMatchObject({ code: 'CHECKOUT_NOTICES_REFUSED', kind: 'conflict' });
    expect(e422.message).toContain('notice already paid');
    peer.mode = { kind: 'problem', status: 500 };
    const e500 = await refused(
      service().startCheckout({ positions: [ref(payable[0]!)], returnUrls: RETURN }),
    );
    expect(e500).toMatchObject({ code: 'CHECKOUT_ERROR', kind: 'unavailable', problem: { status: 500 } });
  });

  it('gives up after the timeout, journaling TIMEOUT', async () => {
    peer.mode = { kind: 'slow', ms: 3000 };
    const e = await refused(
      service({ timeoutMs: 300 }).startCheckout({
        positions: [ref(payable[0]!)],
        returnUrls: RETURN,
        correlationId: 'corr-checkout-timeout',
      }),
    );
    expect(e.code).toBe('CHECKOUT_TIMEOUT');
    const [j] = await journal('corr-checkout-timeout');
    expect(j).toMatchObject({ outcome: 'TIMEOUT', httpStatus: null });
    expect(await cartRow(peer.received[0]!.body.idCart)).toMatchObject({ outcome: 'TIMEOUT' });
  });

  it('reports an unreachable Checkout', async () => {
    const port = await closedPort();
    const e = await refused(
      service({ url: `http://127.0.0.1:${port}/checkout/ec/v2` }).startCheckout({
        positions: [ref(payable[0]!)],
        returnUrls: RETURN,
        correlationId: 'corr-checkout-down',
      }),
    );
    expect(e.code).toBe('CHECKOUT_UNREACHABLE');
    expect(e.message).toContain('ECONNREFUSED');
    const [j] = await journal('corr-checkout-down');
    expect(j).toMatchObject({ outcome: 'UNREACHABLE', direction: 'OUT' });
  });

  it('accepts only a usable Location: absolute, https outside the simulator', async () => {
    peer.mode = { kind: 'no-location' };
    expect(
      (await refused(service().startCheckout({ positions: [ref(payable[0]!)], returnUrls: RETURN }))).code,
    ).toBe('CHECKOUT_BAD_RESPONSE');
    peer.mode = { kind: 'redirect', location: '/relative/page' };
    expect(
      (await refused(service().startCheckout({ positions: [ref(payable[0]!)], returnUrls: RETURN }))).code,
    ).toBe('CHECKOUT_BAD_RESPONSE');
    peer.mode = { kind: 'redirect', location: 'http://checkout.example.org/pay/1' };
    expect(
      (
        await refused(
          service({ env: 'uat' }).startCheckout({ positions: [ref(payable[0]!)], returnUrls: RETURN }),
        )
      ).code,
    ).toBe('CHECKOUT_BAD_RESPONSE');
    expect(
      (
        await service({ env: 'simulator' }).startCheckout({
          positions: [ref(payable[0]!)],
          returnUrls: RETURN,
        })
      ).location,
    ).toBe('http://checkout.example.org/pay/1');
    peer.mode = { kind: 'redirect', location: 'https://checkout.pagopa.it/c/abc' };
    expect(
      (
        await service({ env: 'production' }).startCheckout({
          positions: [ref(payable[0]!)],
          returnUrls: RETURN,
        })
      ).location,
    ).toBe('https://checkout.pagopa.it/c/abc');
    peer.mode = { kind: 'ok-200' };
    expect(
      (await refused(service().startCheckout({ positions: [ref(payable[0]!)], returnUrls: RETURN }))).code,
    ).toBe('CHECKOUT_BAD_RESPONSE');
  });
});

describe('cart validation, before anything is sent', () => {
  it('refuses an empty cart and more than five notices', async () => {
    expect((await refused(service().startCheckout({ positions: [], returnUrls: RETURN }))).code).toBe(
      'CART_EMPTY',
    );
    expect(
      (
        await refused(
          service().startCheckout({ positions: payable.slice(0, 6).map(ref), returnUrls: RETURN }),
        )
      ).code,
    ).toBe('CART_TOO_LARGE');
    expect(peer.received).toHaveLength(0);
  });

  it('refuses the same notice twice, even named once by notice number and once by IUV', async () => {
    const e = await refused(
      service().startCheckout({
        positions: [ref(payable[0]!), { enteFiscalCode: DEMO.ente, iuv: payable[0]!.iuv }],
        returnUrls: RETURN,
      }),
    );
    expect(e).toMatchObject({ code: 'CART_DUPLICATE_NOTICE', field: 'positions[1]' });
    expect(peer.received).toHaveLength(0);
  });

  it('refuses positions that cannot be paid now: paid, cancelled, not yet active, zero amount, unknown', async () => {
    const paid = await refused(
      service().startCheckout({
        positions: [ref(payable[0]!), { enteFiscalCode: DEMO.ente, iuv: DEMO.paid.iuv }],
        returnUrls: RETURN,
      }),
    );
    expect(paid).toMatchObject({ code: 'POSITION_NOT_PAYABLE', kind: 'conflict', field: 'positions[1]' });
    expect(paid.message).toContain('PAID');
    const cancelled = await refused(
      service().startCheckout({
        positions: [{ enteFiscalCode: DEMO.ente, iuv: DEMO.cancelled.iuv }],
        returnUrls: RETURN,
      }),
    );
    expect(cancelled.message).toContain('CANCELLED');
    const future = await refused(
      service().startCheckout({ positions: [ref(notYetActive)], returnUrls: RETURN }),
    );
    expect(future).toMatchObject({ code: 'POSITION_NOT_PAYABLE' });
    expect(future.message).toContain('NOT_YET_ACTIVE');
    const zero = await refused(service().startCheckout({ positions: [ref(zeroAmount)], returnUrls: RETURN }));
    expect(zero.code).toBe('POSITION_NOT_PAYABLE');
    const unknown = await refused(
      service().startCheckout({
        positions: [{ enteFiscalCode: DEMO.ente, noticeNumber: '301999999999999999' }],
        returnUrls: RETURN,
      }),
    );
    expect(unknown).toMatchObject({ code: 'POSITION_NOT_FOUND', kind: 'not-found' });
    const otherEnte = await refused(
      service().startCheckout({
        positions: [{ enteFiscalCode: '15376371009', noticeNumber: payable[0]!.noticeNumber }],
        returnUrls: RETURN,
      }),
    );
    expect(otherEnte.code).toBe('POSITION_NOT_FOUND');
    expect(peer.received).toHaveLength(0);
  });

  it('refuses return URLs that are not absolute (and a v2 cart without the waiting URL), and a malformed e-mail', async () => {
    const { returnWaitingUrl: _w, ...v1Urls } = RETURN;
    expect(
      await refused(service().startCheckout({ positions: [ref(payable[0]!)], returnUrls: v1Urls })),
    ).toMatchObject({ code: 'CART_RETURN_URL_INVALID', field: 'returnUrls.returnWaitingUrl' });
    expect(
      await refused(
        service().startCheckout({
          positions: [ref(payable[0]!)],
          returnUrls: { ...RETURN, returnOkUrl: 'www.comune.it/ok' },
        }),
      ),
    ).toMatchObject({ code: 'CART_RETURN_URL_INVALID', field: 'returnUrls.returnOkUrl' });
    expect(
      (
        await refused(
          service().startCheckout({
            positions: [ref(payable[0]!)],
            returnUrls: RETURN,
            emailNotice: 'not-an-email',
          }),
        )
      ).code,
    ).toBe('CART_EMAIL_INVALID');
    expect(peer.received).toHaveLength(0);
    // v1 does not need it
    await service({ url: `${peer.url}/checkout/ec/v1`, apiVersion: 'v1' }).startCheckout({
      positions: [ref(payable[0]!)],
      returnUrls: v1Urls,
    });
    expect(peer.received).toHaveLength(1);
  });
});

describe('configuration per pagoPA environment', () => {
  const base = { CASSA_ENV: 'test' };
  it('defaults to the simulator and API v2', () => {
    const c = loadConfig(base);
    expect(c.pagopa.env).toBe('simulator');
    expect(c.checkout).toEqual({
      url: 'http://127.0.0.1:8090/checkout/ec/v2',
      apiVersion: 'v2',
      subscriptionKey: undefined,
      timeoutMs: 10_000,
    });
    expect(loadConfig({ ...base, CASSA_CHECKOUT_API_VERSION: 'v1' }).checkout.url).toBe(
      'http://127.0.0.1:8090/checkout/ec/v1',
    );
  });

  it('knows pagoPA UAT and production, and requires their subscription key', () => {
    expect(
      loadConfig({ ...base, CASSA_PAGOPA_ENV: 'uat', CASSA_CHECKOUT_SUBSCRIPTION_KEY: 'k' }).checkout.url,
    ).toBe('https://api.uat.platform.pagopa.it/checkout/ec/v2');
    expect(
      loadConfig({ ...base, CASSA_PAGOPA_ENV: 'production', CASSA_CHECKOUT_SUBSCRIPTION_KEY: 'k' }).checkout
        .url,
    ).toBe('https://api.platform.pagopa.it/checkout/ec/v2');
    expect(() => loadConfig({ ...base, CASSA_PAGOPA_ENV: 'uat' })).toThrow(
      /requires CASSA_CHECKOUT_SUBSCRIPTION_KEY/,
    );
    const prod = {
      CASSA_ENV: 'production',
      DATABASE_URL: 'postgres://cassa@db/cassa',
      CASSA_SECRET_KEYS: loadConfigKeys(),
      CASSA_ADMIN_TOKEN: '1F7iCQA5iSSMo8v5hzoHcWKK5KNnZnepW4imAHYxZN0=',
      CASSA_PUBLIC_URL: 'https://cassa.example.org',
    };
    expect(() => loadConfig(prod)).toThrow(ConfigError);
    expect(loadConfig({ ...prod, CASSA_CHECKOUT_SUBSCRIPTION_KEY: 'k' }).pagopa.env).toBe('production');
  });

  it('refuses a base URL whose version is not the API version, and http outside the simulator', () => {
    expect(() => loadConfig({ ...base, CASSA_CHECKOUT_URL: 'http://127.0.0.1:8090/checkout/ec/v1' })).toThrow(
      /ends in \/v1/,
    );
    expect(() =>
      loadConfig({
        ...base,
        CASSA_PAGOPA_ENV: 'uat',
        CASSA_CHECKOUT_SUBSCRIPTION_KEY: 'k',
        CASSA_CHECKOUT_URL: 'http://gw.example/checkout/ec/v2',
      }),
    ).toThrow(/https/);
    expect(
      loadConfig({
        ...base,
        CASSA_CHECKOUT_URL: 'http://localhost:9999/checkout/ec/v2/',
        CASSA_CHECKOUT_TIMEOUT_MS: '1500',
      }).checkout,
    ).toMatchObject({ url: 'http://localhost:9999/checkout/ec/v2', timeoutMs: 1500 });
  });
});

function loadConfigKeys(): string {
  return `k1:${Buffer.alloc(32, 7).toString('base64')}`;
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
