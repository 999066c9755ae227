/**
 * Messages between tabs and the service worker: one map per direction.
 * - Tab -> SW: postMessage commands. Those with a `requestId` get exactly one `reply` back, posted to the
 *   asking client. Every command also counts as a keep-alive (docs/browser-facts.md "Lifetime": only
 *   events keep a SW up).
 * - SW -> tabs: one BroadcastChannel (`BROADCAST_CHANNEL`), each message with `seq` increasing by 1 per SW
 *   instance (`swInstance`); a tab that sees a gap, or a new instance, re-reads IndexedDB.
 * IndexedDB records have their own schemas here too, because a record read back is a boundary.
 */
import * as v from 'valibot';
import { ClientIdSchema, DashboardIdSchema, MutationIdSchema, UserIdSchema, WidgetIdSchema } from '../protocol/ids.ts';
import { MutationSchema, WidgetPatchSchema, ItemPatchSchema } from '../protocol/mutation.ts';
import { ChangeSchema, RejectCodeSchema } from '../protocol/result.ts';
import { UserSchema } from '../protocol/frames.ts';
import { WidgetSchema } from '../protocol/widget.ts';

export const BROADCAST_CHANNEL = 'fieldboard';
/** Background Sync tag: drain the outbox (registered by the SW after a failed push). */
export const OUTBOX_SYNC_TAG = 'fieldboard-outbox';
/** Periodic Background Sync tag: refresh the watched dashboards' replicas (registered by the page). */
export const REFRESH_SYNC_TAG = 'fieldboard-refresh';
export const KEEPALIVE_MS = 15_000;

export const POLICIES = ['manual', 'remote-wins', 'local-wins'] as const;
export const ConflictPolicySchema = v.picklist(POLICIES);
export type ConflictPolicy = v.InferOutput<typeof ConflictPolicySchema>;

/**
 * The connection, as one union (never a bag of booleans):
 *
 *   signed-out <-- 401 -- any
 *   idle -> connecting -> open -> caught-up
 *                 |        |         |
 *                 v        v         v
 *               backoff (retryAt) <--+   offline (browser reports no network; left on `online`)
 */
export const ConnectionStateSchema = v.variant('kind', [
  v.object({ kind: v.literal('idle') }),
  v.object({ kind: v.literal('connecting'), attempt: v.number() }),
  v.object({ kind: v.literal('open'), since: v.number() }),
  v.object({ kind: v.literal('caught-up'), since: v.number(), lastSyncedAt: v.number() }),
  v.object({
    kind: v.literal('backoff'),
    attempt: v.number(),
    retryAt: v.number(),
    lastError: v.string(),
    lastSyncedAt: v.nullable(v.number()),
  }),
  v.object({ kind: v.literal('offline'), lastSyncedAt: v.nullable(v.number()) }),
  v.object({ kind: v.literal('signed-out') }),
]);
export type ConnectionState = v.InferOutput<typeof ConnectionStateSchema>;

export const OUTBOX_STATES = ['queued', 'sending', 'conflict', 'failed'] as const;
export const OutboxEntrySchema = v.object({
  mutation: MutationSchema,
  /** Whose change this is: only the signed-in user's entries are drained, shown or replayed. */
  userId: UserIdSchema,
  state: v.picklist(OUTBOX_STATES),
  /** Order of the outbox (assigned by the SW; one client's mutations apply in this order). */
  order: v.number(),
  attempts: v.number(),
  nextAttemptAt: v.number(),
  lastError: v.nullable(v.string()),
  /**
   * The confirmed widget as it was when the mutation was queued (conflictable and widget-targeting
   * mutations only, when the replica had it): the `base` of a later conflict, and what "Restore with my
   * changes" rebuilds from once the server has deleted the widget.
   */
  base: v.optional(v.nullable(WidgetSchema)),
  /** Set while parked in conflict. `base` is the widget as the mutation's author saw it (if known). */
  conflict: v.optional(
    v.object({
      fields: v.array(v.string()),
      base: v.nullable(WidgetSchema),
      server: v.nullable(WidgetSchema),
    }),
  ),
});
export type OutboxEntry = v.InferOutput<typeof OutboxEntrySchema>;

export const ConflictResolutionSchema = v.variant('keep', [
  /** Drop every parked mutation of that widget; the view becomes the server's. */
  v.object({ keep: v.literal('theirs') }),
  /**
   * Re-issue the local values (optionally edited) as a new mutation on the server's version: the version
   * of "theirs" the person saw (`seenVersion`, when the card said), so a change that lands while they read
   * the card is a new conflict, not overwritten.
   */
  v.object({
    keep: v.literal('mine'),
    patch: v.optional(WidgetPatchSchema),
    itemPatch: v.optional(ItemPatchSchema),
    seenVersion: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  }),
  /** The other side deleted the widget: create a new widget carrying the local values. */
  v.object({ keep: v.literal('restore') }),
]);
export type ConflictResolution = v.InferOutput<typeof ConflictResolutionSchema>;

const RequestId = v.pipe(v.string(), v.minLength(1), v.maxLength(100));

/**
 * Where a `mutate` sits in its tab's own numbering (docs/service-worker.md, "A click survives a worker that
 * stops before answering"): `n` counts the tab's mutations from 1 and never repeats; `waiting` lists the
 * earlier ones the tab has no answer for yet. A tab posts a mutation again, with the same `n`, when no answer
 * comes; the worker takes each `n` once and never one before an earlier mutation it is still owed.
 */
export const MutateFromSchema = v.object({
  tab: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  n: v.pipe(v.number(), v.integer(), v.minValue(1)),
  waiting: v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1))), v.maxLength(1000)),
});
export type MutateFrom = v.InferOutput<typeof MutateFromSchema>;

// Tab -> SW.
export const TabCommandSchema = v.variant('type', [
  v.object({ type: v.literal('keepalive') }),
  /** The browser's `online`/`offline` events and visibility, relayed (the SW gets none of them). */
  v.object({ type: v.literal('network'), online: v.boolean() }),
  v.object({ type: v.literal('visible') }),
  /** The tab signed in (online) or restored a cached identity: the SW adopts it and connects. */
  v.object({ type: v.literal('identity'), requestId: RequestId, user: v.nullable(UserSchema) }),
  /** Dashboards this tab shows: the SW keeps them subscribed while any tab wants them. */
  v.object({ type: v.literal('watch'), dashboardIds: v.array(DashboardIdSchema) }),
  /**
   * `base`: the confirmed widget the edit began from (its version is the mutation's `baseVersion`; see
   * edit-base.ts), so a later conflict can be merged three ways. Absent for edits that cannot conflict.
   */
  v.object({
    type: v.literal('mutate'),
    requestId: RequestId,
    mutation: MutationSchema,
    base: v.optional(v.nullable(WidgetSchema)),
    from: v.optional(MutateFromSchema),
  }),
  v.object({ type: v.literal('retry'), requestId: RequestId }),
  v.object({ type: v.literal('discard'), requestId: RequestId, mutationId: MutationIdSchema }),
  v.object({
    type: v.literal('resolve'),
    requestId: RequestId,
    dashboardId: DashboardIdSchema,
    widgetId: WidgetIdSchema,
    resolution: ConflictResolutionSchema,
  }),
  v.object({ type: v.literal('set-policy'), requestId: RequestId, policy: ConflictPolicySchema }),
  /** Sign out: `discard` drops this user's unsynced mutations, otherwise they wait for the next sign-in. */
  v.object({ type: v.literal('sign-out'), requestId: RequestId, discard: v.boolean() }),
  v.object({ type: v.literal('get-state'), requestId: RequestId }),
  /** workbox-window's `messageSkipWaiting()`: the person accepted "Update available". */
  v.object({ type: v.literal('SKIP_WAITING') }),
]);
export type TabCommand = v.InferOutput<typeof TabCommandSchema>;

// SW -> tabs (BroadcastChannel).
const seqd = { seq: v.number(), swInstance: v.string() };
export const ActivityEntrySchema = v.object({
  at: v.number(),
  dashboardId: DashboardIdSchema,
  widgetId: WidgetIdSchema,
  kind: v.picklist(['rejected', 'auto-resolved', 'resolved', 'merged']),
  message: v.string(),
  code: v.optional(RejectCodeSchema),
  /** The outbox mutations this entry settled (a merge or a policy may settle several conflicts at once). */
  mutationIds: v.optional(v.array(MutationIdSchema)),
});
export type ActivityEntry = v.InferOutput<typeof ActivityEntrySchema>;

export const SwBroadcastSchema = v.variant('type', [
  v.object({ ...seqd, type: v.literal('status'), connection: ConnectionStateSchema, clientId: ClientIdSchema }),
  /** The confirmed replica of a dashboard moved (changes applied, or a reset replaced it). */
  v.object({
    ...seqd,
    type: v.literal('replica'),
    dashboardId: DashboardIdSchema,
    changes: v.array(ChangeSchema),
    reset: v.boolean(),
    cursor: v.number(),
  }),
  /**
   * The signed-in user's outbox as it changed (docs/service-worker.md, "Outbox broadcasts are deltas"):
   * `upserted` are entries added or changed (whole), `removed` the ids of entries that left. `gen` is the
   * outbox generation (`outboxGen`, contract/local-db/outbox.ts) after the change and `from` the one it was
   * computed on; `from: null` means `upserted` is the whole outbox (a worker's first, and after the user
   * changes). A tab applies a delta only on a copy whose generation lies in [from, gen], else it re-reads.
   */
  v.object({
    ...seqd,
    type: v.literal('outbox'),
    from: v.nullable(v.number()),
    gen: v.number(),
    upserted: v.array(OutboxEntrySchema),
    removed: v.array(MutationIdSchema),
  }),
  /** Something the person must be told: a rejected mutation rolled back, a conflict resolved by policy. */
  v.object({ ...seqd, type: v.literal('activity'), entry: ActivityEntrySchema }),
  v.object({ ...seqd, type: v.literal('identity'), user: v.nullable(UserSchema) }),
]);
export type SwBroadcast = v.InferOutput<typeof SwBroadcastSchema>;
