import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/app/demo-seed.js';
import {
  atPhoneAndDesktop,
  expectAccessible,
  launchBrowser,
  newContext,
  screenshot,
  SKIP_BROWSER_TESTS,
  startStack,
  tickPrivacy,
  type Stack,
} from '../helpers/browser.js';
import { until } from '../helpers/until.js';
import { newPosition } from '../helpers/portal.js';

// A citizen on the Sportello without a gestionale, in a real browser: notice code and fiscal code
// on the home page, an ANONIMO fine by its references, a cart of notices in one Checkout payment,
// English, and the pages without JavaScript.

const CF: string = DEMO.debtor.codiceFiscalePartitaIVAPagatore;

describe.skipIf(SKIP_BROWSER_TESTS)('Sportello in a browser: paying by notice code', () => {
  let stack: Stack;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
  beforeEach(async () => {
    ctx = await newContext(browser);
    page = await ctx.newPage();
  });
  afterEach(async () => {
    await ctx?.close();
    expect(stack.sim.journal.listViolations()).toEqual([]);
  });

  const status = async (iuv: string) =>
    (
      (await stack.cassa.c.db.executeSql(`select status from debt_position where iuv = '${iuv}'`))
        .rows[0] as { status: string }
    ).status;
  const paid = (iuv: string) => until(async () => (await status(iuv)) === 'PAID', `position ${iuv} paid`);

  async function addNotice(p: Page, code: string, codiceFiscale: string) {
    await p.fill('#codiceAvviso', code);
    await p.fill('#codiceFiscale', codiceFiscale);
    await Promise.all([p.waitForEvent('load'), p.click('#btn-add-notice')]);
  }

  /** Personal data of the manual flow (always e-mail, privacy, captcha), then Prosegui → Checkout → Paga → conclusion. */
  async function personalDataAndPay(p: Page, shot?: string) {
    await p.fill('#email', 'pino.test@example.org');
    await p.fill('#emailConferma', 'pino.test@example.org');
    await tickPrivacy(p);
    await p.waitForSelector('#altcha[data-state=verified]');
    if (shot) {
      await expectAccessible(p, 'Sportello: summary (manual flow)');
      await atPhoneAndDesktop(p, shot);
    }
    await Promise.all([p.waitForURL(`${stack.sim.base}/checkout/carts/**`), p.click('#prosegui')]);
    await Promise.all([
      p.waitForURL(`${stack.cassa.url}/sportello/esito/**`),
      p.getByRole('button', { name: /^(Paga)$/ }).click(),
    ]);
    expect(await p.getAttribute('#conclusion', 'data-outcome')).toBe('ok');
    // no caller: the way out is a new payment on the Sportello
    expect(await p.locator('#link-back-to-caller').count()).toBe(0);
    expect(await p.getAttribute('#link-home', 'href')).toBe('/sportello/');
  }

  it('axe-core findings fail the check (the check itself can fail)', async () => {
    await page.setContent(
      '<!doctype html><html><head><title>x</title></head><body><main><input type="text"><img src="data:,"></main></body></html>',
    );
    await expect(expectAccessible(page, 'a page with an unlabelled field')).rejects.toThrow(
      /label|image-alt/,
    );
  });

  it('the manual flow: home → notice code + fiscal code → summary → personal data with captcha → Checkout → pay → conclusion', async () => {
    const p = await newPosition(stack.cassa.c, { cents: 3150 });
    await page.goto(`${stack.cassa.url}/`);
    expect(page.url()).toBe(`${stack.cassa.url}/sportello/`);
    expect(await page.getAttribute('html', 'lang')).toBe('it');
    expect(await page.locator('#cart-empty').count()).toBe(1);
    // bootstrap-italia's typeface is really there (self-hosted: its CSS alone declares no @font-face)
    const loadedFaces = `document.fonts.ready.then((fs) => [...fs].filter((f) => f.status === 'loaded').map((f) => f.family.replace(/"/g, '')))`;
    expect(await page.evaluate(loadedFaces)).toContain('Titillium Web');
    expect(await page.evaluate('getComputedStyle(document.body).fontFamily')).toContain('Titillium Web');
    await expectAccessible(page, 'Sportello: home');
    await atPhoneAndDesktop(page, 'sportello-10-home');

    await addNotice(page, p.noticeNumber, CF.toLowerCase());
    expect(await page.locator(`#cart-list li[data-notice="${p.noticeNumber}"]`).count()).toBe(1);
    await expectAccessible(page, 'Sportello: home with a notice');
    await atPhoneAndDesktop(page, 'sportello-11-carrello');
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`),
      page.click('#btn-proceed'),
    ]);
    expect(await page.textContent(`.summary-position[data-iuv="${p.iuv}"]`)).toContain('€ 31,50');
    expect(await page.inputValue('#email')).toBe('');
    await personalDataAndPay(page, 'sportello-12-riepilogo-manuale');
    await atPhoneAndDesktop(page, 'sportello-13-conclusione-manuale');
    await paid(p.iuv);
  });

  it('refuses a wrong fiscal code by the field; a paid notice gets its own message, not a form error', async () => {
    const p = await newPosition(stack.cassa.c);
    await page.goto(`${stack.cassa.url}/sportello/`);
    await addNotice(page, p.noticeNumber, 'RSSMRA80A01H501U');
    expect(await page.textContent('#form-errors')).toContain('Avviso non trovato');
    expect(await page.inputValue('#codiceAvviso')).toBe(p.noticeNumber);
    await expectAccessible(page, 'Sportello: home with errors');
    await atPhoneAndDesktop(page, 'sportello-14-errore-avviso');
    await addNotice(page, DEMO.paid.iuv, CF);
    expect(await page.locator('#form-errors').count()).toBe(0);
    expect(await page.getAttribute('#notice-not-payable', 'data-reason')).toBe('POSITION_PAID');
    expect(await page.textContent('#notice-not-payable')).toContain('già effettuato');
    expect(await page.locator('#cart-empty').count()).toBe(1);
    await expectAccessible(page, 'Sportello: home with a paid notice');
    await atPhoneAndDesktop(page, 'sportello-15-avviso-pagato');
  });

  it('an ANONIMO fine paid by its payment references instead of the fiscal code', async () => {
    const p = await newPosition(stack.cassa.c, {
      debtor: 'ANONIMO',
      cents: 4200,
      references: [{ name: 'Numero verbale', value: 'V-2026-0042' }],
    });
    await page.goto(`${stack.cassa.url}/sportello/`);
    await addNotice(page, p.noticeNumber, '');
    expect(page.url()).toBe(`${stack.cassa.url}/sportello/riferimenti`);
    expect(await page.textContent('label[for=riferimento_0]')).toContain('Numero verbale');
    await expectAccessible(page, 'Sportello: references');
    await atPhoneAndDesktop(page, 'sportello-17-riferimenti');
    await page.fill('#riferimento_0', 'V-2026-9999');
    await Promise.all([page.waitForEvent('load'), page.click('#btn-confirm-references')]);
    expect(await page.textContent('#form-errors')).toContain('non corrispondono');
    await page.fill('#riferimento_0', 'v-2026-0042');
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/`),
      page.click('#btn-confirm-references'),
    ]);
    expect(await page.locator(`#cart-list li[data-notice="${p.noticeNumber}"]`).count()).toBe(1);
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`),
      page.click('#btn-proceed'),
    ]);
    await personalDataAndPay(page);
    await paid(p.iuv);
  });

  it('a cart of three notices paid in one Checkout payment, after removing a fourth', async () => {
    const ps = [
      await newPosition(stack.cassa.c, { cents: 1000 }),
      await newPosition(stack.cassa.c, { cents: 2000 }),
      await newPosition(stack.cassa.c, { cents: 3000 }),
      await newPosition(stack.cassa.c, { cents: 4000 }),
    ];
    await page.goto(`${stack.cassa.url}/sportello/`);
    await addNotice(page, ps[0]!.noticeNumber, CF);
    await addNotice(page, ps[1]!.iuv, CF);
    await addNotice(page, ps[2]!.noticeNumber, CF);
    await addNotice(page, ps[3]!.noticeNumber, CF);
    expect(await page.locator('#cart-list li[data-notice]').count()).toBe(4);
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/`),
      page.click(`#btn-remove-${ps[3]!.noticeNumber}`),
    ]);
    expect(await page.locator('#cart-list li[data-notice]').count()).toBe(3);
    expect(await page.textContent('#cart-total')).toBe('€ 60,00');
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`),
      page.click('#btn-proceed'),
    ]);
    expect(await page.locator('.summary-position').count()).toBe(3);
    expect(await page.textContent('#summary-total')).toBe('€ 60,00');
    await page.fill('#email', 'pino.test@example.org');
    await page.fill('#emailConferma', 'pino.test@example.org');
    await tickPrivacy(page);
    await page.waitForSelector('#altcha[data-state=verified]');
    await expectAccessible(page, 'Sportello: summary of a cart');
    await atPhoneAndDesktop(page, 'sportello-16-riepilogo-carrello');
    await Promise.all([page.waitForURL(`${stack.sim.base}/checkout/carts/**`), page.click('#prosegui')]);
    const idCart = /\/checkout\/carts\/([^/?]+)/.exec(page.url())![1]!;
    for (const p of ps.slice(0, 3)) expect(await page.textContent('main')).toContain(p.noticeNumber);
    expect(await page.textContent('main')).not.toContain(ps[3]!.noticeNumber);
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/esito/**`),
      page.getByRole('button', { name: 'Paga', exact: true }).click(),
    ]);
    expect(await page.getAttribute('#conclusion', 'data-outcome')).toBe('ok');
    for (const p of ps.slice(0, 3)) expect(await page.textContent('#conclusion')).toContain(p.iuv);
    for (const p of ps.slice(0, 3)) await paid(p.iuv);
    expect(await status(ps[3]!.iuv)).toBe('PAYABLE');
    const cart = (await (await fetch(`${stack.sim.base}/sim/carts/${idCart}`)).json()) as { status: string };
    expect(cart.status).toBe('PAID');
  });

  it('in English: the language link, then every page of the manual flow', async () => {
    const p = await newPosition(stack.cassa.c, { cents: 990 });
    await page.goto(`${stack.cassa.url}/sportello/`);
    await Promise.all([page.waitForEvent('load'), page.click('#link-lang')]);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#page-title')).toBe('Pay a notice');
    await expectAccessible(page, 'Sportello: home (en)');
    await atPhoneAndDesktop(page, 'sportello-20-home-en');
    await addNotice(page, p.noticeNumber, CF);
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`),
      page.click('#btn-proceed'),
    ]);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#page-title')).toBe('Pay with pagoPA by IUV');
    await page.fill('#email', 'pino.test@example.org');
    await page.fill('#emailConferma', 'pino.test@example.org');
    await tickPrivacy(page);
    await page.waitForSelector('#altcha[data-state=verified]');
    await expectAccessible(page, 'Sportello: summary (en)');
    await atPhoneAndDesktop(page, 'sportello-21-riepilogo-en');
    await Promise.all([page.waitForURL(`${stack.sim.base}/checkout/carts/**`), page.click('#prosegui')]);
    await Promise.all([
      page.waitForURL(`${stack.cassa.url}/sportello/esito/**`),
      page.getByRole('button', { name: 'Annulla', exact: true }).click(),
    ]);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.getAttribute('#conclusion', 'data-outcome')).toBe('annullato');
    expect(await page.textContent('#conclusion-message')).toMatch(/cancelled/i);
    await expectAccessible(page, 'Sportello: conclusion (en)');
    await atPhoneAndDesktop(page, 'sportello-22-annullata-en');
    expect(await status(p.iuv)).toBe('PAYABLE');
  });

  it('without JavaScript: home, cart and summary work; the captcha says it needs JavaScript and nothing proceeds without it', async () => {
    const p = await newPosition(stack.cassa.c, { cents: 1234 });
    const noJs = await newContext(browser, { javaScriptEnabled: false });
    try {
      const nj = await noJs.newPage();
      await nj.goto(`${stack.cassa.url}/sportello/`);
      await addNotice(nj, p.noticeNumber, CF);
      expect(await nj.locator(`#cart-list li[data-notice="${p.noticeNumber}"]`).count()).toBe(1);
      await Promise.all([
        nj.waitForURL(`${stack.cassa.url}/sportello/pagamento/*`),
        nj.click('#btn-proceed'),
      ]);
      expect(await nj.locator(`.summary-position[data-iuv="${p.iuv}"]`).count()).toBe(1);
      expect(await nj.textContent('#captcha-section')).toMatch(/JavaScript/);
      expect(await nj.getAttribute('#altcha', 'data-state')).toBeNull();
      // no "check in progress" that never ends: the widget's status is written by its script
      expect(await nj.textContent('#altcha-status')).toBe('');
      await nj.fill('#email', 'pino.test@example.org');
      await nj.fill('#emailConferma', 'pino.test@example.org');
      await tickPrivacy(nj);
      await Promise.all([nj.waitForEvent('load'), nj.click('#prosegui')]);
      expect(nj.url().startsWith(`${stack.cassa.url}/sportello/pagamento/`)).toBe(true);
      expect(await nj.textContent('#form-errors')).toContain('Completa la verifica anti-robot');
      await screenshot(nj, 'sportello-30-senza-javascript');
      expect(await status(p.iuv)).toBe('PAYABLE');
    } finally {
      await noJs.close();
    }
  });
});
