/**
 * The root: the sign-in screen until someone is signed in (or a cached identity is restored offline),
 * then the dashboard shell. Banners and the status element show on both, so "Signed out" is visible.
 */
import { useEffect, useMemo } from 'preact/hooks';
import type { SyncClient } from '../sync/types.ts';
import { startClock } from '../state/clock.ts';
import { createUiState } from '../state/ui-state.ts';
import { ClientContext, UiContext } from './contexts.ts';
import { Banners } from './banners.tsx';
import { ConnectionStatus } from './connection-status.tsx';
import { SignIn } from './sign-in.tsx';
import { Shell } from './shell.tsx';
import type { ActivityFetcher } from '../state/activity-feed.ts';

export interface AppProps {
  client: SyncClient;
  /** Recent changes by others; defaults to GET /api/activity. Tests pass their own. */
  fetchActivity?: ActivityFetcher;
}

export function App({ client, fetchActivity }: AppProps) {
  const ui = useMemo(() => createUiState(client), [client]);
  useEffect(() => startClock(), []);
  const user = client.user.value;
  return (
    <ClientContext.Provider value={client}>
      <UiContext.Provider value={ui}>
        <div class="app">
          <Banners />
          {user ? (
            <Shell fetchActivity={fetchActivity} />
          ) : (
            <>
              <header class="topbar">
                <h1 class="brand">Fieldboard</h1>
                <ConnectionStatus />
              </header>
              <SignIn />
            </>
          )}
        </div>
      </UiContext.Provider>
    </ClientContext.Provider>
  );
}
