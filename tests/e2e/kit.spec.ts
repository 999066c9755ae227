/**
 * The tester kit's own tests: what docs/testing.md promises, exercised the way a tester would.
 */
import { test, expect } from '../kit/fixtures.ts';
import {
  apiDashboards,
  apiHealth,
  apiLogin,
  goOffline,
  goOnline,
  pendingCount,
  serverState,
  signIn,
  stopServiceWorker,
  waitForSynced,
  type KitServer,
} from '../kit/index.ts';
import type { Page } from '@playwright/test';

async function serverPumps(server: KitServer): Promise<unknown> {
  const api = await apiLogin(server.url);
  const [demo] = await apiDashboards(api);
  return (await serverState(api, demo.id)).find((w) => w.title === 'Pumps');
}

const increment = (page: Page) =>
  page.getByRole('article', { name: 'Pumps' }).getByRole('button', { name: 'Increment' }).click();

test('the documented example: an offline increment reaches the server once', async ({ page, context, server }) => {
  await signIn(page);
  await goOffline(context);
  await increment(page);
  await expect(page.getByRole('status')).toContainText('Offline');
  await expect(page.getByText('1 pending')).toBeVisible();
  await goOnline(context);
  await waitForSynced(page);
  expect(await serverPumps(server)).toMatchObject({ kind: 'counter', value: 1 });
});

test('dropSockets cuts the connection for real and the app resumes by itself', async ({ page, server }) => {
  await signIn(page);
  await waitForSynced(page);
  await expect.poll(async () => (await apiHealth(server.url)).connections).toBe(1);
  await server.dropSockets();
  await increment(page);
  await increment(page);
  await waitForSynced(page);
  expect(await serverPumps(server)).toMatchObject({ value: 2 });
  await expect.poll(async () => (await apiHealth(server.url)).connections).toBe(1);
  expect(server.logs()).toContain('dropping every socket');
});

test('restart("kill") with pending work: nothing lost, nothing applied twice', async ({ page, context, server }) => {
  await signIn(page);
  await goOffline(context);
  for (let i = 0; i < 3; i++) await increment(page);
  expect(await pendingCount(page)).toBe(3);
  await server.restart('kill');
  await goOnline(context);
  await waitForSynced(page);
  expect(await serverPumps(server)).toMatchObject({ value: 3 });
  // A second restart replays nothing: the server's value stays and the page still agrees.
  await server.restart('graceful');
  await waitForSynced(page);
  expect(await serverPumps(server)).toMatchObject({ value: 3 });
  await expect(page.getByRole('article', { name: 'Pumps' }).locator('.counter-value')).toHaveText('3');
});

test('the kit keeps the worker able to reach the network whatever happened before: offline, worker stopped, raw Playwright calls, online', async ({
  page,
  context,
  server,
}) => {
  await signIn(page);
  await goOffline(context);
  await increment(page);
  await stopServiceWorker(page); // the worker stops while the context is offline
  await context.setOffline(true); // a tester's raw call in between
  await increment(page); // wakes the worker, still offline
  await expect(page.getByText('2 pending')).toBeVisible();
  await stopServiceWorker(page);
  await goOnline(context);
  await waitForSynced(page, 30_000);
  expect(await serverPumps(server)).toMatchObject({ kind: 'counter', value: 2 });

  // And the other way round: raw offline, stop, kit online.
  await context.setOffline(true);
  await stopServiceWorker(page);
  await goOnline(context);
  await increment(page);
  await waitForSynced(page, 30_000);
  expect(await serverPumps(server)).toMatchObject({ value: 3 });
});
