/**
 * The browser benchmarks of `npm run bench` (Chromium, the built app in dist/, a real server), each against
 * its peer in the same run: input-to-paint, propagation, drain (a curve, with memory), cold-start. `quick` keeps each
 * to a few seconds for the smoke run; the full sizes are the ones issue 6 names.
 */
import { row, type Row } from './lib/report.ts';
import { round } from './lib/stats.ts';
import { runInputToPaint } from './paint/run.ts';
import { runPropagation } from './propagation/run.ts';
import { hopRows } from './propagation/hops.ts';
import { drainRows } from './drain/rows.ts';
import { runColdStart } from './cold-start/run.ts';

export interface BrowserBench {
  name: string;
  run: () => Promise<Row[]>;
}

const FRAME_MS = 1000 / 60;

export interface BrowserBenchOptions {
  /** Run the slow peers at every size too (the Workbox Queue at 100,000: about 16 minutes). */
  full: boolean;
  /** One time limit, seconds, for each side of each drain size (default: scaled with the size). */
  drainLimitS?: number;
}

export function browserBenches(quick: boolean, opts: BrowserBenchOptions): BrowserBench[] {
  return [
    {
      name: 'input-to-paint',
      async run() {
        const opts = quick ? { clicks: 12, warmup: 2, widgets: 200 } : { clicks: 1_000, warmup: 20, widgets: 200 };
        const { fieldboard: fb, peer } = await runInputToPaint(opts);
        const label = `input-to-paint (${opts.widgets} widgets, ${opts.clicks} clicks)`;
        const floor = 'bare Preact board (no sync)';
        return [
          row(label, 'click to painted frame p50', 'ms', true, round(fb.paint.p50, 1), floor, round(peer.paint.p50, 1), '', null),
          row(label, 'click to painted frame p95', 'ms', true, round(fb.paint.p95, 1), floor, round(peer.paint.p95, 1), 'p95 < 16.7 ms', fb.paint.p95 < FRAME_MS),
          row(label, 'click to DOM updated p50', 'ms', true, round(fb.dom.p50, 1), floor, round(peer.dom.p50, 1), '', null),
        ];
      },
    },
    {
      name: 'propagation',
      async run() {
        const opts = quick ? { edits: 6, warmup: 1 } : { edits: 200, warmup: 10 };
        const { fieldboard: fb, peer, floor } = await runPropagation(opts);
        const label = `propagation (${opts.edits} edits)`;
        const relay = 'Socket.IO relay';
        const target = 'p50 <= Socket.IO';
        return [
          row(label, 'A -> device B p50', 'ms', true, round(fb.device.p50, 1), relay, round(peer.device.p50, 1), target, fb.device.p50 <= peer.device.p50),
          row(label, 'A -> device B p95', 'ms', true, round(fb.device.p95, 1), relay, round(peer.device.p95, 1), '', null),
          row(label, 'A -> tab 2 of A p50', 'ms', true, round(fb.tab.p50, 1), relay, round(peer.tab.p50, 1), target, fb.tab.p50 <= peer.tab.p50),
          row(label, 'A -> tab 2 of A p95', 'ms', true, round(fb.tab.p95, 1), relay, round(peer.tab.p95, 1), '', null),
          row(label, 'A -> tab 2 of A p50', 'ms', true, round(fb.tab.p50, 1), 'BroadcastChannel floor (bare page)', round(floor.tab.p50, 1), '', null),
          ...hopRows(label, fb.hops),
        ];
      },
    },
    // A scaling curve (1,000 / 10,000 / 100,000 pending) against Workbox's Queue, with heaps: bench/drain/rows.ts
    { name: 'drain', run: () => drainRows({ quick, full: opts.full, limitS: opts.drainLimitS }) },
    {
      name: 'cold-start',
      async run() {
        const opts = quick ? { runs: 2, warmup: 1, widgets: 200 } : { runs: 20, warmup: 2, widgets: 200 };
        const { offline, online } = await runColdStart(opts);
        const label = `offline cold start (${opts.widgets} widgets, ${opts.runs} runs)`;
        const peer = 'online, service worker blocked';
        return [
          row(label, 'navigation to painted dashboard p50', 'ms', true, round(offline.p50, 1), peer, round(online.p50, 1), 'offline <= online', offline.p50 <= online.p50),
          row(label, 'navigation to painted dashboard p95', 'ms', true, round(offline.p95, 1), peer, round(online.p95, 1), '', null),
        ];
      },
    },
  ];
}
