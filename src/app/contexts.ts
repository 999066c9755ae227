/** The two things nearly every component needs, passed by context instead of through every layer. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { SyncClient } from '../sync/types.ts';
import type { UiState } from '../state/ui-state.ts';

export const ClientContext = createContext<SyncClient | null>(null);
export const UiContext = createContext<UiState | null>(null);

export function useClient(): SyncClient {
  const c = useContext(ClientContext);
  if (!c) throw new Error('useClient outside <App>');
  return c;
}

export function useUi(): UiState {
  const u = useContext(UiContext);
  if (!u) throw new Error('useUi outside <App>');
  return u;
}
