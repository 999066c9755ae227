/**
 * The conflict rules of docs/protocol.md "Precise rules", exercised through real sockets from two clients of
 * one user.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newWidgetId, type DashboardId, type WidgetId } from '../../protocol/index.ts';
import { firstDashboard, login, mutation, openSocket, startWorld, type TestSocket, type TestWorld } from './helpers.ts';

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

async function createNote(s: TestSocket, title: string): Promise<WidgetId> {
  const widgetId = newWidgetId();
  const r = await s.push([mutation(s.clientId, dashboardId, { name: 'widget.create', args: { widgetId, kind: 'note', title, position: 'b0', text: '' } })]);
  expect(r.results[0].status).toBe('applied');
  return widgetId;
}

describe('conflict rules through the wire', () => {
  let a: TestSocket;
  let b: TestSocket;
  let widgetId: WidgetId;
  const set = (s: TestSocket, patch: Record<string, unknown>, base: number) =>
    s.push([mutation(s.clientId, dashboardId, { name: 'widget.set', args: { widgetId, patch } } as never, base)]).then((r) => r.results[0]);

  beforeEach(async () => {
    a = await ready();
    b = await ready();
    widgetId = await createNote(a, 'Start');
  });
  afterEach(() => {
    a.close();
    b.close();
  });

  it('conflicts per field against another client and merges non-overlapping fields', async () => {
    expect(await set(b, { title: 'From B' }, 1)).toMatchObject({ status: 'applied', version: 2 });
    const conflict = await set(a, { title: 'From A', text: 'body' }, 1);
    expect(conflict).toMatchObject({ status: 'conflict', fields: ['title'], server: { title: 'From B', version: 2 } });
    // All or nothing: the text of the conflicting mutation was not applied either.
    expect(conflict.status === 'conflict' && conflict.server?.kind === 'note' && conflict.server.text).toBe('');
    expect(await set(a, { text: 'body' }, 1)).toMatchObject({ status: 'applied', version: 3 });
    const w = (await world.server.store.snapshot(dashboardId)).widgets.find((x) => x.id === widgetId);
    expect(w).toMatchObject({ title: 'From B', text: 'body', version: 3 });
  });

  it('never conflicts between changes of the same client', async () => {
    expect(await set(a, { title: 'One' }, 1)).toMatchObject({ status: 'applied', version: 2 });
    expect(await set(a, { title: 'Two' }, 1)).toMatchObject({ status: 'applied', version: 3 });
  });

  it('never conflicts on counter.add, whatever the base version', async () => {
    const counterId = newWidgetId();
    await a.push([mutation(a.clientId, dashboardId, { name: 'widget.create', args: { widgetId: counterId, kind: 'counter', title: 'C', position: 'd0', value: 0 } })]);
    const add = (s: TestSocket, delta: number) =>
      s.push([mutation(s.clientId, dashboardId, { name: 'counter.add', args: { widgetId: counterId, delta } }, 1)]).then((r) => r.results[0].status);
    expect(await add(a, 2)).toBe('applied');
    expect(await add(b, 3)).toBe('applied');
    expect(await add(a, -1)).toBe('applied');
    const w = (await world.server.store.snapshot(dashboardId)).widgets.find((x) => x.id === counterId);
    expect(w).toMatchObject({ value: 4, version: 4 });
  });

  it('conflicts with server null when editing a widget someone else deleted', async () => {
    const del = await b.push([mutation(b.clientId, dashboardId, { name: 'widget.delete', args: { widgetId } }, 1)]);
    expect(del.results[0].status).toBe('applied');
    const gone = await a.next('changes', (f) => f.changes.some((c) => c.widgetId === widgetId && c.widget === null));
    expect(gone.changes.find((c) => c.widgetId === widgetId)?.widget).toBeNull();
    expect(await set(a, { title: 'Too late' }, 1)).toMatchObject({ status: 'conflict', server: null });
  });
});
