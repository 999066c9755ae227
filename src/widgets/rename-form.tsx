/**
 * Rename a widget (a `widget.set` of its title). Opening the form starts the edit session: the title shown
 * then is the base, so a rename made elsewhere while the form is open is a conflict, not overwritten.
 */
import { onEscape, useFocusOnOpen } from '../app/inline-form.ts';
import { useEffect, useState } from 'preact/hooks';
import type { ViewWidget } from '../state/optimistic.ts';
import { useMutate } from '../app/use-mutate.ts';
import { useEditSession } from '../app/use-edit-session.ts';

const FIELDS = ['title'] as const;

export function RenameForm({ item, onDone }: { item: ViewWidget; onDone: () => void }) {
  const mutate = useMutate();
  const [title, setTitle] = useState(item.widget.title);
  const session = useEditSession(item.widget.id, FIELDS);
  const focus = useFocusOnOpen<HTMLInputElement>();
  session.begin();
  useEffect(() => () => session.cancel(), []);
  return (
    <form
      class="inline-form"
      onKeyDown={onEscape(onDone)}
      onSubmit={(e) => {
        e.preventDefault();
        const t = title.trim();
        if (t && t !== item.widget.title) {
          mutate({ name: 'widget.set', args: { widgetId: item.widget.id, patch: { title: t } } }, session.end());
        }
        onDone();
      }}
    >
      <label>
        Title
        <input ref={focus} value={title} required maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <button type="submit">Save title</button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}
