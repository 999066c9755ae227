/**
 * The one element with role="status": its text always starts with the state's name (the tester kit and
 * screen readers read it). Pending counts live elsewhere so that this text stays short. While the worker
 * waits to retry the server, "Retry now" beside it tries at once.
 */
import { now } from '../state/clock.ts';
import { statusText } from '../state/connection-text.ts';
import { useClient, useUi } from './contexts.ts';

export function ConnectionStatus() {
  const client = useClient();
  const ui = useUi();
  const c = client.connection.value;
  const signedIn = client.user.value !== null;
  const text = statusText(c, signedIn ? ui.unsyncedCount.value : 0, now.value);
  return (
    <>
      <p role="status" class={`status status-${c.kind}`} data-state={c.kind}>
        <span class="status-dot" aria-hidden="true" />
        {/* Its own element so that a long text is cut with an ellipsis instead of wrapping the header. */}
        <span class="status-text" title={text}>
          {text}
        </span>
      </p>
      {c.kind === 'backoff' && (
        <button
          type="button"
          class="small retry-now"
          onClick={() => void client.retryNow().catch((e: unknown) => (ui.uiError.value = `Could not retry: ${e instanceof Error ? e.message : String(e)}`))}
        >
          Retry now
        </button>
      )}
    </>
  );
}
