/**
 * The sync engine (sw/engine.ts) end to end inside one worker: tab commands in, socket frames and HTTP
 * calls to a fake server out, IndexedDB (fake-indexeddb, a fresh database per test) underneath, broadcasts
 * to tabs recorded. Time is a manual clock injected through the engine's env.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { parse, type ClientId, type MutationId } from '../../../protocol/index.ts';
import { MutateReplyDataSchema, StateReplyDataSchema, type OutboxEntry, type SwBroadcast } from '../../../contract/index.ts';
import { readActivity, readReplica } from '../../../contract/local-db/index.ts';
import {
  ALICE,
  BOB,
  D1,
  FakeServer,
  WA,
  WB,
  counterWidget,
  mk,
  outboxBroadcasts,
  rid,
  statuses,
  trackedEngines,
  waitFor,
  type Harness,
} from './helpers.ts';

const engine = trackedEngines();

const httpOnly = () => {
  const server = new FakeServer();
  server.socketsWork = false;
  return server;
};
const states = (entries: OutboxEntry[]) => entries.map((e) => e.state);
const idsOf = (entries: OutboxEntry[]) => entries.map((e) => e.mutation.id);

describe('an outbox entry\'s life', () => {
  it('alone in the outbox: stored as sending and pushed at once, removed once applied, broadcast at every step', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    h.server.holdPushes = true;

    const reply = await h.mutate((clientId) => mk.add(WA, 1, { clientId }));
    expect(reply.ok).toBe(true);
    const data = parse(MutateReplyDataSchema, reply.data);
    if (!data.ok || !data.value.entry) throw new Error('no entry in the reply');
    // Nothing else pending and the socket open: the append stores it as sending (docs/service-worker.md,
    // "A click's fast path"); the drain test covers a click that queues behind one in flight.
    expect(data.value.entry).toMatchObject({ state: 'sending', attempts: 0, userId: ALICE.id });
    const entry = data.value.entry;
    const id = entry.mutation.id;
    // The reply names the broadcast that holds the entry (tabs drop their provisional copy on it).
    const holding = h.broadcasts.find((b) => b.seq === data.value.outboxSeq) as Extract<SwBroadcast, { type: 'outbox' }>;
    expect(holding.upserted.map((e) => e.mutation.id)).toEqual([id]);

    await waitForPush(h, 1);
    expect(states(await h.outbox())).toEqual(['sending']);

    const push = h.server.socket!.framesOf('push')[0];
    expect(push.mutations).toEqual([entry.mutation]);
    h.server.socket!.deliver({ type: 'push-result', requestId: push.requestId, results: [{ id, status: 'applied', seq: 1, version: 2 }] });
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    // The broadcast follows the commit (tabs are told only what IndexedDB already holds).
    await waitFor(() => expect(outboxBroadcasts(h.broadcasts).slice(-2)).toEqual([[[id, 'sending']], []]));
  });

  it('a change carrying its id settles the entry with the replica, in one commit, before the push result', async () => {
    const h = engine();
    await h.signIn();
    await h.cmd({ type: 'watch', dashboardIds: [D1] });
    await h.until('caught-up');
    h.server.holdPushes = true;
    let clientId = '' as ClientId;
    const reply = await h.mutate((c) => ((clientId = c), mk.add(WA, 1, { clientId: c })));
    const data = parse(MutateReplyDataSchema, reply.data);
    if (!data.ok || !data.value.entry) throw new Error('no entry in the reply');
    const id = data.value.entry.mutation.id;
    await waitForPush(h, 1);

    // The server echoes the change before its push-result (docs/protocol.md "Precise rules", "Echo
    // order"); the result is late, then lost.
    const w = counterWidget(WA, 2, 1);
    const seen = h.broadcasts.length;
    h.server.socket!.deliver({
      type: 'changes',
      dashboardId: D1,
      changes: [{ seq: 1, dashboardId: D1, widgetId: WA, version: 2, widget: w, mutationId: id, clientId, userId: ALICE.id, at: 1 }],
    });
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    expect(await readReplica(await h.store.handle.get(), D1, ALICE.id)).toEqual([w]);
    // Tabs hear the replica holding the change, then the outbox without the entry: never both at once
    // (a view replaying the +1 on top of a replica that already has it would show +2).
    await waitFor(() => expect(h.broadcasts.slice(seen).map((b) => b.type)).toEqual(['replica', 'outbox']));
    expect(outboxBroadcasts(h.broadcasts).at(-1)).toEqual([]);

    // The socket drops before the push result: the entry goes back to queued only if it is still there.
    h.server.socket!.serverClose(1006);
    await turns();
    expect(await h.outbox()).toEqual([]);
  });

  it('a rejected mutation leaves the outbox and the person is told why, in IndexedDB and by broadcast', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    h.server.answer = () => ({ id: '', status: 'rejected', code: 'not-found', message: 'no such widget' });
    await h.mutate((clientId) => mk.del(WA, { clientId }));
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    const activity = await readActivity(await h.store.handle.get(), ALICE.id);
    expect(activity).toEqual([
      expect.objectContaining({ kind: 'rejected', code: 'not-found', widgetId: WA, message: 'A widget deleted — undone: no such widget' }),
    ]);
    await waitFor(() => expect(h.broadcasts.filter((b) => b.type === 'activity')).toHaveLength(1));
  });

  it('transient HTTP failures retry on the backoff timeline; success resets it; online retries at once', async () => {
    const h = engine({ server: httpOnly(), random: () => 0.5 });
    await h.signIn();
    expect(h.engine.connection.kind).toBe('backoff'); // no socket: the outbox goes over /api/push
    h.server.pushStatus = 503;

    await h.mutate((clientId) => mk.add(WA, 1, { clientId }));
    await h.engine.drain();
    const delays: number[] = [];
    for (let n = 1; n <= 5; n++) {
      const [e] = await h.outbox();
      expect(e).toMatchObject({ state: 'failed', attempts: n, lastError: 'HTTP 503 on push' });
      const delay = e.nextAttemptAt - h.clock.now;
      delays.push(delay);
      h.clock.advance(delay - 1);
      await h.engine.drain();
      expect(h.server.pushes).toHaveLength(n); // held until due
      if (n === 5) h.server.pushStatus = 200;
      h.clock.advance(1);
      await waitFor(() => expect(h.server.pushes).toHaveLength(n + 1));
      await h.engine.drain();
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000]);
    expect(await h.outbox()).toEqual([]);
    expect(h.server.pushes.every((p) => p.via === 'http')).toBe(true);
    // The same mutation (same id: the server's idempotency key) was sent every time.
    expect(new Set(h.server.receivedIds()).size).toBe(1);
    expect(h.registerSync).toHaveBeenCalled();

    // After a success the next failure waits the first delay again.
    h.server.pushStatus = 503;
    await h.mutate((clientId) => mk.add(WA, 1, { clientId }));
    await h.engine.drain();
    let [e] = await h.outbox();
    expect(e.nextAttemptAt - h.clock.now).toBe(250);

    // Fail it a few more times, then the browser comes back online: retried now, not at nextAttemptAt.
    for (let i = 0; i < 3; i++) {
      h.clock.advance((await h.outbox())[0].nextAttemptAt - h.clock.now);
      await waitFor(async () => expect((await h.outbox())[0].attempts).toBe(i + 2));
      await h.engine.drain(); // the failed drain has finished and scheduled its retry
    }
    [e] = await h.outbox();
    expect(e.nextAttemptAt - h.clock.now).toBe(2000);
    h.server.pushStatus = 200;
    const before = h.server.pushes.length;
    await h.cmd({ type: 'network', online: true });
    await h.engine.drain();
    expect(h.server.pushes).toHaveLength(before + 1);
    expect(await h.outbox()).toEqual([]);
  });

  it('a socket that dies with a push in flight fails the batch as transient and resends the same ids', async () => {
    const h = engine({ random: () => 0.5 });
    await h.signIn();
    await h.until('caught-up');
    h.server.holdPushes = true;
    const r = await h.mutate((clientId) => mk.add(WA, 1, { clientId }));
    const id = (r.data as { entry: OutboxEntry }).entry.mutation.id;
    await waitForPush(h, 1);
    h.server.socket!.serverClose(1006);
    await waitFor(async () => expect((await h.outbox())[0]).toMatchObject({ state: 'failed', attempts: 1, lastError: 'socket closed (1006)' }));

    h.server.holdPushes = false;
    // The socket had been up for less than `stableMs`, so the connection waits the first delay; the
    // entry's own retry is due at the same time.
    h.clock.advance(250);
    await h.until('caught-up');
    await h.engine.drain();
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    expect(h.server.receivedIds()).toEqual([id, id]);
  });

  it('a socket closed 1009 (a frame too big) halves the next batch, and everything still goes', async () => {
    const max = 8;
    const h = engine({ random: () => 0.5, maxBatch: max });
    await h.signIn();
    await h.until('caught-up');
    h.server.holdPushes = true;
    await h.mutate((clientId) => mk.add(WA, 1, { clientId }));
    await waitForPush(h, 1);
    for (let i = 0; i < max; i++) await h.mutate((clientId) => mk.add(WB, 1, { clientId }));
    h.server.socket!.serverClose(1009, 'too big');
    await waitFor(async () => expect((await h.outbox())[0]).toMatchObject({ state: 'failed', attempts: 1 }));
    h.server.holdPushes = false;
    h.clock.advance(250);
    await h.until('caught-up');
    await h.engine.drain();
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    const sizes = h.server.pushes.map((p) => p.ids.length);
    expect(sizes[0]).toBe(1);
    expect(sizes[1]).toBe(max / 2);
    expect(sizes.slice(1).reduce((a, b) => a + b, 0)).toBe(max + 1);
  });

  it('no result in time counts as a transient failure', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    h.server.holdPushes = true;
    await h.mutate((clientId) => mk.add(WA, 1, { clientId }));
    await waitForPush(h, 1);
    // Advance in heartbeat steps so the socket's pongs arrive: only the push goes unanswered.
    for (let i = 0; i < 3; i++) {
      h.clock.advance(10_000);
      await turns();
    }
    expect(h.engine.connection.kind).toBe('caught-up');
    await waitFor(async () => expect((await h.outbox())[0]).toMatchObject({ state: 'failed', lastError: 'no push result in time' }));
  });

  it('a 401 while draining keeps every entry queued, pauses sync and asks to sign in again', async () => {
    const h = engine({ server: httpOnly() });
    await h.signIn();
    h.server.pushStatus = 401;
    await h.mutate((clientId) => mk.add(WA, 1, { clientId }));
    await h.engine.drain();
    expect(states(await h.outbox())).toEqual(['queued']);
    expect(h.engine.connection).toEqual({ kind: 'signed-out' });
    expect(h.broadcasts.at(-1)).toMatchObject({ type: 'identity', user: null });
    const refused = await h.mutate((clientId) => mk.add(WA, 1, { clientId }));
    expect(refused).toMatchObject({ ok: false, error: 'not signed in' });
  });
});

describe('ordering', () => {
  it('mutations go out in the order they were queued, one push at a time', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    h.server.holdPushes = true;
    const queued: MutationId[] = [];
    const q = async (build: (c: ClientId) => ReturnType<typeof mk.add>) => {
      const r = await h.mutate(build);
      queued.push((r.data as { entry: OutboxEntry }).entry.mutation.id);
    };
    await q((c) => mk.add(WA, 1, { clientId: c }));
    await waitForPush(h, 1);
    // While that push is out, more edits queue up; none overtakes it.
    await q((c) => mk.set(WA, { title: 'x' }, { clientId: c }));
    await q((c) => mk.add(WB, 1, { clientId: c }));
    await q((c) => mk.move(WA, 'b0', { clientId: c }));
    await q((c) => mk.add(WB, 2, { clientId: c }));
    await turns(); // the drains the new mutations started joined the running one: nothing new goes out
    expect(h.server.socket!.framesOf('push')).toHaveLength(1);

    h.server.holdPushes = false;
    const first = h.server.socket!.framesOf('push')[0];
    h.server.socket!.deliver({ type: 'push-result', requestId: first.requestId, results: [{ id: queued[0], status: 'applied', seq: 1, version: 2 }] });
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    const pushes = h.server.socket!.framesOf('push').map((p) => p.mutations.map((m) => (m as { id: string }).id));
    expect(pushes).toEqual([[queued[0]], queued.slice(1)]);
  });

  it('a widget parked in conflict holds its later edits while other widgets keep syncing; resolving releases them', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    const theirs = counterWidget(WA, 5, 9, 'Theirs');
    h.server.answer = (m) =>
      m.name === 'widget.set' ? { id: '', status: 'conflict', fields: ['title'], server: theirs } : { id: '', status: 'applied', seq: h.server.seq + 1, version: 2 };

    const set = (await h.mutate((c) => mk.set(WA, { title: 'Mine' }, { clientId: c }))).data as { entry: OutboxEntry };
    await h.engine.drain();
    const [parked] = await h.outbox();
    expect(parked).toMatchObject({ state: 'conflict', conflict: { fields: ['title'], server: theirs } });

    const laterA = (await h.mutate((c) => mk.add(WA, 5, { clientId: c }))).data as { entry: OutboxEntry };
    const b1 = (await h.mutate((c) => mk.add(WB, 1, { clientId: c }))).data as { entry: OutboxEntry };
    const b2 = (await h.mutate((c) => mk.add(WB, 2, { clientId: c }))).data as { entry: OutboxEntry };
    await h.engine.drain();
    expect(h.server.receivedIds()).toEqual([set.entry.mutation.id, b1.entry.mutation.id, b2.entry.mutation.id]);
    expect(idsOf(await h.outbox())).toEqual([set.entry.mutation.id, laterA.entry.mutation.id]);
    expect(states(await h.outbox())).toEqual(['conflict', 'queued']);

    const resolved = await h.cmd({ type: 'resolve', requestId: rid(), dashboardId: D1, widgetId: WA, resolution: { keep: 'theirs' } });
    expect(resolved).toMatchObject({ ok: true });
    await h.engine.drain();
    expect(h.server.receivedIds().at(-1)).toBe(laterA.entry.mutation.id);
    expect(await h.outbox()).toEqual([]);
    expect(h.broadcasts.filter((b) => b.type === 'activity').at(-1)).toMatchObject({
      entry: { kind: 'resolved', message: 'Conflict on ‘Theirs’: kept the other change' },
    });
  });

  it('the notice after a resolution says what the person chose: an edited version is not "your change again"', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    const theirs = counterWidget(WA, 5, 9, 'Theirs');
    h.server.answer = () => ({ id: '', status: 'conflict', fields: ['title'], server: theirs });
    const notice = async (resolution: { keep: 'mine'; patch?: { title: string } }) => {
      await h.mutate((c) => mk.set(WA, { title: 'Mine' }, { clientId: c }));
      await h.engine.drain();
      await h.cmd({ type: 'resolve', requestId: rid(), dashboardId: D1, widgetId: WA, resolution });
      return (h.broadcasts.filter((b) => b.type === 'activity').at(-1) as { entry: { message: string } }).entry.message;
    };
    expect(await notice({ keep: 'mine' })).toBe('Conflict on ‘Theirs’: kept your change');
    expect(await notice({ keep: 'mine', patch: { title: 'Both' } })).toBe('Conflict on ‘Theirs’: saved your edited version');
  });
});

describe('restart against the same IndexedDB', () => {
  it('a new worker instance restores identity, client id, policy and the outbox, and drains it in order', async () => {
    const first = engine();
    await first.signIn();
    await first.until('caught-up');
    await first.cmd({ type: 'set-policy', requestId: rid(), policy: 'remote-wins' });
    await first.cmd({ type: 'network', online: false });
    expect(first.engine.connection.kind).toBe('offline');
    const queued: MutationId[] = [];
    for (const build of [(c: ClientId) => mk.add(WA, 1, { clientId: c }), (c: ClientId) => mk.set(WB, { title: 't' }, { clientId: c }), (c: ClientId) => mk.add(WA, 2, { clientId: c })]) {
      queued.push(((await first.mutate(build)).data as { entry: OutboxEntry }).entry.mutation.id);
    }
    expect(first.server.received).toEqual([]);
    const clientId = await first.clientId();
    // The browser stops the worker: memory and socket are gone, IndexedDB stays.

    const server = new FakeServer();
    const second = engine({ dbName: first.dbName, server });
    await second.engine.wake();
    const state = parse(StateReplyDataSchema, (await second.cmd({ type: 'get-state', requestId: rid() }))!.data);
    if (!state.ok) throw new Error(state.message);
    expect(state.value.clientId).toBe(clientId);
    expect(state.value.user).toEqual(ALICE);
    expect(state.value.swInstance).not.toBe(first.engine.broadcaster.swInstance);
    await waitFor(async () => expect(await second.outbox()).toEqual([]));
    expect(server.receivedIds()).toEqual(queued);
    expect(server.received.every((r) => r.mutation.clientId === clientId)).toBe(true);
  });

  it('an entry in flight when the worker stopped is sent again under the same id after the restart', async () => {
    const first = engine();
    await first.signIn();
    await first.until('caught-up');
    first.server.holdPushes = true;
    const r = await first.mutate((c) => mk.set(WA, { title: 'one' }, { clientId: c }));
    const id = (r.data as { entry: OutboxEntry }).entry.mutation.id;
    await waitForPush(first, 1);
    expect(states(await first.outbox())).toEqual(['sending']);
    // Stopped here: no close event ever runs inside the worker (docs/browser-facts.md "Lifetime").

    const server = new FakeServer();
    server.holdPushes = true;
    const second = engine({ dbName: first.dbName, server });
    await second.engine.wake();
    await second.until('caught-up');
    await waitFor(() => expect(server.socket!.framesOf('push')).toHaveLength(1));
    // While it is out again, a new edit of the same field must not replace it.
    await second.mutate((c) => mk.set(WA, { title: 'two' }, { clientId: c }));
    expect((await second.outbox()).map((e) => e.mutation.id)[0]).toBe(id);
    expect(await second.outbox()).toHaveLength(2);
    const push = server.socket!.framesOf('push')[0];
    expect(push.mutations.map((m) => (m as { id: string }).id)).toEqual([id]);
  });
});

describe('tab commands', () => {
  it('refuses to queue while signed out, and stores nothing', async () => {
    const h = engine();
    await h.engine.ready;
    expect(h.engine.connection).toEqual({ kind: 'signed-out' });
    const r = await h.mutate((c) => mk.add(WA, 1, { clientId: c }));
    expect(r).toMatchObject({ ok: false, error: 'not signed in' });
    expect(await h.outbox()).toEqual([]);
  });

  it('refuses a mutation made by another client id, storing and broadcasting nothing', async () => {
    const h = engine();
    await h.signIn();
    const before = h.broadcasts.length;
    const r = await h.cmd({ type: 'mutate', requestId: 'q-foreign', mutation: mk.add(WA, 1, { clientId: 'c_someoneelse' as ClientId }) });
    expect(r).toEqual({ type: 'reply', requestId: 'q-foreign', ok: false, code: 'foreign-client', error: expect.stringMatching(/^mutation is from client c_someoneelse, not c_/) });
    expect(await h.outbox()).toEqual([]);
    expect(h.broadcasts.slice(before).filter((b) => b.type === 'outbox')).toEqual([]);
  });

  it('answers discard of an unknown id and resolve without a conflict with clear errors', async () => {
    const h = engine();
    await h.signIn();
    expect(await h.cmd({ type: 'discard', requestId: 'q1', mutationId: 'm_unknown' as MutationId })).toMatchObject({ ok: false, error: 'no such pending change' });
    expect(await h.cmd({ type: 'resolve', requestId: 'q2', dashboardId: D1, widgetId: WA, resolution: { keep: 'theirs' } })).toMatchObject({
      ok: false,
      error: 'there is no conflict on this widget',
    });
  });

  it('commands without a requestId get no reply; get-state answers a valid state', async () => {
    const h = engine();
    await h.signIn();
    expect(await h.cmd({ type: 'keepalive' })).toBeUndefined();
    expect(await h.cmd({ type: 'visible' })).toBeUndefined();
    const r = await h.cmd({ type: 'get-state', requestId: 'q-state' });
    expect(r).toMatchObject({ type: 'reply', requestId: 'q-state', ok: true });
    expect(parse(StateReplyDataSchema, r!.data).ok).toBe(true);
  });

  it('discard removes a pending entry and releases what waited behind it', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    h.server.answer = (m) => (m.name === 'widget.set' ? { id: '', status: 'conflict', fields: ['title'], server: counterWidget(WA, 3) } : { id: '', status: 'applied', seq: 1, version: 2 });
    const set = ((await h.mutate((c) => mk.set(WA, { title: 'x' }, { clientId: c }))).data as { entry: OutboxEntry }).entry;
    await h.engine.drain();
    await h.mutate((c) => mk.add(WA, 1, { clientId: c }));
    await h.engine.drain();
    expect(await h.outbox()).toHaveLength(2);
    expect(await h.cmd({ type: 'discard', requestId: rid(), mutationId: set.mutation.id })).toMatchObject({ ok: true });
    await h.engine.drain();
    expect(await h.outbox()).toEqual([]);
  });

  it('offline: the connection shows offline, mutations queue and ask for Background Sync; online drains them', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    await h.cmd({ type: 'network', online: false });
    expect(h.engine.connection).toMatchObject({ kind: 'offline' });
    expect(h.server.socket!.closedWith?.reason).toBe('offline');
    await h.mutate((c) => mk.add(WA, 1, { clientId: c }));
    await h.mutate((c) => mk.add(WA, 2, { clientId: c }));
    await h.engine.drain();
    expect(h.server.received).toEqual([]);
    expect(h.registerSync).toHaveBeenCalledTimes(2);
    await h.cmd({ type: 'network', online: true });
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    expect(h.server.received).toHaveLength(2);
    expect(statuses(h.broadcasts)).toEqual(expect.arrayContaining(['offline', 'connecting', 'open']));
  });

  it('sign-out keeps pending mutations (or discards them on request) and tells every tab', async () => {
    const h = engine();
    await h.signIn();
    await h.cmd({ type: 'network', online: false });
    await h.mutate((c) => mk.add(WA, 1, { clientId: c }));
    const r = await h.cmd({ type: 'sign-out', requestId: rid(), discard: false });
    expect(r).toMatchObject({ ok: true, data: { pending: 1 } });
    expect(h.engine.connection).toEqual({ kind: 'signed-out' });
    expect(h.broadcasts.slice(-2)).toMatchObject([{ type: 'identity', user: null }, { type: 'outbox', from: null, upserted: [], removed: [] }]);
    expect(await h.outbox()).toHaveLength(1);

    await h.cmd({ type: 'identity', requestId: rid(), user: ALICE });
    expect(await h.outbox()).toHaveLength(1);
    const r2 = await h.cmd({ type: 'sign-out', requestId: rid(), discard: true });
    expect(r2).toMatchObject({ ok: true, data: { pending: 1 } });
    expect(await h.outbox()).toEqual([]);
  });

  it('another user signing in while a push is out: the entries go back to their owner, counted as sent', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    h.server.holdPushes = true;
    const a = ((await h.mutate((c) => mk.set(WA, { title: 'alice 1' }, { clientId: c }))).data as { entry: OutboxEntry }).entry;
    await waitForPush(h, 1);
    h.server.user = BOB;
    await h.cmd({ type: 'identity', requestId: rid(), user: BOB });
    await waitFor(async () => expect(states(await h.outbox(ALICE))).toEqual(['queued']));
    expect(await h.outbox(BOB)).toEqual([]);
    expect(outboxBroadcasts(h.broadcasts).at(-1)).toEqual([]);

    // Alice again, offline: her next edit of the same field must not replace the one that went out.
    h.server.user = ALICE;
    await h.cmd({ type: 'network', online: false });
    await h.cmd({ type: 'identity', requestId: rid(), user: ALICE });
    await h.mutate((c) => mk.set(WA, { title: 'alice 2' }, { clientId: c }));
    const outbox = await h.outbox(ALICE);
    expect(outbox.map((e) => e.mutation.id)[0]).toBe(a.mutation.id);
    expect(outbox).toHaveLength(2);
  });

  it('the session cookie wins: a welcome for another user than the cached identity adopts that user', async () => {
    const h = engine();
    h.server.user = BOB;
    await h.signIn(ALICE);
    await h.until('caught-up');
    await waitFor(() => expect(h.broadcasts.filter((b) => b.type === 'identity').at(-1)).toMatchObject({ user: BOB }));
    const state = (await h.cmd({ type: 'get-state', requestId: rid() }))!.data as { user: unknown };
    expect(state.user).toEqual(BOB);
  });
});

describe('background events', () => {
  it('Background Sync with no tab open drains over HTTP, and rejects while something is left so the browser retries', async () => {
    const first = engine();
    await first.signIn();
    await first.cmd({ type: 'network', online: false });
    await first.mutate((c) => mk.add(WA, 1, { clientId: c }));
    await first.mutate((c) => mk.add(WB, 1, { clientId: c }));

    const server = httpOnly();
    server.pushStatus = 503;
    const bg = engine({ dbName: first.dbName, server, windowOpen: false });
    await bg.engine.wake();
    await bg.engine.drain(); // the start's own drain
    expect(bg.engine.connection).toEqual({ kind: 'idle' }); // no tab: no socket
    await expect(bg.engine.syncEvent()).rejects.toThrow('2 mutations not yet synced');
    server.pushStatus = 200;
    bg.clock.advance(5 * 60_000); // the browser retries a failed sync event minutes later
    await expect(bg.engine.syncEvent()).resolves.toBeUndefined();
    expect(await bg.outbox()).toEqual([]);
    // The start's drain failed; the sync event right after it kept that backoff (no push); the later one sent.
    expect(server.pushes.map((p) => p.via)).toEqual(['http', 'http']);
  });

  it('a worker started before its page was a window (a navigation) connects when the page first asks for its state', async () => {
    // CI: a tab opened after every tab had closed showed "Connecting" for 15 s while the worker sat idle:
    // the worker had started for the navigation, before the page was a window client, and the page's first
    // keepalive did not reach it; its get-state did, and the socket waited for the next keepalive.
    const first = engine();
    await first.signIn();
    const h = engine({ dbName: first.dbName, windowOpen: false });
    await h.engine.wake();
    expect(h.engine.connection).toEqual({ kind: 'idle' });
    await h.cmd({ type: 'get-state', requestId: rid() });
    await h.until('caught-up');
  });

  it('a server that refuses pushes is not retried in a tight loop by Background Sync', async () => {
    const server = httpOnly();
    server.pushStatus = 503;
    const h = engine({ server, windowOpen: false });
    await h.signIn();
    await h.mutate((c) => mk.add(WA, 1, { clientId: c }));
    await h.engine.drain();
    const pushes = server.pushes.length;
    h.registerSync.mockClear();
    // The browser fires the sync the failure registered, at once: the backoff holds, nothing re-registers.
    for (let i = 0; i < 5; i++) await expect(h.engine.syncEvent()).rejects.toThrow('1 mutations not yet synced');
    expect(server.pushes.length).toBe(pushes);
    expect(h.registerSync).not.toHaveBeenCalled();
    // Minutes later the browser tries again, and the server is back.
    server.pushStatus = 200;
    h.clock.advance(5 * 60_000);
    await expect(h.engine.syncEvent()).resolves.toBeUndefined();
    expect(await h.outbox()).toEqual([]);
  });

  it('a parked conflict does not make Background Sync retry forever', async () => {
    const h = engine({ server: httpOnly(), windowOpen: false });
    await h.signIn();
    h.server.answer = () => ({ id: '', status: 'conflict', fields: ['title'], server: null });
    await h.mutate((c) => mk.set(WA, { title: 'x' }, { clientId: c }));
    await expect(h.engine.syncEvent()).resolves.toBeUndefined();
    expect(states(await h.outbox())).toEqual(['conflict']);
  });

  it('Periodic Background Sync pulls every watched dashboard from its cursor and commits the replica', async () => {
    const h = engine({ server: httpOnly() });
    await h.signIn();
    await h.cmd({ type: 'watch', dashboardIds: [D1] });
    const w = counterWidget(WA, 4, 12);
    h.server.pull = () => ({
      epoch: 'e1',
      changes: [{ seq: 7, dashboardId: D1, widgetId: WA, version: 4, widget: w, mutationId: null, clientId: null, userId: null, at: 1 }],
      seq: 7,
      more: false,
    });
    await h.engine.refresh();
    expect(h.server.pulls.map((q) => [q.get('dashboardId'), q.get('cursor'), q.get('epoch')])).toEqual([[D1, '0', null]]);
    expect(await readReplica(await h.store.handle.get(), D1, ALICE.id)).toEqual([w]);
    expect(await h.store.cursor(D1)).toEqual({ dashboardId: D1, cursor: 7, epoch: 'e1' });
    expect(h.broadcasts.filter((b) => b.type === 'replica')).toMatchObject([{ dashboardId: D1, cursor: 7, reset: false }]);

    h.server.pull = () => ({ epoch: 'e1', changes: [], seq: 7, more: false });
    await h.engine.refresh();
    expect(h.server.pulls[1].get('cursor')).toBe('7');
    expect(h.server.pulls[1].get('epoch')).toBe('e1');
  });
});

// ---- small waits -----------------------------------------------------------------------------------------

/** Lets pending IndexedDB requests, microtasks and macrotasks run. */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
}

function waitForPush(h: Harness, n: number): Promise<unknown> {
  return waitFor(() => expect(h.server.socket?.framesOf('push') ?? []).toHaveLength(n));
}
