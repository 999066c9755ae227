/**
 * A device returning after a long absence while metrics kept arriving (issue 13): catch-up must cost the
 * widgets that changed, not the points (docs/protocol.md, `subscribe`; docs/server.md, catch-up).
 *
 * - One server (a real child process, production code, limits lifted), the demo dashboard grown to
 *   `widgets` cards, `metricWidgets` of them metric widgets with their own keys.
 * - The device subscribes once from 0 and keeps the `caught-up` seq as its cursor; then it is gone.
 * - Points arrive through the ingest API (`POST /api/ingest/:dashboardId/:metricKey`, a bearer token, one
 *   point per request, round robin over the metric keys, a few requests in flight). At each checkpoint
 *   (e.g. 1,000 / 10,000 / 100,000 points in all) the device comes back from the same cursor.
 * - Fieldboard: the device's `hello`, then `subscribe { cursor, epoch }` to the server; the server walks
 *   `widgets_feed` and sends the latest change of each changed widget (server/store/sqlite-statements.ts).
 * - Peer, in the same run, from the same cursor, over the same kind of socket: a relay replaying every
 *   change of the log after the cursor (bench/catch-up/replay-relay.ts: the server's own `since` query,
 *   page rule and frames).
 *
 * Measured from sending `subscribe` to receiving `caught-up`: bytes on the wire (the TCP socket's
 * `bytesRead`, so frame headers count; no compression on either side), time, changes and frames. Each
 * client parses every frame (JSON), as a device must; the median of `reps` comebacks per checkpoint.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { LIMITS, newClientId, newWidgetId, type DashboardId } from '../../protocol/index.ts';
import { startKitServer } from '../../tests/kit/server.ts';
import { tempDir } from '../lib/browser.ts';
import { BENCH_LIMITS_ENV } from '../lib/limits.ts';
import { mutation, prepareBoard, push, type Board } from '../lib/fieldboard.ts';
import { startPeerProcess } from '../lib/proc.ts';
import { summarize } from '../lib/stats.ts';

export interface CatchUpOptions {
  /** Points ingested in all at each comeback, ascending (e.g. 1,000 / 10,000 / 100,000). */
  checkpoints: number[];
  /** Metric widgets the points go to (round robin): the widgets that change. */
  metricWidgets: number;
  /** Cards on the dashboard in all (the others do not change while the device is away). */
  widgets: number;
  /** Comebacks per checkpoint and side; the median is kept. */
  reps: number;
}

export interface CatchUpSide {
  /** Bytes read from the socket between `subscribe` and `caught-up`. */
  bytes: number;
  ms: number;
  changes: number;
  frames: number;
}

export interface CatchUpPoint {
  points: number;
  widgetsChanged: number;
  fieldboard: CatchUpSide;
  replay: CatchUpSide;
}

export interface CatchUpResult {
  checkpoints: CatchUpPoint[];
  /** How fast the ingest API took the points (one per request, a few in flight). */
  ingestPerSec: number;
}

const INGEST_TOKEN = 'bench-catch-up-ingest-token';
const IN_FLIGHT = 8;

/** A socket client that knows its TCP socket, to count the bytes that really arrive. */
async function openClient(url: string, headers: Record<string, string>): Promise<{ ws: WebSocket; socket: Socket }> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  let socket: Socket | null = null;
  ws.once('upgrade', (res) => (socket = res.socket));
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  if (!socket) throw new Error('no upgrade seen');
  return { ws, socket };
}

/** Sends `subscribe` and reads until `caught-up`, counting what arrived; `seq` is the `caught-up` head. */
function catchUp(client: { ws: WebSocket; socket: Socket }, subscribe: object): Promise<CatchUpSide & { seq: number }> {
  const before = client.socket.bytesRead;
  const t0 = performance.now();
  let changes = 0;
  let frames = 0;
  return new Promise((res, rej) => {
    client.ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as { type: string; changes?: unknown[]; seq?: number };
      frames++;
      if (f.type === 'changes') changes += f.changes!.length;
      else if (f.type === 'caught-up') res({ bytes: client.socket.bytesRead - before, ms: performance.now() - t0, changes, frames, seq: f.seq! });
      else if (f.type === 'reset' || f.type === 'error') rej(new Error(`catch-up answered ${String(data).slice(0, 200)}`));
    });
    client.ws.once('close', (code, reason) => rej(new Error(`socket closed during catch-up: ${code} ${String(reason)}`)));
    client.ws.send(JSON.stringify(subscribe));
  });
}

interface Device {
  cursor: number;
  epoch: string;
}

/** Fieldboard's side: the worker's own frames, `hello` then `subscribe` from the device's cursor. */
async function fieldboardCatchUp(board: Board, device: Device): Promise<CatchUpSide> {
  const clientId = newClientId();
  const client = await openClient(board.session.url.replace(/^http/, 'ws') + '/api/ws', { cookie: board.session.cookie, origin: board.session.url });
  try {
    await new Promise<void>((res) => {
      client.ws.once('message', () => res()); // welcome
      client.ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId }));
    });
    return await catchUp(client, { type: 'subscribe', dashboardId: board.dashboardId, cursor: device.cursor, epoch: device.epoch });
  } finally {
    client.ws.terminate();
  }
}

async function replayCatchUp(relayUrl: string, dashboardId: DashboardId, device: Device): Promise<CatchUpSide> {
  const client = await openClient(relayUrl.replace(/^http/, 'ws') + '/replay', {});
  try {
    return await catchUp(client, { type: 'subscribe', dashboardId, cursor: device.cursor });
  } finally {
    client.ws.terminate();
  }
}

/** The device's first visit: everything from 0, keeping the head as its cursor (and the epoch it holds). */
async function firstVisit(board: Board): Promise<Device> {
  const client = await openClient(board.session.url.replace(/^http/, 'ws') + '/api/ws', { cookie: board.session.cookie, origin: board.session.url });
  try {
    const epoch = await new Promise<string>((res) => {
      client.ws.once('message', (data) => res((JSON.parse(String(data)) as { epoch: string }).epoch));
      client.ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId: newClientId() }));
    });
    const seen = await catchUp(client, { type: 'subscribe', dashboardId: board.dashboardId, cursor: 0, epoch: null });
    if (seen.changes < board.widgets) throw new Error(`first visit saw ${seen.changes} of ${board.widgets} widgets`);
    return { cursor: seen.seq, epoch };
  } finally {
    client.ws.terminate();
  }
}

/** One ingest request on a kept-alive connection (node:http: a third of fetch's CPU per request here). */
function postPoint(agent: Agent, url: URL, path: string, body: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path, method: 'POST', headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (r) => {
        r.resume();
        r.on('end', () => res(r.statusCode ?? 0));
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

/** Points `from` to `to` (exclusive) through the ingest API, round robin over `keys`, a few in flight. */
async function ingest(url: string, dashboardId: DashboardId, keys: string[], from: number, to: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const base = new URL(url);
  const mod = (i: number, m: number) => ((i % m) + m) % m;
  let next = from;
  const sender = async () => {
    for (let i = next++; i < to; i = next++) {
      // Values of one width, so that a widget's size does not drift with the count.
      const status = await postPoint(agent, base, `/api/ingest/${dashboardId}/${keys[mod(i, keys.length)]}`, JSON.stringify({ value: 100 + mod(i, 900) / 10 }));
      if (status !== 202) throw new Error(`ingest: HTTP ${status}`);
      if (i > 0 && i % 10_000 === 0) process.stderr.write(`  catch-up: ${i.toLocaleString('en-US')} points ingested\n`);
    }
  };
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
  } finally {
    agent.destroy();
  }
}

/** The metric widgets the points go to, one key each, created like any client creates a widget. */
async function addMetricWidgets(board: Board, count: number): Promise<string[]> {
  const clientId = newClientId();
  const keys = Array.from({ length: count }, (_, i) => `bench.metric.${i}`);
  const results = await push(
    board.session,
    clientId,
    keys.map((metricKey, i) =>
      mutation(clientId, board.dashboardId, {
        name: 'widget.create',
        args: { widgetId: newWidgetId(), kind: 'metric', title: `Metric ${i}`, position: `m${String(i).padStart(3, '0')}`, metricKey },
      }),
    ),
  );
  const bad = results.find((r) => r.status !== 'applied');
  if (bad) throw new Error(`creating metric widgets failed: ${JSON.stringify(bad)}`);
  return keys;
}

function median(sides: CatchUpSide[]): CatchUpSide {
  const m = (pick: (s: CatchUpSide) => number) => summarize(sides.map(pick)).p50;
  return { bytes: m((s) => s.bytes), ms: m((s) => s.ms), changes: m((s) => s.changes), frames: m((s) => s.frames) };
}

/**
 * Where the server's database lives: tmpfs (/dev/shm) when there is one. Only the seeding writes (one
 * `synchronous = FULL` commit per point, about 2x slower on this machine's disk); what is measured is the
 * catch-up's reads, which both sides make from this same file.
 */
function databaseDir(): { dir: string; remove(): void } {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'fieldboard-catch-up-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function runCatchUp(opts: CatchUpOptions): Promise<CatchUpResult> {
  const empty = tempDir('catch-up-static'); // no PWA needed: the device here speaks the protocol itself
  const data = databaseDir();
  const databasePath = join(data.dir, 'fieldboard.db');
  const server = await startKitServer({
    staticDir: empty.dir,
    env: { LOG_LEVEL: 'warn', ...BENCH_LIMITS_ENV, FIELDBOARD_INGEST_TOKEN: INGEST_TOKEN, DATABASE_URL: `sqlite:${databasePath}` },
  });
  const relay = await startPeerProcess('bench/catch-up/replay-relay.ts', [databasePath], 'replay relay');
  try {
    const board = await prepareBoard(server.url, opts.widgets - opts.metricWidgets);
    const keys = await addMetricWidgets(board, opts.metricWidgets);
    board.widgets += opts.metricWidgets;
    // Each metric widget's series full (its last 60 points) before the device leaves, so that a widget's
    // size no longer depends on how many points it has had: what the checkpoints compare is the count.
    const warm = LIMITS.metricSeriesLength * opts.metricWidgets;
    await ingest(server.url, board.dashboardId, keys, -warm, 0);
    const device = await firstVisit(board);
    const checkpoints: CatchUpPoint[] = [];
    let ingested = 0;
    let ingestMs = 0;
    for (const points of opts.checkpoints) {
      process.stderr.write(`  catch-up: ingesting up to ${points.toLocaleString('en-US')} points\n`);
      const t0 = performance.now();
      await ingest(server.url, board.dashboardId, keys, ingested, points);
      ingestMs += performance.now() - t0;
      ingested = points;
      const fb: CatchUpSide[] = [];
      const replay: CatchUpSide[] = [];
      for (let r = 0; r < opts.reps; r++) {
        fb.push(await fieldboardCatchUp(board, device));
        replay.push(await replayCatchUp(relay.url, board.dashboardId, device));
      }
      checkpoints.push({ points, widgetsChanged: opts.metricWidgets, fieldboard: median(fb), replay: median(replay) });
    }
    return { checkpoints, ingestPerSec: (ingested * 1000) / ingestMs };
  } finally {
    relay.stop();
    await server.stop();
    empty.remove();
    data.remove();
  }
}
