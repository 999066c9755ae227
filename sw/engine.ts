/**
 * The sync engine: one per service worker instance (docs/service-worker.md, "Inside the engine"). This
 * file is its wiring and the tabs' command dispatch; the work lives in its parts, each one concept:
 *
 *   core.ts          what the parts share (env, broadcaster, connection, user, policy, `serially`)
 *   session.ts       who it syncs for: identity from a tab or the cookie, sign-out, a 401
 *   replica-sync.ts  subscriptions and the frames that move the replica; HTTP pulls
 *   drain.ts         the drain loop, one state union, with its backoff and retry timer
 *   transports.ts    a push over the socket (one in flight) or over HTTP
 *   settle.ts        a push's results and a person's conflict decisions, applied to the outbox
 *
 * Everything it knows is restored from IndexedDB at start, so a stopped and restarted SW carries on where
 * it was (nothing lives only in memory but the socket).
 */
import type { ServerFrame } from '../protocol/index.ts';
import {
  answered,
  refused,
  toReply,
  type Answer,
  type CommandOf,
  type ConnectionState,
  type Reply,
  type RequestType,
  type TabCommand,
  type TellType,
} from '../contract/index.ts';
import { CLOSE_CODES } from '../protocol/index.ts';
import { Broadcaster } from './broadcaster.ts';
import { Connection } from './connection.ts';
import { EngineCore, type EngineEnv } from './core.ts';
import { isQuotaError } from '../contract/local-db/index.ts';
import { Drain, type DrainState } from './drain.ts';
import { socketRefusal } from './http.ts';
import { ReplicaSync } from './replica-sync.ts';
import { Session } from './session.ts';
import { Settler } from './settle.ts';
import { SocketPush } from './transports.ts';
import { swTrace } from './trace.ts';

export type { EngineEnv } from './core.ts';

export class Engine {
  readonly broadcaster: Broadcaster;
  readonly ready: Promise<void>;
  private readonly core: EngineCore;
  private readonly session: Session;
  private readonly replica: ReplicaSync;
  private readonly socket: SocketPush;
  private readonly settler: Settler;
  private readonly drainer: Drain;

  constructor(env: EngineEnv, swInstance: string) {
    this.broadcaster = new Broadcaster(env.channel, swInstance);
    this.core = new EngineCore(env, this.broadcaster);
    this.session = new Session(this.core, () => void this.drain());
    this.replica = new ReplicaSync(this.core);
    this.socket = new SocketPush(this.core);
    this.settler = new Settler(this.core, this.replica);
    this.drainer = new Drain(this.core, { socket: this.socket, settler: this.settler, session: this.session });
    this.ready = this.restore();
  }

  private async restore(): Promise<void> {
    const c = this.core;
    const r = await c.env.store.restore();
    c.clientId = r.clientId;
    c.user = r.identity;
    c.policy = r.policy;
    c.watched = r.watched;
    c.conn = new Connection(
      {
        openSocket: () => c.env.openSocket(),
        now: () => c.env.now(),
        random: () => c.env.random(),
        setTimer: (fn, ms) => c.env.setTimer(fn, ms),
        clearTimer: (id) => c.env.clearTimer(id),
        isOnline: () => c.env.isOnline(),
        checkAuth: () => this.session.check(),
        onState: (s) => this.broadcaster.post({ type: 'status', connection: s, clientId: c.clientId }),
        onWelcome: (f) => this.replica.enqueue(() => this.onWelcome(f)),
        onFrame: (f) => (swTrace.received(f), this.replica.enqueue(() => this.onFrame(f))),
        onDown: (reason, closeCode) => this.onDown(reason, closeCode),
        onBadFrame: (m) => c.log('bad frame from server', m),
        probe: () => this.session.probe(),
        admission: () => socketRefusal(c.env.fetch),
      },
      { clientId: c.clientId, pingMs: c.env.pingMs },
    );
    if (!c.user) c.conn.signOut();
    // The whole outbox once, now: from here on outbox broadcasts are deltas that need no IndexedDB read, so
    // none sits between a mutation's commit and its broadcast (docs/service-worker.md, "Outbox broadcasts
    // are deltas").
    else await c.broadcastOutbox();
  }

  /** Called on every SW start: reconnect if a tab is open, drain what can be drained. */
  async wake(): Promise<void> {
    await this.ready;
    if (this.core.user && (await this.core.env.hasWindowClient())) this.core.conn.start();
    void this.drain();
  }

  get connection(): ConnectionState {
    return this.core.conn.current;
  }

  /** Where the drain loop is (drain.ts); read by tests and logs. */
  get drainState(): DrainState {
    return this.drainer.current;
  }

  // ---- Tab commands ----------------------------------------------------------------------------------------

  /** Handles one validated command; `reply` is called exactly once for commands with a `requestId`. */
  async command(cmd: TabCommand, reply: (r: Reply) => void): Promise<void> {
    await this.ready;
    if (!('requestId' in cmd)) {
      await (this.tells[cmd.type] as (c: TabCommand) => Promise<void>)(cmd).catch((e: unknown) =>
        this.core.log('command failed', { type: cmd.type, message: (e as Error).message || String(e) }),
      );
      return;
    }
    let outcome: Answer<RequestType>;
    try {
      outcome = await (this.requests[cmd.type] as (c: TabCommand) => Promise<Answer<RequestType>>)(cmd);
    } catch (e) {
      const message = (e as Error).message || String(e);
      this.core.log('command failed', { type: cmd.type, message });
      outcome = refused(isQuotaError(e) ? 'quota' : 'failed', message);
    }
    reply(toReply(cmd.requestId, outcome));
  }

  /** Commands without a reply. */
  private readonly tells: { [T in TellType]: (cmd: CommandOf<T>) => Promise<void> } = {
    keepalive: async () => {
      if (this.core.user) this.core.conn.start();
    },
    network: async (cmd) => {
      this.core.conn.setOnline(cmd.online);
      if (cmd.online) await this.retryNow();
    },
    visible: async () => {
      if (this.core.user) this.core.conn.start();
      void this.drain();
    },
    watch: (cmd) => this.replica.watch(cmd.dashboardIds),
    SKIP_WAITING: async () => {}, // handled by the SW entry (it owns `self`)
  };

  /** Commands with a reply, each answering the data its type names (contract/replies.ts). */
  private readonly requests: { [T in RequestType]: (cmd: CommandOf<T>) => Promise<Answer<T>> } = {
    identity: async (cmd) => {
      await this.session.adopt(cmd.user);
      return answered(this.stateData());
    },
    'get-state': async () => {
      // A page asks for the state when it starts: a tab is open, so the socket is wanted. The worker may have
      // started for that page's navigation, before the page was a window client (`wake` found none), and the
      // page's first keepalive can be lost while the worker starts.
      if (this.core.user) this.core.conn.start();
      return answered(this.stateData());
    },
    mutate: (cmd) => this.mutate(cmd),
    retry: async () => {
      await this.retryNow();
      return answered(undefined);
    },
    discard: async (cmd) => {
      const user = this.core.user;
      if (!user) return refused('not-signed-in', 'not signed in');
      const gone = await this.core.env.store.discard(user.id, cmd.mutationId);
      await this.core.broadcastOutbox();
      void this.drain(); // entries held behind it may go now
      return gone ? answered(undefined) : refused('no-such-entry', 'no such pending change');
    },
    resolve: async (cmd) => {
      const answer = await this.core.serially(() => this.settler.resolve(cmd));
      if (answer.ok) void this.drain();
      return answer;
    },
    'set-policy': async (cmd) => {
      await this.core.env.store.setPolicy(cmd.policy);
      this.core.policy = cmd.policy;
      return answered(undefined);
    },
    'sign-out': async (cmd) => answered({ pending: await this.session.signOut(cmd.discard) }),
  };

  private stateData() {
    const c = this.core;
    return { connection: c.conn.current, clientId: c.clientId, user: c.user, swInstance: this.broadcaster.swInstance, seq: this.broadcaster.seq };
  }

  private async mutate(cmd: CommandOf<'mutate'>): Promise<Answer<'mutate'>> {
    const c = this.core;
    const m = cmd.mutation;
    if (!c.user) return refused('not-signed-in', 'not signed in');
    if (m.clientId !== c.clientId) return refused('foreign-client', `mutation is from client ${m.clientId}, not ${c.clientId}`);
    const userId = c.user.id;
    const seen = cmd.base ?? null;
    // Nothing in flight and the socket open: an entry alone in the outbox is stored as `sending` and pushed
    // at once, one strict transaction before the wire instead of two (Drain.take).
    const done = await c.serially(() => c.env.store.append(userId, m, seen, cmd.from, c.env.now(), this.drainer.canTake()));
    if (done.kind === 'out-of-order') return refused('out-of-order', `out of order: mutation ${done.expected} of this tab has not arrived`);
    swTrace.durable(m.id);
    const taken = done.kind === 'queued' && done.taken;
    if (taken) void this.drainer.take(done.entry);
    // The broadcast that holds the entry (a delta: what changed since the last one, sw/outbox-changes.ts).
    const outboxSeq = await c.broadcastOutbox();
    if (!c.conn.isOpen) void c.env.registerSync().catch(() => {});
    if (!taken) void this.drain();
    return answered({ entry: done.entry, outboxSeq, swInstance: this.broadcaster.swInstance });
  }

  // ---- Connection events ------------------------------------------------------------------------------------

  private async onWelcome(f: Extract<ServerFrame, { type: 'welcome' }>): Promise<void> {
    const c = this.core;
    if (c.user && f.user.id !== c.user.id) await this.session.adoptQuietly(f.user);
    await this.replica.welcome(f.epoch);
    // The server is reachable again: what waits after a failed push goes now, not at its backoff time.
    await this.drainer.releaseWaiting();
    void this.drain();
  }

  private async onFrame(f: ServerFrame): Promise<void> {
    switch (f.type) {
      case 'changes':
      case 'caught-up':
      case 'reset':
        return this.replica.frame(f);
      case 'push-result':
        return this.socket.result(f);
      case 'error':
        if (this.socket.error(f)) {
          if (f.code === 'too-large') this.drainer.tooBig();
        } else {
          this.core.log('server error frame', f);
        }
        return;
      case 'notice':
      case 'pong':
      case 'welcome':
        return;
      default:
        return unreachable(f);
    }
  }

  private onDown(reason: string, closeCode: number | null): void {
    this.replica.down();
    if (closeCode === CLOSE_CODES.tooBig) this.drainer.tooBig();
    this.socket.down(reason);
  }

  // ---- Draining and background events ------------------------------------------------------------------------

  /** Sends what can be sent until nothing is left or sending fails. Concurrent calls join the running one. */
  drain(): Promise<void> {
    return this.drainer.run();
  }

  /** The browser is back online, a person pressed retry, or a sync event came: retry everything now. */
  retryNow(): Promise<void> {
    return this.drainer.retryNow();
  }

  /** Background Sync (`fieldboard-outbox`): throws if anything sendable is left (the browser retries). */
  async syncEvent(): Promise<void> {
    await this.ready;
    return this.drainer.syncEvent();
  }

  /** Periodic Background Sync (`fieldboard-refresh`): pull every watched dashboard over HTTP. */
  async refresh(): Promise<void> {
    await this.ready;
    if (!this.core.user) return;
    if (!(await this.replica.refresh())) return this.session.lost();
    await this.drain();
  }
}

function unreachable(x: never): never {
  throw new Error(`unhandled frame ${JSON.stringify(x)}`);
}
