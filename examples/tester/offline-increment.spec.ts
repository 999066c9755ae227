/**
 * A tester's own spec, outside the project's tests, using the kit the documented way: the package's `kit`
 * entry point (package.json "exports"), not a relative path into tests/. docs/testing.md, "The tester kit".
 */
import { apiDashboards, apiLogin, expect, goOffline, goOnline, serverState, signIn, test, waitForSynced } from 'fieldboard/kit';

test('an offline increment reaches the server once', async ({ page, context, server }) => {
  await signIn(page);
  await goOffline(context);
  const pumps = page.getByRole('article', { name: 'Pumps' });
  await pumps.getByRole('button', { name: 'Increment' }).click();
  await expect(page.getByRole('status')).toContainText('Offline');
  await expect(page.getByText('1 pending')).toBeVisible();
  await goOnline(context);
  await waitForSynced(page);
  const api = await apiLogin(server.url);
  const [demo] = await apiDashboards(api);
  const counter = (await serverState(api, demo.id)).find((w) => w.title === 'Pumps');
  expect(counter).toMatchObject({ kind: 'counter', value: 1 });
});
