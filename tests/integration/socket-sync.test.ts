/** The socket protocol end to end: hello, subscribe, push, conflicts, fan-out, echo order, bad frames. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newWidgetId, type Change, type DashboardId, type WidgetId } from '../../protocol/index.ts';
import { createUser, firstDashboard, login, mutation, openSocket, startWorld, type TestSocket, type TestWorld } from './helpers.ts';

let world: TestWorld;
let cookie: string;
let dashboardId: DashboardId;

beforeEach(async () => {
  world = await startWorld();
  cookie = await login(world);
  dashboardId = await firstDashboard(world, cookie);
});
afterEach(async () => {
  await world.cleanup();
});

async function ready(): Promise<TestSocket> {
  const s = await openSocket(world, cookie);
  await s.hello();
  await s.subscribe(dashboardId);
  return s;
}

async function createNote(s: TestSocket, title = 'Note'): Promise<WidgetId> {
  const widgetId = newWidgetId();
  const r = await s.push([mutation(s.clientId, dashboardId, { name: 'widget.create', args: { widgetId, kind: 'note', title, position: 'b0', text: '' } })]);
  expect(r.results[0].status).toBe('applied');
  return widgetId;
}

describe('hello and subscribe', () => {
  it('answers hello with welcome carrying the epoch, user and heartbeat', async () => {
    const s = await openSocket(world, cookie);
    const welcome = await s.hello();
    expect(welcome).toMatchObject({ protocol: 1, epoch: world.server.store.epoch, user: { name: 'demo' }, heartbeatMs: 25_000 });
    s.close();
  });

  it('refuses another protocol version and frames before hello, keeping the connection', async () => {
    const s = await openSocket(world, cookie);
    s.send({ type: 'hello', protocol: 99, clientId: s.clientId });
    expect((await s.next('error')).code).toBe('unsupported-protocol');
    s.send({ type: 'subscribe', dashboardId, cursor: 0 });
    expect((await s.next('error')).code).toBe('bad-message');
    await s.hello();
    s.close();
  });

  it('sends the demo dashboard from cursor 0 then caught-up at the head', async () => {
    const s = await openSocket(world, cookie);
    await s.hello();
    const sub = await s.subscribe(dashboardId);
    expect(sub.kind).toBe('caught-up');
    expect(sub.changes.map((c) => c.widget?.kind).sort()).toEqual(['checklist', 'counter', 'metric', 'note']);
    expect(sub.kind === 'caught-up' && sub.seq).toBe((await world.server.store.snapshot(dashboardId)).seq);
    s.close();
  });

  it('answers forbidden when subscribing to a dashboard of which the user is not a member', async () => {
    const other = await world.server.store.createUser('mallory', 'x');
    const foreign = await world.server.store.createDashboard('Private', other.id);
    const s = await openSocket(world, cookie);
    await s.hello();
    s.send({ type: 'subscribe', dashboardId: foreign.id, cursor: 0 });
    expect((await s.next('error')).code).toBe('forbidden');
    await s.barrier();
    expect(s.pending('changes')).toEqual([]);
    s.close();
  });
});

describe('bad frames', () => {
  it('answers bad JSON, unknown types and invalid fields with bad-message and keeps the connection', async () => {
    const s = await openSocket(world, cookie);
    await s.hello();
    s.send('{not json');
    expect((await s.next('error')).code).toBe('bad-message');
    s.send({ type: 'teleport' });
    expect((await s.next('error')).code).toBe('bad-message');
    s.send({ type: 'subscribe', dashboardId: 'nope', cursor: -1 });
    expect((await s.next('error')).code).toBe('bad-message');
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await s.next('error')).code).toBe('bad-message');
    await s.barrier();
    expect(s.ws.readyState).toBe(s.ws.OPEN);
    s.close();
  });

  it('answers a push of more than 500 mutations with too-large carrying the requestId, nothing applied', async () => {
    const s = await ready();
    const before = (await world.server.store.snapshot(dashboardId)).seq;
    const many = Array.from({ length: 501 }, () =>
      mutation(s.clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'counter', title: 'x', position: 'c0' } }),
    );
    s.send({ type: 'push', requestId: 'big', mutations: many });
    const err = await s.next('error');
    expect(err).toMatchObject({ code: 'too-large', requestId: 'big' });
    expect((await world.server.store.snapshot(dashboardId)).seq).toBe(before);
    s.close();
  });

  it('closes a socket sending a frame over 1 MiB with 1009 and stays healthy', async () => {
    const s = await openSocket(world, cookie);
    await s.hello();
    s.send({ type: 'ping', t: 1, pad: 'x'.repeat(3 * 1024 * 1024) });
    expect((await s.closed).code).toBe(1009);
    const health = await fetch(`${world.server.url}/api/health`);
    expect(health.status).toBe(200);
    const again = await ready();
    await again.barrier();
    again.close();
  });
});

describe('push, results and fan-out', () => {
  it('fans changes out to every subscriber and echoes changes to the pusher before its push-result', async () => {
    const a = await ready();
    const b = await ready();
    const widgetId = newWidgetId();
    const m = mutation(a.clientId, dashboardId, { name: 'widget.create', args: { widgetId, kind: 'counter', title: 'Valves', position: 'b1', value: 2 } });
    const result = await a.push([m], 'req-1');
    expect(result.results[0]).toMatchObject({ id: m.id, status: 'applied', version: 1 });
    const seq = result.results[0].status === 'applied' ? result.results[0].seq : -1;

    const echoIndex = a.log.findIndex((f) => f.type === 'changes' && f.changes.some((c) => c.mutationId === m.id));
    const resultIndex = a.log.findIndex((f) => f.type === 'push-result' && f.requestId === 'req-1');
    expect(echoIndex).toBeGreaterThanOrEqual(0);
    expect(echoIndex).toBeLessThan(resultIndex);

    const seen = await b.next('changes', (f) => f.changes.some((c) => c.mutationId === m.id));
    expect(seen.changes[0]).toMatchObject({ seq, widgetId, version: 1, clientId: a.clientId, widget: { title: 'Valves', value: 2 } });
    a.close();
    b.close();
  });

  it('replays a mutation with its first result and broadcasts nothing', async () => {
    const a = await ready();
    const b = await ready();
    const widgetId = await createNote(a);
    await b.next('changes', (f) => f.changes.some((c) => c.widgetId === widgetId));
    const m = mutation(a.clientId, dashboardId, { name: 'widget.set', args: { widgetId, patch: { title: 'Once' } } }, 1);
    const first = await a.push([m]);
    await b.next('changes', (f) => f.changes.some((c) => c.mutationId === m.id));
    const again = await a.push([m]);
    expect(again.results).toEqual(first.results);

    // A later real change is the next thing b sees: the replay sent nothing in between.
    const later = mutation(a.clientId, dashboardId, { name: 'widget.set', args: { widgetId, patch: { title: 'Twice' } } }, 2);
    await a.push([later]);
    const next = await b.next('changes');
    expect(next.changes.map((c) => c.mutationId)).toEqual([later.id]);
    const echoes = a.log.filter((f): f is Extract<typeof f, { type: 'changes' }> => f.type === 'changes').flatMap((f) => f.changes).filter((c) => c.mutationId === m.id);
    expect(echoes).toHaveLength(1);
    a.close();
    b.close();
  });

  it('rejects invalid mutations per mutation and commits nothing for them', async () => {
    const a = await ready();
    const widgetId = await createNote(a);
    const before = await world.server.store.snapshot(dashboardId);
    const results = (
      await a.push([
        { id: 'm_broken', name: 'widget.set' },
        mutation(a.clientId, dashboardId, { name: 'widget.set', args: { widgetId, patch: { title: 'x'.repeat(201) } } }, 1),
        mutation(a.clientId, dashboardId, { name: 'widget.set', args: { widgetId: 'w_missing' as WidgetId, patch: { title: 'y' } } }, 1),
        { ...mutation(a.clientId, dashboardId, { name: 'widget.set', args: { widgetId, patch: { title: 'z' } } }, 1), clientId: 'c_someoneelse' },
      ])
    ).results;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(results.map((r) => (r.status === 'rejected' ? r.code : ''))).toEqual(['invalid', 'too-large', 'not-found', 'invalid']);
    expect(await world.server.store.snapshot(dashboardId)).toEqual(before);
    a.close();
  });
});

describe('isolation and failures', () => {
  it('sends a dashboard\'s changes only to its subscribers', async () => {
    const bobUser = await createUser(world, 'bob', 'bob-password');
    const bobCookie = await login(world, 'bob', 'bob-password');
    const own = await world.server.store.createDashboard('Bob only', bobUser.id);
    const bob = await openSocket(world, bobCookie);
    await bob.hello();
    await bob.subscribe(own.id);
    const a = await ready();
    await createNote(a, 'not for bob');
    await bob.barrier();
    expect(bob.log.filter((f) => f.type === 'changes')).toEqual([]);
    a.close();
    bob.close();
  });

  it('answers a store failure with an error carrying the requestId, commits nothing, and keeps the socket', async () => {
    const a = await ready();
    const store = world.server.store;
    const apply = store.applyBatch.bind(store);
    store.applyBatch = async () => {
      store.applyBatch = apply;
      throw new Error('disk I/O error');
    };
    const before = (await store.snapshot(dashboardId)).seq;
    const m = mutation(a.clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'note', title: 'retry me', position: 'f0' } });
    a.send({ type: 'push', requestId: 'will-fail', mutations: [m] });
    const err = await a.next('error');
    expect(err).toMatchObject({ requestId: 'will-fail', code: 'unavailable' });
    expect((await store.snapshot(dashboardId)).seq).toBe(before);
    // The client retries the same mutation and it applies once.
    expect((await a.push([m])).results[0]).toMatchObject({ id: m.id, status: 'applied', seq: before + 1 });
    a.close();
  });

  it('closes with 1011 after a store failure during subscribe, and the next socket subscribes normally', async () => {
    const store = world.server.store;
    const catchUp = store.catchUp.bind(store);
    store.catchUp = async () => {
      store.catchUp = catchUp;
      throw new Error('connection to the database lost');
    };
    const a = await openSocket(world, cookie);
    await a.hello();
    a.send({ type: 'subscribe', dashboardId, cursor: 0, epoch: null });
    expect(await a.next('error')).toMatchObject({ code: 'unavailable' });
    expect((await a.closed).code).toBe(1011);
    // The client reconnects and subscribes again from its cursor: nothing was half-subscribed.
    const b = await ready();
    expect(b.log.some((f) => f.type === 'caught-up')).toBe(true);
    b.close();
  });
});

describe('catch-up and live changes', () => {
  // The store is held inside catchUp while other clients commit, so live changes arrive mid catch-up. Reading
  // before the hold gives a page older than the live changes (they must come from the queue); reading after
  // gives a page that already holds them (the queued copies must be dropped).
  for (const readFirst of [true, false]) {
    it(`delivers changes committed during catch-up exactly once, in seq order (page read ${readFirst ? 'before' : 'after'} them)`, async () => {
      const writer = await ready();
      const reader = await openSocket(world, cookie);
      await reader.hello();
      const store = world.server.store;
      const catchUp = store.catchUp.bind(store);
      let entered!: () => void;
      const inCatchUp = new Promise<void>((resolve) => (entered = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      store.catchUp = async (...args) => {
        store.catchUp = catchUp;
        entered();
        if (readFirst) {
          const page = await catchUp(...args);
          await gate;
          return page;
        }
        await gate;
        return catchUp(...args);
      };
      const sub = reader.subscribe(dashboardId);
      await inCatchUp;
      const live = Array.from({ length: 5 }, (_, i) =>
        mutation(writer.clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'counter', title: `n${i}`, position: `e${i}` } }),
      );
      for (const m of live) await writer.push([m]);
      release();
      const done = await sub;
      expect(done.kind).toBe('caught-up');
      await reader.barrier();
      const all = (reader.log.filter((f) => f.type === 'changes') as { changes: Change[] }[]).flatMap((f) => f.changes);
      const seqs = all.map((c) => c.seq);
      expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
      const head = (await store.snapshot(dashboardId)).seq;
      expect(seqs[seqs.length - 1]).toBe(head);
      expect(all.filter((c) => c.mutationId !== null && live.some((m) => m.id === c.mutationId))).toHaveLength(5);
      expect(new Set(all.map((c) => c.widgetId)).size).toBe(9);
      writer.close();
      reader.close();
    });
  }
});
