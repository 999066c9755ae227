/**
 * Fakes and builders for the service worker's unit tests: a manual clock for the injected timers, a fake
 * socket and a fake server that speaks the wire protocol (socket frames and HTTP), and an engine harness
 * over a fresh fake-indexeddb database per test.
 *
 * Engine tests use the manual clock rather than vi.useFakeTimers: faking the global timers can hang
 * fake-indexeddb (docs/browser-facts.md "IndexedDB and storage"), and the engine takes its time and timers
 * from its env anyway.
 */
import 'fake-indexeddb/auto';
import { afterEach, expect, vi } from 'vitest';
import { PROTOCOL_VERSION, parse, type ClientFrame, type ClientId, type DashboardId, type Mutation, type MutationId, type MutationResult, type ServerFrame, type User, type UserId, type Widget, type WidgetId, type WidgetPatch } from '../../../protocol/index.ts';
import { OutboxCopy, SwBroadcastSchema, type ConnectionState, type OutboxEntry, type Reply, type ReplyCode, type SwBroadcast, type TabCommand } from '../../../contract/index.ts';

/** A reply as a test reads it: either variant's fields, to compare and cast freely. */
export type AnyReply = Reply & { data?: unknown; error?: string; code?: ReplyCode };
import type { SocketLike, TimerId } from '../../../sw/connection.ts';
import { DbHandle, newOutboxEntry } from '../../../contract/local-db/index.ts';
import { Engine, type EngineEnv } from '../../../sw/engine.ts';
import type { FetchLike } from '../../../sw/http.ts';
import { SwStore } from '../../../sw/store.ts';

export const ALICE: User = { id: 'u_alice' as UserId, name: 'Alice' };
export const BOB: User = { id: 'u_bob' as UserId, name: 'Bob' };
export const D1 = 'd_1' as DashboardId;
export const WA = 'w_a' as WidgetId;
export const WB = 'w_b' as WidgetId;
export const CLIENT = 'c_test' as ClientId;

let dbN = 0;
/** A database name no other test uses: every test starts from an empty IndexedDB. */
export const freshDbName = () => `fieldboard-test-${++dbN}-${Math.random().toString(36).slice(2)}`;

// ---- Builders --------------------------------------------------------------------------------------------

let mN = 0;
export const nextMutationId = () => `m_${String(++mN).padStart(8, '0')}` as MutationId;

interface Envelope {
  id?: MutationId;
  clientId?: ClientId;
  dashboardId?: DashboardId;
  baseVersion?: number;
  createdAt?: number;
}
const env = (e: Envelope) => ({
  id: e.id ?? nextMutationId(),
  clientId: e.clientId ?? CLIENT,
  dashboardId: e.dashboardId ?? D1,
  baseVersion: e.baseVersion ?? 1,
  createdAt: e.createdAt ?? 1_000,
});

export const mk = {
  set: (widgetId: WidgetId, patch: WidgetPatch, e: Envelope = {}): Mutation => ({ ...env(e), name: 'widget.set', args: { widgetId, patch } }),
  add: (widgetId: WidgetId, delta: number, e: Envelope = {}): Mutation => ({ ...env(e), name: 'counter.add', args: { widgetId, delta } }),
  move: (widgetId: WidgetId, position: string, e: Envelope = {}): Mutation => ({
    ...env(e),
    name: 'widget.move',
    args: { widgetId, position },
  }),
  del: (widgetId: WidgetId, e: Envelope = {}): Mutation => ({ ...env(e), name: 'widget.delete', args: { widgetId } }),
  createCounter: (widgetId: WidgetId, title = 'Pumps', e: Envelope = {}): Mutation => ({
    ...env({ baseVersion: 0, ...e }),
    name: 'widget.create',
    args: { widgetId, kind: 'counter', title, position: 'a0', value: 0 },
  }),
  itemSet: (widgetId: WidgetId, itemId: string, patch: { text?: string; done?: boolean }, e: Envelope = {}): Mutation =>
    ({ ...env(e), name: 'checklist.set', args: { widgetId, itemId, patch } }) as Mutation,
  itemAdd: (widgetId: WidgetId, itemId: string, text: string, e: Envelope = {}): Mutation =>
    ({ ...env(e), name: 'checklist.add', args: { widgetId, itemId, text } }) as Mutation,
};

export function counterWidget(id: WidgetId, version: number, value = 0, title = 'Pumps'): Widget {
  return { id, kind: 'counter', title, position: 'a0', version, updatedAt: 1, updatedBy: ALICE.id, value };
}
export function noteWidget(id: WidgetId, version: number, text = '', title = 'Notes'): Widget {
  return { id, kind: 'note', title, position: 'a1', version, updatedAt: 1, updatedBy: ALICE.id, text };
}

export function entry(mutation: Mutation, over: Partial<OutboxEntry> = {}): OutboxEntry {
  return { ...newOutboxEntry(mutation, ALICE.id, 1), ...over };
}

// ---- Manual clock ----------------------------------------------------------------------------------------

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** `now`, `setTimer` and `clearTimer` for injection; `advance` fires due timers in time order. */
export class ManualClock {
  now = 1_000_000;
  private timers: Timer[] = [];
  private n = 0;

  setTimer = (fn: () => void, ms: number): TimerId => {
    const t = { id: ++this.n, at: this.now + Math.max(0, ms), fn };
    this.timers.push(t);
    return t.id;
  };

  clearTimer = (id: TimerId): void => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };

  /** Pending timers, soonest first (delays relative to now). */
  pending(): number[] {
    return this.timers.map((t) => t.at - this.now).sort((a, b) => a - b);
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.now = end;
  }
}

// ---- Fake socket -----------------------------------------------------------------------------------------

/** A socket the test (or FakeServer) drives by hand: open, deliver frames, close. */
export class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly sent: ClientFrame[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  /** Called for every frame the client sends (FakeServer answers here). */
  onSend: ((frame: ClientFrame) => void) | null = null;

  send(data: string): void {
    if (this.closedWith) throw new Error('socket is closed');
    const frame = JSON.parse(data) as ClientFrame;
    this.sent.push(frame);
    this.onSend?.(frame);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
  }

  // Server side.
  open(): void {
    this.onopen?.({});
  }
  deliver(frame: ServerFrame | Record<string, unknown> | string): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
  serverClose(code = 1006, reason = ''): void {
    this.closedWith = { code, reason };
    this.onclose?.({ code, reason });
  }
  framesOf<T extends ClientFrame['type']>(type: T): Extract<ClientFrame, { type: T }>[] {
    return this.sent.filter((f): f is Extract<ClientFrame, { type: T }> => f.type === type);
  }
}

export const welcome = (user: User = ALICE, epoch = 'e1'): ServerFrame => ({
  type: 'welcome',
  protocol: PROTOCOL_VERSION,
  epoch,
  user,
  heartbeatMs: 25_000,
});

// ---- Fake server ------------------------------------------------------------------------------------------

export type Answer = MutationResult | 'omit';

/**
 * The server as the engine sees it: sockets that welcome and answer pushes, and `/api/push`, `/api/pull`,
 * `/api/me`. Records every push it received (answered or not), in order, with the transport.
 */
export class FakeServer {
  readonly received: { via: 'socket' | 'http'; mutation: Mutation }[] = [];
  readonly pushes: { via: 'socket' | 'http'; ids: MutationId[] }[] = [];
  readonly sockets: FakeSocket[] = [];
  /** How the server answers one mutation; default: applied. */
  answer: (m: Mutation) => Answer = () => ({ id: '', status: 'applied', seq: this.seq + 1, version: 2 });
  /** When true, socket pushes get no answer (the test answers or closes). */
  holdPushes = false;
  /** When false, openSocket throws (no socket at all: the engine must use HTTP). */
  socketsWork = true;
  /** Status for `/api/push` (200 answers with results). */
  pushStatus = 200;
  /**
   * When set, every push is refused as over a rate limit with this retry hint: the socket answers
   * `error rate-limited` with the push's requestId, HTTP answers 429 with Retry-After (whole seconds).
   */
  rateLimitMs: number | null = null;
  meStatus = 200;
  /** When false, a subscribe gets no answer (the test delivers the catch-up or reset frames itself). */
  answerSubscribe = true;
  user: User = ALICE;
  seq = 0;
  /** Queries of `/api/pull` and how it answers them (default: nothing new, at the head). */
  readonly pulls: URLSearchParams[] = [];
  pull: (q: URLSearchParams) => unknown = () => ({ epoch: 'e1', changes: [], seq: this.seq, more: false });

  openSocket = (): SocketLike => {
    if (!this.socketsWork) throw new Error('no network');
    const s = new FakeSocket();
    this.sockets.push(s);
    s.onSend = (f) => this.onFrame(s, f);
    queueMicrotask(() => s.open());
    return s;
  };

  get socket(): FakeSocket | undefined {
    return this.sockets.at(-1);
  }

  /** Records a push as received (whether or not it will be answered). */
  private record(via: 'socket' | 'http', mutations: Mutation[]): void {
    this.pushes.push({ via, ids: mutations.map((m) => m.id) });
    for (const m of mutations) this.received.push({ via, mutation: m });
  }

  /** The per-mutation answers to a push. */
  results(mutations: Mutation[]): MutationResult[] {
    const out: MutationResult[] = [];
    for (const m of mutations) {
      const a = this.answer(m);
      if (a === 'omit') continue;
      if (a.status === 'applied') this.seq = Math.max(this.seq, a.seq);
      out.push({ ...a, id: m.id });
    }
    return out;
  }

  private onFrame(s: FakeSocket, f: ClientFrame): void {
    queueMicrotask(() => {
      if (s.closedWith) return;
      switch (f.type) {
        case 'hello':
          s.deliver(welcome(this.user));
          return;
        case 'subscribe':
          if (this.answerSubscribe) s.deliver({ type: 'caught-up', dashboardId: f.dashboardId, seq: this.seq });
          return;
        case 'ping':
          s.deliver({ type: 'pong', t: f.t });
          return;
        case 'push':
          this.record('socket', f.mutations as Mutation[]);
          if (this.holdPushes) return;
          if (this.rateLimitMs !== null) {
            s.deliver({ type: 'error', code: 'rate-limited', message: 'slow down', requestId: f.requestId, retryAfterMs: this.rateLimitMs });
            return;
          }
          s.deliver({ type: 'push-result', requestId: f.requestId, results: this.results(f.mutations as Mutation[]) });
          return;
        case 'unsubscribe':
          return;
      }
    });
  }

  fetch: FetchLike = async (path, init) => {
    const url = new URL(path, 'http://fieldboard.test');
    if (url.pathname === '/api/me') {
      return Response.json(this.meStatus === 200 ? { user: this.user } : { error: { code: 'unauthorized', message: 'no' } }, {
        status: this.meStatus,
      });
    }
    if (url.pathname === '/api/push') {
      const body = JSON.parse(String(init?.body)) as { mutations: Mutation[] };
      this.record('http', body.mutations);
      if (this.rateLimitMs !== null) {
        const retryAfter = String(Math.ceil(this.rateLimitMs / 1000));
        return Response.json({ error: { code: 'rate-limited', message: 'slow down' } }, { status: 429, headers: { 'Retry-After': retryAfter } });
      }
      if (this.pushStatus !== 200) return new Response('unavailable', { status: this.pushStatus });
      return Response.json({ results: this.results(body.mutations) });
    }
    if (url.pathname === '/api/pull') {
      this.pulls.push(url.searchParams);
      return Response.json(this.pull(url.searchParams));
    }
    return new Response('not found', { status: 404 });
  };

  /** Ids of received mutations in the order the server got them. */
  receivedIds(): MutationId[] {
    return this.received.map((r) => r.mutation.id);
  }
}

// ---- Engine harness ---------------------------------------------------------------------------------------

export interface HarnessOptions {
  dbName?: string;
  server?: FakeServer;
  clock?: ManualClock;
  random?: () => number;
  online?: () => boolean;
  windowOpen?: boolean;
  maxBatch?: number;
}

export interface Harness {
  engine: Engine;
  store: SwStore;
  server: FakeServer;
  clock: ManualClock;
  dbName: string;
  broadcasts: SwBroadcast[];
  registerSync: ReturnType<typeof vi.fn>;
  /** Sends a command and answers its reply (undefined for commands without a requestId). */
  cmd(c: TabCommand): Promise<AnyReply | undefined>;
  clientId(): Promise<ClientId>;
  /** Adopts the identity (as a tab does after sign-in) and runs one drain; the socket opens asynchronously. */
  signIn(user?: User): Promise<void>;
  /** Queues a mutation made with this engine's client id and answers the reply. */
  mutate(build: (clientId: ClientId) => Mutation): Promise<AnyReply>;
  outbox(user?: User): Promise<OutboxEntry[]>;
  /** Waits until the connection is in state `kind`. */
  until(kind: ConnectionState['kind']): Promise<void>;
  close(): Promise<void>;
}

let instance = 0;
let requestN = 0;
export const rid = () => `q${++requestN}`;

export function makeEngine(o: HarnessOptions = {}): Harness {
  const dbName = o.dbName ?? freshDbName();
  const server = o.server ?? new FakeServer();
  const clock = o.clock ?? new ManualClock();
  const broadcasts: SwBroadcast[] = [];
  const store = new SwStore(new DbHandle(dbName));
  const registerSync = vi.fn(async () => {});
  const envv: EngineEnv = {
    store,
    channel: { postMessage: (m) => broadcasts.push(m as SwBroadcast) },
    fetch: server.fetch,
    openSocket: server.openSocket,
    now: () => clock.now,
    random: o.random ?? (() => 0.5),
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    isOnline: o.online ?? (() => true),
    hasWindowClient: async () => o.windowOpen ?? true,
    registerSync,
    ...(o.maxBatch ? { maxBatch: o.maxBatch } : {}),
  };
  const engine = new Engine(envv, `sw${++instance}`);
  const h: Harness = {
    engine,
    store,
    server,
    clock,
    dbName,
    broadcasts,
    registerSync,
    async cmd(c) {
      let reply: AnyReply | undefined;
      await engine.command(c, (r) => {
        if (reply) throw new Error('replied twice');
        reply = r;
      });
      return reply;
    },
    async clientId() {
      const r = await h.cmd({ type: 'get-state', requestId: rid() });
      return (r!.data as { clientId: ClientId }).clientId;
    },
    async signIn(user = ALICE) {
      const r = await h.cmd({ type: 'identity', requestId: rid(), user });
      if (!r?.ok) throw new Error(`identity refused: ${r?.error}`);
      await engine.drain();
    },
    async mutate(build) {
      const r = await h.cmd({ type: 'mutate', requestId: rid(), mutation: build(await h.clientId()) });
      return r!;
    },
    outbox: (user = ALICE) => store.outbox(user.id),
    until: async (kind) => void (await waitFor(() => expect(engine.connection.kind).toBe(kind))),
    close: () => store.handle.close(),
  };
  return h;
}

/** The outbox after each outbox broadcast (deltas folded as a tab does), as lists of [mutation id, state]. */
export function outboxBroadcasts(broadcasts: SwBroadcast[]): [MutationId, OutboxEntry['state']][][] {
  const copy = new OutboxCopy();
  return broadcasts
    .filter((b): b is Extract<SwBroadcast, { type: 'outbox' }> => b.type === 'outbox')
    .map((b) => {
      const applied = copy.apply(b);
      if (applied !== 'applied') throw new Error(`outbox broadcast ${b.seq} could not be placed: ${applied}`);
      return copy.entries.map((e): [MutationId, OutboxEntry['state']] => [e.mutation.id, e.state]);
    });
}

export const statuses = (broadcasts: SwBroadcast[]) =>
  broadcasts.filter((b): b is Extract<SwBroadcast, { type: 'status' }> => b.type === 'status').map((b) => b.connection.kind);

/**
 * The engines a test file makes, closed after each test. Whatever a test did, every broadcast a tab
 * received must have been valid and numbered without gaps.
 */
export function trackedEngines(): (o?: HarnessOptions) => Harness {
  const made: Harness[] = [];
  afterEach(async () => {
    for (const h of made.splice(0)) {
      h.broadcasts.forEach((b, i) => {
        const parsed = parse(SwBroadcastSchema, b);
        expect(parsed.ok, parsed.ok ? '' : parsed.message).toBe(true);
        expect(b.seq).toBe(i + 1);
      });
      // Every outbox delta follows the one before it, as a tab applies them (throws on a gap).
      outboxBroadcasts(h.broadcasts);
      await h.close();
    }
  });
  return (o = {}) => {
    const h = makeEngine(o);
    made.push(h);
    return h;
  };
}

/**
 * Polls `check` until it passes. The bound is generous because fake-indexeddb runs every request on a
 * real `setImmediate`: on a loaded 2-core machine a few transactions took over the old 1-2 s, and tests
 * failed that were right (a passing check returns at once, so the bound costs nothing when all is well).
 */
export function waitFor(check: () => unknown): Promise<unknown> {
  return vi.waitFor(check, { timeout: 10_000, interval: 5 });
}
