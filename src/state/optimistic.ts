/**
 * The optimistic view: confirmed widgets with every unsynced mutation of the dashboard replayed on top,
 * through the same `applyOptimistic` the server's mutators share. Nothing here is stored: a mutation that
 * leaves the outbox (applied, rejected, discarded, resolved) simply stops being replayed, so rollback is
 * free and the view can never drift from "confirmed + outbox".
 *
 * Invariants:
 * - Entries replay in outbox `order`, because one client's mutations apply in that order on the server.
 * - Entries of other users never replay (the SW should not hand them over; this is the second lock).
 * - `confirmedVersion` is the version of the confirmed widget (0 when the server has not confirmed it yet):
 *   it is the `baseVersion` of the next edit, since the optimistic version is speculative.
 */
import { computed, type ReadonlySignal } from '@preact/signals';
import { applyOptimistic, type DashboardId, type UserId, type Widget, type WidgetId } from '../../protocol/index.ts';
import { type OutboxEntry } from '../../contract/index.ts';
import { comparePositions } from './fractional-index.ts';
import type { SyncClient } from '../sync/types.ts';

export type WidgetMark = 'pending' | 'failed' | 'conflict';
const MARK_ORDER: WidgetMark[] = ['pending', 'failed', 'conflict'];

export interface ViewWidget {
  widget: Widget;
  /** Distinct marks in the order pending, failed, conflict. */
  marks: WidgetMark[];
  confirmedVersion: number;
}

export function markOf(entry: OutboxEntry): WidgetMark {
  switch (entry.state) {
    case 'queued':
    case 'sending':
      return 'pending';
    case 'failed':
      return 'failed';
    case 'conflict':
      return 'conflict';
  }
}

/** `entries` in outbox order, sorted in place only when they are not already (the page keeps them in order). */
export function inOutboxOrder(entries: OutboxEntry[]): OutboxEntry[] {
  for (let i = 1; i < entries.length; i++) if (entries[i - 1].order > entries[i].order) return entries.sort((a, b) => a.order - b.order);
  return entries;
}

/** The outbox entries of one dashboard (and user), in outbox order. */
export function entriesOf(outbox: OutboxEntry[], dashboardId: DashboardId, userId: UserId | null): OutboxEntry[] {
  return inOutboxOrder(outbox.filter((e) => e.mutation.dashboardId === dashboardId && (userId === null || e.userId === userId)));
}

/** Two widgets that show the same: the same fields, arrays (items, series) compared element by element. */
export function sameWidget(a: Widget | null, b: Widget | null): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const isObject = (o: unknown): o is object => typeof o === 'object' && o !== null;
  const sameElements = (u: unknown, v: unknown) =>
    Array.isArray(u) &&
    Array.isArray(v) &&
    u.length === v.length &&
    u.every((e, i) => e === v[i] || (isObject(e) && isObject(v[i]) && sameFields(e, v[i] as object, () => false)));
  return sameFields(a, b, sameElements);
}

/** The same own keys, each value identical or alike by `alike`. */
function sameFields(x: object, y: object, alike: (u: unknown, v: unknown) => boolean): boolean {
  const a = x as Record<string, unknown>;
  const b = y as Record<string, unknown>;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k] || alike(a[k], b[k]));
}

/** One widget's part of the view, as last built: what it was built from, and what it showed. */
interface Slot {
  confirmed: Widget | null;
  entries: OutboxEntry[];
  widget: Widget | null;
  item: ViewWidget | null;
}

const NONE: OutboxEntry[] = [];

function replay(from: Widget | null, entries: OutboxEntry[], start: number): Widget | null {
  let w = from;
  for (let i = start; i < entries.length; i++) {
    const e = entries[i];
    w = applyOptimistic(w, e.mutation, { userId: e.userId, now: e.mutation.createdAt });
  }
  return w;
}

function isPrefix(short: OutboxEntry[], long: OutboxEntry[]): boolean {
  if (short.length > long.length) return false;
  for (let i = 0; i < short.length; i++) if (short[i] !== long[i]) return false;
  return true;
}

function marksOf(entries: OutboxEntry[]): WidgetMark[] {
  if (entries.length === 0) return [];
  const set = new Set(entries.map(markOf));
  return MARK_ORDER.filter((k) => set.has(k));
}

function sameItem(p: ViewWidget, widget: Widget, marks: WidgetMark[], confirmedVersion: number): boolean {
  return p.confirmedVersion === confirmedVersion && p.marks.length === marks.length && p.marks.every((m, i) => m === marks[i]) && sameWidget(p.widget, widget);
}

/**
 * Builds the view again and again, redoing only what changed (docs/service-worker.md "Paint within a
 * frame"): a widget whose confirmed copy and outbox entries are the very objects of the last build keeps
 * its item; entries appended after the last build's (a click) replay on top of the last result instead of
 * from the confirmed copy; an item that shows the same as before (same fields, marks, confirmed version) is
 * the previous object, so its card is not rendered again; and when no item changed, the previous array is
 * answered, so nothing subscribed to the view renders at all.
 */
export class ViewBuilder {
  private slots = new Map<WidgetId, Slot>();
  private last: ViewWidget[] = [];

  build(confirmed: Widget[], outbox: OutboxEntry[], dashboardId: DashboardId, userId: UserId | null): ViewWidget[] {
    const groups = new Map<WidgetId, OutboxEntry[]>();
    for (const e of entriesOf(outbox, dashboardId, userId)) {
      const id = e.mutation.args.widgetId;
      const g = groups.get(id);
      if (g) g.push(e);
      else groups.set(id, [e]);
    }
    const confirmedById = new Map<WidgetId, Widget>();
    for (const w of confirmed) confirmedById.set(w.id, w);
    const slots = new Map<WidgetId, Slot>();
    const view: ViewWidget[] = [];
    let changed = false;
    const visit = (id: WidgetId) => {
      if (slots.has(id)) return;
      const c = confirmedById.get(id) ?? null;
      const entries = groups.get(id) ?? NONE;
      const prev = this.slots.get(id);
      let slot: Slot;
      if (prev && prev.confirmed === c && prev.entries.length === entries.length && isPrefix(prev.entries, entries)) slot = prev;
      else {
        const fromLast = prev && prev.confirmed === c && isPrefix(prev.entries, entries);
        const widget = fromLast ? replay(prev.widget, entries, prev.entries.length) : replay(c, entries, 0);
        const marks = marksOf(entries);
        const confirmedVersion = c?.version ?? 0;
        const keep = widget && prev?.item && sameItem(prev.item, widget, marks, confirmedVersion);
        slot = { confirmed: c, entries, widget, item: widget ? (keep ? prev!.item : { widget, marks, confirmedVersion }) : null };
        if (slot.item !== (prev?.item ?? null)) changed = true;
      }
      slots.set(id, slot);
      if (slot.item) view.push(slot.item);
    };
    for (const w of confirmed) visit(w.id);
    for (const id of groups.keys()) visit(id);
    const before = this.slots;
    this.slots = slots;
    if (!changed && slots.size === before.size && view.length === this.last.length) return this.last;
    view.sort((a, b) => comparePositions(a.widget.position, b.widget.position) || comparePositions(a.widget.id, b.widget.id));
    const same = view.length === this.last.length && view.every((v, i) => v === this.last[i]);
    return same ? this.last : (this.last = view);
  }
}

/** The view built once (the simulation and tests; the app keeps a `ViewBuilder`). */
export function buildView(confirmed: Widget[], outbox: OutboxEntry[], dashboardId: DashboardId, userId: UserId | null): ViewWidget[] {
  return new ViewBuilder().build(confirmed, outbox, dashboardId, userId);
}

/** The view of the selected dashboard as a computed signal: recomputed only when its inputs change. */
export function optimisticView(
  client: SyncClient,
  dashboardId: ReadonlySignal<DashboardId | null>,
): ReadonlySignal<ViewWidget[]> {
  const builders = new Map<DashboardId, ViewBuilder>();
  const empty: ViewWidget[] = [];
  return computed(() => {
    const id = dashboardId.value;
    if (!id) return empty;
    let b = builders.get(id);
    if (!b) builders.set(id, (b = new ViewBuilder()));
    return b.build(client.confirmed(id).value, client.outbox.value, id, client.user.value?.id ?? null);
  });
}
