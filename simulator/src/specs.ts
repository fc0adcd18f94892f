import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the official pagoPA spec files are read from: SIM_SPECS_DIR when given, else the project's
 * single copy resources/specs/pagopa, found by walking up from this file (so it works from
 * simulator/src when tests run the sources and from dist/simulator when run built).
 */
function candidates(configured: string | undefined): string[] {
  const out: string[] = [];
  if (configured) out.push(resolve(configured));
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    out.push(join(dir, 'resources', 'specs', 'pagopa'));
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

export function specFile(relative: string, configured?: string): string {
  for (const dir of candidates(configured)) {
    const p = join(dir, relative);
    if (existsSync(p)) return p;
  }
  throw new Error(
    `pagoPA spec file ${relative} not found (looked in resources/specs/pagopa; set SIM_SPECS_DIR)`,
  );
}

export const PA_FOR_NODE_XSD = 'wsdl/xsd/paForNode.xsd';
export const CHECKOUT_OPENAPI = { 1: 'openapi/checkout_v1.json', 2: 'openapi/checkout_v2.json' } as const;
