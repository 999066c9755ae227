/**
 * "Degrade, and say so": what this browser cannot do and what that means, in a short list under the header.
 * Renders nothing where the browser has everything (Chromium) or where the client does not know (tests' fakes).
 */
import { limitsOf } from '../state/capabilities.ts';
import { useClient } from './contexts.ts';

export function BrowserLimits() {
  const capabilities = useClient().capabilities;
  const limits = capabilities ? limitsOf(capabilities) : [];
  if (limits.length === 0) return null;
  return (
    <section class="browser-limits" aria-label="In this browser">
      <ul>
        {limits.map((l) => (
          <li key={l}>{l}</li>
        ))}
      </ul>
    </section>
  );
}
