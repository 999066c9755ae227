import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Builds the PWA once before the end-to-end run, unless the caller just did (tests/run-all.sh). */
export default function globalSetup(): void {
  if (process.env.FIELDBOARD_SKIP_BUILD === '1' && existsSync('dist/sw.js')) return;
  execFileSync('npx', ['vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
