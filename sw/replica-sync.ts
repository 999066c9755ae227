/**
 * The confirmed replica follows the server (docs/service-worker.md, "What is kept in IndexedDB"): the
 * subscriptions of the current socket, the frames that move the replica (`changes`, `caught-up`, `reset`,
 * paged resets staged in reset-stage.ts), and pulls over HTTP (Periodic Background Sync, and a push's
 * settle that needs the replica to hold its changes first).
 *
 * Invariants:
 * - Server frames are handled one after another (a promise chain): the changes the server sends before a
 *   `push-result` are committed to the replica before that result settles the outbox.
 * - A change that carries one of this client's mutation ids settles that outbox entry in the same
 *   transaction as the change, so the view never replays a mutation on a replica that already holds it.
 * - The connection counts as caught up only when every subscription of the socket is.
 */
import type { ClientId, DashboardId, MutationId, ServerFrame } from '../protocol/index.ts';
import type { EngineCore } from './core.ts';
import { pullOverHttp } from './http.ts';
import { ResetStage } from './reset-stage.ts';
import { swTrace } from './trace.ts';
import type { Commit, ReplicaUpdate } from './store.ts';

export class ReplicaSync {
  private epoch: string | null = null;
  /** Subscriptions of the current socket: dashboard -> caught up? */
  private readonly subs = new Map<DashboardId, boolean>();
  /** Pages of paged resets until their `caught-up` (reset-stage.ts). */
  private readonly resets = new ResetStage();
  private frames: Promise<void> = Promise.resolve();

  constructor(private readonly core: EngineCore) {}

  /** Runs frame handling in arrival order. */
  enqueue(fn: () => Promise<void>): void {
    this.frames = this.frames.then(fn).catch((e) => this.core.log('frame handling failed', String(e)));
  }

  /** A new socket said `welcome`: subscribe every watched dashboard from its cursor. */
  async welcome(epoch: string): Promise<void> {
    this.epoch = epoch;
    this.subs.clear();
    this.resets.clear();
    await this.subscribe(this.core.watched);
  }

  /** Tabs watch more dashboards: the new ones are subscribed on the open socket. */
  async watch(ids: DashboardId[]): Promise<void> {
    const c = this.core;
    if (!c.user) return;
    const fresh = ids.filter((d) => !c.watched.includes(d));
    c.watched = await c.env.store.addWatched(ids);
    if (fresh.length && c.conn.isOpen) await this.subscribe(fresh);
  }

  private async subscribe(ids: DashboardId[]): Promise<void> {
    const cursors = await this.core.env.store.cursors(ids);
    for (const d of ids) {
      const c = cursors.get(d);
      if (this.core.conn.send({ type: 'subscribe', dashboardId: d, cursor: c?.cursor ?? 0, epoch: c?.epoch ?? null })) {
        this.resets.clear(d);
        this.subs.set(d, false);
      }
    }
    this.updateCaughtUp();
  }

  private updateCaughtUp(): void {
    this.core.conn.setCaughtUp([...this.subs.values()].every(Boolean));
  }

  /** A frame that moves the replica. */
  async frame(f: Extract<ServerFrame, { type: 'changes' | 'caught-up' | 'reset' }>): Promise<void> {
    switch (f.type) {
      case 'changes': {
        const update: ReplicaUpdate = { dashboardId: f.dashboardId, kind: 'changes', changes: f.changes, seq: null, epoch: this.epoch };
        if (!this.resets.add(update)) await this.commit([update]);
        return;
      }
      case 'caught-up': {
        const last: ReplicaUpdate = { dashboardId: f.dashboardId, kind: 'changes', changes: [], seq: f.seq, epoch: this.epoch };
        // The last page of a paged reset commits the whole reset, in one transaction.
        await this.commit(this.resets.finish(last) ?? [last]);
        this.subs.set(f.dashboardId, true);
        this.updateCaughtUp();
        return;
      }
      case 'reset': {
        this.epoch = f.epoch;
        const update = { dashboardId: f.dashboardId, kind: 'reset' as const, epoch: f.epoch, seq: f.seq, widgets: f.widgets };
        if (f.more) return this.resets.begin(update);
        this.resets.clear(f.dashboardId);
        await this.commit([update]);
        this.subs.set(f.dashboardId, true);
        this.updateCaughtUp();
        return;
      }
    }
  }

  /** The socket is gone: its subscriptions and staged pages with it. */
  down(): void {
    this.subs.clear();
    this.resets.clear();
  }

  /**
   * Commits replica updates. A change that carries one of this client's mutation ids proves that mutation
   * applied, so its outbox entry goes in the same transaction: otherwise the view would replay it on top of
   * the replica that already holds it (a counter showing +2, then +1, until the push result or, after a
   * dropped socket, the re-push settles it). `settle`: a push's outcome for the outbox, committed in the
   * same transaction; the outbox is then broadcast in any case.
   */
  async commit(updates: ReplicaUpdate[], settle?: Commit): Promise<void> {
    const c = this.core;
    const applied = ownMutationIds(updates, c.clientId);
    await c.env.store.commit({ ...settle, replica: updates, remove: [...(settle?.remove ?? []), ...applied] });
    swTrace.replica(updates);
    this.announce(updates);
    if (applied.length || settle) await c.broadcastOutbox();
  }

  private announce(updates: ReplicaUpdate[]): void {
    for (const u of updates) {
      if (u.kind === 'reset') {
        this.core.broadcaster.post({ type: 'replica', dashboardId: u.dashboardId, changes: [], reset: true, cursor: u.seq });
      } else if (u.changes.length || u.seq !== null) {
        const cursor = Math.max(u.seq ?? 0, ...u.changes.map((c) => c.seq));
        this.core.broadcaster.post({ type: 'replica', dashboardId: u.dashboardId, changes: u.changes, reset: false, cursor });
      }
    }
  }

  /** Pulls, over HTTP, every dashboard of `needed` whose replica is behind the seq given (none it lacks). */
  async pullBehind(needed: Map<DashboardId, number>): Promise<ReplicaUpdate[]> {
    const cursors = await this.core.env.store.cursors([...needed.keys()]);
    const pulls: ReplicaUpdate[] = [];
    for (const [d, seq] of needed) {
      const c = cursors.get(d);
      if (!c || c.cursor >= seq) continue; // no replica of it here, or it already has the change
      const pulled = await pullOverHttp(this.core.env.fetch, d, c);
      if (pulled.ok) pulls.push(...pulled.value);
    }
    return pulls;
  }

  /** Periodic Background Sync: pulls every watched dashboard over HTTP; answers false on a 401. */
  async refresh(): Promise<boolean> {
    const c = this.core;
    const cursors = await c.env.store.cursors(c.watched);
    for (const d of c.watched) {
      const pulled = await pullOverHttp(c.env.fetch, d, cursors.get(d) ?? { cursor: 0, epoch: null });
      if (pulled.ok) await this.commit(pulled.value);
      else if (pulled.unauthorized) return false;
    }
    return true;
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
