/**
 * The sync engine: one per service worker instance. It owns the connection, drains the outbox (socket, or
 * HTTP when the socket is down or no tab is open), applies the server's changes to the replica, settles
 * push results and answers the tabs' commands. Everything it knows is restored from IndexedDB at start,
 * so a stopped and restarted SW carries on where it was (nothing lives only in memory but the socket).
 *
 * Invariants:
 * - One push in flight at a time, in outbox order (outbox.ts `selectBatch`): a client's mutations reach
 *   the server in order over either transport.
 * - Server frames are handled one after another (a promise chain): the changes the server sends before a
 *   `push-result` are committed to the replica before that result settles the outbox.
 * - Only the signed-in user's entries are drained or broadcast.
 * - Every broadcast describes something already committed to IndexedDB.
 */
import { CLOSE_CODES, newItemId, newMutationId, newWidgetId, type ClientId, type DashboardId, type Mutation, type MutationId, type MutationResult, type ServerFrame, type User, type UserId, type Widget } from '../protocol/index.ts';
import {
  answered,
  refused,
  toReply,
  type ActivityEntry,
  type Answer,
  type CommandOf,
  type ConflictPolicy,
  type ConnectionState,
  type OutboxEntry,
  type Reply,
  type RequestType,
  type TabCommand,
  type TellType,
} from '../contract/index.ts';
import { backoffDelay } from './backoff.ts';
import { Broadcaster, type ChannelLike } from './broadcaster.ts';
import { Connection, type SocketLike, type TimerId } from './connection.ts';
import { isQuotaError } from '../contract/local-db/index.ts';
import { pullOverHttp, pushOverHttp, socketRefusal, type FetchLike } from './http.ts';
import { MAX_BATCH, entriesOfWidget, planSettle, planTransientFailure, selectBatch, type ResolvePlan, type SettlePlan } from './outbox.ts';
import { planNoteMerge, planResolve } from './resolve.ts';
import { ResetStage } from './reset-stage.ts';
import type { Commit, ReplicaUpdate, SwStore } from './store.ts';

export interface EngineEnv {
  store: SwStore;
  channel: ChannelLike;
  fetch: FetchLike;
  openSocket(): SocketLike;
  now(): number;
  random(): number;
  setTimer(fn: () => void, ms: number): TimerId;
  clearTimer(id: TimerId): void;
  /** `navigator.onLine` of the SW. */
  isOnline(): boolean;
  /** Is any window of the app open (then the engine keeps a socket)? */
  hasWindowClient(): Promise<boolean>;
  /** Registers Background Sync for the outbox; may fail (no API, no window client): best effort. */
  registerSync(): Promise<void>;
  log?(message: string, extra?: unknown): void;
  pingMs?: number;
  /** How long a socket push may wait for its result before it counts as failed. */
  pushTimeoutMs?: number;
  /** Mutations per push at most (default `MAX_BATCH`); a push refused as too big halves it until a success. */
  maxBatch?: number;
}

/** A Background Sync event within this long of a failed push keeps that push's backoff. */
const SYNC_RETRY_AFTER_FAILURE_MS = 5_000;

/** `retryAfterMs`: refused for a rate limit; nothing is sent again before that long. */
type PushOutcome =
  | { ok: true; results: MutationResult[] }
  | { ok: false; unauthorized: boolean; error: string; retryAfterMs?: number };

export class Engine {
  readonly broadcaster: Broadcaster;
  readonly ready: Promise<void>;
  private conn!: Connection;
  private clientId!: ClientId;
  private user: User | null = null;
  private policy: ConflictPolicy = 'manual';
  private watched: DashboardId[] = [];
  private epoch: string | null = null;
  /** Subscriptions of the current socket: dashboard -> caught up? */
  private subs = new Map<DashboardId, boolean>();
  /** Pages of paged resets until their `caught-up` (sw/reset-stage.ts). */
  private readonly resets = new ResetStage();
  private frames: Promise<void> = Promise.resolve();
  private inflight: { requestId: string; done: (o: PushOutcome) => void } | null = null;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private pushFailures = 0;
  private readonly maxBatch: number;
  private batchLimit: number;
  private retryTimer: TimerId | null = null;
  private requestN = 0;
  /** Background Sync events running now, and when a push last failed (see `syncEvent`). */
  private syncEvents = 0;
  private lastPushFailureAt = -Infinity;
  /** The server asked (rate-limited) for no push before this time; retry and online do not override it. */
  private holdUntil = -Infinity;
  /** Outbox read-plan-write sequences that must not interleave (append, settle, resolve). */
  private outboxTurn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly env: EngineEnv,
    swInstance: string,
  ) {
    this.broadcaster = new Broadcaster(env.channel, swInstance);
    this.maxBatch = env.maxBatch ?? MAX_BATCH;
    this.batchLimit = this.maxBatch;
    this.ready = this.restore();
  }

  private log(message: string, extra?: unknown): void {
    this.env.log?.(message, extra);
  }

  private async restore(): Promise<void> {
    const r = await this.env.store.restore();
    this.clientId = r.clientId;
    this.user = r.identity;
    this.policy = r.policy;
    this.watched = r.watched;
    this.conn = new Connection(
      {
        openSocket: () => this.env.openSocket(),
        now: () => this.env.now(),
        random: () => this.env.random(),
        setTimer: (fn, ms) => this.env.setTimer(fn, ms),
        clearTimer: (id) => this.env.clearTimer(id),
        isOnline: () => this.env.isOnline(),
        checkAuth: () => this.checkAuth(),
        onState: (s) => this.onState(s),
        onWelcome: (f) => this.enqueueFrame(() => this.onWelcome(f)),
        onFrame: (f) => this.enqueueFrame(() => this.onFrame(f)),
        onDown: (reason, closeCode) => this.onDown(reason, closeCode),
        onBadFrame: (m) => this.log('bad frame from server', m),
        probe: () => this.probe(),
        admission: () => socketRefusal(this.env.fetch),
      },
      { clientId: this.clientId, pingMs: this.env.pingMs },
    );
    if (!this.user) this.conn.signOut();
  }

  /** Called on every SW start: reconnect if a tab is open, drain what can be drained. */
  async wake(): Promise<void> {
    await this.ready;
    if (this.user && (await this.env.hasWindowClient())) this.conn.start();
    void this.drain();
  }

  get connection(): ConnectionState {
    return this.conn.current;
  }

  // ---- Tab commands ----------------------------------------------------------------------------------------

  /** Handles one validated command; `reply` is called exactly once for commands with a `requestId`. */
  async command(cmd: TabCommand, reply: (r: Reply) => void): Promise<void> {
    await this.ready;
    if (!('requestId' in cmd)) {
      await (this.tells[cmd.type] as (c: TabCommand) => Promise<void>)(cmd).catch((e: unknown) =>
        this.log('command failed', { type: cmd.type, message: (e as Error).message || String(e) }),
      );
      return;
    }
    let outcome: Answer<RequestType>;
    try {
      outcome = await (this.requests[cmd.type] as (c: TabCommand) => Promise<Answer<RequestType>>)(cmd);
    } catch (e) {
      const message = (e as Error).message || String(e);
      this.log('command failed', { type: cmd.type, message });
      outcome = refused(isQuotaError(e) ? 'quota' : 'failed', message);
    }
    reply(toReply(cmd.requestId, outcome));
  }

  /** Commands without a reply. */
  private readonly tells: { [T in TellType]: (cmd: CommandOf<T>) => Promise<void> } = {
    keepalive: async () => {
      if (this.user) this.conn.start();
    },
    network: async (cmd) => {
      this.conn.setOnline(cmd.online);
      if (cmd.online) await this.retryNow();
    },
    visible: async () => {
      if (this.user) this.conn.start();
      void this.drain();
    },
    watch: async (cmd) => {
      if (!this.user) return;
      const fresh = cmd.dashboardIds.filter((d) => !this.watched.includes(d));
      this.watched = await this.env.store.addWatched(cmd.dashboardIds);
      if (fresh.length && this.conn.isOpen) await this.subscribe(fresh);
    },
    SKIP_WAITING: async () => {}, // handled by the SW entry (it owns `self`)
  };

  /** Commands with a reply, each answering the data its type names (contract/replies.ts). */
  private readonly requests: { [T in RequestType]: (cmd: CommandOf<T>) => Promise<Answer<T>> } = {
    identity: async (cmd) => {
      await this.adopt(cmd.user);
      return answered(this.stateData());
    },
    'get-state': async () => answered(this.stateData()),
    mutate: (cmd) => this.mutate(cmd),
    retry: async () => {
      await this.retryNow();
      return answered(undefined);
    },
    discard: async (cmd) => {
      if (!this.user) return refused('not-signed-in', 'not signed in');
      const gone = await this.env.store.discard(this.user.id, cmd.mutationId);
      await this.broadcastOutbox();
      void this.drain(); // entries held behind it may go now
      return gone ? answered(undefined) : refused('no-such-entry', 'no such pending change');
    },
    resolve: (cmd) => this.serially(() => this.resolve(cmd)),
    'set-policy': async (cmd) => {
      await this.env.store.setPolicy(cmd.policy);
      this.policy = cmd.policy;
      return answered(undefined);
    },
    'sign-out': async (cmd) => {
      if (!this.user) return answered({ pending: 0 });
      const pending = await this.env.store.signOut(this.user.id, cmd.discard);
      this.user = null;
      this.conn.signOut();
      this.broadcaster.post({ type: 'identity', user: null });
      this.broadcaster.post({ type: 'outbox', entries: [] });
      return answered({ pending });
    },
  };

  private stateData() {
    return {
      connection: this.conn.current,
      clientId: this.clientId,
      user: this.user,
      swInstance: this.broadcaster.swInstance,
      seq: this.broadcaster.seq,
    };
  }

  private async adopt(user: User | null): Promise<void> {
    const changed = user?.id !== this.user?.id;
    await this.env.store.setIdentity(user);
    if (changed && user) this.watched = [];
    this.user = user;
    this.broadcaster.post({ type: 'identity', user });
    if (!user) {
      this.conn.signOut();
      return;
    }
    // A new session cookie: a socket opened with the old one belongs to the old session.
    if (changed || this.conn.current.kind === 'signed-out') this.conn.stop();
    this.conn.start();
    await this.broadcastOutbox();
    void this.drain();
  }

  private async mutate(cmd: CommandOf<'mutate'>): Promise<Answer<'mutate'>> {
    const m = cmd.mutation;
    if (!this.user) return refused('not-signed-in', 'not signed in');
    if (m.clientId !== this.clientId) return refused('foreign-client', `mutation is from client ${m.clientId}, not ${this.clientId}`);
    const userId = this.user.id;
    const seen = cmd.base ?? null;
    const done = await this.serially(() =>
      cmd.from ? this.env.store.append(userId, m, seen, cmd.from, this.env.now()) : this.env.store.append(userId, m, seen),
    );
    if (done.kind === 'out-of-order') return refused('out-of-order', `out of order: mutation ${done.expected} of this tab has not arrived`);
    const outboxSeq = this.broadcaster.post({ type: 'outbox', entries: done.outbox });
    if (!this.conn.isOpen) void this.env.registerSync().catch(() => {});
    void this.drain();
    return answered({ entry: done.entry, outboxSeq, swInstance: this.broadcaster.swInstance });
  }

  private async resolve(cmd: CommandOf<'resolve'>): Promise<Answer<'resolve'>> {
    if (!this.user) return refused('not-signed-in', 'not signed in');
    const entries = entriesOfWidget(await this.env.store.outbox(this.user.id), cmd.dashboardId, cmd.widgetId);
    const seen = cmd.resolution.keep === 'mine' ? cmd.resolution.seenVersion : undefined;
    const server = await this.latestServer(entries, cmd.dashboardId, cmd.widgetId, seen);
    const plan = planResolve(entries, cmd.resolution, server, this.ids());
    if ('error' in plan) return refused('cannot-resolve', plan.error);
    const title = entries[0]?.base?.title ?? server?.title ?? 'a widget';
    const what = { theirs: 'kept the other change', mine: 'sent your change again', restore: 'restored it as a new widget' }[
      cmd.resolution.keep
    ];
    const activity: ActivityEntry = {
      at: this.env.now(),
      dashboardId: cmd.dashboardId,
      widgetId: cmd.widgetId,
      kind: 'resolved',
      message: `Conflict on "${title}": ${what}`,
    };
    await this.env.store.commit({ remove: plan.remove, put: plan.put, activity: [{ userId: this.user.id, entry: activity }] });
    await this.broadcastOutbox();
    this.broadcaster.post({ type: 'activity', entry: activity });
    void this.drain();
    return answered(undefined);
  }

  /**
   * The server state a resolution goes on: the one the person saw (`seenVersion`) when it is still known,
   * else the newest known (the parked conflict's snapshot or the replica).
   */
  private async latestServer(
    entries: OutboxEntry[],
    dashboardId: DashboardId,
    widgetId: Widget['id'],
    seenVersion?: number,
  ): Promise<Widget | null> {
    const parked = entries.filter((e) => e.conflict).at(-1)?.conflict;
    const replica = await this.env.store.replicaWidget(dashboardId, widgetId);
    if (parked?.server === null) return null;
    const candidates = [parked?.server, replica].filter((w): w is Widget => !!w);
    return candidates.find((w) => w.version === seenVersion) ?? candidates.sort((a, b) => b.version - a.version)[0] ?? null;
  }

  private ids() {
    return { now: this.env.now(), clientId: this.clientId, newMutationId: () => newMutationId(this.env.now()), newWidgetId, newItemId };
  }

  // ---- Connection events ------------------------------------------------------------------------------------

  private onState(s: ConnectionState): void {
    this.broadcaster.post({ type: 'status', connection: s, clientId: this.clientId });
  }

  /** Runs `fn` after every outbox sequence started before it, and before any started after it. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.outboxTurn.then(fn, fn);
    this.outboxTurn = run.catch(() => {});
    return run;
  }

  /** Is the server up? `/api/health` answers without a session and touches nothing. */
  private async probe(): Promise<boolean> {
    try {
      return (await this.env.fetch('/api/health', { credentials: 'same-origin' })).ok;
    } catch {
      return false;
    }
  }

  private async checkAuth(): Promise<'ok' | 'unauthorized' | 'unknown'> {
    try {
      const r = await this.env.fetch('/api/me', { credentials: 'same-origin' });
      if (r.status === 401) {
        await this.sessionLost();
        return 'unauthorized';
      }
      return r.ok ? 'ok' : 'unknown';
    } catch {
      return 'unknown';
    }
  }

  /** A 401: sync pauses and the person is asked to sign in again; every queued mutation stays. */
  private async sessionLost(): Promise<void> {
    if (!this.user) return;
    this.log('session expired; keeping the outbox');
    this.user = null;
    await this.env.store.setIdentity(null);
    this.conn.signOut();
    this.broadcaster.post({ type: 'identity', user: null });
  }

  private enqueueFrame(fn: () => Promise<void>): void {
    this.frames = this.frames.then(fn).catch((e) => this.log('frame handling failed', String(e)));
  }

  private async onWelcome(f: Extract<ServerFrame, { type: 'welcome' }>): Promise<void> {
    this.epoch = f.epoch;
    if (this.user && f.user.id !== this.user.id) await this.adoptQuietly(f.user);
    this.subs.clear();
    this.resets.clear();
    await this.subscribe(this.watched);
    this.updateCaughtUp();
    // The server is reachable again: what waits after a failed push goes now, not at its backoff time.
    await this.releaseWaiting();
    void this.drain();
  }

  /** The session cookie says another user than the cached identity: the cookie is the truth. */
  private async adoptQuietly(user: User): Promise<void> {
    await this.env.store.setIdentity(user);
    this.user = user;
    this.watched = [];
    this.broadcaster.post({ type: 'identity', user });
    await this.broadcastOutbox();
  }

  private async subscribe(ids: DashboardId[]): Promise<void> {
    const cursors = await this.env.store.cursors(ids);
    for (const d of ids) {
      const c = cursors.get(d);
      if (this.conn.send({ type: 'subscribe', dashboardId: d, cursor: c?.cursor ?? 0, epoch: c?.epoch ?? null })) {
        this.resets.clear(d);
        this.subs.set(d, false);
      }
    }
    this.updateCaughtUp();
  }

  private updateCaughtUp(): void {
    this.conn.setCaughtUp([...this.subs.values()].every(Boolean));
  }

  private async onFrame(f: ServerFrame): Promise<void> {
    switch (f.type) {
      case 'changes': {
        const update: ReplicaUpdate = { dashboardId: f.dashboardId, kind: 'changes', changes: f.changes, seq: null, epoch: this.epoch };
        if (!this.resets.add(update)) await this.commitReplica([update]);
        return;
      }
      case 'caught-up': {
        const last: ReplicaUpdate = { dashboardId: f.dashboardId, kind: 'changes', changes: [], seq: f.seq, epoch: this.epoch };
        // The last page of a paged reset commits the whole reset, in one transaction.
        await this.commitReplica(this.resets.finish(last) ?? [last]);
        this.subs.set(f.dashboardId, true);
        this.updateCaughtUp();
        return;
      }
      case 'reset': {
        this.epoch = f.epoch;
        const update = { dashboardId: f.dashboardId, kind: 'reset' as const, epoch: f.epoch, seq: f.seq, widgets: f.widgets };
        if (f.more) return this.resets.begin(update);
        this.resets.clear(f.dashboardId);
        await this.commitReplica([update]);
        this.subs.set(f.dashboardId, true);
        this.updateCaughtUp();
        return;
      }
      case 'push-result':
        if (this.inflight?.requestId === f.requestId) this.inflight.done({ ok: true, results: f.results });
        return;
      case 'error':
        // A `rate-limited` without a requestId means frames were dropped unread: the push in flight may be
        // one of them, so it fails (as transient) rather than waiting for a result that may never come.
        if ((f.requestId && this.inflight?.requestId === f.requestId) || (f.code === 'rate-limited' && !f.requestId && this.inflight)) {
          if (f.code === 'too-large') this.batchLimit = Math.max(1, Math.floor(this.batchLimit / 2));
          const hint = f.code === 'rate-limited' ? { retryAfterMs: f.retryAfterMs ?? 1000 } : {};
          this.inflight!.done({ ok: false, unauthorized: false, error: `${f.code}: ${f.message}`, ...hint });
        } else {
          this.log('server error frame', f);
        }
        return;
      case 'notice':
      case 'pong':
      case 'welcome':
        return;
    }
  }

  private onDown(reason: string, closeCode: number | null): void {
    this.subs.clear();
    this.resets.clear();
    if (closeCode === CLOSE_CODES.tooBig) this.batchLimit = Math.max(1, Math.floor(this.batchLimit / 2));
    this.inflight?.done({ ok: false, unauthorized: false, error: reason });
  }

  /**
   * Commits replica updates. A change that carries one of this client's mutation ids proves that mutation
   * applied, so its outbox entry goes in the same transaction: otherwise the view would replay it on top of
   * the replica that already holds it (a counter showing +2, then +1, until the push result or, after a
   * dropped socket, the re-push settles it). `settle`: a push's outcome for the outbox, committed in the
   * same transaction; the outbox is then broadcast in any case.
   */
  private async commitReplica(updates: ReplicaUpdate[], settle?: Commit): Promise<void> {
    const applied = ownMutationIds(updates, this.clientId);
    await this.env.store.commit({ ...settle, replica: updates, remove: [...(settle?.remove ?? []), ...applied] });
    this.announceReplica(updates);
    if (applied.length || settle) await this.broadcastOutbox();
  }

  private announceReplica(updates: ReplicaUpdate[]): void {
    for (const u of updates) {
      if (u.kind === 'reset') {
        this.broadcaster.post({ type: 'replica', dashboardId: u.dashboardId, changes: [], reset: true, cursor: u.seq });
      } else if (u.changes.length || u.seq !== null) {
        const cursor = Math.max(u.seq ?? 0, ...u.changes.map((c) => c.seq));
        this.broadcaster.post({ type: 'replica', dashboardId: u.dashboardId, changes: u.changes, reset: false, cursor });
      }
    }
  }

  // ---- Draining the outbox ----------------------------------------------------------------------------------

  /** The browser is back online, a person pressed retry, or a sync event came: retry everything now. */
  async retryNow(): Promise<void> {
    await this.releaseWaiting();
    if (this.user && (this.conn.current.kind === 'backoff' || this.conn.current.kind === 'offline')) this.conn.setOnline(true);
    await this.drain();
  }

  /** Entries waiting out a push backoff become due now, and the next failure starts the backoff afresh. */
  private async releaseWaiting(): Promise<void> {
    this.pushFailures = 0;
    this.batchLimit = this.maxBatch;
    if (!this.user) return;
    // A rate limit's hint is the server's word, not a guess: coming back online does not shorten it.
    const floor = this.holdUntil > this.env.now() ? this.holdUntil : 0;
    const entries = await this.env.store.outbox(this.user.id);
    const due = entries.filter((e) => e.state === 'failed' && e.nextAttemptAt > Math.max(floor, this.env.now()));
    if (due.length) await this.env.store.setState(due.map((e) => ({ ...e, nextAttemptAt: floor })));
  }

  /** Sends what can be sent until nothing is left or sending fails. Concurrent calls join the running one. */
  drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.drainAgain = false;
          await this.drainOnce();
        } while (this.drainAgain);
      } catch (e) {
        this.log('drain failed', String(e));
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  /** Which way a push can go now, or null to wait (connecting: the welcome drains; offline). */
  private transport(): 'socket' | 'http' | null {
    if (this.conn.isOpen) return 'socket';
    const s = this.conn.current.kind;
    if (s === 'offline' || s === 'signed-out' || !this.env.isOnline()) return null;
    if (s === 'connecting') return null;
    return 'http'; // backoff (the socket fails, HTTP may not) or idle (no tab: Background Sync, SW start)
  }

  private async drainOnce(): Promise<void> {
    const user = this.user;
    if (!user) return;
    const via = this.transport();
    if (!via) return;
    const entries = await this.env.store.outbox(user.id);
    const { batch, nextDueAt } = selectBatch(entries, this.env.now(), this.batchLimit);
    this.scheduleRetry(nextDueAt);
    if (batch.length === 0) return;
    await this.env.store.setState(batch.map((e) => ({ ...e, state: 'sending' })));
    await this.broadcastOutbox();
    const outcome = via === 'socket' ? await this.pushSocket(batch) : await this.pushHttp(batch);
    if (this.user?.id !== user.id) {
      // Signed out (or another user) while the push was out: leave the entries for their owner, counted as
      // sent (they may be applied already, so they must not coalesce).
      await this.env.store.setState(batch.map((e) => ({ ...e, state: 'queued', attempts: e.attempts + 1 })));
      return;
    }
    if (outcome.ok) {
      this.pushFailures = 0;
      this.batchLimit = this.maxBatch;
      await this.settle(user.id, batch, outcome.results);
      this.drainAgain = true;
      return;
    }
    if (outcome.unauthorized) {
      await this.env.store.setState(batch.map((e) => ({ ...e, state: 'queued' })));
      await this.sessionLost();
      return;
    }
    this.pushFailures += 1;
    this.lastPushFailureAt = this.env.now();
    const hint = outcome.retryAfterMs ?? 0;
    if (hint > 0) this.holdUntil = this.env.now() + hint;
    const delay = Math.max(hint, backoffDelay(this.pushFailures, () => this.env.random()));
    await this.env.store.setState(planTransientFailure(batch, this.env.now(), delay, outcome.error));
    await this.broadcastOutbox();
    this.scheduleRetry(this.env.now() + delay);
    // Not from inside a sync event: a tag registered while its event runs fires again at once; the event
    // throws instead, and the browser retries it with its own backoff.
    if (this.syncEvents === 0) void this.env.registerSync().catch(() => {});
  }

  private pushSocket(batch: OutboxEntry[]): Promise<PushOutcome> {
    const requestId = `r${this.broadcaster.swInstance}-${++this.requestN}`;
    return new Promise<PushOutcome>((resolve) => {
      const timer = this.env.setTimer(() => finish({ ok: false, unauthorized: false, error: 'no push result in time' }), this.env.pushTimeoutMs ?? 30_000);
      const finish = (o: PushOutcome) => {
        if (this.inflight?.requestId === requestId) this.inflight = null;
        this.env.clearTimer(timer);
        resolve(o);
      };
      this.inflight = { requestId, done: finish };
      if (!this.conn.send({ type: 'push', requestId, mutations: batch.map((e) => e.mutation) })) {
        finish({ ok: false, unauthorized: false, error: 'socket closed before the push' });
      }
    });
  }

  private async pushHttp(batch: OutboxEntry[]): Promise<PushOutcome> {
    const r = await pushOverHttp(this.env.fetch, this.clientId, batch.map((e) => e.mutation));
    return r.ok ? { ok: true, results: r.value } : r;
  }

  /**
   * Applies a push's results in one transaction, after making sure the replica holds the changes of the
   * applied mutations (pulling over HTTP any dashboard whose replica is behind), so they leave the outbox
   * without a flicker.
   */
  private async settle(userId: UserId, batch: OutboxEntry[], results: MutationResult[]): Promise<void> {
    const needed = new Map<DashboardId, number>();
    const batchIds = new Set(batch.map((e) => e.mutation.id));
    for (const r of results) {
      if (r.status !== 'applied') continue;
      const e = batch.find((b) => b.mutation.id === r.id);
      if (e) needed.set(e.mutation.dashboardId, Math.max(needed.get(e.mutation.dashboardId) ?? 0, r.seq));
    }
    const cursors = await this.env.store.cursors([...needed.keys()]);
    const pulls: ReplicaUpdate[] = [];
    for (const [d, seq] of needed) {
      const c = cursors.get(d);
      if (!c || c.cursor >= seq) continue; // no replica of it here, or it already has the change
      const pulled = await pullOverHttp(this.env.fetch, d, c);
      if (pulled.ok) pulls.push(...pulled.value);
    }
    // Planned on the outbox as it is now, not as it was when the batch left: a merge replaces the text
    // edits typed while the push was out, so none of them can follow it and undo it. `serially` keeps
    // appends out until this commit is in.
    await this.serially(async () => {
      const entries = await this.env.store.outbox(userId);
      const conflicted = new Set(results.filter((r) => r.status === 'conflict').map((r) => r.id));
      const plan = planSettle(batch, results, {
        now: this.env.now(),
        policy: this.policy,
        resolveLocal: (parked, server) => this.resolveLocal(entries, parked, server),
        merge: (parked, fields, server) => {
          const later = entriesOfWidget(entries, parked.mutation.dashboardId, parked.mutation.args.widgetId).filter(
            (e) => e.order > parked.order && (e.state !== 'sending' || conflicted.has(e.mutation.id)),
          );
          return planNoteMerge(parked, later, fields, server, this.ids());
        },
      });
      await this.commitSettle(userId, batchIds, pulls, plan);
    });
  }

  private async commitSettle(userId: UserId, batchIds: Set<MutationId>, pulls: ReplicaUpdate[], plan: SettlePlan): Promise<void> {
    await this.commitReplica(pulls, {
      remove: plan.remove,
      update: plan.put.filter((e) => batchIds.has(e.mutation.id)),
      put: plan.put.filter((e) => !batchIds.has(e.mutation.id)),
      activity: plan.activity.map((entry) => ({ userId, entry })),
    });
    for (const entry of plan.activity) this.broadcaster.post({ type: 'activity', entry });
  }

  private resolveLocal(entries: OutboxEntry[], parked: OutboxEntry, server: Widget | null): ResolvePlan {
    const others = entriesOfWidget(entries, parked.mutation.dashboardId, parked.mutation.args.widgetId).map((e) =>
      e.mutation.id === parked.mutation.id ? parked : e.state === 'conflict' ? { ...e, state: 'queued' as const } : e,
    );
    const plan = planResolve(others, server ? { keep: 'mine' } : { keep: 'restore' }, server, this.ids());
    return 'error' in plan ? { remove: [], put: [parked] } : plan;
  }

  private scheduleRetry(at: number | null): void {
    if (this.retryTimer !== null) this.env.clearTimer(this.retryTimer);
    this.retryTimer = null;
    if (at === null) return;
    this.retryTimer = this.env.setTimer(() => {
      this.retryTimer = null;
      void this.drain();
    }, Math.max(0, at - this.env.now()));
  }

  async broadcastOutbox(): Promise<number> {
    const entries = this.user ? await this.env.store.outbox(this.user.id) : [];
    return this.broadcaster.post({ type: 'outbox', entries });
  }

  // ---- Background events ------------------------------------------------------------------------------------

  /**
   * Background Sync (`fieldboard-outbox`): drain over whatever works, then throw if anything sendable is
   * left so the browser schedules another attempt.
   */
  async syncEvent(): Promise<void> {
    await this.ready;
    if (!this.user) return;
    this.syncEvents += 1;
    try {
      // The browser fires this when it is online again: what waits out a push backoff may go now, unless a
      // push failed moments ago (the server answers, but refuses: a fresh failure keeps its backoff, or a
      // sync fired right after each failure would retry a refusing server several times a second).
      if (this.env.now() - this.lastPushFailureAt >= SYNC_RETRY_AFTER_FAILURE_MS) await this.retryNow();
      else await this.drain();
    } finally {
      this.syncEvents -= 1;
    }
    const left = (await this.env.store.outbox(this.user.id)).filter((e) => e.state !== 'conflict');
    if (left.length && this.user) throw new Error(`${left.length} mutations not yet synced`);
  }

  /** Periodic Background Sync (`fieldboard-refresh`): pull every watched dashboard over HTTP. */
  async refresh(): Promise<void> {
    await this.ready;
    if (!this.user) return;
    const cursors = await this.env.store.cursors(this.watched);
    for (const d of this.watched) {
      const c = cursors.get(d) ?? { cursor: 0, epoch: null };
      const pulled = await pullOverHttp(this.env.fetch, d, c);
      if (pulled.ok) await this.commitReplica(pulled.value);
      else if (pulled.unauthorized) return this.sessionLost();
    }
    await this.drain();
  }
}

/** Mutation ids of `clientId` that the changes of `updates` carry. */
export function ownMutationIds(updates: ReplicaUpdate[], clientId: ClientId): MutationId[] {
  const ids: MutationId[] = [];
  for (const u of updates) {
    if (u.kind !== 'changes') continue;
    for (const c of u.changes) if (c.mutationId && c.clientId === clientId) ids.push(c.mutationId);
  }
  return ids;
}
