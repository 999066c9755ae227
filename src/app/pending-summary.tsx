/**
 * "N pending" (exactly that text in its own element: the tester kit reads it) and the age of the oldest
 * unsynced change, so a stuck queue is visible at a glance.
 */
import { ago, now } from '../state/clock.ts';
import { useUi } from './contexts.ts';

export function PendingSummary() {
  const ui = useUi();
  const count = ui.unsyncedCount.value;
  const oldest = ui.oldestUnsynced.value;
  if (count === 0 || oldest === null) return null;
  return (
    <p class="pending-summary">
      <span class="pending-count">{count} pending</span>
      <span class="muted"> · oldest {ago(oldest, now.value)}</span>
    </p>
  );
}
