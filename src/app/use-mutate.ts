/**
 * Every edit goes through here: `client.mutate` on the dashboard on screen. A failure means the SW did not
 * take the mutation (it is not queued), so the person must hear about it instead of believing it saved.
 */
import type { MutationInput } from '../../protocol/index.ts';
import type { EditBase } from '../../contract/index.ts';
import { useClient, useUi } from './contexts.ts';

/**
 * `base`: the confirmed version for changes that cannot conflict, or an edit session's base (what the person
 * saw when the edit began, see src/state/edit-session.ts) for edits of a field's value.
 */
export function useMutate(): (input: MutationInput, base: number | EditBase) => void {
  const client = useClient();
  const ui = useUi();
  return (input, base) => {
    const id = ui.dashboardId.value;
    if (!id) return;
    const sent = typeof base === 'number' ? client.mutate(id, input, base) : client.mutate(id, input, base.version, base.widget);
    sent.catch((e: unknown) => {
      ui.uiError.value = `Could not save the change: ${e instanceof Error ? e.message : String(e)}`;
    });
  };
}
