// Preloaded into the Cassa server by `create-positions.mjs --count-queries` (node --import=...).
// Counts the statements the server sends to its database, by kind, without changing what it does:
// node-postgres's Client#query and PGlite's query/exec are wrapped. On SIGUSR2 the counts so far are
// written to stderr as one line: `@@cassa-bench-queries {"total":N,"byKind":{...}}`.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(join(process.cwd(), 'package.json'));
const byKind = new Map();
let total = 0;

function kindOf(text) {
  const t = String(typeof text === 'object' && text !== null ? text.text : text)
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
  // enough of the statement to tell them apart, without the values
  return t.replace(/\$\d+/g, '?').slice(0, 70);
}

function count(text) {
  total++;
  const k = kindOf(text);
  byKind.set(k, (byKind.get(k) ?? 0) + 1);
}

try {
  const pg = require('pg');
  const Client = (pg.default ?? pg).Client;
  const query = Client.prototype.query;
  Client.prototype.query = function countedQuery(config, ...rest) {
    count(config);
    return query.call(this, config, ...rest);
  };
} catch {
  /* no pg: PGlite only */
}

/** The ESM entry of a package as the server imports it (require.resolve gives the CommonJS one). */
function esmEntry(name) {
  let dir = dirname(require.resolve(name));
  while (
    !existsSync(join(dir, 'package.json')) ||
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name
  ) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json of ${name} not found`);
    dir = up;
  }
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const e = pkg.exports?.['.'] ?? pkg.exports;
  const imp = e?.import?.default ?? e?.import ?? pkg.module ?? pkg.main;
  return pathToFileURL(realpathSync(join(dir, imp))).href;
}

try {
  const { PGlite } = await import(esmEntry('@electric-sql/pglite'));
  for (const m of ['query', 'exec']) {
    const orig = PGlite.prototype[m];
    PGlite.prototype[m] = function countedPglite(text, ...rest) {
      count(text);
      return orig.call(this, text, ...rest);
    };
  }
} catch {
  /* no PGlite */
}

process.on('SIGUSR2', () => {
  const kinds = Object.fromEntries([...byKind].sort((a, b) => b[1] - a[1]));
  process.stderr.write(`@@cassa-bench-queries ${JSON.stringify({ total, byKind: kinds })}\n`);
});
