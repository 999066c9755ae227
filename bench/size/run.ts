/**
 * Size: gzipped JavaScript of Fieldboard's built app and service worker, against the least an app ships to
 * sync with each peer (Replicache; the Firestore web SDK with its offline cache), bundled and minified by
 * the same Vite in the same run, so the figures are comparable and not copied from a website.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { outputFiles, type Part } from './outputs.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface SizeResult {
  /** Start + lazy chunks. */
  appGzipBytes: number;
  appStartGzipBytes: number;
  swGzipBytes: number;
  replicacheGzipBytes: number;
  firestoreGzipBytes: number;
}

const gz = (buf: Buffer | string) => gzipSync(buf, { level: 9 }).length;

/**
 * Gzipped JS of the built PWA in dist/ (bench/size/outputs.ts says which file counts where): the app's
 * scripts loaded at start, its lazy chunks (loaded when a screen that needs them opens), and the service
 * worker. `app` is start + lazy: everything a visitor downloads, since the worker precaches every chunk.
 */
export function fieldboardSizes(dir = join(ROOT, 'dist')): { app: number; appStart: number; appLazy: number; sw: number } {
  const sum = (part: Part) =>
    outputFiles(dir)
      .filter((f) => f.part === part)
      .reduce((n, f) => n + gz(readFileSync(join(dir, f.file))), 0);
  const appStart = sum('app (start)');
  const appLazy = sum('app (lazy)');
  return { app: appStart + appLazy, appStart, appLazy, sw: sum('service worker') };
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
  const { app, appStart, sw } = fieldboardSizes();
  return {
    appGzipBytes: app,
    appStartGzipBytes: appStart,
    swGzipBytes: sw,
    replicacheGzipBytes: await bundleGzip('bench/size/replicache-entry.ts'),
    firestoreGzipBytes: await bundleGzip('bench/size/firestore-entry.ts'),
  };
}
