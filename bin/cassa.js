#!/usr/bin/env node
// Cassa's command line. Runs the compiled build (npm install builds it; `npm run build` rebuilds).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('cassa: the build is missing; run `npm install` (or `npm run build`) first\n');
  process.exit(2);
}
const { run } = await import(entry.href);
await run(process.argv.slice(2));
