/** App-wide states shown as banners instead of crashes or silence: update waiting, storage failing, a refused command. */
import { useClient, useUi } from './contexts.ts';
import { UpdateBanner } from './update-banner.tsx';

export function Banners() {
  const client = useClient();
  const ui = useUi();
  const storage = client.storageError.value;
  const uiError = ui.uiError.value;
  return (
    <>
      <UpdateBanner />
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
