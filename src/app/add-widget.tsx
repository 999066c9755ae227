/** Add a widget at the end of the dashboard. A metric needs the key its sensor feeds. */
import { useState } from 'preact/hooks';
import { newWidgetId, WIDGET_KINDS, type WidgetKind } from '../../protocol/index.ts';
import { jitteredKeyBetween } from '../state/fractional-index.ts';
import { useMutate } from './use-mutate.ts';

const LABEL: Record<WidgetKind, string> = { counter: 'Counter', note: 'Note', checklist: 'Checklist', metric: 'Metric' };

export function AddWidget({ lastPosition }: { lastPosition: string | null }) {
  const mutate = useMutate();
  const [kind, setKind] = useState<WidgetKind>('counter');
  const [title, setTitle] = useState('');
  const [metricKey, setMetricKey] = useState('');

  function submit(e: Event) {
    e.preventDefault();
    const t = title.trim();
    if (!t || (kind === 'metric' && !metricKey.trim())) return;
    const base = { widgetId: newWidgetId(), kind, title: t, position: jitteredKeyBetween(lastPosition, null) };
    // Creation has no base to conflict with: baseVersion 0.
    mutate({ name: 'widget.create', args: kind === 'metric' ? { ...base, metricKey: metricKey.trim() } : base }, 0);
    setTitle('');
    setMetricKey('');
  }

  return (
    <form class="card add-widget" onSubmit={submit} aria-label="Add widget">
      <h2>Add widget</h2>
      <label>
        Kind
        <select value={kind} onChange={(e) => setKind(e.currentTarget.value as WidgetKind)}>
          {WIDGET_KINDS.map((k) => (
            <option key={k} value={k}>
              {LABEL[k]}
            </option>
          ))}
        </select>
      </label>
      <label>
        New widget title
        <input value={title} required maxLength={200} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      {kind === 'metric' && (
        <label>
          Metric key
          <input value={metricKey} required maxLength={200} onInput={(e) => setMetricKey(e.currentTarget.value)} />
        </label>
      )}
      <button type="submit">Add widget</button>
    </form>
  );
}
