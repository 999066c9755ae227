/**
 * Which `mutate` posts the worker takes: each tab numbers its mutations 1, 2, 3… and posts one again, with
 * the same number, when its answer does not come (the worker stopped before answering, or the post was
 * lost while it started). The worker remembers per tab the highest number it took, in the same IndexedDB
 * transaction as the append, so (docs/service-worker.md, "A click survives a worker that stops before
 * answering"):
 * - a number it took before is a duplicate: answered, never appended twice (the id alone cannot tell once
 *   the entry was coalesced into a later edit or applied and removed);
 * - a number past one the tab is still waiting for is refused `out-of-order`, so a lost click posted again
 *   never lands behind the clicks that followed it; the tab posts its waiting ones again, in order.
 * The log keeps the tabs seen in the last week, at most `TABS_KEPT`; a tab posts again within seconds.
 */
import type { MutateFrom } from '../contract/index.ts';

export type TabLog = Record<string, { n: number; at: number }>;

export type Admission =
  | { kind: 'take'; log: TabLog }
  | { kind: 'duplicate' }
  | { kind: 'out-of-order'; expected: number };

export const TABS_KEPT = 50;
export const TAB_LOG_DAYS = 7;

export function admit(log: TabLog, from: MutateFrom, now: number): Admission {
  const taken = log[from.tab]?.n ?? 0;
  if (from.n <= taken) return { kind: 'duplicate' };
  const owed = from.waiting.filter((n) => n > taken && n < from.n);
  if (owed.length > 0) return { kind: 'out-of-order', expected: Math.min(...owed) };
  return { kind: 'take', log: prune({ ...log, [from.tab]: { n: from.n, at: now } }, now) };
}

function prune(log: TabLog, now: number): TabLog {
  const since = now - TAB_LOG_DAYS * 86_400_000;
  const kept = Object.entries(log)
    .filter(([, t]) => t.at >= since)
    .sort((a, b) => b[1].at - a[1].at)
    .slice(0, TABS_KEPT);
  return Object.fromEntries(kept);
}
