/**
 * What a push's results and a person's decisions do to the outbox (docs/service-worker.md, "Draining the outbox"; docs/protocol.md, "Rules worth knowing"):
 * `settle` applies a batch's results with the conflict policy (manual parks, remote-wins drops, local-wins
 * re-issues on the server's version, non-overlapping note edits merge), and `resolve` applies a person's
 * choice on a parked conflict. Both plan on the outbox as it is at commit time (outbox.ts, resolve.ts are
 * the pure plans) and commit in one transaction with the replica and the activity they cause.
 */
import { quote, type DashboardId, type MutationId, type MutationResult, type UserId, type Widget } from '../protocol/index.ts';
import { answered, refused, type ActivityEntry, type Answer, type CommandOf, type OutboxEntry } from '../contract/index.ts';
import type { EngineCore } from './core.ts';
import { entriesOfWidget, planSettle, type ResolvePlan, type SettlePlan } from './outbox.ts';
import type { ReplicaSync } from './replica-sync.ts';
import { planNoteMerge, planResolve } from './resolve.ts';
import type { ReplicaUpdate } from './store.ts';

export class Settler {
  constructor(
    private readonly core: EngineCore,
    private readonly replica: ReplicaSync,
  ) {}

  /**
   * Applies a push's results in one transaction, after making sure the replica holds the changes of the
   * applied mutations (pulling over HTTP any dashboard whose replica is behind), so they leave the outbox
   * without a flicker.
   */
  async settle(userId: UserId, batch: OutboxEntry[], results: MutationResult[]): Promise<void> {
    const c = this.core;
    const needed = new Map<DashboardId, number>();
    const batchIds = new Set(batch.map((e) => e.mutation.id));
    for (const r of results) {
      if (r.status !== 'applied') continue;
      const e = batch.find((b) => b.mutation.id === r.id);
      if (e) needed.set(e.mutation.dashboardId, Math.max(needed.get(e.mutation.dashboardId) ?? 0, r.seq));
    }
    const pulls = await this.replica.pullBehind(needed);
    // Planned on the outbox as it is now, not as it was when the batch left: a merge replaces the text
    // edits typed while the push was out, so none of them can follow it and undo it. `serially` keeps
    // appends out until this commit is in.
    await c.serially(async () => {
      const conflicted = new Set(results.filter((r) => r.status === 'conflict').map((r) => r.id));
      // Only a conflict is planned on the rest of the outbox (a merge, local-wins): a batch without one
      // reads nothing more than itself.
      const entries = conflicted.size ? await c.env.store.outbox(userId) : [];
      const plan = planSettle(batch, results, {
        now: c.env.now(),
        policy: c.policy,
        resolveLocal: (parked, server) => this.resolveLocal(entries, parked, server),
        merge: (parked, fields, server) => {
          const later = entriesOfWidget(entries, parked.mutation.dashboardId, parked.mutation.args.widgetId).filter(
            (e) => e.order > parked.order && (e.state !== 'sending' || conflicted.has(e.mutation.id)),
          );
          return planNoteMerge(parked, later, fields, server, c.ids());
        },
      });
      await this.commitSettle(userId, batchIds, pulls, plan);
    });
  }

  private async commitSettle(userId: UserId, batchIds: Set<MutationId>, pulls: ReplicaUpdate[], plan: SettlePlan): Promise<void> {
    await this.replica.commit(pulls, {
      remove: plan.remove,
      update: plan.put.filter((e) => batchIds.has(e.mutation.id)),
      put: plan.put.filter((e) => !batchIds.has(e.mutation.id)),
      activity: plan.activity.map((entry) => ({ userId, entry })),
    });
    for (const entry of plan.activity) this.core.broadcaster.post({ type: 'activity', entry });
  }

  /** The local-wins policy: the parked mutation goes again on the server's version (or restores the widget). */
  private resolveLocal(entries: OutboxEntry[], parked: OutboxEntry, server: Widget | null): ResolvePlan {
    const others = entriesOfWidget(entries, parked.mutation.dashboardId, parked.mutation.args.widgetId).map((e) =>
      e.mutation.id === parked.mutation.id ? parked : e.state === 'conflict' ? { ...e, state: 'queued' as const } : e,
    );
    const plan = planResolve(others, server ? { keep: 'mine' } : { keep: 'restore' }, server, this.core.ids());
    return 'error' in plan ? { remove: [], put: [parked] } : plan;
  }

  /** A person's choice on a parked conflict (the `resolve` command). Run inside `serially`. */
  async resolve(cmd: CommandOf<'resolve'>): Promise<Answer<'resolve'>> {
    const c = this.core;
    if (!c.user) return refused('not-signed-in', 'not signed in');
    const entries = entriesOfWidget(await c.env.store.outbox(c.user.id), cmd.dashboardId, cmd.widgetId);
    const seen = cmd.resolution.keep === 'mine' ? cmd.resolution.seenVersion : undefined;
    const server = await this.latestServer(entries, cmd.dashboardId, cmd.widgetId, seen);
    const plan = planResolve(entries, cmd.resolution, server, c.ids());
    if ('error' in plan) return refused('cannot-resolve', plan.error);
    const title = entries[0]?.base?.title ?? server?.title ?? 'a widget';
    const r = cmd.resolution;
    // An edited resolution is a new value the person wrote, not their old change sent again.
    const edited = r.keep === 'mine' && (r.patch !== undefined || r.itemPatch !== undefined);
    const what = edited
      ? 'saved your edited version'
      : { theirs: 'kept the other change', mine: 'kept your change', restore: 'restored it as a new widget' }[r.keep];
    const activity: ActivityEntry = {
      at: c.env.now(),
      dashboardId: cmd.dashboardId,
      widgetId: cmd.widgetId,
      kind: 'resolved',
      message: `Conflict on ${quote(title)}: ${what}`,
    };
    await c.env.store.commit({ remove: plan.remove, put: plan.put, activity: [{ userId: c.user.id, entry: activity }] });
    await c.broadcastOutbox();
    c.broadcaster.post({ type: 'activity', entry: activity });
    return answered(undefined);
  }

  /**
   * The server state a resolution goes on: the one the person saw (`seenVersion`) when it is still known,
   * else the newest known (the parked conflict's snapshot or the replica).
   */
  private async latestServer(entries: OutboxEntry[], dashboardId: DashboardId, widgetId: Widget['id'], seenVersion?: number): Promise<Widget | null> {
    const parked = entries.filter((e) => e.conflict).at(-1)?.conflict;
    const replica = await this.core.env.store.replicaWidget(dashboardId, widgetId);
    if (parked?.server === null) return null;
    const candidates = [parked?.server, replica].filter((w): w is Widget => !!w);
    return candidates.find((w) => w.version === seenVersion) ?? candidates.sort((a, b) => b.version - a.version)[0] ?? null;
  }
}
