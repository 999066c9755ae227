/**
 * What both sides of the drain benchmark share (bench/drain/run.ts): bringing the network back and waiting,
 * under the side's time limit (bench/lib/deadline.ts), until the server holds every change and the
 * browser's queue is empty, and the exactly-once figures.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { goOnline } from '../../tests/kit/browser.ts';
import type { KitServer } from '../../tests/kit/server.ts';
import { until } from '../lib/browser.ts';
import type { Progress } from '../lib/deadline.ts';
import { appliedAnswers, counterValue, openServerDb, type Board } from '../lib/fieldboard.ts';

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

/** Polls `fn` until true, every `everyMs`, with no deadline of its own: the side's time limit ends it. */
export async function poll(progress: Progress, fn: () => Promise<boolean> | boolean, what: string, everyMs = 20): Promise<void> {
  await until(async () => (progress.check(), await fn()), Number.POSITIVE_INFINITY, what, everyMs);
}

/**
 * Brings the network back and waits for "done": the server holds `n + extra` changes from `clientId` and
 * the browser's queue is empty. The exactly-once figures leave the `extra` (mutations queued besides the
 * N) out.
 */
export async function goOnlineAndDrain(
  progress: Progress,
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
  progress.phase = 'going online';
  await goOnline(context);
  const total = (n + extra).toLocaleString('en-US');
  await poll(progress, () => {
    const applied = db.appliedBy(clientId);
    progress.phase = `draining: ${applied.toLocaleString('en-US')} of ${total} applied`;
    return applied >= n + extra;
  }, `${total} applied on the server`);
  progress.phase = 'waiting for an empty browser queue';
  await poll(progress, async () => (await queueLength()) === 0, 'an empty browser queue');
  const drainMs = performance.now() - t0;
  return {
    drainMs,
    applied: db.appliedBy(clientId) - extra,
    counterDelta: (await counterValue(board)) - counterBefore - extra,
    appliedAnswers: (await appliedAnswers(server.url)) - answersBefore - extra,
  };
}

/** Count of an IndexedDB store in the page's origin. */
export async function idbCount(page: Page, db: string, store: string): Promise<number> {
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
