/**
 * One checklist item: a checkbox named by its text, and edit / remove named after it too. Editing the text
 * is an edit session from Edit to Save (src/state/edit-session.ts); a tick is one that starts and ends at
 * the click.
 */
import { onEscape, useFocusOnOpen } from '../app/inline-form.ts';
import { useState } from 'preact/hooks';
import { newItemId, type ChecklistWidget } from '../../protocol/index.ts';
import { useMutate } from '../app/use-mutate.ts';
import { useClient, useUi } from '../app/contexts.ts';
import { useOfferUndo } from '../app/undo-toast.tsx';
import { readdItem } from '../state/undo.ts';
import { useEditSession } from '../app/use-edit-session.ts';

interface Props {
  /** The checklist as shown, for putting a removed item back in its place. */
  widget: ChecklistWidget;
  item: ChecklistWidget['items'][number];
  baseVersion: number;
}

export function ChecklistItemRow({ widget, item, baseVersion }: Props) {
  const widgetId = widget.id;
  const mutate = useMutate();
  const client = useClient();
  const ui = useUi();
  const offerUndo = useOfferUndo();
  const [editing, setEditing] = useState(false);
  const focus = useFocusOnOpen<HTMLInputElement>(editing);
  const [text, setText] = useState(item.text);
  const textSession = useEditSession(widgetId, [`items.${item.id}.text`]);
  const doneSession = useEditSession(widgetId, [`items.${item.id}.done`]);
  const set = (patch: { text?: string; done?: boolean }, session: typeof textSession) =>
    mutate({ name: 'checklist.set', args: { widgetId, itemId: item.id, patch } }, session.end());
  const stopEditing = () => {
    textSession.cancel();
    setEditing(false);
  };

  if (editing) {
    return (
      <li>
        <form
          class="inline-form"
          onKeyDown={onEscape(stopEditing)}
          onSubmit={(e) => {
            e.preventDefault();
            const t = text.trim();
            if (t && t !== item.text) set({ text: t }, textSession);
            stopEditing();
          }}
        >
          <label>
            Item text
            <input ref={focus} value={text} required maxLength={500} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
          <button type="submit">Save</button>
          <button type="button" onClick={stopEditing}>
            Cancel
          </button>
        </form>
      </li>
    );
  }
  return (
    <li class={item.done ? 'done' : ''}>
      <label class="check">
        <input type="checkbox" checked={item.done} onChange={(e) => set({ done: e.currentTarget.checked }, doneSession)} />
        <span>{item.text}</span>
      </label>
      <span class="item-actions">
        <button
          type="button"
          class="small"
          aria-label={`Edit ${item.text}`}
          onClick={() => {
            textSession.begin();
            setText(item.text);
            setEditing(true);
          }}
        >
          Edit
        </button>
        <button
          type="button"
          class="small danger"
          aria-label={`Remove ${item.text}`}
          onClick={() => {
            const dashboardId = ui.dashboardId.peek();
            const back = readdItem(widget, item.id, newItemId());
            mutate({ name: 'checklist.remove', args: { widgetId, itemId: item.id } }, baseVersion);
            if (dashboardId && back) offerUndo(`Removed ‘${item.text}’ from ‘${widget.title}’.`, () => client.mutate(dashboardId, back, baseVersion));
          }}
        >
          Remove
        </button>
      </span>
    </li>
  );
}
