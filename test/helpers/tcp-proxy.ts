import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL, for the outage tests: Cassa's pool connects to it, and the test
 * makes the server vanish (`down`: every connection reset, new ones refused, as in a restart),
 * unresponsive (`blackhole`: connections accepted and never answered, as behind a dead route) or back
 * (`up`, on the same port).
 */
export interface TcpProxy {
  readonly port: number;
  down(): Promise<void>;
  blackhole(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let mode: 'forward' | 'blackhole' = 'forward';
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (mode === 'blackhole') return; // accepted, never answered
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const resetAll = () => {
    for (const s of sockets) s.resetAndDestroy();
    sockets.clear();
  };
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    async down() {
      const closed = stopListening();
      resetAll();
      await closed;
    },
    async blackhole() {
      mode = 'blackhole';
      resetAll();
      if (!server.listening) await listen(port);
    },
    async up() {
      mode = 'forward';
      resetAll();
      if (!server.listening) await listen(port);
    },
    async close() {
      const closed = stopListening();
      resetAll();
      await closed;
    },
  };
}
