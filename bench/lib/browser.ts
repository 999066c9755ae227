/**
 * What the browser benchmarks share: the system Chromium with the flags this machine needs, a private copy
 * of the built app (so a concurrent `vite build` cannot swap files under a run), peers built by Vite in the
 * run itself, a static file server for peer pages, and JS heap readings over CDP for a page and for the
 * origin's service worker.
 */
import { createReadStream, cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { build, type InlineConfig } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tests/kit/chromium.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `fieldboard-bench-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A private copy of dist/ (the built PWA), like the size benchmark's input: run `npm run build` first. */
export function snapshotDist(): { dir: string; remove(): void } {
  const dist = join(ROOT, 'dist');
  if (!existsSync(join(dist, 'sw.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const t = tempDir('dist');
  cpSync(dist, t.dir, { recursive: true });
  return t;
}

const quietBuild = (config: InlineConfig) =>
  build({ configFile: false, logLevel: 'silent', esbuild: { jsx: 'automatic', jsxImportSource: 'preact' }, ...config });

/** A peer page (an index.html and what it imports) built by Vite, minified like the app, into `outDir`. */
export async function buildPage(pageDir: string, outDir: string): Promise<void> {
  await quietBuild({
    root: resolve(ROOT, pageDir),
    build: { outDir, emptyOutDir: false, target: 'es2022', reportCompressedSize: false },
  });
}

/** A service worker script bundled into one classic script, `outDir/sw.js` (registered without type: 'module'). */
export function buildServiceWorker(entry: string, outDir: string): Promise<void> {
  return buildScript(entry, outDir, 'sw.js');
}

/** `entry` and what it imports bundled into one classic script, `outDir/fileName` (minified like the app). */
export async function buildScript(entry: string, outDir: string, fileName: string): Promise<void> {
  await quietBuild({
    root: ROOT,
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir,
      emptyOutDir: false,
      target: 'es2022',
      reportCompressedSize: false,
      copyPublicDir: false,
      rollupOptions: { input: resolve(ROOT, entry), output: { format: 'iife', entryFileNames: fileName } },
    },
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Serves a directory (index.html for anything else page-like). For peer pages that need no backend. */
export async function serveStatic(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let file = resolve(dir, '.' + decodeURIComponent(path));
    if (!file.startsWith(dir) || !existsSync(file) || statSync(file).isDirectory()) file = join(dir, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// ---- Heap ----------------------------------------------------------------------------------------------

/** Used JS heap of a page after a full garbage collection (CDP Runtime.getHeapUsage), in bytes. */
export async function pageHeap(context: BrowserContext, page: Page): Promise<number> {
  const cdp: CDPSession = await context.newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    return usedSize;
  } finally {
    await cdp.detach();
  }
}

/**
 * Used JS heap of the origin's running service worker after a full garbage collection. Playwright exposes
 * no CDP session for workers, so this attaches from the browser session (non-flat) and relays messages.
 */
export async function serviceWorkerHeap(browser: Browser, origin: string): Promise<number> {
  const b = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = (await b.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
    const sw = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(origin));
    if (!sw) throw new Error(`no running service worker for ${origin}`);
    const { sessionId } = (await b.send('Target.attachToTarget', { targetId: sw.targetId, flatten: false })) as { sessionId: string };
    let n = 0;
    const waiting = new Map<number, (m: { result?: unknown; error?: { message: string } }) => void>();
    b.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
      const m = JSON.parse(e.message) as { id?: number; result?: unknown; error?: { message: string } };
      if (m.id !== undefined) waiting.get(m.id)?.(m);
    });
    const send = async <T>(method: string): Promise<T> => {
      const id = ++n;
      const answer = new Promise<{ result?: unknown; error?: { message: string } }>((r) => waiting.set(id, r));
      await b.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) });
      const m = await answer;
      if (m.error) throw new Error(`${method}: ${m.error.message}`);
      return m.result as T;
    };
    await send('HeapProfiler.collectGarbage');
    const { usedSize } = await send<{ usedSize: number }>('Runtime.getHeapUsage');
    await b.send('Target.detachFromTarget', { sessionId });
    return usedSize;
  } finally {
    await b.detach();
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true; throws with `what` after `timeoutMs`. */
export async function until(fn: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 25): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await fn())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Phase timings on stderr when FIELDBOARD_BENCH_TRACE=1: where a benchmark's own time goes. */
export function tracer(name: string): (phase: string) => void {
  if (process.env.FIELDBOARD_BENCH_TRACE !== '1') return () => {};
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    process.stderr.write(`  [${name}] ${phase}: ${Math.round(now - last)} ms\n`);
    last = now;
  };
}
