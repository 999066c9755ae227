/**
 * Playwright fixtures: `server` is a real Fieldboard server of its own for each test (fresh temp database
 * with the demo user and dashboard), and `baseURL` points at it, so `page.goto('/')` opens the app.
 *
 *   import { test, expect } from '../kit/fixtures.ts';
 *   test('works offline', async ({ page, server }) => { await signIn(page); ... });
 *
 * Any Content-Security-Policy violation in a page or worker of any context a test opens fails that test.
 */
import { test as base, chromium, expect } from '@playwright/test';
import { watchCsp, watchNewContexts } from './csp-guard.ts';
import { startKitServer, type KitServer } from './server.ts';

export const test = base.extend<{ server: KitServer; cspViolations: string[] }>({
  // Every test fails on a Content-Security-Policy violation in any context it opens (tests/kit/csp-guard.ts).
  cspViolations: [
    async ({ browser }, use) => {
      const found: string[] = [];
      const restore = watchNewContexts(browser, chromium, found);
      try {
        await use(found);
      } finally {
        restore();
      }
      expect(found, 'Content-Security-Policy violations').toEqual([]);
    },
    { auto: true },
  ],
  context: async ({ context, cspViolations }, use) => {
    watchCsp(context, cspViolations);
    await use(context);
  },
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
