/**
 * The service worker across the events of its life: a server killed while a batch is in flight, a
 * Periodic Background Sync with no tab open, and an app update that waits for the person's consent and
 * keeps everything queued.
 */
import { test, expect, signIn, waitForSynced, goOffline, goOnline, serviceWorkerControl, pendingCount } from '../kit/index.ts';
import { expectDurableOutbox, onCopyOfDist, increment, outboxRecords, serverCounter, shownCounter } from './sw-helpers.ts';

test('a server killed while a batch is in flight loses and duplicates nothing', async ({ page, context, server }) => {
  await signIn(page);
  await waitForSynced(page);
  const before = await serverCounter(server);
  const n = 40;
  await goOffline(context);
  await increment(page, n);
  await expectDurableOutbox(page, n);

  // The moment the worker marks the batch `sending` (it is on the wire), the page tells the test, which
  // SIGKILLs the server: the push may be committed without its result reaching the worker, or not at all.
  let killed: Promise<void> | null = null;
  await page.exposeFunction('fieldboardBatchSent', () => {
    killed ??= server.restart('kill');
  });
  const watching = page.evaluate(async () => {
    const read = () =>
      new Promise<string[]>((res, rej) => {
        const open = indexedDB.open('fieldboard');
        open.onerror = () => rej(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('outbox').objectStore('outbox').getAll();
          req.onsuccess = () => {
            open.result.close();
            res(req.result.map((e: { state: string }) => e.state));
          };
        };
      });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const states = await read();
      if (states.includes('sending') || states.length === 0) {
        await (window as unknown as { fieldboardBatchSent(): Promise<void> }).fieldboardBatchSent();
        return states.includes('sending') ? 'caught in flight' : 'already drained';
      }
    }
    return 'never sent';
  });
  await goOnline(context);
  const seen = await watching;
  test.info().annotations.push({ type: 'kill', description: seen });
  expect(seen).not.toBe('never sent');
  await killed;

  await waitForSynced(page, 30_000);
  await expectDurableOutbox(page, 0);
  expect(await serverCounter(server)).toBe(before + n);
  await expect.poll(() => shownCounter(page)).toBe(before + n);
});

test('a Periodic Background Sync refreshes the replica with no tab open', async ({ page, context, browser, server }) => {
  // The worker's pulls, seen through the context's routing (which must be set before the worker stops).
  let pulled = 0;
  await context.route('**/api/pull*', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response });
    pulled++;
  });
  const origin = new URL(server.url).origin;
  await signIn(page);
  await waitForSynced(page);
  const before = await shownCounter(page);
  const blank = await context.newPage();
  const sw = await serviceWorkerControl(blank, origin);
  await page.close();
  await sw.stop();

  // Another device changes the dashboard while this one has no tab and a stopped worker.
  const other = await browser.newContext({ baseURL: server.url });
  const otherPage = await other.newPage();
  await signIn(otherPage);
  await waitForSynced(otherPage);
  await increment(otherPage, 3);
  await waitForSynced(otherPage);
  await other.close();
  expect(await serverCounter(server)).toBe(before + 3);

  await sw.periodicSync();
  await expect.poll(() => pulled).toBeGreaterThan(0);
  // The refresh is in IndexedDB: with the server gone, the next tab still shows the other device's change.
  await server.down();
  await sw.detach();
  const again = await context.newPage();
  await again.goto('/');
  await expect(again.getByRole('article', { name: 'Pumps' })).toBeVisible();
  await expect.poll(() => shownCounter(again)).toBe(before + 3);
  await expect(again.getByRole('status')).not.toContainText('Online');
  await server.up();
});

test('an app update waits for consent, then keeps the outbox', async ({ browser }) => {
  const { dist, server, context, page, close } = await onCopyOfDist(browser);
  try {
    const before = await serverCounter(server);
    const firstWorker = await page.evaluate(() => navigator.serviceWorker.controller!.scriptURL);

    // Work queued offline, then a new version is deployed.
    await goOffline(context);
    await increment(page, 2);
    await expectDurableOutbox(page, 2);
    dist.bumpServiceWorker();
    await goOnline(context);
    await page.reload();
    await expect(page.getByText('Update available')).toBeVisible({ timeout: 15_000 });

    // No consent yet: the old worker still controls the page and the queue is intact (the server is up,
    // so it drains through the old worker; nothing waits on the update).
    await waitForSynced(page);
    expect(await serverCounter(server)).toBe(before + 2);
    const waiting = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting?.state ?? null);
    expect(waiting).toBe('installed');

    // Queue more offline while the update waits, then accept it: the new worker takes over the same
    // IndexedDB outbox and sends it once.
    await goOffline(context);
    await increment(page, 3);
    await expectDurableOutbox(page, 3);
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Update' }).click();
    await reloaded;
    await expect(page.getByText('Update available')).toHaveCount(0);
    await expect.poll(() => pendingCount(page)).toBe(3);
    expect((await outboxRecords(page)).map((r) => r.name)).toEqual(['counter.add', 'counter.add', 'counter.add']);
    await goOnline(context);
    await waitForSynced(page);
    expect(await serverCounter(server)).toBe(before + 5);
    expect(await page.evaluate(() => navigator.serviceWorker.controller!.scriptURL)).toBe(firstWorker);
    const stillWaiting = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting ?? null);
    expect(stillWaiting).toBeNull();
  } finally {
    await close();
  }
});

test('clicks made while the worker is being stopped are all kept: none is refused, none counted twice', async ({ page, context, server }) => {
  await signIn(page);
  await waitForSynced(page);
  const before = await serverCounter(server);
  const alerts: string[] = [];
  page.on('dialog', (d) => void d.dismiss());
  const cdp = await context.newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  const card = page.getByRole('article', { name: 'Pumps' });
  const n = 6;
  for (let i = 0; i < n; i++) {
    // The click's post and the stop race: the worker may be stopped before it reads the post, or after it
    // took the mutation but before its answer left.
    await Promise.all([card.getByRole('button', { name: 'Increment' }).click(), cdp.send('ServiceWorker.stopAllWorkers')]);
    alerts.push(...(await page.getByRole('alert').allTextContents()));
  }
  await cdp.detach();
  await waitForSynced(page, 30_000);
  await expect.poll(() => serverCounter(server), { timeout: 30_000 }).toBe(before + n);
  expect(await shownCounter(page)).toBe(before + n);
  expect(alerts.filter((a) => a.includes('Could not save'))).toEqual([]);
  await expect(page.getByRole('alert').filter({ hasText: 'Could not save' })).toHaveCount(0);
});
