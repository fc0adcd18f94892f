// The demo gestionale's public address, the one source of it for the three programs that need it:
// the gestionale itself (demo-gestionale/src/config.ts), Cassa's demo data, which register its return
// URL and its EPaywso2EntiService for the caller AP_02 (src/app/demo-seed.ts), and `npm start`
// (scripts/demo.mjs). Cassa checks the landing digest against the registered return URL, the
// gestionale computes it over its own: a single derivation keeps the two strings equal
// (GEST_PUBLIC_URL with or without a trailing slash, with spaces around it, GEST_PORT=08070 ...).
//
// Plain JavaScript with its types in public-url.d.ts: scripts/demo.mjs imports it without a build, and
// Cassa's and the gestionale's builds (rootDir src) can import it without compiling it. Import it as
// ../../demo-gestionale/public-url.js from src/app/ and demo-gestionale/src/: that path reaches this
// file from the sources and from their builds (dist/app/, dist/demo-gestionale/) alike.
// The demo gestionale imports nothing from Cassa: Cassa imports this file, never the other way.

/** The gestionale's port unless GEST_PORT says otherwise. */
export const GEST_DEFAULT_PORT = 8070;

/** Where the gestionale serves EPaywso2EntiService, below its public URL. */
export const EPAYWSO2ENTI_PATH = '/soap/EPaywso2EntiService';

/** A GEST_* variable the demo gestionale cannot work with. */
export class GestionaleConfigError extends Error {}

/** GEST_PORT (0-65535), else 8070. */
export function gestionalePort(env = process.env) {
  const raw = env.GEST_PORT?.trim();
  if (raw === undefined || raw === '') return GEST_DEFAULT_PORT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new GestionaleConfigError(
      `GEST_PORT must be an integer between 0 and 65535, got "${env.GEST_PORT}"`,
    );
  return n;
}

/**
 * The base URL the browser and Cassa reach the gestionale at: GEST_PUBLIC_URL, else
 * http://127.0.0.1:$GEST_PORT; trimmed, without trailing slashes, absolute, without ?, & or #
 * (seed 000 §5: Cassa appends the query string to the return URL).
 */
export function gestionalePublicUrl(env = process.env) {
  const port = gestionalePort(env);
  const set = env.GEST_PUBLIC_URL?.trim();
  const url = (set || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  try {
    new URL(url);
  } catch {
    throw new GestionaleConfigError(`GEST_PUBLIC_URL must be an absolute URL, got "${url}"`);
  }
  if (/[?&#]/.test(url))
    throw new GestionaleConfigError(
      'GEST_PUBLIC_URL must not contain ?, & or # (seed 000 §5: Cassa appends the query string)',
    );
  return url;
}

/** The return URL registered in Cassa for the gestionale's caller (seed 000 §2.2), and covered by its digests. */
export function returnUrlOf(config) {
  return `${config.publicUrl}/ritorno`;
}

/** The gestionale's EPaywso2EntiService, where Cassa sends its notifications (the caller's endpoints in Cassa). */
export function soapEndpointOf(config) {
  return `${config.publicUrl}${EPAYWSO2ENTI_PATH}`;
}
