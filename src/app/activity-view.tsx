/**
 * Activity: what happened to my changes (rejections, automatic resolutions, from the SW) and what others
 * changed recently (the server's feed, refreshed when the confirmed replica moves). Newest first. Each line
 * says who (a name from the feed, "You", or a sensor), on which device (this one or another), and when
 * (relative, the absolute time on hover); a run of changes by one person to one widget is one line
 * ("changed ‘Pumps’ from 0 to 3 (+3)", "3 changes").
 */
import { useEffect, useState } from 'preact/hooks';
import type { ActivityResponse, DashboardId } from '../../protocol/index.ts';
import { describeFeed } from '../state/describe.ts';
import type { ActivityFetcher } from '../state/activity-feed.ts';
import { useClient, useUi } from './contexts.ts';
import { When } from './when.tsx';

const REFRESH_DEBOUNCE_MS = 500;

interface Row {
  key: string;
  at: number;
  firstAt: number;
  text: string;
  kind: string;
  device: string;
  count: number;
}

export function ActivityView({ fetchActivity }: { fetchActivity: ActivityFetcher }) {
  const client = useClient();
  const ui = useUi();
  const dashboardId = ui.dashboardId.value;
  const confirmed = dashboardId ? client.confirmed(dashboardId).value : null;
  const [feed, setFeed] = useState<{ id: DashboardId; answer: ActivityResponse } | null>(null);

  // Refetch when the replica moves (someone changed something), debounced so a burst makes one request.
  useEffect(() => {
    if (!dashboardId) return;
    let live = true;
    const t = setTimeout(() => {
      fetchActivity(dashboardId)
        .then((answer) => {
          if (!live) return;
          setFeed({ id: dashboardId, answer });
          ui.learnNames(answer.users);
        })
        .catch(() => {
          /* offline or signed out: keep showing what we had */
        });
    }, REFRESH_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [dashboardId, confirmed, fetchActivity]);

  const audience = { me: client.user.value?.id ?? null, myClient: client.clientId?.value ?? null, names: ui.names.value };
  const mineToldMe: Row[] = client.activity.value
    .filter((e) => e.dashboardId === dashboardId)
    .map((e, i) => ({ key: `a${i}:${e.at}`, at: e.at, firstAt: e.at, text: e.message, kind: e.kind, device: '', count: 1 }));
  const others: Row[] =
    feed && feed.id === dashboardId ? describeFeed(feed.answer.changes, audience).map((f) => ({ ...f, kind: 'change' })) : [];
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
              <span class="entry-text">{r.text}</span>{' '}
              <span class="muted entry-meta">
                {r.device && `${r.device} · `}
                {r.count > 1 && `${r.count} changes · `}
                <When at={r.at} from={r.firstAt} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
