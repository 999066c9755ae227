/**
 * The outbox rules of sw/outbox.ts on plain arrays: coalescing on append, which entries the next batch
 * takes (outbox order, per-widget holds), and what a push's results or a transient failure do.
 */
import { describe, expect, it } from 'vitest';
import type { ClientId, DashboardId, UserId, Widget } from '../../../protocol/index.ts';
import type { OutboxEntry } from '../../../contract/index.ts';
import {
  MAX_BATCH,
  coalesceTarget,
  planAppend,
  planSettle,
  planTransientFailure,
  selectBatch,
  type SettleContext,
} from '../../../sw/outbox.ts';
import { ALICE, BOB, WA, WB, counterWidget, entry, mk, noteWidget } from './helpers.ts';

const manual: SettleContext = {
  now: 5_000,
  policy: 'manual',
  merge: () => null,
  resolveLocal: () => {
    throw new Error('not used under manual');
  },
};

describe('coalescing on append', () => {
  it('a widget.set of the same fields replaces the last unsent one, in its place, keeping the older baseVersion', () => {
    const old = entry(mk.set(WA, { title: 'Pu' }, { baseVersion: 3 }), { order: 7, base: counterWidget(WA, 3) });
    const next = mk.set(WA, { title: 'Pumps' }, { baseVersion: 4 });
    const plan = planAppend({ widgetEntries: [old], mutation: next, userId: ALICE.id, order: 8, replica: counterWidget(WA, 4) });
    expect(plan.replaces).toBe(old.mutation.id);
    expect(plan.put.order).toBe(7);
    expect(plan.put.mutation).toEqual({ ...next, baseVersion: 3 });
    expect(plan.put.base).toEqual(counterWidget(WA, 3)); // the base the first edit was made on
    expect(plan.put.state).toBe('queued');
  });

  it('checklist.set coalesces only for the same item and the same fields', () => {
    const old = entry(mk.itemSet(WA, 'i1', { text: 'a' }));
    expect(coalesceTarget([old], mk.itemSet(WA, 'i1', { text: 'ab' }), ALICE.id)).toBe(old);
    expect(coalesceTarget([old], mk.itemSet(WA, 'i2', { text: 'ab' }), ALICE.id)).toBeNull();
    expect(coalesceTarget([old], mk.itemSet(WA, 'i1', { done: true }), ALICE.id)).toBeNull();
    expect(coalesceTarget([old], mk.itemSet(WA, 'i1', { text: 'ab', done: true }), ALICE.id)).toBeNull();
  });

  it('different fields do not coalesce (field order in the patch does not matter)', () => {
    const old = entry(mk.set(WA, { title: 'a', text: 'x' }));
    expect(coalesceTarget([old], mk.set(WA, { text: 'y', title: 'b' }), ALICE.id)).toBe(old);
    expect(coalesceTarget([old], mk.set(WA, { title: 'b' }), ALICE.id)).toBeNull();
    expect(coalesceTarget([old], mk.set(WA, { text: 'y', title: 'b', value: 1 }), ALICE.id)).toBeNull();
  });

  it('never coalesces an entry that was sent: sending, failed, or queued again after an attempt', () => {
    const states: Partial<OutboxEntry>[] = [
      { state: 'sending' },
      { state: 'failed', attempts: 1, nextAttemptAt: 9_999, lastError: 'HTTP 503 on push' },
      { state: 'queued', attempts: 2 },
    ];
    for (const over of states) {
      const old = entry(mk.set(WA, { title: 'a' }), over);
      const plan = planAppend({ widgetEntries: [old], mutation: mk.set(WA, { title: 'b' }), userId: ALICE.id, order: 2, replica: null });
      expect(plan.replaces, JSON.stringify(over)).toBeNull();
      expect(plan.put.order).toBe(2);
    }
  });

  it('typing into a field whose conflict is parked folds into the parked entry: the conflict shows the latest words', () => {
    const parked = entry(mk.set(WA, { text: 'X1 from A' }, { baseVersion: 2 }), {
      state: 'conflict',
      attempts: 1,
      base: noteWidget(WA, 2, 'X1'),
      conflict: { fields: ['text'], base: noteWidget(WA, 2, 'X1'), server: noteWidget(WA, 3, 'X1 from B') },
    });
    const more = mk.set(WA, { text: 'X1 from A more' }, { baseVersion: 4 });
    const plan = planAppend({ widgetEntries: [parked], mutation: more, userId: ALICE.id, order: 9, replica: noteWidget(WA, 4, 'X1 from B again') });
    expect(plan.replaces).toBe(parked.mutation.id);
    expect(plan.put).toMatchObject({ state: 'conflict', order: parked.order, conflict: parked.conflict, base: parked.base });
    // Still the base the words were typed on: resolving re-issues it on the server's version anyway.
    expect(plan.put.mutation).toEqual({ ...more, baseVersion: 2 });
  });

  it("an edit hidden behind an unsettled overwrite of the same field takes that overwrite's base", () => {
    // "X1 from A" went out on v2 and is in flight; the replica meanwhile got B's v3; A types on.
    const sending = entry(mk.set(WA, { text: 'X1 from A' }, { baseVersion: 2 }), { state: 'sending', attempts: 1, base: noteWidget(WA, 2, 'X1') });
    const next = mk.set(WA, { text: 'X1 from A!' }, { baseVersion: 3 });
    const plan = planAppend({ widgetEntries: [sending], mutation: next, userId: ALICE.id, order: 5, replica: noteWidget(WA, 3, 'X1 from B') });
    expect(plan.replaces).toBeNull();
    expect(plan.put.mutation.baseVersion).toBe(2);
    expect(plan.put.base).toEqual(noteWidget(WA, 2, 'X1'));
    // Another field is not hidden by it: a title edit keeps its own base.
    const title = planAppend({ widgetEntries: [sending], mutation: mk.set(WA, { title: 'T' }, { baseVersion: 3 }), userId: ALICE.id, order: 6, replica: null });
    expect(title.put.mutation.baseVersion).toBe(3);
    // Nor does a counter add hide the value it replays on.
    const add = entry(mk.add(WA, 1, { baseVersion: 1 }), { state: 'sending' });
    const set = planAppend({ widgetEntries: [add], mutation: mk.set(WA, { value: 5 }, { baseVersion: 3 }), userId: ALICE.id, order: 7, replica: null });
    expect(set.put.mutation.baseVersion).toBe(3);
  });

  it('the base widget is the one the tab says the edit began from, not a newer replica', () => {
    const seen = noteWidget(WA, 2, 'X1');
    const plan = planAppend({
      widgetEntries: [],
      mutation: mk.set(WA, { text: 'X1 from A' }, { baseVersion: 2 }),
      userId: ALICE.id,
      order: 1,
      replica: noteWidget(WA, 3, 'X1 from B'),
      seen,
    });
    expect(plan.put.base).toEqual(seen);
  });

  it('only the widget\'s last entry can be replaced: an edit in between keeps both', () => {
    const a = entry(mk.set(WA, { title: 'a' }), { order: 1 });
    const move = entry(mk.move(WA, 'b0'), { order: 2 });
    expect(coalesceTarget([a, move], mk.set(WA, { title: 'b' }), ALICE.id)).toBeNull();
  });

  it('commutative and structural mutations are never merged', () => {
    const add = entry(mk.add(WA, 1));
    expect(coalesceTarget([add], mk.add(WA, 1), ALICE.id)).toBeNull();
    const plan = planAppend({ widgetEntries: [add], mutation: mk.add(WA, 2), userId: ALICE.id, order: 2, replica: counterWidget(WA, 1) });
    expect(plan.replaces).toBeNull();
    expect(plan.put.mutation.args).toEqual({ widgetId: WA, delta: 2 });
    expect(coalesceTarget([entry(mk.itemAdd(WA, 'i1', 'x'))], mk.itemAdd(WA, 'i2', 'y'), ALICE.id)).toBeNull();
    expect(coalesceTarget([entry(mk.move(WA, 'a1'))], mk.move(WA, 'a2'), ALICE.id)).toBeNull();
    // A set after an add does not swallow the add.
    expect(coalesceTarget([add], mk.set(WA, { value: 5 }), ALICE.id)).toBeNull();
  });

  it('another user\'s or another client\'s entry is never replaced', () => {
    const bobs = entry(mk.set(WA, { title: 'a' }), { userId: BOB.id });
    expect(coalesceTarget([bobs], mk.set(WA, { title: 'b' }), ALICE.id)).toBeNull();
    const other = entry(mk.set(WA, { title: 'a' }, { clientId: 'c_other' as ClientId }));
    expect(coalesceTarget([other], mk.set(WA, { title: 'b' }), ALICE.id)).toBeNull();
  });

  it('a new entry records the replica widget as its base, except widget.create', () => {
    const w = noteWidget(WA, 2);
    const set = planAppend({ widgetEntries: [], mutation: mk.set(WA, { text: 'x' }), userId: ALICE.id, order: 5, replica: w });
    expect(set.put).toEqual({
      mutation: set.put.mutation,
      userId: ALICE.id,
      state: 'queued',
      order: 5,
      attempts: 0,
      nextAttemptAt: 0,
      lastError: null,
      base: w,
    });
    const create = planAppend({ widgetEntries: [], mutation: mk.createCounter(WB), userId: ALICE.id, order: 6, replica: w });
    expect(create.put.base).toBeUndefined();
  });
});

describe('selecting the next batch', () => {
  const q = (m: ReturnType<typeof mk.set>, order: number, over: Partial<OutboxEntry> = {}) => entry(m, { order, ...over });

  it('takes entries in outbox order, whatever order they are stored in', () => {
    const e = [q(mk.add(WA, 1), 3), q(mk.add(WB, 1), 1), q(mk.add(WA, 2), 2)];
    expect(selectBatch(e, 0).batch.map((x) => x.order)).toEqual([1, 2, 3]);
  });

  it('a parked conflict holds every later entry of its widget, and only of its widget', () => {
    const e = [
      q(mk.add(WB, 1), 1),
      q(mk.set(WA, { title: 'x' }), 2, { state: 'conflict', attempts: 1 }),
      q(mk.add(WA, 1), 3),
      q(mk.add(WB, 2), 4),
    ];
    const { batch, nextDueAt } = selectBatch(e, 0);
    expect(batch.map((x) => x.order)).toEqual([1, 4]);
    expect(nextDueAt).toBeNull();
  });

  it('an entry in flight holds its widget (no second push overtakes it)', () => {
    const e = [q(mk.add(WA, 1), 1, { state: 'sending' }), q(mk.add(WA, 2), 2), q(mk.add(WB, 1), 3)];
    expect(selectBatch(e, 0).batch.map((x) => x.order)).toEqual([3]);
  });

  it('a failed entry waiting for its retry holds its widget and says when it is due; due entries go', () => {
    const e = [
      q(mk.add(WA, 1), 1, { state: 'failed', attempts: 1, nextAttemptAt: 1_500 }),
      q(mk.add(WA, 2), 2),
      q(mk.add(WB, 1), 3, { state: 'failed', attempts: 2, nextAttemptAt: 1_200 }),
    ];
    expect(selectBatch(e, 1_000)).toEqual({ batch: [], nextDueAt: 1_200 });
    expect(selectBatch(e, 1_200).batch.map((x) => x.order)).toEqual([3]);
    expect(selectBatch(e, 1_500).batch.map((x) => x.order)).toEqual([1, 2, 3]);
  });

  it('widgets of different dashboards are different widgets', () => {
    const e = [
      q(mk.add(WA, 1), 1, { state: 'conflict' }),
      q(mk.add(WA, 1, { dashboardId: 'd_2' as DashboardId }), 2),
    ];
    expect(selectBatch(e, 0).batch.map((x) => x.order)).toEqual([2]);
  });

  it('stops at the batch limit, in order', () => {
    const e = Array.from({ length: MAX_BATCH + 20 }, (_, i) => q(mk.add(WA, 1), i + 1));
    const { batch } = selectBatch(e, 0);
    expect(batch).toHaveLength(MAX_BATCH);
    expect(batch.at(-1)!.order).toBe(MAX_BATCH);
    expect(selectBatch(e, 0, 3).batch.map((x) => x.order)).toEqual([1, 2, 3]);
  });
});

describe('settling a push', () => {
  const server: Widget = counterWidget(WA, 9, 40, 'Theirs');

  it('applied and rejected leave the outbox; a rejection is told in the activity list', () => {
    const a = entry(mk.add(WA, 1), { state: 'sending', base: counterWidget(WA, 1, 0, 'Pumps') });
    const b = entry(mk.del(WB), { state: 'sending', order: 2, base: counterWidget(WB, 1, 0, 'Valves') });
    const plan = planSettle(
      [a, b],
      [
        { id: a.mutation.id, status: 'applied', seq: 3, version: 2 },
        { id: b.mutation.id, status: 'rejected', code: 'forbidden', message: 'not a member' },
      ],
      manual,
    );
    expect(plan.remove).toEqual([a.mutation.id, b.mutation.id]);
    expect(plan.put).toEqual([]);
    expect(plan.activity).toEqual([
      { at: 5_000, dashboardId: 'd_1', widgetId: WB, kind: 'rejected', code: 'forbidden', message: 'Counter ‘Valves’ deleted — undone: not a member' },
    ]);
  });

  it('a conflict under the manual policy parks the entry with base, local and remote', () => {
    const base = counterWidget(WA, 2, 0, 'Pumps');
    const a = entry(mk.set(WA, { title: 'Mine' }), { state: 'sending', base });
    const plan = planSettle([a], [{ id: a.mutation.id, status: 'conflict', fields: ['title'], server }], manual);
    expect(plan.remove).toEqual([]);
    expect(plan.put).toEqual([{ ...a, state: 'conflict', attempts: 1, lastError: null, conflict: { fields: ['title'], base, server } }]);
    expect(plan.activity).toEqual([]);
  });

  it('a conflict the merge can settle leaves the outbox for the merged mutation and says so in the activity list', () => {
    const a = entry(mk.set(WA, { text: 'a' }), { state: 'sending' });
    const later = entry(mk.set(WA, { text: 'ab' }), { order: 2 });
    const fresh = entry(mk.set(WA, { text: 'merged' }), { order: a.order });
    const plan = planSettle([a, later], [{ id: a.mutation.id, status: 'conflict', fields: ['text'], server }], {
      ...manual,
      merge: () => ({ remove: [a.mutation.id, later.mutation.id], put: [fresh], title: 'Notes' }),
    });
    expect(plan.remove).toEqual([a.mutation.id, later.mutation.id]);
    expect(plan.put).toEqual([fresh]);
    expect(plan.activity).toEqual([
      {
        at: 5_000,
        dashboardId: 'd_1',
        widgetId: WA,
        kind: 'merged',
        message: 'Your edit of ‘Notes’ and one made elsewhere were merged automatically',
        mutationIds: [a.mutation.id, later.mutation.id],
      },
    ]);
  });

  it('remote-wins drops the conflicting entry and records why', () => {
    const a = entry(mk.set(WA, { title: 'Mine' }), { state: 'sending', base: counterWidget(WA, 2) });
    const plan = planSettle([a], [{ id: a.mutation.id, status: 'conflict', fields: ['title'], server: null }], { ...manual, policy: 'remote-wins' });
    expect(plan.remove).toEqual([a.mutation.id]);
    expect(plan.activity[0]).toMatchObject({ kind: 'auto-resolved', message: expect.stringContaining('deleted elsewhere'), mutationIds: [a.mutation.id] });
  });

  it('an entry the answer does not mention goes back to queued, counted as sent so it never coalesces', () => {
    const a = entry(mk.set(WA, { title: 'a' }), { state: 'sending' });
    const plan = planSettle([a], [], manual);
    expect(plan.put).toEqual([{ ...a, state: 'queued', attempts: 1 }]);
    expect(plan.remove).toEqual([]);
    expect(coalesceTarget(plan.put, mk.set(WA, { title: 'b' }), ALICE.id)).toBeNull();
  });
});

describe('a transient failure', () => {
  it('marks the whole batch failed, counts the attempt and sets when to retry', () => {
    const batch = [entry(mk.add(WA, 1), { state: 'sending' }), entry(mk.add(WB, 1), { state: 'sending', attempts: 2 })];
    const out = planTransientFailure(batch, 10_000, 750, 'HTTP 503 on push');
    expect(out.map((e) => [e.state, e.attempts, e.nextAttemptAt, e.lastError])).toEqual([
      ['failed', 1, 10_750, 'HTTP 503 on push'],
      ['failed', 3, 10_750, 'HTTP 503 on push'],
    ]);
    // ...and the failed entries hold their widgets until then.
    expect(selectBatch(out, 10_749).batch).toEqual([]);
    expect(selectBatch(out, 10_750).batch).toHaveLength(2);
  });

  it('keeps user ids untouched', () => {
    const out = planTransientFailure([entry(mk.add(WA, 1), { userId: 'u_x' as UserId })], 0, 1, 'e');
    expect(out[0].userId).toBe('u_x');
  });
});
