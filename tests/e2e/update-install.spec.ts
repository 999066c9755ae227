/**
 * Updates and install as a person meets them (docs/updates.md): "Update available" names the version a
 * new deployment brings and what changed in it, Update reloads into it and says so in one line; and a
 * browser that offers no install prompt gets a hint on how to install, which can be dismissed for good.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, signIn } from '../kit/index.ts';
import { NO_INSTALL_PROMPT } from '../../src/state/capabilities.ts';
import { onCopyOfDist } from './sw-helpers.ts';

test('"Update available" names the version and what changed; after updating, one line says so', async ({ browser }) => {
  const { dist, page, close } = await onCopyOfDist(browser);
  try {
    const running = JSON.parse(readFileSync(join(dist.dir, 'version.json'), 'utf8')) as { version: string };
    expect(running.version).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);

    // A new version is deployed: a new service worker and its version.json.
    const next = { version: '9.8.7', changes: ['Checklists can be reordered by dragging.', 'Undo after Delete.'] };
    writeFileSync(join(dist.dir, 'version.json'), JSON.stringify(next));
    dist.bumpServiceWorker();
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    const banner = page.getByRole('region', { name: 'Update available' });
    await expect(banner).toContainText('Update available: version 9.8.7', { timeout: 15_000 });
    await expect(banner.getByRole('list', { name: 'What changed' }).getByRole('listitem')).toHaveText(next.changes);

    const reloaded = page.waitForEvent('load');
    await banner.getByRole('button', { name: 'Update' }).click();
    await reloaded;
    await expect(page.getByText('Updated to Fieldboard 9.8.7.')).toBeVisible();
    await expect(banner).toHaveCount(0);
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await expect(page.getByText('Updated to Fieldboard 9.8.7.')).toHaveCount(0);
    // Said once: a later reload does not say it again.
    await page.reload();
    await expect(page.getByRole('status')).toContainText('Online');
    await expect(page.getByText(/^Updated to Fieldboard/)).toHaveCount(0);
  } finally {
    await close();
  }
});

test('a browser with no install prompt shows how to install, until dismissed', async ({ browser, server }) => {
  const context = await browser.newContext({ baseURL: server.url });
  // A browser without beforeinstallprompt (Firefox, Safari), in Chromium: the handler attribute removed.
  await context.addInitScript(() => {
    delete (window as unknown as Record<string, unknown>).onbeforeinstallprompt;
  });
  try {
    const page = await context.newPage();
    await signIn(page);
    const limits = page.getByRole('region', { name: 'In this browser' });
    await expect(limits.getByText(NO_INSTALL_PROMPT)).toBeVisible();
    await expect(limits).toContainText('“Add to Home Screen”');
    await limits.getByRole('button', { name: 'Dismiss install hint' }).click();
    await expect(page.getByText(NO_INSTALL_PROMPT)).toHaveCount(0);
    await page.reload();
    await expect(page.getByRole('status')).toContainText('Online');
    await expect(page.getByText(NO_INSTALL_PROMPT)).toHaveCount(0);
  } finally {
    await context.close();
  }
});

test('Chromium, which offers its own prompt, shows no install hint', async ({ page }) => {
  await signIn(page);
  await expect(page.getByText(NO_INSTALL_PROMPT)).toHaveCount(0);
});
