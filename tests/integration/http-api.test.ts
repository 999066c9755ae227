/** The HTTP API: sessions, Origin checks, dashboards, push and pull fallbacks, limits, activity. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newClientId, newWidgetId, type DashboardId, type PullResponse } from '../../protocol/index.ts';
import { api, createUser, DEMO_PASSWORD, firstDashboard, login, mutation, startWorld, upgradeStatus, type TestWorld } from './helpers.ts';

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

describe('sessions', () => {
  it('sets an HttpOnly SameSite=Lax cookie on login and stores only a hash of the token', async () => {
    const res = await fetch(`${world.server.url}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: world.origin },
      body: JSON.stringify({ username: 'demo', password: DEMO_PASSWORD }),
    });
    expect(res.status).toBe(204);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^fb_session=[A-Za-z0-9_-]{20,};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure');
    const token = setCookie.split(';')[0].split('=')[1];
    expect(await world.server.store.getSession(token, Date.now())).toBeNull();
    // Behind a TLS-terminating proxy the cookie is also Secure.
    const proxied = await fetch(`${world.server.url}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: world.origin, 'X-Forwarded-Proto': 'https' },
      body: JSON.stringify({ username: 'demo', password: DEMO_PASSWORD }),
    });
    expect(proxied.headers.get('set-cookie')).toContain('; Secure');
  });

  it('answers 401 to a wrong password and an unknown user, with the same body', async () => {
    const attempt = (username: string) =>
      fetch(`${world.server.url}/api/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: world.origin },
        body: JSON.stringify({ username, password: 'wrong' }),
      });
    const wrong = await attempt('demo');
    const unknown = await attempt('nobody');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
  });

  it('knows who is signed in, and nobody after logout', async () => {
    const me = await api(world, cookie, '/api/me');
    expect(await me.json()).toMatchObject({ user: { name: 'demo' } });
    expect((await api(world, cookie, '/api/logout', { method: 'POST' })).status).toBe(204);
    expect((await api(world, cookie, '/api/me')).status).toBe(401);
    expect((await fetch(`${world.server.url}/api/me`)).status).toBe(401);
  });

  it('answers 401 without a session on the API and on the socket upgrade', async () => {
    expect((await fetch(`${world.server.url}/api/dashboards`)).status).toBe(401);
    expect((await api(world, 'fb_session=forged', '/api/pull?dashboardId=' + dashboardId)).status).toBe(401);
    expect(await upgradeStatus(world, { Origin: world.origin })).toBe(401);
  });

  it('answers 403 to a foreign or missing Origin on state changes and on the upgrade', async () => {
    const push = (origin: string | undefined) =>
      fetch(`${world.server.url}/api/push`, {
        method: 'POST',
        headers: { Cookie: cookie, 'Content-Type': 'application/json', ...(origin ? { Origin: origin } : {}) },
        body: JSON.stringify({ clientId: newClientId(), mutations: [] }),
      });
    expect((await push('https://evil.example')).status).toBe(403);
    expect((await push(undefined)).status).toBe(403);
    expect((await push(world.origin)).status).toBe(200);
    expect((await api(world, cookie, '/api/logout', { method: 'POST', headers: { Origin: 'https://evil.example' } })).status).toBe(403);
    expect(await upgradeStatus(world, { Cookie: cookie, Origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(world, { Cookie: cookie })).toBe(403);
  });
});

describe('dashboards and membership', () => {
  it('creates dashboards and lists only those the user is a member of', async () => {
    const created = await api(world, cookie, '/api/dashboards', { method: 'POST', body: { name: '  Plant B  ' } });
    expect(created.status).toBe(201);
    const d = (await created.json()) as { id: string; name: string };
    expect(d).toMatchObject({ id: expect.stringMatching(/^d_/), name: 'Plant B' });
    const list = (await (await api(world, cookie, '/api/dashboards')).json()) as { dashboards: { name: string }[] };
    expect(list.dashboards.map((x) => x.name).sort()).toEqual(['Demo', 'Plant B']);

    await createUser(world, 'bob', 'bob-password');
    const bob = await login(world, 'bob', 'bob-password');
    expect(await (await api(world, bob, '/api/dashboards')).json()).toEqual({ dashboards: [] });
    expect((await api(world, bob, `/api/pull?dashboardId=${dashboardId}`)).status).toBe(403);
    expect((await api(world, bob, `/api/activity?dashboardId=${dashboardId}`)).status).toBe(403);
    // Pushing to a dashboard of which bob is not a member: a per-mutation rejection, nothing committed.
    const clientId = newClientId();
    const head = (await world.server.store.snapshot(dashboardId)).seq;
    const res = await api(world, bob, '/api/push', {
      method: 'POST',
      body: { clientId, mutations: [mutation(clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'note', title: 'x', position: 'a' } })] },
    });
    expect(await res.json()).toMatchObject({ results: [{ status: 'rejected', code: 'forbidden' }] });
    expect((await world.server.store.snapshot(dashboardId)).seq).toBe(head);
  });

  it('refuses an empty dashboard name with 400', async () => {
    const res = await api(world, cookie, '/api/dashboards', { method: 'POST', body: { name: '   ' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid' } });
  });
});

describe('push over HTTP', () => {
  it('answers 400 to bad JSON and malformed bodies, 413 to bodies over 1 MiB and to 501 mutations, committing nothing', async () => {
    const head = (await world.server.store.snapshot(dashboardId)).seq;
    const badJson = await api(world, cookie, '/api/push', { method: 'POST', body: '{"clientId":' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: 'bad-json', message: expect.any(String) } });
    const malformed = await api(world, cookie, '/api/push', { method: 'POST', body: { clientId: 'nope', mutations: [] } });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'invalid' } });
    const huge = await api(world, cookie, '/api/push', { method: 'POST', body: { clientId: newClientId(), mutations: [], pad: 'x'.repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    const clientId = newClientId();
    const many = Array.from({ length: 501 }, () =>
      mutation(clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'counter', title: 'x', position: 'a' } }),
    );
    const tooMany = await api(world, cookie, '/api/push', { method: 'POST', body: { clientId, mutations: many } });
    expect(tooMany.status).toBe(413);
    expect(await tooMany.json()).toMatchObject({ error: { code: 'too-large' } });
    expect((await world.server.store.snapshot(dashboardId)).seq).toBe(head);
  });

  it('applies a batch and replays it with the same results and no new change', async () => {
    const clientId = newClientId();
    const batch = [
      mutation(clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'note', title: 'A', position: 'a' } }),
      mutation(clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'note', title: 'x'.repeat(300), position: 'b' } }),
    ];
    const first = await (await api(world, cookie, '/api/push', { method: 'POST', body: { clientId, mutations: batch } })).json();
    expect(first).toMatchObject({ results: [{ status: 'applied', version: 1 }, { status: 'rejected', code: 'too-large' }] });
    const head = (await world.server.store.snapshot(dashboardId)).seq;
    const second = await (await api(world, cookie, '/api/push', { method: 'POST', body: { clientId, mutations: batch } })).json();
    expect(second).toEqual(first);
    expect((await world.server.store.snapshot(dashboardId)).seq).toBe(head);
  });
});

describe('pull', () => {
  it('pages with limit, seq as the next cursor and more, then resets on a foreign epoch', async () => {
    const clientId = newClientId();
    const batch = Array.from({ length: 6 }, (_, i) =>
      mutation(clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'counter', title: `p${i}`, position: `p${i}` } }),
    );
    await api(world, cookie, '/api/push', { method: 'POST', body: { clientId, mutations: batch } });
    const head = (await world.server.store.snapshot(dashboardId)).seq;
    const epoch = world.server.store.epoch;

    const seen: number[] = [];
    let cursor = 0;
    for (let pages = 0; pages < 10; pages++) {
      const res = await api(world, cookie, `/api/pull?dashboardId=${dashboardId}&cursor=${cursor}&epoch=${epoch}&limit=4`);
      const body = (await res.json()) as PullResponse;
      if ('reset' in body) throw new Error('unexpected reset');
      expect(body.epoch).toBe(epoch);
      expect(body.changes.length).toBeLessThanOrEqual(4);
      seen.push(...body.changes.map((c) => c.seq));
      cursor = body.seq;
      if (!body.more) break;
      expect(body.seq).toBe(body.changes[body.changes.length - 1].seq);
    }
    expect(cursor).toBe(head);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen).toHaveLength(10);

    const reset = (await (await api(world, cookie, `/api/pull?dashboardId=${dashboardId}&cursor=3&epoch=elsewhere`)).json()) as PullResponse;
    expect(reset).toMatchObject({ reset: { epoch, seq: head } });
    expect((await api(world, cookie, `/api/pull?dashboardId=${dashboardId}&limit=5000`)).status).toBe(400);
  });

  it('serves the activity feed newest first', async () => {
    const res = await api(world, cookie, `/api/activity?dashboardId=${dashboardId}&limit=2`);
    const body = (await res.json()) as { changes: { seq: number; userId: string | null }[]; users: { id: string; name: string }[] };
    expect(body.changes).toHaveLength(2);
    expect(body.changes[0].seq).toBeGreaterThan(body.changes[1].seq);
    // Who made them, by name, for each user in the feed and nobody else.
    const ids = [...new Set(body.changes.flatMap((c) => (c.userId ? [c.userId] : [])))];
    expect(body.users.map((u) => u.id).sort()).toEqual(ids.sort());
    expect(body.users.every((u) => typeof u.name === 'string' && u.name.length > 0)).toBe(true);
  });
});
