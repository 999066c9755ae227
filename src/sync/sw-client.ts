/**
 * The real `SyncClient`: the page side of the service worker's sync engine, as thin wiring of its parts
 * (docs/service-worker.md "Tabs: broadcasts in, commands out"):
 *
 * - first-paint.ts: everything painted from IndexedDB before the worker answers, and again after a gap;
 * - replicas.ts: the confirmed replica per dashboard shown;
 * - broadcast-follower.ts: the worker's numbered broadcasts, a gap meaning "re-read IndexedDB";
 * - provisional-outbox.ts: the worker's outbox plus this tab's mutations it does not show yet;
 * - worker-link.ts: registration and updates (workbox-window), posting, keepalive and relays;
 * - account.ts: sign-in, session resume, the dashboards list, sign-out on the server;
 * - requests.ts and mutation-line.ts: commands with one typed answer each, and mutations posted again until
 *   the worker answers, so none is lost to a worker that stops before answering.
 *
 * Invariants: the signals change only here and in these parts, never in components; a refusal from the
 * worker is a `ReplyError` with its code (contract/replies.ts), and a full disk also shows as
 * `storageError`; the `SyncClient` interface (types.ts) is all the UI sees.
 */
import { batch, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { MutationSchema, newMutationId, parse, type ClientId, type DashboardId, type DashboardSummary, type Mutation, type MutationId, type MutationInput, type User, type Widget, type WidgetId } from '../../protocol/index.ts';
import {
  ReplyError,
  type ActivityEntry,
  type Answer,
  type ConflictPolicy,
  type ConflictResolution,
  type ConnectionState,
  type OutboxEntry,
  type ReplyData,
  type RequestType,
} from '../../contract/index.ts';
import { DbHandle, ensureClientId, newOutboxEntry, readReplica } from '../../contract/local-db/index.ts';
import { detectCapabilities, type BrowserCapabilities, type CapabilityScope } from '../state/capabilities.ts';
import { Account } from './account.ts';
import { BroadcastFollower } from './broadcast-follower.ts';
import { paintFromDisk, storageProblem } from './first-paint.ts';
import { MutationLine } from './mutation-line.ts';
import { ProvisionalOutbox } from './provisional-outbox.ts';
import { Replicas } from './replicas.ts';
import { Requests, type RequestCommand } from './requests.ts';
import type { SignInResult, SyncClient } from './types.ts';
import { WorkerLink } from './worker-link.ts';
import { traceMade } from './trace.ts';

export interface SwClientOptions {
  /** The built service worker (vite-plugin-pwa writes /sw.js). */
  scriptUrl?: string;
  dbName?: string;
  requestTimeoutMs?: number;
}

export class SwSyncClient implements SyncClient {
  readonly connection: Signal<ConnectionState> = signal({ kind: 'idle' });
  readonly user: Signal<User | null> = signal(null);
  readonly dashboards: Signal<DashboardSummary[]> = signal([]);
  readonly outbox: Signal<OutboxEntry[]> = signal([]);
  readonly activity: Signal<ActivityEntry[]> = signal([]);
  readonly policy: Signal<ConflictPolicy> = signal('manual');
  readonly updateAvailable: Signal<boolean> = signal(false);
  readonly storageError: Signal<string | null> = signal(null);
  /** Asking the server whether the browser's session cookie is still good (no identity cached). */
  readonly checkingSession: Signal<boolean> = signal(false);
  readonly capabilities: BrowserCapabilities | undefined =
    typeof window === 'undefined' ? undefined : detectCapabilities(window as unknown as CapabilityScope);

  private readonly db: DbHandle;
  private readonly clientIdLoaded: Promise<ClientId>;
  /** This browser profile's client id once read from IndexedDB (Activity says "on this device" by it). */
  readonly clientId: Signal<ClientId | null> = signal(null);
  private readonly link: WorkerLink;
  private readonly requests: Requests;
  private readonly line: MutationLine;
  private readonly follower: BroadcastFollower;
  private readonly pending: ProvisionalOutbox;
  private readonly replicas: Replicas;
  private readonly account: Account;
  private watched: DashboardId | null = null;

  constructor(opts: SwClientOptions = {}) {
    this.db = new DbHandle(opts.dbName);
    this.clientIdLoaded = this.db.get().then(ensureClientId);
    this.clientIdLoaded.then((id) => (this.clientId.value = id)).catch((e) => this.storageFailed(e));
    this.link = new WorkerLink({
      scriptUrl: opts.scriptUrl ?? '/sw.js',
      updateAvailable: this.updateAvailable,
      connection: this.connection,
      receive: (data) => this.requests.receive(data),
      watched: () => this.watched,
    });
    this.requests = new Requests({ post: (m) => this.link.post(m) }, opts.requestTimeoutMs);
    this.line = new MutationLine({
      ask: (cmd) => this.requests.send(cmd),
      after: (ms, fn) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
    });
    this.follower = new BroadcastFollower({
      status: (connection) => (this.connection.value = connection),
      replica: (d, reset, changes) =>
        batch(() => {
          this.replicas.broadcast(d, reset, changes);
          if (!reset) this.pending.dropApplied(changes);
        }),
      outbox: (change, seq) => this.pending.fromBroadcast(change, seq),
      activity: (entry) => (this.activity.value = [entry, ...this.activity.value].slice(0, 100)),
      identity: (user) => {
        if (user?.id === this.user.value?.id) return;
        if (!user) this.signedOutLocally();
        else {
          this.user.value = user;
          void this.paint();
        }
      },
      missed: () => void this.paint(),
    });
    this.pending = new ProvisionalOutbox(this.outbox, () => this.user.value?.id, () => this.follower.instance, () => void this.paint());
    this.replicas = new Replicas({
      read: async (d) => readReplica(await this.db.get(), d, this.user.value?.id ?? null),
      failed: (e) => this.storageFailed(e),
    });
    this.account = new Account({
      db: this.db,
      user: this.user,
      dashboards: this.dashboards,
      checkingSession: this.checkingSession,
      adopt: async (user) => void (await this.ask({ type: 'identity', user })),
      repaint: () => this.paint(),
      storageFailed: (e) => this.storageFailed(e),
    });

    void this.paint().then(() => this.account.resumeSession());
    this.follower.listen();
    this.link.listen();
    if (this.link.register()) {
      void this.hello();
      void this.link.registerPeriodicRefresh();
    }
  }

  private storageFailed(e: unknown): void {
    this.storageError.value = storageProblem(e);
  }

  private paint(): Promise<void> {
    const { db, user, connection, dashboards, activity, policy, pending: outbox, replicas } = this;
    return paintFromDisk({ db, user, connection, dashboards, activity, policy, outbox, replicas, storageFailed: (e) => this.storageFailed(e) });
  }

  /** First contact: the SW's state and numbering, then the server's dashboards list. */
  private async hello(): Promise<void> {
    try {
      // Asked again every 2 s until answered: the first can be lost to a worker that is starting or stopping.
      const r = await this.requests.sendUntilAnswered({ type: 'get-state' });
      if (!r.ok) return;
      if (this.follower.adopt(r.data)) this.connection.value = r.data.connection;
    } catch (e) {
      console.warn('fieldboard: no answer from the service worker yet', e);
    }
    void this.account.refreshDashboards();
  }

  /** Asks the worker; answers the data its reply carries, or throws a `ReplyError` with the refusal's code. */
  private async ask<T extends RequestType>(cmd: RequestCommand<T> & { type: T }): Promise<ReplyData<T>> {
    return this.checked(await this.requests.send<T>(cmd));
  }

  /** A refusal becomes an error (and a full disk the storage banner). */
  private checked<T extends RequestType>(a: Answer<T>): ReplyData<T> {
    if (a.ok) return a.data;
    if (a.code === 'quota') this.storageError.value = `Storage is full: ${a.error}`;
    throw new ReplyError(a.code, a.error);
  }

  private signedOutLocally(): void {
    this.user.value = null;
    this.connection.value = { kind: 'signed-out' };
    this.pending.clear();
    this.activity.value = [];
    this.dashboards.value = [];
    this.replicas.clear();
  }

  // ---- SyncClient ----------------------------------------------------------------------------------------

  confirmed(dashboardId: DashboardId): ReadonlySignal<Widget[]> {
    return this.replicas.of(dashboardId);
  }

  replicaReady(dashboardId: DashboardId): boolean {
    return this.replicas.ready(dashboardId);
  }

  signIn(username: string, password: string): Promise<SignInResult> {
    return this.account.signIn(username, password);
  }

  async signOut(discard: boolean): Promise<number> {
    const { pending } = await this.ask({ type: 'sign-out', discard });
    await this.account.signOut();
    this.signedOutLocally();
    return pending;
  }

  createDashboard(name: string): Promise<DashboardSummary> {
    return this.account.createDashboard(name);
  }

  watch(dashboardId: DashboardId): void {
    this.watched = dashboardId;
    this.replicas.of(dashboardId);
    this.link.tell({ type: 'watch', dashboardIds: [dashboardId] });
  }

  async mutate(dashboardId: DashboardId, input: MutationInput, baseVersion: number, seen: Widget | null = null): Promise<MutationId> {
    const user = this.user.value;
    if (!user) throw new Error('not signed in');
    const clientId = await this.clientIdLoaded;
    const now = Date.now();
    const candidate = { id: newMutationId(now), clientId, dashboardId, baseVersion, createdAt: now, ...input };
    const checked = parse(MutationSchema, candidate);
    if (!checked.ok) throw new Error(checked.message);
    const mutation: Mutation = checked.value;
    traceMade(mutation.id);
    this.pending.add(newOutboxEntry(mutation, user.id, this.pending.nextOrder()));
    try {
      const data = this.checked(await this.line.send({ type: 'mutate', mutation, ...(seen ? { base: seen } : {}) }));
      // No entry: taken by the worker before (this was a repeated post) and no longer pending under its id.
      if (data.entry) this.pending.queued(mutation.id, data.entry, data.outboxSeq, data.swInstance);
      else this.pending.drop(mutation.id);
      return mutation.id;
    } catch (e) {
      this.pending.drop(mutation.id);
      throw e;
    }
  }

  async retryNow(): Promise<void> {
    await this.ask({ type: 'retry' });
  }

  async discard(mutationId: MutationId): Promise<void> {
    this.pending.forget(mutationId);
    await this.ask({ type: 'discard', mutationId });
  }

  async resolve(dashboardId: DashboardId, widgetId: WidgetId, resolution: ConflictResolution): Promise<void> {
    await this.ask({ type: 'resolve', dashboardId, widgetId, resolution });
  }

  async setPolicy(policy: ConflictPolicy): Promise<void> {
    await this.ask({ type: 'set-policy', policy });
    this.policy.value = policy;
  }

  applyUpdate(): void {
    this.link.applyUpdate();
  }
}

/** The app's sync client (one per page). */
export function createSyncClient(opts?: SwClientOptions): SyncClient {
  return new SwSyncClient(opts);
}
