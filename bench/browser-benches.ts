/**
 * The browser benchmarks of `npm run bench` (Chromium, the built app in dist/, a real server), each against
 * its peer in the same run: input-to-paint, propagation, drain (with memory), cold-start. `quick` keeps each
 * to a few seconds for the smoke run; the full sizes are the ones issue 6 names.
 */
import { row, type Row } from './lib/report.ts';
import { round } from './lib/stats.ts';
import { runInputToPaint } from './paint/run.ts';
import { runPropagation } from './propagation/run.ts';
import { hopRows } from './propagation/hops.ts';
import { runDrain } from './drain/run.ts';
import { runColdStart } from './cold-start/run.ts';

export interface BrowserBench {
  name: string;
  run: () => Promise<Row[]>;
}

const FRAME_MS = 1000 / 60;
const MiB = 2 ** 20;

export function browserBenches(quick: boolean): BrowserBench[] {
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
        const { fieldboard: fb, peer } = await runPropagation(opts);
        const label = `propagation (${opts.edits} edits)`;
        const relay = 'Socket.IO relay';
        const target = 'p50 <= Socket.IO';
        return [
          row(label, 'A -> device B p50', 'ms', true, round(fb.device.p50, 1), relay, round(peer.device.p50, 1), target, fb.device.p50 <= peer.device.p50),
          row(label, 'A -> device B p95', 'ms', true, round(fb.device.p95, 1), relay, round(peer.device.p95, 1), '', null),
          row(label, 'A -> tab 2 of A p50', 'ms', true, round(fb.tab.p50, 1), relay, round(peer.tab.p50, 1), target, fb.tab.p50 <= peer.tab.p50),
          row(label, 'A -> tab 2 of A p95', 'ms', true, round(fb.tab.p95, 1), relay, round(peer.tab.p95, 1), '', null),
          ...hopRows(label, fb.hops),
        ];
      },
    },
    {
      name: 'drain',
      async run() {
        const r = await runDrain({ mutations: quick ? 100 : 10_000 });
        const { n, fieldboard: fb, workbox: wb } = r;
        const label = `drain (${n.toLocaleString('en-US')} offline mutations)`;
        const queue = 'Workbox background-sync Queue';
        const exact = (s: typeof fb | typeof wb) => s.applied === n && s.counterDelta === n && s.appliedAnswers === n;
        const peerNote = exact(wb) ? '' : ` (Workbox: ${wb.applied} changes, counter +${wb.counterDelta}, ${wb.appliedAnswers} applied answers)`;
        const s = (ms: number) => round(ms / 1000, 2);
        const mem = `memory (${n.toLocaleString('en-US')} pending)`;
        const empty = 'same app, empty outbox';
        return [
          row(label, 'online -> all applied, 0 pending', 's', true, s(fb.drainMs), queue, s(wb.drainMs), '10x the Queue and < 5 s', wb.drainMs / fb.drainMs >= 10 && fb.drainMs < 5_000),
          row(label, 'applied exactly once', 'mutations', false, fb.applied, queue, wb.applied, `${n} changes, counter +${n}, ${n} answers${peerNote}`, exact(fb)),
          row(label, 'server apply rate, no browser', 'mut/s', false, Math.round(r.serverRate.batchedPerSec), 'same server, 1 mutation per POST', Math.round(r.serverRate.perRequestPerSec), '', null),
          row(mem, 'tab JS heap', 'MiB', true, round(fb.heap.pagePending / MiB, 1), empty, round(fb.heap.pageEmpty / MiB, 1), '< 50 MiB', fb.heap.pagePending < 50 * MiB),
          row(mem, 'service worker JS heap', 'MiB', true, round(fb.heap.swPending / MiB, 1), empty, round(fb.heap.swEmpty / MiB, 1), '', null),
          row(mem, 'offline click to painted frame', 'ms', true, round(fb.click.pending, 1), empty, round(fb.click.empty, 1), '', null),
        ];
      },
    },
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
