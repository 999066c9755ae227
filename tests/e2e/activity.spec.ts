/**
 * Activity that tells who, where and when (issue 15), as two people see it: names from the server, "on
 * this device" or "on another device", the absolute time on hover, runs grouped ("+3"); the pending view
 * groups the same way; a conflict shows who changed "theirs" and when, and a banner on the board says one
 * waits.
 */
import type { Browser } from '@playwright/test';
import { goOffline, goOnline, pendingCount, signIn, test, expect, waitForSynced, type KitServer } from '../kit/index.ts';
import { closeDevices, counterValue, device, expectOffline, typeNote, widget, type Device } from './ui-helpers.ts';

test.afterEach(closeDevices);

/** A second person, Ana, member of the demo dashboard, on a browser of her own. */
async function ana(browser: Browser, server: KitServer, dashboardId: string): Promise<Device> {
  await server.cli('add-user', 'ana', '--password', 'ana-pass');
  await server.cli('add-member', dashboardId, 'ana');
  const context = await browser.newContext({ baseURL: server.url });
  const page = await context.newPage();
  await signIn(page, 'ana', 'ana-pass');
  await waitForSynced(page);
  return { context, page };
}

test('activity names who, on which device and when, and groups a run into one line', async ({ browser, server }) => {
  const me = await device(browser, server.url);
  const dashboardId = await me.page.getByRole('combobox', { name: 'Dashboard' }).inputValue();
  const b = await ana(browser, server, dashboardId);
  try {
    for (let i = 0; i < 3; i++) await widget(b.page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
    await waitForSynced(b.page);
    await expect(counterValue(me.page, 'Pumps')).toHaveText('3');
    await widget(me.page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
    await waitForSynced(me.page);

    await me.page.getByRole('button', { name: 'Activity' }).click();
    const list = me.page.getByRole('list', { name: 'Recent activity' });
    const lines = list.getByRole('listitem');
    await expect(lines.first()).toHaveText(/^You changed ‘Pumps’ from 3 to 4 \(\+1\) on this device · (just now|\d+ s ago)$/);
    await expect(lines.nth(1)).toHaveText(/^ana changed ‘Pumps’ from 0 to 3 \(\+3\) on another device · 3 changes · (just now|\d+ s ago)$/);
    // The absolute time on hover: the title names the year.
    const title = await lines.nth(1).locator('time').getAttribute('title');
    expect(title).toContain(String(new Date().getFullYear()));
  } finally {
    await b.context.close();
  }
});

test('pending groups a run; a conflict says who changed theirs and when, with a banner on the board', async ({ browser, server }) => {
  const me = await device(browser, server.url);
  const page = me.page;
  const dashboardId = await page.getByRole('combobox', { name: 'Dashboard' }).inputValue();
  const b = await ana(browser, server, dashboardId);
  try {
    await goOffline(me.context);
    await expectOffline(page);
    for (let i = 0; i < 3; i++) await widget(page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
    await typeNote(page, 'Pump 2 noisy');
    await expect.poll(() => pendingCount(page)).toBe(4);
    await page.getByRole('button', { name: 'Pending changes' }).click();
    const pending = page.getByRole('main').getByRole('listitem');
    await expect(pending).toHaveCount(2);
    await expect(pending.first()).toContainText('Counter ‘Pumps’ +3, 3 changes, ');
    await expect(pending.nth(1)).toContainText('Note ‘Shift notes’ edited, ');
    await page.getByRole('button', { name: 'Back to dashboard' }).click();

    await typeNote(b.page, 'Pump 2 replaced');
    await waitForSynced(b.page);
    await goOnline(me.context);
    const banner = page.getByRole('region', { name: 'Conflict waiting' });
    await expect(banner).toHaveText(/‘Shift notes’ was changed on another device too: choose which to keep\./, { timeout: 15_000 });
    await banner.getByRole('button', { name: 'Open conflicts' }).click();
    const card = page.getByRole('region', { name: 'Conflict on Shift notes' });
    await expect(card).toContainText(/Theirs: changed by ana, (just now|\d+ s ago)/);
    await card.getByRole('button', { name: 'Keep theirs' }).click();
    await page.getByRole('button', { name: 'Back to dashboard' }).click();
    await expect(banner).toHaveCount(0);
    await expect(counterValue(page, 'Pumps')).toHaveText('3');
  } finally {
    await b.context.close();
  }
});
