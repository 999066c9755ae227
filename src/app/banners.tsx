/** App-wide states shown as banners instead of crashes or silence: update waiting, storage failing, a refused command. */
import { useClient, useUi } from './contexts.ts';

export function Banners() {
  const client = useClient();
  const ui = useUi();
  const storage = client.storageError.value;
  const uiError = ui.uiError.value;
  return (
    <>
      {client.updateAvailable.value && (
        <div class="banner banner-info">
          <span>Update available</span>
          {/* Waiting for consent: an update never reloads under someone's fingers. */}
          <button type="button" onClick={() => client.applyUpdate()}>
            Update
          </button>
        </div>
      )}
      {storage && (
        <div class="banner banner-error" role="alert">
          Storage problem: {storage}
        </div>
      )}
      {uiError && (
        <div class="banner banner-error" role="alert">
          <span>{uiError}</span>
          <button type="button" onClick={() => (ui.uiError.value = null)}>
            Dismiss
          </button>
        </div>
      )}
    </>
  );
}
