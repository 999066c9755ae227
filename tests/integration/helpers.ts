/**
 * Test kit for the integration suites: the real server (startServer, port 0, a temp SQLite file), real `ws`
 * clients and fetch. Everything waits for a condition with a timeout; nothing sleeps for a fixed time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import {
  newClientId,
  newMutationId,
  ServerFrameSchema,
  parse,
  type ClientId,
  type DashboardId,
  type FrameOf,
  type MutationInput,
  type ServerFrame,
  type User,
} from '../../protocol/index.ts';
import { startServer, type RunningServer } from '../../server/app.ts';
import { hashPassword } from '../../server/auth/password.ts';
import { DEFAULT_CONFIG, type ServerConfig } from '../../server/config.ts';

export const DEMO_PASSWORD = 'demo-test-password';

/** What a client needs to reach a server: its URL and the Origin it allows. A TestWorld is one. */
export interface Target {
  server: { url: string };
  origin: string;
}

export interface TestWorld {
  server: RunningServer;
  dir: string;
  dbFile: string;
  /** The allowed Origin of this server (http://127.0.0.1:PORT). */
  origin: string;
  /** Graceful close, then a new server on the same database file (a new port). */
  restart(): Promise<RunningServer>;
  cleanup(): Promise<void>;
}

/** Starts the real server on a random port with a fresh SQLite file in a temp directory. */
export async function startWorld(
  overrides: Partial<ServerConfig> = {},
  /** Runs on the new database before the server first starts (e.g. to create users as the CLI would). */
  prepare?: (databaseUrl: string) => Promise<void>,
): Promise<TestWorld> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fieldboard-it-'));
  const dbFile = path.join(dir, 'fieldboard.db');
  await prepare?.(`sqlite:${dbFile}`);
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    port: 0,
    databaseUrl: `sqlite:${dbFile}`,
    demoPassword: DEMO_PASSWORD,
    staticDir: path.join(dir, 'dist'),
    logLevel: 'silent',
    ...overrides,
  };
  const world: TestWorld = {
    server: await startServer(config),
    dir,
    dbFile,
    origin: '',
    async restart() {
      await world.server.close();
      world.server = await startServer(config);
      world.origin = `http://127.0.0.1:${world.server.port}`;
      return world.server;
    },
    async cleanup() {
      await world.server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  world.origin = `http://127.0.0.1:${world.server.port}`;
  return world;
}

/** Creates a user straight in the store (what the CLI does). */
export async function createUser(world: TestWorld, name: string, password = 'secret-pw'): Promise<User> {
  return world.server.store.createUser(name, await hashPassword(password));
}

/** Signs in over HTTP and returns the `Cookie` header value to send with later requests. */
export async function login(world: Target, username = 'demo', password = DEMO_PASSWORD): Promise<string> {
  const res = await fetch(`${world.server.url}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: world.origin },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 204) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  return setCookie.split(';')[0];
}

/** fetch with the session cookie and the allowed Origin; JSON bodies are serialized. */
export function api(world: Target, cookie: string, pathname: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  return fetch(`${world.server.url}${pathname}`, {
    method: init.method ?? 'GET',
    headers: {
      Cookie: cookie,
      Origin: world.origin,
      ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
}

export async function firstDashboard(world: Target, cookie: string): Promise<DashboardId> {
  const res = await api(world, cookie, '/api/dashboards');
  const body = (await res.json()) as { dashboards: { id: DashboardId }[] };
  return body.dashboards[0].id;
}

type Waiter = { match: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void };

/** A real `ws` client that keeps every frame it gets, validated by the protocol's schemas. */
export class TestSocket {
  /** Every frame received, in order (never consumed: for order assertions). */
  readonly log: ServerFrame[] = [];
  /** Frames not yet taken by `next`. */
  private inbox: ServerFrame[] = [];
  private waiters: Waiter[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(
    readonly ws: WebSocket,
    readonly clientId: ClientId,
  ) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    ws.on('message', (data) => {
      const parsed = parse(ServerFrameSchema, JSON.parse(data.toString()));
      if (!parsed.ok) throw new Error(`server sent an invalid frame: ${parsed.message}: ${data.toString().slice(0, 300)}`);
      const frame = parsed.value;
      this.log.push(frame);
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(frame);
      else this.inbox.push(frame);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame of this type (and matching `where`), waiting up to `timeoutMs`. */
  next<T extends ServerFrame['type']>(
    type: T,
    where: (f: FrameOf<ServerFrame, T>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<FrameOf<ServerFrame, T>> {
    const match = (f: ServerFrame) => f.type === type && where(f as FrameOf<ServerFrame, T>);
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as FrameOf<ServerFrame, T>);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { match, resolve: (f) => (clearTimeout(t), resolve(f as FrameOf<ServerFrame, T>)) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${type} frame within ${timeoutMs} ms; got ${JSON.stringify(this.log.map((f) => f.type))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Frames of a type still in the inbox (received, not taken). */
  pending<T extends ServerFrame['type']>(type: T): FrameOf<ServerFrame, T>[] {
    return this.inbox.filter((f) => f.type === type) as FrameOf<ServerFrame, T>[];
  }

  /** Round trip through the server: frames are answered in order, so every answer to earlier frames is in. */
  async barrier(): Promise<void> {
    const t = Math.random();
    this.send({ type: 'ping', t });
    await this.next('pong', (f) => f.t === t);
  }

  async hello(): Promise<FrameOf<ServerFrame, 'welcome'>> {
    this.send({ type: 'hello', protocol: 1, clientId: this.clientId });
    return this.next('welcome');
  }

  /** Subscribes and collects every change up to `caught-up` (or returns the reset). */
  async subscribe(dashboardId: DashboardId, cursor = 0, epoch: string | null = null) {
    this.send({ type: 'subscribe', dashboardId, cursor, epoch });
    const changes = [];
    for (;;) {
      const f = await this.nextOf(['changes', 'caught-up', 'reset'], (x) => 'dashboardId' in x && x.dashboardId === dashboardId);
      if (f.type === 'changes') changes.push(...f.changes);
      else if (f.type === 'caught-up') return { kind: 'caught-up' as const, seq: f.seq, changes };
      else if (f.type === 'reset') return { kind: 'reset' as const, reset: f, changes };
    }
  }

  /** Pushes and waits for the push-result of this request. */
  async push(mutations: unknown[], requestId = `r${Math.random()}`) {
    this.send({ type: 'push', requestId, mutations });
    return this.next('push-result', (f) => f.requestId === requestId);
  }

  nextOf(types: ServerFrame['type'][], where: (f: ServerFrame) => boolean = () => true, timeoutMs = 5000): Promise<ServerFrame> {
    const match = (f: ServerFrame) => types.includes(f.type) && where(f);
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { match, resolve: (f) => (clearTimeout(t), resolve(f)) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${types.join('/')} frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a socket with the session cookie and Origin (override either to test refusals). */
export async function openSocket(
  world: Target,
  cookie: string | null,
  opts: { origin?: string | null; clientId?: ClientId; autoPong?: boolean } = {},
): Promise<TestSocket> {
  const headers: Record<string, string> = {};
  const origin = opts.origin === undefined ? world.origin : opts.origin;
  if (origin !== null) headers.Origin = origin;
  if (cookie !== null) headers.Cookie = cookie;
  const ws = new WebSocket(`${world.server.url.replace('http', 'ws')}/api/ws`, { headers, autoPong: opts.autoPong ?? true });
  const sock = new TestSocket(ws, opts.clientId ?? newClientId());
  await sock.opened;
  return sock;
}

/** Status of a refused upgrade (401, 403, …). */
export function upgradeStatus(world: Target, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(`${world.server.url.replace('http', 'ws')}/api/ws`, { headers });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.close();
      reject(new Error('upgrade was accepted'));
    });
    ws.once('error', () => {});
  });
}

/** Builds a full mutation for a client and dashboard. */
export function mutation(
  clientId: ClientId,
  dashboardId: DashboardId,
  input: MutationInput,
  baseVersion = 0,
): Record<string, unknown> & { id: string } {
  return { id: newMutationId(), clientId, dashboardId, baseVersion, createdAt: Date.now(), ...input };
}

/** Waits until `check` returns true (polling with a short interval), failing after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
