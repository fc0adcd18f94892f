import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../../src/app/demo-seed.js';
import { atPhoneAndDesktop, launchBrowser, newContext, SKIP_BROWSER_TESTS } from '../helpers/browser.js';
import { startLiveCassa, type LiveCassa } from '../helpers/live.js';
import { newPosition } from '../helpers/portal.js';

// "Scarica l'avviso (PDF)" in a real browser: the cart with the link (axe-clean, usable at 375 px,
// screenshots), and the link downloads the notice as avviso-<noticeNumber>.pdf.

describe.skipIf(SKIP_BROWSER_TESTS)("Sportello in a browser: downloading a notice's PDF", () => {
  let cassa: LiveCassa;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [cassa, browser] = await Promise.all([
      startLiveCassa({ env: { CASSA_PORTAL_RATE_LIMIT: '0' } }),
      launchBrowser(),
    ]);
    await seedDemo(cassa.c);
  });
  afterAll(async () => {
    await browser?.close();
    await cassa?.close();
  });
  beforeEach(async () => {
    ctx = await newContext(browser);
    page = await ctx.newPage();
  });
  afterEach(async () => ctx?.close());

  it('shows the link on the cart of the notice found by code and fiscal code, and downloads the PDF', async () => {
    const p = await newPosition(cassa.c, { cents: 4200 });
    await page.goto(`${cassa.url}/sportello/`);
    await page.fill('#codiceAvviso', p.noticeNumber);
    await page.fill('#codiceFiscale', DEMO.debtor.codiceFiscalePartitaIVAPagatore);
    await Promise.all([page.waitForEvent('load'), page.click('#btn-add-notice')]);
    const link = page.locator(`#link-notice-${p.noticeNumber}`);
    expect(await link.textContent()).toContain("Scarica l'avviso (PDF)");
    await atPhoneAndDesktop(page, 'sportello-notice-cart');

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`avviso-${p.noticeNumber}.pdf`);
    const pdf = await readFile(await download.path());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('shows the link on the summary page too, in English', async () => {
    const p = await newPosition(cassa.c);
    await page.goto(`${cassa.url}/sportello/?lang=en`);
    await page.fill('#codiceAvviso', p.noticeNumber);
    await page.fill('#codiceFiscale', DEMO.debtor.codiceFiscalePartitaIVAPagatore);
    await Promise.all([page.waitForEvent('load'), page.click('#btn-add-notice')]);
    await Promise.all([page.waitForEvent('load'), page.click('#btn-proceed')]);
    const link = page.locator(`#link-notice-${p.noticeNumber}`);
    expect(await link.textContent()).toContain('Download the notice (PDF)');
    await atPhoneAndDesktop(page, 'sportello-notice-summary-en');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`avviso-${p.noticeNumber}.pdf`);
  });
});
