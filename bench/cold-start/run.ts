/**
 * Offline cold start: from navigation, with the network off and the service worker stopped (as Chromium
 * stops it 30 s after the app was last used), until the dashboard's `widgets` cards are painted: the SW
 * starts, serves the precached shell, and the tab paints identity, dashboard list and replica from
 * IndexedDB. Peer: the same app, online, in a context where service workers are blocked, so the shell
 * comes from the server over HTTP (a repeat visit: the browser's HTTP cache holds the hashed assets,
 * index.html is revalidated) and the tab paints from the same IndexedDB records (copied over from the
 * first context: without its service worker the app has no other source of data).
 *
 * Measured in the page from its navigation start (timeOrigin) to the frame after the last card appeared
 * (bench/lib/probe.ts). Runs alternate offline/online, each in a new tab, after warm-up runs of each.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { goOffline, serviceWorkerControl } from '../../tests/kit/browser.ts';
import { signIn } from '../../tests/kit/app.ts';
import { startKitServer } from '../../tests/kit/server.ts';
import { launchChromium, snapshotDist, tracer, until } from '../lib/browser.ts';
import { prepareBoard } from '../lib/fieldboard.ts';
import { probeOf, probeScript } from '../lib/probe.ts';
import { summarize } from '../lib/stats.ts';

export interface ColdStartOptions {
  runs: number;
  warmup: number;
  widgets: number;
}

type Summary = ReturnType<typeof summarize>;
export interface ColdStartResult {
  widgets: number;
  /** Navigation start to the painted dashboard, ms. */
  offline: Summary;
  online: Summary;
}

type Dump = { store: string; inline: boolean; keys: unknown[]; values: unknown[] }[];

/** Every record of Fieldboard's IndexedDB in this origin. */
function exportDb(page: Page): Promise<Dump> {
  return page.evaluate(
    () =>
      new Promise<Dump>((res, rej) => {
        const open = indexedDB.open('fieldboard');
        open.onerror = () => rej(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const names = [...db.objectStoreNames];
          const tx = db.transaction(names);
          const out: Dump = names.map((store) => ({ store, inline: tx.objectStore(store).keyPath !== null, keys: [], values: [] }));
          for (const d of out) {
            const s = tx.objectStore(d.store);
            s.getAllKeys().onsuccess = (e) => (d.keys = (e.target as IDBRequest<IDBValidKey[]>).result);
            s.getAll().onsuccess = (e) => (d.values = (e.target as IDBRequest<unknown[]>).result);
          }
          tx.oncomplete = () => (db.close(), res(out));
          tx.onerror = () => rej(tx.error);
        };
      }),
  );
}

function importDb(page: Page, dump: Dump): Promise<void> {
  return page.evaluate(
    (stores) =>
      new Promise<void>((res, rej) => {
        const open = indexedDB.open('fieldboard');
        open.onerror = () => rej(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(stores.map((d) => d.store), 'readwrite');
          for (const d of stores) {
            const s = tx.objectStore(d.store);
            d.values.forEach((v, i) => (d.inline ? s.put(v) : s.put(v, d.keys[i] as IDBValidKey)));
          }
          tx.oncomplete = () => (db.close(), res());
          tx.onerror = () => rej(tx.error);
        };
      }),
    dump,
  );
}

/** One cold start in a new tab: navigation start to the painted dashboard, ms. */
async function coldStart(context: BrowserContext): Promise<number> {
  const page = await context.newPage();
  try {
    await page.goto('/');
    await page.waitForFunction(() => (window as unknown as { __probe: { cold: unknown } }).__probe.cold !== null, null, { timeout: 30_000 });
    return (await probeOf.cold(page))!.paint;
  } finally {
    await page.close();
  }
}

async function newAppContext(browser: Browser, url: string, widgets: number, serviceWorkers: 'allow' | 'block'): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: url, serviceWorkers });
  await context.addInitScript(probeScript({ coldStartWidgets: widgets }));
  return context;
}

export async function runColdStart(opts: ColdStartOptions): Promise<ColdStartResult> {
  const lap = tracer('cold-start');
  const dist = snapshotDist();
  const [server, browser] = await Promise.all([startKitServer({ staticDir: dist.dir, env: { LOG_LEVEL: 'warn' } }), launchChromium()]);
  try {
    const board = await prepareBoard(server.url, opts.widgets);
    lap('server, browser, board');

    // Device with the service worker: signed in, dashboard seen once, synced; then offline for good.
    const withSw = await newAppContext(browser, server.url, board.widgets, 'allow');
    const first = await withSw.newPage();
    await signIn(first);
    await until(async () => (await first.locator('section.grid > article').count()) >= board.widgets, 20_000, 'the dashboard');
    await until(async () => /Online/.test((await first.getByRole('status').textContent()) ?? ''), 10_000, 'Online');
    const dump = await exportDb(first);
    await first.goto('about:blank'); // keeps a page for CDP with no app tab open
    await goOffline(withSw);
    const sw = await serviceWorkerControl(first, server.url);
    lap('signed in, synced, offline');

    // The same app with service workers blocked, online, with the same IndexedDB records.
    const noSw = await newAppContext(browser, server.url, board.widgets, 'block');
    const setup = await noSw.newPage();
    await setup.goto('/');
    await until(async () => (await setup.evaluate(() => indexedDB.databases())).some((d) => d.name === 'fieldboard' && d.version! >= 1), 10_000, 'the app database');
    await importDb(setup, dump);
    await setup.close();
    lap('no-SW context');

    const offline: number[] = [];
    const online: number[] = [];
    for (let i = 0; i < opts.warmup + opts.runs; i++) {
      await sw.stop();
      const off = await coldStart(withSw);
      const on = await coldStart(noSw);
      if (i >= opts.warmup) {
        offline.push(off);
        online.push(on);
      }
    }
    lap('runs');
    await sw.detach();
    return { widgets: board.widgets, offline: summarize(offline), online: summarize(online) };
  } finally {
    await browser.close();
    await server.stop();
    dist.remove();
  }
}
