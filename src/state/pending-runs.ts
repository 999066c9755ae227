/**
 * The Pending view's lines: consecutive unsynced mutations of one widget that say the same thing are one
 * line, the way a person thinks of them: three taps on +1 are "Counter ‘Pumps’ +3 (3 changes)", not three
 * lines. Only neighbours in outbox order are grouped, so the list still reads in the order things will be
 * sent; a conflict or a failure never merges with a queued entry (different states stay apart).
 */
import type { Widget } from '../../protocol/index.ts';
import type { OutboxEntry } from '../../contract/index.ts';
import { ago } from './clock.ts';
import { describeMutation } from './describe.ts';

export interface PendingRun {
  /** The entries of the run, in outbox order (Discard discards them all). */
  entries: OutboxEntry[];
  /** What the run did, in words. */
  text: string;
}

export function pendingRuns(entries: readonly OutboxEntry[], widgetOf: (e: OutboxEntry) => Widget | null): PendingRun[] {
  const runs: (PendingRun & { delta: number | null; one: string })[] = [];
  for (const e of entries) {
    const w = widgetOf(e);
    const one = describeMutation(e.mutation, w);
    const m = e.mutation;
    const delta = m.name === 'counter.add' ? m.args.delta : null;
    const last = runs.at(-1);
    const prev = last?.entries.at(-1);
    const together =
      last &&
      prev &&
      prev.mutation.dashboardId === m.dashboardId &&
      prev.mutation.args.widgetId === m.args.widgetId &&
      prev.state === e.state &&
      ((last.delta !== null && delta !== null) || (last.delta === null && delta === null && last.one === one));
    if (last && together) {
      last.entries.push(e);
      if (last.delta !== null && m.name === 'counter.add') {
        last.delta += m.args.delta;
        last.text = describeMutation({ ...m, args: { ...m.args, delta: last.delta } }, w);
      }
      continue;
    }
    runs.push({ entries: [e], text: one, delta, one });
  }
  return runs.map(({ entries: es, text }) => ({ entries: es, text }));
}

/** "Counter ‘Pumps’ +3, 3 changes, 2 min ago, attempt 1, last error: HTTP 503". */
export function pendingLine(run: PendingRun, current: number): string {
  const first = run.entries[0];
  const n = run.entries.length;
  const parts = [run.text];
  if (n > 1) parts.push(`${n} changes`);
  parts.push(ago(first.mutation.createdAt, current));
  const attempts = Math.max(...run.entries.map((e) => e.attempts));
  parts.push(attempts === 0 ? 'not sent yet' : `attempt ${attempts}`);
  if (first.state === 'conflict') parts.push('waiting for you in Conflicts');
  const lastError = run.entries.map((e) => e.lastError).filter((x) => x !== null).at(-1);
  if (lastError) parts.push(`last error: ${lastError}`);
  return parts.join(', ');
}
