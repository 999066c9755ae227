/**
 * Activity: what happened to my changes (rejections, automatic resolutions, from the SW) and what others
 * changed recently (the server's feed, refreshed when the confirmed replica moves). Newest first.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Change, DashboardId } from '../../protocol/index.ts';
import { ago, now } from '../state/clock.ts';
import { describeFeed } from '../state/describe.ts';
import type { ActivityFetcher } from '../state/activity-feed.ts';
import { useClient, useUi } from './contexts.ts';

const REFRESH_DEBOUNCE_MS = 500;

export function ActivityView({ fetchActivity }: { fetchActivity: ActivityFetcher }) {
  const client = useClient();
  const ui = useUi();
  const dashboardId = ui.dashboardId.value;
  const confirmed = dashboardId ? client.confirmed(dashboardId).value : null;
  const [feed, setFeed] = useState<{ id: DashboardId; changes: Change[] } | null>(null);

  // Refetch when the replica moves (someone changed something), debounced so a burst makes one request.
  useEffect(() => {
    if (!dashboardId) return;
    let live = true;
    const t = setTimeout(() => {
      fetchActivity(dashboardId)
        .then((changes) => live && setFeed({ id: dashboardId, changes }))
        .catch(() => {
          /* offline or signed out: keep showing what we had */
        });
    }, REFRESH_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [dashboardId, confirmed, fetchActivity]);

  const me = client.user.value?.id ?? null;
  const mineToldMe = client.activity.value
    .filter((e) => e.dashboardId === dashboardId)
    .map((e, i) => ({ key: `a${i}:${e.at}`, at: e.at, text: e.message, kind: e.kind as string }));
  const others = feed && feed.id === dashboardId ? describeFeed(feed.changes, me).map((f) => ({ ...f, kind: 'change' })) : [];
  const rows = [...mineToldMe, ...others].sort((a, b) => b.at - a.at).slice(0, 50);

  return (
    <section class="panel" aria-labelledby="activity-title">
      <div class="panel-head">
        <h2 id="activity-title">Activity</h2>
        <button type="button" onClick={() => (ui.screen.value = 'board')}>
          Back to dashboard
        </button>
      </div>
      {rows.length === 0 ? (
        <p class="empty">No recent activity.</p>
      ) : (
        <ul class="entries" aria-label="Recent activity">
          {rows.map((r) => (
            <li key={r.key} class={`entry entry-${r.kind}`}>
              {r.text} <span class="muted">{ago(r.at, now.value)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
