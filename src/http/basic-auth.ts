import { hasForbiddenCharacter } from './input-guard.js';

/** Reads an HTTP Basic Authorization header (RFC 7617, UTF-8). Null when absent or malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const bytes = Buffer.from(m[1]!, 'base64');
  // RFC 7617 says UTF-8, but Java clients (Spring's setBasicAuth, commons-codec) send ISO-8859-1 by
  // default: bytes that are not valid UTF-8 are read as Latin-1 ("£" is 0xA3 there).
  const utf8 = bytes.toString('utf8');
  const decoded = Buffer.from(utf8, 'utf8').equals(bytes) ? utf8 : bytes.toString('latin1');
  const i = decoded.indexOf(':');
  if (i <= 0) return null;
  // control characters (NUL...) are in no codiceChiamante nor passphrase: malformed credentials, never a query
  // eslint-disable-next-line no-control-regex -- control characters (NUL, DEL...) mark malformed credentials
  if (hasForbiddenCharacter(decoded) || /[\u0000-\u001F\u007F]/.test(decoded)) return null;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}
