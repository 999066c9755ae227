/** Health, metrics, metric ingest and the static PWA. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DashboardId } from '../../protocol/index.ts';
import { hashToken } from '../../server/auth/sessions.ts';
import { openStore } from '../../server/store/open-store.ts';
import { DEMO_PASSWORD, firstDashboard, login, openSocket, startWorld, type TestWorld } from './helpers.ts';

const SHARED_TOKEN = 'shared-ingest-token-123456';
let world: TestWorld;
let cookie: string;
let dashboardId: DashboardId;

beforeEach(async () => {
  world = await startWorld({ ingestToken: SHARED_TOKEN });
  cookie = await login(world);
  dashboardId = await firstDashboard(world, cookie);
});
afterEach(async () => {
  await world.cleanup();
});

describe('health and metrics', () => {
  it('reports ok with the open socket count, and 503 when the database is unusable', async () => {
    const s = await openSocket(world, cookie);
    const ok = await fetch(`${world.server.url}/api/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ok', db: 'ok', connections: 1, uptimeS: expect.any(Number) });
    s.close();
    world.server.store.ping = async () => false;
    const down = await fetch(`${world.server.url}/api/health`);
    expect(down.status).toBe(503);
  });

  it('exposes connections, mutation counts, push latency, fan-out queue and process metrics', async () => {
    const s = await openSocket(world, cookie);
    await s.hello();
    await s.subscribe(dashboardId);
    await s.push([{ id: 'm_bad', name: 'nope' }]);
    const res = await fetch(`${world.server.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^fieldboard_connections 1$/m);
    expect(text).toMatch(/^fieldboard_mutations_total\{status="rejected"\} 1$/m);
    expect(text).toMatch(/^fieldboard_mutations_total\{status="applied"\} 0$/m);
    expect(text).toMatch(/^fieldboard_push_duration_seconds_count 1$/m);
    expect(text).toMatch(/^fieldboard_fanout_queue_bytes \d+$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
    s.close();
  });
});

describe('ingest', () => {
  const ingest = (token: string | null, key = 'flow', body: unknown = { value: 42.5, at: 1_700_000_000_000 }) =>
    fetch(`${world.server.url}/api/ingest/${dashboardId}/${key}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it('accepts a point with the shared token (202) and fans the server-made change out', async () => {
    const s = await openSocket(world, cookie);
    await s.hello();
    await s.subscribe(dashboardId);
    expect((await ingest(SHARED_TOKEN)).status).toBe(202);
    const frame = await s.next('changes', (f) => f.changes.some((c) => c.widget?.kind === 'metric'));
    const change = frame.changes[0];
    expect(change).toMatchObject({ mutationId: null, clientId: null, userId: null, widget: { kind: 'metric', metricKey: 'flow', value: 42.5 } });
    s.close();
  });

  it('accepts tokens made by the CLI, refuses missing or wrong tokens with 401, and 404 for unused keys', async () => {
    await world.server.store.createIngestToken(hashToken('cli-made-token-abcdef'), 'test', 'all');
    expect((await ingest('cli-made-token-abcdef')).status).toBe(202);
    expect((await ingest(null)).status).toBe(401);
    expect((await ingest('wrong-token-wrong-token')).status).toBe(401);
    expect((await ingest(SHARED_TOKEN, 'unused-key')).status).toBe(404);
    expect((await ingest(SHARED_TOKEN, 'flow', { value: 'high' })).status).toBe(400);
  });

  it('needs no Origin or cookie, and a session cookie alone is not enough', async () => {
    const res = await fetch(`${world.server.url}/api/ingest/${dashboardId}/flow`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie, Origin: world.origin },
      body: JSON.stringify({ value: 1 }),
    });
    expect(res.status).toBe(401);
  });
});

describe('static files', () => {
  it('explains how to build when the static directory is missing', async () => {
    const res = await fetch(`${world.server.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('npm run build');
  });

  it('serves the built app with content types, cache headers, navigation fallback and no traversal', async () => {
    const dist = path.join(world.dir, 'dist');
    await mkdir(path.join(dist, 'assets'), { recursive: true });
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>Fieldboard</title>');
    await writeFile(path.join(dist, 'sw.js'), 'self.addEventListener("install", () => {});');
    await writeFile(path.join(dist, 'assets', 'index-AbCd1234.js'), 'export {};');
    await writeFile(path.join(world.dir, 'secret.txt'), 'do not serve');

    const index = await fetch(`${world.server.url}/`);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const sw = await fetch(`${world.server.url}/sw.js`);
    expect(sw.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    const asset = await fetch(`${world.server.url}/assets/index-AbCd1234.js`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const nav = await fetch(`${world.server.url}/dashboards/d_123`, { headers: { Accept: 'text/html' } });
    expect(await nav.text()).toContain('<title>Fieldboard</title>');
    expect((await fetch(`${world.server.url}/assets/missing.js`)).status).toBe(404);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt']) {
      const res = await fetch(`${world.server.url}${p}`);
      expect(await res.text()).not.toContain('do not serve');
    }
    expect((await fetch(`${world.server.url}/api/nothing-here`)).status).toBe(404);
  });
});

describe('first start', () => {
  it('seeds the demo user and a dashboard with one widget of each kind', async () => {
    expect(world.server.seed.seeded).toBe(true);
    const { widgets } = await world.server.store.snapshot(dashboardId);
    expect(widgets.map((w) => [w.kind, w.title]).sort()).toEqual([
      ['checklist', 'Valve check'],
      ['counter', 'Pumps'],
      ['metric', 'Flow rate'],
      ['note', 'Shift notes'],
    ]);
    const checklist = widgets.find((w) => w.kind === 'checklist');
    expect(checklist?.kind === 'checklist' && checklist.items).toHaveLength(2);
    expect(widgets.find((w) => w.kind === 'metric')).toMatchObject({ metricKey: 'flow' });
  });

  it('does not seed a database where an operator already created users', async () => {
    const other = await startWorld({}, async (databaseUrl) => {
      const store = await openStore(databaseUrl);
      await store.createUser('alice', 'x');
      await store.close();
    });
    try {
      expect(other.server.seed.seeded).toBe(false);
      expect(await other.server.store.findUserByName('demo')).toBeNull();
      await expect(login(other, 'demo', DEMO_PASSWORD)).rejects.toThrow('401');
    } finally {
      await other.cleanup();
    }
  });

  it('warns a socket whose session ends within a day', async () => {
    const short = await startWorld({ sessionTtlDays: 1 });
    try {
      const s = await openSocket(short, await login(short));
      await s.hello();
      const notice = await s.next('notice');
      expect(notice).toMatchObject({ kind: 'session-expiring', expiresAt: expect.any(Number) });
      s.close();
    } finally {
      await short.cleanup();
    }
  });
});
