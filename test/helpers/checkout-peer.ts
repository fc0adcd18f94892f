import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance } from 'fastify';
import { projectPath } from '../../src/shared/paths.js';

/**
 * A stand-in for pagoPA Checkout's EC API over real HTTP: POST /checkout/ec/v1|v2/carts validates
 * the body against the official OpenAPI (checkout_v1.json / checkout_v2.json) and the
 * subscription key, then answers as told (302 with a Location, or a ProblemJson error).
 */
export type PeerMode =
  | { kind: 'redirect'; location?: string }
  | { kind: 'problem'; status: 400 | 401 | 422 | 500; detail?: string }
  | { kind: 'slow'; ms: number }
  | { kind: 'no-location' }
  | { kind: 'ok-200' };

export interface ReceivedCart {
  version: 'v1' | 'v2';
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

function cartValidator(file: string, schemaName: string): ValidateFunction {
  const spec = JSON.parse(readFileSync(projectPath('resources/specs/pagopa/openapi', file), 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  for (const [name, schema] of Object.entries(spec.components.schemas)) {
    ajv.addSchema(
      fromOpenApi30(JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', ''))) as object,
      name,
    );
  }
  // the request body schema the operation declares
  const ref = spec.paths['/carts'].post.requestBody.content['application/json'].schema.$ref as string;
  if (ref.split('/').pop() !== schemaName) throw new Error(`${file}: /carts takes ${ref}, not ${schemaName}`);
  return ajv.getSchema(schemaName)!;
}

/** OpenAPI 3.0's boolean exclusiveMaximum/Minimum to JSON Schema's numeric ones. */
function fromOpenApi30(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fromOpenApi30);
  if (!node || typeof node !== 'object') return node;
  const o = new Map(Object.entries(node).map(([k, v]) => [k, fromOpenApi30(v)]));
  for (const [flag, bound] of [
    ['exclusiveMaximum', 'maximum'],
    ['exclusiveMinimum', 'minimum'],
  ] as const) {
    if (typeof o.get(flag) === 'boolean') {
      if (o.get(flag)) o.set(flag, o.get(bound));
      else o.delete(flag);
      if (o.get(flag) !== undefined) o.delete(bound);
    }
  }
  return Object.fromEntries(o);
}

export interface CheckoutPeer {
  url: string;
  received: ReceivedCart[];
  mode: PeerMode;
  subscriptionKey: string | undefined;
  close(): Promise<void>;
}

export async function startCheckoutPeer(opts: { subscriptionKey?: string } = {}): Promise<CheckoutPeer> {
  const validators = {
    v1: cartValidator('checkout_v1.json', 'CartRequest'),
    v2: cartValidator('checkout_v2.json', 'CartRequestV2'),
  };
  const app: FastifyInstance = Fastify({ logger: false });
  const peer: CheckoutPeer = {
    url: '',
    received: [],
    mode: { kind: 'redirect' },
    subscriptionKey: opts.subscriptionKey,
    close: () => app.close(),
  };
  const problem = (status: number, title: string, detail: string) => ({
    type: 'about:blank',
    title,
    status,
    detail,
    instance: 'about:blank',
  });

  for (const version of ['v1', 'v2'] as const) {
    app.post(`/checkout/ec/${version}/carts`, async (req, reply) => {
      peer.received.push({ version, headers: req.headers, body: req.body });
      if (
        peer.subscriptionKey !== undefined &&
        req.headers['ocp-apim-subscription-key'] !== peer.subscriptionKey
      ) {
        return reply
          .code(401)
          .send({ statusCode: 401, message: 'Access denied due to invalid subscription key.' });
      }
      const validate = validators[version];
      if (!validate(req.body))
        return reply
          .code(400)
          .send(
            problem(
              400,
              'Bad Request',
              validate.errors!.map((e) => `${e.instancePath} ${e.message}`).join('; '),
            ),
          );
      const mode = peer.mode;
      switch (mode.kind) {
        case 'redirect':
          return reply
            .code(302)
            .header(
              'location',
              mode.location ?? `${peer.url}/checkout/carts/${(req.body as { idCart: string }).idCart}`,
            )
            .send();
        case 'problem':
          return reply
            .code(mode.status)
            .type('application/problem+json')
            .send(problem(mode.status, `Error ${mode.status}`, mode.detail ?? 'refused by the peer'));
        case 'slow':
          await new Promise((r) => setTimeout(r, mode.ms));
          return reply.code(302).header('location', `${peer.url}/checkout/carts/late`).send();
        case 'no-location':
          return reply.code(302).send();
        case 'ok-200':
          return reply.code(200).send({ ok: true });
      }
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  peer.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return peer;
}
