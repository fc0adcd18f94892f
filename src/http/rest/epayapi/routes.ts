import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Container } from '../../../app/container.js';
import type { Scope } from '../../../modules/applications/domain/applications.js';
import type { CallContext } from '../../../modules/debt-positions/application/debt-positions-service.js';
import { positionError } from '../../../modules/debt-positions/domain/errors.js';
import { PrintingError } from '../../../modules/printing/domain/errors.js';
import { TooManyAuthFailures } from '../../../modules/limits/domain/errors.js';
import { DomainError, HTTP_STATUS_OF_KIND } from '../../../shared/domain-error.js';
import { ESITO } from '../../../shared/piemontepay/codes.js';
import { parseBasicAuth } from '../../basic-auth.js';
import { InvalidInputError, parseJsonBody } from '../../input-guard.js';
import { dbErrorSummary, isDatabaseUnavailable } from '../../../db/errors.js';
import { validationMessage } from '../../validation-message.js';
import {
  draftFromCreate,
  EPAYAPI_CREATE_FIELDS,
  EPAYAPI_UPDATE_FIELDS,
  patchFromUpdate,
  paymentDataOf,
} from './mappers.js';
import {
  CancelBody,
  CancelQuery,
  DebtPositionData,
  DebtPositionPaymentData,
  DebtPositionReference,
  PathIuv,
  PathOrg,
  PaymentDataResult,
  PaymentNotice,
  Result,
  RtRequest,
  RtResponse,
  Status,
} from './schemas.js';

const OK = { code: ESITO.OK, description: "L'invocazione del servizio si è conclusa correttamente." };
const errorResponses = {
  400: Result,
  401: Result,
  403: Result,
  404: Result,
  409: Result,
  429: Result,
  500: Result,
  503: Result,
};
const security = [{ basicAuth: [] }];
type BasicCredentials = NonNullable<ReturnType<typeof parseBasicAuth>>;
const basicAuthRequired = () =>
  positionError(
    'CALLER_NOT_AUTHENTICATED',
    'Autenticazione HTTP Basic richiesta (codiceChiamante e passphrase)',
  );
const audit = (operation: string, epayapiScope?: Scope) => ({
  audit: { interface: 'epayapi', operation },
  epayapiScope,
});

declare module 'fastify' {
  interface FastifyContextConfig {
    /** epayapi routes scoped to an ente and payment type: the scope their caller needs. */
    epayapiScope?: Scope | undefined;
  }
  interface FastifyRequest {
    callContext?: CallContext;
  }
}

/** JSON nulls dropped, at the top level and in arrays of objects (componentiPagamento...). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map((v: unknown) => (v && typeof v === 'object' ? withoutNulls(v) : v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, v && typeof v === 'object' ? withoutNulls(v) : v]),
    );
  }
  return value;
}

/**
 * PiemontePAY's REST API for gestionali (epayapi v1), under the same base path
 * (/epayapi/api/v1) so that an integrated gestionale changes only the host.
 * HTTP Basic: user = codiceChiamante, password = passphrase.
 */
// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async is how Fastify knows it is loaded (a throw becomes a registration error)
export const epayapiRoutes: FastifyPluginAsyncZod<{ container: Container }> = async (app, { container }) => {
  const svc = container.debtPositions;

  /**
   * The ente, the position and the caller in the journal, and the HTTP Basic credentials, which
   * must be there; the answer says the caller is not recognised until the credentials pass.
   */
  function callerCredentials(
    req: FastifyRequest,
    reply: FastifyReply,
    enteFiscalCode: string,
    iuv: string | undefined,
  ): BasicCredentials {
    const audit = req.audit!;
    audit.enteFiscalCode = enteFiscalCode;
    audit.iuv = iuv;
    const creds = parseBasicAuth(req.headers.authorization);
    if (creds) audit.caller = creds.user;
    reply.header('x-client-attivo', 'false');
    if (!creds) throw basicAuthRequired();
    return creds;
  }

  async function authorize(
    req: FastifyRequest,
    reply: FastifyReply,
    p: { organization: string; paymentType: string; iuv?: string },
    scope: Scope,
  ): Promise<CallContext> {
    const creds = callerCredentials(req, reply, p.organization, p.iuv);
    const ctx = await svc.authorize({
      codiceChiamante: creds.user,
      passphrase: creds.password,
      enteCodiceFiscale: p.organization,
      codiceVersamento: p.paymentType,
      scope,
      address: req.ip,
    });
    reply.header('x-client-attivo', 'true');
    return ctx;
  }

  // Every answer says whether the caller was recognised, as PiemontePAY's do (false until it is).
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('x-client-attivo', 'false');
  });

  // A body may be empty even with Content-Type: application/json (DELETE from many clients); the
  // bytes as received are what the journal keeps.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    req.auditRawBody = text;
    try {
      // empty: no body; too deep, not JSON, or with control characters: 400 (src/http/input-guard.ts)
      done(null, parseJsonBody(text));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  // Credentials are checked before the body: an unknown caller learns nothing of the field rules.
  // JSON nulls (how Jackson and Newtonsoft write unset fields) mean "not given".
  app.addHook('preValidation', async (req, reply) => {
    const scope = req.routeOptions.config.epayapiScope;
    if (!parseBasicAuth(req.headers.authorization)) {
      reply.header('x-client-attivo', 'false');
      throw basicAuthRequired();
    }
    if (req.body && typeof req.body === 'object') req.body = withoutNulls(req.body);
    if (scope)
      req.callContext = await authorize(
        req,
        reply,
        req.params as { organization: string; paymentType: string; iuv?: string },
        scope,
      );
  });

  // Operations of the spec Cassa does not offer, and unknown paths: PiemontePAY's Result, journaled.
  app.setNotFoundHandler(async (req, reply) => {
    req.audit = {
      interface: 'epayapi',
      operation: 'notFound',
      keepResponse: true,
      outcome: '404',
      detail: `${req.method} ${req.url.split('?')[0]}`,
    };
    const creds = parseBasicAuth(req.headers.authorization);
    if (creds) req.audit.caller = creds.user;
    return reply
      .code(404)
      .header('x-client-attivo', 'false')
      .send({
        code: ESITO.GENERIC_ERROR,
        description: `Operazione non disponibile: ${req.method} ${req.url.split('?')[0]}`,
      });
  });

  app.setErrorHandler((err: FastifyError | DomainError | TooManyAuthFailures, req, reply) => {
    // createDebtPosition and getRT answer codiceEsito/descrizioneEsito, the others code/description
    const isCreate = ['createDebtPosition', 'getRT'].includes(req.routeOptions.config.audit?.operation ?? '');
    let status: number;
    let code: string;
    let description: string;
    let campo: string | undefined;
    if (err instanceof TooManyAuthFailures) {
      // refused before the credentials were checked (docs/security.md): code 100 as any refused
      // authentication, HTTP 429 and Retry-After say when to try again
      reply.header('retry-after', String(err.retryAfterSeconds));
      if (req.audit)
        Object.assign(req.audit, {
          outcome: err.code,
          detail: `${err.message} (limite per ${err.over === 'caller' ? 'codiceChiamante' : `indirizzo ${req.ip}`})`,
        });
      return reply
        .code(429)
        .send(
          isCreate
            ? { codiceEsito: ESITO.GENERIC_ERROR, descrizioneEsito: err.message }
            : { code: ESITO.GENERIC_ERROR, description: err.message },
        );
    }
    if (err instanceof DomainError) {
      status = HTTP_STATUS_OF_KIND[err.kind];
      code = status >= 500 ? ESITO.GENERIC_ERROR : err.code;
      description = err.message;
      campo = err.field;
      if (status >= 500) req.log.error({ err }, 'epayapi: a domain error of kind %s', err.kind);
    } else if (hasZodFastifySchemaValidationErrors(err)) {
      status = 400;
      code = ESITO.GENERIC_ERROR;
      ({ message: description, field: campo } = validationMessage(err.validation, err.validationContext));
      // the codes PiemontePAY gives to these rules, whichever layer finds the problem
      if (campo === 'componentiPagamento' || campo === 'componentiImporto') code = ESITO.TOO_MANY_COMPONENTS;
      else if (campo?.startsWith('riferimentiPagamento')) code = ESITO.REFERENCES_INVALID;
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      code = ESITO.GENERIC_ERROR;
      description =
        err.statusCode === 413
          ? 'Richiesta troppo grande'
          : err instanceof InvalidInputError
            ? err.message
            : `Richiesta non valida: ${err.message}`;
      if (err instanceof InvalidInputError) campo = err.field;
    } else if (isDatabaseUnavailable(err)) {
      // the database unreachable (restart, failover): retry later; a write either committed whole or not at all
      req.log.warn({ db: dbErrorSummary(err) }, 'epayapi: database unavailable');
      status = 503;
      code = ESITO.GENERIC_ERROR;
      description = 'Servizio temporaneamente non disponibile: riprovare più tardi';
    } else {
      req.log.error({ err }, 'epayapi internal error');
      status = 500;
      code = ESITO.GENERIC_ERROR;
      description = 'Errore applicativo generico';
    }
    if (req.audit) {
      req.audit.outcome = code;
      req.audit.detail = description;
    }
    if (status === 401) reply.header('www-authenticate', 'Basic realm="epayapi", charset="UTF-8"');
    const body = isCreate
      ? { codiceEsito: code, descrizioneEsito: description, campo }
      : { code, description, campo };
    return reply.code(status).send(body);
  });

  app.post(
    '/organizations/:organization/paymenttypes/:paymentType/debtpositions',
    {
      config: audit('createDebtPosition', 'CREAZIONE_IUV'),
      schema: {
        tags: ['Debt Position'],
        summary: 'Create debt position and return iuv and notice number',
        operationId: 'createDebtPosition',
        security,
        params: PathOrg,
        body: DebtPositionData,
        response: {
          200: DebtPositionReference,
          201: DebtPositionReference,
          400: DebtPositionReference,
          401: DebtPositionReference,
          403: DebtPositionReference,
          404: DebtPositionReference,
          409: DebtPositionReference,
          429: DebtPositionReference,
          500: DebtPositionReference,
          503: DebtPositionReference,
        },
      },
    },
    async (req, reply) => {
      const ctx = req.callContext!;
      const draft = draftFromCreate(req.body);
      const r = await svc.create(ctx, draft, { suppliedIuv: req.body.iuv, names: EPAYAPI_CREATE_FIELDS });
      req.audit!.iuv = r.iuv;
      req.audit!.outcome = ESITO.OK;
      if (r.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send({
        codiceEsito: OK.code,
        descrizioneEsito: OK.description,
        identificativoPagamento: r.idPosizioneDebitoria,
        iuv: r.iuv,
        codiceAvviso: r.noticeNumber,
      });
    },
  );

  app.put(
    '/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv',
    {
      config: audit('updateDebtPositions', 'CREAZIONE_IUV'),
      schema: {
        tags: ['Debt Position'],
        summary: 'update Debt Position',
        operationId: 'updateDebtPositions',
        security,
        params: PathIuv,
        body: DebtPositionPaymentData,
        response: { 200: Result, ...errorResponses },
      },
    },
    async (req, _reply) => {
      const ctx = req.callContext!;
      await svc.update(ctx, req.params.iuv, patchFromUpdate(req.body), EPAYAPI_UPDATE_FIELDS);
      req.audit!.outcome = OK.code;
      return OK;
    },
  );

  app.delete(
    '/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv',
    {
      config: audit('deleteDebtPositions', 'CREAZIONE_IUV'),
      schema: {
        tags: ['Debt Position'],
        summary: 'delete Debt Position',
        description:
          'Annulla la posizione; la motivazione si può dare nel corpo JSON `{"motivazione": "..."}` o nel parametro `motivazione`.',
        operationId: 'deleteDebtPositions',
        security,
        params: PathIuv,
        querystring: CancelQuery,
        body: CancelBody,
        response: { 200: Result, ...errorResponses },
      },
    },
    async (req, _reply) => {
      const ctx = req.callContext!;
      await svc.cancel(ctx, req.params.iuv, req.body?.motivazione ?? req.query.motivazione);
      req.audit!.outcome = OK.code;
      return OK;
    },
  );

  app.get(
    '/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv/status',
    {
      config: audit('getDebtPositionStatus', 'RICHIESTA_STATO_POS_DEB'),
      schema: {
        tags: ['Debt Position'],
        summary: 'get Debt Position status',
        operationId: 'getDebtPositionStatus',
        security,
        params: PathIuv,
        response: { 200: Status, ...errorResponses },
      },
    },
    async (req, _reply) => {
      const ctx = req.callContext!;
      const s = await svc.status(ctx, req.params.iuv);
      req.audit!.outcome = OK.code;
      return { code: s.code as '0' | '1' | '2' | '3' | '4', description: s.description, result: OK };
    },
  );

  app.get(
    '/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv/paymentdata',
    {
      config: audit('getDebtPositionData', 'RICHIESTA_DATI_PAGAMENTO'),
      schema: {
        tags: ['Debt Position'],
        summary: 'get Debt Position data',
        operationId: 'getDebtPositionData',
        security,
        params: PathIuv,
        response: { 200: PaymentDataResult, ...errorResponses },
      },
    },
    async (req, _reply) => {
      const ctx = req.callContext!;
      const p = await svc.get(ctx, req.params.iuv);
      const receipt = await container.receipts.ofPosition(ctx.enteId, p.iuv);
      req.audit!.outcome = OK.code;
      return {
        ...paymentDataOf(
          p,
          { denominazione: ctx.enteDenominazione, codiceFiscale: ctx.enteCodiceFiscale },
          ctx.paymentTypeDescrizione,
          receipt,
        ),
        result: OK,
      };
    },
  );

  app.get(
    '/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv/paymentnotice',
    {
      // the answer carries the whole PDF in base64: the journal keeps the outcome, not the answer
      config: {
        audit: { interface: 'epayapi', operation: 'getPaymentNotice', keepResponse: false },
        epayapiScope: 'STAMPA_AVVISO_PAGAMENTO',
      },
      schema: {
        tags: ['Payment Notice'],
        summary: 'get payment notice',
        description:
          "L'avviso di pagamento pagoPA della posizione (PDF in base64; per una posizione di un documento, l'avviso del documento: unica soluzione e rate ancora pagabili). Posizioni pagate (178: la ricevuta con POST /rt), annullate (179), scadute (187) o con un pagamento in corso (177) non hanno avviso. Scope STAMPA_AVVISO_PAGAMENTO.",
        operationId: 'getPaymentNotice',
        security,
        params: PathIuv,
        response: { 200: PaymentNotice, ...errorResponses },
      },
    },
    async (req, _reply) => {
      const ctx = req.callContext!;
      let notice;
      try {
        notice = await container.notices.noticePdf({
          enteFiscalCode: ctx.enteCodiceFiscale,
          codiceVersamento: ctx.codiceVersamento,
          iuv: req.params.iuv,
        });
      } catch (e) {
        // a paid position: its receipt stands for the notice, and this is where a gestionale gets it
        if (PrintingError.is(e) && e.errorName === 'PAID')
          throw new PrintingError('PAID', `${e.message} (POST /rt, scope STAMPA_RT_GE)`, e.field);
        throw e;
      }
      req.audit!.outcome = OK.code;
      req.audit!.detail = `avviso ${notice.noticeNumber}, ${notice.pdf.length} byte`;
      return { paymentnotice: notice.pdf.toString('base64'), result: OK };
    },
  );

  app.post(
    '/rt',
    {
      // the answer carries the whole receipt in base64: the journal keeps the request only
      config: { audit: { interface: 'epayapi', operation: 'getRT', keepResponse: false } },
      schema: {
        tags: ['Receipt'],
        summary: 'Copy of the receipt (RT) of a paid position',
        description:
          "PiemontePAY's RT copy (POST /rt). formatoRT XML: rtXml (and ricevuta) carry the base64 of the original receipt XML pagoPA sent (paSendRT / paSendRTV2). formatoRT PDF: ricevutaPdf (and ricevuta) carry the base64 of the receipt printed as a PDF (ricevuta di pagamento, Italian), for a positive receipt only (otherwise codiceEsito 188). Scope STAMPA_RT_GE.",
        operationId: 'getRT',
        security,
        body: RtRequest,
        response: {
          200: RtResponse,
          400: RtResponse,
          401: RtResponse,
          403: RtResponse,
          404: RtResponse,
          409: RtResponse,
          429: RtResponse,
          500: RtResponse,
          503: RtResponse,
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const creds = callerCredentials(req, reply, b.codiceFiscaleEnte, b.iuv);
      const copy = await container.receipts.rtForGestionale({
        codiceChiamante: creds.user,
        passphrase: creds.password,
        enteFiscalCode: b.codiceFiscaleEnte,
        iuv: b.iuv,
        codiceFiscale: b.codiceFiscale,
        formato: b.formatoRT,
        identificativoPagamento: b.identificativoPagamento,
        address: req.ip,
      });
      reply.header('x-client-attivo', 'true');
      req.audit!.outcome = OK.code;
      const answer = {
        codiceEsito: OK.code,
        descrizioneEsito: OK.description,
        descrizioneStatoPagamento: copy.statusDescription,
        iuvOriginario: b.iuv,
        iuvEffettivo: copy.receipt.iuv,
      };
      if (b.formatoRT === 'PDF') {
        // the receipt on paper (docs/printing.md, "The receipt PDF"); rtXml is for formatoRT XML
        const pdf = (await container.receiptPdfs.ofPosition(copy.ctx.enteId, copy.receipt.iuv, 'it')).pdf;
        const base64 = pdf.toString('base64');
        return { ...answer, ricevutaPdf: base64, ricevuta: base64 };
      }
      // the receipt's bytes as pagoPA sent them, in the encoding their declaration names
      const xml = copy.xml.bytes.toString('base64');
      return { ...answer, rtXml: xml, ricevuta: xml };
    },
  );
};
