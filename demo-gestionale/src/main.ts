import { buildDemoGestionale } from './app.js';
import { GestionaleConfigError, loadGestionaleConfig, returnUrlOf } from './config.js';

const HELP = `Demo gestionale "Pagamenti Vari del Comune di Alessandria": lists a citizen's positions, sends
him to Cassa's Sportello to pay them and receives the outcome (docs/demo-gestionale.md).

Usage:
  npm run demo-gestionale            start it (environment: GEST_*, CASSA_URL; see docs/demo-gestionale.md)
`;

/** Cassa may still be starting (npm start launches both): retry the demo positions for a while. */
async function loadWithRetry(
  load: () => Promise<{ created: number; replayed: number }>,
  log: (msg: string) => void,
): Promise<{ created: number; replayed: number }> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await load();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      if (attempt === 1 || attempt % 10 === 0) log(`waiting for Cassa: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export async function run(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
    process.stdout.write(HELP);
    return;
  }
  let config;
  try {
    config = loadGestionaleConfig();
  } catch (e) {
    if (e instanceof GestionaleConfigError) {
      process.stderr.write(`demo-gestionale: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const app = await buildDemoGestionale(config);
  const loaded = await loadWithRetry(
    () => app.gestionale.loadDemoPositions(),
    (m) => app.log.warn(m),
  );
  app.log.info(loaded, 'demo positions ready');
  await app.listen({ host: config.host, port: config.port });
  process.stdout.write(
    [
      '',
      `Demo gestionale "Pagamenti Vari del Comune di Alessandria" on ${config.publicUrl}`,
      `  caller ${config.codiceChiamante} of ente ${config.ente}, payment type ${config.paymentType}; Cassa at ${config.cassaUrl}`,
      `  return URL (must be the one registered in Cassa for ${config.codiceChiamante}): ${returnUrlOf(config)}`,
      `  digest separator '${config.digestSeparator}', return digest mode ${config.returnDigestMode}`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
