/**
 * A live metric: the latest value, its range over the recent points, when it came, and the points as a
 * sparkline. Fed by ingest, not edited: an empty metric says how to feed it (the ingest address with this
 * dashboard's id and the key, which the UI shows nowhere else), with a button to copy it.
 */
import { useState } from 'preact/hooks';
import type { MetricWidget } from '../../protocol/index.ts';
import { useUi } from '../app/contexts.ts';
import { ago, now } from '../state/clock.ts';
import { formatValue } from '../state/number-format.ts';
import { Sparkline } from './sparkline.tsx';


export function MetricBody({ widget }: { widget: MetricWidget }) {
  const values = widget.series.map((p) => p.value);
  return (
    <div class="metric">
      <p class="metric-value">{widget.value === null ? '—' : formatValue(widget.value)}</p>
      <Sparkline points={values} label={`Recent values of ${widget.metricKey}`} />
      {values.length > 1 && (
        <p class="muted">
          min {formatValue(Math.min(...values))} · max {formatValue(Math.max(...values))} over the last {values.length}
        </p>
      )}
      <p class="muted">
        Key <code>{widget.metricKey}</code>
        {widget.at !== null && (
          <>
            {' · updated '}
            <time dateTime={new Date(widget.at).toISOString()} title={new Date(widget.at).toLocaleString()}>
              {ago(widget.at, now.value)}
            </time>
          </>
        )}
      </p>
      {widget.value === null && <IngestHint metricKey={widget.metricKey} />}
    </div>
  );
}

function IngestHint({ metricKey }: { metricKey: string }) {
  const dashboardId = useUi().dashboardId.value;
  const [copied, setCopied] = useState<string | null>(null);
  const address = `${location.origin}/api/ingest/${dashboardId ?? '…'}/${metricKey}`;
  const copy = () => {
    const clipboard = typeof navigator !== 'undefined' ? navigator.clipboard : undefined;
    if (!clipboard) return setCopied('Copying is not available here: select the address instead.');
    clipboard.writeText(address).then(
      () => setCopied('Copied.'),
      () => setCopied('Could not copy: select the address instead.'),
    );
  };
  return (
    <div class="ingest-hint">
      <p>
        No values yet. A device or script sends them with an ingest token (<code>npm run cli -- add-ingest-token</code>):
      </p>
      <p>
        <code>POST {address}</code> with <code>{'{"value": 42.5}'}</code>
      </p>
      <button type="button" class="small" onClick={copy}>
        Copy ingest address
      </button>{' '}
      <span aria-live="polite">{copied}</span>
    </div>
  );
}
