/**
 * Retry delays: exponential with full jitter (base 0.5 s, cap 60 s). Pure, so a test can lay out a whole
 * timeline of attempts in one assertion by passing its own `random`.
 *
 *   delay(attempt) = random() * min(cap, base * 2^(attempt - 1))      attempt = 1, 2, 3, ...
 *
 * Callers reset `attempt` to 0 on success and when the browser comes back online.
 */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 60_000;

export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  base: number = BACKOFF_BASE_MS,
  cap: number = BACKOFF_CAP_MS,
): number {
  if (attempt <= 0) return 0;
  // 2^(attempt-1) overflows to Infinity long after it passed the cap; min() keeps it finite.
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}
