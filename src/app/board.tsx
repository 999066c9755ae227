/** The dashboard: the optimistic view as a grid of widgets, and the form that adds one. */
import { useClient, useUi } from './contexts.ts';
import { AddWidget } from './add-widget.tsx';
import { WidgetCard } from '../widgets/widget-card.tsx';

export function Board() {
  const ui = useUi();
  const client = useClient();
  const view = ui.view.value;
  const id = ui.dashboardId.value;
  if (!id) return <p class="empty">No dashboard yet. Create one with “New dashboard”.</p>;
  // Not read from this browser's storage yet: nothing, rather than an empty board the widgets then push down.
  if (client.replicaReady && !client.replicaReady(id)) return <section class="grid" aria-label="Widgets" aria-busy="true" />;
  return (
    <>
      <section class="grid" aria-label="Widgets">
        {view.length === 0 && <p class="empty">This dashboard has no widgets yet.</p>}
        {view.map((v, i) => (
          <WidgetCard key={v.widget.id} item={v} index={i} last={i === view.length - 1} />
        ))}
      </section>
      <AddWidget lastPosition={view.at(-1)?.widget.position ?? null} />
    </>
  );
}
