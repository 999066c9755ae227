/**
 * Dark mode as a person meets it: the app follows the system's light or dark preference, the Theme switch
 * (System, Light, Dark) overrides it and is remembered after a reload, and axe finds no serious violation,
 * contrast included, in either scheme on the main states: the board online, offline with edits pending,
 * the pending, conflicts, activity and export views.
 */
import type { Page } from '@playwright/test';
import { goOffline, goOnline, pendingCount, test, expect, waitForSynced } from '../kit/index.ts';
import { closeDevices, device, expectAxeClean, expectOffline, typeNote, widget } from './ui-helpers.ts';

test.afterEach(closeDevices);

const themeOf = (page: Page) => page.evaluate(() => document.documentElement.dataset.theme);
const background = (page: Page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

test('follows the system, and the switch overrides it and is remembered', async ({ browser, server }) => {
  const a = await device(browser, server.url, { colorScheme: 'dark' });
  const page = a.page;
  const theme = page.getByRole('combobox', { name: 'Theme' });
  await expect(theme).toHaveValue('system');
  expect(await themeOf(page)).toBe('dark');
  expect(await background(page)).toBe('rgb(18, 20, 23)');

  await theme.selectOption({ label: 'Light' });
  expect(await themeOf(page)).toBe('light');
  expect(await background(page)).toBe('rgb(244, 245, 247)');
  await page.reload();
  await expect(page.getByRole('combobox', { name: 'Theme' })).toHaveValue('light');
  expect(await themeOf(page)).toBe('light');

  // Back to System: the page follows the system again, also when it changes while the page is open.
  await page.getByRole('combobox', { name: 'Theme' }).selectOption({ label: 'System' });
  expect(await themeOf(page)).toBe('dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(() => themeOf(page)).toBe('light');
});

for (const scheme of ['light', 'dark'] as const) {
  test(`axe finds nothing serious in ${scheme} mode on the main states`, async ({ browser, server }) => {
    const a = await device(browser, server.url, { colorScheme: scheme });
    const b = await device(browser, server.url, { colorScheme: scheme });
    const page = a.page;
    expect(await themeOf(page)).toBe(scheme);
    await expectAxeClean(page);

    await goOffline(a.context);
    await goOffline(b.context);
    await expectOffline(page);
    await widget(page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
    await typeNote(page, 'Pump 2 noisy');
    await typeNote(b.page, 'Pump 2 replaced');
    await expect.poll(() => pendingCount(page)).toBe(2);
    await expectAxeClean(page);
    await page.getByRole('button', { name: 'Pending changes' }).click();
    await expectAxeClean(page);

    await goOnline(b.context);
    await waitForSynced(b.page);
    await goOnline(a.context);
    await page.getByRole('button', { name: 'Conflicts (1)' }).click({ timeout: 15_000 });
    await expect(page.getByRole('region', { name: 'Conflict on Shift notes' })).toBeVisible();
    await expectAxeClean(page);
    await page.getByRole('button', { name: 'Activity' }).click();
    await expect(page.getByRole('heading', { name: 'Activity' })).toBeVisible();
    await expectAxeClean(page);
    await page.getByRole('button', { name: 'Export or import' }).click();
    await expectAxeClean(page);
  });
}
