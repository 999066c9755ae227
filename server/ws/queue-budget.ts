/**
 * The budgets of bytes queued to readers that do not read (issue 14: 20 sockets asking resets and never
 * reading held 2,468 MiB; 20 unread HTTP pulls 1,481 MiB). A reader is a socket or an HTTP answer still being
 * written (server/http/answers.ts). Each socket has its own cap, checked as it sends (connection.ts); this
 * sweep caps the sum per user (`userQueueBytes`) and over the process (`queueBytes`): over one, that user's
 * (or everyone's) readers furthest behind are dropped until the rest fits. A dropped socket closes with 4002
 * and resumes from its cursor; a dropped answer's connection is destroyed and the client asks again. Nothing
 * is lost either way: nothing was acknowledged that the client did not receive.
 *
 * Summing every reader's queue is O(readers), so it runs on a short timer, not on every send; between two
 * sweeps the per-socket cap and the page size bound what any one reader can add.
 */
import type { UserId } from '../../protocol/index.ts';
import type { Limits } from '../limits/config.ts';

export const QUEUE_SWEEP_MS = 250;

export type QueueLimit = 'socket-queue' | 'user-queue' | 'global-queue';

export interface SlowReader {
  readonly userId: UserId;
  /** True once dropped: its queue is on its way out. */
  readonly dropped: boolean;
  /** Bytes written to it that its peer has not taken yet (held in this process). */
  bufferedAmount(): number;
  /** Drops it (close 4002, or destroy the HTTP connection) and frees its queue soon even if it never reads. */
  dropSlow(limit: QueueLimit): void;
}

/** What `readers` hold queued in all (the `fieldboard_fanout_queue_bytes` gauge). */
export function queuedBytes(readers: Iterable<SlowReader>): number {
  let total = 0;
  for (const r of readers) total += r.bufferedAmount();
  return total;
}

interface Queued {
  r: SlowReader;
  queued: number;
}

/** Drops the largest queues of `live` until `total` is within `budget`; answers what is left queued. */
function shed(live: Queued[], total: number, budget: number, limit: QueueLimit): number {
  if (total <= budget) return total;
  live.sort((a, b) => b.queued - a.queued);
  for (const q of live) {
    if (total <= budget) break;
    if (q.r.dropped) continue;
    q.r.dropSlow(limit);
    total -= q.queued;
  }
  return total;
}

/** Drops the slowest readers until each user's queues and all of them are within budget; answers how many. */
export function enforceQueueBudget(readers: Iterable<SlowReader>, limits: Pick<Limits, 'userQueueBytes' | 'queueBytes'>): number {
  const byUser = new Map<UserId, { total: number; live: Queued[] }>();
  const live: Queued[] = [];
  for (const r of readers) {
    const queued = r.bufferedAmount();
    if (r.dropped || queued === 0) continue;
    const u = byUser.get(r.userId) ?? { total: 0, live: [] };
    u.total += queued;
    u.live.push({ r, queued });
    byUser.set(r.userId, u);
    live.push({ r, queued });
  }
  let total = 0;
  for (const u of byUser.values()) total += shed(u.live, u.total, limits.userQueueBytes, 'user-queue');
  shed(live.filter((q) => !q.r.dropped), total, limits.queueBytes, 'global-queue');
  return live.filter((q) => q.r.dropped).length;
}
