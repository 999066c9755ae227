/**
 * "Degrade, and say so": what this browser cannot do and what that means, in a short list under the header.
 * Renders nothing where the browser has everything (Chromium) or where the client does not know (tests' fakes).
 *
 * The install hint is advice, not a warning: a person can dismiss it (remembered in this browser), and an
 * app already running installed (display-mode standalone) does not show it.
 */
import { useState } from 'preact/hooks';
import { limitsOf, NO_INSTALL_PROMPT } from '../state/capabilities.ts';
import { useClient } from './contexts.ts';

const HINT_DISMISSED_KEY = 'fieldboard.install-hint-dismissed';

function installHintWanted(): boolean {
  try {
    if (globalThis.matchMedia?.('(display-mode: standalone)').matches) return false;
    return globalThis.localStorage?.getItem(HINT_DISMISSED_KEY) !== '1';
  } catch {
    return true;
  }
}

export function BrowserLimits() {
  const capabilities = useClient().capabilities;
  const [hint, setHint] = useState(installHintWanted);
  const limits = (capabilities ? limitsOf(capabilities) : []).filter((l) => hint || l !== NO_INSTALL_PROMPT);
  if (limits.length === 0) return null;
  const dismissHint = () => {
    setHint(false);
    try {
      globalThis.localStorage?.setItem(HINT_DISMISSED_KEY, '1');
    } catch {
      /* dismissed for this page only */
    }
  };
  return (
    <section class="browser-limits" aria-label="In this browser">
      <ul>
        {limits.map((l) => (
          <li key={l}>
            <span>{l}</span>
            {l === NO_INSTALL_PROMPT && (
              <button type="button" class="small" onClick={dismissHint}>
                Dismiss install hint
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
