/**
 * The base of an edit is what the person saw when the edit began (docs/protocol.md "Rules worth knowing").
 *
 * A `widget.set` / `checklist.set` carries `baseVersion`: the server calls the edit a conflict when another
 * client changed one of its fields after that version. So the version must be the one whose value was on
 * screen when the person started typing, not the one the replica holds when the edit is sent: a remote
 * change that lands between the two was never seen, and sending on top of it would overwrite it silently.
 *
 * What was on screen for a field is the confirmed widget, unless an unsettled local overwrite of that field
 * (a `widget.set` / `checklist.set` still in the outbox) hides it: then the person saw their own value, which
 * was made on that entry's base, and remote changes since then were not seen either. Counter adds and other
 * commutative changes replay on top of the newest replica, so they hide nothing.
 *
 * One rule for every kind and both sides: the UI captures it when an edit session starts, and the service
 * worker applies it again when it appends (so an entry the tab had not heard of yet still counts), keeping
 * the earliest base when edits coalesce.
 */
import { touchedFields } from '../protocol/mutators.ts';
import type { Mutation } from '../protocol/mutation.ts';
import type { OutboxEntry } from './tab-messages.ts';
import type { Widget } from '../protocol/widget.ts';

export interface EditBase {
  /** The `baseVersion` of the edit. */
  version: number;
  /** The confirmed widget at that version when known (the base of a three-way merge), else null. */
  widget: Widget | null;
}

/** Mutations that overwrite a field's value (the others replay on top of whatever is confirmed). */
export const overwrites = (m: Mutation): boolean => m.name === 'widget.set' || m.name === 'checklist.set';

/**
 * `confirmed`: the widget as the replica holds it (null when the server has not confirmed it yet);
 * `widgetEntries`: the widget's outbox entries of this user; `fields`: the conflict paths the edit writes
 * (`touchedFields`: `text`, `title`, `items.<itemId>.text`, ...).
 */
export function editBase(confirmed: Widget | null, widgetEntries: readonly OutboxEntry[], fields: readonly string[]): EditBase {
  return earliestBase({ version: confirmed?.version ?? 0, widget: confirmed }, widgetEntries, fields);
}

/** `start`, or the earlier base of an unsettled overwrite of one of `fields` that hides it. */
export function earliestBase(start: EditBase, widgetEntries: readonly OutboxEntry[], fields: readonly string[]): EditBase {
  let base = start;
  for (const e of widgetEntries) {
    const m = e.mutation;
    if (!overwrites(m) || m.baseVersion >= base.version) continue;
    if (!touchedFields(m).some((f) => fields.includes(f))) continue;
    base = { version: m.baseVersion, widget: baseWidgetOf(e) };
  }
  return base;
}

/** The widget an entry's edit was made on, when it is known exactly (its version is the entry's base). */
export function baseWidgetOf(e: OutboxEntry): Widget | null {
  const w = e.conflict?.base ?? e.base ?? null;
  return w && w.version === e.mutation.baseVersion ? w : null;
}
