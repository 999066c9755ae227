/**
 * The drain benchmark as a scaling curve for `npm run bench` (issue 13): 1,000 / 10,000 / 100,000 pending
 * offline mutations, each size against Workbox's background-sync Queue in the same run, with time,
 * exactly-once and the heap of the tab and of the service worker at every size. Targets: at 10,000, 10x
 * the Queue and under 2 s; at 100,000, linear (under 12x the 10,000 time) with heaps under 50 MiB.
 *
 * Each side of each size runs under a time limit (bench/lib/deadline.ts) and reports "did not finish in
 * N s" with the phase it had reached. The Queue replays one request at a time (95 s for 10,000 on
 * 2026-12-02), so at 100,000 it would take about 16 minutes: it runs there only with `--full`, and the row
 * says so otherwise. `--quick` runs the same curve at 30 / 300 / 3,000.
 */
import { row, type Row } from '../lib/report.ts';
import { round } from '../lib/stats.ts';
import { valueOr, whyMissing, type Outcome } from '../lib/deadline.ts';
import { prepareDrainKit, runDrainSize, type DrainResult, type DrainSide, type FieldboardDrain } from './run.ts';

export interface DrainPlanOptions {
  quick: boolean;
  /** Run the Queue at the largest size too. */
  full: boolean;
  /** One time limit for every side, seconds (default: scaled with the size, `limitMs` below). */
  limitS?: number;
}

export interface DrainPlan {
  /** Three sizes, each 10x the one before: the middle one is the 10,000 of the targets, the last the 100,000. */
  sizes: [number, number, number];
  full: boolean;
  limitMs(n: number, side: 'fieldboard' | 'workbox'): number;
}

export function drainPlan(opts: DrainPlanOptions): DrainPlan {
  return {
    sizes: opts.quick ? [30, 300, 3_000] : [1_000, 10_000, 100_000],
    full: opts.full,
    // A minute of setup plus about 10x the drain time measured per mutation on 2026-12-02 (Fieldboard 2 ms,
    // the Queue 9.5 ms): a linear drain finishes well inside, a quadratic one at 100,000 does not.
    limitMs: (n, side) => (opts.limitS ?? 60 + (side === 'fieldboard' ? 0.003 : 0.02) * n) * 1000,
  };
}

const MiB = 2 ** 20;
const QUEUE = 'Workbox background-sync Queue';
const fmtN = (n: number) => n.toLocaleString('en-US');
const seconds = (o: Outcome<{ drainMs: number }>) => round(valueOr(o, (v) => v.drainMs) / 1000, 2);

/** Why the Queue is not run at the largest size: how long it would take at the middle size's pace. */
function skipReason(middle: DrainResult | undefined, largest: number): string {
  const wb = middle?.workbox;
  if (!middle || wb?.kind !== 'done') return 'needs --full';
  const minutes = (wb.value.drainMs / middle.n) * largest / 60_000;
  return `≈${Math.round(minutes)} min at the ${fmtN(middle.n)} pace; --full`;
}

function sizeRows(plan: DrainPlan, r: DrainResult, middle: DrainResult | undefined): Row[] {
  const { n, fieldboard: fb, workbox: wb } = r;
  const [, mid, largest] = plan.sizes;
  const label = `drain curve (${fmtN(n)} offline mutations)`;
  const peer = wb.kind === 'done' ? QUEUE : `${QUEUE}: ${whyMissing(wb, 'Queue').replace(/^Queue /, '')}`;
  const fbMissing = whyMissing(fb, 'Fieldboard');
  const note = (target: string) => [target, fbMissing].filter(Boolean).join('; ');
  const fbS = seconds(fb);
  const wbS = seconds(wb);

  let target = '';
  let met: boolean | null = null;
  if (n === mid) {
    target = '>= 10x the Queue and < 2 s';
    met = wbS / fbS >= 10 && fbS < 2;
  } else if (n === largest) {
    const midS = middle ? seconds(middle.fieldboard) : NaN;
    target = `linear: < 12x the ${fmtN(mid)} time (${Number.isFinite(midS) ? `${round(12 * midS, 1)} s` : 'n/a'})`;
    met = fbS < 12 * midS;
  }
  const exact = (o: Outcome<DrainSide>) =>
    o.kind === 'done' && o.value.applied === n && o.value.counterDelta === n && o.value.appliedAnswers === n;
  const applied = (o: Outcome<DrainSide>) => valueOr(o, (v) => v.applied);
  const queueNote =
    wb.kind === 'done' && !exact(wb) ? ` (Queue: ${wb.value.applied} changes, counter +${wb.value.counterDelta}, ${wb.value.appliedAnswers} answers)` : '';
  const heap = (pick: (h: FieldboardDrain['heap']) => number) => round(valueOr(fb, (v) => pick(v.heap)) / MiB, 1);
  const under50 = (x: number) => (fb.kind === 'done' ? x < 50 : false);
  const mem = `${label}: memory with ${fmtN(n)} pending`;
  const empty = 'same app, empty outbox';
  const tabHeap = heap((h) => h.pagePending);
  const swHeap = heap((h) => h.swPending);
  return [
    row(label, 'online -> all applied, 0 pending', 's', true, fbS, peer, wbS, note(target), fb.kind === 'done' ? met : false),
    row(label, 'applied exactly once', 'mutations', false, applied(fb), peer, applied(wb), note(`${fmtN(n)} changes, counter +${fmtN(n)}, ${fmtN(n)} answers${queueNote}`), exact(fb)),
    row(mem, 'tab JS heap', 'MiB', true, tabHeap, empty, heap((h) => h.pageEmpty), note('< 50 MiB'), under50(tabHeap)),
    row(mem, 'service worker JS heap', 'MiB', true, swHeap, empty, heap((h) => h.swEmpty), note('< 50 MiB'), under50(swHeap)),
    row(mem, 'offline click to painted frame', 'ms', true, round(valueOr(fb, (v) => v.click.pending), 1), empty, round(valueOr(fb, (v) => v.click.empty), 1), fbMissing, null),
  ];
}

export async function drainRows(opts: DrainPlanOptions): Promise<Row[]> {
  const plan = drainPlan(opts);
  const [, mid, largest] = plan.sizes;
  const kit = await prepareDrainKit();
  const results: DrainResult[] = [];
  const rows: Row[] = [];
  try {
    for (const n of plan.sizes) {
      const middle = results.find((r) => r.n === mid);
      const peer = n < largest || plan.full ? (true as const) : { skip: skipReason(middle, largest) };
      const limitMs = { fieldboard: plan.limitMs(n, 'fieldboard'), workbox: plan.limitMs(n, 'workbox') };
      process.stderr.write(
        `  drain: ${fmtN(n)} mutations (time limit ${Math.round(limitMs.fieldboard / 1000)} s; Queue ${peer === true ? `${Math.round(limitMs.workbox / 1000)} s` : 'not run'})\n`,
      );
      const r = await runDrainSize(kit, { mutations: n, peer, serverRate: n === mid, limitMs });
      results.push(r);
      rows.push(...sizeRows(plan, r, middle));
      if (r.serverRate) {
        const rate = r.serverRate;
        rows.push(
          row(`drain curve (${fmtN(n)} offline mutations)`, 'server apply rate, no browser', 'mut/s', false, Math.round(rate.batchedPerSec), 'same server, 1 mutation per POST', Math.round(rate.perRequestPerSec), '', null),
        );
      }
    }
  } finally {
    kit.remove();
  }
  return rows;
}
