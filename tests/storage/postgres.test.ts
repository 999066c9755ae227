/**
 * The PostgreSQL backend: the conformance suite against a real server (a fresh database per test), then what
 * only a shared, multi-writer database can show: the same mutation racing on two stores (two nodes), gap-free
 * seq under concurrent writers, one epoch per database, migrations run once by nodes starting together.
 */
import { describe, expect, it } from 'vitest';
import { newMutationId, type Mutation } from '../../protocol/index.ts';
import { openStore } from '../../server/store/open-store.ts';
import { PG_SCHEMA_VERSION } from '../../server/store/postgres-migrations.ts';
import type { Store } from '../../server/store/store.ts';
import { freshDatabaseUrl, sql } from '../setup/pg.ts';
import { describeStoreConformance } from './conformance.ts';
import { applied, createCounter, makeWorld, mut, NOW, push, wid, type World } from './fixtures.ts';

describeStoreConformance('postgres', async () => openStore(await freshDatabaseUrl('conf')));

/** Two stores (two nodes' pools) on one fresh database, closed after `fn`. */
async function twoNodes(fn: (a: Store, b: Store, url: string) => Promise<void>): Promise<void> {
  const url = await freshDatabaseUrl('race');
  const [a, b] = await Promise.all([openStore(url), openStore(url)]);
  try {
    await fn(a, b, url);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

const add = (w: World, n = 1): Mutation => mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: n } });

describe('postgres, several nodes on one database', () => {
  it('migrates once when nodes start together, and they share one epoch', async () => {
    const url = await freshDatabaseUrl('mig');
    const stores = await Promise.all([openStore(url), openStore(url), openStore(url)]);
    try {
      expect(new Set(stores.map((s) => s.epoch)).size).toBe(1);
      expect(await sql(url, 'SELECT version FROM fieldboard_schema')).toEqual([{ version: PG_SCHEMA_VERSION }]);
      expect(await sql(url, `SELECT count(*)::int AS n FROM meta WHERE key = 'epoch'`)).toEqual([{ n: 1 }]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    const other = await openStore(await freshDatabaseUrl('mig'));
    expect(other.epoch).not.toBe(stores[0].epoch);
    await other.close();
  });

  it('applies the same mutation sent to two nodes at once exactly once; both answer the same result', async () => {
    await twoNodes(async (a, b) => {
      const w = await makeWorld(a);
      await push(w, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a')))]);
      for (let round = 0; round < 20; round++) {
        const m = add(w);
        const ctx = { userId: w.alice.id, clientId: w.ca, now: NOW };
        const [ra, rb] = await Promise.all([a.applyBatch(ctx, [m]), b.applyBatch(ctx, [m])]);
        expect(ra.results).toEqual(rb.results);
        applied(ra.results[0]);
        // Exactly one of the two committed the change.
        expect(ra.changes.length + rb.changes.length).toBe(1);
      }
      const snap = await b.snapshot(w.dashboardId);
      expect(snap.widgets[0]).toMatchObject({ kind: 'counter', value: 20, version: 21 });
      expect(snap.seq).toBe(21);
    });
  });

  it('decides a mutation id racing on two dashboards (no shared row lock) by the primary key alone', async () => {
    await twoNodes(async (a, b) => {
      const w = await makeWorld(a);
      const d2 = await a.createDashboard('Second', w.alice.id);
      const on2 = { dashboardId: d2.id };
      await push(w, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a'))), mut(on2, w.ca, createCounter(wid('a')))]);
      const ctx = { userId: w.alice.id, clientId: w.ca, now: NOW };
      for (let round = 0; round < 20; round++) {
        // One id, two different mutations: each node locks only its own dashboard, so nothing but the
        // unique constraint stands between them.
        const id = newMutationId(NOW + 20_000 + round);
        const m1 = { ...add(w), id };
        const m2 = { ...mut(on2, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } }), id };
        const [ra, rb] = await Promise.all([a.applyBatch(ctx, [m1]), b.applyBatch(ctx, [m2])]);
        expect(ra.results).toEqual(rb.results);
        expect(ra.changes.length + rb.changes.length).toBe(1);
      }
      expect((await a.head(w.dashboardId)) + (await a.head(d2.id))).toBe(2 + 20);
    });
  });

  it('keeps seq gap-free and each change once when two nodes write one dashboard concurrently', async () => {
    await twoNodes(async (a, b) => {
      const w = await makeWorld(a);
      await push(w, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a')))]);
      const wb = { ...w, store: b };
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i++) {
        writes.push(push(w, w.alice, w.ca, [add(w), add(w)]));
        writes.push(push(wb, w.bob, w.cb, [mut(w, w.cb, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } })]));
      }
      await Promise.all(writes);
      const log = await a.changesSince(w.dashboardId, 0, 1000);
      expect(log.map((c) => c.seq)).toEqual(Array.from({ length: 91 }, (_, i) => i + 1));
      expect(log.map((c) => c.version)).toEqual(Array.from({ length: 91 }, (_, i) => i + 1));
      expect((await b.snapshot(w.dashboardId)).widgets[0]).toMatchObject({ value: 90 });
      expect(await b.head(w.dashboardId)).toBe(91);
    });
  });

  it('does not deadlock when two nodes push batches touching the same mutation ids in opposite order', async () => {
    await twoNodes(async (a, b) => {
      const w = await makeWorld(a);
      const d2 = await a.createDashboard('Second', w.alice.id);
      await push(w, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a'))), mut({ dashboardId: d2.id }, w.ca, createCounter(wid('a')))]);
      const ctx = { userId: w.alice.id, clientId: w.ca, now: NOW };
      for (let round = 0; round < 10; round++) {
        const m1 = add(w);
        const m2 = { ...mut({ dashboardId: d2.id }, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } }), id: newMutationId(NOW + 10_000 + round) };
        const [ra, rb] = await Promise.all([a.applyBatch(ctx, [m1, m2]), b.applyBatch(ctx, [m2, m1])]);
        expect(ra.results.map((r) => r.status)).toEqual(['applied', 'applied']);
        expect([rb.results[1], rb.results[0]]).toEqual(ra.results);
      }
      expect(await a.head(w.dashboardId)).toBe(11);
      expect(await a.head(d2.id)).toBe(11);
    });
  });

  it('delivers one commit hint per dashboard a batch moved, to another node listening', async () => {
    await twoNodes(async (a, b) => {
      const w = await makeWorld(a);
      const hints: unknown[] = [];
      let ready!: () => void;
      const listening = new Promise<void>((resolve) => (ready = resolve));
      const listener = b.listenHints({ onHint: (h) => hints.push(h), onConnect: () => ready(), onDisconnect: () => undefined })!;
      await listening;
      expect(listener.connected()).toBe(true);
      await push(w, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a'))), add(w), add(w)]);
      await expect.poll(() => hints).toEqual([{ dashboardId: w.dashboardId, seq: 3 }]);
      // A replay commits nothing and so hints nothing; another batch hints its own head.
      await push(w, w.alice, w.ca, [add(w)]);
      await expect.poll(() => hints.length).toBe(2);
      expect(hints[1]).toEqual({ dashboardId: w.dashboardId, seq: 4 });
      await listener.close();
      expect(listener.connected()).toBe(false);
    });
  });

  it('refuses a database written by a newer schema', async () => {
    const url = await freshDatabaseUrl('newer');
    await (await openStore(url)).close();
    await sql(url, 'UPDATE fieldboard_schema SET version = version + 1');
    await expect(openStore(url)).rejects.toThrow(/newer than this server knows/);
  });

  it('answers ping false once closed, and closes twice without error', async () => {
    const store = await openStore(await freshDatabaseUrl('ping'));
    expect(await store.ping()).toBe(true);
    await store.close();
    await store.close();
    expect(await store.ping()).toBe(false);
  });
});
