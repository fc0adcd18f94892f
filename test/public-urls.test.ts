import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { startCheckoutPeer, type CheckoutPeer } from './helpers/checkout-peer.js';
import { Browser, LANDING, landingForm, newPosition, nextPaymentId } from './helpers/portal.js';

/**
 * Issue 10, item 7: outside development the public URLs Cassa hands out (the Sportello's return URLs
 * given to pagoPA Checkout, the WSDLs' addresses) never follow the request's Host header: they are
 * CASSA_PUBLIC_URL or, without it (test), the configured listen address.
 */
const FORGED = 'evil.example';

let peer: CheckoutPeer;
beforeAll(async () => {
  peer = await startCheckoutPeer();
});
afterAll(async () => peer?.close());

async function app(env: Record<string, string>): Promise<TestApp> {
  const t = await buildTestApp({
    env: { CASSA_CHECKOUT_URL: `${peer.url}/checkout/ec/v2`, CASSA_PORTAL_RATE_LIMIT: '0', ...env },
  });
  await seedDemo(t.c);
  await t.c.applications.update(DEMO.codiceChiamante, {
    pageEmail: true,
    pagePrivacy: true,
    pageCaptcha: false,
  });
  return t;
}

/** A citizen landing from the gestionale and going on to pay, every request with a forged Host header. */
async function payWithForgedHost(t: TestApp): Promise<Record<string, string>> {
  const p = await newPosition(t.c);
  const b = new Browser(t.app);
  const headers = { host: FORGED };
  const landing = await b.request({
    method: 'POST',
    url: LANDING,
    headers,
    form: landingForm({ iuv: p.iuv, identificativoPagamento: nextPaymentId() }),
  });
  expect(landing.statusCode).toBe(303);
  const toFlow = await b.request({ method: 'GET', url: '/sportello/pagamento', headers });
  expect(toFlow.statusCode).toBe(303);
  expect((await b.request({ method: 'GET', url: String(toFlow.headers.location), headers })).statusCode).toBe(
    200,
  );
  const before = peer.received.length;
  const go = await b.request({
    method: 'POST',
    url: String(toFlow.headers.location),
    headers,
    form: {
      _csrf: /name="_csrf" value="([^"]+)"/.exec(b.lastHtml)![1]!,
      email: 'pino.test@example.org',
      emailConferma: 'pino.test@example.org',
      privacy: 'on',
    },
  });
  expect(go.statusCode, go.body).toBe(303);
  expect(peer.received.length).toBe(before + 1);
  return peer.received[before]!.body.returnUrls as Record<string, string>;
}

describe('return URLs handed to Checkout, with a forged Host header', () => {
  it('test env with CASSA_PUBLIC_URL: on the public URL', async () => {
    const t = await app({ CASSA_PUBLIC_URL: 'https://cassa.example.org/' });
    try {
      const urls = await payWithForgedHost(t);
      expect(Object.keys(urls).sort()).toEqual([
        'returnCancelUrl',
        'returnErrorUrl',
        'returnOkUrl',
        'returnWaitingUrl',
      ]);
      for (const u of Object.values(urls))
        expect(u.startsWith('https://cassa.example.org/sportello/esito/'), u).toBe(true);
      const wsdl = await t.app.inject({
        method: 'GET',
        url: '/soap/paForNode?wsdl',
        headers: { host: FORGED },
      });
      expect(wsdl.body).toContain('location="https://cassa.example.org/soap/paForNode"');
      expect(wsdl.body).not.toContain(FORGED);
    } finally {
      await t.close();
    }
  });

  it('test env without CASSA_PUBLIC_URL: on the configured listen address (HOST:PORT)', async () => {
    const t = await app({ HOST: '127.0.0.1', PORT: '18443' });
    try {
      const urls = await payWithForgedHost(t);
      expect(Object.keys(urls).sort()).toEqual([
        'returnCancelUrl',
        'returnErrorUrl',
        'returnOkUrl',
        'returnWaitingUrl',
      ]);
      for (const u of Object.values(urls))
        expect(u.startsWith('http://127.0.0.1:18443/sportello/esito/'), u).toBe(true);
      for (const path of ['/soap/paForNode?wsdl', '/soap/Enti2EPaywsoService?wsdl']) {
        const wsdl = await t.app.inject({ method: 'GET', url: path, headers: { host: FORGED } });
        expect(wsdl.body).toContain(`location="http://127.0.0.1:18443${path.slice(0, -5)}"`);
        expect(wsdl.body).not.toContain(FORGED);
      }
    } finally {
      await t.close();
    }
  });

  it('development keeps following the Host header (a laptop reached by another name)', async () => {
    const t = await app({ CASSA_ENV: 'development' });
    try {
      const urls = await payWithForgedHost(t);
      expect(Object.keys(urls).sort()).toEqual([
        'returnCancelUrl',
        'returnErrorUrl',
        'returnOkUrl',
        'returnWaitingUrl',
      ]);
      for (const u of Object.values(urls))
        expect(u.startsWith(`http://${FORGED}/sportello/esito/`), u).toBe(true);
    } finally {
      await t.close();
    }
  });
});
