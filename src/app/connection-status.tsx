/**
 * The one element with role="status": its text always starts with the state's name (the tester kit and
 * screen readers read it). Pending counts live elsewhere so that this text stays short.
 */
import { now } from '../state/clock.ts';
import { statusText } from '../state/connection-text.ts';
import { useClient, useUi } from './contexts.ts';

export function ConnectionStatus() {
  const client = useClient();
  const ui = useUi();
  const c = client.connection.value;
  const signedIn = client.user.value !== null;
  const text = statusText(c, signedIn ? ui.unsynced.value.length : 0, now.value);
  return (
    <p role="status" class={`status status-${c.kind}`} data-state={c.kind}>
      <span class="status-dot" aria-hidden="true" />
      {text}
    </p>
  );
}
