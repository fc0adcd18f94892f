/**
 * What every HTTP edge refuses before any of it reaches a service or the database: characters no text column,
 * no XML message and no protocol of Cassa's can carry (NUL and the other C0 controls but TAB, CR and LF; U+FFFE,
 * U+FFFF; unpaired surrogates, which are not valid UTF-8), in path parameters, query parameters, JSON and form
 * bodies and their keys; and JSON nested deeper than any message of Cassa's. The refusal is a 400 error that each
 * edge's error handler answers in its own protocol (epayapi Result 100, problem+json, the Sportello's page).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- XML 1.0 Char production: control characters no text field of Cassa's may carry
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The deepest JSON any interface of Cassa's needs is 4 levels; far more is refused before it is parsed. */
export const MAX_JSON_DEPTH = 32;

export class InvalidInputError extends Error {
  readonly statusCode = 400;
  readonly code = 'CASSA_INVALID_CHARACTERS';
  constructor(
    message: string,
    readonly field: string | undefined,
  ) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** Whether a text holds a character the edges refuse. */
export function hasForbiddenCharacter(s: string): boolean {
  return FORBIDDEN.test(s);
}

/** The path (a.b[0].c) of the first string or key with a forbidden character, or undefined. */
export function forbiddenAt(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return FORBIDDEN.test(value) ? path || '(valore)' : undefined;
  if (value === null || typeof value !== 'object' || depth > MAX_JSON_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = forbiddenAt(value[i], `${path}[${i}]`, depth + 1);
      if (at !== undefined) return at;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = path ? `${path}.${k}` : k;
    if (FORBIDDEN.test(k)) return path ? `${path}.(chiave)` : '(chiave)';
    const at = forbiddenAt(v, key, depth + 1);
    if (at !== undefined) return at;
  }
  return undefined;
}

/** How deep the JSON text nests (arrays and objects), counted outside strings; stops counting past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * JSON as every edge reads it: an empty body is no body; nesting beyond MAX_JSON_DEPTH and forbidden characters
 * are refused (400) before anything uses the value.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    throw Object.assign(new Error(`JSON annidato oltre ${MAX_JSON_DEPTH} livelli`), { statusCode: 400 });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw Object.assign(new Error('JSON non valido'), { statusCode: 400 });
  }
  const at = forbiddenAt(value);
  if (at !== undefined) throw new InvalidInputError(`Campo ${at}: contiene caratteri non ammessi`, at);
  return value;
}

function check(req: FastifyRequest): void {
  for (const [where, value] of [
    ['parametro', req.params],
    ['parametro', req.query],
  ] as const) {
    const at = forbiddenAt(value);
    if (at !== undefined) throw new InvalidInputError(`Il ${where} ${at} contiene caratteri non ammessi`, at);
  }
  if (req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) {
    const at = forbiddenAt(req.body);
    if (at !== undefined) throw new InvalidInputError(`Campo ${at}: contiene caratteri non ammessi`, at);
  }
}

/**
 * Registered once at the root, before the edges: the checks above on every route (JSON bodies are also checked
 * as they are parsed, by the edges that read JSON with parseJsonBody).
 */
// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async is how Fastify knows it is loaded (a throw becomes a registration error)
export const inputGuard = fp(async (app: FastifyInstance) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify hook without done(): async is how it tells Fastify it has finished
  app.addHook('preValidation', async (req) => check(req));
});
