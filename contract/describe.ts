/**
 * A mutation in words: the one description the Pending view and conflict cards (src/app) and the worker's
 * activity messages (sw/outbox.ts) all use. Titles come from the best widget the caller knows (optimistic
 * view, confirmed replica, or a conflict's base), since a mutation only carries ids.
 */
import { assertNever, quote as q, type Mutation, type Widget, type WidgetKind } from '../protocol/index.ts';
import type { OutboxEntry } from './tab-messages.ts';

const KIND: Record<WidgetKind, string> = { counter: 'Counter', note: 'Note', checklist: 'Checklist', metric: 'Metric' };
export const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);

function itemText(w: Widget | null, itemId: string): string | null {
  return w?.kind === 'checklist' ? (w.items.find((i) => i.id === itemId)?.text ?? null) : null;
}

/** "Counter ‘Pumps’ +1", "Note ‘Shift notes’ edited", "Checklist ‘Checks’: ticked ‘Valve check’". */
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

/** An outbox entry in words, named after the widget this client last knew (its base, else the server's). */
export function describeEntry(entry: OutboxEntry, server: Widget | null = null): string {
  return describeMutation(entry.mutation, entry.base ?? entry.conflict?.base ?? server);
}
