/** Resolving a parked conflict (sw/resolve.ts): keep theirs, keep mine (optionally edited), restore. */
import { describe, expect, it } from 'vitest';
import type { ItemId, MutationId, Widget, WidgetId } from '../../../protocol/index.ts';
import type { OutboxEntry } from '../../../contract/index.ts';
import { planNoteMerge, planResolve, type ResolveDeps } from '../../../sw/resolve.ts';
import { CLIENT, WA, counterWidget, entry, mk, noteWidget } from './helpers.ts';

function deps(): ResolveDeps {
  let n = 0;
  return {
    now: 9_000,
    clientId: CLIENT,
    newMutationId: () => `m_new${++n}` as MutationId,
    newWidgetId: () => 'w_restored' as WidgetId,
    newItemId: () => 'newitem' as ItemId,
  };
}

const parkedOn = (e: OutboxEntry, server: Widget | null, fields = ['title']): OutboxEntry => ({
  ...e,
  state: 'conflict',
  attempts: 1,
  conflict: { fields, base: e.base ?? null, server },
});

describe('planResolve', () => {
  const base = noteWidget(WA, 2, 'base text', 'Base');
  const server = noteWidget(WA, 5, 'their text', 'Theirs');

  it('refuses when the widget has no parked entry', () => {
    expect(planResolve([entry(mk.set(WA, { title: 'x' }))], { keep: 'theirs' }, server, deps())).toEqual({
      error: 'there is no conflict on this widget',
    });
  });

  it('theirs drops the parked entries only; later queued edits stay', () => {
    const p = parkedOn(entry(mk.set(WA, { title: 'Mine' }), { order: 1, base }), server);
    const later = entry(mk.move(WA, 'z0'), { order: 2 });
    expect(planResolve([p, later], { keep: 'theirs' }, server, deps())).toEqual({ remove: [p.mutation.id], put: [] });
  });

  it('mine re-issues each parked entry as a new mutation on the server version, in the same place', () => {
    const p = parkedOn(entry(mk.set(WA, { title: 'Mine' }, { baseVersion: 2 }), { order: 4, base }), server);
    const plan = planResolve([p], { keep: 'mine' }, server, deps());
    if ('error' in plan) throw new Error(plan.error);
    expect(plan.remove).toEqual([p.mutation.id]);
    expect(plan.put).toEqual([
      {
        mutation: { ...p.mutation, id: 'm_new1', baseVersion: 5, createdAt: 9_000, clientId: CLIENT },
        userId: p.userId,
        state: 'queued',
        order: 4,
        attempts: 0,
        nextAttemptAt: 0,
        lastError: null,
        base: server,
      },
    ]);
  });

  it('mine with an edited patch sends that patch once instead of every parked edit', () => {
    const p1 = parkedOn(entry(mk.set(WA, { title: 'A' }), { order: 1, base }), server);
    const p2 = parkedOn(entry(mk.set(WA, { title: 'B' }), { order: 2, base }), server);
    const plan = planResolve([p1, p2], { keep: 'mine', patch: { title: 'Merged' } }, server, deps());
    if ('error' in plan) throw new Error(plan.error);
    expect(plan.remove).toEqual([p1.mutation.id, p2.mutation.id]);
    expect(plan.put.map((e) => e.mutation.args)).toEqual([{ widgetId: WA, patch: { title: 'Merged' } }]);
  });

  it('mine is refused when the other side deleted the widget', () => {
    const p = parkedOn(entry(mk.set(WA, { title: 'Mine' }), { base }), null);
    expect(planResolve([p], { keep: 'mine' }, null, deps())).toEqual({ error: 'the widget was deleted: restore it or discard your changes' });
  });

  it('mine on a checklist item removed elsewhere brings it back as a new item with my text', () => {
    const cl: Widget = { id: WA, kind: 'checklist', title: 'C', position: 'a0', version: 2, updatedAt: 1, updatedBy: null, items: [{ id: 'i1' as ItemId, text: 'old', done: false }] };
    const theirs: Widget = { ...cl, version: 3, items: [] };
    const p = parkedOn(entry(mk.itemSet(WA, 'i1', { done: true }), { base: cl }), theirs, ['items.i1.done']);
    const plan = planResolve([p], { keep: 'mine' }, theirs, deps());
    if ('error' in plan) throw new Error(plan.error);
    expect(plan.put.map((e) => [e.mutation.name, e.mutation.args])).toEqual([['checklist.add', { widgetId: WA, itemId: 'newitem', text: 'old' }]]);
  });

  it('restore creates a new widget with the local values (base plus every queued change) and drops the widget\'s entries', () => {
    const b = counterWidget(WA, 3, 10, 'Pumps');
    const p = parkedOn(entry(mk.set(WA, { title: 'Pumps 2' }), { order: 1, base: b }), null);
    const add = entry(mk.add(WA, 5), { order: 2, base: b });
    const plan = planResolve([p, add], { keep: 'restore' }, null, deps());
    if ('error' in plan) throw new Error(plan.error);
    expect(plan.remove).toEqual([p.mutation.id, add.mutation.id]);
    expect(plan.put).toHaveLength(1);
    expect(plan.put[0]).toMatchObject({ order: 1, state: 'queued', attempts: 0 });
    expect(plan.put[0].mutation).toMatchObject({
      name: 'widget.create',
      baseVersion: 0,
      args: { widgetId: 'w_restored', kind: 'counter', title: 'Pumps 2', position: 'a0', value: 15 },
    });
  });

  it('restore after my own delete brings nothing back', () => {
    const b = counterWidget(WA, 3);
    const p = parkedOn(entry(mk.set(WA, { title: 'x' }), { order: 1, base: b }), null);
    const del = entry(mk.del(WA), { order: 2, base: b });
    expect(planResolve([p, del], { keep: 'restore' }, null, deps())).toEqual({ remove: [p.mutation.id, del.mutation.id], put: [] });
  });

  it('restore with nothing known of the widget is refused', () => {
    const p = parkedOn(entry(mk.set(WA, { title: 'x' })), null);
    expect(planResolve([p], { keep: 'restore' }, null, deps())).toEqual({ error: 'nothing is known of this widget to restore' });
  });
});

describe('planNoteMerge', () => {
  const seen = noteWidget(WA, 2, 'Pump 2 is noisy.', 'Shift notes');
  const server = noteWidget(WA, 3, 'Pump 2 is noisy. Check the bearing.', 'Shift notes');
  const mineOn = (text: string, over: Partial<OutboxEntry> = {}) => entry(mk.set(WA, { text }, { baseVersion: 2 }), { base: seen, ...over });

  it('merges edits that do not overlap into one new mutation on the server version, replacing the whole text chain', () => {
    const p = mineOn('Pump 3 is noisy.', { order: 1 });
    const typedOn = mineOn('Pump 3 is very noisy.', { order: 2 });
    const plan = planNoteMerge(p, [typedOn], ['text'], server, deps());
    expect(plan?.remove).toEqual([p.mutation.id, typedOn.mutation.id]);
    expect(plan?.put).toHaveLength(1);
    expect(plan?.put[0]).toMatchObject({ state: 'queued', order: 1, attempts: 0, base: server });
    expect(plan?.put[0].mutation).toMatchObject({
      name: 'widget.set',
      baseVersion: 3,
      args: { widgetId: WA, patch: { text: 'Pump 3 is very noisy. Check the bearing.' } },
    });
  });

  it('nothing to send when the other side already has my words', () => {
    const plan = planNoteMerge(mineOn('Pump 2 is noisy. Check the bearing.'), [], ['text'], server, deps());
    expect(plan).toMatchObject({ put: [], title: 'Shift notes' });
  });

  it('leaves overlapping edits, other fields, unknown bases and deleted notes to a person', () => {
    expect(planNoteMerge(mineOn('Pump 2 is noisy. Call Ana.'), [], ['text'], server, deps())).toBeNull();
    expect(planNoteMerge(mineOn('x'), [], ['title'], server, deps())).toBeNull();
    expect(planNoteMerge(mineOn('Pump 3 is noisy.', { base: noteWidget(WA, 1, 'older') }), [], ['text'], server, deps())).toBeNull();
    expect(planNoteMerge(mineOn('Pump 3 is noisy.'), [], ['text'], null, deps())).toBeNull();
    const both = entry(mk.set(WA, { text: 'Pump 3 is noisy.', title: 'T' }, { baseVersion: 2 }), { base: seen });
    expect(planNoteMerge(both, [], ['text'], server, deps())).toBeNull();
  });
});
