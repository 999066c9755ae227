/**
 * The best known state of a widget for naming it in words: the optimistic view, else the confirmed replica,
 * else a parked conflict's base or server copy (a widget deleted by someone else is in none of the others).
 */
import type { Widget, WidgetId } from '../../protocol/index.ts';
import type { OutboxEntry } from '../../contract/index.ts';
import type { ViewWidget } from './optimistic.ts';

export function lookupWidget(id: WidgetId, view: ViewWidget[], confirmed: Widget[], entries: OutboxEntry[]): Widget | null {
  const inView = view.find((v) => v.widget.id === id)?.widget;
  if (inView) return inView;
  const c = confirmed.find((w) => w.id === id);
  if (c) return c;
  for (const e of entries) {
    if (e.mutation.args.widgetId !== id || !e.conflict) continue;
    if (e.conflict.base) return e.conflict.base;
    if (e.conflict.server) return e.conflict.server;
  }
  return null;
}
