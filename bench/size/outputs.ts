/**
 * The JavaScript files a build in `dir` ships, and when a visitor loads each: `app (start)` for the scripts
 * index.html loads or preloads (the entry and its static imports), `app (lazy)` for the chunks fetched only when
 * a screen that needs them opens (docs/service-worker.md: precached, so they work offline), and
 * `service worker` for sw.js (plus any workbox-*.js beside it).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Part = 'app (start)' | 'app (lazy)' | 'service worker';
export interface OutputFile {
  /** Relative to `dir`, e.g. `assets/index-abc.js`. */
  file: string;
  part: Part;
}

export function outputFiles(dir: string): OutputFile[] {
  if (!existsSync(join(dir, 'sw.js'))) throw new Error(`${dir} has no sw.js: run \`npm run build\` first`);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const atStart = new Set([...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.js)"/g)].map((m) => m[1]));
  const app = readdirSync(join(dir, 'assets'))
    .filter((f) => f.endsWith('.js'))
    .map((f): OutputFile => ({ file: `assets/${f}`, part: atStart.has(`assets/${f}`) ? 'app (start)' : 'app (lazy)' }));
  const sw = readdirSync(dir)
    .filter((f) => f === 'sw.js' || /^workbox-.*\.js$/.test(f))
    .map((f): OutputFile => ({ file: f, part: 'service worker' }));
  const order = (f: OutputFile) => (f.part === 'app (start)' ? 0 : 1);
  return [...app.sort((a, b) => order(a) - order(b)), ...sw];
}
