/** Conformance: applyBatch — idempotency, ownership, membership, transactions and every precise rule. */
import { describe, expect, it } from 'vitest';
import type { DashboardId, MutationId } from '../../protocol/index.ts';
import type { Store } from '../../server/store/store.ts';
import {
  applied,
  createChecklist,
  createCounter,
  createNote,
  makeWorld,
  mut,
  NOW,
  one,
  push,
  wid,
  widgetOf,
} from './fixtures.ts';

type WithStore = (fn: (store: Store) => Promise<void>) => () => Promise<void>;

export function applyConformance(withStore: WithStore) {
  describe('applyBatch: results, changes, seq', () => {
    it('applies a create at version 1 and seq 1 and returns its change', withStore(async (store) => {
      const w = await makeWorld(store);
      const m = mut(w, w.ca, createCounter(wid('a'), 2));
      const out = await push(w, w.alice, w.ca, [m]);
      expect(out.results).toEqual([{ id: m.id, status: 'applied', seq: 1, version: 1 }]);
      expect(out.changes).toHaveLength(1);
      expect(out.changes[0]).toMatchObject({
        seq: 1, dashboardId: w.dashboardId, widgetId: wid('a'), version: 1,
        mutationId: m.id, clientId: w.ca, userId: w.alice.id, at: NOW,
      });
      expect(out.changes[0].widget).toEqual({
        id: wid('a'), kind: 'counter', title: 'Pumps', position: 'a0', version: 1,
        updatedAt: NOW, updatedBy: w.alice.id, value: 2,
      });
      expect(await store.snapshot(w.dashboardId)).toEqual({ seq: 1, widgets: [out.changes[0].widget] });
    }));

    it('gives each dashboard its own gap-free seq, in batch order, one result per input', withStore(async (store) => {
      const w = await makeWorld(store);
      const other = await store.createDashboard('Other', w.alice.id);
      const o = { dashboardId: other.id };
      const batch = [
        mut(w, w.ca, createCounter(wid('a'))),
        mut(o, w.ca, createCounter(wid('a'))),
        mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } }),
        mut(w, w.ca, createNote(wid('n'))),
        mut(o, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 5 } }),
      ];
      const out = await push(w, w.alice, w.ca, batch);
      expect(out.results.map((r) => r.id)).toEqual(batch.map((m) => m.id));
      expect(out.results.map((r) => applied(r))).toEqual([
        { seq: 1, version: 1 }, { seq: 1, version: 1 }, { seq: 2, version: 2 }, { seq: 3, version: 1 }, { seq: 2, version: 2 },
      ]);
      expect(out.changes.map((c) => [c.dashboardId === other.id ? 'o' : 'w', c.seq])).toEqual([
        ['w', 1], ['o', 1], ['w', 2], ['w', 3], ['o', 2],
      ]);
      expect((await store.snapshot(w.dashboardId)).seq).toBe(3);
      expect((await store.snapshot(other.id)).seq).toBe(2);
      expect((await widgetOf(w, wid('a')))?.version).toBe(2);
    }));

    it('runs every mutation of a batch after the one before it (create then edit in one push)', withStore(async (store) => {
      const w = await makeWorld(store);
      const out = await push(w, w.alice, w.ca, [
        mut(w, w.ca, createNote(wid('n'))),
        mut(w, w.ca, { name: 'widget.set', args: { widgetId: wid('n'), patch: { text: 'hello' } } }, { baseVersion: 1 }),
        mut(w, w.ca, { name: 'widget.move', args: { widgetId: wid('n'), position: 'b0' } }, { baseVersion: 2 }),
      ]);
      expect(out.results.every((r) => r.status === 'applied')).toBe(true);
      expect(await widgetOf(w, wid('n'))).toMatchObject({ text: 'hello', position: 'b0', version: 3 });
    }));
  });

  describe('applyBatch: idempotency and ownership', () => {
    it('answers a replayed batch with the recorded results and makes no change', withStore(async (store) => {
      const w = await makeWorld(store);
      const batch = [
        mut(w, w.ca, createCounter(wid('a'))),
        mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 3 } }),
        mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('missing'), delta: 1 } }),
      ];
      const first = await push(w, w.alice, w.ca, batch);
      const again = await push(w, w.alice, w.ca, batch, NOW + 60_000);
      expect(again).toEqual({ results: first.results, changes: [] });
      expect(first.results[2]).toMatchObject({ status: 'rejected', code: 'not-found' });
      expect(await widgetOf(w, wid('a'))).toMatchObject({ value: 3, version: 2 });
      expect((await store.snapshot(w.dashboardId)).seq).toBe(2);
    }));

    it('answers a repeat inside one batch with the first result', withStore(async (store) => {
      const w = await makeWorld(store);
      const create = mut(w, w.ca, createCounter(wid('a')));
      const add = mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } });
      const out = await push(w, w.alice, w.ca, [create, add, add, create]);
      expect(out.results[2]).toEqual(out.results[1]);
      expect(out.results[3]).toEqual(out.results[0]);
      expect(out.changes).toHaveLength(2);
      expect(await widgetOf(w, wid('a'))).toMatchObject({ value: 1 });
    }));

    it('keeps a recorded rejection even when the mutation would now apply', withStore(async (store) => {
      const w = await makeWorld(store);
      const early = mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } });
      const first = await one(w, early);
      expect(first).toMatchObject({ status: 'rejected', code: 'not-found' });
      await one(w, mut(w, w.ca, createCounter(wid('a'))));
      expect(await one(w, early)).toEqual(first);
      expect(await widgetOf(w, wid('a'))).toMatchObject({ value: 0, version: 1 });
    }));

    it('keeps a recorded conflict with its server snapshot, whatever happened since', withStore(async (store) => {
      const w = await makeWorld(store);
      await one(w, mut(w, w.ca, createNote(wid('n'))));
      await one(w, mut(w, w.cb, { name: 'widget.set', args: { widgetId: wid('n'), patch: { title: 'B' } } }, { baseVersion: 1 }), w.bob);
      const stale = mut(w, w.ca, { name: 'widget.set', args: { widgetId: wid('n'), patch: { title: 'A' } } }, { baseVersion: 1 });
      const first = await one(w, stale);
      expect(first).toMatchObject({ status: 'conflict', fields: ['title'], server: { title: 'B', version: 2 } });
      await one(w, mut(w, w.cb, { name: 'widget.set', args: { widgetId: wid('n'), patch: { title: 'C' } } }, { baseVersion: 2 }), w.bob);
      expect(await one(w, stale)).toEqual(first);
    }));

    it('refuses another user a mutation id already used, without touching the owner\'s record', withStore(async (store) => {
      const w = await makeWorld(store);
      const m = mut(w, w.ca, createCounter(wid('a')));
      const first = await one(w, m);
      const stolen = { ...m, clientId: w.cb };
      const out = await push(w, w.bob, w.cb, [stolen]);
      expect(out.results).toEqual([{ id: m.id, status: 'rejected', code: 'forbidden', message: expect.any(String) }]);
      expect(out.changes).toEqual([]);
      expect(await one(w, m)).toEqual(first);
    }));

    it('rejects as invalid a mutation whose clientId is not the connection\'s, and records it', withStore(async (store) => {
      const w = await makeWorld(store);
      const m = mut(w, w.cb, createCounter(wid('a')));
      const out = await push(w, w.alice, w.ca, [m]);
      expect(out.results[0]).toMatchObject({ id: m.id, status: 'rejected', code: 'invalid' });
      expect(await widgetOf(w, wid('a'))).toBeNull();
      // Recorded: the same id from the right client still gets the first answer.
      expect((await push(w, w.alice, w.cb, [m])).results).toEqual(out.results);
    }));

    it('rejects as forbidden a mutation on a dashboard the user is not a member of, or that does not exist', withStore(async (store) => {
      const w = await makeWorld(store);
      const mine = mut(w, w.ca, createCounter(wid('a')), { dashboardId: 'd_missing' as DashboardId });
      const theirs = mut(w, w.ca, createCounter(wid('a')));
      const out = await push(w, w.eve, w.ca, [theirs, mine]);
      expect(out.results.map((r) => r.status === 'rejected' && r.code)).toEqual(['forbidden', 'forbidden']);
      expect(out.changes).toEqual([]);
      expect((await store.snapshot(w.dashboardId)).seq).toBe(0);
    }));

    it('rejects broken mutations one by one, without recording them, and applies the rest', withStore(async (store) => {
      const w = await makeWorld(store);
      const good = mut(w, w.ca, createNote(wid('n')));
      const long = mut(w, w.ca, createNote(wid('long'), 'x'.repeat(64 * 1024 + 1)));
      const noName = { ...mut(w, w.ca, createCounter(wid('a'))), name: 'widget.explode' };
      const out = await push(w, w.alice, w.ca, [null, 'junk', noName, long, good]);
      expect(out.results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual([
        'invalid', 'invalid', 'invalid', 'too-large', 'applied',
      ]);
      expect(out.results.slice(0, 4).map((r) => r.id)).toEqual(['', '', noName.id, long.id]);
      // Not recorded: the same id, now well-formed, is a new mutation.
      const fixed = { ...long, args: { ...long.args, text: 'short' } };
      expect((await one(w, fixed as typeof long)).status).toBe('applied');
    }));

    it('commits nothing of a batch that fails part-way, so it can be retried whole', withStore(async (store) => {
      const w = await makeWorld(store);
      const good = mut(w, w.ca, createCounter(wid('a')));
      const exploding = new Proxy({}, { get() { throw new Error('storage test: unreadable input'); } });
      await expect(push(w, w.alice, w.ca, [good, exploding])).rejects.toThrow('unreadable input');
      expect(await store.snapshot(w.dashboardId)).toEqual({ seq: 0, widgets: [] });
      expect(await store.recentChanges(w.dashboardId, 10)).toEqual([]);
      expect(await one(w, good)).toEqual({ id: good.id, status: 'applied', seq: 1, version: 1 });
    }));
  });

  describe('applyBatch: precise rules', () => {
    it('widget.set conflicts per field against baseVersion, all or nothing; the same client never conflicts', withStore(async (store) => {
      const w = await makeWorld(store);
      const set = (c: typeof w.ca, patch: Record<string, unknown>, baseVersion: number) =>
        mut(w, c, { name: 'widget.set', args: { widgetId: wid('n'), patch } } as never, { baseVersion });
      await one(w, mut(w, w.ca, createNote(wid('n'))));
      expect(applied(await one(w, set(w.cb, { title: 'Bob' }, 1), w.bob)).version).toBe(2);
      // alice saw version 1: her text merges (nobody else touched it), her title conflicts.
      expect(applied(await one(w, set(w.ca, { text: 'alice text' }, 1))).version).toBe(3);
      const both = await one(w, set(w.ca, { title: 'Alice', text: 'lost' }, 1));
      expect(both).toMatchObject({ status: 'conflict', fields: ['title'], server: { title: 'Bob', text: 'alice text', version: 3 } });
      expect(await widgetOf(w, wid('n'))).toMatchObject({ title: 'Bob', text: 'alice text', version: 3 });
      // bob's own later edit of text he never saw conflicts; alice editing her own text again does not.
      expect(await one(w, set(w.cb, { text: 'bob text' }, 2), w.bob)).toMatchObject({ status: 'conflict', fields: ['text'] });
      expect(applied(await one(w, set(w.ca, { text: 'again' }, 1))).version).toBe(4);
      expect(applied(await one(w, set(w.ca, { title: 'Alice' }, 2))).version).toBe(5);
    }));

    it('counter.add never conflicts and sums', withStore(async (store) => {
      const w = await makeWorld(store);
      await one(w, mut(w, w.ca, createCounter(wid('a'), 10)));
      await one(w, mut(w, w.cb, { name: 'counter.add', args: { widgetId: wid('a'), delta: 5 } }), w.bob);
      await one(w, mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: -2 } }));
      expect(await widgetOf(w, wid('a'))).toMatchObject({ value: 13, version: 3 });
    }));

    it('treats a deleted widget as a tombstone: edits conflict with server null, deleting again repeats the deletion', withStore(async (store) => {
      const w = await makeWorld(store);
      await one(w, mut(w, w.ca, createCounter(wid('a'))));
      const del = applied(await one(w, mut(w, w.cb, { name: 'widget.delete', args: { widgetId: wid('a') } }), w.bob));
      expect(del).toEqual({ seq: 2, version: 2 });
      expect(await widgetOf(w, wid('a'))).toBeNull();
      expect(await one(w, mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } })))
        .toMatchObject({ status: 'conflict', fields: ['value'], server: null });
      expect(await one(w, mut(w, w.ca, { name: 'widget.set', args: { widgetId: wid('a'), patch: { title: 'x' } } }, { baseVersion: 1 })))
        .toMatchObject({ status: 'conflict', fields: ['title'], server: null });
      expect(await one(w, mut(w, w.ca, { name: 'widget.move', args: { widgetId: wid('a'), position: 'z' } })))
        .toMatchObject({ status: 'conflict', server: null });
      const again = await push(w, w.alice, w.ca, [mut(w, w.ca, { name: 'widget.delete', args: { widgetId: wid('a') } })]);
      expect(applied(again.results[0])).toEqual(del);
      expect(again.changes).toEqual([]);
      expect(await one(w, mut(w, w.ca, createCounter(wid('a'))))).toMatchObject({ status: 'rejected', code: 'invalid' });
      expect((await store.snapshot(w.dashboardId)).seq).toBe(2);
    }));

    it('rejects an unknown widget as not-found and a widget id in use as invalid', withStore(async (store) => {
      const w = await makeWorld(store);
      expect(await one(w, mut(w, w.ca, { name: 'widget.move', args: { widgetId: wid('x'), position: 'a' } })))
        .toMatchObject({ status: 'rejected', code: 'not-found' });
      await one(w, mut(w, w.ca, createCounter(wid('a'))));
      expect(await one(w, mut(w, w.ca, createNote(wid('a'))))).toMatchObject({ status: 'rejected', code: 'invalid' });
      expect(await one(w, mut(w, w.ca, { name: 'widget.set', args: { widgetId: wid('a'), patch: { text: 't' } } })))
        .toMatchObject({ status: 'rejected', code: 'invalid' });
    }));

    it('applies checklist rules: per item field conflicts, removed items, ids in use', withStore(async (store) => {
      const w = await makeWorld(store);
      const cl = (c: typeof w.ca, input: object, baseVersion = 0) =>
        mut(w, c, { ...input, args: { widgetId: wid('c'), ...(input as { args: object }).args } } as never, { baseVersion });
      await one(w, mut(w, w.ca, createChecklist(wid('c'))));
      await one(w, cl(w.ca, { name: 'checklist.add', args: { itemId: 'i1', text: 'one' } }));
      await one(w, cl(w.cb, { name: 'checklist.add', args: { itemId: 'i2', text: 'two' } }), w.bob);
      expect(applied(await one(w, cl(w.cb, { name: 'checklist.set', args: { itemId: 'i1', patch: { done: true } } }, 3), w.bob)).version).toBe(4);
      // alice saw version 2: i1.done conflicts, i1.text merges.
      expect(await one(w, cl(w.ca, { name: 'checklist.set', args: { itemId: 'i1', patch: { done: false } } }, 2)))
        .toMatchObject({ status: 'conflict', fields: ['items.i1.done'] });
      expect(applied(await one(w, cl(w.ca, { name: 'checklist.set', args: { itemId: 'i1', patch: { text: 'ONE' } } }, 2))).version).toBe(5);
      const removed = applied(await one(w, cl(w.ca, { name: 'checklist.remove', args: { itemId: 'i2' } })));
      expect(removed).toEqual({ seq: 6, version: 6 });
      const again = await push(w, w.bob, w.cb, [cl(w.cb, { name: 'checklist.remove', args: { itemId: 'i2' } })]);
      expect(applied(again.results[0])).toEqual(removed);
      expect(again.changes).toEqual([]);
      expect(await one(w, cl(w.cb, { name: 'checklist.set', args: { itemId: 'i2', patch: { done: true } } }, 6), w.bob))
        .toMatchObject({ status: 'conflict', fields: ['items.i2.done'], server: { version: 6 } });
      expect(await one(w, cl(w.ca, { name: 'checklist.add', args: { itemId: 'i2', text: 'again' } })))
        .toMatchObject({ status: 'rejected', code: 'invalid' });
      expect(await one(w, cl(w.ca, { name: 'checklist.add', args: { itemId: 'i1', text: 'dup' } })))
        .toMatchObject({ status: 'rejected', code: 'invalid' });
      expect(await widgetOf(w, wid('c'))).toMatchObject({
        version: 6,
        items: [{ id: 'i1', text: 'ONE', done: true }],
      });
    }));

    it('stores removed items whose ids name Object.prototype members (valueOf, __proto__)', withStore(async (store) => {
      const w = await makeWorld(store);
      await one(w, mut(w, w.ca, createChecklist(wid('c'))));
      for (const itemId of ['valueOf', '__proto__']) {
        const args = { widgetId: wid('c'), itemId };
        expect(applied(await one(w, mut(w, w.ca, { name: 'checklist.add', args: { ...args, text: itemId } } as never))).version).toBeGreaterThan(1);
        const removed = applied(await one(w, mut(w, w.ca, { name: 'checklist.remove', args } as never)));
        const again = await push(w, w.bob, w.cb, [mut(w, w.cb, { name: 'checklist.remove', args } as never)]);
        expect(applied(again.results[0])).toEqual(removed);
        expect(again.changes).toEqual([]);
      }
      expect(await widgetOf(w, wid('c'))).toMatchObject({ items: [], version: 5 });
    }));

    it('keeps mutation ids distinct from widget state: a new id with the same effect applies again', withStore(async (store) => {
      const w = await makeWorld(store);
      await one(w, mut(w, w.ca, createCounter(wid('a'))));
      const add = { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } } as const;
      await one(w, mut(w, w.ca, add));
      await one(w, mut(w, w.ca, add, { id: 'm_explicit-id' as MutationId }));
      expect(await widgetOf(w, wid('a'))).toMatchObject({ value: 2, version: 3 });
    }));
  });

  describe('applyBatch: the widget cap of a dashboard', () => {
    it('rejects a create past the cap as too-large, in the batch and across batches, and a delete frees a place', withStore(async (store) => {
      const w = await makeWorld(store);
      const capped = (mutations: readonly unknown[]) =>
        store.applyBatch({ userId: w.alice.id, clientId: w.ca, now: NOW, maxWidgets: 2 }, mutations);
      const a = mut(w, w.ca, createCounter(wid('a')));
      const b = mut(w, w.ca, createNote(wid('b')));
      const c = mut(w, w.ca, createCounter(wid('c')));
      const first = await capped([a, b, c, mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } })]);
      expect(first.results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual(['applied', 'applied', 'too-large', 'applied']);
      const d = mut(w, w.ca, createCounter(wid('d')));
      expect((await capped([d])).results[0]).toMatchObject({ status: 'rejected', code: 'too-large' });
      expect((await store.snapshot(w.dashboardId)).widgets.map((x) => x.id).sort()).toEqual([wid('a'), wid('b')]);
      const e = mut(w, w.ca, createCounter(wid('e')));
      const out = await capped([mut(w, w.ca, { name: 'widget.delete', args: { widgetId: wid('b') } }), e]);
      expect(out.results.map((r) => r.status)).toEqual(['applied', 'applied']);
      expect((await store.snapshot(w.dashboardId)).widgets.map((x) => x.id).sort()).toEqual([wid('a'), wid('e')]);
    }));

    it('rejects a mutation that would grow the dashboard past its stored size, and lets one that shrinks it through', withStore(async (store) => {
      const w = await makeWorld(store);
      const capped = (mutations: readonly unknown[]) =>
        store.applyBatch({ userId: w.alice.id, clientId: w.ca, now: NOW, maxDashboardSize: 5000 }, mutations);
      const setText = (id: string, text: string, base: number) =>
        mut(w, w.ca, { name: 'widget.set', args: { widgetId: wid(id), patch: { text } } }, { baseVersion: base });
      const made = await capped([mut(w, w.ca, createNote(wid('a'), 'a'.repeat(1500))), mut(w, w.ca, createNote(wid('b'), 'b'.repeat(1500)))]);
      expect(made.results.map((r) => r.status)).toEqual(['applied', 'applied']);
      const before = await store.snapshot(w.dashboardId);
      const grow = await capped([setText('a', 'a'.repeat(4000), 1), mut(w, w.ca, createNote(wid('c'), 'c'.repeat(3000)))]);
      expect(grow.results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual(['too-large', 'too-large']);
      expect(await store.snapshot(w.dashboardId)).toEqual(before);
      const shrink = await capped([setText('b', 'short', 1), setText('a', 'a'.repeat(2500), 1)]);
      expect(shrink.results.map((r) => r.status)).toEqual(['applied', 'applied']);
    }));
  });
}
