/**
 * Screenshots for docs/screenshots/: the app online, offline with pending edits, the conflicts view and the
 * banner while one waits, the update banner, a 360 px wide phone, Edit layout while a card is dragged, the
 * undo toast, dark mode, grouped activity and pending lines, and export and import. Each shot also checks
 * that what it shows is really on screen.
 */
import { cpSync, mkdirSync, mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { goOffline, goOnline, pendingCount, startKitServer, test, expect, waitForSynced } from '../kit/index.ts';
import { device, expectAxeClean, expectOffline, typeNote, widget, closeDevices } from './ui-helpers.ts';
import { editLayout, handle } from './reorder-helpers.ts';
import { readFileSync } from 'node:fs';

test.afterEach(closeDevices);

// `npm run screenshots` writes them to docs/screenshots/; in `npm test` they go to the test output, so a
// test run never changes tracked files.
const OUT = process.env.FIELDBOARD_SCREENSHOTS ? resolve(process.env.FIELDBOARD_SCREENSHOTS) : resolve(import.meta.dirname, '../../test-results/screenshots');
mkdirSync(OUT, { recursive: true });

const noSeriousAxe = expectAxeClean;

test('online, offline with pending, conflicts, 360 px', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  await a.page.setViewportSize({ width: 1280, height: 800 });
  await expect(a.page.getByRole('status')).toHaveText('Online');
  await noSeriousAxe(a.page);
  await a.page.screenshot({ path: join(OUT, 'online.png'), fullPage: true });

  const b = await device(browser, server.url);
  await goOffline(a.context);
  await goOffline(b.context);
  await expectOffline(a.page);
  await widget(a.page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await widget(a.page, 'Valve check').getByRole('checkbox', { name: 'Inlet valve open' }).check();
  await typeNote(a.page, 'Pump 2 noisy, check bearings');
  await typeNote(b.page, 'Pump 2 replaced');
  await expect.poll(() => pendingCount(a.page)).toBeGreaterThanOrEqual(2);
  await noSeriousAxe(a.page);
  await a.page.screenshot({ path: join(OUT, 'offline-pending.png'), fullPage: true });

  await goOnline(b.context);
  await waitForSynced(b.page);
  await goOnline(a.context);
  // While it waits, the board says so at the bottom of the window.
  await expect(a.page.getByRole('region', { name: 'Conflict waiting' })).toBeVisible({ timeout: 15_000 });
  await noSeriousAxe(a.page);
  await a.page.screenshot({ path: join(OUT, 'conflict-banner.png') });
  await a.page.getByRole('button', { name: 'Conflicts (1)' }).click({ timeout: 15_000 });
  await expect(a.page.getByRole('region', { name: 'Conflict on Shift notes' })).toBeVisible();
  await noSeriousAxe(a.page);
  await a.page.screenshot({ path: join(OUT, 'conflict.png'), fullPage: true });
  // The same conflict on a phone: labelled blocks, nothing sideways.
  await a.page.setViewportSize({ width: 360, height: 780 });
  await expect(a.page.getByRole('region', { name: 'Conflict on Shift notes' }).getByText('Yours')).toBeVisible();
  expect(await a.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await noSeriousAxe(a.page);
  await a.page.screenshot({ path: join(OUT, 'conflict-360.png'), fullPage: true });

  await b.page.setViewportSize({ width: 360, height: 780 });
  await expect(b.page.getByRole('article', { name: 'Pumps' })).toBeVisible();
  // Nothing sticks out sideways at phone width.
  expect(await b.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await noSeriousAxe(b.page);
  await b.page.screenshot({ path: join(OUT, 'narrow-360.png'), fullPage: true });
});

test('update available', async ({ browser }) => {
  // A server of its own over a copy of the build, so the test can publish "a new version" by changing sw.js.
  const dir = mkdtempSync(join(tmpdir(), 'fieldboard-shot-'));
  cpSync(resolve(import.meta.dirname, '../../dist'), dir, { recursive: true });
  const server = await startKitServer({ staticDir: dir });
  try {
    const a = await device(browser, server.url);
    await a.page.setViewportSize({ width: 1280, height: 800 });
    appendFileSync(join(dir, 'sw.js'), `\n// next version ${Date.now()}\n`);
    await a.page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    await expect(a.page.getByText('Update available')).toBeVisible({ timeout: 15_000 });
    await expect(a.page.getByRole('button', { name: 'Update' })).toBeVisible();
    await a.page.screenshot({ path: join(OUT, 'update-available.png'), fullPage: true });
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
});

test('waiting for the server to come back, 1280 and 360 px', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  await a.page.setViewportSize({ width: 1280, height: 800 });
  await server.down('kill');
  await expect(a.page.getByRole('status')).toContainText('Retrying', { timeout: 15_000 });
  await widget(a.page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await expect(widget(a.page, 'Pumps').getByText('Waiting to send (retrying)')).toBeVisible({ timeout: 15_000 });
  await expect(a.page.getByRole('button', { name: 'Retry now' })).toBeVisible();
  await noSeriousAxe(a.page);
  await a.page.screenshot({ path: join(OUT, 'retrying.png'), fullPage: true });
  await a.page.setViewportSize({ width: 360, height: 780 });
  expect(await a.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await a.page.screenshot({ path: join(OUT, 'retrying-360.png'), fullPage: true });
  await server.up();
});

test('Edit layout while dragging, and the undo toast, at 1280 and 360 px', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  const page = a.page;
  await editLayout(page);
  for (const [width, suffix, target, side] of [
    [1280, '', 'Valve check', 'after'],
    [360, '-360', 'Shift notes', 'after'],
  ] as const) {
    await page.setViewportSize({ width, height: 800 });
    // The held card and the one it is over both on screen (on a phone, Pumps just under the status bar).
    await widget(page, 'Pumps').evaluate((el, top) => window.scrollTo(0, top ? 0 : el.getBoundingClientRect().top + window.scrollY - 64), width > 600);
    // Pumps held by the mouse over the checklist, which shows where it would land.
    const from = (await handle(page, 'Pumps').boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    const over = (await widget(page, target).boundingBox())!;
    const to = width > 600 ? { x: over.x + over.width * 0.75, y: over.y + 80 } : { x: over.x + over.width / 2, y: Math.min(over.y + over.height * 0.75, 650) };
    await page.mouse.move(to.x, to.y, { steps: 10 });
    await expect(widget(page, 'Pumps')).toHaveClass(/held-pointer/);
    await expect(widget(page, target)).toHaveClass(new RegExp(`drop-${side}`));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    await noSeriousAxe(page);
    await page.screenshot({ path: join(OUT, `edit-dragging${suffix}.png`) });
    await page.keyboard.press('Escape');
    await page.mouse.up();
    await expect(widget(page, 'Pumps')).not.toHaveClass(/held/);
  }

  for (const [width, suffix] of [[1280, ''], [360, '-360']] as const) {
    await page.setViewportSize({ width, height: 800 });
    const list = widget(page, 'Valve check');
    await list.getByRole('textbox', { name: 'New item' }).fill(`Spare seal ${width}`);
    await list.getByRole('button', { name: 'Add' }).click();
    await list.getByRole('button', { name: `Remove Spare seal ${width}` }).click();
    const toast = page.locator('.toast');
    await expect(toast).toContainText(`Removed ‘Spare seal ${width}’ from ‘Valve check’.`);
    await expect(toast.getByRole('button', { name: 'Undo' })).toBeVisible();
    // The toast leaves after 10 s unless hovered or focused; axe and the screenshot can take longer on a
    // loaded machine, so the pointer rests on it, as a person's would while reading it.
    await toast.hover();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    await noSeriousAxe(page);
    await page.screenshot({ path: join(OUT, `undo-toast${suffix}.png`) });
    await toast.getByRole('button', { name: 'Undo' }).click();
    await expect(list.getByRole('checkbox', { name: `Spare seal ${width}` })).toBeVisible();
  }
});

test('dark mode, grouped activity and pending, export and import, 1280 and 360 px', async ({ browser, server }) => {
  const narrow = async (page: import('@playwright/test').Page, name: string) => {
    await page.setViewportSize({ width: 360, height: 780 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await noSeriousAxe(page);
    await page.screenshot({ path: join(OUT, `${name}-360.png`), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  };
  const dark = await device(browser, server.url, { colorScheme: 'dark', viewport: { width: 1280, height: 800 } });
  const light = await device(browser, server.url, { viewport: { width: 1280, height: 800 } });

  // Activity: three +1 on one device are one line; an edit on the other device says so.
  for (let i = 0; i < 3; i++) await widget(light.page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await typeNote(dark.page, 'Pump 2 noisy, check bearings');
  await waitForSynced(light.page);
  await waitForSynced(dark.page);
  await widget(light.page, 'Valve check').getByRole('checkbox', { name: 'Inlet valve open' }).check();
  await waitForSynced(light.page);

  await expect(dark.page.getByRole('combobox', { name: 'Theme' })).toHaveValue('system');
  expect(await dark.page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
  await noSeriousAxe(dark.page);
  await dark.page.screenshot({ path: join(OUT, 'dark.png'), fullPage: true });
  await narrow(dark.page, 'dark');

  await light.page.getByRole('button', { name: 'Activity' }).click();
  const lines = light.page.getByRole('list', { name: 'Recent activity' }).getByRole('listitem');
  await expect(lines.filter({ hasText: 'You changed ‘Pumps’ from 0 to 3 (+3) on this device · 3 changes' })).toHaveCount(1);
  await expect(lines.filter({ hasText: 'You edited ‘Shift notes’ on another device' })).toHaveCount(1);
  await noSeriousAxe(light.page);
  await light.page.screenshot({ path: join(OUT, 'activity-grouped.png'), fullPage: true });
  await dark.page.getByRole('button', { name: 'Activity' }).click();
  await expect(dark.page.getByRole('list', { name: 'Recent activity' }).getByRole('listitem').first()).toBeVisible();
  await narrow(dark.page, 'activity-dark');

  // Pending: a run of taps offline is one line.
  await light.page.getByRole('button', { name: 'Back to dashboard' }).click();
  await goOffline(light.context);
  await expectOffline(light.page);
  for (let i = 0; i < 3; i++) await widget(light.page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await typeNote(light.page, 'Seal replaced');
  await light.page.getByRole('button', { name: 'Pending changes' }).click();
  await expect(light.page.getByRole('main').getByRole('listitem').first()).toContainText('Counter ‘Pumps’ +3, 3 changes');
  await noSeriousAxe(light.page);
  await light.page.screenshot({ path: join(OUT, 'pending-grouped.png'), fullPage: true });
  await goOnline(light.context);
  await waitForSynced(light.page);

  // Export, then the import screen with the file chosen.
  await light.page.getByRole('button', { name: 'Export or import' }).click();
  const [download] = await Promise.all([
    light.page.waitForEvent('download'),
    light.page.getByRole('button', { name: 'Export ‘Demo’' }).click(),
  ]);
  const text = readFileSync(await download.path(), 'utf8');
  await light.page.getByLabel('Dashboard file').setInputFiles({ name: download.suggestedFilename(), mimeType: 'application/json', buffer: Buffer.from(text) });
  await expect(light.page.getByText('‘Demo’: 4 widgets: 1 counter, 1 note, 1 checklist, 1 metric.')).toBeVisible();
  await noSeriousAxe(light.page);
  await light.page.screenshot({ path: join(OUT, 'export-import.png'), fullPage: true });
  await light.page.getByLabel('Dashboard file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('pump 3 ok') });
  await expect(light.page.getByRole('alert')).toHaveText('This file is not a Fieldboard dashboard file: it is not JSON.');
  await narrow(light.page, 'export-import-refused');
});

test('a metric with data and long content, 1280 and 360 px', async ({ browser }) => {
  const token = 'screenshot-ingest-token-0123456789';
  const server = await startKitServer({ env: { FIELDBOARD_INGEST_TOKEN: token } });
  try {
    const a = await device(browser, server.url, { viewport: { width: 1280, height: 900 } });
    const page = a.page;
    const dashboardId = await page.evaluate(async () => ((await (await fetch('/api/dashboards')).json()) as { dashboards: { id: string }[] }).dashboards[0].id);
    const values = [41.2, 42.5, 43.1, 45, 44.2, 46.8, 47.3, 45.9, 44.1, 42.7, 43.6, 48.2];
    for (const value of values) {
      const r = await fetch(`${server.url}/api/ingest/${dashboardId}/flow`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ value }),
      });
      expect(r.status).toBe(202);
    }
    const flow = widget(page, 'Flow rate');
    await expect(flow.locator('.metric-value')).toHaveText('48.2');
    await expect(flow).toContainText('min 41.2 · max 48.2');
    // Long content: a serial number and a URL without spaces, in a note and in a checklist item.
    await typeNote(page, 'Replaced seal on pump P-2023-000004711-B; manual at https://example.com/manuals/pumps/series-4000/maintenance/seals.pdf');
    const list = widget(page, 'Valve check');
    await list.getByRole('textbox', { name: 'New item' }).fill('Check https://example.com/very/long/path/to/the/valve/inspection/checklist/2026');
    await list.getByRole('button', { name: 'Add' }).click();
    await waitForSynced(page);
    for (const [width, suffix] of [[1280, ''], [360, '-360']] as const) {
      await page.setViewportSize({ width, height: width > 600 ? 900 : 780 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await noSeriousAxe(page);
      await page.screenshot({ path: join(OUT, `metric-long-content${suffix}.png`), fullPage: true });
    }
  } finally {
    await server.stop();
  }
});
