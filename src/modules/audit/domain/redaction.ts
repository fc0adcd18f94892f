/**
 * Secrets never reach the journal: values of JSON keys and XML elements named like a password,
 * passphrase, secret or token are masked before a payload is stored.
 */
const SECRET_NAME =
  '(?:[A-Za-z0-9_-]*(?:pass(?:word|phrase)|secret|api[_-]?key|access[_-]?token|subscription[_-]?key|authorization)[A-Za-z0-9_-]*)';
// A string value, or a number / boolean (a numeric secret sent by mistake is still a secret).
const JSON_SECRET = new RegExp(
  `("${SECRET_NAME}"\\s*:\\s*)(?:"(?:[^"\\\\]|\\\\.)*"|-?\\d[\\d.eE+-]*|true|false)`,
  'gi',
);
// Text content, possibly wrapped in CDATA sections.
const XML_SECRET = new RegExp(
  `(<(?:[\\w.-]+:)?(${SECRET_NAME})(?:\\s[^>]*)?>)(?:<!\\[CDATA\\[[\\s\\S]*?\\]\\]>|[^<])*(</(?:[\\w.-]+:)?\\2>)`,
  'gi',
);

// A name ending in At/_at/Date names a moment (passphraseRotatedAt), not a secret.
const MOMENT_NAME = /(?:At|_at|Date|_date)$/;

export function redactPayload(payload: string): string {
  return payload
    .replace(JSON_SECRET, (match: string, prefix: string) =>
      MOMENT_NAME.test(prefix.slice(1, prefix.indexOf('"', 1))) ? match : `${prefix}"***"`,
    )
    .replace(XML_SECRET, (match: string, open: string, name: string, close: string) =>
      MOMENT_NAME.test(name) ? match : `${open}***${close}`,
    );
}
