import { defineConfig } from 'vitest/config';

// Tests are grouped by where they run: pure logic and SW units in Node (fake-indexeddb), UI components in
// jsdom, and integration suites against the real server, real `ws` clients and a real SQLite file or PostgreSQL server.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: { name: 'ui', include: ['tests/ui/**/*.test.{ts,tsx}'], environment: 'jsdom' },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'tests/storage/**/*.test.ts'],
          environment: 'node',
          // A throwaway PostgreSQL when tests/run-all.sh has not started one (docs/testing.md).
          globalSetup: ['tests/setup/pg-global.ts'],
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      {
        extends: true,
        // The deterministic simulation of the whole sync loop (tests/sim/README.md): a bounded batch in two shards.
        test: { name: 'sim', include: ['tests/sim/**/*.test.ts'], environment: 'node', testTimeout: 600_000 },
      },
    ],
  },
});
