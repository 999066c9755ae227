/**
 * The fan-out benchmark's rows for `npm run bench`: a scaling curve (1,000 / 5,000 / 10,000 sockets on one
 * node, the writer's rate chosen so that every size offers the same 50,000 deliveries per second; 5 edits/s
 * at 10,000 sockets), each size against plain `ws` and Socket.IO in the same run, then what an idle socket
 * weighs in each server at the largest size. Targets (issue 13): every message delivered, p99 within 1.5x of
 * ws, memory per socket within 2x of ws.
 */
import { row, type Row } from '../lib/report.ts';
import { runFanout, runSocketMemory, type FanoutResult } from './run.ts';

const DELIVERIES_PER_S = 50_000;

export function fanoutPlan(quick: boolean): { sizes: number[]; durationMs: number; rateOf(connections: number): number } {
  const sizes = quick ? [200, 500] : [1_000, 5_000, 10_000];
  const deliveries = quick ? 10_000 : DELIVERIES_PER_S;
  return { sizes, durationMs: quick ? 2_000 : 10_000, rateOf: (n) => Math.max(1, Math.round(deliveries / n)) };
}

function curveRows(label: string, fb: FanoutResult, ws: FanoutResult, sio: FanoutResult): Row[] {
  const pct = (r: FanoutResult) => (100 * r.delivered) / r.expected;
  const all = fb.delivered === fb.expected;
  const rows: Row[] = [
    row(label, 'delivered of expected', '%', false, pct(fb), 'plain ws', pct(ws), 'every message delivered', all),
    row(label, 'delivered of expected', '%', false, pct(fb), 'Socket.IO', pct(sio), 'every message delivered', all),
    row(label, 'delivered/s', 'msg/s', false, fb.deliveredPerSec, 'plain ws', ws.deliveredPerSec, '', null),
    row(label, 'latency p50', 'ms', true, fb.latencyMs.p50, 'plain ws', ws.latencyMs.p50, '', null),
    row(label, 'latency p50', 'ms', true, fb.latencyMs.p50, 'Socket.IO', sio.latencyMs.p50, '', null),
    row(label, 'latency p99', 'ms', true, fb.latencyMs.p99, 'plain ws', ws.latencyMs.p99, 'within 1.5x of ws', fb.latencyMs.p99 <= ws.latencyMs.p99 * 1.5),
    row(label, 'latency p99', 'ms', true, fb.latencyMs.p99, 'Socket.IO', sio.latencyMs.p99, 'ahead of Socket.IO', fb.latencyMs.p99 <= sio.latencyMs.p99),
    row(label, 'server CPU per delivery', 'µs', true, fb.serverCpuMsPerDelivery * 1000, 'plain ws', ws.serverCpuMsPerDelivery * 1000, '', null),
    row(label, 'server CPU per delivery', 'µs', true, fb.serverCpuMsPerDelivery * 1000, 'Socket.IO', sio.serverCpuMsPerDelivery * 1000, '', null),
  ];
  const mem = (r: FanoutResult) => r.serverRssPerConnectionKiB;
  rows.push(
    row(label, 'server RSS per connection', 'KiB', true, mem(fb), 'plain ws', mem(ws), 'within 2x of ws', mem(fb) <= mem(ws) * 2),
    row(label, 'server RSS per connection', 'KiB', true, mem(fb), 'Socket.IO', mem(sio), '', null),
  );
  return rows;
}

export async function fanoutRows(quick: boolean): Promise<Row[]> {
  const plan = fanoutPlan(quick);
  const rows: Row[] = [];
  for (const connections of plan.sizes) {
    const rate = plan.rateOf(connections);
    process.stderr.write(`  fan-out: ${connections} sockets, ${rate} edits/s\n`);
    const [fb, ws, sio] = await runFanout({ connections, rate, durationMs: plan.durationMs });
    rows.push(...curveRows(`fan-out (${connections.toLocaleString('en-US')} sockets, ${rate} edits/s)`, fb, ws, sio));
  }
  const largest = plan.sizes[plan.sizes.length - 1];
  process.stderr.write(`  fan-out: weighing ${largest} idle sockets\n`);
  const [fb, ws, sio] = await runSocketMemory(largest);
  const label = `idle socket memory (${largest.toLocaleString('en-US')} subscribed sockets, after a full GC)`;
  const kib = (b: number) => b / 1024;
  rows.push(
    row(label, 'heap per socket', 'KiB', true, kib(fb.heapBytes), 'plain ws', kib(ws.heapBytes), 'within 2x of ws', fb.heapBytes <= ws.heapBytes * 2),
    row(label, 'heap per socket', 'KiB', true, kib(fb.heapBytes), 'Socket.IO', kib(sio.heapBytes), '', null),
    row(label, 'RSS per socket', 'KiB', true, kib(fb.rssBytes), 'plain ws', kib(ws.rssBytes), 'within 2x of ws', fb.rssBytes <= ws.rssBytes * 2),
    row(label, 'RSS per socket', 'KiB', true, kib(fb.rssBytes), 'Socket.IO', kib(sio.rssBytes), '', null),
  );
  return rows;
}
