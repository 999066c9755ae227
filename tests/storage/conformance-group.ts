/**
 * Conformance: group commit (server/store/group-commit.ts). Batches pushed while another commits are
 * committed together, and each still gets exactly the outcome it would have had alone.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../server/store/store.ts';
import { applied, createCounter, makeWorld, mut, push, wid, widgetOf } from './fixtures.ts';

type WithStore = (fn: (store: Store) => Promise<void>) => () => Promise<void>;

export function groupConformance(withStore: WithStore) {
  describe('applyBatch: group commit', () => {
    it('commits batches pushed at once in fewer transactions, each with its own results, in push order', withStore(async (store) => {
      const w = await makeWorld(store);
      await push(w, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a')))]);
      const before = { ...store.groupCommit.stats };
      const adds = Array.from({ length: 20 }, (_, i) => mut(w, i % 2 ? w.cb : w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: i + 1 } }));
      const outcomes = await Promise.all(adds.map((m, i) => push(w, i % 2 ? w.bob : w.alice, m.clientId, [m])));
      // Every batch applied once, with seq and version following push order.
      expect(outcomes.map((o) => applied(o.results[0]))).toEqual(adds.map((_, i) => ({ seq: i + 2, version: i + 2 })));
      expect(outcomes.map((o) => o.changes.map((c) => c.seq))).toEqual(adds.map((_, i) => [i + 2]));
      expect(await widgetOf(w, wid('a'))).toMatchObject({ value: 210, version: 21 });
      const commits = store.groupCommit.stats.commits - before.commits;
      expect(store.groupCommit.stats.batches - before.batches).toBe(20);
      expect(commits).toBeGreaterThanOrEqual(1);
      expect(commits).toBeLessThan(20);
    }));

    it('answers a mutation repeated inside one group once: the repeat gets the first result, not a second apply', withStore(async (store) => {
      const w = await makeWorld(store);
      await push(w, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a')))]);
      const add = mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 5 } });
      const [first, repeat] = await Promise.all([push(w, w.alice, w.ca, [add]), push(w, w.alice, w.ca, [add])]);
      expect(repeat.results).toEqual(first.results);
      expect(repeat.changes).toEqual([]);
      expect(await widgetOf(w, wid('a'))).toMatchObject({ value: 5, version: 2 });
    }));

    it('fails a batch that throws alone: the batches committed with it keep their results', withStore(async (store) => {
      const w = await makeWorld(store);
      await push(w, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a')))]);
      const add = (delta: number) => mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta } });
      // Input that cannot even be read (a store fault stands in for any throw inside the apply).
      const unreadable = new Proxy({}, { get: () => { throw new Error('unreadable mutation'); } });
      const [a, bad, b] = await Promise.allSettled([
        push(w, w.alice, w.ca, [add(1)]),
        push(w, w.alice, w.ca, [add(100), unreadable]),
        push(w, w.alice, w.ca, [add(2)]),
      ]);
      expect(bad.status).toBe('rejected');
      expect(a.status === 'fulfilled' && applied(a.value.results[0])).toEqual({ seq: 2, version: 2 });
      expect(b.status === 'fulfilled' && applied(b.value.results[0])).toEqual({ seq: 3, version: 3 });
      expect(await widgetOf(w, wid('a'))).toMatchObject({ value: 3, version: 3 });
    }));
  });
}
