/**
 * The drain benchmark's peer (bench/drain/run.ts): Workbox's `workbox-background-sync` Queue in its own page
 * and service worker (bench/drain/workbox-peer) against its own Fieldboard server. Offline, the page POSTs
 * the N mutations to /api/push, one per request; the worker's fetch handler queues each failed request;
 * back online, Chromium fires `sync` and the Queue replays them one request at a time, in order.
 */
import type { BrowserContext } from '@playwright/test';
import { newClientId } from '../../protocol/index.ts';
import { goOffline } from '../../tests/kit/browser.ts';
import type { KitServer } from '../../tests/kit/server.ts';
import type { Progress } from '../lib/deadline.ts';
import { mutation, openServerDb, type Board } from '../lib/fieldboard.ts';
import { probeScript } from '../lib/probe.ts';
import { goOnlineAndDrain, idbCount, type DrainSide } from './online.ts';

export interface WorkboxDrain extends DrainSide {
  enqueueMs: number;
}

export async function workboxSide(progress: Progress, context: BrowserContext, server: KitServer, board: Board, n: number): Promise<WorkboxDrain> {
  await context.addInitScript(probeScript()); // only for the __name helper of functions evaluated here
  const page = await context.newPage();
  const db = openServerDb(server.databasePath);
  const clientId = newClientId();
  try {
    progress.phase = 'registering the peer';
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
    progress.phase = `queuing ${n.toLocaleString('en-US')} requests offline`;
    const e0 = performance.now();
    const queued = await page.evaluate(
      (list) => (window as unknown as { enqueue(r: { url: string; body: string }[]): Promise<number> }).enqueue(list.map((body) => ({ url: '/api/push', body }))),
      bodies,
    );
    const enqueueMs = performance.now() - e0;
    if (queued !== n) throw new Error(`the Workbox peer queued ${queued} of ${n}`);

    const side = await goOnlineAndDrain(progress, context, server, board, db, clientId, n, 0, () =>
      idbCount(page, 'workbox-background-sync', 'requests'),
    );
    return { ...side, enqueueMs };
  } finally {
    db.close();
  }
}
