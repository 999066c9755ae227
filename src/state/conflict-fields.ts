/**
 * Reading conflict field paths (`title`, `text`, `value`, `metricKey`, `items.<itemId>.<field>`) out of
 * widgets, to show base / mine / theirs side by side, and building the edited resolution back.
 */
import { applyOptimistic, type ItemPatch, type Widget, type WidgetPatch } from '../../protocol/index.ts';
import { type ConflictResolution, type OutboxEntry } from '../../contract/index.ts';

export type FieldValue = string | number | boolean | null | undefined;

export function parsePath(path: string): { itemId: string; field: 'text' | 'done' } | { field: keyof WidgetPatch } {
  const m = /^items\.(.+)\.(text|done)$/.exec(path);
  if (m) return { itemId: m[1], field: m[2] as 'text' | 'done' };
  return { field: path as keyof WidgetPatch };
}

export function readField(w: Widget | null, path: string): FieldValue {
  if (!w) return undefined;
  const p = parsePath(path);
  if ('itemId' in p) {
    if (w.kind !== 'checklist') return undefined;
    return w.items.find((i) => i.id === p.itemId)?.[p.field];
  }
  return (w as Record<string, unknown>)[p.field] as FieldValue;
}

/** "Title", "Text", "'Valve check' done". */
export function fieldLabel(path: string, w: Widget | null): string {
  const p = parsePath(path);
  if ('itemId' in p) {
    const text = w?.kind === 'checklist' ? w.items.find((i) => i.id === p.itemId)?.text : undefined;
    return `${text ? `‘${text}’` : 'Item'} ${p.field}`;
  }
  return { title: 'Title', value: 'Value', text: 'Text', metricKey: 'Metric key' }[p.field] ?? p.field;
}

export function showValue(v: FieldValue): string {
  if (v === undefined || v === null) return '(none)';
  if (typeof v === 'boolean') return v ? 'done' : 'not done';
  if (v === '') return '(empty)';
  return String(v);
}

/**
 * What the person's side looks like: their widget's base (or, unknown, the server's copy) with every one of
 * their outbox entries for that widget replayed, in order.
 */
export function mineOf(entries: OutboxEntry[], first: OutboxEntry): Widget | null {
  let w = first.conflict?.base ?? first.conflict?.server ?? null;
  const id = first.mutation.args.widgetId;
  for (const e of entries) {
    if (e.mutation.args.widgetId !== id || e.mutation.dashboardId !== first.mutation.dashboardId) continue;
    w = applyOptimistic(w, e.mutation, { userId: e.userId, now: e.mutation.createdAt });
  }
  return w;
}

/** Edited values (as typed) back into a `keep: 'mine'` resolution with typed fields. */
export function editedResolution(edits: Record<string, string | boolean>): ConflictResolution {
  const patch: Record<string, unknown> = {};
  const itemPatch: Record<string, unknown> = {};
  for (const [path, raw] of Object.entries(edits)) {
    const p = parsePath(path);
    if ('itemId' in p) itemPatch[p.field] = raw;
    else patch[p.field] = p.field === 'value' ? Number(raw) : raw;
  }
  const r: ConflictResolution = { keep: 'mine' };
  if (Object.keys(patch).length) r.patch = patch as WidgetPatch;
  if (Object.keys(itemPatch).length) r.itemPatch = itemPatch as ItemPatch;
  return r;
}
