import { act, screen } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import type { WidgetId } from '../../protocol/index.ts';
import type { ConnectionState } from '../../contract/index.ts';
import { now } from '../../src/state/clock.ts';
import { counter, entry, fakeClient } from './fake-client.ts';
import { NOW, renderApp } from './render-app.tsx';

const add = () => entry({ name: 'counter.add', args: { widgetId: 'w_1' as WidgetId, delta: 1 } }, { createdAt: NOW - 125_000 });

describe('status element (role="status")', () => {
  const cases: [ConnectionState, number, string][] = [
    [{ kind: 'caught-up', since: 0, lastSyncedAt: NOW }, 0, 'Online'],
    [{ kind: 'open', since: 0 }, 0, 'Online'],
    [{ kind: 'caught-up', since: 0, lastSyncedAt: NOW }, 2, 'Syncing'],
    [{ kind: 'open', since: 0 }, 1, 'Syncing'],
    [{ kind: 'idle' }, 0, 'Connecting'],
    [{ kind: 'connecting', attempt: 1 }, 0, 'Connecting'],
    [{ kind: 'connecting', attempt: 4 }, 0, 'Connecting (attempt 4)'],
    [{ kind: 'offline', lastSyncedAt: null }, 3, 'Offline'],
    [{ kind: 'offline', lastSyncedAt: NOW - 120_000 }, 0, 'Offline, last synced 2 min ago'],
    [{ kind: 'backoff', attempt: 3, retryAt: NOW + 7_200, lastError: 'HTTP 503', lastSyncedAt: NOW - 10_000 }, 1, 'Retrying in 8s, last synced 10 s ago'],
    [{ kind: 'backoff', attempt: 1, retryAt: NOW - 1, lastError: 'x', lastSyncedAt: null }, 0, 'Retrying in 0s'],
  ];
  for (const [state, pending, text] of cases) {
    it(`${state.kind} with ${pending} pending says "${text}"`, () => {
      const client = fakeClient({ widgets: [counter('w_1', 'Pumps', 0, 'a0')] });
      client.connection.value = state;
      client.outbox.value = Array.from({ length: pending }, add);
      renderApp(client);
      expect(screen.getAllByRole('status')).toHaveLength(1);
      expect(screen.getByRole('status').textContent).toBe(text);
    });
  }

  it('says "Signed out" on the sign-in screen', () => {
    renderApp(fakeClient({ signedIn: false }));
    expect(screen.getByRole('status').textContent).toBe('Signed out');
  });

  it('counts the backoff down as time passes', () => {
    const client = fakeClient();
    client.connection.value = { kind: 'backoff', attempt: 2, retryAt: NOW + 5_000, lastError: 'x', lastSyncedAt: null };
    renderApp(client);
    expect(screen.getByRole('status').textContent).toBe('Retrying in 5s');
    act(() => void (now.value = NOW + 2_000));
    expect(screen.getByRole('status').textContent).toBe('Retrying in 3s');
  });

  it('follows the connection signal', () => {
    const client = fakeClient();
    renderApp(client);
    expect(screen.getByRole('status').textContent).toBe('Online');
    act(() => void (client.connection.value = { kind: 'offline', lastSyncedAt: null }));
    expect(screen.getByRole('status').textContent).toBe('Offline');
  });
});

describe('pending count', () => {
  it('reads exactly "N pending" with the oldest age, leaving parked conflicts out', () => {
    const client = fakeClient({ widgets: [counter('w_1', 'Pumps', 0, 'a0')] });
    const parked = entry({ name: 'widget.set', args: { widgetId: 'w_1' as WidgetId, patch: { value: 4 } } }, { state: 'conflict' });
    client.outbox.value = [add(), add(), entry({ name: 'counter.add', args: { widgetId: 'w_1' as WidgetId, delta: 1 } }, { createdAt: NOW - 5_000 }), parked];
    renderApp(client);
    expect(screen.getByText(/^\d+ pending$/).textContent).toBe('3 pending');
    expect(screen.getByText(/oldest/).textContent).toBe(' · oldest 2 min ago');
  });

  it('is absent with nothing pending, and appears as the outbox grows', () => {
    const client = fakeClient({ widgets: [counter('w_1', 'Pumps', 0, 'a0')] });
    renderApp(client);
    expect(screen.queryByText(/pending$/)).toBeNull();
    act(() => void (client.outbox.value = [add()]));
    expect(screen.getByText(/^\d+ pending$/).textContent).toBe('1 pending');
  });
});
