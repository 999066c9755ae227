/** Parked conflicts, one card per widget (later mutations of a widget wait behind its first conflict). */
import { useEffect } from 'preact/hooks';
import type { OutboxEntry } from '../../contract/index.ts';
import type { ActivityFetcher } from '../state/activity-feed.ts';
import { useUi } from './contexts.ts';
import { PolicySetting } from './policy-setting.tsx';
import { ConflictCard } from './conflict-card.tsx';

export function ConflictsView({ fetchActivity }: { fetchActivity: ActivityFetcher }) {
  const ui = useUi();
  const dashboardId = ui.dashboardId.value;
  // The names of the people who changed "theirs" (best effort: offline the cards say "someone else").
  useEffect(() => {
    if (!dashboardId) return;
    fetchActivity(dashboardId)
      .then((a) => ui.learnNames(a.users))
      .catch(() => undefined);
  }, [dashboardId, fetchActivity]);
  const firsts = new Map<string, OutboxEntry>();
  for (const e of ui.conflicts.value) {
    const key = `${e.mutation.dashboardId}/${e.mutation.args.widgetId}`;
    if (!firsts.has(key)) firsts.set(key, e);
  }
  return (
    <section class="panel" aria-labelledby="conflicts-title">
      <div class="panel-head">
        <h2 id="conflicts-title">Conflicts</h2>
        <button type="button" onClick={() => (ui.screen.value = 'board')}>
          Back to dashboard
        </button>
      </div>
      <PolicySetting />
      {firsts.size === 0 ? (
        <p class="empty">No conflicts.</p>
      ) : (
        [...firsts.entries()].map(([key, e]) => <ConflictCard key={key} first={e} entries={ui.mine.value} />)
      )}
    </section>
  );
}
