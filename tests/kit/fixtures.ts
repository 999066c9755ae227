/**
 * Playwright fixtures: `server` is a real Fieldboard server of its own for each test (fresh temp database
 * with the demo user and dashboard), and `baseURL` points at it, so `page.goto('/')` opens the app.
 *
 *   import { test, expect } from '../kit/fixtures.ts';
 *   test('works offline', async ({ page, server }) => { await signIn(page); ... });
 */
import { test as base, expect } from '@playwright/test';
import { startKitServer, type KitServer } from './server.ts';

export const test = base.extend<{ server: KitServer }>({
  server: async ({}, use) => {
    const server = await startKitServer();
    await use(server);
    await server.stop();
  },
  baseURL: async ({ server }, use) => {
    await use(server.url);
  },
});

export { expect };
