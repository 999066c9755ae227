/**
 * Every edit goes through here: `client.mutate` on the dashboard on screen. A failure means the SW did not
 * take the mutation (it is not queued), so the person must hear about it instead of believing it saved.
 */
import type { MutationInput } from '../../protocol/index.ts';
import { useClient, useUi } from './contexts.ts';

export function useMutate(): (input: MutationInput, baseVersion: number) => void {
  const client = useClient();
  const ui = useUi();
  return (input, baseVersion) => {
    const id = ui.dashboardId.value;
    if (!id) return;
    client.mutate(id, input, baseVersion).catch((e: unknown) => {
      ui.uiError.value = `Could not save the change: ${e instanceof Error ? e.message : String(e)}`;
    });
  };
}
