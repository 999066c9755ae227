/**
 * Open-file limits for benchmarks with thousands of sockets: each socket is a descriptor in the server and
 * another in the load client, and the usual soft limit (1,024) stops a 5,000-socket run at the first
 * thousand. A process may raise its own soft limit up to the hard one but Node has no call for it, so the
 * benchmark runner re-runs itself once under `sh -c 'ulimit -n <hard>'`; every process it starts inherits the
 * raised limit. Past the hard limit only the machine's owner can help (limits.conf, `docker run --ulimit`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Descriptors a process needs beside its sockets (database, log, modules, listening socket). */
const HEADROOM = 200;
const RAISED = 'FIELDBOARD_BENCH_FILES_RAISED';

export function fileLimits(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const n = (s: string | undefined) => (s === undefined || s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

/** Re-runs this process with its soft limit raised to the hard one, if it is lower; returns only if not. */
export function raiseFileLimit(): void {
  const { soft, hard } = fileLimits();
  if (soft >= hard || process.env[RAISED]) return;
  const r = spawnSync('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$@"', 'sh', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [RAISED]: '1' },
  });
  process.exit(r.status ?? 1);
}

/** Throws, saying what to change, when `sockets` would not fit under this process's limit. */
export function assertFileLimit(sockets: number): void {
  const { soft, hard } = fileLimits();
  if (sockets + HEADROOM <= soft) return;
  throw new Error(
    `${sockets} sockets need about ${sockets + HEADROOM} open files in the server and in the load client; ` +
      `this process may open ${soft} (hard limit ${hard}). Raise the hard limit (ulimit -Hn as root, ` +
      '/etc/security/limits.conf, or docker run --ulimit nofile=65536:65536) and run again.',
  );
}
