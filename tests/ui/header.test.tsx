import { act, fireEvent, screen, waitFor, within } from '@testing-library/preact';
import { describe, expect, it, vi } from 'vitest';
import type { Change, DashboardId, MutationId, UserId, WidgetId, ClientId } from '../../protocol/index.ts';
import { DASH, USER, checklist, counter, fakeClient } from './fake-client.ts';
import { NOW, renderApp } from './render-app.tsx';

describe('banners', () => {
  it('"Update available" with an Update button that applies the waiting version', () => {
    const client = fakeClient();
    renderApp(client);
    expect(screen.queryByText('Update available')).toBeNull();
    act(() => void (client.updateAvailable.value = true));
    fireEvent.click(screen.getByRole('button', { name: 'Update' }));
    expect(client.applyUpdate).toHaveBeenCalledTimes(1);
  });

  it('a storage error is an alert', () => {
    const client = fakeClient();
    client.storageError.value = 'QuotaExceededError';
    renderApp(client);
    expect(screen.getByRole('alert').textContent).toBe('Storage problem: QuotaExceededError');
  });
});

describe('dashboards', () => {
  const two = () => {
    const client = fakeClient();
    client.dashboards.value = [
      { id: DASH, name: 'Main' },
      { id: 'd_two' as DashboardId, name: 'Plant 2' },
    ];
    return client;
  };

  it('watches the first dashboard, then the one chosen in the switcher', async () => {
    const client = two();
    renderApp(client);
    await waitFor(() => expect(client.watch.mock.calls).toEqual([[DASH]]));
    fireEvent.change(screen.getByRole('combobox', { name: 'Dashboard' }), { target: { value: 'd_two' } });
    await waitFor(() => expect(client.watch.mock.calls).toEqual([[DASH], ['d_two']]));
  });

  it('creates a dashboard and switches to it', async () => {
    const client = two();
    client.createDashboard.mockImplementationOnce(async (name) => {
      client.dashboards.value = [...client.dashboards.value, { id: 'd_new' as DashboardId, name }];
      return { id: 'd_new' as DashboardId, name };
    });
    renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'New dashboard' }));
    fireEvent.input(screen.getByRole('textbox', { name: 'Dashboard name' }), { target: { value: 'Night shift' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(client.createDashboard.mock.calls).toEqual([['Night shift']]);
    await waitFor(() => expect((screen.getByRole('combobox', { name: 'Dashboard' }) as HTMLSelectElement).value).toBe('d_new'));
  });
});

describe('install button', () => {
  it('appears only after beforeinstallprompt and opens the prompt', async () => {
    renderApp(fakeClient());
    expect(screen.queryByRole('button', { name: 'Install app' })).toBeNull();
    const prompt = vi.fn(async () => {});
    const e = Object.assign(new Event('beforeinstallprompt', { cancelable: true }), {
      prompt,
      userChoice: Promise.resolve({ outcome: 'accepted' }),
    });
    await waitFor(() => {
      act(() => void window.dispatchEvent(e));
      expect(screen.getByRole('button', { name: 'Install app' })).toBeTruthy();
    });
    expect(e.defaultPrevented).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Install app' }));
    expect(prompt).toHaveBeenCalledTimes(1);
  });
});

describe('activity', () => {
  const change = (seq: number, widget: Change['widget'], userId: string | null, at: number, widgetId = 'w_l'): Change => ({
    seq, dashboardId: DASH, widgetId: widgetId as WidgetId, version: widget?.version ?? seq, widget,
    mutationId: userId ? (`m_${seq}` as MutationId) : null, clientId: userId ? ('c_x' as ClientId) : null, userId: userId as UserId | null, at,
  });

  it('shows rejections as notices on the board, dismissible', () => {
    const client = fakeClient();
    client.activity.value = [
      { at: NOW, dashboardId: DASH, widgetId: 'w_c' as WidgetId, kind: 'rejected', message: "Your +1 on 'Pumps' was undone: no widget w_c", code: 'not-found' },
    ];
    renderApp(client);
    const log = within(screen.getByRole('log', { name: 'Notices' }));
    expect(log.getByRole('listitem').firstElementChild?.textContent).toBe("Your +1 on 'Pumps' was undone: no widget w_c");
    fireEvent.click(log.getByRole('button', { name: /^Dismiss/ }));
    expect(screen.queryByRole('log')).toBeNull();
  });

  it('merges my rejections and others\' changes from the feed, newest first, in words', async () => {
    const client = fakeClient({ widgets: [counter('w_c', 'Pumps', 2, 'a0')] });
    client.activity.value = [
      { at: NOW - 5_000, dashboardId: DASH, widgetId: 'w_c' as WidgetId, kind: 'auto-resolved', message: "Remote won on 'Pumps': your value 7 was replaced by 9" },
    ];
    const v1 = checklist('w_l', 'Checks', [{ id: 'i1', text: 'Valve check', done: false }], 'a1', 1);
    const v2 = checklist('w_l', 'Checks', [{ id: 'i1', text: 'Valve check', done: true }], 'a1', 2);
    const feed = [
      change(12, { ...counter('w_c', 'Pumps', 3, 'a0', 3) }, null, NOW - 1_000, 'w_c'), // ingest-like: left out
      change(11, v2, 'u_ana', NOW - 10_000),
      change(10, v1, USER.id, NOW - 60_000),
    ];
    const fetchActivity = vi.fn(async () => ({ changes: feed, users: [{ id: 'u_ana' as UserId, name: 'Ana' }] }));
    renderApp(client, fetchActivity);
    fireEvent.click(screen.getByRole('button', { name: 'Activity' }));
    const texts = () =>
      within(screen.getByRole('list', { name: 'Recent activity' })).getAllByRole('listitem').map((li) => li.textContent);
    await waitFor(() => expect(texts()).toHaveLength(3));
    expect(texts()).toEqual([
      "Remote won on 'Pumps': your value 7 was replaced by 9 5 s ago",
      'Ana ticked ‘Valve check’ on another device · 10 s ago',
      'You added checklist ‘Checks’ on another device · 1 min ago',
    ]);
    expect(fetchActivity.mock.calls).toEqual([[DASH]]);
    // The absolute time is there on hover (and for machines).
    const time = within(screen.getByRole('list', { name: 'Recent activity' })).getAllByRole('listitem')[1].querySelector('time')!;
    expect(time.getAttribute('dateTime')).toBe(new Date(NOW - 10_000).toISOString());
    expect(time.getAttribute('title')).toMatch(/\d/);
  });
});
