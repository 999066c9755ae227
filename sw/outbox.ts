/**
 * Outbox rules as pure functions over entries: what to append (coalescing), what to send next (per-widget
 * ordering), and what a push's results do to the outbox (settle). The store (sw/store.ts) runs them
 * inside IndexedDB transactions; tests run them on plain arrays.
 *
 * Invariants:
 * - One client's mutations reach the server in outbox `order`; per widget this is strict: a widget with an
 *   earlier entry parked in `conflict`, waiting after a `failed` attempt, or in flight holds every later
 *   entry of that widget. Other widgets keep syncing (a poison mutation never stalls the outbox).
 * - Only entries never sent (`queued`, 0 attempts) coalesce: a sent one may already be applied under its id.
 *   The one exception is a parked conflict: it is never sent again under its id (resolving it makes a new
 *   mutation), so typing into a conflicted field folds into it and the conflict shows the latest words.
 * - An edit's base is what the person saw when it began (contract/edit-base.ts): an append takes the
 *   earliest base of the widget's unsettled overwrites of the same fields, so a remote change that was
 *   hidden behind them is a conflict, never overwritten.
 * - A mutation leaves the outbox only as applied (its change is in the replica), rejected (rolled back and
 *   told), discarded or resolved by a person or the policy (recorded in the activity list).
 */
import { quote, touchedFields, type DashboardId, type Mutation, type MutationId, type MutationResult, type UserId, type Widget, type WidgetId } from '../protocol/index.ts';
import { describeEntry, earliestBase, overwrites, type ActivityEntry, type ConflictPolicy, type OutboxEntry } from '../contract/index.ts';
import { newOutboxEntry } from '../contract/local-db/index.ts';

export const MAX_BATCH = 500;

export const widgetKey = (m: Pick<Mutation, 'dashboardId' | 'args'>) => `${m.dashboardId} ${m.args.widgetId}`;

const sameKeys = (a: object, b: object) => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
};

/**
 * The entry `incoming` may replace: the widget's last entry (no other entry of that widget after it) when
 * both are `widget.set` of the same fields, or `checklist.set` of the same item and fields, by the same user,
 * and the old one was never sent or is parked in conflict. `widgetEntries` are the widget's entries in
 * outbox order.
 */
export function coalesceTarget(widgetEntries: OutboxEntry[], incoming: Mutation, userId: UserId): OutboxEntry | null {
  const last = widgetEntries.at(-1);
  if (!last || last.userId !== userId) return null;
  const unsent = last.state === 'queued' && last.attempts === 0;
  if (!unsent && last.state !== 'conflict') return null;
  const m = last.mutation;
  if (m.clientId !== incoming.clientId) return null;
  if (m.name === 'widget.set' && incoming.name === 'widget.set') {
    return sameKeys(m.args.patch, incoming.args.patch) ? last : null;
  }
  if (m.name === 'checklist.set' && incoming.name === 'checklist.set') {
    return m.args.itemId === incoming.args.itemId && sameKeys(m.args.patch, incoming.args.patch) ? last : null;
  }
  return null;
}

export interface AppendPlan {
  put: OutboxEntry;
  /** The coalesced entry that `put` replaces (deleted in the same transaction). */
  replaces: MutationId | null;
}

/**
 * What appending `mutation` writes. An overwrite's base is lowered to the earliest base of the widget's
 * unsettled overwrites of the same fields (edit-base.ts), and its `base` widget is the one at that version
 * when known: the tab's (what the edit began from), or the replica's when it is still at that version.
 * A coalesced mutation takes the place (order) and state of the one it replaces.
 */
export function planAppend(args: {
  widgetEntries: OutboxEntry[];
  mutation: Mutation;
  userId: UserId;
  order: number;
  /** The replica's widget now. */
  replica: Widget | null;
  /** The widget the tab says the edit began from, if it said. */
  seen?: Widget | null;
}): AppendPlan {
  let mutation = args.mutation;
  let base = args.seen?.version === mutation.baseVersion ? args.seen : args.replica;
  if (overwrites(mutation)) {
    const mine = args.widgetEntries.filter((e) => e.userId === args.userId);
    const start = { version: mutation.baseVersion, widget: base?.version === mutation.baseVersion ? base : null };
    const seen = earliestBase(start, mine, touchedFields(mutation));
    if (seen.version < mutation.baseVersion) {
      mutation = { ...mutation, baseVersion: seen.version };
      base = seen.widget ?? base;
    }
  }
  const target = coalesceTarget(args.widgetEntries, mutation, args.userId);
  if (target) {
    const earlier = target.mutation.baseVersion <= mutation.baseVersion;
    const coalesced = { ...mutation, baseVersion: earlier ? target.mutation.baseVersion : mutation.baseVersion };
    return {
      put: { ...target, mutation: coalesced, base: earlier ? (target.base ?? base) : base },
      replaces: target.mutation.id === coalesced.id ? null : target.mutation.id,
    };
  }
  return { put: newOutboxEntry(mutation, args.userId, args.order, mutation.name === 'widget.create' ? null : base), replaces: null };
}

/**
 * The next batch to send, in outbox order: every entry not held, at most `max`. `nextDueAt` is when the
 * earliest held-by-time entry becomes due (to schedule a retry), or null. It stops looking once the batch is
 * full, so a batch costs what it skips and takes, not the whole outbox; `nextDueAt` then covers the entries
 * looked at, which is enough: after a full batch the drain goes round again (or its failure sets a retry).
 */
export function selectBatch(
  entries: OutboxEntry[],
  now: number,
  max: number = MAX_BATCH,
): { batch: OutboxEntry[]; nextDueAt: number | null } {
  const held = new Set<string>();
  const batch: OutboxEntry[] = [];
  let nextDueAt: number | null = null;
  for (const e of [...entries].sort((a, b) => a.order - b.order)) {
    if (batch.length >= max) break;
    const key = widgetKey(e.mutation);
    if (held.has(key)) continue;
    if (e.state === 'conflict' || e.state === 'sending') {
      held.add(key);
      continue;
    }
    if (e.nextAttemptAt > now) {
      held.add(key);
      nextDueAt = nextDueAt === null ? e.nextAttemptAt : Math.min(nextDueAt, e.nextAttemptAt);
      continue;
    }
    batch.push(e);
  }
  return { batch, nextDueAt };
}

/** The batch failed as a whole (transport, 5xx, no answer): each entry waits `delay` and says why. */
export function planTransientFailure(batch: OutboxEntry[], now: number, delayMs: number, error: string): OutboxEntry[] {
  return batch.map((e) => ({ ...e, state: 'failed', attempts: e.attempts + 1, nextAttemptAt: now + delayMs, lastError: error }));
}

export interface SettlePlan {
  /** Applied, rejected, or resolved by the policy. */
  remove: MutationId[];
  /** Entries rewritten: parked conflicts, requeued entries without a result, re-issued mutations. */
  put: OutboxEntry[];
  activity: ActivityEntry[];
}

export interface SettleContext {
  now: number;
  policy: ConflictPolicy;
  /** Builds the mutation(s) that resolve a conflict as the policy says (local-wins). */
  resolveLocal(entry: OutboxEntry, server: Widget | null): ResolvePlan;
  /** A note-text conflict merged three ways when the edits do not overlap (resolve.ts), else null. */
  merge(entry: OutboxEntry, fields: string[], server: Widget | null): (ResolvePlan & { title: string }) | null;
}

/**
 * What a push's results do. Applied and rejected entries leave; conflicts park (manual) or resolve by
 * policy; an entry the answer did not mention goes back to `queued` (one attempt more) for the next batch.
 */
export function planSettle(batch: OutboxEntry[], results: MutationResult[], ctx: SettleContext): SettlePlan {
  const byId = new Map(results.map((r) => [r.id, r]));
  const plan: SettlePlan = { remove: [], put: [], activity: [] };
  // A restore by policy removes every entry of the widget, later ones of this batch included.
  const handled = new Set<MutationId>();
  for (const e of batch) {
    if (handled.has(e.mutation.id)) continue;
    const r = byId.get(e.mutation.id);
    const at = { at: ctx.now, dashboardId: e.mutation.dashboardId, widgetId: e.mutation.args.widgetId };
    if (!r) {
      // It went out: counted as an attempt, so it never coalesces (the server may have applied it).
      plan.put.push({ ...e, state: 'queued', attempts: e.attempts + 1 });
      continue;
    }
    switch (r.status) {
      case 'applied':
        plan.remove.push(e.mutation.id);
        break;
      case 'rejected':
        plan.remove.push(e.mutation.id);
        plan.activity.push({ ...at, kind: 'rejected', code: r.code, message: `${describeEntry(e)} — undone: ${r.message}` });
        break;
      case 'conflict': {
        const merged = ctx.merge(e, r.fields, r.server);
        if (merged) {
          for (const id of merged.remove) handled.add(id);
          plan.remove.push(...merged.remove);
          plan.put.push(...merged.put);
          plan.activity.push({
            ...at,
            kind: 'merged',
            message: `Your edit of ${quote(merged.title)} and one made elsewhere were merged automatically`,
            mutationIds: merged.remove,
          });
          break;
        }
        const parked: OutboxEntry = {
          ...e,
          state: 'conflict',
          attempts: e.attempts + 1,
          lastError: null,
          conflict: { fields: r.fields, base: e.base ?? null, server: r.server },
        };
        if (ctx.policy === 'manual') {
          plan.put.push(parked);
        } else if (ctx.policy === 'remote-wins') {
          plan.remove.push(e.mutation.id);
          const what = r.server === null ? 'the widget was deleted elsewhere' : 'the other change was kept';
          plan.activity.push({
            ...at,
            kind: 'auto-resolved',
            message: `${describeEntry(e, r.server)} — dropped: ${what} (your conflict setting: Keep the other change)`,
            mutationIds: [e.mutation.id],
          });
        } else {
          const resolved = ctx.resolveLocal(parked, r.server);
          for (const id of resolved.remove) handled.add(id);
          plan.remove.push(...resolved.remove);
          plan.put.push(...resolved.put);
          plan.activity.push({
            ...at,
            kind: 'auto-resolved',
            message: `${describeEntry(e, r.server)} — conflicted and was ${r.server === null ? 'restored as a new widget' : 'sent again over the other change'} (your conflict setting: Keep my change)`,
            mutationIds: resolved.remove.includes(e.mutation.id) ? resolved.remove : [e.mutation.id, ...resolved.remove],
          });
        }
        break;
      }
    }
  }
  return plan;
}

// ---- Resolving conflicts ---------------------------------------------------------------------------------

export interface ResolvePlan {
  remove: MutationId[];
  put: OutboxEntry[];
}

export type ResolveError = { error: string };

/** The entries of one widget of one dashboard, in order. */
export function entriesOfWidget(entries: OutboxEntry[], dashboardId: DashboardId, widgetId: WidgetId): OutboxEntry[] {
  return entries
    .filter((e) => e.mutation.dashboardId === dashboardId && e.mutation.args.widgetId === widgetId)
    .sort((a, b) => a.order - b.order);
}
