/**
 * A counter. +1/-1 are `counter.add` (commutative: they never conflict, so two devices' taps both count);
 * "Set" is a `widget.set` of the value, which can conflict with someone else's set.
 */
import { useState } from 'preact/hooks';
import type { CounterWidget } from '../../protocol/index.ts';
import { useMutate } from '../app/use-mutate.ts';

export function CounterBody({ widget, baseVersion }: { widget: CounterWidget; baseVersion: number }) {
  const mutate = useMutate();
  const [draft, setDraft] = useState('');
  const add = (delta: number) => mutate({ name: 'counter.add', args: { widgetId: widget.id, delta } }, baseVersion);
  return (
    <div class="counter">
      {/* Not an <output>: that has role="status", and the page has exactly one status (the connection). */}
      <p class="counter-value">{widget.value}</p>
      <div class="row">
        <button type="button" class="big" onClick={() => add(-1)} aria-label="Decrement">
          −1
        </button>
        <button type="button" class="big" onClick={() => add(1)} aria-label="Increment">
          +1
        </button>
      </div>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const value = Number(draft);
          if (draft.trim() === '' || !Number.isFinite(value)) return;
          mutate({ name: 'widget.set', args: { widgetId: widget.id, patch: { value } } }, baseVersion);
          setDraft('');
        }}
      >
        <label>
          Set value
          <input type="number" step="any" inputMode="decimal" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
        </label>
        <button type="submit">Set</button>
      </form>
    </div>
  );
}
