import type { Rng } from './prng.js';

/**
 * Mutations of valid inputs: hostile characters and strings, numbers, dates, JSON structures and
 * URL parts. Each returns the mutated value and a short label of its kind (the report groups
 * failures by it) plus a description for people.
 */

export interface Mutated<T> {
  value: T;
  /** Kind of mutation, e.g. `char:nul`, `long`, `json:deep`: few distinct values. */
  kind: string;
  /** What was done, for the report (e.g. `inserted U+0000 at 3`). */
  describe: string;
}

// ------------------------------------------------------------------ characters and strings

/** Characters that break naive code: controls, separators, lone surrogates, non-characters, astral. */
export const HOSTILE_CHARS: readonly (readonly [string, string, number])[] = [
  ['nul', '\u0000', 8],
  ['c0-control', '\u0001', 2],
  ['c0-control', '\u0008', 1],
  ['c0-control', '\u001b', 1],
  ['vertical-tab', '\u000b', 1],
  ['del', '\u007f', 2],
  ['c1-control', '\u0085', 1],
  ['line-separator', '\u2028', 2],
  ['paragraph-separator', '\u2029', 1],
  ['lone-surrogate', '\ud800', 3],
  ['lone-surrogate', '\udfff', 2],
  ['noncharacter', '\ufffe', 2],
  ['noncharacter', '\uffff', 1],
  ['bom', '\ufeff', 1],
  ['bidi-override', '\u202e', 1],
  ['zero-width', '\u200b', 1],
  ['emoji', '\u{1F468}\u200d\u{1F469}\u200d\u{1F467}', 2],
  ['astral', '\u{1D518}', 1],
  ['combining', 'e\u0301', 1],
  ['crlf', '\r\n', 1],
  ['tab', '\t', 1],
  ['quote', '"', 1],
  ['backslash', '\\', 1],
  ['markup', '<', 1],
  ['ampersand', '&', 1],
  ['percent', '%', 1],
];

export function hostileChar(rng: Rng): { label: string; ch: string } {
  const [label, ch] = rng.weighted(HOSTILE_CHARS.map(([l, c, w]) => [w, [l, c] as const] as const));
  return { label, ch };
}

const INJECTIONS = [
  "' OR '1'='1",
  '"; drop table debt_position; --',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}<%= 7*7 %>',
  '%s%n%x%d',
  '../../../../etc/passwd',
  '\\\\server\\share',
  'javascript:alert(1)',
  '$where',
  '{"$gt":""}',
  '\u0000\u0000\u0000',
  '\r\nSet-Cookie: x=1',
];
const ODD_DIGITS = [
  '\uff11\uff12\uff13',
  '\u0661\u0662\u0663',
  '\u2460\u2461',
  '\u00b2\u00b3',
  '\u0967\u0968',
];

export function cp(ch: string): string {
  return Array.from(ch)
    .map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)
    .join(' ');
}

export function randomUnicode(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const plane = rng.weighted([
      [5, () => rng.range(0x20, 0x7e)],
      [2, () => rng.range(0x00, 0x1f)],
      [2, () => rng.range(0x80, 0x7ff)],
      [2, () => rng.range(0x800, 0xffff)],
      [1, () => rng.range(0x10000, 0x10ffff)],
    ] as const);
    const code = plane();
    // lone surrogates included on purpose: String.fromCharCode keeps them
    s += code > 0xffff ? String.fromCodePoint(code) : String.fromCharCode(code);
  }
  return s;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A C0 control character other than NUL (told apart as its own feature), tab, LF and CR. */
function hasC0Control(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x01 && c <= 0x08) || c === 0x0b || c === 0x0c || (c >= 0x0e && c <= 0x1f)) return true;
  }
  return false;
}

/**
 * The most telling feature of a hostile string: what a failure class is named after, whatever
 * mutation produced it (a NUL inserted, a string of NULs, an injection with NULs: all `nul`).
 */
export function featureOf(s: string): string {
  if (s.includes('\u0000')) return 'nul';
  if (LONE_SURROGATE.test(s)) return 'lone-surrogate';
  if (hasC0Control(s)) return 'c0-control';
  if (/[\ufffe\uffff]/.test(s)) return 'noncharacter';
  if (/[\u007f-\u009f]/.test(s)) return 'del-or-c1-control';
  if (/[\u2028\u2029]/.test(s)) return 'line-separator';
  if (s.length > 1000) return 'long';
  if (s === '') return 'empty';
  if (s.trim() === '') return 'blank';
  if (/[\t\r\n]/.test(s)) return 'tab-cr-lf';
  if (/[\u{10000}-\u{10ffff}]/u.test(s)) return 'astral(emoji)';
  if (/[\u200b-\u200f\u202a-\u202e\ufeff]/.test(s)) return 'invisible-format';
  if (/[^\x20-\x7e]/.test(s)) return 'non-ascii';
  if (s.includes('/') || s.includes('..')) return 'path-chars';
  if (/['"<>&%\\;$?#{}]/.test(s)) return 'syntax-chars';
  return 'ascii';
}

/** A mutation of a string value; its kind is the feature of the result. */
export function mutateString(rng: Rng, s: string): Mutated<string> {
  const m = mutateStringOp(rng, s);
  return { ...m, kind: featureOf(m.value) };
}

function mutateStringOp(rng: Rng, s: string): Mutated<string> {
  const op = rng.weighted([
    [45, 'char'],
    [8, 'long'],
    [6, 'emoji-length'],
    [4, 'empty'],
    [3, 'blank'],
    [6, 'injection'],
    [3, 'odd-digits'],
    [5, 'only-controls'],
    [10, 'random-unicode'],
    [4, 'padded'],
  ] as const);
  switch (op) {
    case 'char': {
      const { label, ch } = hostileChar(rng);
      const at = rng.int(s.length + 1);
      return {
        value: s.slice(0, at) + ch + s.slice(at),
        kind: `char:${label}`,
        describe: `inserted ${cp(ch)} at ${at}`,
      };
    }
    case 'long': {
      const n = rng.pick([300, 1001, 10_000, 100_000]);
      const fill = rng.pick(['A', 'à', '\u{1F600}', s || 'x']);
      const value = fill.repeat(Math.ceil(n / Math.max(1, fill.length))).slice(0, n);
      return { value, kind: 'long', describe: `${JSON.stringify(fill)} repeated to ${n} UTF-16 units` };
    }
    case 'emoji-length': {
      // lengths around the usual limits, counted in code points (2 UTF-16 units each), one ASCII char first
      const n = rng.pick([8, 17, 18, 35, 36, 40, 70, 71, 140, 141]);
      const value = rng.pick(['', 'a']) + '\u{1F600}'.repeat(n);
      return {
        value,
        kind: 'emoji-length',
        describe: `${n} emoji (${value.length} UTF-16 units, ${Array.from(value).length} code points)`,
      };
    }
    case 'empty':
      return { value: '', kind: 'empty', describe: 'empty string' };
    case 'blank':
      return {
        value: rng.pick([' ', '   ', '\t', '\u00a0', '\u3000']),
        kind: 'blank',
        describe: 'blank string',
      };
    case 'injection': {
      const v = rng.pick(INJECTIONS);
      return { value: v, kind: 'injection', describe: `injection-like text ${JSON.stringify(v)}` };
    }
    case 'odd-digits': {
      const v = rng.pick(ODD_DIGITS);
      return { value: s.slice(0, 2) + v, kind: 'odd-digits', describe: `non-ASCII digits ${cp(v)}` };
    }
    case 'only-controls': {
      const v = rng.pick([
        '\u0000',
        '\u0000'.repeat(20),
        '\u0001\u0002\u0003',
        '\u007f',
        '\u0000abc',
        '\ud800\ud800',
      ]);
      return { value: v, kind: 'only-controls', describe: `only control characters ${cp(v)}` };
    }
    case 'random-unicode': {
      const v = randomUnicode(rng, rng.range(1, 40));
      return {
        value: v,
        kind: 'random-unicode',
        describe: 'random code points (controls and lone surrogates included)',
      };
    }
    case 'padded':
      return { value: ` ${s} `, kind: 'padded', describe: 'surrounded by spaces' };
  }
}

// ------------------------------------------------------------------ JSON

/** A JSON token written as is (numbers JSON.stringify cannot write, deep nesting...). */
export class Raw {
  constructor(readonly text: string) {}
}

/** An object written key by key: duplicate keys and `__proto__` as an own key. */
export class Entries {
  constructor(readonly entries: [string, Json][]) {}
}

export type Json = null | boolean | number | string | Raw | Entries | Json[] | { [k: string]: Json };

export function toJson(v: Json): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof Entries)
    return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${toJson(v[k]!)}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function deepJson(depth: number, kind: 'array' | 'object'): Raw {
  return new Raw(
    kind === 'array'
      ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );
}

export type Path = (string | number)[];

/** Every value inside `v` (objects and arrays included) with its path. */
export function locations(v: Json, path: Path = []): { path: Path; value: Json }[] {
  const out: { path: Path; value: Json }[] = [];
  if (Array.isArray(v))
    v.forEach((x, i) => out.push({ path: [...path, i], value: x }, ...locations(x, [...path, i])));
  else if (v !== null && typeof v === 'object' && !(v instanceof Raw) && !(v instanceof Entries)) {
    for (const k of Object.keys(v))
      out.push({ path: [...path, k], value: v[k]! }, ...locations(v[k]!, [...path, k]));
  }
  return out;
}

export function pathLabel(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** A copy of `root` with the value at `path` replaced (undefined: removed). */
export function setAt(root: Json, path: Path, value: Json | undefined): Json {
  if (path.length === 0) return value === undefined ? null : value;
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = [...root];
    if (rest.length === 0 && value === undefined) copy.splice(head as number, 1);
    else copy[head as number] = setAt(copy[head as number]!, rest, value);
    return copy;
  }
  if (rest.length === 0 && value === undefined) {
    const { [head as string]: _removed, ...without } = root as Record<string, Json>;
    return without;
  }
  const obj = { ...(root as Record<string, Json>) };
  obj[head as string] = setAt(obj[head as string] ?? null, rest, value);
  return obj;
}

export const NUMBER_MUTATIONS: readonly (readonly [string, Json])[] = [
  ['negative', -1],
  ['negative', -0.01],
  ['negative-zero', new Raw('-0')],
  ['zero', 0],
  ['huge', new Raw('1e308')],
  ['overflow', new Raw('1e999')],
  ['tiny', new Raw('5e-324')],
  ['many-decimals', 12.345678901234567],
  ['three-decimals', 1.005],
  ['float-sum', 0.30000000000000004],
  ['beyond-safe-integer', new Raw('9007199254740993')],
  ['big-integer', new Raw('123456789012345678901234567890')],
  ['exponent', new Raw('1E3')],
  ['over-max', 1_000_000_000],
  ['max', 999_999_999.99],
  ['int32-overflow', 2_147_483_648],
  ['int64-overflow', new Raw('9223372036854775808')],
  ['string-nan', 'NaN'],
  ['string-infinity', 'Infinity'],
  ['string-hex', '0x10'],
  ['string-comma-decimal', '12,50'],
  ['string-padded', ' 12.50 '],
  ['string-exponent', '1e3'],
  ['string-negative', '-5.00'],
  ['string-leading-zeros', '0012.50'],
  ['string-plus', '+12.5'],
  ['string-odd-digits', '\u0661\u0662'],
  ['string-many-digits', '99999999999999999999999.99'],
];

export const DATE_MUTATIONS: readonly (readonly [string, Json])[] = [
  ['impossible-day', '2099-02-30'],
  ['year-zero', '0000-01-01'],
  ['year-9999', '9999-12-31T23:59:59Z'],
  ['extended-year', '+275760-09-13T00:00:00Z'],
  ['negative-year', '-000001-01-01T00:00:00Z'],
  ['month-13', '2099-13-01'],
  ['hour-25', '2099-01-01T25:00:00'],
  ['offset-25h', '2099-01-01T10:00:00+25:00'],
  ['offset-14h', '2099-01-01T23:30:00-14:00'],
  ['nanoseconds', '2099-12-31T00:00:00.123456789Z'],
  ['compact', '20991231'],
  ['italian', '31/12/2099'],
  ['words', 'domani'],
  ['space-separated', '2099-12-31 10:00:00'],
  ['epoch-max', 8.64e15],
  ['epoch-over-max', 8.64e15 + 1],
  ['epoch-negative', -1],
  ['epoch-huge', new Raw('1e308')],
  ['epoch-float', 4102444800000.5],
  ['epoch-limit', 32503680000000],
  ['epoch-limit+1', 32503680000001],
  ['epoch-string', '4102444800000'],
  ['past', '2001-01-01'],
];

/** A value of another JSON type than the field's. */
export function wrongType(rng: Rng, current: Json): Mutated<Json> {
  const options: [string, Json][] = [
    ['number', 42],
    ['boolean', true],
    ['null', null],
    ['empty-array', []],
    ['array', ['a', 1]],
    ['empty-object', {}],
    ['object', { a: 'b' }],
    ['string', 'x'],
    ['array-of-hostile', ['\u0000', '\ud800']],
  ];
  const [label, value] = rng.pick(
    options.filter(([, v]) => typeof v !== typeof current || Array.isArray(v) !== Array.isArray(current)),
  );
  return { value, kind: `type:${label}`, describe: `replaced by ${toJson(value)}` };
}

/** A JSON key that collides with Object.prototype. */
export const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
] as const;

// ------------------------------------------------------------------ URLs

const UNRESERVED = /^[A-Za-z0-9._~-]$/;

/** encodeURIComponent that does not throw on lone surrogates (they are written as the bytes of their WTF-8 form). */
export function pct(s: string): string {
  try {
    // the common case, fast on the 1 MB values too; it throws only on lone surrogates
    return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    // written by hand below
  }
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      c >= 0xd800 &&
      c <= 0xdbff &&
      i + 1 < s.length &&
      s.charCodeAt(i + 1) >= 0xdc00 &&
      s.charCodeAt(i + 1) <= 0xdfff
    ) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else if (UNRESERVED.test(s[i]!)) out += s[i]!;
    else out += encodeURIComponent(s[i]!);
  }
  return out;
}

const BAD_PERCENT: readonly (readonly [string, string])[] = [
  ['bad-percent', '%'],
  ['bad-percent', '%zz'],
  ['bad-percent', '%4'],
  ['truncated-utf8', '%E0%A4%A'],
  ['invalid-utf8', '%FF'],
  ['invalid-utf8', '%C0%AF'],
  ['encoded-surrogate', '%ED%A0%80'],
  ['encoded-nul', '%00'],
  ['encoded-nul', '%00%00'],
  ['encoded-control', '%01'],
  ['encoded-del', '%7F'],
  ['encoded-line-separator', '%E2%80%A8'],
  ['encoded-slash', '%2F'],
  ['encoded-backslash', '%5C'],
  ['encoded-dot-dot', '%2e%2e'],
  ['dot-dot', '..'],
  ['encoded-newline', '%0D%0A'],
  ['encoded-emoji', '%F0%9F%98%80'],
  ['encoded-question', '%3F'],
  ['encoded-hash', '%23'],
  ['plus', '+'],
  ['semicolon', ';'],
];

/** The feature of an encoded URL component: its decoded text's, or bad-percent-encoding. */
export function urlFeatureOf(encoded: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    return 'bad-percent-encoding';
  }
  return featureOf(decoded);
}

/** A hostile, already %-encoded, URL component (path segment or query value) made from `s`. */
export function mutateUrlComponent(rng: Rng, s: string): Mutated<string> {
  const m = mutateUrlComponentOp(rng, s);
  return { ...m, kind: urlFeatureOf(m.value) };
}

function mutateUrlComponentOp(rng: Rng, s: string): Mutated<string> {
  const op = rng.weighted([
    [40, 'percent'],
    [30, 'string'],
    [8, 'replace'],
    [5, 'empty'],
    [7, 'long'],
  ] as const);
  if (op === 'percent') {
    const [label, token] = rng.pick(BAD_PERCENT);
    const at = rng.int(s.length + 1);
    return {
      value: pct(s.slice(0, at)) + token + pct(s.slice(at)),
      kind: `pct:${label}`,
      describe: `inserted ${token} at ${at}`,
    };
  }
  if (op === 'replace') {
    const [label, token] = rng.pick(BAD_PERCENT);
    return { value: token, kind: `pct:${label}`, describe: `replaced by ${token}` };
  }
  if (op === 'empty') return { value: '', kind: 'empty', describe: 'empty' };
  if (op === 'long') {
    const n = rng.pick([101, 1000, 8000]);
    return { value: 'A'.repeat(n), kind: 'long', describe: `${n} characters` };
  }
  const m = mutateString(rng, s);
  // URL-sized: the 100,000-unit strings stay in bodies
  const value = m.value.length > 9000 ? m.value.slice(0, 9000) : m.value;
  return { value: pct(value), kind: m.kind, describe: m.describe };
}

/** A query parameter written without `=` (`?wsdl`). */
export const NO_VALUE = '\u0000NOVALUE';

/** A query string from pairs; values and names are already encoded. */
export function queryString(pairs: readonly (readonly [string, string])[]): string {
  return pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => (v === NO_VALUE ? k : `${k}=${v}`)).join('&')}`;
}

/** Mutates a list of (encoded) query pairs. */
export function mutateQuery(
  rng: Rng,
  pairs: [string, string][],
  knownNames: readonly string[],
): Mutated<[string, string][]> {
  const op = rng.weighted([
    [35, 'value'],
    [12, 'duplicate'],
    [10, 'unknown'],
    [8, 'proto'],
    [6, 'no-value'],
    [8, 'numbers'],
    [6, 'huge'],
    [5, 'bad-name'],
  ] as const);
  const out: [string, string][] = pairs.map(([k, v]) => [k, v]);
  const name = knownNames.length > 0 ? rng.pick(knownNames) : 'q';
  switch (op) {
    case 'value': {
      const existing = out.find(([k]) => k === name);
      const m = mutateUrlComponent(rng, existing ? decodeURIComponentSafe(existing[1]) : 'abc');
      if (existing) existing[1] = m.value;
      else out.push([name, m.value]);
      return { value: out, kind: `value:${m.kind}`, describe: `${name}: ${m.describe}` };
    }
    case 'duplicate': {
      out.push([name, 'x'], [name, pct(rng.pick(['\u0000', 'y', '']))]);
      return { value: out, kind: 'duplicate', describe: `${name} given more than once (an array)` };
    }
    case 'unknown': {
      const n = pct(randomUnicode(rng, rng.range(1, 8)));
      out.push([n || 'x', pct(randomUnicode(rng, rng.range(0, 8)))]);
      return { value: out, kind: 'unknown-name', describe: 'an unknown, random parameter' };
    }
    case 'proto': {
      const k = rng.pick(PROTO_KEYS);
      out.push([rng.pick([k, `${k}[polluted]`, `${name}[${k}]`]), 'yes']);
      return { value: out, kind: 'proto-name', describe: `parameter named after ${k}` };
    }
    case 'no-value':
      out.push([name, NO_VALUE]);
      return { value: out, kind: 'no-value', describe: `${name} without =` };
    case 'numbers': {
      const v = rng.pick([
        '-1',
        '0',
        '-0',
        '1e308',
        '1e999',
        'NaN',
        'Infinity',
        '0x10',
        '9007199254740993',
        '99999999999999999999',
        '1.5',
        '2147483648',
        '%00',
        '',
      ]);
      out.push([rng.pick(['before', 'limit', 'id', name]), v]);
      return { value: out, kind: 'number', describe: `numeric parameter ${v}` };
    }
    case 'huge':
      out.push([name, 'A'.repeat(rng.pick([1000, 20_000]))]);
      return { value: out, kind: 'long', describe: `${name} very long` };
    case 'bad-name': {
      const [, token] = rng.pick(BAD_PERCENT);
      out.push([token, 'x']);
      return { value: out, kind: 'bad-name', describe: `parameter named ${token}` };
    }
  }
}

export function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// ------------------------------------------------------------------ HTTP Basic

/** The Authorization header for `user:password` in UTF-8 (or the bytes given). */
export function basicHeader(user: string, password: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  return `Basic ${Buffer.from(`${user}:${password}`, encoding).toString('base64')}`;
}

/** Mutates HTTP Basic credentials: hostile user names and passwords, broken headers. */
export function mutateBasic(rng: Rng, user: string, password: string): Mutated<string | undefined> {
  const op = rng.weighted([
    [30, 'user'],
    [20, 'password'],
    [6, 'latin1'],
    [5, 'missing'],
    [4, 'no-colon'],
    [5, 'bad-base64'],
    [4, 'scheme'],
    [4, 'empty-user'],
    [4, 'long'],
    [3, 'colon-in-user'],
  ] as const);
  switch (op) {
    case 'user': {
      const m = mutateString(rng, user);
      return {
        value: basicHeader(m.value.slice(0, 20_000), password),
        kind: `user:${m.kind}`,
        describe: `user ${m.describe}`,
      };
    }
    case 'password': {
      const m = mutateString(rng, password);
      return {
        value: basicHeader(user, m.value.slice(0, 20_000)),
        kind: `password:${m.kind}`,
        describe: `password ${m.describe}`,
      };
    }
    case 'latin1':
      return {
        value: basicHeader(user, password, 'latin1'),
        kind: 'latin1',
        describe: 'credentials in ISO-8859-1 (valid: Java clients do this)',
      };
    case 'missing':
      return { value: undefined, kind: 'missing', describe: 'no Authorization header' };
    case 'no-colon':
      return {
        value: `Basic ${Buffer.from(user + password).toString('base64')}`,
        kind: 'no-colon',
        describe: 'no colon between user and password',
      };
    case 'bad-base64': {
      const v = rng.pick([
        'Basic ',
        'Basic',
        'Basic ====',
        'Basic !!!',
        'Basic QQ',
        'Basic\tQUFBOkJCQg==',
        `Basic ${Buffer.from(`${user}:${password}`).toString('base64')} extra`,
      ]);
      return { value: v, kind: 'bad-base64', describe: `Authorization: ${JSON.stringify(v)}` };
    }
    case 'scheme': {
      const v = rng.pick([
        'Bearer abc',
        'basic ' + Buffer.from(`${user}:${password}`).toString('base64'),
        'Digest username="x"',
        'BASIC  ' + Buffer.from(`${user}:${password}`).toString('base64'),
      ]);
      return { value: v, kind: 'scheme', describe: `Authorization: ${JSON.stringify(v.slice(0, 40))}` };
    }
    case 'empty-user':
      return { value: basicHeader('', password), kind: 'empty-user', describe: 'empty user' };
    case 'long':
      return {
        value: basicHeader('U'.repeat(rng.pick([200, 5000])), 'P'.repeat(rng.pick([10, 10_000]))),
        kind: 'long',
        describe: 'very long credentials',
      };
    case 'colon-in-user':
      return {
        value: basicHeader(`${user}:${user}`, password),
        kind: 'colon-in-user',
        describe: 'a colon more',
      };
  }
}

// ------------------------------------------------------------------ bytes

export const INVALID_UTF8: readonly (readonly [string, number[]])[] = [
  ['ff', [0xff]],
  ['lone-continuation', [0x80]],
  ['bad-continuation', [0xc3, 0x28]],
  ['overlong-slash', [0xc0, 0xaf]],
  ['overlong-nul', [0xc0, 0x80]],
  ['encoded-surrogate', [0xed, 0xa0, 0x80]],
  ['beyond-unicode', [0xf4, 0x90, 0x80, 0x80]],
  ['truncated-sequence', [0xe2, 0x82]],
  ['latin1-e-grave', [0xe8]],
];

/** Inserts bytes that are not UTF-8 at a byte offset (moved back to a character boundary). */
export function insertBytes(buf: Buffer, at: number, bytes: number[]): Buffer {
  let i = Math.min(at, buf.length);
  while (i > 0 && i < buf.length && (buf[i]! & 0xc0) === 0x80) i--;
  return Buffer.concat([buf.subarray(0, i), Buffer.from(bytes), buf.subarray(i)]);
}
