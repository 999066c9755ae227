/** How conflicts are resolved: by a person (default) or automatically; automatic ones still show in Activity. */
import type { ConflictPolicy } from '../../contract/index.ts';
import { POLICIES } from '../../contract/index.ts';
import { useClient, useUi } from './contexts.ts';

// Plain words, not jargon: what happens to the person's own change.
const LABEL: Record<ConflictPolicy, string> = { manual: 'Ask me', 'remote-wins': 'Keep the other change', 'local-wins': 'Keep my change' };

export function PolicySetting() {
  const client = useClient();
  const ui = useUi();
  const current = client.policy.value;
  return (
    <fieldset class="policy">
      <legend>Conflict policy</legend>
      {POLICIES.map((p) => (
        <label key={p} class="radio">
          <input
            type="radio"
            name="conflict-policy"
            value={p}
            checked={current === p}
            onChange={() =>
              client.setPolicy(p).catch((e: unknown) => (ui.uiError.value = e instanceof Error ? e.message : String(e)))
            }
          />
          {LABEL[p]}
        </label>
      ))}
    </fieldset>
  );
}
