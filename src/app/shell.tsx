/** The signed-in layout: header, notices, and the screen the person chose. */
import { useEffect } from 'preact/hooks';
import { useClient, useUi } from './contexts.ts';
import { Header } from './header.tsx';
import { Notices } from './notices.tsx';
import { BrowserLimits } from './browser-limits.tsx';
import { Board } from './board.tsx';
import { PendingView } from './pending-view.tsx';
import { ConflictsView } from './conflicts-view.tsx';
import { ConflictBanner } from './conflict-banner.tsx';
import { UndoToast } from './undo-toast.tsx';
import { ActivityView } from './activity-view.tsx';
import { TransferView } from './transfer-view.tsx';
import { fetchActivityFeed, type ActivityFetcher } from '../state/activity-feed.ts';

export function Shell({ fetchActivity = fetchActivityFeed }: { fetchActivity?: ActivityFetcher }) {
  const client = useClient();
  const ui = useUi();
  const dashboardId = ui.dashboardId.value;
  // The SW subscribes (and catches up) only to dashboards some tab is showing.
  useEffect(() => {
    if (dashboardId) client.watch(dashboardId);
  }, [client, dashboardId]);

  const screen = ui.screen.value;
  return (
    <>
      <Header />
      <Notices />
      <BrowserLimits />
      <main class="content" id="main">
        {screen === 'board' && <Board />}
        {screen === 'pending' && <PendingView />}
        {screen === 'conflicts' && <ConflictsView fetchActivity={fetchActivity} />}
        {screen === 'activity' && <ActivityView fetchActivity={fetchActivity} />}
        {screen === 'transfer' && <TransferView />}
      </main>
      <UndoToast />
      {screen === 'board' && <ConflictBanner />}
    </>
  );
}
