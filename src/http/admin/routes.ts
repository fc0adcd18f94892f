import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z, ZodError } from 'zod';
import type { Container } from '../../app/container.js';
import { sendPdfDownload } from '../pdf-download.js';
import { ApplicationInput, ApplicationPatch } from '../../modules/applications/domain/applications.js';
import {
  EnteInput,
  EntePatch,
  PaymentTypeInput,
  PaymentTypePatch,
} from '../../modules/organizations/domain/organizations.js';
import { DomainError, HTTP_STATUS_OF_KIND } from '../../shared/domain-error.js';
import { PrintingError } from '../../modules/printing/domain/errors.js';
import { dbErrorSummary, isDatabaseUnavailable } from '../../db/errors.js';
import { hasAdminToken, sendAdminUnauthorized } from './admin-auth.js';
import { validationMessage } from '../validation-message.js';
import { InvalidInputError } from '../input-guard.js';
import {
  createdApplicationView,
  createdDocumentView,
  documentView,
  positionView,
  receiptView,
  rotatedPassphraseView,
} from './views.js';
import { DELIVERY_OPERATIONS, DELIVERY_STATUSES } from '../../modules/gestionali/domain/deliveries.js';
import { PRINT_FORMATS } from '../../modules/printing/domain/print-jobs.js';
import type { PrintJobView } from '../../modules/printing/application/print-jobs.js';

const security = [{ adminToken: [] }];
const audit = (operation: string) => ({ audit: { interface: 'admin', operation } });
const EnteFiscalCode = z.string().regex(/^\d{11}$/, "codice fiscale dell'ente: 11 cifre");
const EnteParams = z.object({ cf: EnteFiscalCode });
/** A list's filter by ente (its codice fiscale). */
const EnteFilter = EnteFiscalCode.optional();
/** A page of a list, newest first: `before` is the `nextBefore` of the previous page. */
const Page = {
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
};
/** A receipt, delivery, notification or lista di carico, by its row id. */
const IdParams = z.object({ id: z.coerce.number().int().positive() });
const PaymentTypeParams = EnteParams.extend({ code: z.string().regex(/^[A-Za-z0-9]{4}$/) });
const AppParams = z.object({ codiceChiamante: z.string().min(1).max(50) });
const DocumentParams = EnteParams.extend({ identificativo: z.string().min(1).max(35) });

// A document (GovPay's documento): its options carry a position's fields with the names of the domain's draft.
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'data AAAA-MM-GG');
const Cents = z.number().int();
const DocumentComponent = z.object({
  amountCents: Cents,
  causale: z.string(),
  accountingYear: z.number().int().optional(),
  accountingNumber: z.string().max(140).optional(),
  datiSpecificiRiscossione: z.string().optional(),
});
const DocumentOption = z.object({
  amountCents: Cents,
  dueDate: IsoDate.optional(),
  validFrom: IsoDate.optional(),
  validTo: IsoDate.optional(),
  causale: z.string().optional(),
  components: z.array(DocumentComponent).max(5).optional(),
  idPosizioneDebitoria: z.string().optional(),
});
const DocumentBody = z.object({
  identificativo: z.string(),
  descrizione: z.string(),
  debtor: z.object({
    type: z.enum(['F', 'G']),
    fiscalCode: z.string().max(35),
    name: z.string().optional(),
    surname: z.string().optional(),
    company: z.string().optional(),
    address: z.string().optional(),
    civic: z.string().optional(),
    postalCode: z.string().optional(),
    locality: z.string().optional(),
    province: z.string().optional(),
    nation: z.string().optional(),
    email: z.string().optional(),
  }),
  causale: z.string().optional(),
  paymentReferences: z
    .array(z.object({ name: z.string(), value: z.string() }))
    .max(5)
    .optional(),
  payerNote: z.string().optional(),
  singleSolution: DocumentOption.optional(),
  instalments: z.array(DocumentOption).max(100).optional(),
  thresholds: z
    .array(DocumentOption.extend({ tipo: z.enum(['ENTRO', 'OLTRE']), giorni: z.number().int() }))
    .max(10)
    .optional(),
});

const AuditQuery = z.object({
  interface: z.string().max(40).optional(),
  operation: z.string().max(80).optional(),
  caller: z.string().max(80).optional(),
  ente: z.string().max(16).optional(),
  iuv: z.string().max(35).optional(),
  outcome: z.string().max(40).optional(),
  correlationId: z.string().max(80).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  ...Page,
});

const ReceiptQuery = z.object({
  iuv: z
    .string()
    .regex(/^\d{15,35}$/)
    .optional(),
  ente: EnteFilter,
  anomaly: z
    .string()
    .regex(/^(true|false|[A-Z_]{1,40})$/, 'true, false o un codice di anomalia')
    .optional(),
  ...Page,
});
const DeliveryQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  ente: EnteFilter,
  operation: z.enum(DELIVERY_OPERATIONS).optional(),
  idMessaggio: z.string().max(35).optional(),
  ...Page,
});
const DeliveryReplayQuery = z.object({ status: z.enum(['FAILING', 'PENDING']).default('FAILING') });
const NotificationParams = z.object({
  cf: z.string().regex(/^\d{11}$/),
  iuv: z.string().regex(/^[0-9A-Za-z]{1,35}$/),
});
const NotificationQuery = z.object({
  status: z.enum(['FAILED', 'RELEASED', 'PENDING']).default('FAILED'),
  ente: EnteFilter,
  ...Page,
});
const ListQuery = z.object({
  ente: EnteFilter,
  status: z.enum(['DA_ELABORARE', 'ELABORATA', 'ERRORE_IN_FASE_DI_ELABORAZIONE']).optional(),
  ...Page,
});
const PrintJobInput = z
  .object({
    listId: z.number().int().positive().optional(),
    filter: z
      .object({
        paymentType: z
          .string()
          .regex(/^[A-Za-z0-9]{4}$/)
          .optional(),
        // a real calendar date (the filter is cast to date in SQL)
        dueFrom: z.iso.date().optional(),
        dueTo: z.iso.date().optional(),
      })
      .strict()
      .refine((f) => !f.dueFrom || !f.dueTo || f.dueFrom <= f.dueTo, {
        message: 'dueFrom non può essere dopo dueTo',
        path: ['dueTo'],
      })
      .optional(),
    format: z.enum(PRINT_FORMATS),
  })
  .strict()
  .refine((b) => (b.listId === undefined) !== (b.filter === undefined), {
    message: 'indicare listId oppure filter (uno dei due)',
    path: ['listId'],
  });
/** A print job, by its public id (random, base64url). */
const PrintJobParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'id di lavoro di stampa') });

function problem(status: number, title: string, detail: string, extra: Record<string, unknown> = {}) {
  return { type: 'about:blank', title, status, detail, ...extra };
}

/** A page of a list read `limit` rows at a time: a full page may have a next one, before its last id. */
function pageOf<T extends { id: number }>(items: T[], limit: number) {
  return { items, nextBefore: items.length === limit ? items.at(-1)!.id : null };
}

/**
 * The administration API, for the intermediary's operators and their tools: enti, payment types,
 * applications and their passphrases, debt positions as operators see them, and the audit journal.
 * Bearer token (CASSA_ADMIN_TOKEN); errors are application/problem+json.
 */
// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async is how Fastify knows it is loaded (a throw becomes a registration error)
export const adminRoutes: FastifyPluginAsyncZod<{ container: Container }> = async (app, { container }) => {
  const { organizations, applications, audit: journal, debtPositions, documents, receipts } = container;

  // Every admin call is journaled, reads included; routes that name an operation keep theirs.
  app.addHook('onRoute', (route) => {
    const config = (route.config ??= {}) as { audit?: { interface: string; operation: string } };
    config.audit ??= {
      interface: 'admin',
      operation: `${String(route.method)} ${route.url.replace('/admin/api/v1', '')}`,
    };
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!hasAdminToken(req, container.adminToken)) {
      if (req.audit) req.audit.caller = 'unauthenticated';
      if (req.audit) req.audit.outcome = 'UNAUTHORIZED';
      return sendAdminUnauthorized(reply);
    }
    if (req.audit) req.audit.caller = 'admin';
  });

  app.setErrorHandler((err: FastifyError | DomainError | ZodError, req, reply) => {
    let status: number;
    let body: ReturnType<typeof problem>;
    if (err instanceof DomainError) {
      status = HTTP_STATUS_OF_KIND[err.kind];
      // a dependency failing or a defect of Cassa's own: an operator must see it
      if (status >= 500) req.log.error({ err }, 'admin api: a domain error of kind %s', err.kind);
      body = problem(status, err.code, err.message, { code: err.code, field: err.field });
    } else if (err instanceof ZodError) {
      status = 400;
      const issue = err.issues[0]!;
      const field = issue.path
        .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
        .join('');
      body = problem(400, 'VALIDATION', `Campo ${field || '(corpo)'}: ${issue.message}`, {
        code: 'VALIDATION',
        field: field || undefined,
      });
    } else if (hasZodFastifySchemaValidationErrors(err)) {
      status = 400;
      const { message, field } = validationMessage(err.validation, err.validationContext);
      body = problem(400, 'VALIDATION', message, { code: 'VALIDATION', field });
    } else if (typeof err.statusCode === 'number' && err.statusCode < 500) {
      status = err.statusCode;
      body =
        err instanceof InvalidInputError
          ? problem(400, 'VALIDATION', err.message, { code: 'VALIDATION', field: err.field })
          : problem(status, 'BAD_REQUEST', err.message);
    } else if (isDatabaseUnavailable(err)) {
      req.log.warn({ db: dbErrorSummary(err) }, 'admin api: database unavailable');
      status = 503;
      body = problem(503, 'DATABASE_UNAVAILABLE', 'database non raggiungibile: riprovare più tardi', {
        code: 'DATABASE_UNAVAILABLE',
      });
      reply.header('retry-after', '5');
    } else {
      req.log.error({ err }, 'admin api internal error');
      status = 500;
      body = problem(500, 'INTERNAL', 'errore interno');
    }
    if (req.audit) req.audit.outcome = body.title;
    return reply.code(status).type('application/problem+json').send(body);
  });

  // Enti creditori
  app.get('/enti', { schema: { tags: ['Admin'], summary: 'List enti creditori', security } }, async () =>
    organizations.listEnti(),
  );
  app.post(
    '/enti',
    {
      config: audit('createEnte'),
      schema: { tags: ['Admin'], summary: 'Create an ente creditore', security, body: EnteInput },
    },
    async (req, reply) => {
      req.audit!.enteFiscalCode = req.body.codiceFiscale;
      return reply.code(201).send(await organizations.createEnte(req.body));
    },
  );
  app.get(
    '/enti/:cf',
    { schema: { tags: ['Admin'], summary: 'Get an ente creditore', security, params: EnteParams } },
    async (req) => organizations.getEnte(req.params.cf),
  );
  app.patch(
    '/enti/:cf',
    {
      config: audit('updateEnte'),
      schema: {
        tags: ['Admin'],
        summary: 'Change an ente creditore',
        security,
        params: EnteParams,
        body: EntePatch,
      },
    },
    async (req) => {
      req.audit!.enteFiscalCode = req.params.cf;
      return organizations.updateEnte(req.params.cf, req.body);
    },
  );
  app.get(
    '/enti/:cf/logo',
    { schema: { tags: ['Admin'], summary: "The ente's logo", security, params: EnteParams } },
    async (req, reply) => {
      const logo = await organizations.getEnteLogo(req.params.cf);
      if (!logo)
        return reply
          .code(404)
          .type('application/problem+json')
          .send(problem(404, 'LOGO_NOT_FOUND', "l'ente non ha un logo"));
      return reply.type(logo.mime).send(logo.data);
    },
  );

  // Payment types
  app.get(
    '/enti/:cf/payment-types',
    { schema: { tags: ['Admin'], summary: 'List payment types of an ente', security, params: EnteParams } },
    async (req) => organizations.listPaymentTypes(req.params.cf),
  );
  app.post(
    '/enti/:cf/payment-types',
    {
      config: audit('createPaymentType'),
      schema: {
        tags: ['Admin'],
        summary: 'Create a payment type (codice versamento)',
        security,
        params: EnteParams,
        body: PaymentTypeInput,
      },
    },
    async (req, reply) => {
      req.audit!.enteFiscalCode = req.params.cf;
      return reply.code(201).send(await organizations.createPaymentType(req.params.cf, req.body));
    },
  );
  app.get(
    '/enti/:cf/payment-types/:code',
    { schema: { tags: ['Admin'], summary: 'Get a payment type', security, params: PaymentTypeParams } },
    async (req) => organizations.getPaymentType(req.params.cf, req.params.code),
  );
  app.patch(
    '/enti/:cf/payment-types/:code',
    {
      config: audit('updatePaymentType'),
      schema: {
        tags: ['Admin'],
        summary: 'Change a payment type',
        security,
        params: PaymentTypeParams,
        body: PaymentTypePatch,
      },
    },
    async (req) => {
      req.audit!.enteFiscalCode = req.params.cf;
      return organizations.updatePaymentType(req.params.cf, req.params.code, req.body);
    },
  );

  // Debt positions, as operators see them (with the status history)
  app.get(
    '/enti/:cf/payment-types/:code/debt-positions/:iuv',
    {
      schema: {
        tags: ['Admin'],
        summary: 'A debt position with its status history',
        security,
        params: PaymentTypeParams.extend({ iuv: z.string().regex(/^\d{15,35}$/) }),
      },
    },
    async (req) => {
      const { enteId, paymentTypeId } = await organizations.resolveIds(req.params.cf, req.params.code);
      const p = await debtPositions.get({ enteId, paymentTypeId }, req.params.iuv);
      return positionView(p, await debtPositions.history(p.id));
    },
  );
  app.get(
    '/enti/:cf/payment-types/:code/debt-positions/:iuv/receipt.pdf',
    {
      // the answer is the receipt on paper: the journal keeps the request only
      config: { audit: { interface: 'admin', operation: 'getReceiptPdf', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: "A paid position's receipt as a PDF (ricevuta di pagamento)",
        description:
          'The positive receipt standing for the payment, printed (docs/printing.md, "The receipt PDF"); `lang=en` prints its labels in English. 404 RECEIPT_NOT_FOUND when the position has no positive receipt.',
        security,
        params: PaymentTypeParams.extend({ iuv: z.string().regex(/^\d{15,35}$/) }),
        querystring: z.object({ lang: z.enum(['it', 'en']).default('it') }).strict(),
      },
    },
    async (req, reply) => {
      req.audit!.enteFiscalCode = req.params.cf;
      req.audit!.iuv = req.params.iuv;
      const { enteId, paymentTypeId } = await organizations.resolveIds(req.params.cf, req.params.code);
      const p = await debtPositions.get({ enteId, paymentTypeId }, req.params.iuv);
      const receipt = await container.receiptPdfs.ofPosition(enteId, p.iuv, req.query.lang);
      req.audit!.detail = `ricevuta ${receipt.receiptId}`.slice(0, 200);
      return sendPdfDownload(reply, receipt.fileName, receipt.pdf);
    },
  );

  app.get(
    '/enti/:cf/payment-types/:code/debt-positions/:iuv/notice.pdf',
    {
      config: { audit: { interface: 'admin', operation: 'getNotice', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: "A debt position's payment notice (avviso pagoPA), as a PDF",
        description:
          "application/pdf, as an attachment avviso-<noticeNumber>.pdf. A position of a document prints the document's notice (single solution and instalments still payable). Paid (178: its receipt under /receipts?iuv=), cancelled (179), expired (187), in payment (177) or an ANONIMO fine still at 0 (163): 409 problem+json; unknown: 404.",
        security,
        params: PaymentTypeParams.extend({ iuv: z.string().regex(/^\d{15,35}$/) }),
      },
    },
    async (req, reply) => {
      const { cf, code, iuv } = req.params;
      Object.assign(req.audit!, { enteFiscalCode: cf, iuv });
      let notice;
      try {
        notice = await container.notices.noticePdf({ enteFiscalCode: cf, codiceVersamento: code, iuv });
      } catch (e) {
        // a paid position: its receipt stands for the notice
        if (PrintingError.is(e) && e.errorName === 'PAID')
          throw new PrintingError(
            'PAID',
            `${e.message} (GET /admin/api/v1/receipts?ente=${cf}&iuv=${iuv})`,
            e.field,
          );
        throw e;
      }
      return sendPdfDownload(reply, notice.filename, notice.pdf);
    },
  );

  // Documents (GovPay's documento): single solution, instalments, thresholds (docs/printing.md)
  app.post(
    '/enti/:cf/payment-types/:code/documents',
    {
      config: audit('createDocument'),
      schema: {
        tags: ['Admin'],
        summary: 'Create a document: single solution, instalments and threshold options, in one transaction',
        security,
        params: PaymentTypeParams,
        body: DocumentBody,
      },
    },
    async (req, reply) => {
      req.audit!.enteFiscalCode = req.params.cf;
      const ctx = await documents.operatorContext(req.params.cf, req.params.code);
      const created = await documents.createDocument(ctx, req.body);
      return reply.code(201).send(createdDocumentView(req.params.cf, req.params.code.toUpperCase(), created));
    },
  );
  app.get(
    '/enti/:cf/documents/:identificativo',
    {
      schema: {
        tags: ['Admin'],
        summary: 'A document with its positions: status, place, whether each can be paid now',
        security,
        params: DocumentParams,
      },
    },
    async (req) => {
      const enteId = await documents.enteId(req.params.cf);
      return documentView(req.params.cf, await documents.getDocument(enteId, req.params.identificativo));
    },
  );

  // Applications (gestionali)
  app.get(
    '/applications',
    { schema: { tags: ['Admin'], summary: 'List applications', security } },
    async () => applications.list(),
  );
  app.post(
    '/applications',
    {
      config: audit('createApplication'),
      schema: {
        tags: ['Admin'],
        summary: 'Register an application (gestionale)',
        security,
        body: ApplicationInput,
      },
    },
    async (req, reply) => {
      req.audit!.detail = req.body.codiceChiamante;
      return reply.code(201).send(createdApplicationView(await applications.create(req.body)));
    },
  );
  app.get(
    '/applications/:codiceChiamante',
    { schema: { tags: ['Admin'], summary: 'Get an application', security, params: AppParams } },
    async (req) => applications.get(req.params.codiceChiamante),
  );
  app.patch(
    '/applications/:codiceChiamante',
    {
      config: audit('updateApplication'),
      schema: {
        tags: ['Admin'],
        summary: 'Change an application',
        security,
        params: AppParams,
        body: ApplicationPatch,
      },
    },
    async (req) => {
      req.audit!.detail = req.params.codiceChiamante;
      return applications.update(req.params.codiceChiamante, req.body);
    },
  );
  app.post(
    '/applications/:codiceChiamante/passphrase',
    {
      config: audit('rotatePassphrase'),
      schema: {
        tags: ['Admin'],
        summary: "Rotate an application's passphrase",
        description:
          'Without a body Cassa generates the new passphrase and returns it once. The old passphrase stops working at once.',
        security,
        params: AppParams,
        body: z
          .object({ passphrase: z.string().min(8).max(200).optional() })
          .strict()
          .nullish(),
      },
    },
    async (req) => {
      req.audit!.detail = req.params.codiceChiamante;
      return rotatedPassphraseView(
        await applications.rotatePassphrase(req.params.codiceChiamante, req.body?.passphrase),
      );
    },
  );
  app.delete(
    '/applications/:codiceChiamante/auth-failures',
    {
      config: audit('unblockApplication'),
      schema: {
        tags: ['Admin'],
        summary: "End an application's failed-authentication block",
        description:
          'Clears the failure counter of the codiceChiamante (and of `address`, when given), so that the throttle no longer refuses it before its window ends. See docs/security.md.',
        security,
        params: AppParams,
        querystring: z.object({ address: z.string().min(1).max(64).optional() }).strict(),
      },
    },
    async (req) => {
      req.audit!.detail = [req.params.codiceChiamante, req.query.address].filter(Boolean).join(' ');
      return container.authThrottle.unblock(req.params.codiceChiamante, req.query.address);
    },
  );

  // Audit journal
  app.get(
    '/audit-events',
    {
      // journaled like every call, but not its answer: reading the journal must not copy it into itself
      config: { audit: { interface: 'admin', operation: 'queryAuditEvents', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: 'Query the audit journal',
        description:
          'Newest first. Filters combine; page with `before` = the `nextBefore` of the previous page.',
        security,
        querystring: AuditQuery,
      },
    },
    async (req) => {
      const q = req.query;
      const page = await journal.query({
        interface: q.interface,
        operation: q.operation,
        caller: q.caller,
        enteFiscalCode: q.ente,
        iuv: q.iuv,
        outcome: q.outcome,
        correlationId: q.correlationId,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        before: q.before,
        limit: q.limit,
      });
      return {
        items: page.items.map((e) => ({ ...e, at: e.at.toISOString() })),
        nextBefore: page.nextBefore,
      };
    },
  );
  // Receipts pagoPA sent (paSendRT / paSendRTV2), as operators see them
  app.get(
    '/receipts',
    {
      config: { audit: { interface: 'admin', operation: 'listReceipts', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: 'List receipts',
        description:
          'Newest first. `anomaly=true` lists the receipts that need attention (double payment, cancelled or expired position, unknown IUV...), `anomaly=false` the others, `anomaly=<CODE>` one kind. Page with `before` = the `nextBefore` of the previous page.',
        security,
        querystring: ReceiptQuery,
      },
    },
    async (req) => {
      const q = req.query;
      const anomaly =
        q.anomaly === undefined
          ? undefined
          : q.anomaly === 'true'
            ? true
            : q.anomaly === 'false'
              ? false
              : q.anomaly;
      const page = await receipts.list({
        iuv: q.iuv,
        enteFiscalCode: q.ente,
        anomaly,
        before: q.before,
        limit: q.limit,
      });
      if (q.ente) req.audit!.enteFiscalCode = q.ente;
      if (q.iuv) req.audit!.iuv = q.iuv;
      return { items: page.items.map(receiptView), nextBefore: page.nextBefore };
    },
  );
  app.get(
    '/receipts/:id',
    {
      config: { audit: { interface: 'admin', operation: 'getReceipt', keepResponse: false } },
      schema: { tags: ['Admin'], summary: 'A receipt (JSON)', security, params: IdParams },
    },
    async (req) => {
      const r = await receipts.get(req.params.id);
      req.audit!.enteFiscalCode = r.enteFiscalCode;
      req.audit!.iuv = r.iuv;
      return {
        ...receiptView(r),
        paymentAttemptId: r.paymentAttemptId,
        debtor: r.debtor,
        payer: r.payer,
        transfers: r.transfers,
        metadata: r.metadata,
        xml: `/admin/api/v1/receipts/${r.id}/xml`,
      };
    },
  );
  app.get(
    '/receipts/:id/xml',
    {
      config: { audit: { interface: 'admin', operation: 'getReceiptXml', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: 'The original XML of a receipt, as pagoPA sent it',
        security,
        params: IdParams,
      },
    },
    async (req, reply) => {
      // the bytes as pagoPA sent them: the charset is the one their XML declaration names
      const { bytes, encoding } = await receipts.xml(req.params.id);
      return reply.type(`application/xml; charset=${encoding}`).send(bytes);
    },
  );
  // Liste di carico received over SOAP (Enti2EPaywsoService): status, counts, per-position outcomes
  app.get(
    '/lists',
    {
      config: { audit: { interface: 'admin', operation: 'listLists', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: 'List liste di carico',
        description:
          'Newest first; filter by ente (codice fiscale) and status; page with `before` = the `nextBefore` of the previous page.',
        security,
        querystring: ListQuery,
      },
    },
    async (req) => {
      const q = req.query;
      if (q.ente) req.audit!.enteFiscalCode = q.ente;
      const page = await container.lists.list({
        enteFiscalCode: q.ente,
        status: q.status,
        before: q.before,
        limit: q.limit,
      });
      return { items: page.items.map(listView), nextBefore: page.nextBefore };
    },
  );
  app.get(
    '/lists/:id',
    {
      config: { audit: { interface: 'admin', operation: 'getList', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: 'A lista di carico with its per-position outcomes',
        security,
        params: IdParams,
      },
    },
    async (req, reply) => {
      const l = await container.lists.get(req.params.id);
      if (!l) {
        req.audit!.outcome = 'NOT_FOUND';
        return reply
          .code(404)
          .type('application/problem+json')
          .send(problem(404, 'NOT_FOUND', `lista ${req.params.id} non trovata`));
      }
      req.audit!.enteFiscalCode = l.enteFiscalCode;
      return {
        ...listView(l),
        outcomeDelivery: l.outcomeDelivery && {
          ...l.outcomeDelivery,
          deliveredAt: l.outcomeDelivery.deliveredAt?.toISOString() ?? null,
        },
        items: l.items,
      };
    },
  );
  // --- Mass printing of notices (docs/printing.md "Mass printing") ---
  app.post(
    '/enti/:cf/print-jobs',
    {
      config: audit('createPrintJob'),
      schema: {
        tags: ['Admin'],
        summary: 'Print the notices of a lista di carico or of a filter into one PDF or a ZIP',
        description:
          "The job is printed by a worker; follow it at `location` and download the file when it is DONE. The items are frozen now: the list's positions in its order, or the payable positions of the filter by due date (a document is one notice). A position that cannot be printed when its turn comes (cancelled, paid...) is skipped and listed in the job.",
        security,
        params: EnteParams,
        body: PrintJobInput,
      },
    },
    async (req, reply) => {
      req.audit!.enteFiscalCode = req.params.cf;
      const b = req.body;
      const job = await container.printJobs.create({
        enteFiscalCode: req.params.cf,
        source: b.listId !== undefined ? { listId: b.listId } : { filter: b.filter ?? {} },
        format: b.format,
        createdBy: 'admin',
      });
      const location = printJobUrl(job.id);
      req.audit!.detail = job.id;
      return reply
        .code(202)
        .header('location', location)
        .send({ id: job.id, status: job.status, total: job.total, location });
    },
  );
  app.get(
    '/print-jobs/:id',
    {
      config: { audit: { interface: 'admin', operation: 'getPrintJob', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: 'A print job: status, progress (done of total), skipped notices, the download once DONE',
        security,
        params: PrintJobParams,
      },
    },
    async (req) => {
      const job = await container.printJobs.get(req.params.id);
      req.audit!.enteFiscalCode = job.enteFiscalCode;
      return printJobView(job);
    },
  );
  app.get(
    '/print-jobs/:id/download',
    {
      config: { audit: { interface: 'admin', operation: 'downloadPrintJob', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: "A DONE print job's file (application/pdf or application/zip); 409 before",
        security,
        params: PrintJobParams,
      },
    },
    async (req, reply) => {
      const file = await container.printJobs.download(req.params.id);
      reply.type(file.contentType).header('content-disposition', `attachment; filename="${file.fileName}"`);
      if (file.length !== undefined) reply.header('content-length', String(file.length));
      return reply.send(file.body);
    },
  );

  // --- Outbound deliveries to the gestionali (EPaywso2EntiService) and notifications (issue 5) ---
  const { deliveries, notifications } = container;
  app.get(
    '/deliveries',
    {
      config: { audit: { interface: 'admin', operation: 'listDeliveries', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: 'List outbound deliveries to the gestionali',
        description:
          'Messages to the gestionali (list outcomes, payment notifications, expired notices, RT copies), newest first. `status=FAILING` lists the ones that keep failing (still retried); page with `before` = the `nextBefore` of the previous page.',
        security,
        querystring: DeliveryQuery,
      },
    },
    async (req) => {
      const q = req.query;
      if (q.ente) req.audit!.enteFiscalCode = q.ente;
      const items = await deliveries.list({
        status: q.status,
        enteFiscalCode: q.ente,
        operation: q.operation,
        idMessaggio: q.idMessaggio,
        before: q.before,
        limit: q.limit,
      });
      return pageOf(items, q.limit);
    },
  );
  app.get(
    '/deliveries/:id',
    {
      config: { audit: { interface: 'admin', operation: 'getDelivery', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: 'A delivery: its attempts (newest first), last error and the request body',
        security,
        params: IdParams,
      },
    },
    async (req) => {
      const d = await deliveries.get(req.params.id);
      req.audit!.enteFiscalCode = d.enteFiscalCode;
      return d;
    },
  );
  app.post(
    '/deliveries/:id/replay',
    {
      config: { audit: { interface: 'admin', operation: 'replayDelivery' } },
      schema: {
        tags: ['Admin'],
        summary: 'Send a delivery again now (same IdMessaggio)',
        security,
        params: IdParams,
      },
    },
    async (req, reply) => {
      const d = await deliveries.replay(req.params.id);
      req.audit!.enteFiscalCode = d.enteFiscalCode;
      return reply
        .code(202)
        .send({ id: d.id, idMessaggio: d.idMessaggio, status: d.status, nextAttemptAt: d.nextAttemptAt });
    },
  );
  app.post(
    '/deliveries/replay',
    {
      config: { audit: { interface: 'admin', operation: 'replayDeliveries' } },
      schema: {
        tags: ['Admin'],
        summary: 'Send again now every delivery of a status (default FAILING)',
        security,
        querystring: DeliveryReplayQuery,
      },
    },
    async (req, reply) => reply.code(202).send({ replayed: await deliveries.replayAll(req.query.status) }),
  );
  app.get(
    '/notifications',
    {
      config: { audit: { interface: 'admin', operation: 'listNotifications', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: 'List payment / expiry notifications by state (default FAILED)',
        description:
          "FAILED: notifications that cannot be sent (not representable in PiemontePAY's XSD, or their group kept failing); they are not grouped until replayed, and the gestionale can still read the payment through paymentdata. RELEASED: FAILED ones an operator decided not to send. PENDING: not yet in a message (WAITING, RETRYING, WAITING_FOR_ENDPOINT). Newest first; page with `before` = the `nextBefore` of the previous page.",
        security,
        querystring: NotificationQuery,
      },
    },
    async (req) => {
      const q = req.query;
      if (q.ente) req.audit!.enteFiscalCode = q.ente;
      const items = await notifications.list({
        status: q.status,
        enteFiscalCode: q.ente,
        before: q.before,
        limit: q.limit,
      });
      return pageOf(items, q.limit);
    },
  );
  app.post(
    '/notifications/:id/replay',
    {
      config: { audit: { interface: 'admin', operation: 'replayNotification' } },
      schema: {
        tags: ['Admin'],
        summary: 'Put a FAILED (or RELEASED, or RETRYING) notification back in the queue, due now',
        description:
          'It is grouped into a message at the next pass. 409 when it is already in a message: replay that delivery instead.',
        security,
        params: IdParams,
      },
    },
    async (req, reply) => {
      const n = await notifications.replay(req.params.id);
      Object.assign(req.audit!, { enteFiscalCode: n.enteFiscalCode, iuv: n.iuv });
      return reply.code(202).send(n);
    },
  );
  app.post(
    '/notifications/:id/release',
    {
      config: { audit: { interface: 'admin', operation: 'releaseNotification' } },
      schema: {
        tags: ['Admin'],
        summary: 'Decide that a FAILED notification is not sent',
        description:
          'It stops counting as failed (metrics, alerts). The payment stays readable through paymentdata; a later replay still sends it.',
        security,
        params: IdParams,
      },
    },
    async (req) => {
      const n = await notifications.release(req.params.id);
      Object.assign(req.audit!, { enteFiscalCode: n.enteFiscalCode, iuv: n.iuv });
      return n;
    },
  );
  app.post(
    '/notifications/replay',
    {
      config: { audit: { interface: 'admin', operation: 'replayNotifications' } },
      schema: { tags: ['Admin'], summary: 'Put every FAILED notification back in the queue', security },
    },
    async (_req, reply) => reply.code(202).send({ replayed: await notifications.replayFailed() }),
  );
  app.get(
    '/enti/:cf/notifications/:iuv',
    {
      config: { audit: { interface: 'admin', operation: 'getNotifications', keepResponse: false } },
      schema: {
        tags: ['Admin'],
        summary: 'The notifications of a position (payment, expiry) and the deliveries that carry them',
        security,
        params: NotificationParams,
      },
    },
    async (req) => {
      req.audit!.enteFiscalCode = req.params.cf;
      req.audit!.iuv = req.params.iuv;
      const items = await notifications.ofPosition(req.params.cf, req.params.iuv);
      const ids = [
        ...new Set(
          items.flatMap((n) => [n.idMessaggio, n.rtIdMessaggio]).filter((x): x is string => x !== null),
        ),
      ];
      const messages = (
        await Promise.all(ids.map((idMessaggio) => deliveries.list({ idMessaggio, limit: 20 })))
      ).flat();
      return { items, deliveries: messages };
    },
  );
};

const printJobUrl = (id: string) => `/admin/api/v1/print-jobs/${id}`;

function printJobView(j: PrintJobView) {
  return {
    ...j,
    createdAt: j.createdAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
    expiresAt: j.expiresAt?.toISOString() ?? null,
    downloadUrl: j.status === 'DONE' ? `${printJobUrl(j.id)}/download` : null,
  };
}

function listView<T extends { applicationId: number; receivedAt: Date; processedAt: Date | null }>(l: T) {
  const { applicationId: _app, ...rest } = l;
  return {
    ...rest,
    receivedAt: l.receivedAt.toISOString(),
    processedAt: l.processedAt?.toISOString() ?? null,
  };
}
