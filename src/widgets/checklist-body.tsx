/**
 * A checklist: per-item operations (`checklist.add` / `.set` / `.remove`), so ticking one item never
 * conflicts with someone editing another. Item ids are made here, so an offline add is stable.
 */
import { useState } from 'preact/hooks';
import { newItemId, type ChecklistWidget } from '../../protocol/index.ts';
import { useMutate } from '../app/use-mutate.ts';
import { ChecklistItemRow } from './checklist-item-row.tsx';

export function ChecklistBody({ widget, baseVersion }: { widget: ChecklistWidget; baseVersion: number }) {
  const mutate = useMutate();
  const [text, setText] = useState('');
  return (
    <div class="checklist">
      {widget.items.length === 0 ? (
        <p class="muted">No items yet.</p>
      ) : (
        <ul>
          {widget.items.map((item) => (
            <ChecklistItemRow key={item.id} widget={widget} item={item} baseVersion={baseVersion} />
          ))}
        </ul>
      )}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const t = text.trim();
          if (!t) return;
          mutate({ name: 'checklist.add', args: { widgetId: widget.id, itemId: newItemId(), text: t } }, baseVersion);
          setText('');
        }}
      >
        <label>
          New item
          <input value={text} maxLength={500} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <button type="submit">Add</button>
      </form>
    </div>
  );
}
