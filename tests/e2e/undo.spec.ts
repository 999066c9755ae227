/**
 * Undo (issue 15): after a widget delete, a checklist item remove and a discard, a toast offers Undo, which
 * queues the inverse change. It brings back the same content in the same place, works offline, and the
 * other device ends up with it too.
 */
import type { Page } from '@playwright/test';
import { goOffline, goOnline, pendingCount, test, expect, waitForSynced } from '../kit/index.ts';
import { closeDevices, counterValue, device, expectOffline, noteBox, typeNote, widget } from './ui-helpers.ts';
import { editLayout, order } from './reorder-helpers.ts';

test.afterEach(closeDevices);

const toast = (page: Page) => page.locator('.toast');
const items = (page: Page) =>
  widget(page, 'Valve check')
    .getByRole('checkbox')
    .evaluateAll((els) => els.map((e) => `${(e as HTMLInputElement).checked ? '[x]' : '[ ]'} ${e.closest('label')?.textContent}`));

test('a deleted widget comes back with its content in its place, reached by keyboard, on both devices', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  const b = await device(browser, server.url);
  await typeNote(a.page, 'Pump 2 noisy');
  await waitForSynced(a.page);
  await editLayout(a.page);
  const notes = widget(a.page, 'Shift notes');
  await notes.getByRole('button', { name: 'Delete' }).click();
  await notes.getByRole('button', { name: 'Confirm delete' }).click();
  await expect(toast(a.page)).toHaveText(/Deleted ‘Shift notes’\./);
  await expect(widget(a.page, 'Shift notes')).toHaveCount(0);
  await waitForSynced(a.page);
  await expect(widget(b.page, 'Shift notes')).toHaveCount(0);

  // The toast comes right after the board in the page's order: one Tab from the last control of the board.
  await a.page.getByRole('button', { name: 'Add widget' }).focus();
  await a.page.keyboard.press('Tab');
  await expect(a.page.getByRole('button', { name: 'Undo' })).toBeFocused();
  await a.page.keyboard.press('Enter');
  await expect(toast(a.page)).toHaveCount(0);
  await expect(noteBox(a.page)).toHaveValue('Pump 2 noisy');
  expect(await order(a.page)).toEqual(['Pumps', 'Shift notes', 'Valve check', 'Flow rate']);
  await waitForSynced(a.page);
  await expect(noteBox(b.page)).toHaveValue('Pump 2 noisy');
  expect(await order(b.page)).toEqual(['Pumps', 'Shift notes', 'Valve check', 'Flow rate']);
});

test('offline: a removed checklist item comes back where it was, ticked as it was, and syncs later', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  const b = await device(browser, server.url);
  await goOffline(a.context);
  await expectOffline(a.page);
  const list = widget(a.page, 'Valve check');
  await list.getByRole('checkbox', { name: 'Inlet valve open' }).check();
  await list.getByRole('button', { name: 'Remove Inlet valve open' }).click();
  await expect(toast(a.page)).toHaveText(/Removed ‘Inlet valve open’ from ‘Valve check’\./);
  expect(await items(a.page)).toEqual(['[ ] Outlet valve open']);
  await toast(a.page).getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => items(a.page)).toEqual(['[x] Inlet valve open', '[ ] Outlet valve open']);
  await expect(toast(a.page)).toHaveCount(0);
  expect(await items(b.page)).toEqual(['[ ] Inlet valve open', '[ ] Outlet valve open']);

  await goOnline(a.context);
  await waitForSynced(a.page);
  await expect.poll(() => items(b.page)).toEqual(['[x] Inlet valve open', '[ ] Outlet valve open']);
  expect(await items(a.page)).toEqual(['[x] Inlet valve open', '[ ] Outlet valve open']);
});

test('a discarded pending change is queued again by Undo and reaches the other device', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  const b = await device(browser, server.url);
  await goOffline(a.context);
  await expectOffline(a.page);
  await widget(a.page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await expect(counterValue(a.page, 'Pumps')).toHaveText('1');
  await a.page.getByRole('button', { name: 'Pending changes' }).click();
  await a.page.getByRole('button', { name: 'Discard' }).click();
  await a.page.getByRole('button', { name: 'Confirm discard' }).click();
  await expect(toast(a.page)).toHaveText(/Discarded: Counter ‘Pumps’ \+1\./);
  await expect(a.page.getByText('Nothing pending')).toBeVisible();
  await toast(a.page).getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => pendingCount(a.page)).toBe(1);
  await a.page.getByRole('button', { name: 'Back to dashboard' }).click();
  await expect(counterValue(a.page, 'Pumps')).toHaveText('1');

  await goOnline(a.context);
  await waitForSynced(a.page);
  await expect(counterValue(b.page, 'Pumps')).toHaveText('1');
});
