/**
 * The global budget of bytes queued to sockets that do not read (issue 14: 20 sockets asking resets and
 * never reading held 2,468 MiB). Each socket has its own cap, checked as it sends (connection.ts); this
 * sweep caps their sum: over `queueBytes`, the sockets furthest behind are dropped (close 4002) until the
 * rest fits. A dropped client loses nothing: it reconnects with backoff and resumes from its cursor.
 *
 * Summing every socket's `bufferedAmount` is O(sockets), so it runs on a short timer, not on every send;
 * between two sweeps the per-socket cap bounds what any one socket can add.
 */
import type { Limits } from '../limits/config.ts';
import type { Hub } from './hub.ts';

export const QUEUE_SWEEP_MS = 250;

/** Drops the slowest readers until the queued total is within budget; answers how many were dropped. */
export function enforceQueueBudget(hub: Hub, limits: Limits): number {
  let total = 0;
  const live = [];
  for (const s of hub.subscribers()) {
    const queued = s.bufferedAmount();
    total += queued;
    if (!s.dropped && queued > 0) live.push({ s, queued });
  }
  if (total <= limits.queueBytes) return 0;
  live.sort((a, b) => b.queued - a.queued);
  let dropped = 0;
  for (const { s, queued } of live) {
    if (total <= limits.queueBytes) break;
    s.dropSlow('global-queue');
    total -= queued;
    dropped++;
  }
  return dropped;
}
