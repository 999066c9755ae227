/**
 * A browser without Background Sync or Periodic Background Sync (Firefox, Safari), emulated in Chromium by
 * the kit's `withoutBackgroundSync` profile: the APIs are gone from pages and refused in the worker, and
 * offline edits still reach the server through the fallbacks (the drain on coming back online, and on the
 * worker's start when a tab opens again).
 */
import { apiDashboards, apiLogin, goOffline, goOnline, serverState, signIn, stopServiceWorker, test, expect, waitForSynced, withoutBackgroundSync, pendingCount } from '../kit/index.ts';
import { counterValue, expectOffline, widget } from './ui-helpers.ts';

async function serverPumps(url: string): Promise<unknown> {
  const api = await apiLogin(url);
  const [d] = await apiDashboards(api);
  return (await serverState(api, d.id)).find((w) => w.title === 'Pumps');
}

test('without Background Sync the APIs are gone, and offline edits drain when the browser is back online', async ({ browser, server }) => {
  const context = await browser.newContext({ baseURL: server.url });
  await withoutBackgroundSync(context, server.url);
  const page = await context.newPage();
  await signIn(page);
  await waitForSynced(page);
  expect(await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return ['SyncManager' in window, 'PeriodicSyncManager' in window, 'sync' in reg, 'periodicSync' in reg];
  })).toEqual([false, false, false, false]);
  // The person is told what that means ("Degrade, and say so"; Chromium with the APIs says nothing).
  await expect(page.getByRole('region', { name: 'In this browser' })).toContainText('This browser syncs while the app is open');
  const [sw] = context.serviceWorkers();
  const inWorker = await sw.evaluate(async () => {
    const reg = (self as unknown as { registration: { sync?: { register(tag: string): Promise<void> } } }).registration;
    return reg.sync ? reg.sync.register('fieldboard-outbox').then(() => 'registered', (e: Error) => e.name) : 'absent';
  });
  expect(inWorker).toMatch(/^(NotAllowedError|absent)$/);

  await goOffline(context);
  await expectOffline(page);
  await widget(page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await widget(page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await expect(counterValue(page, 'Pumps')).toHaveText('2');
  await goOnline(context);
  await waitForSynced(page);
  expect(await serverPumps(server.url)).toMatchObject({ value: 2 });
  await context.close();
});

test('without Background Sync, edits left when every tab closed are sent when a tab opens again', async ({ browser, server }) => {
  const context = await browser.newContext({ baseURL: server.url });
  await withoutBackgroundSync(context, server.url);
  const page = await context.newPage();
  await signIn(page);
  await waitForSynced(page);
  await goOffline(context);
  await expectOffline(page);
  await widget(page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await expect.poll(() => pendingCount(page)).toBe(1);
  // Every tab closes; the network comes back with no tab to tell the worker, which then stops (as browsers
  // stop idle workers). Nothing can fire a sync event in this browser, so nothing is sent yet.
  const blank = await context.newPage();
  await page.close();
  await goOnline(context);
  await stopServiceWorker(blank);
  await blank.waitForTimeout(1_000);
  expect(await serverPumps(server.url)).toMatchObject({ value: 0 });
  await blank.goto('/');
  await waitForSynced(blank);
  expect(await serverPumps(server.url)).toMatchObject({ value: 1 });
  await context.close();
});
