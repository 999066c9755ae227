/**
 * One device: a browser profile with its own IndexedDB database (fake-indexeddb), client id, network link
 * and service worker, running the real `Engine` (sw/engine.ts) with its real connection, outbox and store.
 *
 * Stopping the worker drops the Engine instance (its timers, sockets and answers are dead from then on,
 * net.ts) and closes its database connection; the next event the browser would deliver (a tab's message,
 * a restart timer) builds a new Engine on the same database, which restores itself from it.
 *
 * Commands are fired, not awaited: the engine may wait on the network (a `retry` drains over HTTP), which
 * only moves when the world runs; the world settles after each step, and the reply is kept.
 */
import type { ClientId, DashboardId, User, Widget, WidgetId } from '../../protocol/index.ts';
import type { ActivityEntry, OutboxEntry, Reply, TabCommand } from '../../contract/index.ts';
import { DbHandle, openFieldboardDb } from '../../contract/local-db/index.ts';
import { Engine, type EngineEnv } from '../../sw/engine.ts';
import { SwStore } from '../../sw/store.ts';
import type { Rng } from './determinism.ts';
import type { Ledger } from './ledger.ts';
import type { Instance, Link, Net } from './net.ts';
import type { World } from './world.ts';
import { MutationLine } from '../../src/sync/mutation-line.ts';
import { answerOf } from '../../contract/index.ts';

export class Device {
  readonly clientId: ClientId;
  readonly dbName: string;
  readonly link: Link;
  engine: Engine | null = null;
  store: SwStore | null = null;
  private inst: Instance = { dead: true, name: '' };
  private instances = 0;
  private requests = 0;
  readonly logs: string[] = [];
  /** A window of the app is open (then the engine keeps a socket, and the person can act). */
  tabOpen = true;
  private tabs = 0;
  /** The open tab's mutation line (src/sync/mutation-line.ts): a mutate a stopped worker never answered goes again. */
  line: MutationLine;
  /** Background Sync registered and not yet fired. */
  private syncWanted = false;
  private syncTries = 0;

  constructor(
    readonly name: string,
    readonly user: User,
    token: string,
    private readonly world: World,
    private readonly net: Net,
    private readonly rng: Rng,
    private readonly ledger: Ledger,
    runId: number,
    /** Chromium has Background Sync; Firefox and Safari have no `SyncManager` (registerSync fails). */
    readonly backgroundSync: boolean,
  ) {
    this.clientId = `c_${name}` as ClientId;
    this.dbName = `sim-${runId}-${name}`;
    this.link = { online: true, socketsBroken: false, token, sockets: new Set() };
    this.line = this.newLine();
  }

  /** The tab closes: nothing it waited for is posted again. */
  closeLine(): void {
    this.line.close();
    this.ledger.tabClosed(this.name);
  }

  /** A tab opens: a line of its own, numbered from 1 under a new tab id. */
  newLine(): MutationLine {
    const tab = `tab-${this.name}-${++this.tabs}`;
    return new MutationLine(
      {
        ask: (cmd) => new Promise((resolve) => this.command((requestId) => ({ ...cmd, requestId }), (r) => resolve(answerOf('mutate', r)))),
        after: (ms, fn) => {
          const id = this.world.after(ms, `${tab} posts its waiting mutations again`, fn);
          return () => this.world.cancel(id);
        },
      },
      tab,
    );
  }

  get running(): boolean {
    return this.engine !== null;
  }

  /** Writes the client id before the first start (the engine would make a random one). */
  async install(): Promise<void> {
    const db = await openFieldboardDb({ name: this.dbName });
    await db.put('meta', this.clientId, 'clientId');
    db.close();
  }

  /** Starts a worker (a browser event arrived for a stopped one). */
  boot(): void {
    if (this.engine) return;
    const inst: Instance = { dead: false, name: `${this.name}#${++this.instances}` };
    this.inst = inst;
    const store = new SwStore(new DbHandle(this.dbName));
    const world = this.world;
    const env: EngineEnv = {
      store: this.crashable(store, inst),
      channel: { postMessage: (m) => inst.dead || this.ledger.broadcast(this, m as never) },
      fetch: (path, init) => this.net.fetch(inst, this.link, path, init),
      openSocket: () => this.net.socket(inst, this.link),
      now: () => world.now,
      random: () => this.rng.next(),
      setTimer: (fn, ms) => world.after(ms, `${inst.name} timer`, () => inst.dead || fn()),
      clearTimer: (id) => world.cancel(id as number),
      isOnline: () => this.link.online,
      hasWindowClient: async () => this.tabOpen,
      registerSync: async () => {
        if (!this.backgroundSync) throw new Error('no SyncManager');
        this.syncWanted = true;
        this.maybeSync();
      },
      log: (message, extra) => {
        if (!inst.dead) this.logs.push(`${world.now} ${inst.name} ${message} ${extra === undefined ? '' : JSON.stringify(extra)}`);
      },
    };
    this.store = store;
    this.world.log(`${inst.name} worker starts`);
    const engine = new Engine(env, inst.name);
    if (inst.dead) return; // crashed while starting (crashable): stop() already ran
    this.engine = engine;
    void engine.wake();
  }

  /**
   * The browser fires a registered sync once the device is online (starting the worker), and again later
   * while the handler fails (the engine throws while anything sendable is left), three tries in all.
   */
  maybeSync(delay = 1000): void {
    if (!this.syncWanted || !this.link.online) return;
    this.world.after(delay, `browser fires sync on ${this.name}`, () => {
      if (!this.syncWanted || !this.link.online) return;
      this.syncWanted = false;
      this.boot();
      const inst = this.inst;
      if (!this.engine) return; // crashed while starting
      this.engine.syncEvent().then(
        () => (this.syncTries = 0),
        () => {
          if (inst.dead || ++this.syncTries >= 3) return void (this.syncTries = 0);
          this.syncWanted = true;
          this.maybeSync(60_000 * this.syncTries);
        },
      );
    });
  }

  /** Set by a `crash-sw` step: the worker dies at the n-th store call from now, then restarts after `restartMs`. */
  crash: { calls: number; restartMs: number } | null = null;

  /**
   * The engine's store, with a trap: when a crash is due, the worker dies just before a store call (after
   * the transactions before it committed, before this one began), and the call never answers, so nothing
   * after it runs. That is a worker killed at any point of its work, between two IndexedDB transactions.
   */
  private crashable(store: SwStore, inst: Instance): SwStore {
    return new Proxy(store, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function' || prop === 'handle') return value;
        return (...args: unknown[]) => {
          if (inst.dead) return new Promise(() => {}); // a stopped worker runs nothing more
          const c = this.crash;
          if (c && !inst.dead && --c.calls <= 0) {
            this.crash = null;
            this.world.log(`${inst.name} crashes before store.${String(prop)}`);
            this.stop();
            this.world.after(c.restartMs, `browser starts ${this.name}'s worker again`, () => this.running || this.boot());
            return new Promise(() => {});
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  /** The browser stops the worker: nothing of this instance runs again. */
  stop(): void {
    if (this.inst.dead) return;
    this.world.log(`${this.inst.name} worker stopped`);
    this.inst.dead = true;
    for (const s of [...this.link.sockets]) s.close();
    void this.store?.handle.close();
    this.engine = null;
    this.store = null;
  }

  /** A tab posts a command (starting the worker if needed); the reply lands in `then`. */
  command(cmd: TabCommand | ((requestId: string) => TabCommand), then?: (r: Reply) => void): void {
    this.boot();
    const c = typeof cmd === 'function' ? cmd(`${this.name}-r${++this.requests}`) : cmd;
    const engine = this.engine;
    if (!engine) return; // the worker crashed while starting: the message is lost (the tab gets no reply)
    const inst = this.inst;
    void engine.command(c, (r) => {
      if (!inst.dead) then?.(r);
    });
  }

  // ---- What a tab reads from IndexedDB ----------------------------------------------------------------------

  private tab: SwStore | null = null;

  /** Reads with a store of its own (as a tab does, on its own connection), so a stopped worker does not matter. */
  private read<T>(fn: (s: SwStore) => Promise<T>): Promise<T> {
    this.tab ??= new SwStore(new DbHandle(this.dbName));
    return fn(this.tab);
  }

  /** The end of the run: the tab's connection closes too. */
  async close(): Promise<void> {
    this.stop();
    await this.tab?.handle.close();
  }

  async outbox(): Promise<OutboxEntry[]> {
    return this.read((s) => s.outbox(this.user.id));
  }

  /** The activity list as IndexedDB holds it (what the tab shows, broadcast or not). */
  async activity(): Promise<ActivityEntry[]> {
    return this.read(async (s) => (await (await s.handle.get()).getAll('activity')).filter((a) => a.userId === this.user.id).map((a) => a.entry));
  }

  async confirmed(d: DashboardId, w: WidgetId): Promise<Widget | null> {
    return this.read((s) => s.replicaWidget(d, w));
  }

  /** The replica of a dashboard: live widgets by id, and the cursor. */
  async replica(d: DashboardId): Promise<{ widgets: Widget[]; cursor: number | null }> {
    return this.read(async (s) => {
      const db = await s.handle.get();
      const rows = await db.getAllFromIndex('widgets', 'by-dashboard', d);
      const c = await s.cursor(d);
      const widgets = rows.map((r) => r.widget).filter((w): w is Widget => w !== null);
      return { widgets: widgets.sort((a, b) => (a.id < b.id ? -1 : 1)), cursor: c?.cursor ?? null };
    });
  }
}
