/**
 * The real `SyncClient`: the page side of the service worker's sync engine.
 *
 * - Paints at once from IndexedDB (identity, dashboards, outbox, replica, activity) through contract/local-db/,
 *   before the SW answers: an offline cold start shows the last state.
 * - Then follows the SW's BroadcastChannel. Messages are numbered per SW instance; a gap or a new instance
 *   (the SW was stopped and restarted) means "re-read IndexedDB", which holds everything broadcast.
 * - Commands go by postMessage with a request id and a timeout (requests.ts); mutations go through a line
 *   that posts each again until the worker answers it (mutation-line.ts), so none is lost to a worker that
 *   stops before answering.
 * - Keeps the SW alive (a message every KEEPALIVE_MS) and relays what only pages see: online/offline and
 *   visibility (BROWSER-FACTS.md).
 *
 * Invariants: signals change only here; a mutation shows in `outbox` from the moment `mutate` is called
 * (a provisional entry until the SW's outbox broadcast holding it arrives), so the optimistic view never
 * waits for a round trip and never drops an edit between the SW's answer and its broadcast.
 */
import { signedOutOnPurpose } from './signed-out.ts';
import { batch, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { Workbox } from 'workbox-window';
import { DashboardSummarySchema, DashboardsResponseSchema, MeResponseSchema, MutationSchema, newMutationId, parse, type Change, type ClientId, type DashboardId, type DashboardSummary, type Mutation, type MutationId, type MutationInput, type User, type Widget, type WidgetId } from '../../protocol/index.ts';
import {
  BROADCAST_CHANNEL,
  KEEPALIVE_MS,
  REFRESH_SYNC_TAG,
  ReplyError,
  SwBroadcastSchema,
  type ActivityEntry,
  type Answer,
  type ConflictPolicy,
  type ConflictResolution,
  type ConnectionState,
  type OutboxEntry,
  type ReplyData,
  type RequestType,
  type TabCommand,
} from '../../contract/index.ts';
import {
  DbHandle,
  ensureClientId,
  isQuotaError,
  movesForward,
  newOutboxEntry,
  readActivity,
  readDashboards,
  readIdentity,
  readOutbox,
  readPolicy,
  readReplica,
  writeDashboards,
} from '../../contract/local-db/index.ts';
import { detectCapabilities, requestPersistence, type BrowserCapabilities, type CapabilityScope } from '../state/capabilities.ts';
import { Requests, type RequestCommand } from './requests.ts';
import { MutationLine } from './mutation-line.ts';
import { signInRefusal } from './sign-in-answer.ts';
import type { SignInResult, SyncClient } from './types.ts';

export interface SwClientOptions {
  /** The built service worker (vite-plugin-pwa writes /sw.js). */
  scriptUrl?: string;
  dbName?: string;
  requestTimeoutMs?: number;
}

interface Provisional {
  entry: OutboxEntry;
  /** Dropped once an outbox broadcast with this seq (same SW instance) or later has arrived. */
  untilSeq: number;
  swInstance: string | null;
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
  private readonly clientId: Promise<ClientId>;
  private readonly requests: Requests;
  private readonly line: MutationLine;
  private readonly replicas = new Map<DashboardId, Signal<Widget[]>>();
  /** Bumped by every message that sets a replica/outbox, so a slower IndexedDB re-read never overwrites it. */
  private readonly replicaVersion = new Map<DashboardId, number>();
  private outboxVersion = 0;
  private swOutbox: OutboxEntry[] = [];
  private readonly provisional = new Map<MutationId, Provisional>();
  private swInstance: string | null = null;
  private lastSeq = 0;
  private outboxSeq = 0;
  private watched: DashboardId | null = null;
  private wb: Workbox | null = null;
  private updateRequested = false;

  constructor(private readonly opts: SwClientOptions = {}) {
    this.db = new DbHandle(opts.dbName);
    this.clientId = this.db.get().then(ensureClientId);
    this.clientId.catch((e) => this.storageFailed(e));
    this.requests = new Requests({ post: (m) => this.post(m) }, opts.requestTimeoutMs);
    this.line = new MutationLine({
      ask: (cmd) => this.requests.send(cmd),
      after: (ms, fn) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
    });
    void this.paint().then(() => this.resumeSession());
    this.listen();
    this.register();
  }

  // ---- Reading IndexedDB -------------------------------------------------------------------------------------

  private storageFailed(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.storageError.value = isQuotaError(e) ? `Storage is full: ${message}` : `Storage is unavailable: ${message}`;
  }

  /** Everything from IndexedDB (first paint, and after a missed broadcast). */
  private async paint(): Promise<void> {
    const outboxAt = this.outboxVersion;
    try {
      const db = await this.db.get();
      const user = await readIdentity(db);
      const [dashboards, outbox, activity, policy] = user
        ? await Promise.all([readDashboards(db, user.id), readOutbox(db, user.id), readActivity(db, user.id), readPolicy(db)])
        : [[], [], [], await readPolicy(db)];
      this.user.value = user;
      if (user && this.connection.value.kind === 'signed-out') this.connection.value = { kind: 'idle' };
      if (!user) this.connection.value = { kind: 'signed-out' };
      if (dashboards.length || !user) this.dashboards.value = dashboards;
      this.activity.value = activity;
      this.policy.value = policy;
      if (this.outboxVersion === outboxAt) this.setSwOutbox(outbox);
      await Promise.all([...this.replicas.keys()].map((d) => this.loadReplica(d)));
    } catch (e) {
      this.storageFailed(e);
    }
  }

  private async loadReplica(d: DashboardId): Promise<void> {
    // A broadcast that arrives during the read makes the read stale, but dropping it is not enough: the
    // broadcast only carried the widgets that changed, so a tab opening while changes flow showed just those
    // (the chaos test found a board left empty). The SW commits before it broadcasts, so read again.
    for (;;) {
      const at = this.replicaVersion.get(d) ?? 0;
      try {
        const widgets = await readReplica(await this.db.get(), d, this.user.value?.id ?? null);
        if ((this.replicaVersion.get(d) ?? 0) !== at) continue;
        this.replicaOf(d).value = widgets;
      } catch (e) {
        this.storageFailed(e);
      }
      return;
    }
  }

  private replicaOf(d: DashboardId): Signal<Widget[]> {
    let s = this.replicas.get(d);
    if (!s) {
      s = signal<Widget[]>([]);
      this.replicas.set(d, s);
      void this.loadReplica(d);
    }
    return s;
  }

  confirmed(dashboardId: DashboardId): ReadonlySignal<Widget[]> {
    return this.replicaOf(dashboardId);
  }

  // ---- Following the SW ----------------------------------------------------------------------------------

  private listen(): void {
    if (typeof BroadcastChannel !== 'undefined') {
      const channel = new BroadcastChannel(BROADCAST_CHANNEL);
      channel.onmessage = (e) => this.onBroadcast(e.data);
    }
    if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
    navigator.serviceWorker.addEventListener('message', (e) => this.requests.receive(e.data));
    navigator.serviceWorker.startMessages();
    window.addEventListener('online', () => this.tell({ type: 'network', online: true }));
    window.addEventListener('offline', () => this.tell({ type: 'network', online: false }));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.tell({ type: 'visible' });
    });
    // Only events keep a service worker alive; its socket does not.
    setInterval(() => this.keepalive(), KEEPALIVE_MS);
    this.keepalive();
    if (!navigator.onLine) this.tell({ type: 'network', online: false });
    // Never awaited: headless Firefox never answers it, and the app must not wait for it to work.
    void requestPersistence(navigator, 10_000).then((outcome) => console.info(`fieldboard: persistent storage ${outcome}`));
  }

  private keepalive(): void {
    this.tell({ type: 'keepalive' });
    if (this.watched) this.tell({ type: 'watch', dashboardIds: [this.watched] });
  }

  private onBroadcast(data: unknown): void {
    const parsed = parse(SwBroadcastSchema, data);
    if (!parsed.ok) {
      console.warn('fieldboard: ignored a broadcast that failed validation:', parsed.message);
      return;
    }
    const m = parsed.value;
    const gap = m.swInstance !== this.swInstance || m.seq !== this.lastSeq + 1;
    this.swInstance = m.swInstance;
    this.lastSeq = m.seq;
    switch (m.type) {
      case 'status':
        this.connection.value = m.connection;
        break;
      case 'replica':
        this.replicaVersion.set(m.dashboardId, (this.replicaVersion.get(m.dashboardId) ?? 0) + 1);
        if (m.reset) void this.loadReplica(m.dashboardId);
        else
          batch(() => {
            if (this.replicas.has(m.dashboardId)) this.applyChanges(m.dashboardId, m.changes);
            this.dropApplied(m.changes);
          });
        break;
      case 'outbox':
        this.outboxSeq = m.seq;
        this.outboxVersion++;
        this.setSwOutbox(m.entries);
        break;
      case 'activity':
        this.activity.value = [m.entry, ...this.activity.value].slice(0, 100);
        break;
      case 'identity':
        if (m.user?.id === this.user.value?.id) break;
        if (!m.user) {
          this.signedOutLocally();
        } else {
          this.user.value = m.user;
          void this.paint();
        }
        break;
    }
    // Something was missed (or the SW restarted with empty memory): IndexedDB has all of it.
    if (gap) void this.paint();
  }

  private applyChanges(d: DashboardId, changes: Change[]): void {
    const s = this.replicaOf(d);
    const byId = new Map<WidgetId, Widget>(s.value.map((w) => [w.id, w]));
    const versions = new Map<WidgetId, number>(s.value.map((w) => [w.id, w.version]));
    for (const c of changes) {
      if (!movesForward(versions.get(c.widgetId), c.version)) continue;
      versions.set(c.widgetId, c.version);
      if (c.widget) byId.set(c.widgetId, c.widget);
      else byId.delete(c.widgetId);
    }
    s.value = [...byId.values()];
  }

  /**
   * Mutations whose changes the replica now holds stop replaying at once, in the same render as the replica
   * (the SW's outbox broadcast saying so follows): replaying them on top would count them twice.
   */
  private dropApplied(changes: Change[]): void {
    const applied = new Set(changes.map((c) => c.mutationId).filter((id) => id !== null));
    if (applied.size === 0) return;
    const before = this.swOutbox.length + this.provisional.size;
    this.swOutbox = this.swOutbox.filter((e) => !applied.has(e.mutation.id));
    for (const id of applied) this.provisional.delete(id);
    if (this.swOutbox.length + this.provisional.size !== before) this.publishOutbox();
  }

  private setSwOutbox(entries: OutboxEntry[]): void {
    const me = this.user.value?.id;
    this.swOutbox = entries.filter((e) => e.userId === me);
    for (const [id, p] of this.provisional) {
      if (p.swInstance === this.swInstance && this.outboxSeq >= p.untilSeq) this.provisional.delete(id);
    }
    this.publishOutbox();
  }

  private publishOutbox(): void {
    const ids = new Set(this.swOutbox.map((e) => e.mutation.id));
    const extra = [...this.provisional.values()].map((p) => p.entry).filter((e) => !ids.has(e.mutation.id));
    this.outbox.value = [...this.swOutbox, ...extra].sort((a, b) => a.order - b.order);
  }

  private signedOutLocally(): void {
    this.user.value = null;
    this.connection.value = { kind: 'signed-out' };
    this.swOutbox = [];
    this.provisional.clear();
    this.publishOutbox();
    this.activity.value = [];
    this.dashboards.value = [];
    for (const s of this.replicas.values()) s.value = [];
  }

  // ---- Talking to the SW -----------------------------------------------------------------------------------

  private register(): void {
    if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) {
      this.connection.value = { kind: 'offline', lastSyncedAt: null };
      return;
    }
    const wb = new Workbox(this.opts.scriptUrl ?? '/sw.js');
    this.wb = wb;
    wb.addEventListener('waiting', () => (this.updateAvailable.value = true));
    wb.addEventListener('controlling', () => {
      if (this.updateRequested) window.location.reload();
    });
    wb.register().catch((e: unknown) => console.warn('fieldboard: service worker registration failed', e));
    void this.hello();
    void this.registerPeriodicRefresh();
  }

  /**
   * Asks for a Periodic Background Sync (`fieldboard-refresh`, about twice a day) so an installed app opens
   * on a fresh replica even after days away. Chromium grants it only to installed apps with some use, and
   * only from a page; elsewhere this does nothing and the catch-up on open covers it.
   */
  private async registerPeriodicRefresh(): Promise<void> {
    try {
      const reg = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & {
        periodicSync?: { register(tag: string, options: { minInterval: number }): Promise<void> };
      };
      if (!reg.periodicSync || !navigator.permissions) return;
      const permission = await navigator.permissions.query({ name: 'periodic-background-sync' as PermissionName });
      if (permission.state !== 'granted') return;
      await reg.periodicSync.register(REFRESH_SYNC_TAG, { minInterval: 12 * 60 * 60 * 1000 });
    } catch (e) {
      console.info('fieldboard: periodic refresh not registered', e);
    }
  }

  /** First contact: the SW's state and numbering, and the cached identity if the SW lost it. */
  private async hello(): Promise<void> {
    try {
      const r = await this.requests.send({ type: 'get-state' });
      if (!r.ok) return;
      const s = r.data;
      // The reply was written at the SW's broadcast number `seq`; status broadcasts sent after it (connecting ->
      // open -> caught-up) may have arrived first, and the older state must not overwrite them.
      const stale = this.swInstance === s.swInstance && s.seq < this.lastSeq;
      if (this.swInstance === null) {
        this.swInstance = s.swInstance;
        this.lastSeq = s.seq;
      }
      if (!stale) this.connection.value = s.connection;
    } catch (e) {
      console.warn('fieldboard: no answer from the service worker yet', e);
    }
    void this.refreshDashboards();
  }

  private async post(message: TabCommand): Promise<void> {
    const sw = navigator.serviceWorker;
    const target = sw.controller ?? (await sw.ready).active;
    if (!target) throw new Error('no service worker');
    target.postMessage(message);
  }

  /** Fire and forget (keepalive, network, visible, watch). */
  private tell(message: TabCommand): void {
    this.post(message).catch(() => {});
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

  // ---- Actions ---------------------------------------------------------------------------------------------

  async signIn(username: string, password: string): Promise<SignInResult> {
    let r: Response;
    try {
      r = await fetch('/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
        credentials: 'same-origin',
      });
    } catch {
      return { ok: false, message: 'No network: signing in needs a connection to the server.' };
    }
    if (!r.ok) {
      const body: unknown = await r.json().catch(() => null);
      return { ok: false, message: signInRefusal(r.status, body, r.headers.get('retry-after')) };
    }
    signedOutOnPurpose(false);
    try {
      return await this.startAs(await fetch('/api/me', { credentials: 'same-origin' }));
    } catch (e) {
      return { ok: false, message: `Signed in, but the app could not start: ${(e as Error).message}` };
    }
  }

  /** Starts as the user a `/api/me` answer names: the worker gets the identity, the list is cached. */
  private async startAs(answer: Response): Promise<SignInResult> {
    const me = parse(MeResponseSchema, await answer.json());
    if (!me.ok) return { ok: false, message: `Unexpected answer from the server: ${me.message}` };
    const user = me.value.user;
    const list = await this.fetchDashboards();
    await this.ask({ type: 'identity', user });
    if (list) await writeDashboards(await this.db.get(), user.id, list).catch((e) => this.storageFailed(e));
    this.user.value = user;
    if (list) this.dashboards.value = list;
    await this.paint();
    return { ok: true };
  }

  /**
   * No identity cached, but the browser may hold a valid session cookie (a sign-in through the API, as
   * Playwright's storageState pattern does, or a cache cleared under a live session): ask the server whose
   * it is and start as that user. Not after the person signed out here, even if the server never heard of
   * it (signed out offline); offline or 401, the form stays.
   */
  private async resumeSession(): Promise<void> {
    if (this.user.value || signedOutOnPurpose()) return;
    this.checkingSession.value = true;
    try {
      const answer = await fetch('/api/me', { credentials: 'same-origin' }).catch(() => null);
      if (!answer?.ok || this.user.value || signedOutOnPurpose()) return;
      const r = await this.startAs(answer);
      if (!r.ok) console.warn(`fieldboard: session not resumed: ${r.message}`);
    } catch (e) {
      console.warn('fieldboard: session not resumed', e);
    } finally {
      this.checkingSession.value = false;
    }
  }

  private async fetchDashboards(): Promise<DashboardSummary[] | null> {
    try {
      const r = await fetch('/api/dashboards', { credentials: 'same-origin' });
      if (!r.ok) return null;
      const body = parse(DashboardsResponseSchema, await r.json());
      return body.ok ? body.value.dashboards : null;
    } catch {
      return null; // offline: the cached list stays
    }
  }

  private async refreshDashboards(): Promise<void> {
    const user = this.user.value;
    if (!user) return;
    const list = await this.fetchDashboards();
    if (!list || this.user.value?.id !== user.id) return;
    this.dashboards.value = list;
    await writeDashboards(await this.db.get(), user.id, list).catch((e) => this.storageFailed(e));
  }

  async signOut(discard: boolean): Promise<number> {
    const { pending } = await this.ask({ type: 'sign-out', discard });
    signedOutOnPurpose(true);
    await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => null);
    this.signedOutLocally();
    return pending;
  }

  async createDashboard(name: string): Promise<DashboardSummary> {
    const r = await fetch('/api/dashboards', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
      credentials: 'same-origin',
    });
    if (!r.ok) throw new Error(`Could not create the dashboard (HTTP ${r.status}).`);
    const d = parse(DashboardSummarySchema, await r.json());
    if (!d.ok) throw new Error(`Unexpected answer from the server: ${d.message}`);
    this.dashboards.value = [...this.dashboards.value.filter((x) => x.id !== d.value.id), d.value];
    const user = this.user.value;
    if (user) await writeDashboards(await this.db.get(), user.id, this.dashboards.value).catch((e) => this.storageFailed(e));
    return d.value;
  }

  watch(dashboardId: DashboardId): void {
    this.watched = dashboardId;
    this.replicaOf(dashboardId);
    this.tell({ type: 'watch', dashboardIds: [dashboardId] });
  }

  async mutate(dashboardId: DashboardId, input: MutationInput, baseVersion: number, seen: Widget | null = null): Promise<MutationId> {
    const user = this.user.value;
    if (!user) throw new Error('not signed in');
    const clientId = await this.clientId;
    const now = Date.now();
    const candidate = { id: newMutationId(now), clientId, dashboardId, baseVersion, createdAt: now, ...input };
    const checked = parse(MutationSchema, candidate);
    if (!checked.ok) throw new Error(checked.message);
    const mutation: Mutation = checked.value;
    const order = Math.max(0, ...this.outbox.value.map((e) => e.order)) + 1;
    const entry = newOutboxEntry(mutation, user.id, order);
    this.provisional.set(mutation.id, { entry, untilSeq: Infinity, swInstance: null });
    this.publishOutbox();
    try {
      const data = this.checked(await this.line.send({ type: 'mutate', mutation, ...(seen ? { base: seen } : {}) }));
      if (data.entry) {
        this.provisional.set(mutation.id, { entry: data.entry, untilSeq: data.outboxSeq, swInstance: data.swInstance });
        this.setSwOutbox(this.swOutbox);
      } else {
        // Taken by the worker before (this was a repeated post) and no longer pending under its id.
        this.provisional.delete(mutation.id);
        this.publishOutbox();
      }
      return mutation.id;
    } catch (e) {
      this.provisional.delete(mutation.id);
      this.publishOutbox();
      throw e;
    }
  }

  async retryNow(): Promise<void> {
    await this.ask({ type: 'retry' });
  }

  async discard(mutationId: MutationId): Promise<void> {
    this.provisional.delete(mutationId);
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
    if (!this.wb) return;
    this.updateRequested = true;
    this.wb.messageSkipWaiting();
  }
}

/** The app's sync client (one per page). */
export function createSyncClient(opts?: SwClientOptions): SyncClient {
  return new SwSyncClient(opts);
}
