/**
 * "Update available", with the version it brings and what changed, waiting for the person's consent; and
 * after the update, one line saying it happened (src/state/release.ts, docs/updates.md).
 */
import { useEffect, useState } from 'preact/hooks';
import { fetchWaitingRelease, rememberUpdating, takeUpdated, updateHeadline, type Release } from '../state/release.ts';
import { useClient } from './contexts.ts';

export function UpdateBanner() {
  const client = useClient();
  const waiting = client.updateAvailable.value;
  const [next, setNext] = useState<Release | null>(null);
  const [updated, setUpdated] = useState<Release | null>(() => takeUpdated());
  useEffect(() => {
    if (!waiting) return;
    let live = true;
    void fetchWaitingRelease().then((r) => live && setNext(r));
    return () => {
      live = false;
    };
  }, [waiting]);

  return (
    <>
      {waiting && (
        <div class="banner banner-info update" role="region" aria-label="Update available">
          <div>
            <strong>{updateHeadline(next)}</strong>
            {next && next.changes.length > 0 && (
              <ul class="changes" aria-label="What changed">
                {next.changes.map((c) => (
                  <li key={c}>{c}</li>
                ))}
              </ul>
            )}
          </div>
          {/* Waiting for consent: an update never reloads under someone's fingers. */}
          <button
            type="button"
            onClick={() => {
              rememberUpdating(next);
              client.applyUpdate();
            }}
          >
            Update
          </button>
        </div>
      )}
      {updated && !waiting && (
        <div class="banner banner-info">
          <span>Updated to Fieldboard {updated.version}.</span>
          <button type="button" onClick={() => setUpdated(null)}>
            Dismiss
          </button>
        </div>
      )}
    </>
  );
}
