import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../src/app/demo-seed.js';
import {
  ConfigError,
  loadConfig,
  SPORTELLO_SITE_DEMO,
  type SportelloSiteConfig,
} from '../src/config/config.js';
import { LOGO_CSP, logoMatchesType } from '../src/http/portal/ente-logo.js';
import {
  enteHeader,
  lookView,
  phoneLink,
  stepsView,
  webLink,
  type HeaderEnte,
} from '../src/http/portal/layout-data.js';
import { configureLayout, sendPage } from '../src/http/portal/render.js';
import { projectPath } from '../src/shared/paths.js';
import { buildTestApp, type TestApp } from './helpers/app.js';

// The Sportello's shell (layout.eta and views/portal/partials): the ente's logo route, the header
// and footer settings (an unset one shows nothing, never a dead link), the ente's header and
// contacts, the stepper and pagoPA's mark. The look in a browser: test/browser/sportello-look.test.ts.

/** An 11-digit fiscal code: ten digits plus their check digit. */
function cf(ten: string): string {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(ten[i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${ten}${(10 - (sum % 10)) % 10}`;
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const JPEG = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9,
]);
const SVG_WITH_SCRIPT =
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>';

const FULL_SITE: SportelloSiteConfig = {
  intermediaryName: 'Regione Demo',
  intermediaryUrl: 'https://regione.example/',
  accessibilityUrl: 'https://form.agid.gov.it/view/abc',
  privacyUrl: 'https://regione.example/privacy',
  legalNotesUrl: 'https://regione.example/note-legali',
  cookiePolicyUrl: 'https://regione.example/cookie',
  infoPhone: '800 333 444',
  infoHours: 'dal lunedì al venerdì, 8-18',
  infoHoursEn: undefined,
  infoUrl: 'https://regione.example/pagamenti',
  supportUrl: 'https://regione.example/segnalazioni',
  supportEmail: 'assistenza@regione.example',
};
const NO_SITE = Object.fromEntries(
  Object.keys(FULL_SITE).map((k) => [k, undefined]),
) as unknown as SportelloSiteConfig;

/** A page as sendPage renders it for a GET of /sportello/anteprima (no Fastify: a request and a reply that record). */
function render(
  template: string,
  data: Record<string, unknown>,
  site: SportelloSiteConfig,
  lang: 'it' | 'en' = 'it',
) {
  configureLayout({ sportelloSite: site });
  const out = { html: '', status: 0, headers: {} as Record<string, string> };
  const req = {
    query: {},
    cookies: { cassa_lang: lang },
    method: 'GET',
    url: '/sportello/anteprima',
    server: {},
  };
  const reply = {
    code(s: number) {
      out.status = s;
      return this;
    },
    type(v: string) {
      out.headers['content-type'] = v;
      return this;
    },
    header(k: string, v: string) {
      out.headers[k] = v;
      return this;
    },
    setCookie() {
      return this;
    },
    send(body: string) {
      out.html = body;
      return this;
    },
  };
  sendPage(req as never, reply as never, template, data);
  return out.html;
}
const page404 = { status: 404, messageKey: '404' };

describe('settings', () => {
  it('unset in test and production; in development unset ones take the demo values', () => {
    expect(loadConfig({ CASSA_ENV: 'test' }).sportelloSite).toEqual(NO_SITE);
    const dev = loadConfig({
      CASSA_ENV: 'development',
      CASSA_INTERMEDIARY_NAME: 'Regione X',
      CASSA_SPORTELLO_INFO_PHONE: '+39 011 123456',
    }).sportelloSite;
    expect(dev).toEqual({
      ...SPORTELLO_SITE_DEMO,
      intermediaryName: 'Regione X',
      infoPhone: '+39 011 123456',
    });
  });

  it('links must be http(s) URLs, the phone a phone number, the address an address', () => {
    for (const env of [
      { CASSA_SPORTELLO_PRIVACY_URL: 'javascript:alert(1)' },
      { CASSA_SPORTELLO_ACCESSIBILITY_URL: 'form.agid.gov.it/view/abc' },
      { CASSA_INTERMEDIARY_URL: 'data:text/html,x' },
      { CASSA_SPORTELLO_INFO_PHONE: 'call us' },
      { CASSA_SPORTELLO_SUPPORT_EMAIL: 'not an address' },
    ]) {
      expect(() => loadConfig({ CASSA_ENV: 'test', ...env }), JSON.stringify(env)).toThrow(ConfigError);
    }
    expect(
      loadConfig({ CASSA_ENV: 'test', CASSA_SPORTELLO_PRIVACY_URL: 'http://regione.example/privacy' })
        .sportelloSite.privacyUrl,
    ).toBe('http://regione.example/privacy');
  });
});

describe('header and footer from the settings', () => {
  it('every setting shown: the intermediary in the slim header, contacts and links in the footer', () => {
    const html = render('error', page404, FULL_SITE);
    expect(html).toMatch(
      /<div class="it-header-slim-wrapper">[\s\S]*id="link-intermediary" href="https:\/\/regione.example\/">Regione Demo<\/a>[\s\S]*id="link-lang"/,
    );
    expect(html).toContain(
      'id="link-accessibility" href="https://form.agid.gov.it/view/abc">Dichiarazione di accessibilità</a>',
    );
    expect(html).toContain(
      'id="link-privacy" href="https://regione.example/privacy">Informativa privacy</a>',
    );
    expect(html).toContain(
      'id="link-legal-notes" href="https://regione.example/note-legali">Note legali</a>',
    );
    expect(html).toContain('id="link-cookie-policy" href="https://regione.example/cookie">Cookie policy</a>');
    expect(html).toContain('Contattare il <a href="tel:800333444">800 333 444</a>');
    expect(html).toContain('dal lunedì al venerdì, 8-18');
    expect(html).toContain('id="link-support-form" href="https://regione.example/segnalazioni"');
    expect(html).toContain('scrivere a <a href="mailto:assistenza@regione.example">');
    expect(html).toContain('id="footer-offered-by"');
    // the skip link stays the first thing of the body
    expect(html.slice(html.indexOf('<body>'))).toMatch(
      /^<body>\s*<a class="visually-hidden-focusable" id="skip-link" href="#main">/,
    );
  });

  it('nothing set: no intermediary, no contacts, no links section, and never a link to "#" but the skip link', () => {
    const html = render('error', page404, NO_SITE);
    for (const id of [
      'link-intermediary',
      'intermediary-name',
      'footer-info',
      'footer-support',
      'footer-links',
      'footer-offered-by',
      'link-accessibility',
      'link-privacy',
      'link-legal-notes',
      'link-cookie-policy',
      'footer-ente-info',
    ]) {
      expect(html, id).not.toContain(`id="${id}"`);
    }
    expect(html).not.toContain('it-footer-small-prints');
    expect([...html.matchAll(/href="#[^"]*"/g)].map((m) => m[0])).toEqual(['href="#main"']);
    expect(html).toContain('id="link-lang"');
    expect(html).toContain('Cassa - piattaforma di incasso pagoPA');
  });

  it('only some set: only those shown; the intermediary without a URL is plain text', () => {
    const html = render('error', page404, {
      ...NO_SITE,
      intermediaryName: 'Regione Demo',
      privacyUrl: 'https://regione.example/privacy',
      infoPhone: '011 123 456',
    });
    expect(html).toContain('<span class="navbar-brand" id="intermediary-name">Regione Demo</span>');
    expect(html).not.toContain('id="link-intermediary"');
    expect(html).toContain('id="link-privacy"');
    for (const id of ['link-accessibility', 'link-legal-notes', 'link-cookie-policy', 'footer-support'])
      expect(html, id).not.toContain(`id="${id}"`);
    expect(html).toContain('<a href="tel:011123456">011 123 456</a>');
  });

  it('in English: the labels; hours configured in Italian only are marked lang="it"', () => {
    const html = render('error', page404, FULL_SITE, 'en');
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('>Accessibility statement</a>');
    expect(html).toContain('>For information</h2>');
    expect(html).toContain('<p class="mb-1" lang="it">dal lunedì al venerdì, 8-18</p>');
    expect(render('error', page404, { ...FULL_SITE, infoHoursEn: 'Mon-Fri, 8-18' }, 'en')).toContain(
      '<p class="mb-1">Mon-Fri, 8-18</p>',
    );
  });

  it('values are escaped', () => {
    const html = render('error', page404, {
      ...NO_SITE,
      intermediaryName: '<b>Regione</b> & "co"',
      infoHours: '<script>x</script>',
    });
    expect(html).toContain('&lt;b&gt;Regione&lt;/b&gt; &amp; &quot;co&quot;');
    expect(html).not.toContain('<script>x</script>');
  });
});

describe('the stepper', () => {
  it('the steps before the current one completed, the current one aria-current="step", the rest to do', () => {
    expect(stepsView('summary')).toMatchObject({ current: 'summary', index: 3, total: 5 });
    expect(stepsView('summary')!.items.map((i) => i.state)).toEqual([
      'done',
      'done',
      'current',
      'todo',
      'todo',
    ]);
    expect(stepsView('nope')).toBeUndefined();
    expect(stepsView(undefined)).toBeUndefined();
    const html = render('error', { ...page404, step: 'summary' }, NO_SITE);
    expect(html).toMatch(
      /<main id="main"[^>]*>\s*<div class="steppers mb-4" id="steps" data-step="summary">/,
    );
    expect(html).toMatch(
      /<li class="active" data-step="summary" data-state="current" aria-current="step">[\s\S]*?Riepilogo/,
    );
    expect((html.match(/aria-current="step"/g) ?? []).length).toBe(1);
    expect(html).toMatch(
      /<li class="confirmed" data-step="references" data-state="done">[\s\S]*?Riferimenti<\/span><span class="visually-hidden"> \(completato\)<\/span>/,
    );
    expect(html).toContain('<span class="steppers-index" aria-hidden="true">3/5</span>');
    for (const label of ['Riferimenti', 'Dati personali', 'Riepilogo', 'Pagamento', 'Conclusione'])
      expect(html).toContain(`<span class="steppers-label">${label}</span>`);
    expect(render('error', page404, NO_SITE)).not.toContain('id="steps"');
    expect(render('error', { ...page404, step: 'elsewhere' }, NO_SITE)).not.toContain('id="steps"');
  });
});

describe('small helpers', () => {
  it('links only to http(s); a phone only with digits', () => {
    expect(webLink('https://comune.example/')).toEqual({
      href: 'https://comune.example/',
      text: 'comune.example',
    });
    expect(webLink('https://comune.example/tributi')).toEqual({
      href: 'https://comune.example/tributi',
      text: 'comune.example/tributi',
    });
    expect(webLink('javascript:alert(1)')).toBeUndefined();
    expect(webLink('www.comune.example')).toBeUndefined();
    expect(phoneLink('+39 0131 000000')).toEqual({ href: 'tel:+390131000000', text: '+39 0131 000000' });
    expect(phoneLink('n/d')).toBeUndefined();
  });

  it('logo bytes must be of the declared type', () => {
    expect(logoMatchesType('image/png', PNG)).toBe(true);
    expect(logoMatchesType('image/jpeg', JPEG)).toBe(true);
    expect(logoMatchesType('image/svg+xml', Buffer.from(SVG_WITH_SCRIPT))).toBe(true);
    expect(logoMatchesType('image/png', JPEG)).toBe(false);
    expect(logoMatchesType('image/jpeg', PNG)).toBe(false);
    expect(logoMatchesType('image/svg+xml', Buffer.from('<html><body>hi</body></html>'))).toBe(false);
    expect(logoMatchesType('image/gif', Buffer.from('GIF89a'))).toBe(false);
  });
});

describe("with a database: the ente's logo and header", () => {
  let t: TestApp;
  const NO_LOGO = cf('0500000001');
  const PNG_ENTE = cf('0500000002');
  const JPEG_ENTE = cf('0500000003');
  const SCRIPT_SVG = cf('0500000004');
  const LIES = cf('0500000005');
  const GIF = cf('0500000006');
  const WEIRD = cf('0500000007');

  beforeAll(async () => {
    t = await buildTestApp({ env: { CASSA_INTERMEDIARY_NAME: 'Regione Demo' } });
    await seedDemo(t.c);
    const ente = (codiceFiscale: string, extra: Record<string, unknown> = {}) =>
      t.c.organizations.createEnte({
        codiceFiscale,
        denominazione: `Comune ${codiceFiscale}`,
        codiceSegregazione: '01',
        ...extra,
      });
    await ente(NO_LOGO);
    await ente(PNG_ENTE, {
      logo: { mime: 'image/png', base64: PNG.toString('base64') },
      telefono: '011 999999',
    });
    await ente(JPEG_ENTE, { logo: { mime: 'image/jpeg', base64: JPEG.toString('base64') } });
    await ente(SCRIPT_SVG, {
      logo: { mime: 'image/svg+xml', base64: Buffer.from(SVG_WITH_SCRIPT).toString('base64') },
    });
    // bytes that are not what the type says, and types the admin API refuses, written as a migration or a bug might
    await ente(LIES, {
      logo: {
        mime: 'image/png',
        base64: Buffer.from('<html><script>alert(1)</script></html>').toString('base64'),
      },
    });
    await ente(GIF);
    await t.c.db.executeSql(
      `update ente set logo = decode('474946383961', 'hex'), logo_mime = 'image/gif' where codice_fiscale = '${GIF}'`,
    );
    await ente(WEIRD, { sitoWeb: 'https://comune.example/' });
    await t.c.db.executeSql(
      `update ente set logo = convert_to('<svg/>', 'UTF8'), logo_mime = 'text/html', sito_web = 'javascript:alert(1)', email = 'a@b.example?bcc=x@y.example' where codice_fiscale = '${WEIRD}'`,
    );
  });
  afterAll(async () => t?.close());

  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers });

  it('PNG, JPEG and SVG with their type, cacheable, with an ETag; the same bytes', async () => {
    for (const [code, mime, bytes] of [
      [PNG_ENTE, 'image/png', PNG],
      [JPEG_ENTE, 'image/jpeg', JPEG],
      [DEMO.ente, 'image/svg+xml', readFileSync(projectPath('resources', 'demo', 'logo-ente.svg'))],
    ] as const) {
      const res = await get(`/sportello/enti/${code}/logo`);
      expect(res.statusCode, code).toBe(200);
      expect(res.headers['content-type']).toBe(mime);
      expect(res.rawPayload.equals(bytes)).toBe(true);
      expect(res.headers['cache-control']).toBe('public, max-age=3600');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe(LOGO_CSP);
      expect(res.headers['content-disposition']).toMatch(
        new RegExp(`^inline; filename="logo-${code}\\.(png|jpg|svg)"$`),
      );
      const etag = res.headers.etag as string;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      const again = await get(`/sportello/enti/${code}/logo`, { 'if-none-match': etag });
      expect(again.statusCode).toBe(304);
      expect(again.rawPayload.length).toBe(0);
      expect((await t.app.inject({ method: 'HEAD', url: `/sportello/enti/${code}/logo` })).statusCode).toBe(
        200,
      );
    }
  });

  it('an SVG goes out sandboxed: its scripts could not run even opened by itself', async () => {
    const res = await get(`/sportello/enti/${SCRIPT_SVG}/logo`);
    expect(res.statusCode).toBe(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('sandbox');
    expect(csp).not.toContain('script-src');
  });

  it("404 (the portal's page, not cached) for no logo, an unknown or malformed ente, bytes not of their type, a type not served", async () => {
    for (const code of [
      NO_LOGO,
      cf('0500000099'),
      '123',
      'abcdefghijk',
      '004294400680',
      LIES,
      GIF,
      WEIRD,
      '..%2F..%2Fetc',
    ]) {
      const res = await get(`/sportello/enti/${code}/logo`);
      expect(res.statusCode, code).toBe(404);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toContain('id="error"');
    }
  });

  it('enteHeader: name, fiscal code, whether the Sportello serves a logo, contacts; undefined for an unknown ente', async () => {
    const demo = await enteHeader(t.c, DEMO.ente);
    expect(demo).toEqual({
      name: 'Comune di Alessandria',
      fiscalCode: DEMO.ente,
      hasLogo: true,
      contacts: {
        phone: '0131 000000',
        email: 'protocollo@comune.alessandria.example',
        website: 'https://comune.alessandria.example/',
      },
    });
    expect((await enteHeader(t.c, NO_LOGO))!.hasLogo).toBe(false);
    expect((await enteHeader(t.c, GIF))!.hasLogo).toBe(false);
    expect((await enteHeader(t.c, WEIRD))!.hasLogo).toBe(false);
    expect(await enteHeader(t.c, cf('0500000099'))).toBeUndefined();
    expect(await enteHeader(t.c, "x' or 1=1 --")).toBeUndefined();
  });

  it("an ente's page: its name and logo in the header, its contacts in the footer beside the installation's", async () => {
    const html = render('error', { ...page404, headerEnte: await enteHeader(t.c, DEMO.ente) }, FULL_SITE);
    expect(html).toContain(
      `<img class="ente-logo" id="header-ente-logo" src="/sportello/enti/${DEMO.ente}/logo" alt="">`,
    );
    expect(html).toMatch(
      /id="header-ente" data-fiscal-code="00429440068">\s*<div class="it-brand-title" id="header-title">Comune di Alessandria<\/div>\s*<div class="it-brand-tagline">Sportello dei pagamenti<\/div>/,
    );
    expect(html).toMatch(
      /id="footer-ente-info">[\s\S]*Per informazioni su questo pagamento[\s\S]*Comune di Alessandria[\s\S]*href="tel:0131000000"[\s\S]*href="mailto:protocollo@comune.alessandria.example"[\s\S]*href="https:\/\/comune.alessandria.example\/"/,
    );
    expect(html).toContain('id="footer-info"');

    // no logo: the name only; an ente without contacts: no ente block in the footer
    const bare = render('error', { ...page404, headerEnte: await enteHeader(t.c, NO_LOGO) }, NO_SITE);
    expect(bare).toContain(`id="header-title">Comune ${NO_LOGO}</div>`);
    expect(bare).not.toContain('header-ente-logo');
    expect(bare).not.toContain('id="footer-ente-info"');

    // contacts that are not a web site or an address are not links
    const weird = render('error', { ...page404, headerEnte: await enteHeader(t.c, WEIRD) }, NO_SITE);
    expect(weird).not.toContain('javascript:');
    expect(weird).not.toContain('mailto:');
    expect(weird).not.toContain('id="footer-ente-info"');

    // a headerEnte that is not one (a wrong fiscal code) shows the Sportello's title
    const wrong = render(
      'error',
      { ...page404, headerEnte: { name: 'X', fiscalCode: '../x', hasLogo: true } satisfies HeaderEnte },
      NO_SITE,
    );
    expect(wrong).toContain('id="header-title">Sportello dei pagamenti</div>');
  });

  it("the real app: pages carry the installation's settings (the intermediary)", async () => {
    const home = await get('/sportello/');
    expect(home.body).toContain('<span class="navbar-brand" id="intermediary-name">Regione Demo</span>');
    const notFound = await get('/sportello/pagina-inesistente');
    expect(notFound.statusCode).toBe(404);
    expect(notFound.body).toContain('id="intermediary-name"');
    // pagoPA's wordmark (partials/pagopa-mark.eta) and the stylesheet are the portal's own files
    const mark = await get('/static/portal/pagopa-wordmark.svg');
    expect(mark.statusCode).toBe(200);
    expect(mark.headers['content-type']).toMatch(/^image\/svg\+xml/);
  });
});

describe("pagoPA's mark", () => {
  it("the partial: the wordmark image with its text alternative, under the portal's CSP (self)", async () => {
    const { Eta } = await import('eta');
    const eta = new Eta({ views: projectPath('views', 'portal'), autoEscape: true });
    const t = (k: string) => ({ 'layout.pagopa.label': 'Pagamento tramite' })[k] ?? k;
    const html = eta.render('./partials/pagopa-mark', { t });
    expect(html).toContain(
      '<img class="pagopa-wordmark" src="/static/portal/pagopa-wordmark.svg" alt="pagoPA"',
    );
    expect(html).toContain('Pagamento tramite');
    const svg = readFileSync(projectPath('views', 'static', 'pagopa-wordmark.svg'), 'utf8');
    expect(svg).toContain('#0066CC');
    expect(svg).not.toMatch(/<script|href=|<image/i);
  });
});

describe('lookView', () => {
  it('English hours when given, the Italian ones marked otherwise', () => {
    expect(lookView({ ...NO_SITE, infoHours: 'lun-ven' }, 'en', {}).info).toEqual({
      hours: { text: 'lun-ven', lang: 'it' },
    });
    expect(lookView({ ...NO_SITE, infoHours: 'lun-ven', infoHoursEn: 'Mon-Fri' }, 'en', {}).info).toEqual({
      hours: { text: 'Mon-Fri' },
    });
    expect(lookView({ ...NO_SITE, infoHours: 'lun-ven' }, 'it', {}).info).toEqual({
      hours: { text: 'lun-ven' },
    });
    expect(lookView(NO_SITE, 'it', {})).toEqual({ links: [] });
  });
});
