/**
 * A clientId is chosen by the device and anyone can send it, so it names a writer only together with the
 * user: another member presenting someone's clientId must not make that person's edits look like their
 * own (changes by the same writer never conflict), which used to turn a real conflict into a silent
 * overwrite. The same user and client keep their no-conflict rule.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newClientId, newWidgetId, type DashboardId, type WidgetId } from '../../protocol/index.ts';
import { api, createUser, firstDashboard, login, mutation, openSocket, startWorld, type TestWorld } from './helpers.ts';

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

describe('a shared browser profile (one clientId, users signing out and in)', () => {
  it("the next user's socket with the same clientId syncs: edits on what they saw apply, the previous user's edit is not theirs", async () => {
    const a = await openSocket(world, demo, { clientId: shared });
    await a.hello();
    const v1 = await a.push([mutation(shared, dashboardId, { name: 'widget.set', args: { widgetId, patch: { text: 'from demo' } } } as never, 1)]);
    expect(v1.results[0]).toMatchObject({ status: 'applied', version: 2 });
    await api(world, demo, '/api/logout', { method: 'POST' });
    await a.closed;

    const b = await openSocket(world, bob, { clientId: shared });
    await b.hello();
    const seen = await b.subscribe(dashboardId);
    expect(seen.kind).toBe('caught-up');
    // On what bob saw (version 2): applied, as on any device of his own.
    const edit = await b.push([mutation(shared, dashboardId, { name: 'widget.set', args: { widgetId, patch: { text: 'from bob' } } } as never, 2)]);
    expect(edit.results[0]).toMatchObject({ status: 'applied', version: 3 });
    // Edits begun before demo's words arrived (base 1): a field nobody else changed applies; the text,
    // which demo changed after that base, is a conflict, not an overwrite of demo's words.
    const stale = await b.push([mutation(shared, dashboardId, { name: 'widget.set', args: { widgetId, patch: { title: 'T' } } } as never, 1)]);
    expect(stale.results[0]).toMatchObject({ status: 'applied' });
    const late = await b.push([mutation(shared, dashboardId, { name: 'widget.set', args: { widgetId, patch: { text: 'late' } } } as never, 1)]);
    expect(late.results[0]).toMatchObject({ status: 'conflict', fields: ['text'] });
  });
});
