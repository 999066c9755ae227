import { screen, waitFor, within } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import { NO_BACKGROUND_SYNC, NO_INSTALL_PROMPT, NO_PERSISTENT_STORAGE } from '../../src/state/capabilities.ts';
import { counter, fakeClient } from './fake-client.ts';
import { renderApp } from './render-app.tsx';

describe('what this browser cannot do', () => {
  it('lists each missing piece and what it means, and the board still works', () => {
    const client = fakeClient({ widgets: [counter('w_pumps', 'Pumps', 2, 'a0')] });
    client.capabilities = { backgroundSync: false, persistentStorage: false, installPrompt: false };
    renderApp(client);
    const list = within(screen.getByRole('region', { name: 'In this browser' }));
    expect(list.getAllByRole('listitem').map((li) => li.firstChild?.textContent)).toEqual([
      NO_BACKGROUND_SYNC,
      NO_PERSISTENT_STORAGE,
      NO_INSTALL_PROMPT,
    ]);
    expect(screen.getByText(/^This browser syncs while the app is open/)).toBeTruthy();
    expect(screen.getByRole('article', { name: 'Pumps' })).toBeTruthy();
  });

  it('only what is missing: Firefox has storage but no Background Sync', () => {
    const client = fakeClient();
    client.capabilities = { backgroundSync: false, persistentStorage: true, installPrompt: false };
    renderApp(client);
    const items = within(screen.getByRole('region', { name: 'In this browser' })).getAllByRole('listitem');
    expect(items.map((li) => li.firstChild?.textContent)).toEqual([NO_BACKGROUND_SYNC, NO_INSTALL_PROMPT]);
  });

  it('the install hint can be dismissed, and stays dismissed in this browser', async () => {
    localStorage.removeItem('fieldboard.install-hint-dismissed');
    const client = fakeClient();
    client.capabilities = { backgroundSync: false, persistentStorage: true, installPrompt: false };
    const { unmount } = renderApp(client);
    screen.getByRole('button', { name: 'Dismiss install hint' }).click();
    await waitFor(() => expect(screen.queryByText(NO_INSTALL_PROMPT)).toBeNull());
    expect(screen.getByText(NO_BACKGROUND_SYNC)).toBeTruthy();
    unmount();
    renderApp(client);
    expect(screen.queryByText(NO_INSTALL_PROMPT)).toBeNull();
    localStorage.removeItem('fieldboard.install-hint-dismissed');
  });

  it('says nothing where the browser has everything, or where the client cannot tell', () => {
    const full = fakeClient();
    full.capabilities = { backgroundSync: true, persistentStorage: true, installPrompt: true };
    const { unmount } = renderApp(full);
    expect(screen.queryByRole('region', { name: 'In this browser' })).toBeNull();
    unmount();
    renderApp(fakeClient());
    expect(screen.queryByRole('region', { name: 'In this browser' })).toBeNull();
  });
});
