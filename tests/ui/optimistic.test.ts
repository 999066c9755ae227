import { effect, signal } from '@preact/signals';
import { describe, expect, it } from 'vitest';
import type { DashboardId, ItemId, UserId, WidgetId } from '../../protocol/index.ts';
import { buildView, keepUnchanged, optimisticView } from '../../src/state/optimistic.ts';
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

describe('keepUnchanged (stable items for unchanged cards)', () => {
  it('keeps the previous item when widget, marks and confirmed version are the same, and only then', () => {
    const confirmed = [counter('w_1', 'A', 1, 'a0', 2), counter('w_2', 'B', 2, 'a1', 3)];
    const before = buildView(confirmed, [], DASH, USER.id);
    const pending = [entry({ name: 'counter.add', args: { widgetId: w2, delta: 1 } })];
    const after = keepUnchanged(before, buildView(confirmed, pending, DASH, USER.id));
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[1]).toMatchObject({ marks: ['pending'], confirmedVersion: 3 });
    // Same widget object, other marks: a new item (the card must show its mark).
    const failed = keepUnchanged(after, buildView(confirmed, [{ ...pending[0], state: 'failed' as const }], DASH, USER.id));
    expect(failed[0]).toBe(before[0]);
    expect(failed[1]).not.toBe(after[1]);
    // Gone widgets go; order follows the new view.
    const fewer = keepUnchanged(before, buildView([confirmed[1]], [], DASH, USER.id));
    expect(fewer).toEqual([before[1]]);
    expect(fewer[0]).toBe(before[1]);
  });
});
