/**
 * The drain benchmark's seeding, run in the benchmarked page (bundled into one classic script by
 * bench/drain/run.ts and added to the page): N queued `counter.add` entries written into the worker's outbox
 * through the local-database module (contract/local-db/) as the worker's own append writes them, in one
 * strict transaction: the entry made by `newOutboxEntry` on the replica's widget, `nextOrder` advanced and
 * `outboxGen` bumped (the worker's in-memory copy of the outbox follows it).
 */
import { newMutationId, type DashboardId, type WidgetId } from '../../protocol/index.ts';
import { bumpOutboxGen, ensureClientId, getMeta, newOutboxEntry, openFieldboardDb, setMeta, validReplica } from '../../contract/local-db/index.ts';

/** Seeds `count` entries; answers the client id they carry. */
async function seedOutbox(count: number, dashboardId: DashboardId, widgetId: WidgetId): Promise<string> {
  const db = await openFieldboardDb();
  try {
    const clientId = await ensureClientId(db);
    const tx = db.transaction(['outbox', 'meta', 'widgets'], 'readwrite', { durability: 'strict' });
    const identity = await getMeta(tx, 'identity');
    if (!identity) throw new Error('seed: nobody is signed in');
    const first = (await getMeta(tx, 'nextOrder')) ?? 1;
    const base = validReplica(await tx.objectStore('widgets').get([dashboardId, widgetId]))?.widget ?? null;
    const now = Date.now();
    const outbox = tx.objectStore('outbox');
    for (let i = 0; i < count; i++) {
      const mutation = { id: newMutationId(now), clientId, dashboardId, baseVersion: 0, createdAt: now, name: 'counter.add' as const, args: { widgetId, delta: 1 } };
      void outbox.put(newOutboxEntry(mutation, identity.id, first + i, base));
    }
    await setMeta(tx, 'nextOrder', first + count);
    await bumpOutboxGen(tx);
    await tx.done;
    return clientId;
  } finally {
    db.close();
  }
}

(globalThis as unknown as { fieldboardSeedOutbox: typeof seedOutbox }).fieldboardSeedOutbox = seedOutbox;
