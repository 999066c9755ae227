/** The inverse mutations of the undo toast (src/state/undo.ts), checked through the shared mutators. */
import { describe, expect, it } from 'vitest';
import { applyOptimistic, type ChecklistWidget, type ItemId, type Mutation, type MutationInput, type Widget, type WidgetId } from '../../../protocol/index.ts';
import type { OutboxEntry } from '../../../contract/tab-messages.ts';
import { readdItem, recreateWidget, requeue } from '../../../src/state/undo.ts';

const base = { position: 'a1', version: 7, updatedAt: 5, updatedBy: null };
const widgets: Widget[] = [
  { ...base, id: 'w_c' as WidgetId, kind: 'counter', title: 'Pumps', value: 42 },
  { ...base, id: 'w_n' as WidgetId, kind: 'note', title: 'Notes', text: 'Pump 2 noisy' },
  { ...base, id: 'w_l' as WidgetId, kind: 'checklist', title: 'Checks', items: [{ id: 'i1' as ItemId, text: 'Oil', done: true }] },
  { ...base, id: 'w_m' as WidgetId, kind: 'metric', title: 'Flow', metricKey: 'flow', value: 3, at: 4, series: [{ at: 4, value: 3 }] },
];
const ctx = { userId: 'u_me' as never, now: 10 };
const asMutation = (input: MutationInput): Mutation =>
  ({ ...input, id: 'm_x', clientId: 'c_x', dashboardId: 'd_x', baseVersion: 0, createdAt: 1 }) as Mutation;

describe('recreateWidget', () => {
  it.each(widgets.map((w) => [w.kind, w] as const))('brings a %s back with its title, position and content under the new id', (_, w) => {
    const back = applyOptimistic(null, asMutation(recreateWidget(w, 'w_new' as WidgetId)), ctx);
    const { version: _v, updatedAt: _u, updatedBy: _b, ...expected } = w;
    const content = w.kind === 'metric' ? { ...expected, value: null, at: null, series: [] } : expected;
    expect(back).toMatchObject({ ...content, id: 'w_new', version: 1 });
  });
});

describe('readdItem', () => {
  const list: ChecklistWidget = {
    ...base,
    id: 'w_l' as WidgetId,
    kind: 'checklist',
    title: 'Checks',
    items: ['a', 'b', 'c'].map((t, i) => ({ id: `i${t}` as ItemId, text: t, done: i === 1 })),
  };
  const removeThenUndo = (itemId: string) => {
    const removed = applyOptimistic(list, asMutation({ name: 'checklist.remove', args: { widgetId: list.id, itemId: itemId as ItemId } }), ctx);
    return applyOptimistic(removed, asMutation(readdItem(list, itemId as ItemId, 'inew' as ItemId)!), ctx) as ChecklistWidget;
  };
  it('puts each item back in its place, with its text and tick, under the new id', () => {
    for (const [i, item] of list.items.entries()) {
      const back = removeThenUndo(item.id);
      expect(back.items.map((x) => x.text)).toEqual(['a', 'b', 'c']);
      expect(back.items[i]).toEqual({ id: 'inew', text: item.text, done: item.done });
    }
  });
  it('is null for an item the checklist does not have', () => {
    expect(readdItem(list, 'nope' as ItemId, 'inew' as ItemId)).toBeNull();
  });
});

describe('requeue', () => {
  it('is the same change on the same base, with the widget the edit began from when known', () => {
    const seen = widgets[1];
    const e = {
      mutation: { ...asMutation({ name: 'widget.set', args: { widgetId: seen.id, patch: { text: 'x' } } }), baseVersion: 7 },
      base: seen,
    } as unknown as OutboxEntry;
    expect(requeue(e)).toEqual({ dashboardId: 'd_x', input: { name: 'widget.set', args: { widgetId: seen.id, patch: { text: 'x' } } }, baseVersion: 7, seen });
  });
});
