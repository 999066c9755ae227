/**
 * One checklist item: a checkbox named by its text, and edit / remove named after it too. Editing the text
 * is an edit session from Edit to Save (src/state/edit-session.ts); a tick is one that starts and ends at
 * the click.
 */
import { onEscape, useFocusOnOpen } from '../app/inline-form.ts';
import { useState } from 'preact/hooks';
import type { ChecklistItem, WidgetId } from '../../protocol/index.ts';
import { useMutate } from '../app/use-mutate.ts';
import { useEditSession } from '../app/use-edit-session.ts';

interface Props {
  widgetId: WidgetId;
  item: ChecklistItem;
  baseVersion: number;
}

export function ChecklistItemRow({ widgetId, item, baseVersion }: Props) {
  const mutate = useMutate();
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
          onClick={() => mutate({ name: 'checklist.remove', args: { widgetId, itemId: item.id } }, baseVersion)}
        >
          Remove
        </button>
      </span>
    </li>
  );
}
