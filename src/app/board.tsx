/**
 * The dashboard: the optimistic view as a grid of widgets, and the form that adds one. "Edit layout" turns
 * on the cards' layout controls (handles, Rename, Move, Delete); Escape that no inline form or held card
 * took turns it off again, with the focus back on the toggle.
 */
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { useClient, useUi } from './contexts.ts';
import { AddWidget } from './add-widget.tsx';
import { REORDER_HELP_ID, useReorder } from './use-reorder.ts';
import { WidgetCard } from '../widgets/widget-card.tsx';
import { previewOrder } from '../state/reorder.ts';

export function Board() {
  const ui = useUi();
  const client = useClient();
  const view = ui.view.value;
  const editing = ui.editing.value;
  const reorder = useReorder();
  const toggle = useRef<HTMLButtonElement>(null);
  const grid = useRef<HTMLElement>(null);
  const r = reorder.state;

  useEffect(() => {
    if (!editing) {
      reorder.control.cancel();
      return;
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      if (reorder.state.kind !== 'idle') {
        reorder.control.cancel();
        return;
      }
      ui.editing.value = false;
      toggle.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [editing, reorder.state.kind]);

  // Held by keyboard, the card moves through the board as the arrows are pressed; moving its element in the
  // page can take the focus off its handle, so it goes back there.
  useLayoutEffect(() => {
    if (r.kind !== 'keyboard') return;
    const h = grid.current?.querySelector<HTMLElement>(`[data-widget-id="${r.widgetId}"] .drag-handle`);
    if (h && document.activeElement !== h) h.focus();
  });

  const id = ui.dashboardId.value;
  if (!id) return <p class="empty">No dashboard yet. Create one with “New dashboard”.</p>;
  // Not read from this browser's storage yet: nothing, rather than an empty board the widgets then push down.
  if (client.replicaReady && !client.replicaReady(id)) return <section class="grid" aria-label="Widgets" aria-busy="true" />;
  const shown = previewOrder(view, r, (v) => v.widget.id);
  return (
    <>
      <div class="board-bar">
        <button ref={toggle} type="button" class="edit-toggle" aria-pressed={editing} onClick={() => (ui.editing.value = !editing)}>
          Edit layout
        </button>
        {editing && <p class="muted board-hint">Drag a card by its handle, or focus the handle and press Space to move it with the arrow keys.</p>}
      </div>
      <p id={REORDER_HELP_ID} class="visually-hidden">
        Space or Enter picks the card up; the arrow keys move it; Space or Enter drops it; Escape cancels.
      </p>
      <p class="visually-hidden" aria-live="assertive" aria-atomic="true">
        {reorder.announcement}
      </p>
      <section ref={grid} class={`grid${editing ? ' editing' : ''}${r.kind === 'pointer' ? ' dragging' : ''}`} aria-label="Widgets">
        {view.length === 0 && <p class="empty">This dashboard has no widgets yet.</p>}
        {shown.map((v) => {
          const i = view.indexOf(v);
          const held = r.kind !== 'idle' && r.widgetId === v.widget.id ? r.kind : null;
          const drop = r.kind === 'pointer' && r.over?.index === i ? r.over.side : null;
          return (
            <WidgetCard
              key={v.widget.id}
              item={v}
              index={i}
              last={i === view.length - 1}
              editing={editing}
              held={held}
              drop={drop}
              reorder={editing ? reorder.control : null}
            />
          );
        })}
      </section>
      <AddWidget lastPosition={view.at(-1)?.widget.position ?? null} />
    </>
  );
}
