import { act, fireEvent, screen } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import type { WidgetId } from '../../protocol/index.ts';
import { USER, counter, entry, fakeClient } from './fake-client.ts';
import { renderApp } from './render-app.tsx';

function fillAndSubmit(user: string, password: string) {
  fireEvent.input(screen.getByLabelText('Username'), { target: { value: user } });
  fireEvent.input(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('sign in', () => {
  it('sends the typed credentials once', async () => {
    const client = fakeClient({ signedIn: false });
    renderApp(client);
    fillAndSubmit('demo', 'pw');
    expect(client.signIn.mock.calls).toEqual([['demo', 'pw']]);
    act(() => void (client.user.value = USER));
    expect(await screen.findByRole('combobox', { name: 'Dashboard' })).toBeTruthy();
  });

  it('shows the failure message in an alert and keeps the fields', async () => {
    const client = fakeClient({ signedIn: false });
    client.signIn.mockResolvedValueOnce({ ok: false, message: 'Wrong username or password' });
    renderApp(client);
    fillAndSubmit('demo', 'nope');
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password');
    expect((screen.getByLabelText('Username') as HTMLInputElement).value).toBe('demo');
    expect(screen.getAllByRole('alert')).toHaveLength(1);
  });

  it('says it is checking a saved session while it asks the server, with the form still usable', async () => {
    const client = fakeClient({ signedIn: false });
    client.checkingSession.value = true;
    renderApp(client);
    expect(screen.getByText('Checking whether this browser is still signed in…')).toBeTruthy();
    // Still the one status element testers look for: the connection's.
    expect(screen.getAllByRole('status')).toHaveLength(1);
    fillAndSubmit('demo', 'pw');
    expect(client.signIn.mock.calls).toEqual([['demo', 'pw']]);
    act(() => void (client.checkingSession.value = false));
    expect(screen.queryByText('Checking whether this browser is still signed in…')).toBeNull();
  });

  it('shows a thrown error (e.g. the SW is unreachable) as an alert too', async () => {
    const client = fakeClient({ signedIn: false });
    client.signIn.mockRejectedValueOnce(new Error('network down'));
    renderApp(client);
    fillAndSubmit('demo', 'demo');
    expect((await screen.findByRole('alert')).textContent).toBe('Could not sign in: network down');
  });
});

describe('sign out', () => {
  const pending = () => entry({ name: 'counter.add', args: { widgetId: 'w_c' as WidgetId, delta: 1 } });

  it('signs out at once with nothing unsynced', () => {
    const client = fakeClient();
    renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(client.signOut.mock.calls).toEqual([[false]]);
  });

  it('warns with the count, and keeps or discards as chosen', () => {
    const client = fakeClient({ widgets: [counter('w_c', 'Pumps', 0, 'a0')] });
    client.outbox.value = [pending(), pending(), { ...pending(), state: 'conflict' }];
    renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(screen.getByText('3 changes not yet synced')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(client.signOut).toHaveBeenCalledTimes(0);
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    fireEvent.click(screen.getByRole('button', { name: 'Keep them and sign out' }));
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    fireEvent.click(screen.getByRole('button', { name: 'Discard them and sign out' }));
    expect(client.signOut.mock.calls).toEqual([[false], [true]]);
  });
});
