/**
 * Size: gzipped JavaScript of Fieldboard's built app and service worker, against the least an app ships to
 * sync with each peer (Replicache; the Firestore web SDK with its offline cache), bundled and minified by
 * the same Vite in the same run, so the figures are comparable and not copied from a website.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { build } from 'vite';

const ROOT = resolve(import.meta.dirname, '../..');

export interface SizeResult {
  appGzipBytes: number;
  swGzipBytes: number;
  replicacheGzipBytes: number;
  firestoreGzipBytes: number;
}

const gz = (buf: Buffer | string) => gzipSync(buf, { level: 9 }).length;

/** Gzipped JS the PWA loads: every chunk under dist/assets, and dist/sw.js (plus workbox chunks if split). */
export function fieldboardSizes(): { app: number; sw: number } {
  const dist = join(ROOT, 'dist');
  if (!existsSync(join(dist, 'sw.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const assets = join(dist, 'assets');
  const app = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .reduce((sum, f) => sum + gz(readFileSync(join(assets, f))), 0);
  const sw = readdirSync(dist)
    .filter((f) => f === 'sw.js' || /^workbox-.*\.js$/.test(f))
    .reduce((sum, f) => sum + gz(readFileSync(join(dist, f))), 0);
  return { app, sw };
}

async function bundleGzip(entry: string): Promise<number> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    root: ROOT,
    build: { write: false, minify: true, rollupOptions: { input: resolve(ROOT, entry) } },
  });
  const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => ('output' in o ? o.output : []));
  return outputs
    .filter((o) => o.type === 'chunk')
    .reduce((sum, o) => sum + gz((o as { code: string }).code), 0);
}

export async function runSize(): Promise<SizeResult> {
  const { app, sw } = fieldboardSizes();
  return {
    appGzipBytes: app,
    swGzipBytes: sw,
    replicacheGzipBytes: await bundleGzip('bench/size/replicache-entry.ts'),
    firestoreGzipBytes: await bundleGzip('bench/size/firestore-entry.ts'),
  };
}
