/**
 * The outbox is durable and exactly-once: mutations queued offline survive reloads, a stopped service
 * worker and closing every tab, and the server applies each of them once when the network returns.
 * `counter.add` is not idempotent by itself, so a double apply would show in the server's value.
 */
import { test, expect, signIn, waitForSynced, goOffline, goOnline, stopServiceWorker, serviceWorkerControl, pendingCount } from '../kit/index.ts';
import { expectDurableOutbox, increment, serverCounter, shownCounter } from './sw-helpers.ts';

test('offline-queued mutations survive reload, SW stop and closing all tabs, then apply exactly once', async ({ page, context, server }) => {
  await signIn(page);
  await waitForSynced(page);
  const before = await serverCounter(server);
  await goOffline(context);
  await expect(page.getByRole('status')).toContainText('Offline');
  await increment(page, 3);
  await expectDurableOutbox(page, 3);
  await expect.poll(() => shownCounter(page)).toBe(before + 3);

  // Reload while offline: the app shell comes from the precache, the outbox and view from IndexedDB.
  await page.reload();
  await expect(page.getByRole('status')).toContainText('Offline');
  await expect.poll(() => pendingCount(page)).toBe(3);
  await expect.poll(() => shownCounter(page)).toBe(before + 3);

  // The browser stops the service worker (memory and socket gone): nothing is lost.
  await stopServiceWorker(page);
  await page.reload();
  await expect.poll(() => pendingCount(page)).toBe(3);

  // Every tab closed, then the app opened again, still offline.
  await page.close();
  const again = await context.newPage();
  await again.goto('/');
  await expect.poll(() => pendingCount(again)).toBe(3);
  expect(await serverCounter(server)).toBe(before);

  await goOnline(context);
  await waitForSynced(again);
  await expectDurableOutbox(again, 0);
  expect(await serverCounter(server)).toBe(before + 3);
  await expect.poll(() => shownCounter(again)).toBe(before + 3);
});

test('the app shell loads offline', async ({ page, context }) => {
  await signIn(page);
  await waitForSynced(page);
  await goOffline(context);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Fieldboard' })).toBeVisible();
  await expect(page.getByRole('article', { name: 'Pumps' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('Offline');
  // A deep link falls back to the shell too (navigation route to index.html).
  await page.goto('/some/deep/link');
  await expect(page.getByRole('article', { name: 'Pumps' })).toBeVisible();
});

test('a Background Sync event drains the outbox with no tab open', async ({ page, context, server }) => {
  await signIn(page);
  await waitForSynced(page);
  const before = await serverCounter(server);
  // The server is unreachable (down), rather than the browser offline: Chromium hangs when the network
  // emulation of a context changes while its service worker is stopped (tests/kit/browser.ts).
  await server.down();
  await expect(page.getByRole('status')).not.toContainText('Online');
  await increment(page, 2);
  await expectDurableOutbox(page, 2);
  const origin = new URL(server.url).origin;
  // No app tab: only a blank page, which CDP needs for a session; the worker is stopped as the browser
  // would after its last event, so only the sync event can start it again.
  const blank = await context.newPage();
  const sw = await serviceWorkerControl(blank, origin);
  await page.close();
  await sw.stop();
  await server.up();
  expect(await serverCounter(server)).toBe(before);
  await sw.sync();
  await expect.poll(() => serverCounter(server), { timeout: 15_000 }).toBe(before + 2);
  await sw.detach();
  // Nothing left behind, and nothing applied twice by a later retry.
  const check = await context.newPage();
  await check.goto('/');
  await waitForSynced(check);
  await expectDurableOutbox(check, 0);
  expect(await serverCounter(server)).toBe(before + 2);
});
