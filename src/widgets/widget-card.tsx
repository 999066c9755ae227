/**
 * One widget: an <article> named by its title, its sync marks, the kind's body, and the edits every kind
 * shares (rename, move, delete). Edits of fields read `confirmedVersion` as their baseVersion: the
 * optimistic version is speculative and would hide a real conflict.
 */
import { memo } from '../app/memo.ts';
import { useState } from 'preact/hooks';
import { assertNever } from '../../protocol/index.ts';
import type { ViewWidget, WidgetMark } from '../state/optimistic.ts';
import { positionForMove } from '../state/fractional-index.ts';
import { useMutate } from '../app/use-mutate.ts';
import { useUi } from '../app/contexts.ts';
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
}

/**
 * Rendered again only when its own props change (`item` keeps its identity while the widget shows the
 * same, see `keepUnchanged`), so an edit re-renders one card, not the whole board.
 */
export const WidgetCard = memo(function WidgetCard({ item, index, last }: CardProps) {
  const { widget, marks } = item;
  const mutate = useMutate();
  const ui = useUi();
  const [mode, setMode] = useState<'view' | 'rename' | 'delete'>('view');

  const move = (delta: -1 | 1) => {
    try {
      const positions = ui.view.peek().map((v) => v.widget.position);
      const position = positionForMove(positions, index, delta);
      if (position) mutate({ name: 'widget.move', args: { widgetId: widget.id, position } }, item.confirmedVersion);
    } catch (e) {
      ui.uiError.value = `Could not move ${widget.title}: ${e instanceof Error ? e.message : String(e)}`;
    }
  };

  return (
    <article class={`widget widget-${widget.kind}${marks.length ? ' marked' : ''}`} aria-label={widget.title}>
      <header class="widget-head">
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
      {mode === 'rename' && <RenameForm item={item} onDone={() => setMode('view')} />}
      {mode === 'delete' ? (
        <div class="confirm" role="group" aria-label={`Delete ${widget.title}?`}>
          <p>Delete ‘{widget.title}’?</p>
          <button
            type="button"
            class="danger"
            onClick={() => {
              setMode('view');
              mutate({ name: 'widget.delete', args: { widgetId: widget.id } }, item.confirmedVersion);
            }}
          >
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
          <button type="button" disabled={index === 0} onClick={() => move(-1)}>
            Move up
          </button>
          <button type="button" disabled={last} onClick={() => move(1)}>
            Move down
          </button>
          <button type="button" class="danger" onClick={() => setMode('delete')}>
            Delete
          </button>
        </div>
      )}
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
