/**
 * Push throughput of the storage backends, through the Store interface (what every push costs before any
 * fan-out): `writers` concurrent writers each send one-mutation batches (counter.add on one shared
 * dashboard, the contended case) until `batches` are applied. SQLite (one file, synchronous = FULL)
 * against PostgreSQL (fsync on) from one node's pool and from two nodes' pools. Batches per second and the
 * latency of one batch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { newClientId, newMutationId, newWidgetId, type ClientId, type Mutation, type MutationInput } from '../../protocol/index.ts';
import { openStore } from '../../server/store/open-store.ts';
import type { Store } from '../../server/store/store.ts';
import { summarize } from '../lib/stats.ts';
import type { BenchPostgres } from './pg.ts';

export interface PushOptions {
  batches: number;
  writers: number;
}

export interface PushResult {
  backend: string;
  batchesPerSec: number;
  latencyMs: { p50: number; p99: number };
}

async function measure(backend: string, stores: Store[], opts: PushOptions): Promise<PushResult> {
  const owner = await stores[0].createUser(`bench_${Math.random().toString(36).slice(2)}`, 'x');
  const dashboard = await stores[0].createDashboard('Bench', owner.id);
  const clientId: ClientId = newClientId();
  const widgetId = newWidgetId();
  const ctx = () => ({ userId: owner.id, clientId, now: Date.now() });
  const m = (input: MutationInput): Mutation =>
    ({ id: newMutationId(), clientId, dashboardId: dashboard.id, baseVersion: 0, createdAt: Date.now(), ...input }) as Mutation;
  await stores[0].applyBatch(ctx(), [m({ name: 'widget.create', args: { widgetId, kind: 'counter', title: 'n', position: 'a0', value: 0 } })]);

  let left = opts.batches;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.writers }, async (_, w) => {
      const store = stores[w % stores.length];
      while (left-- > 0) {
        const t = performance.now();
        const out = await store.applyBatch(ctx(), [m({ name: 'counter.add', args: { widgetId, delta: 1 } })]);
        if (out.results[0].status !== 'applied') throw new Error(`push not applied: ${JSON.stringify(out.results[0])}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const head = await stores[0].head(dashboard.id);
  if (head !== opts.batches + 1) throw new Error(`expected head ${opts.batches + 1}, got ${head}`);
  const lat = summarize(latencies);
  return { backend, batchesPerSec: opts.batches / seconds, latencyMs: { p50: lat.p50, p99: lat.p99 } };
}

export async function runPushThroughput(pg: BenchPostgres, opts: PushOptions): Promise<PushResult[]> {
  const results: PushResult[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'fieldboard-bench-push-'));
  try {
    const sqlite = await openStore(`sqlite:${path.join(dir, 'bench.db')}`);
    results.push(await measure('SQLite', [sqlite], opts));
    await sqlite.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const url = await pg.freshDatabase('push');
  const one = await openStore(url);
  results.push(await measure('PostgreSQL, 1 node', [one], opts));
  const two = await openStore(url);
  results.push(await measure('PostgreSQL, 2 nodes', [one, two], opts));
  await Promise.all([one.close(), two.close()]);
  return results;
}
