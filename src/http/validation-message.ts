import type { FastifySchemaValidationError } from 'fastify';

/**
 * One plain message naming the offending field, from schema validation errors
 * (e.g. "Campo componentiPagamento[1].importo: ..."), and the field itself.
 */
export function validationMessage(
  errors: FastifySchemaValidationError[],
  context: string | undefined,
): { message: string; field: string | undefined } {
  const first = errors[0];
  if (!first) return { message: 'Richiesta non valida', field: undefined };
  const path = first.instancePath
    .split('/')
    .filter(Boolean)
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
  const missing = first.keyword === 'required' || /expected .*received undefined/i.test(first.message ?? '');
  const field = path || (context === 'body' ? undefined : context);
  const where = field
    ? `Campo ${field}`
    : context === 'body'
      ? 'Corpo della richiesta'
      : `Parametro ${context ?? ''}`.trim();
  const message = missing ? `${where}: obbligatorio` : `${where}: ${first.message ?? 'valore non valido'}`;
  return { message, field };
}
