// `node --import tsx test/helpers/cassa-cli-entry.ts <args>`: the `cassa` command line run from the sources,
// as bin/cassa.js runs the build, for tests that need it as a process of its own (a stale build never hides a change).
import { run } from '../../src/cli/main.js';

await run(process.argv.slice(2));
