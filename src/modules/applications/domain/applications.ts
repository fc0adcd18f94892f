import { z } from 'zod';
import { isoDate } from '../../../shared/zod-italian.js';
import { defineCatalog } from '../../../shared/domain-error.js';

/** Applications (gestionali, external callers): what they may do and how they are reached back. */

export const SCOPES = [
  'CREAZIONE_IUV',
  'CREAZIONE_IUV_MULTIBEN',
  'RICHIESTA_STATO_POS_DEB',
  'RICHIESTA_DATI_PAGAMENTO',
  'STAMPA_AVVISO_PAGAMENTO',
  'STAMPA_RT_GE',
] as const;
export type Scope = (typeof SCOPES)[number];

export const ENDPOINT_KINDS = [
  'ESITO_INSERIMENTO_LISTA_DI_CARICO',
  'ESITO_AGGIORNA_POSIZIONI_DEBITORIE',
  'TRASMETTI_NOTIFICHE_PAGAMENTO',
  'TRASMETTI_AVVISI_SCADUTI',
  'TRASMETTI_RT',
] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

export class ApplicationError extends defineCatalog({
  INVALID: { code: 'APP_INVALID', kind: 'invalid' },
  NOT_FOUND: { code: 'APP_NOT_FOUND', kind: 'not-found' },
  EXISTS: { code: 'APP_EXISTS', kind: 'conflict' },
}) {}

/**
 * The return URL registered for a caller (seed 000 §5): absolute http(s), without `?` or `&`
 * (Cassa appends the query string), https only in production.
 */
export function returnUrlProblem(url: string, production: boolean): string | null {
  if (/[?&#]/.test(url)) return "l'URL di ritorno non può contenere '?', '&' o '#'";
  const problem = httpUrlProblem(url, production, "l'URL di ritorno");
  if (problem !== null) return problem;
  const parsed = new URL(url);
  if (parsed.username || parsed.password) return "l'URL di ritorno non può contenere credenziali";
  return null;
}

/** An endpoint of the gestionale (where Cassa delivers its messages): absolute http(s), https only in production. */
export function endpointUrlProblem(url: string, production: boolean): string | null {
  return httpUrlProblem(url, production, "l'endpoint");
}

/** Why `url` is not an absolute http(s) URL (https only in production), with `what` naming it; null when it is. */
function httpUrlProblem(url: string, production: boolean, what: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${what} deve essere un URL assoluto`;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `${what} deve usare http o https`;
  if (production && parsed.protocol !== 'https:') return `in produzione ${what} deve usare https`;
  return null;
}

const paymentTypeRef = z
  .object({
    ente: z.string().regex(/^\d{11}$/, "codice fiscale dell'ente: 11 cifre"),
    codiceVersamento: z
      .string()
      .regex(/^[A-Za-z0-9]{4}$/)
      .transform((s) => s.toUpperCase()),
  })
  .strict();

export const EndpointInput = z
  .object({
    kind: z.enum(ENDPOINT_KINDS),
    /** Only for one payment type; absent = every payment type of the application. */
    paymentType: paymentTypeRef.optional(),
    url: z.string().max(1000),
    username: z.string().max(140).optional(),
    /** Omitted on a change: the stored password of the same endpoint (kind and payment type) is kept; null removes it. */
    password: z.string().max(500).nullable().optional(),
  })
  .strict();
export type EndpointInput = z.infer<typeof EndpointInput>;

export const PASSPHRASE = z.string().min(8, 'la passphrase deve avere almeno 8 caratteri').max(200);

const applicationShape = z
  .object({
    codiceChiamante: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,50}$/, 'codice chiamante: 1-50 caratteri tra lettere, cifre, _ . -'),
    descrizione: z.string().trim().min(1).max(140),
    /** Omitted: Cassa generates one and returns it once. */
    passphrase: PASSPHRASE.optional(),
    returnUrl: z.string().max(1000).nullable().optional(),
    scopes: z.array(z.enum(SCOPES)).max(SCOPES.length).optional(),
    paymentTypes: z.array(paymentTypeRef).max(500).optional(),
    pageEmail: z.boolean().optional(),
    pagePrivacy: z.boolean().optional(),
    pageCaptcha: z.boolean().optional(),
    digestSeparator: z.enum(['any', '%%%', '%%%%']).optional(),
    returnDigestMode: z.enum(['echo', 'signed']).optional(),
    validFrom: isoDate.nullable().optional(),
    validTo: isoDate.nullable().optional(),
    active: z.boolean().optional(),
    endpoints: z.array(EndpointInput).max(100).optional(),
  })
  .strict();

export const ApplicationInput = applicationShape;
export type ApplicationInput = z.infer<typeof ApplicationInput>;
export const ApplicationPatch = applicationShape
  .omit({ codiceChiamante: true, passphrase: true })
  .partial()
  .strict();
export type ApplicationPatch = z.infer<typeof ApplicationPatch>;

export interface ApplicationValidity {
  active: boolean;
  validFrom: string | null;
  validTo: string | null;
}

/** An application may call Cassa only while active and within its validity dates. */
export function isApplicationUsable(a: ApplicationValidity, today: string): boolean {
  if (!a.active) return false;
  if (a.validFrom && a.validFrom > today) return false;
  if (a.validTo && a.validTo < today) return false;
  return true;
}
