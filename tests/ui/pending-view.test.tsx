import { act, fireEvent, screen, within } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import type { ItemId, WidgetId } from '../../protocol/index.ts';
import { checklist, counter, entry, fakeClient } from './fake-client.ts';
import { NOW, renderApp } from './render-app.tsx';

function world() {
  const client = fakeClient({
    widgets: [counter('w_c', 'Pumps', 3, 'a0', 2), checklist('w_l', 'Checks', [{ id: 'i1', text: 'Valve check', done: false }], 'a1')],
  });
  const add = entry({ name: 'counter.add', args: { widgetId: 'w_c' as WidgetId, delta: 1 } }, {
    createdAt: NOW - 120_000, attempts: 3, lastError: 'HTTP 503', state: 'failed',
  });
  const tick = entry({ name: 'checklist.set', args: { widgetId: 'w_l' as WidgetId, itemId: 'i1' as ItemId, patch: { done: true } } }, { createdAt: NOW - 10_000 });
  client.outbox.value = [add, tick];
  return { client, add, tick };
}

const lines = () =>
  within(screen.getByRole('list')).getAllByRole('listitem').map((li) => li.firstElementChild?.textContent);

describe('pending view', () => {
  it('lists each queued mutation in words, oldest first', () => {
    renderApp(world().client);
    fireEvent.click(screen.getByRole('button', { name: 'Pending changes' }));
    expect(lines()).toEqual([
      'Counter ‘Pumps’ +1, 2 min ago, attempt 3, last error: HTTP 503',
      'Checklist ‘Checks’: ticked ‘Valve check’, 10 s ago, not sent yet',
    ]);
  });

  it('Retry now asks the client to retry', () => {
    const { client } = world();
    renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Pending changes' }));
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(client.retryNow).toHaveBeenCalledTimes(1);
  });

  it('Retry now while offline says why nothing happens instead of doing nothing visible', async () => {
    const { client } = world();
    client.connection.value = { kind: 'offline', lastSyncedAt: null };
    renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Pending changes' }));
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(await screen.findByText('You are offline: these changes go out by themselves when the connection returns.')).toBeTruthy();
    act(() => void (client.connection.value = { kind: 'caught-up', since: 0, lastSyncedAt: 0 }));
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(await screen.findByText('Sending again now.')).toBeTruthy();
  });

  it('Discard asks first, then discards that one mutation; the widget rolls back once it leaves the outbox', () => {
    const { client, add, tick } = world();
    renderApp(client);
    expect(within(screen.getByRole('article', { name: 'Pumps' })).getByText('4')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Pending changes' }));
    const first = within(within(screen.getByRole('list')).getAllByRole('listitem')[0]);
    fireEvent.click(first.getByRole('button', { name: 'Discard' }));
    fireEvent.click(first.getByRole('button', { name: 'Cancel' }));
    expect(client.discard).toHaveBeenCalledTimes(0);
    fireEvent.click(first.getByRole('button', { name: 'Discard' }));
    fireEvent.click(first.getByRole('button', { name: 'Confirm discard' }));
    expect(client.discard.mock.calls).toEqual([[add.mutation.id]]);
    // The SW answers by broadcasting the outbox without it.
    act(() => void (client.outbox.value = [tick]));
    fireEvent.click(screen.getByRole('button', { name: 'Back to dashboard' }));
    expect(within(screen.getByRole('article', { name: 'Pumps' })).getByText('3')).toBeTruthy();
  });

  it('says so when nothing is pending', () => {
    renderApp(fakeClient());
    fireEvent.click(screen.getByRole('button', { name: 'Pending changes' }));
    expect(screen.getByText('Nothing pending: every change is synced.')).toBeTruthy();
  });
});
