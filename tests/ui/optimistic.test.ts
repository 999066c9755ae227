import { effect, signal } from '@preact/signals';
import { describe, expect, it } from 'vitest';
import type { DashboardId, ItemId, UserId, WidgetId } from '../../protocol/index.ts';
import fc from 'fast-check';
import { ViewBuilder, buildView, optimisticView, sameWidget } from '../../src/state/optimistic.ts';
import type { OutboxEntry } from '../../contract/index.ts';
import { DASH, USER, checklist, counter, entry, fakeClient, note } from './fake-client.ts';

const w1 = 'w_1' as WidgetId;
const w2 = 'w_2' as WidgetId;

describe('buildView (confirmed + outbox -> view)', () => {
  it('is the confirmed widgets sorted by position when nothing is pending', () => {
    const confirmed = [counter('w_2', 'B', 5, 'a1', 3), counter('w_1', 'A', 1, 'a0', 2)];
    const view = buildView(confirmed, [], DASH, USER.id);
    expect(view).toEqual([
      { widget: confirmed[1], marks: [], confirmedVersion: 2 },
      { widget: confirmed[0], marks: [], confirmedVersion: 3 },
    ]);
  });

  it('replays every pending entry in outbox order, whatever order the array is in', () => {
    const confirmed = [counter('w_1', 'Pumps', 10, 'a0', 4), note('w_2', 'Notes', 'x', 'a1', 7)];
    const e1 = entry({ name: 'counter.add', args: { widgetId: w1, delta: 2 } }, { createdAt: 3000 });
    const e2 = entry({ name: 'widget.set', args: { widgetId: w1, patch: { value: 100 } } });
    const e3 = entry({ name: 'counter.add', args: { widgetId: w1, delta: -1 } });
    const e4 = entry({ name: 'widget.set', args: { widgetId: w2, patch: { text: 'hello' } } }, { state: 'sending' });
    // Set-then-add in order gives 99; any other order gives something else.
    const view = buildView(confirmed, [e3, e1, e4, e2], DASH, USER.id);
    expect(view.map((v) => v.widget)).toEqual([
      { ...confirmed[0], value: 99, version: 7, updatedAt: e3.mutation.createdAt, updatedBy: USER.id },
      { ...confirmed[1], text: 'hello', version: 8, updatedAt: e4.mutation.createdAt, updatedBy: USER.id },
    ]);
    expect(view.map((v) => [v.marks, v.confirmedVersion])).toEqual([
      [['pending'], 4],
      [['pending'], 7],
    ]);
  });

  it('shows created widgets (confirmedVersion 0) and hides deleted ones, sorted by position', () => {
    const confirmed = [counter('w_1', 'A', 1, 'a1'), counter('w_2', 'B', 2, 'a2')];
    const create = entry({ name: 'widget.create', args: { widgetId: 'w_3' as WidgetId, kind: 'note', title: 'N', position: 'a0V' } });
    const del = entry({ name: 'widget.delete', args: { widgetId: w2 } });
    const view = buildView(confirmed, [create, del], DASH, USER.id);
    expect(view.map((v) => [v.widget.id, v.widget.title, v.marks, v.confirmedVersion])).toEqual([
      ['w_3', 'N', ['pending'], 0],
      ['w_1', 'A', [], 1],
    ]);
  });

  it('moves a widget by its new position', () => {
    const confirmed = [counter('w_1', 'A', 1, 'a0'), counter('w_2', 'B', 2, 'a1')];
    const move = entry({ name: 'widget.move', args: { widgetId: w2, position: '0V' } });
    expect(buildView(confirmed, [move], DASH, USER.id).map((v) => v.widget.id)).toEqual(['w_2', 'w_1']);
  });

  it('rolls back when an entry leaves the outbox (rejected, discarded or applied elsewhere)', () => {
    const confirmed = [counter('w_1', 'Pumps', 3, 'a0')];
    const add = entry({ name: 'counter.add', args: { widgetId: w1, delta: 1 } });
    const set = entry({ name: 'widget.set', args: { widgetId: w1, patch: { title: 'Pumps 2' } } });
    const with2 = buildView(confirmed, [add, set], DASH, USER.id);
    expect([with2[0].widget.kind === 'counter' && with2[0].widget.value, with2[0].widget.title]).toEqual([4, 'Pumps 2']);
    const without = buildView(confirmed, [set], DASH, USER.id);
    expect([without[0].widget.kind === 'counter' && without[0].widget.value, without[0].widget.title]).toEqual([3, 'Pumps 2']);
    expect(buildView(confirmed, [], DASH, USER.id)).toEqual([{ widget: confirmed[0], marks: [], confirmedVersion: 1 }]);
  });

  it('marks pending, failed and conflict per widget, each once and in a fixed order', () => {
    const confirmed = [
      checklist('w_1', 'Checks', [{ id: 'i1', text: 'Valve check', done: false }], 'a0'),
      counter('w_2', 'Pumps', 0, 'a1'),
      note('w_3', 'Notes', '', 'a2'),
    ];
    const tick = entry(
      { name: 'checklist.set', args: { widgetId: w1, itemId: 'i1' as ItemId, patch: { done: true } } },
      { state: 'conflict', conflict: { fields: ['items.i1.done'], base: confirmed[0], server: confirmed[0] } },
    );
    const add1 = entry({ name: 'counter.add', args: { widgetId: w2, delta: 1 } }, { state: 'failed', attempts: 3, lastError: 'HTTP 503' });
    const add2 = entry({ name: 'counter.add', args: { widgetId: w2, delta: 1 } });
    const add3 = entry({ name: 'counter.add', args: { widgetId: w2, delta: 1 } }, { state: 'sending' });
    const view = buildView(confirmed, [tick, add1, add2, add3], DASH, USER.id);
    expect(view.map((v) => v.marks)).toEqual([['conflict'], ['pending', 'failed'], []]);
    // The parked edit still shows (the person's change is not lost while they decide).
    expect(view[0].widget.kind === 'checklist' && view[0].widget.items[0].done).toBe(true);
    expect(view[1].widget.kind === 'counter' && view[1].widget.value).toBe(3);
  });

  it('ignores other dashboards and other users', () => {
    const confirmed = [counter('w_1', 'Pumps', 0, 'a0')];
    const other = entry({ name: 'counter.add', args: { widgetId: w1, delta: 5 } }, { dashboardId: 'd_other' as DashboardId });
    const foreign = { ...entry({ name: 'counter.add', args: { widgetId: w1, delta: 7 } }), userId: 'u_eve' as UserId };
    const mine = entry({ name: 'counter.add', args: { widgetId: w1, delta: 1 } });
    const view = buildView(confirmed, [other, foreign, mine], DASH, USER.id);
    expect(view[0].widget.kind === 'counter' && view[0].widget.value).toBe(1);
  });

  it('leaves the widget as it was for an entry the server would reject', () => {
    const confirmed = [note('w_1', 'Notes', 'a', 'a0')];
    const bad = entry({ name: 'counter.add', args: { widgetId: w1, delta: 1 } });
    const view = buildView(confirmed, [bad], DASH, USER.id);
    expect(view).toEqual([{ widget: confirmed[0], marks: ['pending'], confirmedVersion: 1 }]);
  });
});

describe('optimisticView (computed signal)', () => {
  it('recomputes when confirmed or outbox changes, and only then', () => {
    const client = fakeClient({ widgets: [counter('w_1', 'Pumps', 1, 'a0')] });
    const dash = signal<DashboardId | null>(DASH);
    const view = optimisticView(client, dash);
    const seen: number[] = [];
    const stop = effect(() => {
      const w = view.value[0]?.widget;
      seen.push(w?.kind === 'counter' ? w.value : -1);
    });
    client.outbox.value = [entry({ name: 'counter.add', args: { widgetId: w1, delta: 1 } })];
    client.confirmedOf(DASH).value = [counter('w_1', 'Pumps', 10, 'a0', 2)];
    client.activity.value = []; // unrelated signal: no recomputation
    client.outbox.value = [];
    dash.value = null;
    stop();
    expect(seen).toEqual([1, 2, 11, 10, -1]);
  });
});

describe('ViewBuilder (built again and again, redoing only what changed)', () => {
  it('keeps the previous item when widget, marks and confirmed version show the same, and only then', () => {
    const confirmed = [counter('w_1', 'A', 1, 'a0', 2), counter('w_2', 'B', 2, 'a1', 3)];
    const b = new ViewBuilder();
    const before = b.build(confirmed, [], DASH, USER.id);
    const pending = [entry({ name: 'counter.add', args: { widgetId: w2, delta: 1 } })];
    const after = b.build(confirmed, pending, DASH, USER.id);
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[1]).toMatchObject({ marks: ['pending'], confirmedVersion: 3 });
    // The same mutation in another object (the worker's copy replacing the tab's provisional one): the card
    // shows the same, so it keeps its item.
    const copy = b.build(confirmed, [structuredClone(pending[0])], DASH, USER.id);
    expect(copy[1]).toBe(after[1]);
    // Same widget, other marks: a new item (the card must show its mark).
    const failed = b.build(confirmed, [{ ...pending[0], state: 'failed' as const }], DASH, USER.id);
    expect(failed[0]).toBe(before[0]);
    expect(failed[1]).not.toBe(after[1]);
    // Gone widgets go; order follows the new view.
    const fewer = b.build([confirmed[1]], [], DASH, USER.id);
    expect(fewer).toEqual([before[1]]);
  });

  it('answers the previous array when nothing shows differently, so nothing subscribed renders', () => {
    const confirmed = [counter('w_1', 'A', 1, 'a0', 2)];
    const b = new ViewBuilder();
    const pending = [entry({ name: 'counter.add', args: { widgetId: w1, delta: 1 } })];
    const first = b.build(confirmed, pending, DASH, USER.id);
    expect(b.build(confirmed, [...pending], DASH, USER.id)).toBe(first);
    expect(b.build(confirmed, [{ ...pending[0], state: 'sending' as const }], DASH, USER.id)).toBe(first);
    expect(b.build(confirmed, [], DASH, USER.id)).not.toBe(first);
  });

  it('replays only the entries appended since the last build (a click costs one replay, not the whole outbox)', () => {
    const confirmed = [counter('w_1', 'A', 0, 'a0', 2)];
    const many = Array.from({ length: 1000 }, () => entry({ name: 'counter.add', args: { widgetId: w1, delta: 1 } }));
    const click = entry({ name: 'counter.add', args: { widgetId: w1, delta: 1 } });
    let reads = 0;
    const counted = many.map((e) => new Proxy(e, { get: (t, k) => (k === 'mutation' && reads++, Reflect.get(t, k)) }));
    const b2 = new ViewBuilder();
    b2.build(confirmed, counted, DASH, USER.id);
    reads = 0;
    const view = b2.build(confirmed, [...counted, click], DASH, USER.id);
    expect(view[0].widget).toMatchObject({ value: 1001 });
    // Grouping reads each entry's dashboard and widget once; no old entry is replayed (that would read it more).
    expect(reads).toBeLessThanOrEqual(2 * many.length);
    const fresh = buildView(confirmed, [...many, click], DASH, USER.id);
    expect(view).toEqual(fresh);
  });

  it('always equals the view built from scratch (any sequence of confirmed and outbox changes)', () => {
    const ids = [w1, w2, 'w_3' as WidgetId];
    const confirmedArb = fc.subarray(ids).chain((present) =>
      fc.tuple(...present.map((id, i) => fc.integer({ min: 0, max: 5 }).map((v) => counter(id, id, v, `a${i}`, 1 + v)))),
    );
    const entryArb = fc.record({
      id: fc.constantFrom(...ids),
      kind: fc.constantFrom('add', 'set', 'delete'),
      state: fc.constantFrom('queued', 'sending', 'failed', 'conflict'),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(confirmedArb, fc.array(entryArb, { maxLength: 6 }), fc.boolean()), { minLength: 1, maxLength: 8 }), (steps) => {
        const b = new ViewBuilder();
        let outbox: OutboxEntry[] = [];
        for (const [confirmed, added, keepOld] of steps) {
          const fresh = added.map(({ id, kind, state }) =>
            entry(
              kind === 'add'
                ? { name: 'counter.add', args: { widgetId: id, delta: 1 } }
                : kind === 'set'
                  ? { name: 'widget.set', args: { widgetId: id, patch: { value: 7 } } }
                  : { name: 'widget.delete', args: { widgetId: id } },
              { state: state as OutboxEntry['state'] },
            ),
          );
          outbox = keepOld ? [...outbox, ...fresh] : [...outbox.slice(1), ...fresh];
          expect(b.build(confirmed as never, outbox, DASH, USER.id)).toEqual(buildView(confirmed as never, outbox, DASH, USER.id));
        }
      }),
    );
  });

  it('sameWidget compares fields, and items element by element', () => {
    const a = checklist('w_1', 'L', [{ id: 'i_1', text: 'x', done: false }], 'a0');
    expect(sameWidget(a, structuredClone(a))).toBe(true);
    expect(sameWidget(a, { ...a, items: [{ ...(a as { items: object[] }).items[0], done: true }] } as never)).toBe(false);
    expect(sameWidget(a, { ...a, title: 'M' })).toBe(false);
    expect(sameWidget(a, null)).toBe(false);
  });
});
