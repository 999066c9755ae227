/**
 * Process entry: `node --import tsx server/main.ts`. This process receives SIGTERM/SIGINT itself (npm's
 * `start` script `exec`s it), so a supervisor's stop reaches the graceful shutdown.
 */
import { ConfigError, loadConfig } from './config.ts';
import { startServer } from './app.ts';
import { DEMO_USER } from './seed.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Fieldboard: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const server = await startServer(config);
  if (server.seed.seeded) {
    // Never the password itself: logs are shipped and kept where passwords must not be.
    server.log.info(
      { user: DEMO_USER },
      `Demo data created: sign in as "${DEMO_USER}" with the password in FIELDBOARD_DEMO_PASSWORD ("demo" when it is unset)`,
    );
  }
  // The log line scripts and tests wait for: they have seen every log record before it.
  server.log.info({ url: server.url }, `Fieldboard listening on ${server.url}`);
  // Then the one plain line a person reads (the JSON log is for machines), with the demo sign-in while the
  // demo user exists. The default password "demo" is no secret (README); any other is never printed.
  const demo = (await server.store.findUserByName(DEMO_USER)) !== null;
  const signIn = config.demoPassword === 'demo' ? `sign in as ${DEMO_USER} / demo` : `sign in as ${DEMO_USER} with the password in FIELDBOARD_DEMO_PASSWORD`;
  console.log(`Fieldboard is running at ${server.url}${demo ? `  (${signIn})` : ''}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means "now": skip the graceful path.
      server.log.warn({ signal }, 'second signal; exiting at once');
      process.exit(1);
    }
    stopping = true;
    server.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Operators and test kits simulate a network cut that really closes connections: every socket is
  // terminated without a close frame, and clients must resume from their cursors.
  process.on('SIGUSR2', () => {
    server.log.warn('SIGUSR2: dropping every socket');
    server.dropSockets();
  });
}

main().catch((err: unknown) => {
  console.error('Fieldboard failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
