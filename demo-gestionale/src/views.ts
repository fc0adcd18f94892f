import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

/**
 * The templates live in demo-gestionale/views: found by walking up from this file, so that it works
 * from demo-gestionale/src (tests run the sources) and from dist/demo-gestionale (built).
 */
export function viewsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'views'), join(dir, 'demo-gestionale', 'views')]) {
      if (existsSync(join(candidate, 'layout.eta'))) return candidate;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error('demo-gestionale: the views directory (demo-gestionale/views) was not found');
}

/** bootstrap-italia's dist directory (CSS, fonts, icons), served under /static/bootstrap-italia/. */
export function bootstrapItaliaDist(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('bootstrap-italia/package.json')), 'dist');
}

export class Views {
  private readonly eta: Eta;
  readonly css: string;

  constructor(
    private readonly appName: string,
    dir = viewsDir(),
  ) {
    this.eta = new Eta({ views: dir, cache: true, autoEscape: true });
    this.css = readFileSync(join(dir, 'demo-gestionale.css'), 'utf8');
  }

  render(name: string, title: string, data: Record<string, unknown>): string {
    return this.eta.render(name, { ...data, title, appName: this.appName });
  }
}
