/**
 * Memory budgets (issue 14, item 2): sockets per user and per session, and bytes queued to readers that do
 * not read. A socket that stops reading while asking for resets of a big dashboard is closed once its queue
 * passes the per-socket budget, or, when all queues together pass the global budget, the slowest first;
 * readers that keep up are not touched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES, newWidgetId, type DashboardId } from '../../protocol/index.ts';
import net from 'node:net';
import WebSocket from 'ws';
import { DEFAULT_CONFIG } from '../../server/config.ts';
import { DEFAULT_LIMITS, type Limits } from '../../server/limits/config.ts';
import { api, createUser, firstDashboard, login, mutation, openSocket, startWorld, upgradeStatus, waitUntil, type TestSocket, type TestWorld } from './helpers.ts';

let world: TestWorld | null = null;
afterEach(async () => {
  await world?.cleanup();
  world = null;
});

const MiB = 1024 * 1024;

async function start(limits: Partial<Limits>) {
  const w = (world = await startWorld({ limits: { ...DEFAULT_LIMITS, ...limits } }));
  const cookie = await login(w);
  const dashboardId = await firstDashboard(w, cookie);
  return { w, cookie, dashboardId };
}

/** Fills the dashboard with `n` notes of 60 KiB (a reset of it is then about n * 60 KiB). */
async function fill(s: TestSocket, dashboardId: DashboardId, n: number): Promise<void> {
  const text = 'x'.repeat(60 * 1024);
  const notes = Array.from({ length: n }, (_, i) =>
    mutation(s.clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'note', title: `n${i}`, position: `b${i}`, text } }),
  );
  for (let i = 0; i < notes.length; i += 10) {
    const r = await s.push(notes.slice(i, i + 10));
    expect(r.results.every((x) => x.status === 'applied')).toBe(true);
  }
}

/** A socket subscribed to the dashboard that then stops reading (live changes pile up for it). */
async function staller(w: TestWorld, cookie: string, dashboardId: DashboardId | null): Promise<TestSocket> {
  const s = await openSocket(w, cookie);
  await s.hello();
  if (dashboardId) await s.subscribe(dashboardId);
  s.ws.pause();
  return s;
}

const loginAs = async (w: TestWorld, name: string) => {
  await createUser(w, name, `${name}-pw`);
  return login(w, name, `${name}-pw`);
};

const limited = async (w: TestWorld, limit: string) => {
  const text = await (await fetch(`${w.server.url}/metrics`)).text();
  return Number(new RegExp(`^fieldboard_limited_total\\{limit="${limit}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
};

describe('sockets per user and per session', () => {
  it('refuses the upgrade with 429 past the per-session cap, and past the per-user cap over sessions', async () => {
    const { w, cookie } = await start({ maxSocketsPerSession: 2, maxSocketsPerUser: 3 });
    const headers = (c: string) => ({ Cookie: c, Origin: w.origin });
    const open = [await openSocket(w, cookie), await openSocket(w, cookie)];
    expect(await upgradeStatus(w, headers(cookie))).toBe(429);
    const other = await login(w); // a second session of the same user
    open.push(await openSocket(w, other));
    expect(await upgradeStatus(w, headers(other))).toBe(429);
    // A closed socket gives its place back.
    open[0].close();
    await open[0].closed;
    await waitUntil(async () => (await upgradeStatus(w, headers(other)).catch(() => 101)) === 101, 5000, 'a place to free up');
  });
});

describe('why an upgrade was refused', () => {
  it("a refused upgrade carries Retry-After, and GET /api/ws answers the upgrade's verdict the browser cannot see", async () => {
    const { w, cookie } = await start({ maxSocketsPerSession: 1, maxSocketsPerUser: 5 });
    const verdict = async (c: string | null) => {
      const r = await fetch(`${w.server.url}/api/ws`, { headers: c === null ? {} : { Cookie: c } });
      return { status: r.status, retryAfter: r.headers.get('retry-after'), upgrade: r.headers.get('upgrade') };
    };
    expect(await verdict(cookie)).toEqual({ status: 426, retryAfter: null, upgrade: 'websocket' });
    expect((await verdict(null)).status).toBe(401);
    const held = await openSocket(w, cookie);
    const refusedRetryAfter = await new Promise<string | undefined>((resolve, reject) => {
      const ws = new WebSocket(`${w.server.url.replace('http', 'ws')}/api/ws`, { headers: { Cookie: cookie, Origin: w.origin } });
      ws.once('unexpected-response', (_req, res) => (resolve(res.headers['retry-after']), ws.terminate()));
      ws.once('open', () => reject(new Error('upgrade was accepted')));
      ws.once('error', () => {});
    });
    const heartbeatS = String(Math.ceil(DEFAULT_CONFIG.heartbeatMs / 1000));
    expect(refusedRetryAfter).toBe(heartbeatS);
    expect(await verdict(cookie)).toEqual({ status: 429, retryAfter: heartbeatS, upgrade: null });
    expect(await limited(w, 'sockets-per-session')).toBe(1); // the GET asks; it is not counted as refused
    held.close();
    await held.closed;
    await waitUntil(async () => (await verdict(cookie)).status === 426, 5000, 'the place to free up');
  });
});

describe('bytes queued to slow readers', () => {
  it('closes a socket whose queue passes the per-socket budget; a reading socket carries on', async () => {
    const { w, cookie, dashboardId } = await start({ socketQueueBytes: 2 * MiB });
    const writer = await openSocket(w, cookie);
    await writer.hello();
    await writer.subscribe(dashboardId);
    const slow = await staller(w, cookie, dashboardId);
    await fill(writer, dashboardId, 120); // about 7 MiB of changes fanned out to both
    await waitUntil(async () => (await limited(w, 'socket-queue')) >= 1, 10_000, 'the slow socket to be dropped');
    slow.ws.resume();
    expect([CLOSE_CODES.tooSlow, 1006]).toContain((await slow.closed).code);
    await writer.barrier();
  });

  it('over the global budget the sockets furthest behind are closed; one with nothing queued is not', async () => {
    const { w, cookie, dashboardId } = await start({ socketQueueBytes: 1024 * MiB, queueBytes: 2 * MiB });
    const writer = await openSocket(w, cookie);
    await writer.hello();
    await writer.subscribe(dashboardId);
    const idle = await staller(w, cookie, null);
    const slow = [await staller(w, cookie, dashboardId), await staller(w, cookie, dashboardId)];
    await fill(writer, dashboardId, 120);
    await waitUntil(async () => (await limited(w, 'global-queue')) >= 1, 10_000, 'a slow socket to be dropped');
    const codes: number[] = [];
    for (const s of slow) {
      void s.closed.then((c) => codes.push(c.code));
      s.ws.resume();
    }
    await waitUntil(() => codes.length >= 1, 10_000, 'a dropped socket to see its close');
    for (const code of codes) expect([CLOSE_CODES.tooSlow, 1006]).toContain(code);
    await writer.barrier();
    idle.ws.resume();
    await idle.barrier();
  });
});

describe('HTTP answers a client does not read', () => {
  it('count against the per-user budget: 20 unread pulls of a reset are dropped down to it, and other users carry on', async () => {
    // One page is the whole 7 MiB dashboard here (as every reset was before paged resets), so each answer
    // is larger than loopback's socket buffers and the rest of it stays queued in the process.
    const { w, cookie, dashboardId } = await start({ pageBytes: 16 * MiB, userQueueBytes: 8 * MiB });
    const writer = await openSocket(w, cookie);
    await writer.hello();
    await fill(writer, dashboardId, 120);
    const unread: net.Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const c = net.connect(w.server.port, '127.0.0.1');
      c.pause();
      c.on('error', () => {});
      c.write(`GET /api/pull?dashboardId=${dashboardId}&cursor=5&epoch=bogus HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\n\r\n`);
      unread.push(c);
    }
    const queued = async () => Number(/^fieldboard_fanout_queue_bytes (\d+)$/m.exec(await (await fetch(`${w.server.url}/metrics`)).text())?.[1]);
    await waitUntil(async () => (await limited(w, 'user-queue')) >= 1, 15_000, 'unread answers to be dropped');
    await waitUntil(async () => (await queued()) <= 8 * MiB, 5_000, 'the queue to be within the budget');
    expect(await limited(w, 'global-queue')).toBe(0);
    const bob = await api(w, await loginAs(w, 'bob'), '/api/dashboards');
    expect(bob.status).toBe(200);
    for (const c of unread) c.destroy();
  });
});

describe('widgets per dashboard', () => {
  it('a create past the cap is rejected too-large over the socket and the dashboard is untouched', async () => {
    const { w, cookie, dashboardId } = await start({ maxWidgetsPerDashboard: 5 }); // the demo has 4
    const s = await openSocket(w, cookie);
    await s.hello();
    await s.subscribe(dashboardId);
    const create = () =>
      mutation(s.clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'counter', title: 'c', position: 'z0', value: 0 } });
    expect((await s.push([create()])).results[0].status).toBe('applied');
    const before = await w.server.store.snapshot(dashboardId);
    const r = await s.push([create()]);
    expect(r.results[0]).toMatchObject({ status: 'rejected', code: 'too-large', message: expect.stringContaining('5 widgets') });
    expect(await w.server.store.snapshot(dashboardId)).toEqual(before);
  });
});
