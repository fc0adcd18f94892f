import { readFileSync } from 'node:fs';

/**
 * A small JSON Schema (OpenAPI 3.0 subset) checker, enough for the Checkout EC API's CartRequest
 * schemas as published (type, required, properties, min/maxItems, min/maxLength, minimum, format
 * uri/email, local $ref). The schemas are read from the official openapi/checkout_v1.json and
 * checkout_v2.json, not restated here.
 */
type Schema = {
  $ref?: string;
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  enum?: unknown[];
};

export interface SchemaError {
  path: string;
  keyword: string;
  message: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The parts of an OpenAPI 3.0 document that the checker reads. */
interface OpenApi {
  components?: { schemas?: Record<string, Schema> };
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
}

export class OpenApiDocument {
  private readonly doc: OpenApi;

  constructor(path: string) {
    this.doc = JSON.parse(readFileSync(path, 'utf8')) as OpenApi;
  }

  requestSchema(path: string, method: string): Schema {
    const s = this.doc.paths[path]?.[method]?.requestBody?.content?.['application/json']?.schema;
    if (!s) throw new Error(`no JSON request body schema for ${method.toUpperCase()} ${path}`);
    return s;
  }

  private resolve(s: Schema): Schema {
    if (!s.$ref) return s;
    const name = s.$ref.replace('#/components/schemas/', '');
    const target = this.doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved $ref ${s.$ref}`);
    return this.resolve(target);
  }

  validate(schema: Schema, value: unknown, path = ''): SchemaError[] {
    const s = this.resolve(schema);
    const errors: SchemaError[] = [];
    const err = (keyword: string, message: string) => errors.push({ path: path || '/', keyword, message });
    if (s.type && !typeMatches(s.type, value)) {
      err('type', `must be ${s.type}`);
      return errors;
    }
    if (s.enum && !s.enum.includes(value)) err('enum', `must be one of ${s.enum.join(', ')}`);
    if (typeof value === 'string') {
      if (s.minLength !== undefined && value.length < s.minLength)
        err('minLength', `must be at least ${s.minLength} characters`);
      if (s.maxLength !== undefined && value.length > s.maxLength)
        err('maxLength', `must be at most ${s.maxLength} characters`);
      if (s.format === 'uri' && !isAbsoluteUri(value)) err('format', 'must be an absolute URI');
      if (s.format === 'email' && !EMAIL.test(value)) err('format', 'must be an e-mail address');
    }
    if (typeof value === 'number') {
      if (s.minimum !== undefined && value < s.minimum) err('minimum', `must be ≥ ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) err('maximum', `must be ≤ ${s.maximum}`);
    }
    if (Array.isArray(value)) {
      if (s.minItems !== undefined && value.length < s.minItems)
        err('minItems', `must have at least ${s.minItems} items`);
      if (s.maxItems !== undefined && value.length > s.maxItems)
        err('maxItems', `must have at most ${s.maxItems} items`);
      if (s.items) value.forEach((v, i) => errors.push(...this.validate(s.items!, v, `${path}/${i}`)));
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      for (const r of s.required ?? [])
        if (obj[r] === undefined)
          errors.push({ path: `${path}/${r}`, keyword: 'required', message: 'is required' });
      for (const [k, sub] of Object.entries(s.properties ?? {}))
        if (obj[k] !== undefined) errors.push(...this.validate(sub, obj[k], `${path}/${k}`));
    }
    return errors;
  }
}

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

function isAbsoluteUri(s: string): boolean {
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s)) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}
