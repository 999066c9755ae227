/**
 * Outbox broadcasts are deltas (docs/service-worker.md, "Outbox broadcasts are deltas"): the worker tells
 * tabs what its own transactions changed, never the whole outbox again, and a tab folding the broadcasts
 * (contract/outbox-copy.ts) holds what IndexedDB holds.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { newMutationId, parse, type WidgetId } from '../../../protocol/index.ts';
import { MutateReplyDataSchema, type SwBroadcast } from '../../../contract/index.ts';
import { DbHandle, newOutboxEntry } from '../../../contract/local-db/index.ts';
import { SwStore } from '../../../sw/store.ts';
import { ALICE, freshDbName, mk, outboxBroadcasts, rid, trackedEngines, waitFor, type Harness } from './helpers.ts';

const engine = trackedEngines();
type OutboxBroadcast = Extract<SwBroadcast, { type: 'outbox' }>;
const outboxes = (h: Harness) => h.broadcasts.filter((b): b is OutboxBroadcast => b.type === 'outbox');

/** A database whose outbox already holds `n` of Alice's entries, one widget each (a long offline day). */
async function pending(n: number): Promise<string> {
  const dbName = freshDbName();
  const store = new SwStore(new DbHandle(dbName));
  await store.restore();
  const put = Array.from({ length: n }, (_, i) =>
    newOutboxEntry(mk.add(`w_${i}` as WidgetId, 1, { id: newMutationId(1_000 + i) }), ALICE.id, i + 1),
  );
  await store.commit({ put });
  await store.handle.close();
  return dbName;
}

describe('outbox broadcasts as deltas', () => {
  it('an append to an outbox of 1,000 entries broadcasts that one entry, without reading the outbox', async () => {
    const h = engine({ dbName: await pending(1_000) });
    await h.cmd({ type: 'network', online: false });
    await h.signIn();
    // The worker's first outbox broadcast is whole: tabs may have heard nothing of this instance.
    await waitFor(() => expect(outboxes(h).at(-1)).toMatchObject({ from: null }));
    expect(outboxes(h).at(-1)!.upserted).toHaveLength(1_000);

    const read = vi.spyOn(h.store, 'outbox');
    const reply = await h.mutate((clientId) => mk.add('w_new' as WidgetId, 1, { clientId }));
    const data = parse(MutateReplyDataSchema, reply.data);
    if (!data.ok) throw new Error(data.message);
    const holding = h.broadcasts.find((b) => b.seq === data.value.outboxSeq) as OutboxBroadcast;
    expect(holding.upserted.map((e) => e.mutation.id)).toEqual([data.value.entry!.mutation.id]);
    expect(holding.removed).toEqual([]);
    expect(holding.gen).toBe(holding.from! + 1);
    expect(read).not.toHaveBeenCalled();
    // Folded as a tab folds them, the broadcasts give the outbox IndexedDB holds.
    const ids = (await h.outbox()).map((e) => [e.mutation.id, e.state]);
    expect(outboxBroadcasts(h.broadcasts).at(-1)).toEqual(ids);
    expect(ids).toHaveLength(1_001);
  });

  it('a drain of 1,000 entries in batches of 100 broadcasts each batch, never the rest of the outbox', async () => {
    const h = engine({ dbName: await pending(1_000), maxBatch: 100 });
    await h.signIn();
    await vi.waitFor(async () => expect(await h.outbox()).toEqual([]), { timeout: 20_000, interval: 20 });
    const deltas = outboxes(h).filter((b) => b.from !== null);
    expect(deltas.length).toBeGreaterThanOrEqual(20); // sending, then settled, per batch
    for (const b of deltas) expect(b.upserted.length + b.removed.length).toBeLessThanOrEqual(100);
    expect(outboxBroadcasts(h.broadcasts).at(-1)).toEqual([]);
  });

  it('a worker started again broadcasts the whole outbox once, then deltas from there', async () => {
    const dbName = freshDbName();
    const first = engine({ dbName });
    await first.cmd({ type: 'network', online: false });
    await first.signIn();
    await first.mutate((clientId) => mk.add('w_a' as WidgetId, 1, { clientId }));
    await first.close();

    const second = engine({ dbName });
    await second.cmd({ type: 'network', online: false });
    await second.cmd({ type: 'identity', requestId: rid(), user: ALICE });
    await second.mutate((clientId) => mk.add('w_b' as WidgetId, 1, { clientId }));
    const [whole, ...deltas] = outboxes(second);
    expect(whole).toMatchObject({ from: null, seq: 1 }); // at start, before anything else
    expect(whole!.upserted).toHaveLength(1);
    expect(deltas.every((d) => d.from !== null)).toBe(true);
    expect(deltas.at(-1)!.upserted).toHaveLength(1);
    expect(outboxBroadcasts(second.broadcasts).at(-1)).toHaveLength(2);
  });
});
