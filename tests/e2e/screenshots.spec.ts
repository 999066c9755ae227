/**
 * Screenshots for docs/screenshots/: the app online, offline with pending edits, the conflicts view, the
 * update banner, and a 360 px wide phone. Each shot also checks that what it shows is really on screen.
 */
import { cpSync, mkdirSync, mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { goOffline, goOnline, pendingCount, startKitServer, test, expect, waitForSynced } from '../kit/index.ts';
import { device, expectAxeClean, expectOffline, typeNote, widget, closeDevices } from './ui-helpers.ts';

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
