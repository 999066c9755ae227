/**
 * On the board, while a conflict waits for the person: which widgets, and the way to the choices. The
 * status bar's "Conflicts (N)" is small; this says what it means where the person is looking. It is pinned
 * to the bottom of the window instead of pushing the board down: a conflict arrives by itself, and the
 * board must not move under a finger (tests/e2e/layout.spec.ts); a spacer keeps the last card reachable.
 */
import { quote } from '../../protocol/index.ts';
import { lookupWidget } from '../state/widget-lookup.ts';
import { useClient, useUi } from './contexts.ts';

export function ConflictBanner() {
  const client = useClient();
  const ui = useUi();
  if (ui.conflictCount.value === 0) return null;
  const dashboardId = ui.dashboardId.value;
  const waiting = ui.conflicts.value.filter((e) => e.mutation.dashboardId === dashboardId);
  if (!dashboardId || waiting.length === 0) return null;
  const confirmed = client.confirmed(dashboardId).value;
  const titles = [...new Set(waiting.map((e) => lookupWidget(e.mutation.args.widgetId, ui.view.value, confirmed, waiting)?.title ?? 'a widget'))];
  const names = titles.map(quote).join(', ');
  return (
    <>
      <div class="board-spacer" aria-hidden="true" />
      <div class="banner banner-warn conflict-banner" role="region" aria-label="Conflict waiting">
        <span>
          {names} {titles.length === 1 ? 'was' : 'were'} changed on another device too: choose which to keep.
        </span>
        <button type="button" onClick={() => (ui.screen.value = 'conflicts')}>
          Open conflicts
        </button>
      </div>
    </>
  );
}
