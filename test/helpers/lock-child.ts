// A process of its own that takes the lock of a data directory, for the lock's tests:
//   node --import tsx test/helpers/lock-child.ts <pgliteDir> [--wait-for <file>] [--exit | --hold]
// It prints `ready` once loaded, waits for <file> to exist when asked (so that several start at once),
// then prints `acquired` (and exits normally with --exit, or holds the lock until killed with --hold)
// or `refused <pid of the holder>` and exits with code 4.
import { existsSync } from 'node:fs';
import { acquireDataDirLock, DataDirLockedError } from '../../src/db/data-dir-lock.js';

const [dir, ...rest] = process.argv.slice(2);
const waitFor = rest.includes('--wait-for') ? rest[rest.indexOf('--wait-for') + 1] : undefined;
process.stdout.write('ready\n');
while (waitFor && !existsSync(waitFor)) await new Promise((r) => setTimeout(r, 2));
try {
  await acquireDataDirLock(dir!);
  process.stdout.write('acquired\n');
} catch (e) {
  if (!(e instanceof DataDirLockedError)) throw e;
  process.stdout.write(`refused ${e.holder.pid}\n`);
  process.exit(4);
}
if (rest.includes('--exit')) process.exit(0);
setInterval(() => undefined, 1000);
