/** Reconnect, resume from a cursor, epoch resets, restarts on the same database file, graceful shutdown. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newClientId, newWidgetId, type DashboardId } from '../../protocol/index.ts';
import { api, firstDashboard, login, mutation, openSocket, startWorld, waitUntil, type TestWorld } from './helpers.ts';

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

const counter = (clientId: ReturnType<typeof newClientId>, title: string) =>
  mutation(clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'counter', title, position: 'z0' } });

describe('resume', () => {
  it('after a dropped connection, resumes from its cursor and gets exactly the missed changes in order', async () => {
    const device = await openSocket(world, cookie);
    await device.hello();
    const first = await device.subscribe(dashboardId);
    expect(first.kind).toBe('caught-up');
    const cursor = first.kind === 'caught-up' ? first.seq : 0;

    world.server.dropSockets();
    expect((await device.closed).code).toBe(1006);

    const other = await openSocket(world, cookie);
    await other.hello();
    const missed = [counter(other.clientId, 'm1'), counter(other.clientId, 'm2'), counter(other.clientId, 'm3')];
    for (const m of missed) await other.push([m]);

    const back = await openSocket(world, cookie, { clientId: device.clientId });
    await back.hello();
    const resumed = await back.subscribe(dashboardId, cursor, world.server.store.epoch);
    expect(resumed.kind).toBe('caught-up');
    expect(resumed.changes.map((c) => c.mutationId)).toEqual(missed.map((m) => m.id));
    expect(resumed.changes.map((c) => c.seq)).toEqual([cursor + 1, cursor + 2, cursor + 3]);
    expect(resumed.kind === 'caught-up' && resumed.seq).toBe(cursor + 3);
    other.close();
    back.close();
  });

  it('sends a reset for a foreign epoch and for a cursor ahead of the head', async () => {
    const s = await openSocket(world, cookie);
    await s.hello();
    const snapshot = await world.server.store.snapshot(dashboardId);

    const foreign = await s.subscribe(dashboardId, 2, 'some-other-database');
    expect(foreign.kind).toBe('reset');
    if (foreign.kind !== 'reset') return;
    expect(foreign.reset).toMatchObject({ epoch: world.server.store.epoch, seq: snapshot.seq });
    expect(foreign.reset.widgets.map((w) => w.id).sort()).toEqual(snapshot.widgets.map((w) => w.id).sort());

    const ahead = await s.subscribe(dashboardId, snapshot.seq + 100, world.server.store.epoch);
    expect(ahead.kind).toBe('reset');

    // After a reset the subscription is live: a new change arrives once.
    const m = counter(s.clientId, 'after reset');
    await s.push([m]);
    const live = s.log.filter((f) => f.type === 'changes').flatMap((f) => (f.type === 'changes' ? f.changes : []));
    expect(live.filter((c) => c.mutationId === m.id)).toHaveLength(1);
    s.close();
  });
});

describe('restart on the same database file', () => {
  it('keeps data, epoch and sessions, and replays recorded results over socket and HTTP', async () => {
    const s = await openSocket(world, cookie);
    await s.hello();
    await s.subscribe(dashboardId);
    const viaSocket = counter(s.clientId, 'persisted');
    const socketResult = (await s.push([viaSocket])).results[0];
    const httpClient = newClientId();
    const viaHttp = counter(httpClient, 'over http');
    const httpRes = await api(world, cookie, '/api/push', { method: 'POST', body: { clientId: httpClient, mutations: [viaHttp] } });
    const httpResult = ((await httpRes.json()) as { results: unknown[] }).results[0];
    const epoch = world.server.store.epoch;
    const head = (await world.server.store.snapshot(dashboardId)).seq;

    await world.restart();
    expect(world.server.store.epoch).toBe(epoch);
    expect(world.server.seed.seeded).toBe(false);
    expect((await world.server.store.snapshot(dashboardId)).widgets.some((w) => w.title === 'persisted')).toBe(true);

    // The session cookie survives the restart.
    const again = await openSocket(world, cookie, { clientId: s.clientId });
    await again.hello();
    const resumed = await again.subscribe(dashboardId, head, epoch);
    expect(resumed).toMatchObject({ kind: 'caught-up', seq: head, changes: [] });
    expect((await again.push([viaSocket])).results[0]).toEqual(socketResult);
    const replay = await api(world, cookie, '/api/push', { method: 'POST', body: { clientId: httpClient, mutations: [viaHttp] } });
    expect(((await replay.json()) as { results: unknown[] }).results[0]).toEqual(httpResult);
    expect((await world.server.store.snapshot(dashboardId)).seq).toBe(head);
    await again.barrier();
    expect(again.pending('changes')).toEqual([]);
    again.close();
  });
});

describe('graceful shutdown', () => {
  it('answers in-flight pushes, then closes sockets with 1001 and refuses new connections', async () => {
    const s = await openSocket(world, cookie);
    await s.hello();
    await s.subscribe(dashboardId);
    // Hold the batch inside the store so that shutdown starts while it is in flight.
    const store = world.server.store;
    const apply = store.applyBatch.bind(store);
    let started!: () => void;
    const inStore = new Promise<void>((resolve) => (started = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    store.applyBatch = async (ctx, mutations) => {
      started();
      await gate;
      return apply(ctx, mutations);
    };
    const m = counter(s.clientId, 'last one');
    s.send({ type: 'push', requestId: 'final', mutations: [m] });
    await inStore;
    const closing = world.server.close();
    let socketClosed = false;
    void s.closed.then(() => (socketClosed = true));
    // While the batch is held, new connections are refused but the socket stays open.
    await expect(fetch(`${world.server.url}/api/health`)).rejects.toThrow();
    expect(socketClosed).toBe(false);
    expect(s.ws.readyState).toBe(s.ws.OPEN);
    release();
    const closed = await s.closed;
    await closing;
    expect(closed.code).toBe(1001);
    // The push already received was committed and answered before the socket closed.
    const result = s.log.find((f) => f.type === 'push-result' && f.requestId === 'final');
    expect(result).toMatchObject({ results: [{ id: m.id, status: 'applied' }] });
  });
});

describe('heartbeat', () => {
  it('pings every heartbeatMs, keeps answering sockets and terminates silent ones', async () => {
    await world.cleanup();
    world = await startWorld({ heartbeatMs: 100 });
    cookie = await login(world);
    const lively = await openSocket(world, cookie);
    const silent = await openSocket(world, cookie, { autoPong: false });
    let pings = 0;
    lively.ws.on('ping', () => pings++);
    const gone = await silent.closed;
    expect(gone.code).toBe(1006);
    await waitUntil(() => pings >= 3, 5000, 'three server pings');
    expect(lively.ws.readyState).toBe(lively.ws.OPEN);
    expect((await lively.hello()).heartbeatMs).toBe(100);
    lively.close();
  });
});
