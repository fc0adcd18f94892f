import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGestionaleConfig, returnUrlOf, soapEndpointOf } from '../demo-gestionale/src/config.js';
import {
  DEMO_GESTIONALE,
  DEMO_GESTIONALE_DEFAULT_URL,
  demoGestionaleUrl,
  demoGestionaleUrls,
  seedDemo,
} from '../src/app/demo-seed.js';
import { ConfigError } from '../src/config/config.js';
import { buildTestApp, type TestApp } from './helpers/app.js';

// The demo gestionale computes its landing digest over its own return URL; Cassa checks it against the
// return URL its demo data registered for AP_02, and sends the notifications to the EPaywso2EntiService
// registered there. Both derive the gestionale's address from the same variables with the same function
// (demo-gestionale/public-url.js). With two derivations they drifted apart: "http://h:1/ " gave the
// gestionale "http://h:1/ /ritorno" against Cassa's "http://h:1/ritorno", GEST_PORT=08070 Cassa
// "http://127.0.0.1:08070/ritorno" against the gestionale's ":8070", and every landing was refused.

type Env = Record<string, string | undefined>;

/** What the gestionale uses: its config loader's return URL (covered by the digest) and EPaywso2EntiService. */
function gestionaleSide(env: Env) {
  const config = loadGestionaleConfig(env);
  return { returnUrl: returnUrlOf(config), soapUrl: soapEndpointOf(config) };
}

/** What Cassa registers for AP_02 (`cassa demo`, `cassa seed-demo`: seedDemo with demoGestionaleUrl()). */
const cassaSide = (env: Env) => demoGestionaleUrls(demoGestionaleUrl(env));

describe("the demo gestionale's address: one derivation for Cassa's demo data and the gestionale", () => {
  it.each([
    ['without a trailing slash', 'http://h:1'],
    ['with a trailing slash', 'http://h:1/'],
    ['with several trailing slashes', 'http://h:1///'],
    ['with spaces around it', '  http://h:1/ '],
  ])('GEST_PUBLIC_URL %s: the same return URL and SOAP endpoint on both sides', (_, url) => {
    const env = { GEST_PUBLIC_URL: url, GEST_PORT: '9999' };
    const expected = { returnUrl: 'http://h:1/ritorno', soapUrl: 'http://h:1/soap/EPaywso2EntiService' };
    expect(gestionaleSide(env)).toEqual(expected);
    expect(cassaSide(env)).toEqual(expected);
  });

  it('with a path below the host, the same on both sides with or without the trailing slash', () => {
    for (const url of ['https://gest.example/pagamenti', 'https://gest.example/pagamenti/']) {
      const expected = {
        returnUrl: 'https://gest.example/pagamenti/ritorno',
        soapUrl: 'https://gest.example/pagamenti/soap/EPaywso2EntiService',
      };
      expect(gestionaleSide({ GEST_PUBLIC_URL: url })).toEqual(expected);
      expect(cassaSide({ GEST_PUBLIC_URL: url })).toEqual(expected);
    }
  });

  it('without GEST_PUBLIC_URL: GEST_PORT read the same way (08070 is port 8070 on both sides), else 8070', () => {
    for (const env of [
      {},
      { GEST_PUBLIC_URL: '' },
      { GEST_PORT: '' },
      { GEST_PORT: '8070' },
      { GEST_PORT: '08070' },
      { GEST_PORT: ' 8070 ' },
    ]) {
      expect(gestionaleSide(env), JSON.stringify(env)).toEqual({
        returnUrl: 'http://127.0.0.1:8070/ritorno',
        soapUrl: 'http://127.0.0.1:8070/soap/EPaywso2EntiService',
      });
      expect(cassaSide(env), JSON.stringify(env)).toEqual(gestionaleSide(env));
    }
    expect(DEMO_GESTIONALE_DEFAULT_URL).toBe('http://127.0.0.1:8070');
    expect(DEMO_GESTIONALE.returnUrl).toBe(gestionaleSide({}).returnUrl);
    expect(DEMO_GESTIONALE.soap.url).toBe(gestionaleSide({}).soapUrl);
    expect(cassaSide({ GEST_PORT: '9123' })).toEqual(gestionaleSide({ GEST_PORT: '9123' }));
  });

  it('a value the gestionale refuses, Cassa refuses too (a configuration error) instead of registering another address', () => {
    for (const env of [
      { GEST_PORT: 'abc' },
      { GEST_PORT: '70000' },
      { GEST_PUBLIC_URL: 'gest.example' },
      { GEST_PUBLIC_URL: 'http://gest.example/?a=1' },
      { GEST_PUBLIC_URL: 'http://gest.example/#x' },
    ]) {
      expect(() => loadGestionaleConfig(env), JSON.stringify(env)).toThrow(/GEST_(PORT|PUBLIC_URL)/);
      expect(() => demoGestionaleUrl(env), JSON.stringify(env)).toThrow(ConfigError);
    }
  });
});

describe("Cassa's seeded AP_02 against the gestionale's config", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t?.close());

  it("GEST_PUBLIC_URL with or without a trailing slash: the registered return URL and endpoints are the gestionale's own", async () => {
    for (const url of ['http://h:1/', 'http://h:1', 'http://h:2//']) {
      const env = { GEST_PUBLIC_URL: url };
      await seedDemo(t.c, { gestionaleUrl: demoGestionaleUrl(env) });
      const app = await t.c.applications.get(DEMO_GESTIONALE.codiceChiamante);
      const gest = gestionaleSide(env);
      expect(app.returnUrl, url).toBe(gest.returnUrl);
      expect(app.endpoints, url).toHaveLength(5);
      for (const e of app.endpoints) expect(e.url, `${url} ${e.kind}`).toBe(gest.soapUrl);
    }
  });
});
