#!/usr/bin/env node
// The pagoPA node / Checkout / PSP simulator. Runs the compiled build (`npm run build` builds it
// into dist/simulator with simulator/tsconfig.json).
import { existsSync } from 'node:fs';

const entry = new URL('../../dist/simulator/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'simulator: the build is missing; run `npm run build` (or `npx tsc -p simulator/tsconfig.json`) first\n',
  );
  process.exit(2);
}
const { run } = await import(entry.href);
await run(process.argv.slice(2));
