import { parseArgs } from 'node:util';
import { buildSimulator } from './app.js';
import { loadSimConfig, SimConfigError } from './config.js';
import type { PagoPaQr } from './notice-scan.js';

const HELP = `Simulator of the pagoPA node, Checkout and a PSP, for developing against Cassa offline.

Usage:
  npm run simulator                       start it (environment: SIM_*, see docs/simulator.md)
  npm run simulator -- serve              same
  npm run simulator -- pay --fiscal-code 00429440068 --notice 001190280072147087 [--amount-cents 10000]
                                          pay a notice "at a PSP" through a running simulator
                                          (verify + activation + receipt)
  npm run simulator -- pay --pdf avviso.pdf [--notice NNN]
                                          "scan" a printed notice as a PSP's app does: read its pagoPA
                                          QR codes (pdftoppm + ZXing) and pay the one given by --notice,
                                          else the first (a document's single solution)
  npm run simulator -- probe --fiscal-code 00429440068
                                          send the node's stand-in probe through a running simulator

Options of pay / probe:
  --url URL           the running simulator (default $SIM_PUBLIC_URL, else http://127.0.0.1:$SIM_PORT, port 8090 by default)
  --version 1|2       primitive version of this payment (pay only; default: the simulator's)
`;

async function control(url: string, path: string, body: unknown): Promise<number> {
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (e) {
    process.stderr.write(
      `simulator: cannot reach ${url} (${(e as Error).message}); start it with \`npm run simulator\`\n`,
    );
    return 2;
  }
  const text = await res.text();
  try {
    process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  } catch {
    process.stdout.write(`${text}\n`);
  }
  return res.ok ? 0 : 1;
}

/**
 * The pagoPA QR code to pay from a notice PDF: the one for `notice` when given, else the first found
 * (page order). Prints what was read; undefined (after saying why) when nothing fits.
 */
async function pickFromPdf(file: string, notice: string | undefined): Promise<PagoPaQr | undefined> {
  let pages;
  try {
    // loaded on demand: ZXing's WebAssembly is for this command only
    const { scanNoticePdf } = await import('./notice-scan.js');
    pages = await scanNoticePdf(file);
  } catch (e) {
    process.stderr.write(`simulator: cannot read ${file}: ${(e as Error).message}\n`);
    return undefined;
  }
  const codes = pages.flatMap((p) => p.qrCodes.map((qr) => ({ page: p.page, qr })));
  for (const { page, qr } of codes) {
    process.stderr.write(
      `page ${page}: avviso ${qr.noticeNumber}, ente ${qr.fiscalCode}, ${(qr.amountCents / 100).toFixed(2)} EUR\n`,
    );
  }
  const chosen = notice ? codes.find((c) => c.qr.noticeNumber === notice) : codes[0];
  if (!chosen) {
    process.stderr.write(
      notice
        ? `simulator: no pagoPA QR code for notice ${notice} in ${file}\n`
        : `simulator: no pagoPA QR code found in ${file}\n`,
    );
    return undefined;
  }
  return chosen.qr;
}

async function serve(): Promise<void> {
  const config = loadSimConfig();
  const sim = await buildSimulator(config);
  const base = await sim.listen();
  process.stdout.write(
    [
      '',
      `pagoPA simulator listening on ${base}`,
      `  Checkout EC API:  ${config.publicUrl}/checkout/ec/v2/carts (and /v1)${config.subscriptionKey ? ' — subscription key required' : ''}`,
      `  Station (EC):     ${config.stationUrl}  idBrokerPA ${config.idBrokerPA}  idStation ${config.idStation}  primitives V${config.primitiveVersion}`,
      `  Control API:      ${base}/sim/...   (see docs/simulator.md)`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    sim.logger.info({ signal }, 'stopping');
    await sim.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

export async function run(argv: string[]): Promise<void> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'fiscal-code': { type: 'string' },
        notice: { type: 'string' },
        pdf: { type: 'string' },
        'amount-cents': { type: 'string' },
        url: { type: 'string' },
        version: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`simulator: ${(e as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  const [cmd = 'serve'] = args.positionals;
  const v = args.values;
  if (v.help || cmd === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const url = v.url ?? process.env.SIM_PUBLIC_URL ?? `http://127.0.0.1:${process.env.SIM_PORT || 8090}`;
  try {
    switch (cmd) {
      case 'serve':
        await serve();
        return;
      case 'pay': {
        const scanned = v.pdf ? await pickFromPdf(v.pdf, v.notice) : undefined;
        if (v.pdf && !scanned) {
          process.exitCode = 1;
          return;
        }
        const fiscalCode = scanned?.fiscalCode ?? v['fiscal-code'];
        const noticeNumber = scanned?.noticeNumber ?? v.notice;
        if (!fiscalCode || !noticeNumber) {
          throw new SimConfigError('pay needs --fiscal-code and --notice, or --pdf');
        }
        const body: Record<string, unknown> = { fiscalCode, noticeNumber };
        // the QR code's amount is what the PSP's app shows and pays, unless told otherwise
        if (v['amount-cents']) body.amountCents = Number(v['amount-cents']);
        else if (scanned) body.amountCents = scanned.amountCents;
        if (v.version) body.version = Number(v.version);
        process.exitCode = await control(url, '/sim/psp/payments', body);
        return;
      }
      case 'probe':
        if (!v['fiscal-code']) throw new SimConfigError('probe needs --fiscal-code');
        process.exitCode = await control(url, '/sim/stand-in/probe', { fiscalCode: v['fiscal-code'] });
        return;
      default:
        throw new SimConfigError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof SimConfigError) {
      process.stderr.write(`simulator: ${e.message}\n\n${HELP}`);
      process.exit(2);
    }
    throw e;
  }
}
