/**
 * The newest things the person must be told (a rejected edit rolled back, a conflict resolved by policy),
 * on every screen, until dismissed. The full history is in the Activity view.
 */
import { useState } from 'preact/hooks';
import type { ActivityEntry } from '../../contract/index.ts';
import { useClient } from './contexts.ts';

const SHOWN = 3;
const keyOf = (e: ActivityEntry) => `${e.at}:${e.widgetId}:${e.message}`;

export function Notices() {
  const client = useClient();
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const shown = client.activity.value.filter((e) => !dismissed.has(keyOf(e))).slice(0, SHOWN);
  if (shown.length === 0) return null;
  // The log role sits on a wrapper: on the <ul> itself it would replace the list role its items need.
  return (
    <div role="log" aria-label="Notices">
      <ul class="notices">
        {shown.map((e) => (
          <li key={keyOf(e)} class={`notice notice-${e.kind}`}>
            <span>{e.message}</span>
            <button
              type="button"
              aria-label={`Dismiss: ${e.message}`}
              onClick={() => setDismissed(new Set([...dismissed, keyOf(e)]))}
            >
              Dismiss
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
