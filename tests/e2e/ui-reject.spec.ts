/**
 * A rejected edit rolls back and says why. The only setup outside the UI is a checklist with 499 items
 * pushed through the HTTP API (as another system would); everything else is two devices' screens.
 * Device A adds an item offline (500 locally, fine); device B adds one online (500 on the server); when A
 * comes back its add would be the 501st, so the server rejects it as too large.
 */
import { newMutationId, newWidgetId, type DashboardSummary } from '../../protocol/index.ts';
import { apiLogin, goOffline, goOnline, test, expect, waitForSynced } from '../kit/index.ts';
import { device, expectOffline, widget, closeDevices } from './ui-helpers.ts';

test.afterEach(closeDevices);

test('an edit the server rejects is rolled back and explained', async ({ browser, server }) => {
  const api = await apiLogin(server.url);
  const list = (await (await fetch(`${server.url}/api/dashboards`, { headers: { cookie: api.cookie } })).json()) as {
    dashboards: DashboardSummary[];
  };
  const items = Array.from({ length: 499 }, (_, i) => ({ id: `seed${i}`, text: `Item ${i}`, done: false }));
  const r = await fetch(`${server.url}/api/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: api.cookie, origin: server.url },
    body: JSON.stringify({
      clientId: 'c_kitseed',
      mutations: [
        {
          id: newMutationId(),
          clientId: 'c_kitseed',
          dashboardId: list.dashboards[0].id,
          name: 'widget.create',
          args: { widgetId: newWidgetId(), kind: 'checklist', title: 'Long list', position: 'z', items },
          baseVersion: 0,
          createdAt: Date.now(),
        },
      ],
    }),
  });
  expect((await r.json()).results[0].status).toBe('applied');

  const a = await device(browser, server.url);
  const b = await device(browser, server.url);
  await expect(widget(a.page, 'Long list').getByRole('checkbox')).toHaveCount(499);

  await goOffline(a.context);
  await expectOffline(a.page);
  const addOn = async (page: typeof a.page, text: string) => {
    await widget(page, 'Long list').getByRole('textbox', { name: 'New item' }).fill(text);
    await widget(page, 'Long list').getByRole('button', { name: 'Add' }).click();
  };
  await addOn(a.page, 'Added offline by A');
  await expect(widget(a.page, 'Long list').getByRole('checkbox', { name: 'Added offline by A' })).toBeVisible();

  await addOn(b.page, 'Added by B');
  await waitForSynced(b.page);

  await goOnline(a.context);
  const notices = a.page.getByRole('log', { name: 'Notices' });
  await expect(notices.getByRole('listitem')).toHaveCount(1, { timeout: 15_000 });
  await expect(widget(a.page, 'Long list').getByRole('checkbox', { name: 'Added offline by A' })).toHaveCount(0);
  await expect(widget(a.page, 'Long list').getByRole('checkbox', { name: 'Added by B' })).toBeVisible();
  await expect(widget(a.page, 'Long list').getByRole('checkbox')).toHaveCount(500);
  await waitForSynced(a.page);
  // The Activity view keeps the explanation after the notice is dismissed.
  const message = (await notices.getByRole('listitem').locator('span').textContent()) ?? '';
  expect(message.length).toBeGreaterThan(0);
  await notices.getByRole('button', { name: /^Dismiss/ }).click();
  await a.page.getByRole('button', { name: 'Activity' }).click();
  await expect(a.page.getByRole('list', { name: 'Recent activity' })).toContainText(message);
});
