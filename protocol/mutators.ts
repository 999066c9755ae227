/**
 * The mutators, written once. The server runs `applyMutation` authoritatively (with conflict detection and
 * per-field stamps); the UI runs `applyOptimistic` speculatively over confirmed state. Both go through
 * `transform`, so the optimistic view and the server can only disagree where the server saw a conflict or a
 * rejection.
 *
 * Invariants:
 * - A widget's version starts at 1 and every applied change adds exactly 1; nothing else changes it.
 * - `stamps[field]` is the version and client of the field's last change, and the version of the last
 *   change by any other client; a `widget.set` / `checklist.set` conflicts iff another client changed a
 *   patched field after `baseVersion` (the server's own changes have client null and count as another
 *   client). Not only the last change counts: a client that merged another's words and then sends an edit
 *   made before it saw them must conflict, not overwrite them under its own name.
 * - A deleted widget stays as a tombstone forever: its id is never reused.
 */
import type { ClientId, UserId } from './ids.ts';
import { LIMITS } from './limits.ts';
import type { Mutation, MutationOf } from './mutation.ts';
import type { RejectCode } from './result.ts';
import type { ChecklistItem, MetricWidget, Widget } from './widget.ts';

export interface FieldStamp {
  v: number;
  c: ClientId | null;
  /** The version of the field's last change by a client other than `c` (absent: none known). */
  o?: number;
}

/** The stamp of a change of a field by `client` at `version`, after `prev`. */
function stampAfter(prev: FieldStamp | undefined, version: number, client: ClientId | null): FieldStamp {
  const other = prev === undefined ? undefined : prev.c !== client ? prev.v : prev.o;
  return other === undefined ? { v: version, c: client } : { v: version, c: client, o: other };
}

/** Did a client other than `client` change the field after `baseVersion`? */
function changedByOther(s: FieldStamp | undefined, baseVersion: number, client: ClientId): boolean {
  if (s === undefined) return false;
  return s.c !== client ? s.v > baseVersion : (s.o ?? 0) > baseVersion;
}

export interface WidgetRecord {
  /** The live widget, or for a tombstone the last state with the deletion's version. */
  widget: Widget;
  deleted: boolean;
  /** Field path (`title`, `value`, `items.<itemId>.done`, …) -> its last change. */
  stamps: Record<string, FieldStamp>;
  /** Removed checklist item id -> version of the removal. */
  removedItems: Record<string, number>;
}

export interface ApplyContext {
  userId: UserId;
  now: number;
}

export type ApplyOutcome =
  | { kind: 'applied'; record: WidgetRecord; widget: Widget | null }
  /** Applied with no new change (deleting a deleted widget, removing a removed item). */
  | { kind: 'unchanged'; version: number }
  | { kind: 'conflict'; fields: string[]; server: Widget | null }
  | { kind: 'rejected'; code: RejectCode; message: string };

type Transformed = { ok: true; widget: Widget | null } | { ok: false; code: RejectCode; message: string };

const invalid = (message: string): Transformed => ({ ok: false, code: 'invalid', message });

/** The fields a mutation writes, as conflict paths. */
export function touchedFields(m: Mutation): string[] {
  switch (m.name) {
    case 'widget.create':
    case 'widget.delete':
      return [];
    case 'widget.set':
      return Object.keys(m.args.patch);
    case 'widget.move':
      return ['position'];
    case 'counter.add':
      return ['value'];
    case 'checklist.add':
    case 'checklist.remove':
      return [`items.${m.args.itemId}`];
    case 'checklist.set':
      return Object.keys(m.args.patch).map((f) => `items.${m.args.itemId}.${f}`);
    default:
      return assertNever(m);
  }
}

function createWidget(m: MutationOf<'widget.create'>, ctx: ApplyContext): Transformed {
  const a = m.args;
  const base = { id: a.widgetId, title: a.title, position: a.position, version: 1, updatedAt: ctx.now, updatedBy: ctx.userId };
  const foreign = (['value', 'text', 'items', 'metricKey'] as const).filter((f) => a[f] !== undefined);
  const allowed: Record<Widget['kind'], string[]> = {
    counter: ['value'],
    note: ['text'],
    checklist: ['items'],
    metric: ['metricKey'],
  };
  const wrong = foreign.filter((f) => !allowed[a.kind].includes(f));
  if (wrong.length) return invalid(`${wrong.join(', ')} is not a field of a ${a.kind}`);
  switch (a.kind) {
    case 'counter':
      return { ok: true, widget: { ...base, kind: 'counter', value: a.value ?? 0 } };
    case 'note':
      return { ok: true, widget: { ...base, kind: 'note', text: a.text ?? '' } };
    case 'checklist': {
      const items = a.items ?? [];
      if (new Set(items.map((i) => i.id)).size !== items.length) return invalid('checklist item ids repeat');
      return { ok: true, widget: { ...base, kind: 'checklist', items: items.map((i) => ({ ...i })) } };
    }
    case 'metric':
      if (a.metricKey === undefined) return invalid('a metric widget needs a metricKey');
      return { ok: true, widget: { ...base, kind: 'metric', metricKey: a.metricKey, value: null, at: null, series: [] } };
    default:
      return assertNever(a.kind);
  }
}

/**
 * The pure effect of a mutation on a live widget (or on nothing, for `widget.create`), with no conflict
 * check. Returns the new widget (null when deleted) with version + 1.
 */
export function transform(widget: Widget | null, m: Mutation, ctx: ApplyContext): Transformed {
  if (m.name === 'widget.create') {
    if (widget) return invalid('widget id is in use');
    return createWidget(m, ctx);
  }
  if (!widget) return { ok: false, code: 'not-found', message: `no widget ${m.args.widgetId}` };
  const stamp = { version: widget.version + 1, updatedAt: ctx.now, updatedBy: ctx.userId };
  switch (m.name) {
    case 'widget.set': {
      const p = m.args.patch;
      const kindField = { counter: 'value', note: 'text', checklist: null, metric: 'metricKey' }[widget.kind];
      const bad = Object.keys(p).filter((f) => f !== 'title' && f !== kindField);
      if (bad.length) return invalid(`${bad.join(', ')} is not a field of a ${widget.kind}`);
      return { ok: true, widget: { ...widget, ...p, ...stamp } as Widget };
    }
    case 'widget.move':
      return { ok: true, widget: { ...widget, position: m.args.position, ...stamp } };
    case 'widget.delete':
      return { ok: true, widget: null };
    case 'counter.add': {
      if (widget.kind !== 'counter') return invalid(`counter.add on a ${widget.kind}`);
      const value = widget.value + m.args.delta;
      if (!Number.isFinite(value)) return invalid('counter value would not be a finite number');
      return { ok: true, widget: { ...widget, value, ...stamp } };
    }
    case 'checklist.add':
    case 'checklist.set':
    case 'checklist.remove': {
      if (widget.kind !== 'checklist') return invalid(`${m.name} on a ${widget.kind}`);
      const items = transformItems(widget.items, m);
      if (!Array.isArray(items)) return items;
      return { ok: true, widget: { ...widget, items, ...stamp } };
    }
    default:
      return assertNever(m);
  }
}

function transformItems(
  items: ChecklistItem[],
  m: MutationOf<'checklist.add' | 'checklist.set' | 'checklist.remove'>,
): ChecklistItem[] | Extract<Transformed, { ok: false }> {
  const { itemId } = m.args;
  const index = items.findIndex((i) => i.id === itemId);
  if (m.name === 'checklist.add') {
    if (index >= 0) return { ok: false, code: 'invalid', message: `item id ${itemId} is in use` };
    if (items.length >= LIMITS.maxChecklistItems) return { ok: false, code: 'too-large', message: 'over 500 checklist items' };
    const added = { id: itemId, text: m.args.text, done: m.args.done ?? false };
    const at = m.args.before === undefined ? -1 : items.findIndex((i) => i.id === m.args.before);
    return at < 0 ? [...items, added] : [...items.slice(0, at), added, ...items.slice(at)];
  }
  if (index < 0) return { ok: false, code: 'not-found', message: `no checklist item ${itemId}` };
  if (m.name === 'checklist.remove') return items.filter((i) => i.id !== itemId);
  const next = items.slice();
  next[index] = { ...items[index], ...m.args.patch };
  return next;
}

/**
 * Authoritative apply: existence, tombstones, per-field conflicts, then `transform`, then stamps.
 * `record` is what the store holds for the mutation's widget id in its dashboard (null: never existed).
 */
export function applyMutation(record: WidgetRecord | null, m: Mutation, ctx: ApplyContext & { clientId: ClientId }): ApplyOutcome {
  if (m.name === 'widget.create' && record) return { kind: 'rejected', code: 'invalid', message: 'widget id is in use' };
  if (record?.deleted) {
    if (m.name === 'widget.delete') return { kind: 'unchanged', version: record.widget.version };
    return { kind: 'conflict', fields: touchedFields(m), server: null };
  }
  if (record && (m.name === 'checklist.add' || m.name === 'checklist.set' || m.name === 'checklist.remove')) {
    // Own keys only: item ids like `valueOf` or `__proto__` are valid and must not hit Object.prototype.
    const removedAt = Object.hasOwn(record.removedItems, m.args.itemId) ? record.removedItems[m.args.itemId] : undefined;
    if (removedAt !== undefined) {
      if (m.name === 'checklist.remove') return { kind: 'unchanged', version: removedAt };
      if (m.name === 'checklist.set') return { kind: 'conflict', fields: touchedFields(m), server: record.widget };
      return { kind: 'rejected', code: 'invalid', message: `item id ${m.args.itemId} is in use` };
    }
  }
  if (record && (m.name === 'widget.set' || m.name === 'checklist.set')) {
    const fields = touchedFields(m).filter((f) => changedByOther(Object.hasOwn(record.stamps, f) ? record.stamps[f] : undefined, m.baseVersion, ctx.clientId));
    if (fields.length) return { kind: 'conflict', fields, server: record.widget };
  }
  const t = transform(record?.widget ?? null, m, ctx);
  if (!t.ok) return { kind: 'rejected', code: t.code, message: t.message };

  const version = (record?.widget.version ?? 0) + 1;
  const stamp: FieldStamp = { v: version, c: ctx.clientId };
  const restamp = (f: string) => stampAfter(Object.hasOwn(stamps, f) ? stamps[f] : undefined, version, ctx.clientId);
  if (t.widget === null) {
    const last = record!.widget;
    const tomb: WidgetRecord = {
      ...record!,
      deleted: true,
      widget: { ...last, version, updatedAt: ctx.now, updatedBy: ctx.userId },
    };
    return { kind: 'applied', record: tomb, widget: null };
  }
  const stamps = { ...(record?.stamps ?? {}) };
  const removedItems = { ...(record?.removedItems ?? {}) };
  if (m.name === 'widget.create') {
    for (const f of initialFields(t.widget)) stamps[f] = stamp;
  } else if (m.name === 'checklist.add') {
    stamps[`items.${m.args.itemId}.text`] = stamp;
    stamps[`items.${m.args.itemId}.done`] = stamp;
  } else if (m.name === 'checklist.remove') {
    // defineProperty, not assignment: assigning to `__proto__` would set the prototype, not record the removal.
    Object.defineProperty(removedItems, m.args.itemId, { value: version, enumerable: true, writable: true, configurable: true });
    delete stamps[`items.${m.args.itemId}.text`];
    delete stamps[`items.${m.args.itemId}.done`];
  } else {
    for (const f of touchedFields(m)) stamps[f] = restamp(f);
  }
  return { kind: 'applied', record: { widget: t.widget, deleted: false, stamps, removedItems }, widget: t.widget };
}

function initialFields(w: Widget): string[] {
  const kindFields = { counter: ['value'], note: ['text'], checklist: [], metric: ['metricKey'] }[w.kind];
  const items = w.kind === 'checklist' ? w.items.flatMap((i) => [`items.${i.id}.text`, `items.${i.id}.done`]) : [];
  return ['title', 'position', ...kindFields, ...items];
}

/**
 * Speculative apply for the optimistic view: what the widget will look like if the server applies `m`.
 * A mutation the server would reject leaves the widget as it was.
 */
export function applyOptimistic(widget: Widget | null, m: Mutation, ctx: ApplyContext): Widget | null {
  const t = transform(widget, m, ctx);
  return t.ok ? t.widget : widget;
}

/** A metric point fed by ingest: a change made by the server itself (client and user null). */
export function applyIngest(record: WidgetRecord, point: { value: number; at: number }): WidgetRecord | null {
  if (record.deleted || record.widget.kind !== 'metric') return null;
  const w: MetricWidget = record.widget;
  const version = w.version + 1;
  const series = [...w.series, point].slice(-LIMITS.metricSeriesLength);
  return {
    ...record,
    widget: { ...w, value: point.value, at: point.at, series, version, updatedAt: point.at, updatedBy: null },
    stamps: { ...record.stamps, value: stampAfter(record.stamps.value, version, null) },
  };
}

/** A new record for a widget as created (used by seeding and tests). */
export function recordOf(widget: Widget, clientId: ClientId | null): WidgetRecord {
  const stamp = { v: widget.version, c: clientId };
  return {
    widget,
    deleted: false,
    stamps: Object.fromEntries(initialFields(widget).map((f) => [f, stamp])),
    removedItems: {},
  };
}

export function assertNever(x: never): never {
  throw new Error(`unexpected: ${JSON.stringify(x)}`);
}
