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
 * - Peer (bench/drain/workbox-side.ts): Workbox's `workbox-background-sync` Queue (bench/drain/workbox-peer, built by Vite)
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
 * against the same app with an empty outbox; and, at one size of the curve, the server's own apply rate
 * without a browser (bench/drain/server-rate.ts).
 *
 * One size of the scaling curve (bench/drain/rows.ts) is `runDrainSize`: fresh servers and a fresh browser,
 * each side under its own time limit (bench/lib/deadline.ts), so a side that is quadratic at 100,000 reports
 * where it stood when the limit passed instead of hanging the run.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { goOffline } from '../../tests/kit/browser.ts';
import { signIn } from '../../tests/kit/app.ts';
import { startKitServer, type KitServer } from '../../tests/kit/server.ts';
import { BENCH_LIMITS_ENV } from '../lib/limits.ts';
import { withinLimit, type Outcome, type Progress } from '../lib/deadline.ts';
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
import { COUNTER_TITLE, openServerDb, prepareBoard, type Board } from '../lib/fieldboard.ts';
import { probeOf, probeScript } from '../lib/probe.ts';
import { summarize } from '../lib/stats.ts';
import { goOnlineAndDrain, idbCount, poll, type DrainSide } from './online.ts';
import { serverRate, type ServerRate } from './server-rate.ts';
import { workboxSide, type WorkboxDrain } from './workbox-side.ts';

export type { DrainSide, WorkboxDrain };

export interface DrainSizeOptions {
  mutations: number;
  /** Run the Workbox peer at this size (else its outcome is `not-run` with this reason). */
  peer: true | { skip: string };
  /** Measure the server's own apply rate at this size too. */
  serverRate: boolean;
  /** Time limit of each side, ms. */
  limitMs: { fieldboard: number; workbox: number };
}

export interface FieldboardDrain extends DrainSide {
  heap: { pageEmpty: number; pagePending: number; swEmpty: number; swPending: number };
  /** Offline click to painted frame (median of 3), with an empty outbox and with N pending, ms. */
  click: { empty: number; pending: number };
}

export interface DrainResult {
  n: number;
  fieldboard: Outcome<FieldboardDrain>;
  workbox: Outcome<WorkboxDrain>;
  serverRate: ServerRate | null;
}

const SETTLE_MS = 3_000;

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
async function offlineClicks(progress: Progress, page: Page, k: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < k; i++) {
    const queued = await idbCount(page, 'fieldboard', 'outbox');
    const shown = Number(await probeOf.value(page, COUNTER_TITLE));
    const { x, y } = await probeOf.arm(page, COUNTER_TITLE, String(shown + 1), 120_000);
    await page.mouse.click(x, y);
    samples.push((await probeOf.result(page)).paint - (await probeOf.lastInput(page)));
    await poll(progress, async () => (await idbCount(page, 'fieldboard', 'outbox')) > queued, 'the edit in the outbox', 25);
  }
  return summarize(samples).p50;
}

/** Clicks measured offline with an empty outbox and again with N pending; they drain with the N. */
const CLICKS = 3;

async function fieldboardSide(
  progress: Progress,
  context: BrowserContext,
  browser: Browser,
  server: KitServer,
  board: Board,
  seed: string,
  n: number,
): Promise<FieldboardDrain> {
  await context.addInitScript(probeScript());
  const page = await context.newPage();
  const db = openServerDb(server.databasePath);
  try {
    progress.phase = 'signing in';
    await signIn(page);
    await page.getByRole('article', { name: COUNTER_TITLE }).waitFor();
    await until(async () => /Online/.test(await statusText(page)), 10_000, 'Online');
    await goOffline(context);
    await until(async () => /Offline/.test(await statusText(page)), 10_000, 'Offline');

    // The same offline tab, freshly loaded, with an empty outbox and then with N pending.
    progress.phase = 'measuring the empty outbox';
    await page.reload();
    await page.getByRole('article', { name: COUNTER_TITLE }).waitFor();
    // Heap once the tab has settled: a broadcast arriving just after the tab's IndexedDB read holds a
    // second copy of the outbox for a moment (10,000 entries: about 6 MB, gone within a second or two).
    await sleep(SETTLE_MS);
    const pageEmpty = await pageHeap(context, page);
    const swEmpty = await serviceWorkerHeap(browser, server.url);
    const clickEmpty = await offlineClicks(progress, page, CLICKS);

    progress.phase = `seeding ${n.toLocaleString('en-US')} entries`;
    const clientId = await seedOutbox(page, seed, n, board.dashboardId, board.counterId);
    progress.phase = `reloading until "${n + CLICKS} pending" shows`;
    await page.reload();
    // No timeout of its own (0): the side's time limit closes the context, which ends this wait.
    await page.getByText(`${n + CLICKS} pending`).waitFor({ timeout: 0 });
    await sleep(SETTLE_MS);
    progress.phase = `measuring heap with ${n.toLocaleString('en-US')} pending`;
    const pagePending = await pageHeap(context, page);
    const swPending = await serviceWorkerHeap(browser, server.url);
    progress.phase = `clicking with ${n.toLocaleString('en-US')} pending`;
    const clickPending = await offlineClicks(progress, page, CLICKS);

    // The drain covers the 2 x CLICKS clicks too; the exactly-once figures leave them out.
    const side = await goOnlineAndDrain(progress, context, server, board, db, clientId, n, 2 * CLICKS, () =>
      idbCount(page, 'fieldboard', 'outbox'),
    );
    return {
      ...side,
      heap: { pageEmpty, pagePending, swEmpty, swPending },
      click: { empty: clickEmpty, pending: clickPending },
    };
  } finally {
    db.close();
  }
}

/** One side in its own browser context under its time limit; closing the context is how a late side stops. */
async function limitedSide<T>(browser: Browser, baseURL: string, limitMs: number, side: (p: Progress, c: BrowserContext) => Promise<T>): Promise<Outcome<T>> {
  const context = await browser.newContext({ baseURL });
  try {
    return await withinLimit(limitMs, (p) => side(p, context), () => context.close());
  } finally {
    await context.close();
  }
}

/** What every size shares: the built app, the built Workbox peer and the bundled seeding script. */
export interface DrainKit {
  appDir: string;
  peerDir: string;
  seed: string;
  remove(): void;
}

export async function prepareDrainKit(): Promise<DrainKit> {
  const dist = snapshotDist();
  const peer = tempDir('workbox-peer');
  await buildPage('bench/drain/workbox-peer', peer.dir);
  await buildServiceWorker('bench/drain/workbox-peer/sw.ts', peer.dir);
  const seed = await seedScript();
  return { appDir: dist.dir, peerDir: peer.dir, seed, remove: () => (dist.remove(), peer.remove()) };
}

/** One size of the curve: fresh servers (empty databases) and a fresh browser, each side within its limit. */
export async function runDrainSize(kit: DrainKit, opts: DrainSizeOptions): Promise<DrainResult> {
  const n = opts.mutations;
  const lap = tracer(`drain ${n}`);
  const env = { LOG_LEVEL: 'warn', ...BENCH_LIMITS_ENV };
  const [fbServer, wbServer, browser] = await Promise.all([
    startKitServer({ staticDir: kit.appDir, env }),
    startKitServer({ staticDir: kit.peerDir, env }),
    launchChromium(),
  ]);
  try {
    const fbBoard = await prepareBoard(fbServer.url, 4);
    const wbBoard = await prepareBoard(wbServer.url, 4);
    lap('servers, browser');
    const fieldboard = await limitedSide(browser, fbServer.url, opts.limitMs.fieldboard, (p, c) =>
      fieldboardSide(p, c, browser, fbServer, fbBoard, kit.seed, n),
    );
    lap(`fieldboard (${fieldboard.kind})`);
    const workbox: Outcome<WorkboxDrain> =
      opts.peer === true
        ? await limitedSide(browser, wbServer.url, opts.limitMs.workbox, (p, c) => workboxSide(p, c, wbServer, wbBoard, n))
        : { kind: 'not-run', why: opts.peer.skip };
    lap(`workbox (${workbox.kind})`);
    const rate = opts.serverRate ? await serverRate(fbServer, fbBoard, n) : null;
    lap('server rate');
    return { n, fieldboard, workbox, serverRate: rate };
  } finally {
    await browser.close();
    await Promise.all([fbServer.stop(), wbServer.stop()]);
  }
}
