/**
 * Every unsynced mutation in words, oldest first, with its attempts and last error; consecutive ones that
 * say the same thing are one line (src/state/pending-runs.ts). Discard removes the line's mutations from
 * the outbox; since the view is derived, the widget rolls back by itself.
 */
import { useState } from 'preact/hooks';
import type { MutationId } from '../../protocol/index.ts';
import { now } from '../state/clock.ts';
import { pendingLine, pendingRuns } from '../state/pending-runs.ts';
import { lookupWidget } from '../state/widget-lookup.ts';
import { requeue } from '../state/undo.ts';
import { useClient, useUi } from './contexts.ts';
import { useOfferUndo } from './undo-toast.tsx';

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
          {pendingRuns(entries, (e) => {
            const confirmed = client.confirmed(e.mutation.dashboardId).value;
            const view = e.mutation.dashboardId === dashboardId ? ui.view.value : [];
            return lookupWidget(e.mutation.args.widgetId, view, confirmed, entries);
          }).map((run) => {
            const id = run.entries[0].mutation.id;
            const line = pendingLine(run, now.value);
            const n = run.entries.length;
            return (
              <li key={id} class={`entry entry-${run.entries[0].state}`}>
                <span>{line}</span>
                {confirming === id ? (
                  <span class="confirm" role="group" aria-label={`Discard: ${line}`}>
                    <span>{n === 1 ? 'Discard this change for good?' : `Discard these ${n} changes for good?`}</span>
                    <button
                      type="button"
                      class="danger"
                      onClick={() => {
                        setConfirming(null);
                        // The whole run goes; Undo queues it again, in its order (src/state/undo.ts).
                        const again = run.entries.map(requeue);
                        void (async () => {
                          for (const e of run.entries) await client.discard(e.mutation.id);
                          offerUndo(`Discarded: ${run.text}${n > 1 ? ` (${n} changes)` : ''}.`, async () => {
                            for (const a of again) await client.mutate(a.dashboardId, a.input, a.baseVersion, a.seen);
                          });
                        })().catch(report);
                      }}
                    >
                      Confirm discard
                    </button>
                    <button type="button" onClick={() => setConfirming(null)}>
                      Cancel
                    </button>
                  </span>
                ) : (
                  <button type="button" class="small danger" onClick={() => setConfirming(id)}>
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
