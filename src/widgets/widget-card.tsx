/**
 * One widget: an <article> named by its title, its sync marks, the kind's body with its own actions, and,
 * in "Edit layout" mode only, the edits of the layout every kind shares: a handle to drag or pick up by
 * keyboard (src/app/use-reorder.ts), Rename, Move up / Move down and Delete. Edits of fields read
 * `confirmedVersion` as their baseVersion: the optimistic version is speculative and would hide a real
 * conflict.
 */
import { memo } from '../app/memo.ts';
import { useEffect, useState } from 'preact/hooks';
import { assertNever, newWidgetId } from '../../protocol/index.ts';
import type { ViewWidget, WidgetMark } from '../state/optimistic.ts';
import type { DropSide } from '../state/reorder.ts';
import { recreateWidget } from '../state/undo.ts';
import { useMutate } from '../app/use-mutate.ts';
import { useClient, useUi } from '../app/contexts.ts';
import { REORDER_HELP_ID, useMoveWidget, type ReorderControl } from '../app/use-reorder.ts';
import { useOfferUndo } from '../app/undo-toast.tsx';
import { onEscape } from '../app/inline-form.ts';
import { CounterBody } from './counter-body.tsx';
import { NoteBody } from './note-body.tsx';
import { ChecklistBody } from './checklist-body.tsx';
import { MetricBody } from './metric-body.tsx';
import { RenameForm } from './rename-form.tsx';

// `failed` is a transient failure: the change is kept and sent again (a permanent rejection leaves the
// outbox and is told in the activity list), so it must not read like data loss.
const MARK_TEXT: Record<WidgetMark, string> = { pending: 'Pending', failed: 'Waiting to send (retrying)', conflict: 'Conflict' };

export interface CardProps {
  item: ViewWidget;
  /** Place in the view, for moves (the view's positions are read when a move is asked for). */
  index: number;
  last: boolean;
  /** "Edit layout" mode is on. */
  editing: boolean;
  /** This card is picked up, and how. */
  held: 'keyboard' | 'pointer' | null;
  /** A card dragged over this one would land on this side of it. */
  drop: DropSide | null;
  /** The board's reordering (null outside edit mode). */
  reorder: ReorderControl | null;
}

/**
 * Rendered again only when its own props change (`item` keeps its identity while the widget shows the
 * same, see `ViewBuilder`), so an edit re-renders one card, not the whole board.
 */
export const WidgetCard = memo(function WidgetCard({ item, index, last, editing, held, drop, reorder }: CardProps) {
  const { widget, marks } = item;
  const mutate = useMutate();
  const moveWidget = useMoveWidget();
  const offerUndo = useOfferUndo();
  const client = useClient();
  const ui = useUi();
  const [mode, setMode] = useState<'view' | 'rename' | 'delete'>('view');
  useEffect(() => {
    if (!editing) setMode('view');
  }, [editing]);

  const remove = () => {
    const dashboardId = ui.dashboardId.peek();
    setMode('view');
    mutate({ name: 'widget.delete', args: { widgetId: widget.id } }, item.confirmedVersion);
    if (dashboardId) offerUndo(`Deleted ‘${widget.title}’.`, () => client.mutate(dashboardId, recreateWidget(widget, newWidgetId()), 0));
  };

  const classes = ['widget', `widget-${widget.kind}`, marks.length ? 'marked' : '', held ? `held held-${held}` : '', drop ? `drop-${drop}` : ''];
  return (
    <article class={classes.filter(Boolean).join(' ')} aria-label={widget.title} data-widget-id={widget.id}>
      <header class="widget-head">
        {editing && reorder && (
          <button
            type="button"
            class="drag-handle"
            aria-label={`Reorder ${widget.title}`}
            aria-describedby={REORDER_HELP_ID}
            onKeyDown={(e) => reorder.onHandleKeyDown(e, item)}
            onPointerDown={(e) => reorder.onHandlePointerDown(e, item)}
            onBlur={(e) => {
              // Tabbing away puts a held card back; a blur from the card moving in the DOM has no new target.
              if (held === 'keyboard' && e.relatedTarget) reorder.cancel();
            }}
          >
            <svg viewBox="0 0 10 16" width="10" height="16" aria-hidden="true">
              {[2, 8].map((x) => [2, 8, 14].map((y) => <circle key={`${x}-${y}`} cx={x} cy={y} r="1.6" />))}
            </svg>
          </button>
        )}
        <h2>{widget.title}</h2>
        {marks.length > 0 && (
          <ul class="marks" aria-label="Sync state">
            {marks.map((m) => (
              <li key={m} class={`mark mark-${m}`}>
                {MARK_TEXT[m]}
              </li>
            ))}
          </ul>
        )}
      </header>
      <Body item={item} />
      {editing && mode === 'rename' && <RenameForm item={item} onDone={() => setMode('view')} />}
      {editing &&
        (mode === 'delete' ? (
          <div class="confirm" role="group" aria-label={`Delete ${widget.title}?`} onKeyDown={onEscape(() => setMode('view'))}>
            <p>Delete ‘{widget.title}’?</p>
            <button type="button" class="danger" onClick={remove}>
              Confirm delete
            </button>
            <button type="button" onClick={() => setMode('view')}>
              Cancel
            </button>
          </div>
        ) : (
          <div class="toolbar">
            <button type="button" onClick={() => setMode(mode === 'rename' ? 'view' : 'rename')}>
              Rename
            </button>
            <button type="button" disabled={index === 0} onClick={() => moveWidget(widget.id, index - 1)}>
              Move up
            </button>
            <button type="button" disabled={last} onClick={() => moveWidget(widget.id, index + 1)}>
              Move down
            </button>
            <button type="button" class="danger" onClick={() => setMode('delete')}>
              Delete
            </button>
          </div>
        ))}
    </article>
  );
});

function Body({ item }: { item: ViewWidget }) {
  const w = item.widget;
  switch (w.kind) {
    case 'counter':
      return <CounterBody widget={w} baseVersion={item.confirmedVersion} />;
    case 'note':
      return <NoteBody widget={w} />;
    case 'checklist':
      return <ChecklistBody widget={w} baseVersion={item.confirmedVersion} />;
    case 'metric':
      return <MetricBody widget={w} />;
    default:
      return assertNever(w);
  }
}
