import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATED_POSITIONS, DEMO_CITIZEN, MANUAL_POSITION } from '../demo-gestionale/src/demo-positions.js';
import {
  DEMO,
  DEMO_GESTIONALE,
  DEMO_GESTIONALE_DEFAULT_URL,
  demoGestionaleUrl,
  seedDemo,
} from '../src/app/demo-seed.js';
import { projectPath } from '../src/shared/paths.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import {
  atPhoneAndDesktop,
  launchBrowser,
  newContext,
  SKIP_BROWSER_TESTS,
  tickPrivacy,
} from './helpers/browser.js';
import { freePort } from './helpers/live.js';
import { until } from './helpers/until.js';

// The demo on any ports: `npm start` (scripts/demo.mjs) reads PORT, SIM_PORT and GEST_PORT and tells
// each program the others' URLs; Cassa's demo data register the demo gestionale (AP_02) at the address
// it really has, so that its digests (computed over its return URL) and its EPaywso2EntiService
// (where Cassa sends the payment notifications) work on ports other than the defaults.

describe('the demo gestionale address in Cassa demo data', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t?.close());

  it('is read from the gestionale own variables: GEST_PUBLIC_URL, else GEST_PORT, else the default 8070', () => {
    expect(demoGestionaleUrl({})).toBe(DEMO_GESTIONALE_DEFAULT_URL);
    expect(DEMO_GESTIONALE_DEFAULT_URL).toBe('http://127.0.0.1:8070');
    expect(demoGestionaleUrl({ GEST_PORT: '9123' })).toBe('http://127.0.0.1:9123');
    expect(demoGestionaleUrl({ GEST_PORT: '9123', GEST_PUBLIC_URL: 'http://gest.example:81/' })).toBe(
      'http://gest.example:81',
    );
  });

  it('is registered for AP_02 when seeded, and an AP_02 seeded for other ports is moved to it; without an address nothing moves', async () => {
    const app = () => t.c.applications.get(DEMO_GESTIONALE.codiceChiamante);
    await seedDemo(t.c, { gestionaleUrl: 'http://127.0.0.1:9001' });
    expect((await app()).returnUrl).toBe('http://127.0.0.1:9001/ritorno');
    expect((await app()).endpoints.map((e) => e.url)).toEqual(
      Array(5).fill('http://127.0.0.1:9001/soap/EPaywso2EntiService'),
    );
    expect(
      (await app()).endpoints.every((e) => e.username === DEMO_GESTIONALE.soap.username && e.hasPassword),
    ).toBe(true);
    // the demo started again on other ports
    await seedDemo(t.c, { gestionaleUrl: 'http://127.0.0.1:9002' });
    expect((await app()).returnUrl).toBe('http://127.0.0.1:9002/ritorno');
    expect(new Set((await app()).endpoints.map((e) => e.url))).toEqual(
      new Set(['http://127.0.0.1:9002/soap/EPaywso2EntiService']),
    );
    // a caller that does not name the address (tests, embedders) leaves it where it is
    await seedDemo(t.c);
    expect((await app()).returnUrl).toBe('http://127.0.0.1:9002/ritorno');
    // AP_01 keeps the manual's return URL
    expect((await t.c.applications.get(DEMO.codiceChiamante)).returnUrl).toBe(DEMO.returnUrl);
  });
});

/** The cookies of a browser, enough for the demo gestionale's pages. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';');
      const i = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, i).trim(), pair!.slice(i + 1).trim()];
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(sc)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    out[m[1]!] = m[2]!
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }
  return out;
}

// The demo runs on the embedded database (its own data directory): the PostgreSQL run has nothing to add.
describe.skipIf(!!process.env.CASSA_TEST_DATABASE_URL)(
  'npm start on ports other than the defaults (scripts/demo.mjs as a process)',
  () => {
    let demo: ChildProcess;
    let output = '';
    let dataDir: string;
    let ports: { cassa: number; sim: number; gest: number };
    let cassa: string;
    let sim: string;
    let gest: string;
    const ADMIN = `demo-ports-admin-token-${Date.now()}-0123456789abcdef`;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'cassa-demo-ports-'));
      ports = { cassa: await freePort(), sim: await freePort(), gest: await freePort() };
      [cassa, sim, gest] = [ports.cassa, ports.sim, ports.gest].map((p) => `http://127.0.0.1:${p}`) as [
        string,
        string,
        string,
      ];
      const env: NodeJS.ProcessEnv = Object.fromEntries(
        Object.entries(process.env).filter(
          ([k]) =>
            !(
              /^(CASSA_|SIM_|GEST_)/.test(k) ||
              ['DATABASE_URL', 'PORT', 'HOST', 'CASSA_URL', 'NODE_ENV'].includes(k)
            ),
        ),
      );
      Object.assign(env, {
        PORT: String(ports.cassa),
        SIM_PORT: String(ports.sim),
        GEST_PORT: String(ports.gest),
        CASSA_ENV: 'development',
        CASSA_DATA_DIR: dataDir,
        CASSA_ADMIN_TOKEN: ADMIN,
        HOST: '127.0.0.1',
      });
      // from the sources (tsx): a stale build cannot hide a change; detached, so that a failed test can stop the whole group
      demo = spawn(process.execPath, [projectPath('scripts', 'demo.mjs'), '--sources'], {
        cwd: projectPath(),
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const keep = (d: Buffer) => {
        output += d.toString();
        if (output.length > 400_000) output = output.slice(-200_000);
      };
      demo.stdout!.on('data', keep);
      demo.stderr!.on('data', keep);
      // the gestionale listens once Cassa has answered its demo positions: then all three are up
      await until(
        async () => {
          if (demo.exitCode !== null) throw new Error(`demo exited early (${demo.exitCode}):\n${output}`);
          return (await fetch(`${gest}/health`).catch(() => undefined))?.ok;
        },
        'the demo gestionale to listen',
        150_000,
      );
    }, 180_000);

    afterAll(async () => {
      if (demo && demo.exitCode === null) {
        const exited = new Promise((r) => demo.once('exit', r));
        demo.kill('SIGTERM');
        const stopped = await Promise.race([
          exited.then(() => true),
          new Promise((r) => setTimeout(() => r(false), 20_000)),
        ]);
        if (!stopped) process.kill(-demo.pid!, 'SIGKILL');
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }, 40_000);

    it('announces the three programs on the ports given', () => {
      expect(output).toContain(
        `demo: Cassa on ${cassa}, pagoPA simulator on ${sim}, demo gestionale on ${gest}`,
      );
      expect(output).toContain(`log in as TSTPNI70D01L219V and press "Paga":  ${gest}/`);
    });

    it("registers the gestionale's return URL and EPaywso2EntiService endpoints at its port (admin API)", async () => {
      const res = await fetch(`${cassa}/admin/api/v1/applications/${DEMO_GESTIONALE.codiceChiamante}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(res.status).toBe(200);
      const app = (await res.json()) as { returnUrl: string; endpoints: { kind: string; url: string }[] };
      expect(app.returnUrl).toBe(`${gest}/ritorno`);
      expect(app.endpoints).toHaveLength(5);
      for (const e of app.endpoints) expect(e.url, e.kind).toBe(`${gest}/soap/EPaywso2EntiService`);
      const health = (await (await fetch(`${gest}/health`)).json()) as { returnUrl: string };
      expect(health.returnUrl).toBe(`${gest}/ritorno`);
    });

    it('end to end: a landing from the gestionale is accepted by the Sportello (its digest covers the return URL), and a payment at the PSP reaches the gestionale as a notification', async () => {
      const jar = new Jar();
      const get = async (url: string) => {
        const res = await fetch(url, { headers: { cookie: jar.header() }, redirect: 'manual' });
        jar.take(res);
        return res;
      };
      const post = async (url: string, fields: Record<string, string>) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields),
          redirect: 'manual',
        });
        jar.take(res);
        return res;
      };
      // the citizen logs in and presses "Paga" on the manual's position
      const home = await get(`${gest}/`);
      const { _csrf } = hiddenFields(await home.text());
      expect(
        (await post(`${gest}/accesso`, { _csrf: _csrf!, codiceFiscale: DEMO_CITIZEN.codiceFiscale })).status,
      ).toBe(303);
      const list = await (await get(`${gest}/posizioni`)).text();
      expect(list).toContain(MANUAL_POSITION.codiceAvviso);
      const paga = await post(`${gest}/paga`, { _csrf: _csrf!, iuv: MANUAL_POSITION.iuv });
      expect(paga.status).toBe(303);
      const page = await (await get(`${gest}${paga.headers.get('location')}`)).text();
      const action = /<form method="post" action="([^"]+)">/.exec(page)![1]!.replace(/&amp;/g, '&');
      expect(action.startsWith(`${cassa}/epayweb/`), action).toBe(true);
      const form = hiddenFields(page);
      expect(form.codiceChiamante).toBe(DEMO_GESTIONALE.codiceChiamante);

      // the browser posts the form to Cassa: accepted (a wrong return URL would make the digest fail)
      const landing = await fetch(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
        redirect: 'manual',
      });
      expect(landing.status, await landing.clone().text()).toBe(303);
      expect(landing.headers.get('location')).toMatch(
        /^(\/|http:\/\/127\.0\.0\.1:\d+\/)sportello\/pagamento/,
      );

      // the citizen pays the notice at a PSP (the simulator, on its port, calls Cassa's station on its port) ...
      const pay = await fetch(`${sim}/sim/psp/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fiscalCode: DEMO.ente, noticeNumber: MANUAL_POSITION.codiceAvviso }),
      });
      expect(pay.status, await pay.clone().text()).toBe(200);
      // ... and Cassa notifies the gestionale on its port: the position becomes definitively paid there
      await until(
        async () => (await (await get(`${gest}/messaggi`)).text()).includes('TrasmettiNotifichePagamento'),
        'the payment notification at the gestionale',
        60_000,
      );
      await until(
        async () => /pagato \(definitivo\)/i.test(await (await get(`${gest}/posizioni`)).text()),
        'the position paid at the gestionale',
        30_000,
      );
    }, 120_000);

    it.skipIf(SKIP_BROWSER_TESTS)(
      "in a browser: the gestionale on its port, the Sportello, Checkout on the simulator's port, and back to the gestionale",
      async () => {
        const browser = await launchBrowser();
        try {
          const page = await (await newContext(browser)).newPage();
          const target = CREATED_POSITIONS[0];
          await page.goto(`${gest}/`);
          await page.selectOption('#codiceFiscale', DEMO_CITIZEN.codiceFiscale);
          await Promise.all([
            page.waitForURL(`${gest}/posizioni`),
            page.getByRole('button', { name: 'Accedi' }).click(),
          ]);
          await Promise.all([
            page.waitForURL(`${gest}/paga`),
            page.getByRole('button', { name: `Paga ${target.causale}` }).click(),
          ]);
          await Promise.all([
            page.waitForURL(`${cassa}/sportello/pagamento/*`),
            page.getByRole('button', { name: 'Vai allo Sportello dei pagamenti' }).click(),
          ]);
          await page.fill('#emailConferma', await page.inputValue('#email'));
          await tickPrivacy(page);
          if ((await page.locator('#altcha').count()) > 0)
            await page.waitForSelector('#altcha[data-state=verified]', { timeout: 60_000 });
          await atPhoneAndDesktop(page, 'demo-porte-sportello');
          await Promise.all([page.waitForURL(`${sim}/checkout/carts/**`), page.click('#prosegui')]);
          await Promise.all([
            page.waitForURL(`${cassa}/sportello/esito/**`),
            page.getByRole('button', { name: 'Paga', exact: true }).click(),
          ]);
          expect(await page.getAttribute('#conclusion', 'data-cod-esito')).toBe('000');
          await Promise.all([page.waitForURL(`${gest}/ritorno?**`), page.click('#link-back-to-caller')]);
          expect(await page.textContent('h1')).toBe('Pagamento concluso positivamente');
        } finally {
          await browser.close();
        }
      },
      120_000,
    );
  },
);
