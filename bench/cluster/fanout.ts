/**
 * Fan-out across nodes: the fan-out benchmark (bench/fanout) with its receivers spread round-robin over 1, 2
 * and 3 Fieldboard nodes on one PostgreSQL, the writer on the first node, against the same number of
 * Socket.IO processes joined by Socket.IO's PostgreSQL adapter (its documented way to scale out on the
 * database we use). Deliveries per second, latency over all receivers, and the cross-node lag (latency of
 * receivers on another node than the writer's). Every process on this machine: the figures show how each
 * design's cost grows with nodes, not what more machines would add.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { apiDashboards, apiLogin, serverState } from '../../tests/kit/api.ts';
import { CLUSTER_PASSWORD, startNode, type Node } from '../../tests/integration/cluster-helpers.ts';
import { BENCH_LIMITS_ENV } from '../lib/limits.ts';
import type { FanoutResult } from '../fanout/run.ts';
import type { LoadConfig } from '../fanout/load-client.ts';
import { startPeerProcess } from '../lib/proc.ts';
import type { BenchPostgres } from './pg.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ClusterFanoutOptions {
  connections: number;
  rate: number;
  durationMs: number;
  nodeCounts: number[];
}

export type ClusterFanoutResult = FanoutResult & { crossNodeLatencyMs: { p50: number; p99: number; n: number } };

async function load(cfg: LoadConfig): Promise<ClusterFanoutResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'bench/fanout/load-client.ts'), JSON.stringify(cfg)],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as ClusterFanoutResult;
}

async function fieldboard(pg: BenchPostgres, nodes: number, opts: ClusterFanoutOptions): Promise<ClusterFanoutResult> {
  const url = await pg.freshDatabase(`fb${nodes}`);
  const started: Node[] = [];
  try {
    // LOG_LEVEL stays info: startNode waits for the "listening" line, logged at that level.
    started.push(await startNode(url, { env: BENCH_LIMITS_ENV }));
    for (let i = 1; i < nodes; i++) started.push(await startNode(url, { env: BENCH_LIMITS_ENV }));
    const session = await apiLogin(started[0].server.url, 'demo', CLUSTER_PASSWORD);
    const [dashboard] = await apiDashboards(session);
    const counter = (await serverState(session, dashboard.id)).find((w) => w.kind === 'counter');
    if (!counter) throw new Error('the demo dashboard has no counter');
    return await load({
      kind: 'fieldboard',
      url: started[0].server.url,
      serverPid: started[0].proc.pid!,
      urls: started.map((n) => n.server.url),
      serverPids: started.map((n) => n.proc.pid!),
      cookie: session.cookie,
      dashboardId: dashboard.id,
      widgetId: counter.id,
      connections: opts.connections,
      rate: opts.rate,
      durationMs: opts.durationMs,
    });
  } finally {
    await Promise.all(started.map((n) => n.stop()));
  }
}

async function socketio(pg: BenchPostgres, nodes: number, opts: ClusterFanoutOptions): Promise<ClusterFanoutResult> {
  const url = await pg.freshDatabase(`sio${nodes}`);
  const peers: Awaited<ReturnType<typeof startPeerProcess>>[] = [];
  try {
    // One after another: each creates the adapter's table if missing.
    for (let i = 0; i < nodes; i++) peers.push(await startPeerProcess('bench/fanout/peer-servers.ts', ['socketio-pg', url], 'Socket.IO peer'));
    return await load({
      kind: 'socketio',
      url: peers[0].url,
      serverPid: peers[0].pid,
      urls: peers.map((p) => p.url),
      serverPids: peers.map((p) => p.pid),
      connections: opts.connections,
      rate: opts.rate,
      durationMs: opts.durationMs,
    });
  } finally {
    for (const p of peers) p.stop();
  }
}

export async function runClusterFanout(
  pg: BenchPostgres,
  opts: ClusterFanoutOptions,
): Promise<{ nodes: number; fieldboard: ClusterFanoutResult; socketio: ClusterFanoutResult }[]> {
  const out = [];
  for (const nodes of opts.nodeCounts) {
    out.push({ nodes, fieldboard: await fieldboard(pg, nodes, opts), socketio: await socketio(pg, nodes, opts) });
  }
  return out;
}
