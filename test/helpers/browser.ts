import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';
import { expect } from 'vitest';
import { buildDemoGestionale, type DemoGestionale } from '../../demo-gestionale/src/app.js';
import { gestionaleConfig, returnUrlOf } from '../../demo-gestionale/src/config.js';
import { DEMO_GESTIONALE, seedDemo } from '../../src/app/demo-seed.js';
import { projectPath } from '../../src/shared/paths.js';
import { startLiveCassa, startSimulator, type LiveCassa } from './live.js';

// Browser tests: Debian's chromium driven by playwright-core, against Cassa, the pagoPA simulator and
// the demo gestionale, each listening on a real port of 127.0.0.1 and talking only over HTTP.

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Skipped only on a machine without chromium outside CI; in CI (CI set) a missing chromium fails the tests. */
export const SKIP_BROWSER_TESTS = !existsSync(CHROMIUM_PATH) && !process.env.CI;

/** The machine has no network: without these flags chromium hangs on look-ups. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A fresh context (own cookies), Italian, a desktop viewport; navigation waits bounded. */
export async function newContext(
  browser: Browser,
  opts: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const ctx = await browser.newContext({ locale: 'it-IT', viewport: { width: 1280, height: 900 }, ...opts });
  ctx.setDefaultTimeout(15_000);
  return ctx;
}

export const SCREENSHOT_DIR = projectPath('test-results', 'screenshots');

/** Full-page PNG in test-results/screenshots/ (gitignored): an artifact for people, not an assertion. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const db = process.env.CASSA_TEST_DATABASE_URL ? 'pg' : 'pglite';
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${db}-${name}.png`, fullPage: true });
}

let axeSource: string | undefined;

/**
 * Runs axe-core on the page and fails on any violation of impact serious or critical. The script is
 * evaluated through the DevTools protocol, so the page's CSP (no inline script) stays enforced.
 */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  axeSource ??= readFileSync(projectPath('node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe !== 'undefined')))
    await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as {
      document: unknown;
      axe: {
        run: (
          ctx: unknown,
          o: object,
        ) => Promise<{
          violations: {
            id: string;
            impact: string | null;
            help: string;
            nodes: { target: unknown[]; failureSummary?: string }[];
          }[];
        }>;
      };
    };
    const r = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`),
    }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `axe-core on ${label} (${page.url()})`).toEqual([]);
}

/** Every link of a refusal or status page goes to the Sportello (home, language switch): none to the caller. */
export async function expectOnlyHomeLinks(page: Page, cassaUrl: string): Promise<void> {
  const hrefs = await page
    .locator('a[href]')
    .evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
  expect(hrefs.length).toBeGreaterThan(0);
  for (const href of hrefs) {
    const u = new URL(href);
    expect(u.origin, href).toBe(cassaUrl);
    if (u.hash) continue; // the skip link
    expect(u.pathname, href).toBe('/sportello/');
  }
  expect(await page.locator('main a#link-home').getAttribute('href')).toBe('/sportello/');
  expect(await page.locator('main a').count()).toBe(1);
}

export interface Stack {
  cassa: LiveCassa;
  sim: Awaited<ReturnType<typeof startSimulator>>;
  gest: DemoGestionale;
  /** http://127.0.0.1:<port> of the demo gestionale */
  gestUrl: string;
  close(): Promise<void>;
}

/**
 * Cassa on a real port (fresh database, demo data, rate limits off, a lighter captcha), the simulator
 * pointed at Cassa's station and Cassa's Checkout client pointed at the simulator, and the demo
 * gestionale as AP_02 (its return URL registered in Cassa at the port it got).
 */
export async function startStack(): Promise<Stack> {
  const sim = await startSimulator();
  const cassa = await startLiveCassa({
    env: {
      CASSA_CHECKOUT_URL: `${sim.base}/checkout/ec/v2`,
      CASSA_PORTAL_RATE_LIMIT: '0',
      CASSA_PORTAL_CAPTCHA_MAX_NUMBER: '20000',
    },
  });
  await seedDemo(cassa.c);
  Object.assign(sim.config, { stationUrl: cassa.soapUrl });
  const gest = await buildDemoGestionale(
    gestionaleConfig({
      port: 0,
      cassaUrl: cassa.url,
      codiceChiamante: DEMO_GESTIONALE.codiceChiamante,
      passphrase: DEMO_GESTIONALE.passphrase,
    }),
  );
  await gest.listen({ host: '127.0.0.1', port: 0 });
  const gestUrl = `http://127.0.0.1:${(gest.server.address() as AddressInfo).port}`;
  // The gestionale computes its digests over its return URL: the port it really got, registered in Cassa.
  gest.gestionale.config.publicUrl = gestUrl;
  await cassa.c.applications.update(DEMO_GESTIONALE.codiceChiamante, {
    returnUrl: returnUrlOf(gest.gestionale.config),
  });
  await gest.gestionale.loadDemoPositions();
  return {
    cassa,
    sim,
    gest,
    gestUrl,
    close: async () => {
      await gest.close();
      await sim.close();
      await cassa.close();
    },
  };
}

/**
 * Ticks the privacy consent as a person does: bootstrap-italia draws the checkbox on its label (the
 * native input is visually hidden), so the click lands on the label.
 */
export async function tickPrivacy(page: Page): Promise<void> {
  await page.click('label[for=privacy]');
  // a click that landed while the page was still moving (seen once in CI on Node 24) leaves it unticked:
  // a person clicks again; a second click only when the first one did not tick it
  if (!(await page.isChecked('#privacy'))) await page.click('label[for=privacy]');
  expect(await page.isChecked('#privacy')).toBe(true);
}

/** A page of its own that posts a hand-built landing form to Cassa, as a gestionale's page would. */
export async function postLanding(
  page: Page,
  cassaUrl: string,
  fields: Record<string, string>,
): Promise<void> {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  await page.setContent(
    `<!doctype html><html lang="it"><head><title>Gestionale</title></head><body><form method="post" action="${cassaUrl}/epayweb/accessoLibero/pagaConIuv/accessoChiamanteEsterno">${inputs}<button type="submit">Paga</button></form></body></html>`,
  );
  await Promise.all([page.waitForEvent('load'), page.click('button[type=submit]')]);
}

/**
 * The page as a phone (375 px) and a desktop (1280 px) show it: no horizontal scroll, axe-clean,
 * a screenshot `<name>-375` / `<name>-1280`; the viewport is left at 1280 px.
 */
export async function atPhoneAndDesktop(page: Page, name: string): Promise<void> {
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: width === 375 ? 740 : 900 });
    const { scroll, inner } = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { documentElement: { scrollWidth: number } };
        innerWidth: number;
      };
      return { scroll: g.document.documentElement.scrollWidth, inner: g.innerWidth };
    });
    expect(scroll, `${name} at ${width}px: horizontal scroll`).toBeLessThanOrEqual(inner);
    await expectAccessible(page, `${name} at ${width}px`);
    await screenshot(page, `${name}-${width}`);
  }
}
