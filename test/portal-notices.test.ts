import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { Browser, newPosition } from './helpers/portal.js';

// The Sportello's "Scarica l'avviso (PDF)": on the cart of a browser that proved the notice (code and
// fiscal code), never by a URL another browser could open; no notice for what can no longer be paid.

let t: TestApp;
const CF: string = DEMO.debtor.codiceFiscalePartitaIVAPagatore;

beforeAll(async () => {
  t = await buildTestApp({ env: { CASSA_PORTAL_RATE_LIMIT: '0' } });
  await seedDemo(t.c);
});
afterAll(async () => t?.close());

async function addNotice(b: Browser, code: string, codiceFiscale = CF) {
  if (!b.lastHtml.includes('form-add-notice')) await b.get('/sportello/');
  return b.submit('/sportello/avvisi', { codiceAvviso: code, codiceFiscale, ente: '' });
}

const noticeLink = (html: string, noticeNumber: string) =>
  new RegExp(`id="link-notice-${noticeNumber}" href="([^"]+)"`).exec(html)?.[1];

describe("the Sportello's notice download", () => {
  it('offers the PDF of each notice in the cart, named avviso-<noticeNumber>.pdf, to this browser only', async () => {
    const b = new Browser(t.app);
    const p = await newPosition(t.c, { cents: 1234 });
    expect((await addNotice(b, p.noticeNumber)).statusCode).toBe(303);
    const home = await b.get('/sportello/');
    const href = noticeLink(home.body, p.noticeNumber);
    expect(href).toMatch(/^\/sportello\/avviso\/\d+\/[A-Za-z0-9_-]{32}$/);
    expect(home.body).toContain('Scarica l&#39;avviso (PDF)');
    const pdf = await b.get(href!);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(`attachment; filename="avviso-${p.noticeNumber}.pdf"`);
    expect(pdf.headers['cache-control']).toBe('no-store');
    expect(pdf.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // another browser (or none) gets the portal's 404 page for the same URL
    const other = new Browser(t.app);
    await other.get('/sportello/');
    for (const res of [await other.get(href!), await t.app.inject({ method: 'GET', url: href! })]) {
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('id="error"');
    }
    // a forged token, or the token of another position
    const [, id] = /\/avviso\/(\d+)\//.exec(href!)!;
    expect((await b.get(`/sportello/avviso/${id}/${'A'.repeat(32)}`)).statusCode).toBe(404);
    expect((await b.get(href!.replace(`/avviso/${id}/`, `/avviso/${Number(id) + 1}/`))).statusCode).toBe(404);
    // the summary page offers it too
    const summary = await b.get('/sportello/pagamento');
    expect(summary.statusCode).toBe(200);
    expect(noticeLink(summary.body, p.noticeNumber)).toMatch(/^\/sportello\/avviso\//);
  });

  it('stops working when the browser changes its cookie (a notice added): the new page has the new link', async () => {
    const b = new Browser(t.app);
    const p1 = await newPosition(t.c);
    const p2 = await newPosition(t.c);
    await addNotice(b, p1.noticeNumber);
    const first = noticeLink((await b.get('/sportello/')).body, p1.noticeNumber)!;
    await addNotice(b, p2.noticeNumber);
    expect((await b.get(first)).statusCode).toBe(404);
    const fresh = noticeLink((await b.get('/sportello/')).body, p1.noticeNumber)!;
    expect(fresh).not.toBe(first);
    expect((await b.get(fresh)).statusCode).toBe(200);
  });

  it('offers no notice for a paid, cancelled or expired notice: a plain message, the receipt for a paid one', async () => {
    const b = new Browser(t.app);
    const paid = await addNotice(b, DEMO.paid.iuv);
    expect(paid.statusCode).toBe(409);
    expect(paid.body).toContain('data-reason="POSITION_PAID"');
    expect(paid.body).not.toContain('link-notice-');
    expect(paid.body).not.toContain('/sportello/avviso/');
    const cancelled = await addNotice(b, DEMO.cancelled.iuv);
    expect(cancelled.statusCode).toBe(409);
    expect(cancelled.body).toContain('data-reason="POSITION_CANCELLED"');
    expect(cancelled.body).not.toContain('/sportello/avviso/');
  });

  it('says plainly that the notice is no longer available once it is cancelled after being shown', async () => {
    const b = new Browser(t.app);
    const p = await newPosition(t.c);
    await addNotice(b, p.noticeNumber);
    const href = noticeLink((await b.get('/sportello/')).body, p.noticeNumber)!;
    const ctx = await t.c.debtPositions.authorize({
      codiceChiamante: DEMO.codiceChiamante,
      passphrase: DEMO.passphrase,
      enteCodiceFiscale: DEMO.ente,
      codiceVersamento: DEMO.paymentType,
      scope: 'CREAZIONE_IUV',
    });
    await t.c.debtPositions.cancel(ctx, p.iuv, 'annullata per prova');
    const res = await b.get(href);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('id="error" data-status="409"');
    expect(res.body).toContain('L&#39;avviso non è più disponibile');
    const en = await b.get(`${href}?lang=en`);
    expect(en.body).toContain('The notice is no longer available');
  });

  it('journals the download without the PDF', async () => {
    const b = new Browser(t.app);
    const p = await newPosition(t.c);
    await addNotice(b, p.noticeNumber);
    const href = noticeLink((await b.get('/sportello/')).body, p.noticeNumber)!;
    const res = await b.request({
      method: 'GET',
      url: href,
      headers: { 'x-correlation-id': 'portal-notice-0001' },
    });
    expect(res.statusCode).toBe(200);
    await t.c.audit.flush();
    const { items } = await t.c.audit.query({ correlationId: 'portal-notice-0001', limit: 5 });
    expect(items[0]).toMatchObject({
      interface: 'portal',
      operation: 'avviso',
      outcome: 'SCARICATO',
      iuv: p.iuv,
      enteFiscalCode: DEMO.ente,
    });
    expect(items[0]!.responsePayload ?? null).toBeNull();
  });
});
