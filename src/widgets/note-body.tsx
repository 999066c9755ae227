/**
 * A note. Typing edits a local draft; the draft is sent as one `widget.set {text}` 300 ms after the last
 * key (and at once on blur or unmount), so a sentence queues one mutation, not one per key. The SW
 * coalesces too; this keeps the postMessage traffic and IndexedDB writes down as well.
 *
 * While the person has unsent keystrokes the draft wins over incoming text; once sent (or when untouched)
 * the textarea follows the view, so others' edits appear. The first keystroke starts an edit session whose
 * base is what was on screen then (src/state/edit-session.ts): a remote edit that lands during the send
 * delay was not seen, so it becomes a conflict or a merge instead of being overwritten.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { NoteWidget } from '../../protocol/index.ts';
import { useMutate } from '../app/use-mutate.ts';
import { useEditSession } from '../app/use-edit-session.ts';

const FIELDS = ['text'] as const;

export const NOTE_DEBOUNCE_MS = 300;

export function NoteBody({ widget }: { widget: NoteWidget }) {
  const mutate = useMutate();
  const session = useEditSession(widget.id, FIELDS);
  const [draft, setDraft] = useState(widget.text);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const unsent = useRef<string | null>(null);
  // The latest props for the flush that runs from a timer or on unmount.
  const latest = useRef({ widget, mutate });
  latest.current = { widget, mutate };

  const flush = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const text = unsent.current;
    unsent.current = null;
    const { widget: w, mutate: send } = latest.current;
    if (text !== null && text !== w.text) send({ name: 'widget.set', args: { widgetId: w.id, patch: { text } } }, session.end());
    else session.cancel();
  };

  useEffect(() => {
    if (unsent.current === null) setDraft(widget.text);
  }, [widget.text]);
  useEffect(() => flush, []);

  return (
    <label class="note">
      <span class="visually-hidden">Note</span>
      <textarea
        rows={5}
        maxLength={65536}
        value={draft}
        onInput={(e) => {
          const text = e.currentTarget.value;
          session.begin();
          setDraft(text);
          unsent.current = text;
          if (timer.current) clearTimeout(timer.current);
          timer.current = setTimeout(flush, NOTE_DEBOUNCE_MS);
        }}
        onBlur={flush}
      />
    </label>
  );
}
