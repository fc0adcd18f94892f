import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The digests of the redirect to the Sportello (seed 000 §2.1, §3.1). Computed only on the server:
 * the passphrase never reaches the page (§4.1).
 *
 * The manual writes the separator as "%%%", PiemontePAY's code uses "%%%%" (four percent signs as a
 * plain Java literal); Cassa accepts either, the gestionale picks one (GEST_DIGEST_SEPARATOR).
 */
export type DigestSeparator = '%%%' | '%%%%';

export interface CallDigestInput {
  passphrase: string;
  separator: DigestSeparator;
  codiceChiamante: string;
  identificativoPagamento: string;
  iuv: string;
  /** The return URL registered for the caller in Cassa (not sent in the form). */
  returnUrl: string;
}

function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** Base64(SHA-256(passphrase + sep + codiceChiamante + identificativoPagamento + iuv + returnUrl + sep)), UTF-8. */
export function callDigest(i: CallDigestInput): string {
  return sha256Base64(
    i.passphrase +
      i.separator +
      i.codiceChiamante +
      i.identificativoPagamento +
      i.iuv +
      i.returnUrl +
      i.separator,
  );
}

/**
 * The "signed" return digest the Sportello offers per application (issue 4: "computed over the same
 * fields plus codEsito, so that a citizen cannot turn a 100 into a 000"):
 * Base64(SHA-256(passphrase + sep + codiceChiamante + identificativoPagamento + iuv + returnUrl + codEsito + sep)), UTF-8.
 * The authoritative definition is Cassa's docs/sportello.md; keep this formula in step with it.
 */
export function signedReturnDigest(i: CallDigestInput & { codEsito: string }): string {
  return sha256Base64(
    i.passphrase +
      i.separator +
      i.codiceChiamante +
      i.identificativoPagamento +
      i.iuv +
      i.returnUrl +
      i.codEsito +
      i.separator,
  );
}

/**
 * A digest as it arrives in the return's query string. PiemontePAY appends it to the URL without
 * encoding, so a Base64 '+' reaches the gestionale as a space; CR/LF are ignored as Cassa does.
 */
export function normalizeReceivedDigest(raw: string): string {
  return raw
    .replace(/[\r\n]/g, '')
    .replace(/ /g, '+')
    .trim();
}

/** Constant-time equality of two digests (hashed first, so that lengths leak nothing either). */
export function digestsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
