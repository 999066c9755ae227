/**
 * The inverse of the changes a person can take back from the undo toast (issue 15): a widget delete, a
 * checklist item remove, and discarding a pending change. Each inverse is a new mutation, queued like any
 * other, so an undo works offline and reaches every device.
 *
 * A deleted widget and a removed item stay tombstones forever and their ids are never reused
 * (protocol/mutators.ts), so the inverse makes a new widget or item carrying the same content and place.
 * A metric comes back with its key and no points: the series is the ingest's, and fills again as points
 * arrive.
 */
import { baseWidgetOf } from '../../contract/edit-base.ts';
import { newItemId, type ChecklistWidget, type DashboardId, type ItemId, type MutationInput, type Widget, type WidgetId } from '../../protocol/index.ts';
import { createWithContent } from './create-widget.ts';
import type { OutboxEntry } from '../../contract/index.ts';

/** A `widget.create` that brings `w` back under the new id, at its old position, with its content. */
export function recreateWidget(w: Widget, widgetId: WidgetId): MutationInput {
  return createWithContent(w, widgetId, w.position, (i) => i.id ?? newItemId());
}

/**
 * A `checklist.add` that puts item `itemId` of `w` (the checklist as it was before the remove) back in front
 * of the item that followed it, with its text and tick, under the new id. Null when `w` has no such item.
 */
export function readdItem(w: ChecklistWidget, itemId: ItemId, newId: ItemId): MutationInput | null {
  const at = w.items.findIndex((i) => i.id === itemId);
  if (at < 0) return null;
  const { text, done } = w.items[at];
  const next = w.items[at + 1];
  return { name: 'checklist.add', args: { widgetId: w.id, itemId: newId, text, done, ...(next ? { before: next.id } : {}) } };
}

export interface Requeue {
  dashboardId: DashboardId;
  input: MutationInput;
  /** The discarded change's own base, so an edit made on an old version still meets a conflict, not a win. */
  baseVersion: number;
  seen: Widget | null;
}

/** The discarded outbox entry `e` as a new mutation: the same change on the same base. */
export function requeue(e: OutboxEntry): Requeue {
  const { name, args } = e.mutation;
  return {
    dashboardId: e.mutation.dashboardId,
    // `name` and `args` come from one mutation, so they match; TypeScript cannot follow that through the union.
    input: { name, args } as MutationInput,
    baseVersion: e.mutation.baseVersion,
    seen: baseWidgetOf(e),
  };
}
