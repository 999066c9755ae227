/** A live metric: latest value, its key, and the last points as a sparkline. Fed by ingest, not edited. */
import type { MetricWidget } from '../../protocol/index.ts';
import { ago, now } from '../state/clock.ts';
import { Sparkline } from './sparkline.tsx';

export function MetricBody({ widget }: { widget: MetricWidget }) {
  return (
    <div class="metric">
      <p class="metric-value">{widget.value === null ? '—' : formatValue(widget.value)}</p>
      <Sparkline points={widget.series.map((p) => p.value)} label={`Recent values of ${widget.metricKey}`} />
      <p class="muted">
        Key <code>{widget.metricKey}</code>
        {widget.at !== null && <> · updated {ago(widget.at, now.value)}</>}
      </p>
    </div>
  );
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
