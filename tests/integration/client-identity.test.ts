/**
 * A clientId is chosen by the device and anyone can send it, so it names a writer only together with the
 * user: another member presenting someone's clientId must not make that person's edits look like their
 * own (changes by the same writer never conflict), which used to turn a real conflict into a silent
 * overwrite. The same user and client keep their no-conflict rule.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newClientId, newWidgetId, type DashboardId, type WidgetId } from '../../protocol/index.ts';
import { api, createUser, firstDashboard, login, mutation, startWorld, type TestWorld } from './helpers.ts';

let world: TestWorld;
let demo: string;
let bob: string;
let dashboardId: DashboardId;
let widgetId: WidgetId;
const shared = newClientId();

const push = (cookie: string, m: Record<string, unknown>) =>
  api(world, cookie, '/api/push', { method: 'POST', body: { clientId: shared, mutations: [m] } })
    .then((r) => r.json() as Promise<{ results: { status: string; fields?: string[] }[] }>)
    .then((b) => b.results[0]);
const setText = (cookie: string, text: string, base: number) =>
  push(cookie, mutation(shared, dashboardId, { name: 'widget.set', args: { widgetId, patch: { text } } } as never, base));

beforeEach(async () => {
  world = await startWorld();
  demo = await login(world);
  dashboardId = await firstDashboard(world, demo);
  const b = await createUser(world, 'bob', 'bob-pw');
  await world.server.store.addMember(dashboardId, b.id);
  bob = await login(world, 'bob', 'bob-pw');
  widgetId = newWidgetId();
  const created = await push(demo, mutation(shared, dashboardId, { name: 'widget.create', args: { widgetId, kind: 'note', title: 'N', position: 'b0', text: '' } }));
  expect(created.status).toBe('applied');
});
afterEach(async () => {
  await world.cleanup();
});

describe("another member presenting someone's clientId", () => {
  it("gets a conflict for a field that person changed after the base, not a silent overwrite", async () => {
    expect((await setText(demo, "demo's words", 1)).status).toBe('applied');
    const reused = await setText(bob, "bob's words", 1);
    expect(reused).toMatchObject({ status: 'conflict', fields: ['text'] });
    const { widgets } = await world.server.store.snapshot(dashboardId);
    expect(widgets.find((w) => w.id === widgetId)).toMatchObject({ text: "demo's words" });
  });

  it('leaves the same user and client free of conflicts with their own earlier edits', async () => {
    expect((await setText(demo, 'one', 1)).status).toBe('applied');
    expect((await setText(demo, 'two', 1)).status).toBe('applied');
  });
});
