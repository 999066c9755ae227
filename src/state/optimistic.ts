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

/** The outbox entries of one dashboard (and user), in outbox order. */
export function entriesOf(outbox: OutboxEntry[], dashboardId: DashboardId, userId: UserId | null): OutboxEntry[] {
  return outbox
    .filter((e) => e.mutation.dashboardId === dashboardId && (userId === null || e.userId === userId))
    .sort((a, b) => a.order - b.order);
}

export function buildView(
  confirmed: Widget[],
  outbox: OutboxEntry[],
  dashboardId: DashboardId,
  userId: UserId | null,
): ViewWidget[] {
  const widgets = new Map<WidgetId, Widget | null>();
  const confirmedVersion = new Map<WidgetId, number>();
  for (const w of confirmed) {
    widgets.set(w.id, w);
    confirmedVersion.set(w.id, w.version);
  }
  const marks = new Map<WidgetId, Set<WidgetMark>>();
  for (const entry of entriesOf(outbox, dashboardId, userId)) {
    const m = entry.mutation;
    const id = m.args.widgetId;
    const next = applyOptimistic(widgets.get(id) ?? null, m, { userId: entry.userId, now: m.createdAt });
    widgets.set(id, next);
    if (!marks.has(id)) marks.set(id, new Set());
    marks.get(id)!.add(markOf(entry));
  }
  const view: ViewWidget[] = [];
  for (const [id, widget] of widgets) {
    if (!widget) continue;
    const set = marks.get(id);
    view.push({
      widget,
      marks: set ? MARK_ORDER.filter((k) => set.has(k)) : [],
      confirmedVersion: confirmedVersion.get(id) ?? 0,
    });
  }
  return view.sort(
    (a, b) => comparePositions(a.widget.position, b.widget.position) || comparePositions(a.widget.id, b.widget.id),
  );
}

/**
 * `next` with every item that shows the same as in `previous` (same widget object, marks and confirmed
 * version) replaced by the previous item, so a card whose widget did not change is not rendered again:
 * one click must not re-render the other 199 cards.
 */
export function keepUnchanged(previous: ViewWidget[], next: ViewWidget[]): ViewWidget[] {
  const before = new Map(previous.map((v) => [v.widget.id, v]));
  return next.map((v) => {
    const p = before.get(v.widget.id);
    const same =
      p && p.widget === v.widget && p.confirmedVersion === v.confirmedVersion && p.marks.length === v.marks.length && p.marks.every((m, i) => m === v.marks[i]);
    return same ? p : v;
  });
}

/** The view of the selected dashboard as a computed signal: recomputed only when its inputs change. */
export function optimisticView(
  client: SyncClient,
  dashboardId: ReadonlySignal<DashboardId | null>,
): ReadonlySignal<ViewWidget[]> {
  let previous: ViewWidget[] = [];
  return computed(() => {
    const id = dashboardId.value;
    if (!id) return (previous = []);
    return (previous = keepUnchanged(previous, buildView(client.confirmed(id).value, client.outbox.value, id, client.user.value?.id ?? null)));
  });
}
