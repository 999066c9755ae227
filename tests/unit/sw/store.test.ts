/**
 * The engine's IndexedDB transactions (sw/store.ts) against fake-indexeddb: appending with coalescing,
 * entry states written and read back, what a restart restores, replica updates and identities.
 */
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Change, ClientId, MutationId } from '../../../protocol/index.ts';
import type { OutboxEntry } from '../../../contract/index.ts';
import { DbHandle, readActivity, readReplica } from '../../../contract/local-db/index.ts';
import { SwStore } from '../../../sw/store.ts';
import { ALICE, BOB, CLIENT, D1, WA, WB, counterWidget, freshDbName, mk, nextMutationId, noteWidget } from './helpers.ts';

const open: SwStore[] = [];
function newStore(name = freshDbName()): SwStore {
  const s = new SwStore(new DbHandle(name));
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.handle.close();
});

const ids = (entries: OutboxEntry[]) => entries.map((e) => e.mutation.id);

describe('append', () => {
  it('queues in order with increasing order numbers, durably', async () => {
    const name = freshDbName();
    const store = newStore(name);
    await store.restore();
    const a = mk.add(WA, 1);
    const b = mk.add(WB, 1);
    const r1 = await store.append(ALICE.id, a);
    const r2 = await store.append(ALICE.id, b);
    expect(r1.entry).toMatchObject({ state: 'queued', attempts: 0, order: 1, userId: ALICE.id, lastError: null });
    expect(r2.entry.order).toBe(2);
    expect(ids(await store.outbox(ALICE.id))).toEqual([a.id, b.id]);
    // Another connection (a restarted worker, a tab) reads the same.
    expect(ids(await newStore(name).outbox(ALICE.id))).toEqual([a.id, b.id]);
  });

  it('the same mutation twice is stored once and answered as stored', async () => {
    const store = newStore();
    const a = mk.set(WA, { title: 'x' });
    await store.append(ALICE.id, a);
    const again = await store.append(ALICE.id, a);
    expect(again.entry.mutation).toEqual(a);
    expect(ids(await store.outbox(ALICE.id))).toEqual([a.id]);
  });

  it('coalesces typing into one entry per field, keeping its place in the outbox', async () => {
    const store = newStore();
    const first = mk.set(WA, { text: 'h' }, { baseVersion: 2 });
    await store.append(ALICE.id, first);
    await store.append(ALICE.id, mk.add(WB, 1));
    let last = first;
    for (const text of ['he', 'hel', 'hell', 'hello']) {
      last = mk.set(WA, { text }, { baseVersion: 3 });
      await store.append(ALICE.id, last);
    }
    const outbox = await store.outbox(ALICE.id);
    expect(outbox).toHaveLength(2);
    expect(outbox[0].mutation).toEqual({ ...last, baseVersion: 2 });
    expect(outbox[0].order).toBe(1);
    expect(outbox[1].mutation.name).toBe('counter.add');
  });

  it('never merges counter.add: every increment is its own entry', async () => {
    const store = newStore();
    for (let i = 0; i < 5; i++) await store.append(ALICE.id, mk.add(WA, 1));
    const outbox = await store.outbox(ALICE.id);
    expect(outbox.map((e) => e.mutation.name)).toEqual(Array(5).fill('counter.add'));
    expect(outbox.map((e) => e.order)).toEqual([1, 2, 3, 4, 5]);
  });

  it('does not coalesce into an entry being sent or waiting after a failure', async () => {
    const store = newStore();
    const a = mk.set(WA, { title: 'a' });
    const { entry } = await store.append(ALICE.id, a);
    await store.setState([{ ...entry, state: 'sending' }]);
    const b = mk.set(WA, { title: 'b' });
    await store.append(ALICE.id, b);
    expect(ids(await store.outbox(ALICE.id))).toEqual([a.id, b.id]);

    const { entry: be } = await store.append(ALICE.id, mk.set(WB, { title: 'x' }));
    await store.setState([{ ...be, state: 'failed', attempts: 1, nextAttemptAt: 1, lastError: 'HTTP 502 on push' }]);
    await store.append(ALICE.id, mk.set(WB, { title: 'y' }));
    expect((await store.outbox(ALICE.id)).filter((e) => e.mutation.args.widgetId === WB)).toHaveLength(2);
  });

  it('records the confirmed widget as the entry\'s base', async () => {
    const store = newStore();
    await store.setIdentity(ALICE);
    await store.commit({ replica: [{ dashboardId: D1, kind: 'reset', epoch: 'e1', seq: 3, widgets: [noteWidget(WA, 3, 'old')] }] });
    const { entry } = await store.append(ALICE.id, mk.set(WA, { text: 'new' }));
    expect(entry.base).toEqual(noteWidget(WA, 3, 'old'));
  });

  it('keeps users apart: only the user\'s entries are read, and nobody coalesces into another user\'s', async () => {
    const store = newStore();
    const bobs = mk.set(WA, { title: 'bob' }, { clientId: CLIENT });
    await store.append(BOB.id, bobs);
    const alices = mk.set(WA, { title: 'alice' });
    await store.append(ALICE.id, alices);
    expect(ids(await store.outbox(BOB.id))).toEqual([bobs.id]);
    expect(ids(await store.outbox(ALICE.id))).toEqual([alices.id]);
  });
});

describe('restart', () => {
  it('a worker stopped mid-push leaves its entries queued again, in order, with nothing lost', async () => {
    const name = freshDbName();
    const before = newStore(name);
    await before.restore();
    await before.setIdentity(ALICE);
    const a = (await before.append(ALICE.id, mk.add(WA, 1))).entry;
    const b = (await before.append(ALICE.id, mk.add(WB, 1))).entry;
    await before.setState([{ ...a, state: 'sending' }, { ...b, state: 'sending' }]);
    await before.setPolicy('local-wins');
    await before.addWatched([D1]);
    const clientId = (await before.restore()).clientId;

    const after = newStore(name); // a new SW instance: empty memory, same database
    const r = await after.restore();
    expect(r).toEqual({ clientId, identity: ALICE, policy: 'local-wins', watched: [D1] });
    const outbox = await after.outbox(ALICE.id);
    expect(ids(outbox)).toEqual([a.mutation.id, b.mutation.id]);
    expect(outbox.map((e) => e.state)).toEqual(['queued', 'queued']);
    expect(outbox.map((e) => e.attempts)).toEqual([1, 1]); // they may have reached the server
    // The order keeps counting from where it was.
    expect((await after.append(ALICE.id, mk.add(WA, 2))).entry.order).toBe(3);
  });

  it('an entry that was in flight when the worker stopped is never coalesced after the restart', async () => {
    // It may already be applied on the server under its id: replacing it would lose that id's answer
    // (and a discard of the merged entry could not undo what the server already applied).
    const name = freshDbName();
    const before = newStore(name);
    const a = (await before.append(ALICE.id, mk.set(WA, { title: 'first' }))).entry;
    await before.setState([{ ...a, state: 'sending' }]);

    const after = newStore(name);
    await after.restore();
    const b = mk.set(WA, { title: 'second' });
    await after.append(ALICE.id, b);
    expect(ids(await after.outbox(ALICE.id))).toEqual([a.mutation.id, b.id]);
  });
});

describe('commit', () => {
  it('removes settled entries, rewrites states, adds re-issued ones and activity in one go', async () => {
    const store = newStore();
    const a = (await store.append(ALICE.id, mk.add(WA, 1))).entry;
    const b = (await store.append(ALICE.id, mk.set(WB, { title: 'x' }))).entry;
    const reissued = { ...b, mutation: mk.set(WB, { title: 'x' }, { baseVersion: 9 }) };
    await store.commit({
      remove: [a.mutation.id, b.mutation.id],
      put: [reissued],
      activity: [{ userId: ALICE.id, entry: { at: 1, dashboardId: D1, widgetId: WA, kind: 'resolved', message: 'done' } }],
    });
    expect(ids(await store.outbox(ALICE.id))).toEqual([reissued.mutation.id]);
    expect(await readActivity(await store.handle.get(), ALICE.id)).toHaveLength(1);
  });

  it('a state update never brings back an entry removed meanwhile (discarded while in flight)', async () => {
    const store = newStore();
    const a = (await store.append(ALICE.id, mk.add(WA, 1))).entry;
    expect(await store.discard(ALICE.id, a.mutation.id)).toEqual(a);
    await store.setState([{ ...a, state: 'failed', attempts: 1 }]);
    expect(await store.outbox(ALICE.id)).toEqual([]);
  });

  it('keeps the activity list bounded, dropping the oldest', async () => {
    const store = newStore();
    const act = (n: number) => ({ userId: ALICE.id, entry: { at: n, dashboardId: D1, widgetId: WA, kind: 'rejected' as const, message: `#${n}` } });
    await store.commit({ activity: Array.from({ length: 205 }, (_, i) => act(i)) });
    const list = await readActivity(await store.handle.get(), ALICE.id, 1_000);
    expect(list).toHaveLength(200);
    expect(list[0].message).toBe('#204');
    expect(list.at(-1)!.message).toBe('#5');
  });
});

describe('replica', () => {
  const change = (seq: number, version: number, widget: ReturnType<typeof counterWidget> | null, widgetId = WA): Change => ({
    seq,
    dashboardId: D1,
    widgetId,
    version,
    widget,
    mutationId: null,
    clientId: null,
    userId: null,
    at: 1,
  });

  it('moves forward only: a stale change neither overwrites nor revives; the cursor follows the highest seq', async () => {
    const store = newStore();
    await store.setIdentity(ALICE);
    const db = await store.handle.get();
    await store.commit({ replica: [{ dashboardId: D1, kind: 'changes', changes: [change(5, 3, counterWidget(WA, 3, 30))], seq: null, epoch: 'e1' }] });
    await store.commit({ replica: [{ dashboardId: D1, kind: 'changes', changes: [change(4, 2, counterWidget(WA, 2, 20))], seq: null, epoch: 'e1' }] });
    expect(await readReplica(db, D1, ALICE.id)).toEqual([counterWidget(WA, 3, 30)]);
    expect(await store.cursor(D1)).toEqual({ dashboardId: D1, cursor: 5, epoch: 'e1' });

    await store.commit({ replica: [{ dashboardId: D1, kind: 'changes', changes: [change(6, 4, null)], seq: 6, epoch: 'e1' }] });
    await store.commit({ replica: [{ dashboardId: D1, kind: 'changes', changes: [change(5, 3, counterWidget(WA, 3, 30))], seq: null, epoch: 'e1' }] });
    expect(await readReplica(db, D1, ALICE.id)).toEqual([]);
    expect(await store.replicaWidget(D1, WA)).toBeNull();
    expect(await store.cursor(D1)).toEqual({ dashboardId: D1, cursor: 6, epoch: 'e1' });
  });

  it('a reset replaces the dashboard and its cursor', async () => {
    const store = newStore();
    await store.setIdentity(ALICE);
    await store.commit({ replica: [{ dashboardId: D1, kind: 'changes', changes: [change(5, 3, counterWidget(WA, 3))], seq: null, epoch: 'e1' }] });
    await store.commit({ replica: [{ dashboardId: D1, kind: 'reset', epoch: 'e2', seq: 2, widgets: [counterWidget(WB, 1)] }] });
    expect(await readReplica(await store.handle.get(), D1, ALICE.id)).toEqual([counterWidget(WB, 1)]);
    expect(await store.cursor(D1)).toEqual({ dashboardId: D1, cursor: 2, epoch: 'e2' });
  });
});

describe('identities', () => {
  it('another user signing in clears the replica and cursors but never the first user\'s outbox', async () => {
    const store = newStore();
    await store.setIdentity(ALICE);
    await store.commit({ replica: [{ dashboardId: D1, kind: 'reset', epoch: 'e1', seq: 2, widgets: [counterWidget(WA, 1)] }] });
    await store.addWatched([D1]);
    const a = (await store.append(ALICE.id, mk.add(WA, 1))).entry;
    await store.setIdentity(BOB);
    const db = await store.handle.get();
    expect(await readReplica(db, D1, BOB.id)).toEqual([]);
    expect(await readReplica(db, D1, ALICE.id)).toEqual([]);
    expect(await store.cursor(D1)).toBeNull();
    expect((await store.restore()).watched).toEqual([]);
    expect(await store.outbox(ALICE.id)).toEqual([a]);
    expect(await store.outbox(BOB.id)).toEqual([]);
  });

  it('signing out keeps the pending entries unless asked to discard them, and says how many', async () => {
    const store = newStore();
    await store.setIdentity(ALICE);
    await store.append(ALICE.id, mk.add(WA, 1));
    await store.append(ALICE.id, mk.add(WA, 2));
    await store.append(BOB.id, mk.add(WA, 3, { clientId: 'c_bob' as ClientId }));
    expect(await store.signOut(ALICE.id, false)).toBe(2);
    expect((await store.restore()).identity).toBeNull();
    expect(await store.outbox(ALICE.id)).toHaveLength(2);
    expect(await store.signOut(ALICE.id, true)).toBe(2);
    expect(await store.outbox(ALICE.id)).toEqual([]);
    expect(await store.outbox(BOB.id)).toHaveLength(1);
  });

  it('discard refuses another user\'s entry and unknown ids', async () => {
    const store = newStore();
    const a = (await store.append(ALICE.id, mk.add(WA, 1))).entry;
    expect(await store.discard(BOB.id, a.mutation.id)).toBeNull();
    expect(await store.discard(ALICE.id, 'm_nope' as MutationId)).toBeNull();
    expect(await store.outbox(ALICE.id)).toEqual([a]);
  });
});

describe('the in-memory outbox (what a drain reads several times per batch)', () => {
  it('a settle whose entries the echo already removed writes nothing: no new generation, nothing to broadcast', async () => {
    const store = newStore(freshDbName());
    await store.restore();
    const { entry } = await store.append(ALICE.id, mk.add(WA, 1));
    const { gen: before } = await store.wholeOutbox(ALICE.id);
    // The echo of the change proves it applied: the entry goes (a new generation).
    await store.commit({ remove: [entry.mutation.id] });
    const { gen: afterEcho } = await store.wholeOutbox(ALICE.id);
    expect(afterEcho).toBe(before + 1);
    // The push's own result settles the same entry again: nothing is left to remove.
    await store.commit({ remove: [entry.mutation.id] });
    const { gen, upserted } = await store.wholeOutbox(ALICE.id);
    expect(gen).toBe(afterEcho);
    expect(upserted).toEqual([]);
  });

  it('answers what IndexedDB holds after every kind of write, in a random sequence', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('add', 'type', 'send', 'settle', 'reissue', 'discard', 'other-user', 'sign-out'), fc.nat(20)), {
          maxLength: 40,
        }),
        async (steps) => {
          const name = freshDbName();
          const store = newStore(name);
          await store.restore();
          for (const [step, n] of steps) {
            const mine = await store.outbox(ALICE.id);
            const pick = mine[n % Math.max(1, mine.length)];
            const widget = n % 2 ? WA : WB;
            if (step === 'add') await store.append(ALICE.id, mk.add(widget, 1));
            else if (step === 'type') await store.append(ALICE.id, mk.set(widget, { text: `t${n}` }));
            else if (step === 'other-user') await store.append(BOB.id, mk.add(widget, 1, { clientId: 'c_bob' as ClientId }));
            else if (step === 'sign-out') await store.signOut(ALICE.id, n % 3 === 0);
            else if (!pick) continue;
            else if (step === 'send') await store.setState([{ ...pick, state: 'sending' }]);
            else if (step === 'settle') await store.commit({ remove: [pick.mutation.id] });
            else if (step === 'reissue') await store.commit({ remove: [pick.mutation.id], put: [{ ...pick, mutation: { ...pick.mutation, id: nextMutationId() } }] });
            else if (step === 'discard') await store.discard(ALICE.id, pick.mutation.id);
            // A second connection reads IndexedDB itself: the two must agree.
            const fresh = newStore(name);
            expect(await store.outbox(ALICE.id)).toEqual(await fresh.outbox(ALICE.id));
            expect(await store.outbox(BOB.id)).toEqual(await fresh.outbox(BOB.id));
            await fresh.handle.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('sees a write by another worker on the same database at its next read', async () => {
    const name = freshDbName();
    const first = newStore(name);
    const a = (await first.append(ALICE.id, mk.add(WA, 1))).entry;
    expect(ids(await first.outbox(ALICE.id))).toEqual([a.mutation.id]);
    // An older worker finishing a batch during an update: it settles `a` and queues `b`.
    const other = newStore(name);
    const b = mk.add(WB, 1);
    await other.commit({ remove: [a.mutation.id] });
    await other.append(ALICE.id, b);
    expect(ids(await first.outbox(ALICE.id))).toEqual([b.id]);
    const c = mk.add(WA, 2);
    await first.append(ALICE.id, c);
    expect(ids(await first.outbox(ALICE.id))).toEqual([b.id, c.id]);
  });

  it('sees entries added or removed by a writer that does not bump the generation (an older worker)', async () => {
    const store = newStore();
    const a = (await store.append(ALICE.id, mk.add(WA, 1))).entry;
    expect(ids(await store.outbox(ALICE.id))).toEqual([a.mutation.id]);
    const db = await store.handle.get();
    const b = { ...a, mutation: { ...a.mutation, id: nextMutationId() }, order: a.order + 1 };
    await db.put('outbox', b);
    expect(ids(await store.outbox(ALICE.id))).toEqual([a.mutation.id, b.mutation.id]);
    await db.delete('outbox', a.mutation.id);
    expect(ids(await store.outbox(ALICE.id))).toEqual([b.mutation.id]);
  });

  it('hands out frozen entries, so nothing changes the copy without writing IndexedDB', async () => {
    const store = newStore();
    await store.append(ALICE.id, mk.add(WA, 1));
    const [e] = await store.outbox(ALICE.id);
    expect(() => {
      (e as { state: string }).state = 'failed';
    }).toThrow(TypeError);
    expect((await store.outbox(ALICE.id))[0].state).toBe('queued');
  });
});
