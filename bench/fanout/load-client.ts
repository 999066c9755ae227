/**
 * The fan-out load client, in its own process so that it does not share an event loop with the server
 * under test. It opens N subscribed connections, one writer sends a steady stream of edits, and every
 * connection timestamps what it receives. Prints one JSON line with the figures.
 *
 *   node --import tsx bench/fanout/load-client.ts '<json config>'
 */
import WebSocket from 'ws';
import { io as ioClient, type Socket } from 'socket.io-client';
import { cpuSeconds, rssBytes } from '../lib/proc.ts';
import { summarize } from '../lib/stats.ts';

export interface LoadConfig {
  kind: 'fieldboard' | 'ws' | 'socketio';
  url: string;
  serverPid: number;
  /**
   * Several nodes of one deployment (bench/cluster): receivers connect round-robin, the writer to the first,
   * and the server figures add up every node's process. Default: `url` and `serverPid` alone.
   */
  urls?: string[];
  serverPids?: number[];
  connections: number;
  /** Edits per second sent by the writer. */
  rate: number;
  durationMs: number;
  /** Fieldboard only. */
  cookie?: string;
  dashboardId?: string;
  widgetId?: string;
  /** Fieldboard nodes behind one public origin check Origin against it. */
  origin?: string;
  /** Bytes of padding in peer messages, so they carry about what a Fieldboard change frame does. */
  padding?: number;
  /**
   * Idle sockets only (bench/fanout/socket-memory.ts): open the receivers, print `{"connected":N}`, hold them
   * until stdin ends, then close them and exit. No writer, no edits.
   */
  hold?: boolean;
}

interface Endpoint {
  /** Resolves when the endpoint is ready to receive. */
  ready: Promise<void>;
  close(): void;
}

const cfg = JSON.parse(process.argv[2]) as LoadConfig;
const urls = cfg.urls ?? [cfg.url];
const pids = cfg.serverPids ?? [cfg.serverPid];
/** Receiver i's node; the writer (index `connections`) is on the first. */
const urlOf = (i: number) => (i >= cfg.connections ? urls[0] : urls[i % urls.length]);
const sentAt = new Map<string, number>();
const latencies: number[] = [];
/** Deliveries to receivers on another node than the writer's: the cross-node lag. */
const remoteLatencies: number[] = [];
let delivered = 0;
/** Bytes of the frames that carried deliveries (what each receiver parses per message). */
let deliveredBytes = 0;

function onReceive(id: string, node = 0, bytes = 0): void {
  const t = sentAt.get(id);
  if (t === undefined) return;
  delivered++;
  deliveredBytes += bytes;
  const ms = performance.now() - t;
  latencies.push(ms);
  if (node !== 0) remoteLatencies.push(ms);
}

const nodeOf = (i: number) => (i >= cfg.connections ? 0 : i % urls.length);

function fieldboardEndpoint(i: number, onOpen?: (ws: WebSocket) => void): Endpoint {
  const origin = cfg.urls ? (cfg.origin ?? urlOf(i)) : cfg.url;
  const ws = new WebSocket(urlOf(i).replace(/^http/, 'ws') + '/api/ws', {
    headers: { cookie: cfg.cookie!, origin },
    perMessageDeflate: false,
  });
  const ready = new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId: `c_bench${i}` })));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type === 'welcome') {
        ws.send(JSON.stringify({ type: 'subscribe', dashboardId: cfg.dashboardId, cursor: 0, epoch: null }));
      } else if (f.type === 'caught-up') {
        onOpen?.(ws);
        resolve();
      } else if (f.type === 'changes') {
        for (const c of f.changes) if (c.mutationId) onReceive(c.mutationId, nodeOf(i), (data as Buffer).length);
      }
    });
  });
  return { ready, close: () => ws.terminate() };
}

function wsEndpoint(): Endpoint & { send?: (s: string) => void } {
  const ws = new WebSocket(cfg.url.replace(/^http/, 'ws'), { perMessageDeflate: false });
  ws.on('message', (data) => onReceive(JSON.parse(String(data)).id, 0, (data as Buffer).length));
  const ready = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  return { ready, close: () => ws.terminate(), send: (s) => ws.send(s) };
}

function socketioEndpoint(i: number): Endpoint & { socket: Socket } {
  const socket = ioClient(urlOf(i), { transports: ['websocket'], forceNew: true, reconnection: false });
  socket.on('m', (d: { id: string }) => onReceive(d.id, nodeOf(i)));
  const ready = new Promise<void>((resolve, reject) => {
    socket.on('connect', () => resolve());
    socket.on('connect_error', reject);
  });
  return { ready, close: () => socket.close(), socket };
}

async function openAll<T extends Endpoint>(make: (i: number) => T): Promise<T[]> {
  const all: T[] = [];
  const batch = 50; // bounded concurrency: a burst of 1,000 handshakes is a different benchmark
  for (let i = 0; i < cfg.connections; i += batch) {
    const group = Array.from({ length: Math.min(batch, cfg.connections - i) }, (_, k) => make(i + k));
    await Promise.all(group.map((e) => e.ready));
    all.push(...group);
  }
  return all;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Idle receivers held open until stdin ends, for the server to be weighed meanwhile. */
async function hold(): Promise<void> {
  const make =
    cfg.kind === 'fieldboard' ? (i: number) => fieldboardEndpoint(i) : cfg.kind === 'ws' ? () => wsEndpoint() : (i: number) => socketioEndpoint(i);
  const receivers = await openAll(make);
  console.log(JSON.stringify({ connected: receivers.length }));
  process.stdin.resume();
  await new Promise((r) => process.stdin.once('end', r));
  for (const r of receivers) r.close();
  process.exit(0);
}

/** How long the servers get after the last handshake before their memory is read (handshake garbage settles). */
const SETTLE_MS = 1_000;

async function main(): Promise<void> {
  if (cfg.hold) return hold();
  const rssBefore = sum(pids.map(rssBytes));
  const pad = 'x'.repeat(cfg.padding ?? 300);
  let receivers: Endpoint[];
  let send: (id: string) => void;

  if (cfg.kind === 'fieldboard') {
    receivers = await openAll((i) => fieldboardEndpoint(i));
    let writer!: WebSocket;
    await fieldboardEndpoint(cfg.connections, (ws) => (writer = ws)).ready;
    let n = 0;
    send = (id) =>
      writer.send(
        JSON.stringify({
          type: 'push',
          requestId: `r${n++}`,
          mutations: [
            {
              id,
              clientId: `c_bench${cfg.connections}`,
              dashboardId: cfg.dashboardId,
              name: 'counter.add',
              args: { widgetId: cfg.widgetId, delta: 1 },
              baseVersion: 0,
              createdAt: Date.now(),
            },
          ],
        }),
      );
  } else if (cfg.kind === 'ws') {
    receivers = await openAll(() => wsEndpoint());
    const writer = wsEndpoint();
    await writer.ready;
    send = (id) => writer.send!(JSON.stringify({ id, pad }));
  } else {
    receivers = await openAll((i) => socketioEndpoint(i));
    const writer = socketioEndpoint(cfg.connections);
    await writer.ready;
    send = (id) => writer.socket.emit('m', { id, pad });
  }
  // The writer receives its own echo too; count only the N receivers' deliveries.
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const rssConnected = sum(pids.map(rssBytes));
  const cpuStart = sum(pids.map(cpuSeconds));
  const clientCpuStart = process.cpuUsage();
  const t0 = performance.now();
  const total = Math.round((cfg.rate * cfg.durationMs) / 1000);
  const run = (async () => {
    for (let k = 0; k < total; k++) {
      const due = t0 + (k * 1000) / cfg.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const id = `m_bench${k}x${Math.random().toString(36).slice(2, 8)}`;
      sentAt.set(id, performance.now());
      send(id);
    }
  })();
  await run;
  const expected = total * (cfg.connections + 1);
  const deadline = performance.now() + 10_000;
  while (delivered < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const wall = (performance.now() - t0) / 1000;
  const cpu = sum(pids.map(cpuSeconds)) - cpuStart;
  const clientCpu = process.cpuUsage(clientCpuStart);
  for (const r of receivers) r.close();
  const lat = summarize(latencies);
  const remote = summarize(remoteLatencies);
  console.log(
    JSON.stringify({
      kind: cfg.kind,
      connections: cfg.connections,
      sent: total,
      expected,
      delivered,
      deliveredPerSec: delivered / wall,
      latencyMs: { p50: lat.p50, p99: lat.p99, mean: lat.mean },
      crossNodeLatencyMs: { p50: remote.p50, p99: remote.p99, n: remote.n },
      serverCpuPercent: (cpu / wall) * 100,
      // The load client is one process too: near 100% it, not the server, sets the latency.
      clientCpuPercent: ((clientCpu.user + clientCpu.system) / 1e6 / wall) * 100,
      frameBytes: deliveredBytes / Math.max(1, delivered),
      serverCpuMsPerDelivery: (cpu * 1000) / Math.max(1, delivered),
      serverRssPerConnectionKiB: (rssConnected - rssBefore) / 1024 / cfg.connections,
    }),
  );
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
