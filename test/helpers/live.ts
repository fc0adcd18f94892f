import { createServer, type AddressInfo } from 'node:net';
import { buildSimulator, type Simulator } from '../../simulator/src/app.js';
import { simConfig, type SimConfig } from '../../simulator/src/config.js';
import { buildTestApp, type TestApp } from './app.js';

/** The demo intermediary's identifiers, as the simulator's station is configured by default. */
export const DEMO_BROKER = { idBrokerPA: '80087670016', idStation: '80087670016_01' };

export interface LiveCassa extends TestApp {
  /** http://127.0.0.1:<port> */
  url: string;
  soapUrl: string;
}

/**
 * Cassa (buildTestApp: fresh database, migrated) listening on a real port of 127.0.0.1, for peers
 * that talk to it over HTTP — the pagoPA simulator.
 */
export async function startLiveCassa(
  opts: { env?: Record<string, string>; clock?: () => Date } = {},
): Promise<LiveCassa> {
  // HOST and PORT configured as Cassa listens: outside development its public URLs (the Sportello's return
  // URLs, the WSDL's address) are the configured address, never the request's Host header
  const free = await freePort();
  const t = await buildTestApp({
    clock: opts.clock,
    env: {
      CASSA_ID_BROKER_PA: DEMO_BROKER.idBrokerPA,
      CASSA_ID_STATION: DEMO_BROKER.idStation,
      HOST: '127.0.0.1',
      PORT: String(free),
      ...opts.env,
    },
  });
  await t.app.listen({ host: '127.0.0.1', port: free });
  const { port } = t.app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return { ...t, url, soapUrl: `${url}/soap/paForNode` };
}

/** A port of 127.0.0.1 free right now (taken and released). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** The simulator in-process on a free port of 127.0.0.1, with fast receipt retries unless overridden. */
export async function startSimulator(
  overrides: Partial<SimConfig> = {},
): Promise<Simulator & { base: string }> {
  const sim = await buildSimulator(
    simConfig({
      host: '127.0.0.1',
      port: 0,
      publicUrl: 'http://127.0.0.1:0',
      rtRetryIntervalMs: 50,
      rtRetryMax: 5,
      ...DEMO_BROKER,
      ...overrides,
    }),
  );
  const base = await sim.listen();
  return Object.assign(sim, { base });
}
