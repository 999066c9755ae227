/** The dashboard: the optimistic view as a grid of widgets, and the form that adds one. */
import { useUi } from './contexts.ts';
import { AddWidget } from './add-widget.tsx';
import { WidgetCard } from '../widgets/widget-card.tsx';

export function Board() {
  const ui = useUi();
  const view = ui.view.value;
  if (!ui.dashboardId.value) return <p class="empty">No dashboard yet. Create one with “New dashboard”.</p>;
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
