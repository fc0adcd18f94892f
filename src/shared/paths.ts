import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/**
 * The project root, found from this file's place: src/shared/paths.ts and dist/shared/paths.js
 * are both two levels below it, so runtime files (migrations, resources, views) resolve the same
 * way when run from source (tests) and from the build.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function projectPath(...parts: string[]): string {
  return join(ROOT, ...parts);
}
