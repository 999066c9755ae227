/** Renders <App> against a fake client, with cleanup after each test and a settable clock. */
import { cleanup, render } from '@testing-library/preact';
import { afterEach } from 'vitest';
import { App } from '../../src/app/app.tsx';
import type { ActivityFetcher } from '../../src/state/activity-feed.ts';
import { now } from '../../src/state/clock.ts';
import type { FakeClient } from './fake-client.ts';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

export const NOW = 1_000_000;

export function renderApp(client: FakeClient, fetchActivity: ActivityFetcher = async () => []) {
  const r = render(<App client={client} fetchActivity={fetchActivity} />);
  // The app's clock ticks from Date.now(); tests pin it so relative times are exact.
  now.value = NOW;
  return r;
}
