/**
 * Installability as Chromium itself judges it (the check behind the install prompt and Lighthouse's PWA
 * audit): a valid manifest with the needed fields and icons, and a service worker that controls the start
 * URL and serves it offline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { test, expect, signIn, waitForSynced, goOffline, grantPeriodicSync } from '../kit/index.ts';

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

test('the manifest is valid, Chromium finds no installability errors, and the installed app registers its periodic refresh', async ({ server, launchOptions }) => {
  // A persistent profile: Playwright's usual contexts are incognito, which alone makes an app not installable.
  const profile = mkdtempSync(join(tmpdir(), 'fieldboard-install-'));
  const context = await chromium.launchPersistentContext(profile, { ...launchOptions, baseURL: server.url });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    // What Chromium grants an installed app with some use: then the app asks for its periodic refresh.
    await grantPeriodicSync(page, new URL(server.url).origin);
    await signIn(page);
    await waitForSynced(page);
    await expect
      .poll(() =>
        page.evaluate(async () => {
          const reg = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & { periodicSync: { getTags(): Promise<string[]> } };
          return reg.periodicSync.getTags();
        }),
      )
      .toEqual(['fieldboard-refresh']);
    const cdp = await context.newCDPSession(page);
    const { errors, url } = await cdp.send('Page.getAppManifest');
    expect(url).toBe(`${server.url}/manifest.webmanifest`);
    expect(errors).toEqual([]);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    await cdp.detach();

    const manifest = (await (await fetch(`${server.url}/manifest.webmanifest`)).json()) as {
      name: string;
      start_url: string;
      display: string;
      icons: ManifestIcon[];
    };
    expect(manifest).toMatchObject({ name: 'Fieldboard', start_url: '/', display: 'standalone' });
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true);
    // Every icon it names is served as a PNG of the size it claims.
    for (const icon of manifest.icons) {
      const r = await fetch(new URL(icon.src, server.url));
      expect(r.headers.get('content-type')).toContain('image/png');
      const png = Buffer.from(await r.arrayBuffer());
      const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
      expect(`${w}x${h}`).toBe(icon.sizes);
    }
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
});

test('the service worker controls the start URL and serves it offline', async ({ page, context }) => {
  await signIn(page);
  await waitForSynced(page);
  await goOffline(context);
  const response = await page.goto('/');
  expect(response?.fromServiceWorker()).toBe(true);
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL.endsWith('/sw.js'))).toBe(true);
  await expect(page.getByRole('heading', { name: 'Fieldboard' })).toBeVisible();
  await expect(page.getByRole('article', { name: 'Pumps' })).toBeVisible();
});
