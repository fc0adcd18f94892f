import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { CartStateError, type CartAction, type Checkout } from './checkout.js';
import type { SimConfig } from './config.js';
import type { Journal } from './journal.js';
import { NodeError, type Delivery, type PagoPaNode } from './node.js';
import { payAtPsp, type PspPaymentResult } from './psp.js';

/**
 * The control API for scripts and tests, under /sim. JSON in, JSON out. Not part of pagoPA.
 */
const fiscalCode = z.string().regex(/^\d{11}$/, 'fiscalCode is 11 digits');
const noticeNumber = z.string().regex(/^\d{18}$/, 'noticeNumber is 18 digits');
const version = z.union([z.literal(1), z.literal(2)]);
const subject = z.object({
  uniqueIdentifier: z.object({
    entityUniqueIdentifierType: z.enum(['F', 'G']),
    entityUniqueIdentifierValue: z.string().min(2).max(16),
  }),
  fullName: z.string().min(1).max(70),
  streetName: z.string().min(1).max(70).optional(),
  civicNumber: z.string().min(1).max(16).optional(),
  postalCode: z.string().min(1).max(16).optional(),
  city: z.string().min(1).max(35).optional(),
  stateProvinceRegion: z.string().min(1).max(35).optional(),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional(),
  'e-mail': z.string().max(256).optional(),
});

const PspPayment = z.object({
  fiscalCode,
  noticeNumber,
  amountCents: z.number().int().min(1).optional(),
  transferType: z.enum(['POSTAL', 'PAGOPA']).optional(),
  feeCents: z.number().int().min(0).optional(),
  payer: subject.optional(),
  version: version.optional(),
  receiptVersion: version.optional(),
});

const StandInReceipt = z.object({
  fiscalCode,
  noticeNumber,
  amountCents: z.number().int().min(1),
  description: z.string().min(1).max(140).optional(),
  companyName: z.string().min(1).max(140).optional(),
  debtor: subject.optional(),
  iban: z.string().min(1).max(35).optional(),
  transferCategory: z.string().min(1).max(140).optional(),
  version: version.optional(),
});

const FaultsPatch = z.object({
  nodeDelayMs: z.number().int().min(0).max(600_000).optional(),
  ecTimeoutMs: z.number().int().min(1).max(600_000).nullable().optional(),
  failReceiptDeliveries: z.number().int().min(0).optional(),
  dropReceipts: z.boolean().optional(),
});

const ConfigPatch = z.object({
  stationUrl: z.url().optional(),
  idBrokerPA: z.string().min(1).max(35).optional(),
  idStation: z.string().min(1).max(35).optional(),
  primitiveVersion: version.optional(),
  rtRetryIntervalMs: z.number().int().min(1).optional(),
  rtRetryMax: z.number().int().min(0).optional(),
  tokenTtlMs: z.number().int().min(1).max(1_800_000).optional(),
});

function bad(reply: FastifyReply, error: z.ZodError) {
  return reply.code(400).send({
    error: 'invalid input',
    issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

function nodeError(reply: FastifyReply, e: unknown) {
  if (e instanceof NodeError)
    return reply
      .code(e.code === 'NOT_FOUND' ? 404 : e.code === 'CONFLICT' ? 409 : 422)
      .send({ error: e.message });
  throw e;
}

/** A delivery without its XML (GET /sim/deliveries/:id?xml=true includes it). */
function deliveryView(d: Delivery, xml = false) {
  const { xml: raw, ...rest } = d;
  return xml ? { ...rest, xml: raw } : rest;
}

export function registerControlRoutes(
  app: FastifyInstance,
  deps: { config: SimConfig; node: PagoPaNode; checkout: Checkout; journal: Journal },
): void {
  const { config, node, checkout, journal } = deps;

  app.get('/sim/health', () => ({ status: 'ok' }));

  app.get('/sim/config', () => ({
    ...config,
    subscriptionKey: config.subscriptionKey ? '***' : undefined,
  }));
  app.patch('/sim/config', async (req, reply) => {
    const p = ConfigPatch.safeParse(req.body ?? {});
    if (!p.success) return bad(reply, p.error);
    for (const [k, v] of Object.entries<unknown>(p.data))
      if (v !== undefined)
        (config as unknown as Record<string, unknown>)[k] =
          k === 'stationUrl' && typeof v === 'string' ? v.replace(/\/+$/, '') : v;
    return { ...config, subscriptionKey: config.subscriptionKey ? '***' : undefined };
  });

  app.get('/sim/faults', () => node.faults);
  app.put('/sim/faults', (req, reply) => {
    const p = FaultsPatch.safeParse(req.body ?? {});
    if (!p.success) return bad(reply, p.error);
    for (const [k, v] of Object.entries<unknown>(p.data))
      if (v !== undefined) (node.faults as unknown as Record<string, unknown>)[k] = v;
    return node.faults;
  });
  app.delete('/sim/faults', () => {
    node.faults = { nodeDelayMs: 0, ecTimeoutMs: null, failReceiptDeliveries: 0, dropReceipts: false };
    return node.faults;
  });

  app.get('/sim/carts', () => checkout.list());
  app.get<{ Params: { id: string } }>(
    '/sim/carts/:id',
    async (req, reply) =>
      checkout.get(req.params.id) ?? reply.code(404).send({ error: `no cart ${req.params.id}` }),
  );
  app.post<{ Params: { id: string; action: string } }>('/sim/carts/:id/:action', async (req, reply) => {
    if (!['pay', 'cancel', 'fail', 'abandon'].includes(req.params.action))
      return reply.code(404).send({ error: `unknown action ${req.params.action}` });
    try {
      return await checkout.act(req.params.id, req.params.action as CartAction);
    } catch (e) {
      if (e instanceof CartStateError)
        return reply.code(e.cart ? 409 : 404).send({ error: e.message, cart: e.cart });
      throw e;
    }
  });

  app.get('/sim/attempts', () => node.listAttempts());
  app.get<{ Params: { token: string } }>(
    '/sim/attempts/:token',
    async (req, reply) =>
      node.getAttempt(req.params.token) ??
      reply.code(404).send({ error: `no payment token ${req.params.token}` }),
  );

  app.get<{ Querystring: { receiptId?: string } }>('/sim/deliveries', (req) =>
    node.listDeliveries({ receiptId: req.query.receiptId }).map((d) => deliveryView(d)),
  );
  app.get<{ Params: { id: string }; Querystring: { xml?: string } }>(
    '/sim/deliveries/:id',
    async (req, reply) => {
      const d = node.getDelivery(Number(req.params.id));
      return d
        ? deliveryView(d, req.query.xml === 'true')
        : reply.code(404).send({ error: `no delivery ${req.params.id}` });
    },
  );
  app.post<{ Params: { id: string } }>('/sim/deliveries/:id/retry', async (req, reply) => {
    try {
      return deliveryView(await node.retryNow(Number(req.params.id)));
    } catch (e) {
      return nodeError(reply, e);
    }
  });

  app.post('/sim/psp/payments', async (req, reply) => {
    const p = PspPayment.safeParse(req.body ?? {});
    if (!p.success) return bad(reply, p.error);
    let r: PspPaymentResult;
    try {
      r = await payAtPsp(node, p.data);
    } catch (e) {
      return nodeError(reply, e);
    }
    return reply
      .code(r.outcome === 'PAID' ? 200 : 422)
      .send({ ...r, delivery: r.delivery && deliveryView(r.delivery) });
  });

  app.post('/sim/stand-in/probe', async (req, reply) => {
    const p = z.object({ fiscalCode }).safeParse(req.body ?? {});
    if (!p.success) return bad(reply, p.error);
    return node.standInProbe(p.data.fiscalCode);
  });

  app.post('/sim/receipts/stand-in', async (req, reply) => {
    const p = StandInReceipt.safeParse(req.body ?? {});
    if (!p.success) return bad(reply, p.error);
    try {
      return deliveryView(await node.standInReceipt(p.data).done);
    } catch (e) {
      return nodeError(reply, e);
    }
  });

  app.post<{ Params: { receiptId: string } }>('/sim/receipts/:receiptId/duplicate', async (req, reply) => {
    try {
      return deliveryView(await node.duplicateReceipt(req.params.receiptId).done);
    } catch (e) {
      return nodeError(reply, e);
    }
  });

  app.get<{ Querystring: { operation?: string; limit?: string; sinceId?: string } }>('/sim/calls', (req) =>
    journal.listCalls({
      operation: req.query.operation,
      limit: req.query.limit ? Number(req.query.limit) : undefined,
      sinceId: req.query.sinceId ? Number(req.query.sinceId) : undefined,
    }),
  );
  app.get('/sim/violations', () => journal.listViolations());

  app.post('/sim/reset', () => {
    node.reset();
    checkout.reset();
    journal.reset();
    return { reset: true };
  });
}
