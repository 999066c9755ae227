/**
 * Ingest tokens are scoped: a token made for some dashboards writes to those only, and an unknown
 * dashboard, a dashboard outside the token's scope or a key no metric widget uses answers 404 (the same
 * answer for all three, so a token does not learn which dashboards exist).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newWidgetId, type DashboardId } from '../../protocol/index.ts';
import { hashToken } from '../../server/auth/sessions.ts';
import { api, firstDashboard, login, mutation, startWorld, type TestWorld } from './helpers.ts';
import { newClientId } from '../../protocol/index.ts';

let world: TestWorld;
let demoBoard: DashboardId;
let otherBoard: DashboardId;
const SCOPED = 'scoped-ingest-token-0001';
const ALL = 'all-ingest-token-0000001';

beforeEach(async () => {
  world = await startWorld();
  const cookie = await login(world);
  demoBoard = await firstDashboard(world, cookie);
  const made = await api(world, cookie, '/api/dashboards', { method: 'POST', body: { name: 'Other' } });
  otherBoard = ((await made.json()) as { id: DashboardId }).id;
  const clientId = newClientId();
  const create = mutation(clientId, otherBoard, {
    name: 'widget.create',
    args: { widgetId: newWidgetId(), kind: 'metric', title: 'Flow', position: 'a0', metricKey: 'flow' },
  });
  expect((await api(world, cookie, '/api/push', { method: 'POST', body: { clientId, mutations: [create] } })).status).toBe(200);
  await world.server.store.createIngestToken(hashToken(SCOPED), 'scoped', [demoBoard]);
  await world.server.store.createIngestToken(hashToken(ALL), 'all', 'all');
});
afterEach(async () => {
  await world.cleanup();
});

const ingest = (token: string, dashboardId: string, key = 'flow') =>
  fetch(`${world.server.url}/api/ingest/${dashboardId}/${key}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ value: 7 }),
  });

describe('a scoped ingest token', () => {
  it('writes to its dashboards only; others answer 404 and change nothing', async () => {
    expect((await ingest(SCOPED, demoBoard)).status).toBe(202);
    const before = await world.server.store.head(otherBoard);
    const refused = await ingest(SCOPED, otherBoard);
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('not-found');
    expect(await world.server.store.head(otherBoard)).toBe(before);
  });

  it('answers 404 for an unknown dashboard and an unused key, like a dashboard out of scope', async () => {
    const outOfScope = await (await ingest(SCOPED, otherBoard)).json();
    const unknown = await ingest(SCOPED, 'd_doesnotexist');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual(outOfScope);
    expect((await ingest(SCOPED, demoBoard, 'nokey')).status).toBe(404);
  });
});

describe('a token for all dashboards', () => {
  it('writes to every dashboard, and still answers 404 for unknown ones', async () => {
    expect((await ingest(ALL, demoBoard)).status).toBe(202);
    expect((await ingest(ALL, otherBoard)).status).toBe(202);
    expect((await ingest(ALL, 'd_doesnotexist')).status).toBe(404);
  });
});
