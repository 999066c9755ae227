/**
 * How one mutation of a batch is decided, the same in every backend (docs/protocol.md "Precise rules"): a replay
 * answers the first result (an id belongs to its first sender), then the connection's client id, then
 * membership, then the shared mutators (`applyMutation`: tombstones, per-field conflicts, limits). The
 * backend supplies what it has read for the batch and how it records; an applied change is given the
 * dashboard's next seq here, so no backend can number changes differently.
 */
import {
  applyMutation,
  type Change,
  type ClientId,
  type DashboardId,
  type Mutation,
  type MutationResult,
  type WidgetId,
  type WidgetRecord,
} from '../../protocol/index.ts';
import type { PushContext } from './store.ts';

/**
 * The writer a field stamp names: the client *of this user*. A clientId is chosen by the device and anyone
 * can send it, so on its own it proved nothing: another member presenting someone's clientId made that
 * person's edits look like their own, and "the same writer never conflicts" turned a real conflict into a
 * silent overwrite. Users who share one browser profile share its clientId by design (docs/protocol.md
 * "Ids"), which is why the stamp names both instead of the clientId being refused to all but one user.
 */
export function writerOf(ctx: Pick<PushContext, 'clientId' | 'userId'>): ClientId {
  return `${ctx.clientId}@${ctx.userId}` as ClientId;
}

/**
 * Stamps written before writers named the user carry the bare clientId, which does not say whose it was. One
 * is read as this writer's only when it is provably so: it stamps the widget's latest change and that change
 * was this user's (`updatedBy`). Any other bare stamp counts as another writer's: at worst a client's own
 * edit in flight across the upgrade shows as a conflict for a person to settle, never a silent overwrite.
 * Stored records are not rewritten for it; each field sheds its bare stamp at its next change.
 */
function adoptBareStamps(record: WidgetRecord | null, ctx: PushContext, writer: ClientId): WidgetRecord | null {
  if (record === null || record.widget.updatedBy !== ctx.userId) return record;
  let stamps: WidgetRecord['stamps'] | null = null;
  for (const [field, stamp] of Object.entries(record.stamps)) {
    if (stamp.c !== ctx.clientId || stamp.v !== record.widget.version) continue;
    stamps ??= { ...record.stamps };
    stamps[field] = { ...stamp, c: writer };
  }
  return stamps === null ? record : { ...record, stamps };
}

/** A widget as the batch holds it: read once, changed in memory, written once at the end. */
export interface CachedWidget {
  dashboardId: DashboardId;
  widgetId: WidgetId;
  record: WidgetRecord | null;
  lastSeq: number;
  dirty: boolean;
}

export interface BatchState {
  /** The recorded result of a mutation id and who sent it (an earlier batch's or this one's), if any. */
  seen(id: Mutation['id']): { userId: string; result: MutationResult } | undefined;
  isMember(dashboardId: DashboardId): boolean;
  widget(dashboardId: DashboardId, widgetId: WidgetId): CachedWidget;
  /** Bumps the dashboard's head and answers the new seq. */
  nextSeq(dashboardId: DashboardId): number;
  addChange(change: Change): void;
  /** Records the result as this id's answer (the idempotency record) and returns it. */
  record(m: Mutation, result: MutationResult): MutationResult;
  /**
   * The dashboard's live widgets as the batch has them so far: read once per batch, then kept by decide
   * (a create adds one, a delete takes one; a tombstone never comes back).
   */
  liveWidgets(dashboardId: DashboardId): { n: number };
  /**
   * Characters of the dashboard's live widget records as stored (JSON): read when first asked (only for a
   * mutation that may grow a record), then kept by decide for those mutations. Other changes within the
   * same batch (a delete, a counter's digits) are not counted until the next batch reads the stored truth.
   */
  storedSize(dashboardId: DashboardId): { n: number };
}

/** Mutations whose record can grow by more than a few characters (the others are not size-checked). */
const GROWING = new Set<Mutation['name']>(['widget.create', 'widget.set', 'checklist.add', 'checklist.set']);

/** A record's size as both backends store it: its JSON text. */
function sizeOf(record: WidgetRecord | null): number {
  return record === null || record.deleted ? 0 : JSON.stringify(record).length;
}

/**
 * The answer, or `unchanged`: applied with no change of its own (deleting a deleted widget, removing a
 * removed item), to be answered with the seq of the change that made `version`, which the backend looks up.
 */
export type Decision = { result: MutationResult } | { unchanged: number };

export function decide(m: Mutation, ctx: PushContext, s: BatchState): Decision {
  const prior = s.seen(m.id);
  if (prior) {
    if (prior.userId === ctx.userId) return { result: prior.result };
    return { result: { id: m.id, status: 'rejected', code: 'forbidden', message: 'mutation id belongs to another user' } };
  }
  if (m.clientId !== ctx.clientId) {
    return { result: s.record(m, { id: m.id, status: 'rejected', code: 'invalid', message: 'clientId is not this connection\'s client' }) };
  }
  if (!s.isMember(m.dashboardId)) {
    // Not recorded: a user may send any number of these, and each record would be a row kept forever
    // (issue 14: 10,000 refused mutations stored 10,000 rows). Nothing applied, so a repeat is decided
    // again; it applies only if the sender has become a member meanwhile, which is what they asked for.
    return { result: { id: m.id, status: 'rejected', code: 'forbidden', message: `not a member of dashboard ${m.dashboardId}` } };
  }
  const w = s.widget(m.dashboardId, m.args.widgetId);
  const wasLive = w.record !== null && !w.record.deleted;
  if (m.name === 'widget.create' && w.record === null && ctx.maxWidgets !== undefined) {
    if (s.liveWidgets(m.dashboardId).n >= ctx.maxWidgets) {
      const message = `dashboard ${m.dashboardId} holds ${ctx.maxWidgets} widgets, the most allowed; delete one first`;
      return { result: s.record(m, { id: m.id, status: 'rejected', code: 'too-large', message }) };
    }
  }
  const writer = writerOf(ctx);
  const outcome = applyMutation(adoptBareStamps(w.record, ctx, writer), m, { userId: ctx.userId, now: ctx.now, clientId: writer });
  switch (outcome.kind) {
    case 'applied': {
      const growth = ctx.maxDashboardSize !== undefined && GROWING.has(m.name) ? sizeOf(outcome.record) - sizeOf(w.record) : 0;
      if (growth > 0 && s.storedSize(m.dashboardId).n + growth > ctx.maxDashboardSize!) {
        const message = `dashboard ${m.dashboardId} would pass ${ctx.maxDashboardSize} characters of stored widgets; make room first`;
        return { result: s.record(m, { id: m.id, status: 'rejected', code: 'too-large', message }) };
      }
      const seq = s.nextSeq(m.dashboardId);
      const version = outcome.record.widget.version;
      s.addChange({
        seq,
        dashboardId: m.dashboardId,
        widgetId: m.args.widgetId,
        version,
        widget: outcome.widget,
        mutationId: m.id,
        clientId: ctx.clientId,
        userId: ctx.userId,
        at: ctx.now,
      });
      w.record = outcome.record;
      w.lastSeq = seq;
      w.dirty = true;
      const isLive = !outcome.record.deleted;
      if (isLive !== wasLive) s.liveWidgets(m.dashboardId).n += isLive ? 1 : -1;
      if (growth !== 0) s.storedSize(m.dashboardId).n += growth;
      return { result: s.record(m, { id: m.id, status: 'applied', seq, version }) };
    }
    case 'unchanged':
      return { unchanged: outcome.version };
    case 'conflict':
      return { result: s.record(m, { id: m.id, status: 'conflict', fields: outcome.fields, server: outcome.server }) };
    case 'rejected':
      return { result: s.record(m, { id: m.id, status: 'rejected', code: outcome.code, message: outcome.message }) };
  }
}
