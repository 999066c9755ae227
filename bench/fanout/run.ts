/**
 * Server fan-out: N subscribed sockets on one dashboard, a steady stream of edits, delivered messages per
 * second and delivery latency, server CPU and memory per connection. Fieldboard (which also validates,
 * applies and commits every edit to SQLite before fanning it out) against a plain `ws` broadcast loop (the
 * floor) and Socket.IO's broadcast, each server in its own process and the load in another. `bench/run.ts`
 * runs it at several socket counts with the same deliveries per second (a scaling curve), and weighs an idle
 * socket of each server after a full collection (socket-memory.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { startKitServer } from '../../tests/kit/server.ts';
import { BENCH_LIMITS_ENV } from '../lib/limits.ts';
import { apiDashboards, apiLogin, serverState } from '../../tests/kit/api.ts';
import { startPeerProcess } from '../lib/proc.ts';
import { assertFileLimit } from '../lib/files.ts';
import type { LoadConfig } from './load-client.ts';
import type { SocketMemoryResult } from './socket-memory.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface FanoutOptions {
  connections: number;
  rate: number;
  durationMs: number;
}

export type FanoutResult = {
  kind: LoadConfig['kind'];
  connections: number;
  sent: number;
  expected: number;
  delivered: number;
  deliveredPerSec: number;
  latencyMs: { p50: number; p99: number; mean: number };
  serverCpuPercent: number;
  /** The load client's own CPU: near 100% it, not the server, sets the latency. */
  clientCpuPercent: number;
  /** Mean bytes of a frame that carried a delivery (0 for Socket.IO, whose frames the client does not see). */
  frameBytes: number;
  serverCpuMsPerDelivery: number;
  serverRssPerConnectionKiB: number;
};

const run = promisify(execFile);
/** Bytes of a peer message besides its padding: `{"id":"m_bench<k>x<6>","pad":"..."}`. */
const PEER_MESSAGE_OVERHEAD = 33;

async function load(cfg: LoadConfig): Promise<FanoutResult> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'bench/fanout/load-client.ts'), JSON.stringify(cfg)],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as FanoutResult;
}

/** An idle subscribed socket's weight in each server, after a full collection (bench/fanout/socket-memory.ts). */
export async function runSocketMemory(connections: number): Promise<SocketMemoryResult[]> {
  assertFileLimit(connections);
  const results: SocketMemoryResult[] = [];
  for (const kind of ['fieldboard', 'ws', 'socketio'] as const) {
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', resolve(ROOT, 'bench/fanout/socket-memory.ts'), JSON.stringify({ kind, connections })],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    results.push(JSON.parse(stdout.trim().split('\n').pop()!) as SocketMemoryResult);
  }
  return results;
}

async function withPeer<T>(kind: 'ws' | 'socketio', fn: (url: string, pid: number) => Promise<T>): Promise<T> {
  const peer = await startPeerProcess('bench/fanout/peer-servers.ts', [kind], `${kind} peer`);
  try {
    return await fn(peer.url, peer.pid);
  } finally {
    peer.stop();
  }
}

export async function runFanout(opts: FanoutOptions): Promise<FanoutResult[]> {
  assertFileLimit(opts.connections);
  const results: FanoutResult[] = [];
  const server = await startKitServer({ env: { LOG_LEVEL: 'warn', ...BENCH_LIMITS_ENV } });
  try {
    const session = await apiLogin(server.url);
    const [dashboard] = await apiDashboards(session);
    const counter = (await serverState(session, dashboard.id)).find((w) => w.kind === 'counter');
    if (!counter) throw new Error('the demo dashboard has no counter');
    results.push(
      await load({
        kind: 'fieldboard',
        url: server.url,
        serverPid: server.pid,
        cookie: session.cookie,
        dashboardId: dashboard.id,
        widgetId: counter.id,
        ...opts,
      }),
    );
  } finally {
    await server.stop();
  }
  // The peers carry as many bytes per message as Fieldboard's change frame did (about 490), so every
  // receiver parses the same amount whichever server it listens to.
  const padding = Math.max(0, Math.round(results[0].frameBytes) - PEER_MESSAGE_OVERHEAD);
  for (const kind of ['ws', 'socketio'] as const) {
    results.push(await withPeer(kind, (url, serverPid) => load({ kind, url, serverPid, padding, ...opts })));
  }
  return results;
}
