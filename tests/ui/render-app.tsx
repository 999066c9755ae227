/** Renders <App> against a fake client, with cleanup after each test and a settable clock. */
import { cleanup, render } from '@testing-library/preact';
import { afterEach, vi } from 'vitest';
import { App } from '../../src/app/app.tsx';
import type { ActivityFetcher } from '../../src/state/activity-feed.ts';
import { now } from '../../src/state/clock.ts';
import type { FakeClient } from './fake-client.ts';

afterEach(() => {
  cleanup();
  localStorage.clear();
  vi.useRealTimers();
});

export const NOW = 1_000_000;

export function renderApp(client: FakeClient, fetchActivity: ActivityFetcher = async () => ({ changes: [], users: [] })) {
  // The app's clock reads Date.now(); pinning it makes every relative time exact. Tests move time by
  // setting `now` (or with fake timers, advancing them).
  vi.setSystemTime(NOW);
  now.value = NOW;
  return render(<App client={client} fetchActivity={fetchActivity} />);
}
