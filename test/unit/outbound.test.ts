import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOutbound } from '../../src/shared/http/outbound.js';

// The one outbound client (shared/http/outbound.ts), against a local HTTP server: how an answer's text
// is read. The gestionali's deliveries keep a leading BOM in what they journal; Checkout reads answers
// as Response.text() does.

let server: Server;
let url: string;
const BOM_ANSWER = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>è</a>', 'utf8')]);

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/big') res.end(Buffer.alloc(2048, 0x61));
      else res.end(BOM_ANSWER);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const call = (path: string, extra: { keepByteOrderMark?: boolean; maxAnswerBytes?: number } = {}) =>
  callOutbound({ url: url + path, method: 'POST', headers: {}, body: 'x', timeoutMs: 10_000, ...extra });

describe('callOutbound: the answer as text', () => {
  it('drops a leading BOM by default, as Response.text() does', async () => {
    const o = await call('/');
    expect(o.kind).toBe('answered');
    if (o.kind === 'answered') expect(o.body).toBe('<a>è</a>');
  });

  it('keeps it when asked (the deliveries journal the answer as it came)', async () => {
    const o = await call('/', { keepByteOrderMark: true });
    if (o.kind !== 'answered') throw new Error(o.kind);
    expect(o.body).toBe('\uFEFF<a>è</a>');
  });

  it('an answer over the cap is not read: unreachable, naming the cap', async () => {
    const o = await call('/big', { maxAnswerBytes: 1024 });
    expect(o).toMatchObject({ kind: 'unreachable', reason: 'answer larger than 1024 bytes' });
  });
});
