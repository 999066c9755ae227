/**
 * `npm run bench [-- --quick] [-- --only fanout,size] [-- --full] [-- --drain-limit-s 600]`: every benchmark against its named peer in one run,
 * printed as a table of ratios and written to bench/results.json. Absolute times drift on shared 2-core
 * machines; the ratios, measured side by side in the same run, are the figures to quote.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { machine, printTable, row, save, type Row } from './lib/report.ts';
import { round } from './lib/stats.ts';
import { fanoutRows } from './fanout/rows.ts';
import { catchUpRows } from './catch-up/rows.ts';
import { raiseFileLimit } from './lib/files.ts';
import { runSize } from './size/run.ts';
import { browserBenches } from './browser-benches.ts';
import { runClusterFanout } from './cluster/fanout.ts';
import { startBenchPostgres, type BenchPostgres } from './cluster/pg.ts';
import { runPushThroughput } from './cluster/push.ts';

// Thousands of sockets need more than the usual 1,024 open files (bench/lib/files.ts): re-run once with more.
raiseFileLimit();

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    // Slow peers at every size of a curve (the Workbox Queue at 100,000 pending: about 16 minutes).
    full: { type: 'boolean', default: false },
    // One time limit, seconds, for each side of each drain size (default: scaled with the size).
    'drain-limit-s': { type: 'string' },
  },
});
const drainLimitS = values['drain-limit-s'] === undefined ? undefined : Number(values['drain-limit-s']);
if (drainLimitS !== undefined && !(drainLimitS > 0)) throw new Error(`--drain-limit-s must be a positive number of seconds, not ${values['drain-limit-s']}`);
const quick = values.quick!;
const only = values.only ? new Set(values.only.split(',')) : null;
const wanted = (name: string) => !only || only.has(name);

type Bench = { name: string; run: () => Promise<Row[]> };

/** Started by the first benchmark that needs PostgreSQL, stopped at the end. */
let postgres: BenchPostgres | null = null;
const benchPostgres = () => (postgres ??= startBenchPostgres());

const benches: Bench[] = [
  // A scaling curve (1,000 / 5,000 / 10,000 sockets) against plain ws and Socket.IO: bench/fanout/rows.ts
  { name: 'fanout', run: () => fanoutRows(quick) },
  // A device returning after 1,000 / 10,000 / 100,000 metric points against a full replay: bench/catch-up/rows.ts
  { name: 'catch-up', run: () => catchUpRows(quick) },
  {
    name: 'size',
    async run() {
      const s = await runSize();
      const kb = (b: number) => round(b / 1024, 1);
      const total = s.appGzipBytes + s.swGzipBytes;
      return [
        row('size (gzipped JS)', 'app + SW', 'KiB', true, kb(total), 'Replicache client', kb(s.replicacheGzipBytes), '< 40 KiB', total < 40 * 1024),
        row('size (gzipped JS)', 'app + SW', 'KiB', true, kb(total), 'Firestore + offline cache', kb(s.firestoreGzipBytes), '< 40 KiB', total < 40 * 1024),
        // With lazy chunks, also what runs before the first paint. The target counts the total above: the worker
        // precaches every chunk, so a first visit downloads the lazy ones too (README "Sizes").
        ...(s.appStartGzipBytes === s.appGzipBytes
          ? []
          : [row('size (gzipped JS)', 'app at start + SW', 'KiB', true, kb(s.appStartGzipBytes + s.swGzipBytes), 'Replicache client', kb(s.replicacheGzipBytes), '', null)]),
        row('size (gzipped JS)', 'app', 'KiB', true, kb(s.appGzipBytes), 'Replicache client', kb(s.replicacheGzipBytes), '', null),
        row('size (gzipped JS)', 'service worker', 'KiB', true, kb(s.swGzipBytes), 'Replicache client', kb(s.replicacheGzipBytes), '', null),
      ];
    },
  },
  {
    name: 'cluster',
    async run() {
      const opts = quick
        ? { connections: 90, rate: 20, durationMs: 2_000, nodeCounts: [1, 2, 3] }
        : { connections: 600, rate: 50, durationMs: 10_000, nodeCounts: [1, 2, 3] };
      const rows: Row[] = [];
      for (const r of await runClusterFanout(benchPostgres(), opts)) {
        const label = `fan-out on PostgreSQL, ${r.nodes} node${r.nodes > 1 ? 's' : ''} (${opts.connections} sockets, ${opts.rate} edits/s)`;
        const peer = 'Socket.IO + PostgreSQL adapter';
        const fb = r.fieldboard;
        const sio = r.socketio;
        rows.push(
          row(label, 'delivered/s', 'msg/s', false, fb.deliveredPerSec, peer, sio.deliveredPerSec, 'every delivery made', fb.delivered === fb.expected),
          row(label, 'latency p50', 'ms', true, fb.latencyMs.p50, peer, sio.latencyMs.p50, '', null),
          row(label, 'latency p99', 'ms', true, fb.latencyMs.p99, peer, sio.latencyMs.p99, '', null),
          row(label, 'server CPU per delivery (all nodes)', 'µs', true, fb.serverCpuMsPerDelivery * 1000, peer, sio.serverCpuMsPerDelivery * 1000, '', null),
        );
        if (r.nodes > 1) {
          rows.push(
            row(label, 'cross-node latency p50', 'ms', true, fb.crossNodeLatencyMs.p50, peer, sio.crossNodeLatencyMs.p50, '', null),
            row(label, 'cross-node latency p99', 'ms', true, fb.crossNodeLatencyMs.p99, peer, sio.crossNodeLatencyMs.p99, '', null),
          );
        }
      }
      return rows;
    },
  },
  {
    name: 'push',
    async run() {
      const opts = quick ? { batches: 300, writers: 4 } : { batches: 3_000, writers: 4 };
      const [sqlite, pg1, pg2] = await runPushThroughput(benchPostgres(), opts);
      const label = `push throughput (1-mutation batches, ${opts.writers} writers, one dashboard)`;
      return [pg1, pg2].flatMap((pg) => [
        row(label, `${pg.backend}: batches/s`, '/s', false, pg.batchesPerSec, sqlite.backend, sqlite.batchesPerSec, '', null),
        row(label, `${pg.backend}: latency p50`, 'ms', true, pg.latencyMs.p50, sqlite.backend, sqlite.latencyMs.p50, '', null),
        row(label, `${pg.backend}: latency p99`, 'ms', true, pg.latencyMs.p99, sqlite.backend, sqlite.latencyMs.p99, '', null),
      ]);
    },
  },
  // input-to-paint, propagation, drain (+ memory), cold-start: Chromium against the built app (bench/browser-benches.ts)
  ...browserBenches(quick, { full: values.full!, drainLimitS }),
];

const rows: Row[] = [];
const started = Date.now();
for (const b of benches.filter((b) => wanted(b.name))) {
  process.stderr.write(`running ${b.name}${quick ? ' (quick)' : ''}...\n`);
  rows.push(...(await b.run()));
}
(postgres as BenchPostgres | null)?.stop();
const table = printTable(rows);
console.log(table);
// A quick smoke run, or a run of some benchmarks only, never overwrites the full results the README quotes.
const file = quick ? 'results-quick.json' : only ? `results-${[...only].sort().join('-')}.json` : 'results.json';
save(resolve(import.meta.dirname, file), {
  date: new Date().toISOString(),
  quick,
  durationS: round((Date.now() - started) / 1000, 1),
  machine: machine(),
  rows,
  note: 'advantage = how many times better Fieldboard is than the peer on that metric (>1: ahead).',
});
console.log(`\nsaved bench/${file} (${round((Date.now() - started) / 1000, 1)} s)`);
