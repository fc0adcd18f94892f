/** Text for XML built as strings: escaped, and without the characters XML 1.0 cannot carry. */

// eslint-disable-next-line no-control-regex -- XML 1.0 Char production: the control characters it forbids need removing
const NEEDS_WORK = /[&<>"\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;

const INVALID =
  // eslint-disable-next-line no-control-regex -- XML 1.0 Char production: the control characters it forbids
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

export function xmlEscape(s: string): string {
  if (!NEEDS_WORK.test(s)) return s;
  return s.replace(INVALID, '').replace(/[&<>"]/g, (c) => ESCAPES[c]!);
}

/** `<name>text</name>`, escaped. */
export function el(name: string, value: string): string {
  return `<${name}>${xmlEscape(value)}</${name}>`;
}

/** The element only when there is a value. */
export function optEl(name: string, value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '' : el(name, value);
}
