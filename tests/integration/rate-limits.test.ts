/**
 * Floods and write quotas (issue 14, item 3): frames and mutations per socket, writes per user over every
 * transport, points per ingest token. Over a limit: `error { code: "rate-limited", retryAfterMs }` on the
 * socket (and 1008 for one that keeps flooding), 429 with Retry-After over HTTP; nothing of a refused push
 * is applied. And a flood of mutations the user may not write stores nothing.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { DashboardId, WidgetId } from '../../protocol/index.ts';
import { hashToken } from '../../server/auth/sessions.ts';
import { DEFAULT_LIMITS, type Limits } from '../../server/limits/config.ts';
import {
  api,
  createUser,
  firstDashboard,
  login,
  mutation,
  openSocket,
  startWorld,
  waitUntil,
  type TestSocket,
  type TestWorld,
} from './helpers.ts';

let world: TestWorld | null = null;
afterEach(async () => {
  await world?.cleanup();
  world = null;
});

async function start(limits: Partial<Limits>) {
  const w = (world = await startWorld({ limits: { ...DEFAULT_LIMITS, ...limits } }));
  const cookie = await login(w);
  const dashboardId = await firstDashboard(w, cookie);
  return { w, cookie, dashboardId };
}

async function counterOf(s: TestSocket, dashboardId: DashboardId): Promise<WidgetId> {
  const sub = await s.subscribe(dashboardId);
  return sub.changes.find((c) => c.widget?.kind === 'counter')!.widgetId;
}

const adds = (s: TestSocket, d: DashboardId, w: WidgetId, n: number) =>
  Array.from({ length: n }, () => mutation(s.clientId, d, { name: 'counter.add', args: { widgetId: w, delta: 1 } }));

describe('socket rate limits', () => {
  it('a ping flood gets one rate-limited answer with a retry hint, then the socket is closed with 1008', async () => {
    const { w, cookie } = await start({ framesPerSecond: 20, floodFactor: 3 });
    const s = await openSocket(w, cookie);
    for (let i = 0; i < 500; i++) s.send({ type: 'ping', t: i });
    const closed = await s.closed;
    expect(closed.code).toBe(1008);
    const limited = s.log.filter((f) => f.type === 'error' && f.code === 'rate-limited');
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited.length).toBeLessThan(5);
    expect(limited[0]).toMatchObject({ retryAfterMs: expect.any(Number) });
    expect(s.log.filter((f) => f.type === 'pong').length).toBeLessThan(500);
  });

  it('a socket a little over its frame limit is told once per window, kept open, and served after the hint', async () => {
    const { w, cookie } = await start({ framesPerSecond: 10, floodFactor: 1000 });
    const s = await openSocket(w, cookie);
    for (let i = 0; i < 30; i++) s.send({ type: 'ping', t: i });
    const err = await s.next('error');
    expect(err).toMatchObject({ code: 'rate-limited', retryAfterMs: expect.any(Number) });
    await waitUntil(async () => s.barrier().then(() => true, () => false), 10_000, 'a ping answered after the hint');
    expect(s.log.filter((f) => f.type === 'error' && f.code === 'rate-limited').length).toBeLessThan(30 - 10);
    s.close();
  });

  it('a push over the socket\'s mutation budget is refused whole, with its requestId, and nothing applies', async () => {
    const { w, cookie, dashboardId } = await start({ socketMutationsPerMinute: 500 });
    const s = await openSocket(w, cookie);
    await s.hello();
    const counter = await counterOf(s, dashboardId);
    const first = await s.push(adds(s, dashboardId, counter, 500));
    expect(first.results.every((r) => r.status === 'applied')).toBe(true);
    const head = (await w.server.store.snapshot(dashboardId)).seq;
    s.send({ type: 'push', requestId: 'over', mutations: adds(s, dashboardId, counter, 3) });
    const err = await s.next('error', (f) => f.requestId === 'over');
    expect(err).toMatchObject({ code: 'rate-limited', retryAfterMs: expect.any(Number) });
    expect((await w.server.store.snapshot(dashboardId)).seq).toBe(head);
    // Another socket of the same user has its own budget.
    const t = await openSocket(w, cookie);
    await t.hello();
    expect((await t.push(adds(t, dashboardId, counter, 3))).results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
  });

  it('a user\'s writes are counted over sockets and HTTP together; another user is not slowed', async () => {
    const { w, cookie, dashboardId } = await start({ userWritesPerMinute: 500 });
    const s = await openSocket(w, cookie);
    await s.hello();
    const counter = await counterOf(s, dashboardId);
    expect((await s.push(adds(s, dashboardId, counter, 400))).results.every((r) => r.status === 'applied')).toBe(true);
    const res = await api(w, cookie, '/api/push', { method: 'POST', body: { clientId: s.clientId, mutations: adds(s, dashboardId, counter, 200) } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ error: { code: 'rate-limited' } });

    await createUser(w, 'bob', 'bob-password');
    const bob = await login(w, 'bob', 'bob-password');
    const made = await api(w, bob, '/api/dashboards', { method: 'POST', body: { name: 'Bob' } });
    const bobBoard = ((await made.json()) as { id: DashboardId }).id;
    const b = await openSocket(w, bob);
    await b.hello();
    const note = mutation(b.clientId, bobBoard, { name: 'widget.create', args: { widgetId: 'w_bobnote' as WidgetId, kind: 'note', title: 'n', position: 'a0', text: '' } });
    expect((await b.push([note])).results[0].status).toBe('applied');
  });
});

describe('ingest rate limit', () => {
  it('answers 429 with Retry-After past the token\'s points a minute; another token still gets through', async () => {
    const w = (world = await startWorld({ limits: { ...DEFAULT_LIMITS, ingestPointsPerMinute: 5 } }));
    await w.server.store.createIngestToken(hashToken('token-one-0123456789'), 'one', 'all');
    await w.server.store.createIngestToken(hashToken('token-two-0123456789'), 'two', 'all');
    const cookie = await login(w);
    const dashboardId = await firstDashboard(w, cookie);
    const send = (token: string) =>
      fetch(`${w.server.url}/api/ingest/${dashboardId}/flow`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ value: 1 }),
      });
    for (let i = 0; i < 5; i++) expect((await send('token-one-0123456789')).status).toBe(202);
    const over = await send('token-one-0123456789');
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await send('token-two-0123456789')).status).toBe(202);
  });
});

describe('rejected writes cost no storage', () => {
  it('2,000 mutations against a dashboard the user is not a member of store no rows', async () => {
    const { w, cookie, dashboardId } = await start({});
    await createUser(w, 'eve', 'eve-password');
    const eve = await login(w, 'eve', 'eve-password');
    const owner = await openSocket(w, cookie);
    await owner.hello();
    const counter = await counterOf(owner, dashboardId);
    const db = new Database(w.dbFile, { readonly: true });
    const rows = () => (db.prepare('SELECT count(*) AS n FROM mutations').get() as { n: number }).n;
    const before = rows();
    const s = await openSocket(w, eve);
    await s.hello();
    for (let i = 0; i < 4; i++) {
      const r = await s.push(adds(s, dashboardId, counter, 500));
      expect(r.results.every((x) => x.status === 'rejected' && x.code === 'forbidden')).toBe(true);
    }
    expect(rows()).toBe(before);
    db.close();
  });
});
