/**
 * What one idle, subscribed socket costs a server: the server runs in this process (started with
 * `--expose-gc`), N sockets are opened by the load client (bench/fanout/load-client.ts, `hold` mode) in
 * another process, and the heap after a full collection is read before and after. Unlike the RSS figure of
 * the fan-out run, this one holds no garbage and no allocator slack: it is what the sockets keep alive.
 *
 *   node --expose-gc --import tsx bench/fanout/socket-memory.ts '{"kind":"fieldboard","connections":1000}'
 *   (add "snapshot":"/tmp/x.heapsnapshot" to write a heap snapshot with the sockets open)
 *
 * Prints one JSON line: bytes per socket of V8 heap, of memory outside it (Buffers, ArrayBuffers) and RSS.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { writeHeapSnapshot } from 'node:v8';
import { startServer } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { apiDashboards, apiLogin } from '../../tests/kit/api.ts';
import { BENCH_LIMITS_ENV } from '../lib/limits.ts';
import type { LoadConfig } from './load-client.ts';
import { attachPeer, listen } from './peers.ts';

export interface SocketMemoryConfig {
  kind: LoadConfig['kind'];
  connections: number;
  snapshot?: string;
}

export interface SocketMemoryResult {
  kind: LoadConfig['kind'];
  connections: number;
  /** Per socket, after a full collection: V8 heap, memory outside it (`external`), and RSS. */
  heapBytes: number;
  /** Heap V8 keeps committed (used or not): what the heap part of RSS follows. */
  heapTotalBytes: number;
  externalBytes: number;
  rssBytes: number;
}

const ROOT = resolve(import.meta.dirname, '../..');
const cfg = JSON.parse(process.argv[2]) as SocketMemoryConfig;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

async function settled(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 100));
    gc!();
  }
  return process.memoryUsage();
}

async function server(): Promise<{ load: Omit<LoadConfig, 'connections' | 'rate' | 'durationMs'>; stop(): Promise<void> }> {
  if (cfg.kind === 'fieldboard') {
    const dir = mkdtempSync(join(tmpdir(), 'fieldboard-mem-'));
    const running = await startServer(
      loadConfig({ ...BENCH_LIMITS_ENV, PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'fb.db')}`, LOG_LEVEL: 'warn', FIELDBOARD_STATIC_DIR: dir }),
    );
    const session = await apiLogin(running.url);
    const [dashboard] = await apiDashboards(session);
    const load = { kind: cfg.kind, url: running.url, serverPid: process.pid, cookie: session.cookie, dashboardId: dashboard.id };
    return { load, stop: async () => (await running.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const http = createServer();
  await attachPeer(http, cfg.kind);
  const url = `http://127.0.0.1:${await listen(http)}`;
  return { load: { kind: cfg.kind, url, serverPid: process.pid }, stop: () => new Promise((r) => http.close(() => r())) };
}

const srv = await server();
const before = await settled();
const client = spawn(
  process.execPath,
  ['--import', 'tsx', resolve(ROOT, 'bench/fanout/load-client.ts'), JSON.stringify({ ...srv.load, connections: cfg.connections, rate: 0, durationMs: 0, hold: true })],
  { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
);
const exited = new Promise<void>((r) => client.once('exit', () => r()));
for await (const line of createInterface({ input: client.stdout! })) {
  if (line.includes('"connected"')) break;
}
const after = await settled();
if (cfg.snapshot) writeHeapSnapshot(cfg.snapshot);
client.stdin!.end();
await exited;
await srv.stop();
const per = (k: keyof NodeJS.MemoryUsage) => (after[k] - before[k]) / cfg.connections;
const result: SocketMemoryResult = {
  kind: cfg.kind,
  connections: cfg.connections,
  heapBytes: per('heapUsed'),
  heapTotalBytes: per('heapTotal'),
  externalBytes: per('external'),
  rssBytes: per('rss'),
};
console.log(JSON.stringify(result));
process.exit(0);
