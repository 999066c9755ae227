/**
 * "N pending" (exactly that text in its own element: the tester kit reads it) and the age of the oldest
 * unsynced change, so a stuck queue is visible at a glance.
 */
import { ago, now } from '../state/clock.ts';
import { useUi } from './contexts.ts';

export function PendingSummary() {
  const ui = useUi();
  const entries = ui.unsynced.value;
  if (entries.length === 0) return null;
  const oldest = Math.min(...entries.map((e) => e.mutation.createdAt));
  return (
    <p class="pending-summary">
      <span class="pending-count">{entries.length} pending</span>
      <span class="muted"> · oldest {ago(oldest, now.value)}</span>
    </p>
  );
}
