/**
 * Outbox drain after a long offline period: N `counter.add` mutations wait offline, the network comes back,
 * and the clock runs until the server has applied all N and nothing is pending in the browser.
 *
 * - Fieldboard: a signed-in tab, offline; the N entries are written into the service worker's IndexedDB
 *   outbox exactly as its append writes them (same schema, `queued`, in order, `base` from the replica),
 *   in one transaction, and the tab is reloaded so it paints "N pending" from IndexedDB. (Queuing them
 *   one by one through the SW's `mutate` command is not used for setup: every append re-reads and
 *   re-broadcasts the whole outbox, so that is quadratic; what one more click costs with N pending is
 *   measured, against the same click with an empty outbox.) The drain covers those few clicks too. Then `setOffline(false)`: the tab relays `online`, the SW reconnects and drains.
 * - Peer: Workbox's `workbox-background-sync` Queue (bench/drain/workbox-peer, built by Vite in this run)
 *   in its own page and service worker against its own Fieldboard server. Offline, the page POSTs the same
 *   N mutations to /api/push, one mutation per request (the same endpoint, validation and SQLite commit
 *   per mutation); the SW's fetch handler puts each failed request in the Queue. Then `setOffline(false)`:
 *   Chromium fires `sync` and the Queue replays them one request at a time, in order.
 *
 * Done = the server's change log holds N changes from that client (read from its SQLite file) and the
 * browser's queue is empty (Fieldboard's outbox store / Workbox's `requests` store). Exactly once is
 * checked three ways: N changes, the counter moved by exactly N, and the server answered `applied` N times
 * (a replayed request would answer `applied` again from the idempotency record and show up there).
 *
 * Also here, because the state exists here: JS heap of the tab and of the service worker with N pending,
 * against the same app with an empty outbox; and the server's own apply rate without a browser, N
 * mutations pushed over one socket in batches of 500 against the same N as one HTTP POST each.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import WebSocket from 'ws';
import { newClientId, type ClientId } from '../../protocol/index.ts';
import { goOffline, goOnline } from '../../tests/kit/browser.ts';
import { signIn } from '../../tests/kit/app.ts';
import { startKitServer, type KitServer } from '../../tests/kit/server.ts';
import { BENCH_LIMITS_ENV } from '../lib/limits.ts';
import {
  buildPage,
  buildScript,
  buildServiceWorker,
  launchChromium,
  pageHeap,
  serviceWorkerHeap,
  sleep,
  snapshotDist,
  tempDir,
  tracer,
  until,
} from '../lib/browser.ts';
import { COUNTER_TITLE, appliedAnswers, counterValue, mutation, openServerDb, prepareBoard, push, type Board } from '../lib/fieldboard.ts';
import { probeOf, probeScript } from '../lib/probe.ts';
import { summarize } from '../lib/stats.ts';

export interface DrainOptions {
  mutations: number;
}

export interface DrainSide {
  /** From `setOffline(false)` to all applied and nothing pending, ms. */
  drainMs: number;
  /** Changes from this client in the server's log (N when exactly once). */
  applied: number;
  /** How far the counter moved (N when exactly once). */
  counterDelta: number;
  /** `applied` answers the server gave (N unless something was sent twice). */
  appliedAnswers: number;
}

export interface DrainResult {
  n: number;
  fieldboard: DrainSide & {
    heap: { pageEmpty: number; pagePending: number; swEmpty: number; swPending: number };
    /** Offline click to painted frame (median of 3), with an empty outbox and with N pending, ms. */
    click: { empty: number; pending: number };
  };
  workbox: DrainSide & { enqueueMs: number };
  serverRate: { batchedPerSec: number; perRequestPerSec: number };
}

const SETTLE_MS = 3_000;

/**
 * Brings the network back and waits for "done": the server holds `n + extra` changes from `clientId` and
 * the browser's queue is empty. The exactly-once figures leave the `extra` (mutations queued besides the
 * N) out.
 */
async function goOnlineAndDrain(
  context: BrowserContext,
  server: KitServer,
  board: Board,
  db: ReturnType<typeof openServerDb>,
  clientId: string,
  n: number,
  extra: number,
  queueLength: () => Promise<number>,
): Promise<DrainSide> {
  const counterBefore = await counterValue(board);
  const answersBefore = await appliedAnswers(server.url);
  const t0 = performance.now();
  await goOnline(context);
  await until(() => db.appliedBy(clientId) >= n + extra, 300_000, `${n + extra} applied on the server`, 20);
  await until(async () => (await queueLength()) === 0, 60_000, 'an empty browser queue', 20);
  const drainMs = performance.now() - t0;
  return {
    drainMs,
    applied: db.appliedBy(clientId) - extra,
    counterDelta: (await counterValue(board)) - counterBefore - extra,
    appliedAnswers: (await appliedAnswers(server.url)) - answersBefore - extra,
  };
}

/** Count of an IndexedDB store in the page's origin. */
async function idbCount(page: Page, db: string, store: string): Promise<number> {
  return page.evaluate(
    ([name, storeName]) =>
      new Promise<number>((res, rej) => {
        const open = indexedDB.open(name);
        open.onerror = () => rej(open.error);
        open.onsuccess = () => {
          const d = open.result;
          if (!d.objectStoreNames.contains(storeName)) return res(-1);
          const req = d.transaction(storeName).objectStore(storeName).count();
          req.onsuccess = () => (d.close(), res(req.result));
          req.onerror = () => rej(req.error);
        };
      }),
    [db, store] as const,
  );
}

/** The seeding script (bench/drain/seed.ts), bundled: it writes through the local-database module. */
async function seedScript(): Promise<string> {
  const out = tempDir('drain-seed');
  try {
    await buildScript('bench/drain/seed.ts', out.dir, 'seed.js');
    return readFileSync(join(out.dir, 'seed.js'), 'utf8');
  } finally {
    out.remove();
  }
}

/** Writes N queued `counter.add` entries into the worker's outbox as its append would (bench/drain/seed.ts). */
async function seedOutbox(page: Page, script: string, n: number, dashboardId: string, widgetId: string): Promise<string> {
  // Evaluated over the DevTools protocol: the app's Content-Security-Policy refuses inline script tags.
  await page.evaluate(script);
  return page.evaluate(
    ([count, d, w]) =>
      (window as unknown as { fieldboardSeedOutbox(n: number, d: string, w: string): Promise<string> }).fieldboardSeedOutbox(count, d, w),
    [n, dashboardId, widgetId] as const,
  );
}

const statusText = async (page: Page) => (await page.getByRole('status').textContent()) ?? '';

/** Offline clicks on Increment, each until painted and durably queued; the median click-to-paint, ms. */
async function offlineClicks(page: Page, k: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < k; i++) {
    const queued = await idbCount(page, 'fieldboard', 'outbox');
    const shown = Number(await probeOf.value(page, COUNTER_TITLE));
    const { x, y } = await probeOf.arm(page, COUNTER_TITLE, String(shown + 1), 30_000);
    await page.mouse.click(x, y);
    samples.push((await probeOf.result(page)).paint - (await probeOf.lastInput(page)));
    await until(async () => (await idbCount(page, 'fieldboard', 'outbox')) > queued, 30_000, 'the edit in the outbox');
  }
  return summarize(samples).p50;
}

/** Clicks measured offline with an empty outbox and again with N pending; they drain with the N. */
const CLICKS = 3;

export async function fieldboardSide(browser: Browser, server: KitServer, board: Board, n: number): Promise<DrainResult['fieldboard']> {
  const seed = await seedScript();
  const context = await browser.newContext({ baseURL: server.url });
  await context.addInitScript(probeScript());
  const page = await context.newPage();
  const db = openServerDb(server.databasePath);
  try {
    await signIn(page);
    await page.getByRole('article', { name: COUNTER_TITLE }).waitFor();
    await until(async () => /Online/.test(await statusText(page)), 10_000, 'Online');
    await goOffline(context);
    await until(async () => /Offline/.test(await statusText(page)), 10_000, 'Offline');

    // The same offline tab, freshly loaded, with an empty outbox and then with N pending.
    await page.reload();
    await page.getByRole('article', { name: COUNTER_TITLE }).waitFor();
    // Heap once the tab has settled: a broadcast arriving just after the tab's IndexedDB read holds a
    // second copy of the outbox for a moment (10,000 entries: about 6 MB, gone within a second or two).
    await sleep(SETTLE_MS);
    const pageEmpty = await pageHeap(context, page);
    const swEmpty = await serviceWorkerHeap(browser, server.url);
    const clickEmpty = await offlineClicks(page, CLICKS);

    const clientId = await seedOutbox(page, seed, n, board.dashboardId, board.counterId);
    await page.reload();
    await page.getByText(`${n + CLICKS} pending`).waitFor({ timeout: 120_000 });
    await sleep(SETTLE_MS);
    const pagePending = await pageHeap(context, page);
    const swPending = await serviceWorkerHeap(browser, server.url);
    const clickPending = await offlineClicks(page, CLICKS);

    // The drain covers the 2 x CLICKS clicks too; the exactly-once figures leave them out.
    const side = await goOnlineAndDrain(context, server, board, db, clientId, n, 2 * CLICKS, () => idbCount(page, 'fieldboard', 'outbox'));
    return {
      ...side,
      heap: { pageEmpty, pagePending, swEmpty, swPending },
      click: { empty: clickEmpty, pending: clickPending },
    };
  } finally {
    db.close();
    await context.close();
  }
}

/** The Workbox peer: page + SW built into a static dir that a second Fieldboard server serves. */
async function buildWorkboxPeer(outDir: string): Promise<void> {
  await buildPage('bench/drain/workbox-peer', outDir);
  await buildServiceWorker('bench/drain/workbox-peer/sw.ts', outDir);
}

async function workboxSide(browser: Browser, server: KitServer, board: Board, n: number): Promise<DrainResult['workbox']> {
  const context: BrowserContext = await browser.newContext({ baseURL: server.url });
  await context.addInitScript(probeScript()); // only for the __name helper of functions evaluated here
  const page = await context.newPage();
  const db = openServerDb(server.databasePath);
  const clientId = newClientId();
  try {
    await page.goto('/');
    await page.evaluate(() => (window as unknown as { peerReady: Promise<void> }).peerReady);
    const login = await page.evaluate(async () => {
      const r = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'demo', password: 'demo' }) });
      return r.status;
    });
    if (login !== 204) throw new Error(`peer login: HTTP ${login}`);

    await goOffline(context);
    const bodies = Array.from({ length: n }, () =>
      JSON.stringify({ clientId, mutations: [mutation(clientId, board.dashboardId, { name: 'counter.add', args: { widgetId: board.counterId, delta: 1 } })] }),
    );
    const e0 = performance.now();
    const queued = await page.evaluate(
      (list) => (window as unknown as { enqueue(r: { url: string; body: string }[]): Promise<number> }).enqueue(list.map((body) => ({ url: '/api/push', body }))),
      bodies,
    );
    const enqueueMs = performance.now() - e0;
    if (queued !== n) throw new Error(`the Workbox peer queued ${queued} of ${n}`);

    const side = await goOnlineAndDrain(context, server, board, db, clientId, n, 0, () => idbCount(page, 'workbox-background-sync', 'requests'));
    return { ...side, enqueueMs };
  } finally {
    db.close();
    await context.close();
  }
}

/** The server alone: N mutations over one socket, 500 per push, then N more as one HTTP POST each. */
async function serverRate(server: KitServer, board: Board, n: number): Promise<DrainResult['serverRate']> {
  const clientId: ClientId = newClientId();
  const add = () => mutation(clientId, board.dashboardId, { name: 'counter.add', args: { widgetId: board.counterId, delta: 1 } });
  const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/api/ws', {
    headers: { cookie: board.session.cookie, origin: server.url },
    perMessageDeflate: false,
  });
  const waiting = new Map<string, () => void>();
  await new Promise<void>((res, rej) => {
    ws.on('error', rej);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId })));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as { type: string; requestId?: string };
      if (f.type === 'welcome') res();
      if (f.type === 'push-result' || f.type === 'error') waiting.get(f.requestId!)?.();
    });
  });
  const b0 = performance.now();
  for (let i = 0; i < n; i += 500) {
    const requestId = `rate${i}`;
    const done = new Promise<void>((r) => waiting.set(requestId, r));
    ws.send(JSON.stringify({ type: 'push', requestId, mutations: Array.from({ length: Math.min(500, n - i) }, add) }));
    await done;
  }
  const batchedMs = performance.now() - b0;
  ws.terminate();
  const p0 = performance.now();
  for (let i = 0; i < n; i++) await push(board.session, clientId, [add()]);
  const perRequestMs = performance.now() - p0;
  return { batchedPerSec: (n * 1000) / batchedMs, perRequestPerSec: (n * 1000) / perRequestMs };
}

export async function runDrain(opts: DrainOptions): Promise<DrainResult> {
  const n = opts.mutations;
  const lap = tracer('drain');
  const dist = snapshotDist();
  const peerDir = tempDir('workbox-peer');
  const [fbServer, wbServer, browser] = await Promise.all([
    startKitServer({ staticDir: dist.dir, env: { LOG_LEVEL: 'warn', ...BENCH_LIMITS_ENV } }),
    buildWorkboxPeer(peerDir.dir).then(() => startKitServer({ staticDir: peerDir.dir, env: { LOG_LEVEL: 'warn', ...BENCH_LIMITS_ENV } })),
    launchChromium(),
  ]);
  try {
    const fbBoard = await prepareBoard(fbServer.url, 4);
    const wbBoard = await prepareBoard(wbServer.url, 4);
    lap('servers, browser, peer build');
    const fieldboard = await fieldboardSide(browser, fbServer, fbBoard, n);
    lap(`fieldboard (drain ${Math.round(fieldboard.drainMs)} ms)`);
    const workbox = await workboxSide(browser, wbServer, wbBoard, n);
    lap(`workbox (enqueue ${Math.round(workbox.enqueueMs)} ms, drain ${Math.round(workbox.drainMs)} ms)`);
    const rate = await serverRate(fbServer, fbBoard, n);
    lap('server rate');
    return { n, fieldboard, workbox, serverRate: rate };
  } finally {
    await browser.close();
    await Promise.all([fbServer.stop(), wbServer.stop()]);
    dist.remove();
    peerDir.remove();
  }
}

