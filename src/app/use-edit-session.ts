/**
 * `useEditSession(widgetId, fields)`: an EditSession whose base is read from this tab's confirmed replica
 * and outbox (src/state/edit-session.ts). One per editable field on screen; it lives as long as the field.
 */
import { useRef } from 'preact/hooks';
import { type WidgetId } from '../../protocol/index.ts';
import { editBase, type EditBase } from '../../contract/index.ts';
import { EditSession } from '../state/edit-session.ts';
import { useClient, useUi } from './contexts.ts';

export function useEditSession(widgetId: WidgetId, fields: readonly string[]): EditSession {
  const client = useClient();
  const ui = useUi();
  const session = useRef<EditSession | null>(null);
  const latest = useRef({ widgetId, fields });
  latest.current = { widgetId, fields };
  session.current ??= new EditSession((): EditBase => {
    const dashboardId = ui.dashboardId.peek();
    const { widgetId: id, fields: f } = latest.current;
    if (!dashboardId) return { version: 0, widget: null };
    const confirmed = client.confirmed(dashboardId).peek().find((w) => w.id === id) ?? null;
    const entries = client.outbox.peek().filter((e) => e.mutation.dashboardId === dashboardId && e.mutation.args.widgetId === id);
    return editBase(confirmed, entries, f);
  });
  return session.current;
}
