/**
 * The returning-device benchmark's rows for `npm run bench` (issue 13: "a device returning after 100,000
 * metric points"): at each checkpoint, what the device's catch-up costs against a full replay of every
 * change since its cursor, in the same run (bench/catch-up/run.ts). Target: catch-up bytes proportional to
 * the widgets changed, so the same whatever the number of points.
 */
import { row, type Row } from '../lib/report.ts';
import { round } from '../lib/stats.ts';
import { runCatchUp, type CatchUpOptions } from './run.ts';

export function catchUpPlan(quick: boolean): CatchUpOptions {
  return quick
    ? { checkpoints: [100, 1_000], metricWidgets: 4, widgets: 50, reps: 3 }
    : { checkpoints: [1_000, 10_000, 100_000], metricWidgets: 4, widgets: 200, reps: 3 };
}

/** How far the catch-up may grow from the first checkpoint to the last and still count as flat. */
const FLAT = 1.1;

export async function catchUpRows(quick: boolean): Promise<Row[]> {
  const plan = catchUpPlan(quick);
  const { checkpoints, ingestPerSec } = await runCatchUp(plan);
  process.stderr.write(`  catch-up: the ingest API took ${Math.round(ingestPerSec)} points/s (one per request)\n`);
  const peer = 'full replay of the change log (relay)';
  const first = checkpoints[0];
  const n = (x: number) => x.toLocaleString('en-US');
  return checkpoints.flatMap((c) => {
    const label = `returning device after ${n(c.points)} metric points (${c.widgetsChanged} of ${plan.widgets} widgets changed)`;
    const oneEach = c.fieldboard.changes === c.widgetsChanged;
    const flat = c.fieldboard.bytes <= FLAT * first.fieldboard.bytes;
    const target =
      c === first
        ? `one change per changed widget (${c.widgetsChanged})`
        : `proportional to widgets changed: ${c.widgetsChanged} changes, within ${Math.round((FLAT - 1) * 100)}% of the bytes after ${n(first.points)} points`;
    return [
      row(label, 'catch-up bytes on the wire', 'KiB', true, round(c.fieldboard.bytes / 1024, 1), peer, round(c.replay.bytes / 1024, 1), target, oneEach && flat),
      row(label, 'subscribe -> caught-up', 'ms', true, round(c.fieldboard.ms, 1), peer, round(c.replay.ms, 1), '', null),
      row(label, 'changes sent', 'changes', true, c.fieldboard.changes, peer, c.replay.changes, '', null),
    ];
  });
}
