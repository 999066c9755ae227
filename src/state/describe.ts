/**
 * Mutations and changes in words, for the Pending view and the Activity list. Titles come from the best
 * widget the caller knows (optimistic view, confirmed replica, or a conflict's base), since a mutation only
 * carries ids.
 */
import { assertNever, type Change, type Mutation, type UserId, type Widget, type WidgetKind } from '../../protocol/index.ts';

const KIND: Record<WidgetKind, string> = { counter: 'Counter', note: 'Note', checklist: 'Checklist', metric: 'Metric' };
const q = (s: string) => `'${s}'`;
const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);

function itemText(w: Widget | null, itemId: string): string | null {
  return w?.kind === 'checklist' ? (w.items.find((i) => i.id === itemId)?.text ?? null) : null;
}

/** "Counter 'Pumps' +1", "Note 'Shift notes' edited", "Checklist 'Checks': ticked 'Valve check'". */
export function describeMutation(m: Mutation, w: Widget | null): string {
  const subject = w ? `${KIND[w.kind]} ${q(w.title)}` : 'A widget';
  switch (m.name) {
    case 'widget.create':
      return `Added ${m.args.kind} ${q(m.args.title)}`;
    case 'widget.set': {
      const p = m.args.patch;
      const parts: string[] = [];
      if (p.title !== undefined) parts.push(`renamed to ${q(p.title)}`);
      if (p.value !== undefined) parts.push(`set to ${p.value}`);
      if (p.text !== undefined) parts.push('edited');
      if (p.metricKey !== undefined) parts.push(`key set to ${q(p.metricKey)}`);
      return `${subject} ${parts.join(', ')}`;
    }
    case 'widget.move':
      return `${subject} moved`;
    case 'widget.delete':
      return `${subject} deleted`;
    case 'counter.add':
      return `${subject} ${signed(m.args.delta)}`;
    case 'checklist.add':
      return `${subject}: added ${q(m.args.text)}`;
    case 'checklist.set': {
      const name = q(itemText(w, m.args.itemId) ?? 'an item');
      const p = m.args.patch;
      const parts: string[] = [];
      if (p.done !== undefined) parts.push(`${p.done ? 'ticked' : 'unticked'} ${name}`);
      if (p.text !== undefined) parts.push(`renamed ${p.done !== undefined ? 'it' : name} to ${q(p.text)}`);
      return `${subject}: ${parts.join(', ')}`;
    }
    case 'checklist.remove':
      return `${subject}: removed ${q(itemText(w, m.args.itemId) ?? 'an item')}`;
    default:
      return assertNever(m);
  }
}

/** Who made a change, as the Activity list says it (the feed carries user ids, not names). */
export function who(userId: UserId | null, me: UserId | null): string {
  if (userId === null) return 'A sensor';
  return userId === me ? 'You' : 'Someone else';
}

/**
 * One change of the feed in words, given the same widget's previous state (null when it was just created
 * or when the previous change is older than the feed window: then `known` is false).
 */
export function describeChange(prev: Widget | null, known: boolean, c: Change, me: UserId | null): string {
  const by = who(c.userId, me);
  const next = c.widget;
  if (!next) return `${by} deleted ${q(prev?.title ?? 'a widget')}`;
  if (!known) return `${by} changed ${q(next.title)}`;
  if (!prev) return `${by} added ${next.kind} ${q(next.title)}`;
  if (prev.title !== next.title) return `${by} renamed ${q(prev.title)} to ${q(next.title)}`;
  if (prev.kind === 'checklist' && next.kind === 'checklist') {
    for (const item of next.items) {
      const old = prev.items.find((i) => i.id === item.id);
      if (!old) return `${by} added ${q(item.text)} to ${q(next.title)}`;
      if (old.done !== item.done) return `${by} ${item.done ? 'ticked' : 'unticked'} ${q(item.text)}`;
      if (old.text !== item.text) return `${by} renamed ${q(old.text)} to ${q(item.text)}`;
    }
    const gone = prev.items.find((i) => !next.items.some((n) => n.id === i.id));
    if (gone) return `${by} removed ${q(gone.text)} from ${q(next.title)}`;
  }
  if (prev.kind === 'counter' && next.kind === 'counter' && prev.value !== next.value) {
    return `${by} changed ${q(next.title)} from ${prev.value} to ${next.value}`;
  }
  if (prev.kind === 'note' && next.kind === 'note' && prev.text !== next.text) return `${by} edited ${q(next.title)}`;
  if (prev.position !== next.position) return `${by} moved ${q(next.title)}`;
  return `${by} changed ${q(next.title)}`;
}

/**
 * The feed (newest first) in words: each change is compared with the next older change of the same widget
 * in the feed. Server-made changes (metric ingest) are left out: they arrive several times a second.
 */
export function describeFeed(changes: Change[], me: UserId | null): { key: string; at: number; text: string }[] {
  const out: { key: string; at: number; text: string }[] = [];
  changes.forEach((c, i) => {
    if (c.userId === null) return;
    const older = changes.slice(i + 1).find((o) => o.widgetId === c.widgetId);
    const created = older === undefined && c.version === 1;
    out.push({
      key: `${c.dashboardId}:${c.seq}`,
      at: c.at,
      text: describeChange(older?.widget ?? null, older !== undefined || created, c, me),
    });
  });
  return out;
}
