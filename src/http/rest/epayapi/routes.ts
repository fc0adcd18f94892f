import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Container } from '../../../app/container.js';
import type { Scope } from '../../../modules/applications/domain/applications.js';
import type { CallContext } from '../../../modules/debt-positions/application/debt-positions-service.js';
import { positionError } from '../../../modules/debt-positions/domain/errors.js';
import { DomainError, HTTP_STATUS_OF_KIND } from '../../../shared/domain-error.js';
import { parseBasicAuth } from '../../basic-auth.js';
import { validationMessage } from '../../validation-message.js';
import { draftFromCreate, EPAYAPI_CREATE_FIELDS, EPAYAPI_UPDATE_FIELDS, patchFromUpdate, paymentDataOf } from './mappers.js';
import {
  CancelBody,
  CancelQuery,
  DebtPositionData,
  DebtPositionPaymentData,
  DebtPositionReference,
  PathIuv,
  PathOrg,
  PaymentDataResult,
  Result,
  Status,
} from './schemas.js';

const OK = { code: '000', description: "L'invocazione del servizio si è conclusa correttamente." };
const errorResponses = { 400: Result, 401: Result, 403: Result, 404: Result, 409: Result, 500: Result };
const security = [{ basicAuth: [] }];
const audit = (operation: string) => ({ audit: { interface: 'epayapi', operation } });

/**
 * PiemontePAY's REST API for gestionali (epayapi v1), under the same base path
 * (/epayapi/api/v1) so that an integrated gestionale changes only the host.
 * HTTP Basic: user = codiceChiamante, password = passphrase.
 */
export const epayapiRoutes: FastifyPluginAsyncZod<{ container: Container }> = async (app, { container }) => {
  const svc = container.debtPositions;

  async function authorize(req: FastifyRequest, reply: FastifyReply, p: { organization: string; paymentType: string; iuv?: string }, scope: Scope): Promise<CallContext> {
    const audit = req.audit!;
    audit.enteFiscalCode = p.organization;
    audit.iuv = p.iuv;
    const creds = parseBasicAuth(req.headers.authorization);
    if (creds) audit.caller = creds.user;
    reply.header('x-client-attivo', 'false');
    if (!creds) throw positionError('CALLER_NOT_AUTHENTICATED', 'Autenticazione HTTP Basic richiesta (codiceChiamante e passphrase)');
    const ctx = await svc.authorize({ codiceChiamante: creds.user, passphrase: creds.password, enteCodiceFiscale: p.organization, codiceVersamento: p.paymentType, scope });
    reply.header('x-client-attivo', 'true');
    return ctx;
  }

  app.setErrorHandler((err: FastifyError | DomainError, req, reply) => {
    const isCreate = req.routeOptions.config.audit?.operation === 'createDebtPosition';
    let status: number;
    let code: string;
    let description: string;
    let campo: string | undefined;
    if (err instanceof DomainError) {
      status = HTTP_STATUS_OF_KIND[err.kind];
      code = err.code;
      description = err.message;
      campo = err.field;
    } else if (hasZodFastifySchemaValidationErrors(err)) {
      status = 400;
      code = '100';
      ({ message: description, field: campo } = validationMessage(err.validation, err.validationContext));
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      status = err.statusCode;
      code = '100';
      description = err.statusCode === 413 ? 'Richiesta troppo grande' : `Richiesta non valida: ${err.message}`;
    } else {
      req.log.error({ err }, 'epayapi internal error');
      status = 500;
      code = '100';
      description = 'Errore applicativo generico';
    }
    if (req.audit) {
      req.audit.outcome = code;
      req.audit.detail = description;
    }
    if (status === 401) reply.header('www-authenticate', 'Basic realm="epayapi", charset="UTF-8"');
    const body = isCreate ? { codiceEsito: code, descrizioneEsito: description, campo } : { code, description, campo };
    return reply.code(status).send(body);
  });

  app.post(
    '/organizations/:organization/paymenttypes/:paymentType/debtpositions',
    {
      config: audit('createDebtPosition'),
      schema: {
        tags: ['Debt Position'],
        summary: 'Create debt position and return iuv and notice number',
        operationId: 'createDebtPosition',
        security,
        params: PathOrg,
        body: DebtPositionData,
        response: { 200: DebtPositionReference, 201: DebtPositionReference, 400: DebtPositionReference, 401: DebtPositionReference, 403: DebtPositionReference, 404: DebtPositionReference, 409: DebtPositionReference, 500: DebtPositionReference },
      },
    },
    async (req, reply) => {
      const ctx = await authorize(req, reply, req.params, 'CREAZIONE_IUV');
      const draft = draftFromCreate(req.body);
      const r = await svc.create(ctx, draft, { suppliedIuv: req.body.iuv, names: EPAYAPI_CREATE_FIELDS });
      req.audit!.iuv = r.iuv;
      req.audit!.outcome = '000';
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
      config: audit('updateDebtPositions'),
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
    async (req, reply) => {
      const ctx = await authorize(req, reply, req.params, 'CREAZIONE_IUV');
      await svc.update(ctx, req.params.iuv, patchFromUpdate(req.body), EPAYAPI_UPDATE_FIELDS);
      req.audit!.outcome = OK.code;
      return OK;
    },
  );

  app.delete(
    '/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv',
    {
      config: audit('deleteDebtPositions'),
      schema: {
        tags: ['Debt Position'],
        summary: 'delete Debt Position',
        description: 'Annulla la posizione; la motivazione si può dare nel corpo JSON `{"motivazione": "..."}` o nel parametro `motivazione`.',
        operationId: 'deleteDebtPositions',
        security,
        params: PathIuv,
        querystring: CancelQuery,
        body: CancelBody,
        response: { 200: Result, ...errorResponses },
      },
    },
    async (req, reply) => {
      const ctx = await authorize(req, reply, req.params, 'CREAZIONE_IUV');
      await svc.cancel(ctx, req.params.iuv, req.body?.motivazione ?? req.query.motivazione);
      req.audit!.outcome = OK.code;
      return OK;
    },
  );

  app.get(
    '/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv/status',
    {
      config: audit('getDebtPositionStatus'),
      schema: {
        tags: ['Debt Position'],
        summary: 'get Debt Position status',
        operationId: 'getDebtPositionStatus',
        security,
        params: PathIuv,
        response: { 200: Status, ...errorResponses },
      },
    },
    async (req, reply) => {
      const ctx = await authorize(req, reply, req.params, 'RICHIESTA_STATO_POS_DEB');
      const s = await svc.status(ctx, req.params.iuv);
      req.audit!.outcome = OK.code;
      return { code: s.code as '0' | '1' | '2' | '3' | '4', description: s.description, result: OK };
    },
  );

  app.get(
    '/organizations/:organization/paymenttypes/:paymentType/debtpositions/:iuv/paymentdata',
    {
      config: audit('getDebtPositionData'),
      schema: {
        tags: ['Debt Position'],
        summary: 'get Debt Position data',
        operationId: 'getDebtPositionData',
        security,
        params: PathIuv,
        response: { 200: PaymentDataResult, ...errorResponses },
      },
    },
    async (req, reply) => {
      const ctx = await authorize(req, reply, req.params, 'RICHIESTA_DATI_PAGAMENTO');
      const p = await svc.get(ctx, req.params.iuv);
      req.audit!.outcome = OK.code;
      return { ...paymentDataOf(p, { denominazione: ctx.enteDenominazione, codiceFiscale: ctx.enteCodiceFiscale }, ctx.paymentTypeDescrizione), result: OK };
    },
  );
};
