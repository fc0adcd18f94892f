import {
  DATE_MUTATIONS,
  featureOf,
  deepJson,
  Entries,
  insertBytes,
  INVALID_UTF8,
  locations,
  mutateString,
  NUMBER_MUTATIONS,
  pathLabel,
  PROTO_KEYS,
  Raw,
  setAt,
  toJson,
  wrongType,
  type Json,
  type Mutated,
} from './mutate.js';
import type { Rng } from './prng.js';

/** A JSON request body, mutated: a field, the structure, the bytes or the Content-Type. */
export interface JsonBody {
  payload: string | Buffer | undefined;
  contentType: string | undefined;
  kind: string;
  describe: string;
  /** The body as JSON after a field mutation (for the personal-data needles). */
  value?: Json;
}

const DATE_KEY = /^(data|valid|from|to$)/i;

/** Mutates one field (leaf or container) of `base`. */
export function mutateField(rng: Rng, base: Json): Mutated<Json> {
  const locs = locations(base);
  if (locs.length === 0) return { value: base, kind: 'none', describe: 'no field' };
  const { path, value } = rng.pick(locs);
  const key = String(path[path.length - 1]);
  const where = pathLabel(path);
  const set = (v: Json | undefined, kind: string, describe: string): Mutated<Json> => ({
    value: setAt(base, path, v),
    kind,
    describe: `${where}: ${describe}`,
  });
  const r = rng.next();
  if (r < 0.08) return set(undefined, 'missing', 'removed');
  if (r < 0.2) {
    const m = wrongType(rng, value);
    return set(m.value, m.kind, m.describe);
  }
  if (DATE_KEY.test(key) && r < 0.45) {
    const [label, v] = rng.pick(DATE_MUTATIONS);
    return set(v, `date:${label}`, `date ${toJson(v)}`);
  }
  if (Array.isArray(value) || (value !== null && typeof value === 'object')) {
    const op = rng.pick(['huge-array', 'deep', 'proto', 'duplicate-key', 'hostile-element'] as const);
    if (op === 'huge-array') {
      const n = rng.pick([6, 1000, 50_000]);
      const item = Array.isArray(value) && value.length > 0 ? value[0]! : 1;
      return set(
        new Raw(`[${Array.from({ length: n }, () => toJson(item)).join(',')}]`),
        'huge-array',
        `${n} elements`,
      );
    }
    if (op === 'deep') {
      const depth = rng.pick([1000, 10_000]);
      return set(
        deepJson(depth, rng.pick(['array', 'object'])),
        `deep-${depth}`,
        `${depth} levels of nesting`,
      );
    }
    if (op === 'proto' || op === 'duplicate-key') {
      const obj = Array.isArray(value) ? (value[0] ?? {}) : value;
      const entries: [string, Json][] = Object.entries(obj as Record<string, Json>);
      if (op === 'proto') {
        const k = rng.pick(PROTO_KEYS);
        entries.splice(rng.int(entries.length + 1), 0, [
          k,
          k === 'constructor' ? { prototype: { polluted: true } } : { polluted: true, importo: 1 },
        ]);
        const e = new Entries(entries);
        return set(Array.isArray(value) ? [e] : e, `proto-key:${k}`, `key ${k} added`);
      }
      if (entries.length === 0) return set({}, 'empty-object', 'emptied');
      const [k, v] = rng.pick(entries);
      entries.push([k, typeof v === 'string' ? mutateString(rng, v).value : wrongType(rng, v).value]);
      const e = new Entries(entries);
      return set(Array.isArray(value) ? [e] : e, 'duplicate-key', `key ${k} twice`);
    }
    return set(
      Array.isArray(value)
        ? [...value, '\u0000', null, [[]]]
        : { ...(value as Record<string, Json>), '\u0000': '\u0000', '': '' },
      'hostile-element',
      'hostile extra elements',
    );
  }
  if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) {
    if (r < 0.85) {
      const [label, v] = rng.pick(NUMBER_MUTATIONS);
      return set(v, `number:${label}`, `number ${toJson(v)}`);
    }
  }
  if (typeof value === 'string') {
    const m = mutateString(rng, value);
    return set(m.value, m.kind, m.describe);
  }
  if (typeof value === 'boolean')
    return set(rng.pick<Json>(['true', 1, 'false', 0, 'yes']), 'boolean-like', 'a boolean-like value');
  const m = wrongType(rng, value);
  return set(m.value, m.kind, m.describe);
}

const CONTENT_TYPES: readonly (readonly [string, string | undefined])[] = [
  ['missing', undefined],
  ['text-plain', 'text/plain'],
  ['form', 'application/x-www-form-urlencoded'],
  ['multipart', 'multipart/form-data; boundary=fuzz'],
  ['xml', 'application/xml'],
  ['charset-utf16', 'application/json; charset=utf-16'],
  ['charset-latin1', 'application/json; charset=iso-8859-1'],
  ['charset-unknown', 'application/json; charset=x-fuzz'],
  ['params-broken', 'application/json;;;='],
  ['upper-case', 'APPLICATION/JSON'],
  ['list', 'application/json, text/html'],
  ['vendor', 'application/vnd.api+json'],
  ['wildcard', 'application/*'],
  ['text-json', 'text/json'],
  ['empty', ''],
];

/** The request body of a JSON operation, mutated somewhere (or left valid, rarely). */
export function mutateJsonBody(rng: Rng, base: Json): JsonBody {
  const json = 'application/json';
  const op = rng.weighted([
    [60, 'field'],
    [4, 'deep'],
    [3, 'duplicate-key'],
    [3, 'proto-key'],
    [4, 'truncated'],
    [3, 'invalid'],
    [2, 'empty'],
    [3, 'non-object'],
    [1, 'huge-array'],
    [1, 'bom'],
    [3, 'invalid-utf8'],
    [2, 'random-bytes'],
    [1, 'over-limit'],
    [8, 'content-type'],
    [2, 'valid'],
  ] as const);
  const text = toJson(base);
  switch (op) {
    case 'field': {
      const m = mutateField(rng, base);
      return {
        payload: toJson(m.value),
        contentType: json,
        kind: `body:${m.kind}`,
        describe: m.describe,
        value: m.value,
      };
    }
    case 'deep': {
      const depth = rng.pick([1000, 10_000, 100_000]);
      const v = deepJson(depth, rng.pick(['array', 'object']));
      const whole = rng.chance(0.4);
      return {
        payload: whole
          ? v.text
          : toJson(setAt(base, [rng.pick(Object.keys(base as object).concat('extra'))], v)),
        contentType: json,
        kind: `json:deep-${depth}`,
        describe: `${depth} levels of nesting ${whole ? 'as the body' : 'in a field'}`,
      };
    }
    case 'duplicate-key':
    case 'proto-key': {
      const entries = Object.entries(base as Record<string, Json>);
      if (op === 'proto-key') {
        const k = rng.pick(PROTO_KEYS);
        entries.splice(rng.int(entries.length + 1), 0, [
          k,
          rng.pick<Json>([{ polluted: true }, { prototype: { polluted: true } }, 'x', null, []]),
        ]);
        return {
          payload: toJson(new Entries(entries)),
          contentType: json,
          kind: `json:proto-key:${k}`,
          describe: `top-level key ${k}`,
        };
      }
      const [k, v] = rng.pick(entries);
      entries.push([k, typeof v === 'string' ? mutateString(rng, v).value : wrongType(rng, v).value]);
      return {
        payload: toJson(new Entries(entries)),
        contentType: json,
        kind: 'json:duplicate-key',
        describe: `top-level key ${k} twice`,
      };
    }
    case 'truncated': {
      const at = rng.int(text.length);
      return {
        payload: text.slice(0, at),
        contentType: json,
        kind: 'json:truncated',
        describe: `cut at ${at} of ${text.length}`,
      };
    }
    case 'invalid': {
      const v = rng.pick([
        text.replace(/}$/, ',}'),
        text.replace(/"/g, "'"),
        text.replace(/:\s*[\d.]+/, ':NaN'),
        `/* c */${text}`,
        text.replace(/"(\w+)":/, '$1:'),
        `${text}${text}`,
        `${text} garbage`,
        text.replace(/:/, '::'),
      ]);
      return {
        payload: v,
        contentType: json,
        kind: 'json:invalid',
        describe: 'not JSON (trailing comma, quotes, NaN, comments...)',
      };
    }
    case 'empty':
      return {
        payload: rng.pick(['', ' ', '\n']),
        contentType: json,
        kind: 'json:empty',
        describe: 'empty body',
      };
    case 'non-object': {
      const v = rng.pick(['null', '[]', '"x"', '1', 'true', `[${text}]`, '-0', '1e999']);
      return { payload: v, contentType: json, kind: 'json:non-object', describe: `body ${v.slice(0, 40)}` };
    }
    case 'huge-array': {
      const n = rng.pick([10_000, 100_000]);
      return {
        payload: `[${'{},'.repeat(n - 1)}{}]`,
        contentType: json,
        kind: 'json:huge-array',
        describe: `array of ${n} objects as the body`,
      };
    }
    case 'bom':
      return {
        payload: `\ufeff${text}`,
        contentType: json,
        kind: 'json:bom',
        describe: 'UTF-8 byte order mark first',
      };
    case 'invalid-utf8': {
      const [label, bytes] = rng.pick(INVALID_UTF8);
      const buf = Buffer.from(text, 'utf8');
      // inside a string value: right after an opening quote of a value
      const positions: number[] = [];
      for (let i = 1; i < buf.length - 1; i++)
        if (buf[i] === 0x22 && buf[i - 1] === 0x3a) positions.push(i + 1);
      const at = positions.length > 0 ? rng.pick(positions) : rng.int(buf.length);
      return {
        payload: insertBytes(buf, at, bytes),
        contentType: json,
        kind: `json:invalid-utf8:${label}`,
        describe: `bytes ${bytes.map((b) => b.toString(16)).join(' ')} in a string value`,
      };
    }
    case 'random-bytes': {
      const n = rng.pick([1, 20, 500]);
      const bytes = rng.bytes(n);
      return {
        payload: bytes,
        contentType: json,
        kind: `json:random-bytes:${featureOf(bytes.toString('utf8'))}`,
        describe: `${n} random bytes`,
      };
    }
    case 'over-limit':
      return {
        payload: toJson(setAt(base, ['causale'], 'x'.repeat(1_100_000))),
        contentType: json,
        kind: 'json:over-limit',
        describe: 'a body over the 1 MB limit',
      };
    case 'content-type': {
      const [label, ct] = rng.pick(CONTENT_TYPES);
      let payload: string | Buffer = text;
      if (label === 'form')
        payload = rng.pick([
          text,
          new URLSearchParams(
            Object.entries(base as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)]),
          ).toString(),
        ]);
      if (label === 'charset-latin1') payload = Buffer.from(text, 'latin1');
      if (label === 'charset-utf16') payload = Buffer.from(text, 'utf16le');
      if (label === 'multipart')
        payload = `--fuzz\r\nContent-Disposition: form-data; name="causale"\r\n\r\nx\r\n--fuzz--\r\n`;
      return {
        payload,
        contentType: ct,
        kind: `content-type:${label}`,
        describe: `Content-Type ${JSON.stringify(ct ?? null)}`,
        value: base,
      };
    }
    case 'valid':
      return { payload: text, contentType: json, kind: 'valid', describe: 'the valid request', value: base };
  }
}
