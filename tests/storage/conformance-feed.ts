/** Conformance: catch-up, snapshot, recent changes and metric ingest. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LIMITS, type Change, type MutationInput } from '../../protocol/index.ts';
import type { Store } from '../../server/store/store.ts';
import { applied, createCounter, createMetric, createNote, makeWorld, mut, NOW, one, push, wid, widgetOf, type World } from './fixtures.ts';

type WithStore = (fn: (store: Store) => Promise<void>) => () => Promise<void>;

const add = (name: string, delta = 1): MutationInput => ({ name: 'counter.add', args: { widgetId: wid(name), delta } });

/** Creates counters a..e, then changes a three times and c once: head 9. */
async function busyDashboard(w: World): Promise<void> {
  await push(w, w.alice, w.ca, ['a', 'b', 'c', 'd', 'e'].map((n) => mut(w, w.ca, createCounter(wid(n)))));
  await push(w, w.alice, w.ca, [add('a'), add('c'), add('a'), add('a')].map((i) => mut(w, w.ca, i)));
}

const byId = <T extends { id: string }>(xs: T[]): T[] => [...xs].sort((a, b) => a.id.localeCompare(b.id));

/** Follows pages from `cursor` to the end, as a client would. */
async function drain(store: Store, w: World, cursor: number, limit: number): Promise<{ pages: Change[][]; seq: number }> {
  const pages: Change[][] = [];
  for (;;) {
    const page = await store.catchUp(w.dashboardId, cursor, store.epoch, limit);
    if (page.kind !== 'changes') throw new Error('unexpected reset');
    pages.push(page.changes);
    cursor = page.seq;
    if (!page.more) return { pages, seq: cursor };
  }
}

export function feedConformance(withStore: WithStore) {
  describe('catchUp', () => {
    it('sends only the latest change of each widget changed after the cursor, in seq order', withStore(async (store) => {
      const w = await makeWorld(store);
      await busyDashboard(w);
      const page = await store.catchUp(w.dashboardId, 0, null, 100);
      expect(page).toMatchObject({ kind: 'changes', seq: 9, more: false });
      if (page.kind !== 'changes') return;
      expect(page.changes.map((c) => [c.widgetId, c.seq, c.version])).toEqual([
        [wid('b'), 2, 1], [wid('d'), 4, 1], [wid('e'), 5, 1], [wid('c'), 7, 2], [wid('a'), 9, 4],
      ]);
      expect(page.changes[4].widget).toMatchObject({ value: 3, version: 4 });
      const later = await store.catchUp(w.dashboardId, 6, store.epoch, 100);
      expect(later.kind === 'changes' && later.changes.map((c) => c.seq)).toEqual([7, 9]);
    }));

    it('answers a cursor at the head with nothing but the head', withStore(async (store) => {
      const w = await makeWorld(store);
      await busyDashboard(w);
      expect(await store.catchUp(w.dashboardId, 9, store.epoch, 100)).toEqual({ kind: 'changes', changes: [], seq: 9, more: false });
      expect(await store.catchUp(w.dashboardId, 0, store.epoch, 100)).toMatchObject({ kind: 'changes', seq: 9 });
    }));

    it('pages with seq = the last included change while more follow, then the head', withStore(async (store) => {
      const w = await makeWorld(store);
      await busyDashboard(w);
      const first = await store.catchUp(w.dashboardId, 0, store.epoch, 2);
      expect(first.kind === 'changes' && [first.changes.map((c) => c.seq), first.seq, first.more]).toEqual([[2, 4], 4, true]);
      const { pages, seq } = await drain(store, w, 0, 2);
      expect(pages.map((p) => p.map((c) => c.seq))).toEqual([[2, 4], [5, 7], [9]]);
      expect(seq).toBe(9);
    }));

    it('misses nothing when widgets change between pages', withStore(async (store) => {
      const w = await makeWorld(store);
      await busyDashboard(w);
      const first = await store.catchUp(w.dashboardId, 0, store.epoch, 2);
      if (first.kind !== 'changes') throw new Error('unexpected reset');
      await push(w, w.alice, w.ca, [mut(w, w.ca, add('b')), mut(w, w.ca, add('e'))]);
      const rest = await drain(store, w, first.seq, 2);
      const seen = new Map<string, number>();
      for (const c of [...first.changes, ...rest.pages.flat()]) seen.set(c.widgetId, c.version);
      const { widgets } = await store.snapshot(w.dashboardId);
      expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(widgets.map((x) => [x.id, x.version])));
      expect(rest.seq).toBe(11);
    }));

    it('resets on a foreign epoch, a null epoch past 0, or a cursor ahead of the head', withStore(async (store) => {
      const w = await makeWorld(store);
      await busyDashboard(w);
      const { widgets } = await store.snapshot(w.dashboardId);
      const reset = { kind: 'reset', epoch: store.epoch, seq: 9, widgets: byId(widgets), more: false };
      const asked = async (cursor: number, epoch: string | null) => {
        const page = await store.catchUp(w.dashboardId, cursor, epoch, 100);
        return page.kind === 'reset' ? { ...page, widgets: byId(page.widgets) } : page;
      };
      expect(await asked(3, 'another-epoch')).toEqual(reset);
      expect(await asked(0, 'another-epoch')).toEqual(reset);
      expect(await asked(3, null)).toEqual(reset);
      expect(await asked(10, store.epoch)).toEqual(reset);
    }));

    it('pages by bytes as well as by count, at least one change a page, and resets in pages whose rest is the catch-up from their seq', withStore(async (store) => {
      const w = await makeWorld(store);
      const text = 'x'.repeat(3000);
      await push(w, w.alice, w.ca, ['a', 'b', 'c', 'd', 'e'].map((n) => mut(w, w.ca, createNote(wid(n), text))));
      await one(w, mut(w, w.ca, { name: 'widget.delete', args: { widgetId: wid('b') } }));
      // About two notes a page: each is 3,000 characters of text plus its record and the change's overhead.
      const first = await store.catchUp(w.dashboardId, 0, store.epoch, 100, 7000);
      expect(first.kind === 'changes' && [first.changes.length, first.more]).toEqual([2, true]);
      const tiny = await store.catchUp(w.dashboardId, 0, store.epoch, 100, 1);
      expect(tiny.kind === 'changes' && [tiny.changes.length, tiny.more]).toEqual([1, true]);
      const reset = await store.catchUp(w.dashboardId, 0, 'old', 100, 7000);
      if (reset.kind !== 'reset') throw new Error('expected a reset');
      expect([reset.widgets.map((x) => x.id), reset.more]).toEqual([[wid('a'), wid('c')], true]);
      const seen = new Map(reset.widgets.map((x) => [x.id, x] as const));
      let cursor = reset.seq;
      for (;;) {
        const page = await store.catchUp(w.dashboardId, cursor, reset.epoch, 100, 7000);
        if (page.kind !== 'changes') throw new Error('unexpected reset');
        for (const c of page.changes) c.widget === null ? seen.delete(c.widgetId) : seen.set(c.widgetId, c.widget);
        cursor = page.seq;
        if (!page.more) break;
      }
      const snap = await store.snapshot(w.dashboardId);
      expect(byId([...seen.values()])).toEqual(byId(snap.widgets));
      expect(cursor).toBe(snap.seq);
    }));

    it('shows a deleted widget as its deletion change, and leaves it out of resets and snapshots', withStore(async (store) => {
      const w = await makeWorld(store);
      await busyDashboard(w);
      await one(w, mut(w, w.cb, { name: 'widget.delete', args: { widgetId: wid('c') } }), w.bob);
      const page = await store.catchUp(w.dashboardId, 5, store.epoch, 100);
      expect(page.kind === 'changes' && page.changes.map((c) => [c.widgetId, c.seq, c.widget, c.userId])).toEqual([
        [wid('a'), 9, expect.anything(), w.alice.id], [wid('c'), 10, null, w.bob.id],
      ]);
      const snap = await store.snapshot(w.dashboardId);
      expect(snap.seq).toBe(10);
      expect(snap.widgets.map((x) => x.id).sort()).toEqual(['a', 'b', 'd', 'e'].map(wid));
      const reset = await store.catchUp(w.dashboardId, 0, 'old', 100);
      expect(reset.kind === 'reset' && byId(reset.widgets)).toEqual(byId(snap.widgets));
    }));
  });

  describe('changesSince and head', () => {
    it('reads every change after a seq in seq order, in pages, and the head', withStore(async (store) => {
      const w = await makeWorld(store);
      expect(await store.head(w.dashboardId)).toBe(0);
      expect(await store.changesSince(w.dashboardId, 0, 10)).toEqual([]);
      await busyDashboard(w);
      expect(await store.head(w.dashboardId)).toBe(9);
      const all = await store.changesSince(w.dashboardId, 0, 100);
      expect(all.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // Every change, not only each widget's latest: a live subscriber must see each seq once.
      expect(all.filter((c) => c.widgetId === wid('a')).map((c) => c.version)).toEqual([1, 2, 3, 4]);
      expect(await store.changesSince(w.dashboardId, 6, 2)).toEqual(all.slice(6, 8));
      expect(await store.changesSince(w.dashboardId, 9, 10)).toEqual([]);
      expect(all).toEqual([...(await store.recentChanges(w.dashboardId, 100))].reverse());
      expect(await store.head('d_missing' as World['dashboardId'])).toBe(0);
    }));
  });

  describe('recentChanges', () => {
    it('lists every change, newest first, at most `limit`', withStore(async (store) => {
      const w = await makeWorld(store);
      await busyDashboard(w);
      const recent = await store.recentChanges(w.dashboardId, 4);
      expect(recent.map((c) => [c.seq, c.widgetId])).toEqual([[9, wid('a')], [8, wid('a')], [7, wid('c')], [6, wid('a')]]);
      expect(recent[1].widget).toMatchObject({ value: 2, version: 3 });
      expect(await store.recentChanges(w.dashboardId, 100)).toHaveLength(9);
    }));
  });

  describe('ingest', () => {
    it('feeds every live metric widget with the key, as server-made changes', withStore(async (store) => {
      const w = await makeWorld(store);
      const other = await store.createDashboard('Other', w.alice.id);
      await push(w, w.alice, w.ca, [
        mut(w, w.ca, createMetric(wid('m1'), 'flow')),
        mut(w, w.ca, createMetric(wid('m2'), 'flow')),
        mut(w, w.ca, createMetric(wid('p'), 'pressure')),
        mut(w, w.ca, createMetric(wid('gone'), 'flow')),
        mut(w, w.ca, { name: 'widget.delete', args: { widgetId: wid('gone') } }),
        mut({ dashboardId: other.id }, w.ca, createMetric(wid('m1'), 'flow')),
      ]);
      const changes = await store.ingest(w.dashboardId, 'flow', { value: 4.5, at: NOW + 1 });
      expect(changes.map((c) => [c.widgetId, c.seq, c.version])).toEqual([[wid('m1'), 6, 2], [wid('m2'), 7, 2]]);
      for (const c of changes) {
        expect(c).toMatchObject({ dashboardId: w.dashboardId, mutationId: null, clientId: null, userId: null });
        expect(c.widget).toMatchObject({ value: 4.5, at: NOW + 1, series: [{ at: NOW + 1, value: 4.5 }], updatedBy: null });
      }
      expect(await widgetOf(w, wid('p'))).toMatchObject({ value: null, version: 1 });
      expect((await store.snapshot(other.id)).widgets[0]).toMatchObject({ value: null, version: 1 });
      expect(await store.recentChanges(w.dashboardId, 2)).toEqual([changes[1], changes[0]]);
    }));

    it('does nothing for a key no widget uses, or a dashboard that does not exist', withStore(async (store) => {
      const w = await makeWorld(store);
      await one(w, mut(w, w.ca, createNote(wid('n'))));
      expect(await store.ingest(w.dashboardId, 'nobody', { value: 1, at: NOW })).toEqual([]);
      expect(await store.ingest('d_missing' as never, 'flow', { value: 1, at: NOW })).toEqual([]);
      expect((await store.snapshot(w.dashboardId)).seq).toBe(1);
    }));

    it('keeps the last 60 points, follows a changed metricKey, and makes a returning device read one change', withStore(async (store) => {
      const w = await makeWorld(store);
      await one(w, mut(w, w.ca, createMetric(wid('m'), 'flow')));
      for (let i = 0; i < 75; i++) await store.ingest(w.dashboardId, 'flow', { value: i, at: NOW + i });
      const m = await widgetOf(w, wid('m'));
      expect(m).toMatchObject({ kind: 'metric', value: 74, version: 76 });
      expect(m?.kind === 'metric' && m.series.map((p) => p.value)).toEqual(Array.from({ length: LIMITS.metricSeriesLength }, (_, i) => i + 15));
      const page = await store.catchUp(w.dashboardId, 1, store.epoch, 100);
      expect(page.kind === 'changes' && page.changes.map((c) => c.seq)).toEqual([76]);
      applied(await one(w, mut(w, w.ca, { name: 'widget.set', args: { widgetId: wid('m'), patch: { metricKey: 'rate' } } }, { baseVersion: 76 })));
      expect(await store.ingest(w.dashboardId, 'flow', { value: 1, at: NOW })).toEqual([]);
      expect(await store.ingest(w.dashboardId, 'rate', { value: 2, at: NOW })).toHaveLength(1);
    }));
  });

  describe('properties', () => {
    it('replaying any sequence of pushes answers the recorded results and changes nothing', withStore(async (store) => {
      const w = await makeWorld(store);
      await push(w, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a'))), mut(w, w.ca, createNote(wid('n')))]);
      const ids = ['a', 'n', 'x'];
      const input = fc.oneof(
        fc.record({ id: fc.constantFrom(...ids), delta: fc.integer({ min: -5, max: 5 }) })
          .map(({ id, delta }) => add(id, delta)),
        fc.record({ id: fc.constantFrom(...ids), text: fc.string({ maxLength: 5 }) })
          .map(({ id, text }): MutationInput => ({ name: 'widget.set', args: { widgetId: wid(id), patch: { text } } })),
        fc.constantFrom(...ids).map((id): MutationInput => ({ name: 'widget.delete', args: { widgetId: wid(id) } })),
      );
      const step = fc.record({ bob: fc.boolean(), input, base: fc.nat(6) });
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(step, { minLength: 1, maxLength: 4 }), { maxLength: 4 }), async (batches) => {
          const pushed = [];
          for (const batch of batches) {
            const user = batch[0].bob ? w.bob : w.alice;
            const client = batch[0].bob ? w.cb : w.ca;
            const ms = batch.map((s) => mut(w, client, s.input, { baseVersion: s.base }));
            pushed.push({ user, client, ms, out: await push(w, user, client, ms) });
          }
          const before = await store.snapshot(w.dashboardId);
          for (const p of pushed.reverse()) {
            expect(await push(w, p.user, p.client, p.ms)).toEqual({ results: p.out.results, changes: [] });
          }
          expect(await store.snapshot(w.dashboardId)).toEqual(before);
        }),
        { numRuns: 40 },
      );
    }));
  });
}
