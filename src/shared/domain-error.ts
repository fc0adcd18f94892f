/**
 * Base of every module's error catalog. `kind` says what went wrong in terms the edges map to their
 * own protocol (HTTP status, problem+json, SOAP fault, PiemontePAY codiceEsito); `code` is the
 * module's own code, stable for machines; `field` names the offending input when there is one.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  /** a service Cassa depends on (pagoPA Checkout...) failed or refused Cassa itself: not the caller's fault */
  | 'unavailable'
  /** a defect of Cassa (a message it built that breaks its own contract): never the caller's fault */
  | 'internal';

export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

/** One error of a module's catalog. */
export interface ErrorEntry {
  /** The code the edges answer (a PiemontePAY code...); the entry's own name when the module has no other. */
  readonly code?: string;
  readonly kind: ErrorKind;
  /** The message when the thrower gives none (the official faultString of a PAA fault...). */
  readonly message?: string;
}

/** A module's errors by name. */
export type ErrorTable = Readonly<Record<string, ErrorEntry>>;

/** The codes a table's errors carry: each entry's `code`, or its name when it has none. */
export type CodeOf<T extends ErrorTable> = {
  [N in keyof T & string]: T[N] extends { readonly code: infer C extends string } ? C : N;
}[keyof T & string];

/**
 * A module's error class from its table (the catalog of pagopa/interop-be-monorepo's `errors.ts`):
 *
 *     export class DebtPositionError extends defineCatalog({
 *       ALREADY_PAID: { code: '178', kind: 'conflict' },
 *       …
 *     }) {}
 *     throw new DebtPositionError('ALREADY_PAID', 'Posizione debitoria già pagata', 'iuv');
 *
 * `code` and `kind` are read from the table, so an error cannot disagree with its catalog; the class
 * keeps the module's name (`instanceof`, `err.name`, the logger's `type`), and a module whose errors
 * carry more (the id of a PAA fault, Checkout's problem) adds it in its own constructor.
 */
export function defineCatalog<const T extends ErrorTable>(table: T) {
  type Name = keyof T & string;
  return class CatalogError extends DomainError {
    /** Every error of the catalog, by name. */
    static readonly table: T = table;
    /** The catalog's entry: what the thrower meant, finer than `code` (several names may share a code). */
    readonly errorName: Name;
    readonly code: CodeOf<T>;
    readonly kind: ErrorKind;

    constructor(errorName: Name, message?: string, field?: string) {
      const entry: ErrorEntry = table[errorName]!; // a key of the table, by its type
      super(message ?? entry.message ?? errorName, field);
      this.name = new.target.name;
      this.errorName = errorName;
      this.code = (entry.code ?? errorName) as CodeOf<T>;
      this.kind = entry.kind;
    }

    /** The guard of the class it is called on: `DebtPositionError.is(e)` narrows `e` to a DebtPositionError. */
    static is<C extends abstract new (...args: never) => unknown>(this: C, e: unknown): e is InstanceType<C> {
      return e instanceof this;
    }
  };
}

export const HTTP_STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unavailable: 502,
  internal: 500,
};
