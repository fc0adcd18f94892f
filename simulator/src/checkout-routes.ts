import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CartStateError,
  CartValidationError,
  type Cart,
  type CartAction,
  type Checkout,
  type CheckoutVersion,
  type ProblemJson,
} from './checkout.js';
import type { SimConfig } from './config.js';
import { cartPage, messagePage } from './page.js';

const ACTIONS = new Set<CartAction>(['pay', 'cancel', 'fail', 'abandon']);

/** Checkout EC API (POST /carts, v1 and v2) and the payment page the 302 points to. */
export function registerCheckoutRoutes(
  app: FastifyInstance,
  deps: { config: SimConfig; checkout: Checkout },
): void {
  const { config, checkout } = deps;

  // The payment page's forms post application/x-www-form-urlencoded with no field the simulator needs.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  const problem = (reply: FastifyReply, p: ProblemJson) =>
    reply.code(p.status).type('application/problem+json').send(p);

  for (const version of [1, 2] as CheckoutVersion[]) {
    app.post(
      `/checkout/ec/v${version}/carts`,
      {
        // JSON parse errors and wrong content types become ProblemJson too.
        errorHandler: (err, _req, reply) => {
          const status = err.statusCode && err.statusCode < 500 ? 400 : 500;
          problem(reply, {
            type: 'about:blank',
            title: status === 400 ? 'Bad Request' : 'Internal Server Error',
            status,
            detail: err.message,
          });
        },
      },
      async (req, reply) => {
        if (config.subscriptionKey) {
          const key =
            req.headers['ocp-apim-subscription-key'] ??
            (req.query as Record<string, string | undefined>)['subscription-key'];
          if (key !== config.subscriptionKey) {
            // What Azure API Management answers for a missing or wrong key.
            return reply.code(401).send({
              statusCode: 401,
              message:
                key === undefined
                  ? 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.'
                  : 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
            });
          }
        }
        let cart: Cart;
        try {
          cart = checkout.create(version, req.body);
        } catch (e) {
          if (e instanceof CartValidationError) return problem(reply, { ...e.problem, instance: req.url });
          throw e;
        }
        return reply.code(302).header('location', cart.location).send();
      },
    );
  }

  app.get('/checkout/carts/:id', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const cart = checkout.get(req.params.id);
    if (!cart)
      return reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(
          messagePage(
            404,
            'Carrello non trovato',
            'Il carrello richiesto non esiste o il simulatore è stato riavviato.',
          ),
        );
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(cartPage(cart));
  });

  app.post(
    '/checkout/carts/:id/:action',
    async (req: FastifyRequest<{ Params: { id: string; action: string } }>, reply) => {
      const action = req.params.action as CartAction;
      if (!ACTIONS.has(action))
        return reply
          .code(404)
          .type('text/html; charset=utf-8')
          .send(messagePage(404, 'Azione sconosciuta', `Azione "${req.params.action}" non prevista.`));
      let cart: Cart;
      try {
        cart = await checkout.act(req.params.id, action);
      } catch (e) {
        if (e instanceof CartStateError) {
          if (!e.cart)
            return reply
              .code(404)
              .type('text/html; charset=utf-8')
              .send(messagePage(404, 'Carrello non trovato', e.message));
          return reply.code(409).type('text/html; charset=utf-8').send(cartPage(e.cart));
        }
        throw e;
      }
      return reply.code(303).header('location', cart.redirectedTo!).send();
    },
  );
}
