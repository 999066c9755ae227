/**
 * Sign out. With unsynced changes it asks first: keeping them (the default) leaves them for this user's
 * next sign-in; discarding drops them for good. Parked conflicts count too: they are unsynced work.
 */
import { useState } from 'preact/hooks';
import { useClient, useUi } from './contexts.ts';

const changes = (n: number) => (n === 1 ? '1 change' : `${n} changes`);

export function SignOut() {
  const client = useClient();
  const ui = useUi();
  const [asking, setAsking] = useState(false);
  const count = ui.mineCount.value;

  const out = (discard: boolean) => {
    setAsking(false);
    client.signOut(discard).catch((e: unknown) => {
      ui.uiError.value = `Could not sign out: ${e instanceof Error ? e.message : String(e)}`;
    });
  };

  if (asking && count > 0) {
    return (
      <div class="confirm" role="group" aria-label="Sign out with unsynced changes">
        <p class="warning">{changes(count)} not yet synced</p>
        <button type="button" onClick={() => out(false)}>
          Keep them and sign out
        </button>
        <button type="button" class="danger" onClick={() => out(true)}>
          Discard them and sign out
        </button>
        <button type="button" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </div>
    );
  }
  return (
    <button type="button" onClick={() => (count > 0 ? setAsking(true) : out(false))}>
      Sign out
    </button>
  );
}
