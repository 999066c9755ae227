/**
 * Export and import as a person does it (docs/export-import.md): download the dashboard's file, import it
 * as a new dashboard online, into an empty dashboard offline (synced later), and refuse a bad file with
 * words while storing nothing. The server's state is read through its API after each.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { apiDashboards, apiLogin, goOffline, goOnline, pendingCount, serverState, test, expect, waitForSynced } from '../kit/index.ts';
import { exportBoard, type BoardFile } from '../../src/state/board-file.ts';
import { counterValue, device, expectOffline, noteBox, typeNote, widget, closeDevices } from './ui-helpers.ts';

test.afterEach(closeDevices);

async function openTransfer(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Export or import' }).click();
  await expect(page.getByRole('heading', { name: 'Export or import' })).toBeVisible();
}

/** Clicks Export and returns the downloaded file, as text and parsed. */
async function exportFile(page: Page): Promise<{ name: string; text: string; file: BoardFile }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /^Export ‘/ }).click()]);
  const path = await download.path();
  const text = readFileSync(path, 'utf8');
  return { name: download.suggestedFilename(), text, file: JSON.parse(text) as BoardFile };
}

const chooseFile = (page: Page, text: string, name = 'board.json') =>
  page.getByLabel('Dashboard file').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });

/** What the file says of a dashboard on the server, name and time aside. */
const asFile = (widgets: Parameters<typeof exportBoard>[1]) => exportBoard('x', widgets, 0).widgets;

test('export downloads every widget kind; import as a new dashboard rebuilds it on the server', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  const page = a.page;
  await widget(page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await typeNote(page, 'Pump 2 noisy, check “bearings”');
  await widget(page, 'Valve check').getByRole('checkbox', { name: 'Inlet valve open' }).check();
  await waitForSynced(page);

  const demoId = await page.getByRole('combobox', { name: 'Dashboard' }).inputValue();
  await openTransfer(page);
  const out = await exportFile(page);
  expect(out.name).toMatch(/^fieldboard-demo-\d{4}-\d{2}-\d{2}\.json$/);
  expect(out.file).toMatchObject({ format: 'fieldboard.dashboard', version: 1, name: 'Demo' });
  expect(out.file.widgets).toEqual([
    { kind: 'counter', title: 'Pumps', value: 1 },
    { kind: 'note', title: 'Shift notes', text: 'Pump 2 noisy, check “bearings”' },
    { kind: 'checklist', title: 'Valve check', items: [{ text: 'Inlet valve open', done: true }, { text: 'Outlet valve open', done: false }] },
    { kind: 'metric', title: 'Flow rate', metricKey: 'flow' },
  ]);

  await chooseFile(page, out.text, out.name);
  await expect(page.getByText('‘Demo’: 4 widgets: 1 counter, 1 note, 1 checklist, 1 metric.')).toBeVisible();
  // The demo dashboard has widgets: a file is never mixed into them.
  await expect(page.getByRole('button', { name: 'Import into ‘Demo’' })).toBeDisabled();
  await page.getByRole('button', { name: 'Import as a new dashboard' }).click();
  await expect(page.getByText('Imported 4 widgets into ‘Demo’.')).toBeVisible();
  await waitForSynced(page);

  const api = await apiLogin(server.url);
  const dashboards = await apiDashboards(api);
  expect(dashboards).toHaveLength(2);
  // The app shows the new dashboard, and the server holds what the file said.
  const shown = await page.getByRole('combobox', { name: 'Dashboard' }).inputValue();
  expect(dashboards.find((d) => d.id === shown)?.name).toBe('Demo');
  expect(shown).not.toBe(demoId);
  expect(asFile(await serverState(api, shown))).toEqual(out.file.widgets);

  await page.getByRole('button', { name: 'Back to dashboard' }).click();
  await expect(counterValue(page, 'Pumps')).toHaveText('1');
  await expect(noteBox(page)).toHaveValue('Pump 2 noisy, check “bearings”');
});

test('import into an empty dashboard offline queues it, and it syncs once online', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  const page = a.page;
  await openTransfer(page);
  const out = await exportFile(page);

  // An empty dashboard, made online (the server assigns its id), then the network goes.
  await page.getByRole('button', { name: 'New dashboard' }).click();
  await page.getByRole('textbox', { name: 'Dashboard name' }).fill('Site B');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByRole('combobox', { name: 'Dashboard' })).toHaveValue(/^d_/);
  const siteB = await page.getByRole('combobox', { name: 'Dashboard' }).inputValue();
  await goOffline(a.context);
  await expectOffline(page);

  await chooseFile(page, out.text);
  // A new dashboard cannot be made offline, and the app says so instead of failing silently.
  await page.getByRole('button', { name: 'Import as a new dashboard' }).click();
  await expect(page.getByRole('alert')).toContainText('Nothing was imported: A new dashboard needs the server, and you are offline.');
  await page.getByRole('button', { name: 'Import into ‘Site B’' }).click();
  await expect(page.getByText('Imported 4 widgets into ‘Site B’. You are offline: they sync when the connection returns.')).toBeVisible();
  await expect.poll(() => pendingCount(page)).toBe(4);
  await page.getByRole('button', { name: 'Back to dashboard' }).click();
  await expect(widget(page, 'Pumps').getByText('Pending')).toBeVisible();
  const api = await apiLogin(server.url);
  expect(await serverState(api, siteB)).toEqual([]);

  await goOnline(a.context);
  await waitForSynced(page);
  expect(asFile(await serverState(api, siteB))).toEqual(out.file.widgets);
  const order = await page.getByRole('article').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  expect(order).toEqual(['Pumps', 'Shift notes', 'Valve check', 'Flow rate']);
});

test('a bad file is refused in words and nothing is stored', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  const page = a.page;
  const api = await apiLogin(server.url);
  const before = await apiDashboards(api);
  await openTransfer(page);

  await chooseFile(page, 'name,value\nPumps,3\n', 'pumps.csv');
  await expect(page.getByRole('alert')).toHaveText('This file is not a Fieldboard dashboard file: it is not JSON.');
  await expect(page.getByRole('button', { name: 'Import as a new dashboard' })).toHaveCount(0);

  const file = { format: 'fieldboard.dashboard', version: 1, name: 'Bad', exportedAt: 0, widgets: [{ kind: 'counter', title: 'Pumps', value: 'three' }] };
  await chooseFile(page, JSON.stringify(file));
  await expect(page.getByRole('alert')).toContainText('This dashboard file cannot be imported: widgets[0].value:');

  await chooseFile(page, JSON.stringify({ ...file, version: 7 }));
  await expect(page.getByRole('alert')).toContainText('made by a newer Fieldboard (file version 7)');

  expect(await pendingCount(page)).toBe(0);
  expect(await apiDashboards(api)).toEqual(before);
});
