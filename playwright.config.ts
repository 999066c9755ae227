import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/kit/chromium.ts';

/**
 * End-to-end tests drive the Debian Chromium (/usr/bin/chromium) against the real server. Each test gets
 * its own server process and temp database (tests/kit/fixtures.ts) and a fresh browser context, so there is
 * never a stale service worker or a shared connection count between tests.
 */
export default defineConfig({
  // The project's own end-to-end tests, and a tester's spec that imports the kit as `fieldboard/kit`
  // (package.json "exports"), as docs/testing.md tells testers to.
  projects: [
    { name: 'e2e', testDir: 'tests/e2e' },
    { name: 'tester-example', testDir: 'examples/tester' },
  ],
  globalSetup: './tests/kit/global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: process.env.CI ? [['list'], ['line']] : 'list',
  use: {
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
