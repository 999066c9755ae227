/**
 * Vitest global setup of the integration project: makes sure a PostgreSQL is there for the storage and
 * cluster tests (docs/testing.md, "PostgreSQL in tests"). `npm test` starts one in tests/run-all.sh and
 * passes its URL as FIELDBOARD_TEST_PG_URL; `npx vitest run` on its own starts a throwaway one here with the
 * same script and stops it afterwards. Either way a test that needs PostgreSQL never skips: when none can
 * be started, this fails the run with the script's message (what to install).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve('tests/setup/postgres.sh');

export default function setup(): (() => void) | undefined {
  if (process.env.FIELDBOARD_TEST_PG_URL) return undefined;
  execFileSync('bash', [SCRIPT, 'ensure'], { stdio: 'inherit' });
  const dir = mkdtempSync(path.join(tmpdir(), 'fieldboard-pg-'));
  // The server runs as another user (postgres.sh), who must be able to reach its data directory.
  chmodSync(dir, 0o755);
  const url = execFileSync('bash', [SCRIPT, 'start', path.join(dir, 'data'), 'fsync-off'], { encoding: 'utf8' }).trim();
  process.env.FIELDBOARD_TEST_PG_URL = url;
  return () => {
    execFileSync('bash', [SCRIPT, 'stop', path.join(dir, 'data')]);
    rmSync(dir, { recursive: true, force: true });
  };
}
