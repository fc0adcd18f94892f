#!/usr/bin/env node
// The demo gestionale "Pagamenti Vari del Comune di Alessandria" (docs/demo-gestionale.md). Runs the
// compiled build (`npm run build` builds it into dist/demo-gestionale with demo-gestionale/tsconfig.json).
import { existsSync } from 'node:fs';

const entry = new URL('../../dist/demo-gestionale/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'demo-gestionale: the build is missing; run `npm run build` (or `npx tsc -p demo-gestionale/tsconfig.json`) first\n',
  );
  process.exit(2);
}
const { run } = await import(entry.href);
await run(process.argv.slice(2));
