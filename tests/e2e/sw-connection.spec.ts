/** The service worker owns the one connection of the browser profile, and notices a lost network at once. */
import { test, expect, signIn, apiHealth, waitForSynced, goOffline, goOnline } from '../kit/index.ts';

test('three tabs share exactly one server connection', async ({ page, context, server }) => {
  await signIn(page);
  await waitForSynced(page);
  const others = [await context.newPage(), await context.newPage()];
  for (const p of others) {
    await p.goto('/');
    await waitForSynced(p);
  }
  await expect.poll(async () => (await apiHealth(server.url)).connections).toBe(1);
  // Every tab sees the same live state: a change in one shows in the others.
  await others[0].getByRole('article', { name: 'Pumps' }).getByRole('button', { name: 'Increment' }).click();
  const value = await others[0].getByRole('article', { name: 'Pumps' }).locator('.counter-value').textContent();
  for (const p of [page, others[1]]) {
    await expect(p.getByRole('article', { name: 'Pumps' }).locator('.counter-value')).toHaveText(value!);
  }
  await expect.poll(async () => (await apiHealth(server.url)).connections).toBe(1);
});

test('going offline is noticed within a second and coming back syncs again', async ({ page, context }) => {
  await signIn(page);
  await waitForSynced(page);
  await goOffline(context);
  await expect(page.getByRole('status')).toContainText('Offline', { timeout: 1_000 });
  await goOnline(context);
  await expect(page.getByRole('status')).toContainText('Online', { timeout: 3_000 });
});
