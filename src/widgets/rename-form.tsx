/** Rename a widget (a `widget.set` of its title). */
import { useState } from 'preact/hooks';
import type { ViewWidget } from '../state/optimistic.ts';
import { useMutate } from '../app/use-mutate.ts';

export function RenameForm({ item, onDone }: { item: ViewWidget; onDone: () => void }) {
  const mutate = useMutate();
  const [title, setTitle] = useState(item.widget.title);
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        const t = title.trim();
        if (t && t !== item.widget.title) {
          mutate({ name: 'widget.set', args: { widgetId: item.widget.id, patch: { title: t } } }, item.confirmedVersion);
        }
        onDone();
      }}
    >
      <label>
        Title
        <input value={title} required maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <button type="submit">Save title</button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}
