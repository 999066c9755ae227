/**
 * Every unsynced mutation in words, oldest first, with its attempts and last error. Discard removes it
 * from the outbox; since the view is derived, the widget rolls back by itself.
 */
import { useState } from 'preact/hooks';
import type { MutationId } from '../../protocol/index.ts';
import type { OutboxEntry } from '../../contract/index.ts';
import { ago, now } from '../state/clock.ts';
import { describeMutation } from '../state/describe.ts';
import { lookupWidget } from '../state/widget-lookup.ts';
import { requeue } from '../state/undo.ts';
import { useClient, useUi } from './contexts.ts';
import { useOfferUndo } from './undo-toast.tsx';

export function pendingLine(e: OutboxEntry, description: string, current: number): string {
  const parts = [description, ago(e.mutation.createdAt, current)];
  parts.push(e.attempts === 0 ? 'not sent yet' : `attempt ${e.attempts}`);
  if (e.state === 'conflict') parts.push('waiting for you in Conflicts');
  if (e.lastError) parts.push(`last error: ${e.lastError}`);
  return parts.join(', ');
}

export function PendingView() {
  const client = useClient();
  const ui = useUi();
  const entries = ui.mine.value;
  const dashboardId = ui.dashboardId.value;
  const [confirming, setConfirming] = useState<MutationId | null>(null);
  const [retried, setRetried] = useState<string | null>(null);
  const offerUndo = useOfferUndo();
  const report = (e: unknown) => (ui.uiError.value = e instanceof Error ? e.message : String(e));
  // Retry now always answers in words: offline there is nothing to try, and the person should know why.
  const retry = () => {
    if (client.connection.value.kind === 'offline') {
      setRetried('You are offline: these changes go out by themselves when the connection returns.');
      return;
    }
    setRetried('Sending again now.');
    client.retryNow().catch(report);
  };

  return (
    <section class="panel" aria-labelledby="pending-title">
      <div class="panel-head">
        <h2 id="pending-title">Pending changes</h2>
        <button type="button" onClick={retry} disabled={entries.length === 0}>
          Retry now
        </button>
        <button type="button" onClick={() => (ui.screen.value = 'board')}>
          Back to dashboard
        </button>
      </div>
      <p class="muted" aria-live="polite">
        {entries.length > 0 && retried}
      </p>
      {entries.length === 0 ? (
        <p class="empty">Nothing pending: every change is synced.</p>
      ) : (
        <ol class="entries">
          {entries.map((e) => {
            const confirmed = client.confirmed(e.mutation.dashboardId).value;
            const view = e.mutation.dashboardId === dashboardId ? ui.view.value : [];
            const w = lookupWidget(e.mutation.args.widgetId, view, confirmed, entries);
            const description = describeMutation(e.mutation, w);
            const line = pendingLine(e, description, now.value);
            return (
              <li key={e.mutation.id} class={`entry entry-${e.state}`}>
                <span>{line}</span>
                {confirming === e.mutation.id ? (
                  <span class="confirm" role="group" aria-label={`Discard: ${line}`}>
                    <span>Discard this change for good?</span>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => {
                        setConfirming(null);
                        const again = requeue(e);
                        client
                          .discard(e.mutation.id)
                          .then(() =>
                            offerUndo(`Discarded: ${description}.`, () => client.mutate(again.dashboardId, again.input, again.baseVersion, again.seen)),
                          )
                          .catch(report);
                      }}
                    >
                      Confirm discard
                    </button>
                    <button type="button" onClick={() => setConfirming(null)}>
                      Cancel
                    </button>
                  </span>
                ) : (
                  <button type="button" class="small danger" onClick={() => setConfirming(e.mutation.id)}>
                    Discard
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
