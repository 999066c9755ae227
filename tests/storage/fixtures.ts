/**
 * A small world for storage tests: two users, one shared dashboard, one client each, and a mutation builder
 * that fills in the envelope. Built through the Store interface only, so every backend gets the same world.
 */
import {
  newMutationId,
  type ClientId,
  type DashboardId,
  type Mutation,
  type MutationInput,
  type MutationResult,
  type User,
  type WidgetId,
} from '../../protocol/index.ts';
import type { BatchOutcome, PushContext, Store } from '../../server/store/store.ts';

export const NOW = 1_732_262_400_000;

export interface World {
  store: Store;
  alice: User;
  bob: User;
  /** Not a member of `dashboardId`. */
  eve: User;
  dashboardId: DashboardId;
  /** alice's client and bob's client. */
  ca: ClientId;
  cb: ClientId;
}

export async function makeWorld(store: Store): Promise<World> {
  const alice = await store.createUser('alice', 'hash-a');
  const bob = await store.createUser('bob', 'hash-b');
  const eve = await store.createUser('eve', 'hash-e');
  const dashboard = await store.createDashboard('Plant', alice.id);
  await store.addMember(dashboard.id, bob.id);
  return { store, alice, bob, eve, dashboardId: dashboard.id, ca: 'c_alice' as ClientId, cb: 'c_bob' as ClientId };
}

let counter = 0;

/** A mutation with a fresh id (unique even within one millisecond), base version 0 unless given. */
export function mut(
  w: Pick<World, 'dashboardId'>,
  clientId: ClientId,
  input: MutationInput,
  extra: Partial<Pick<Mutation, 'baseVersion' | 'dashboardId' | 'id'>> = {},
): Mutation {
  counter += 1;
  return {
    id: newMutationId(NOW + counter),
    clientId,
    dashboardId: w.dashboardId,
    baseVersion: 0,
    createdAt: NOW,
    ...input,
    ...extra,
  } as Mutation;
}

export const wid = (name: string) => `w_${name}` as WidgetId;

export const createCounter = (id: WidgetId, value = 0): MutationInput => ({
  name: 'widget.create',
  args: { widgetId: id, kind: 'counter', title: 'Pumps', position: 'a0', value },
});
export const createNote = (id: WidgetId, text = ''): MutationInput => ({
  name: 'widget.create',
  args: { widgetId: id, kind: 'note', title: 'Notes', position: 'a1', text },
});
export const createChecklist = (id: WidgetId): MutationInput => ({
  name: 'widget.create',
  args: { widgetId: id, kind: 'checklist', title: 'Checks', position: 'a2', items: [] },
});
export const createMetric = (id: WidgetId, metricKey: string): MutationInput => ({
  name: 'widget.create',
  args: { widgetId: id, kind: 'metric', title: 'Flow', position: 'a3', metricKey },
});

/** Pushes as `user` from `clientId`, at `now` (default NOW). */
export function push(
  w: World,
  user: User,
  clientId: ClientId,
  mutations: readonly unknown[],
  now = NOW,
): Promise<BatchOutcome> {
  const ctx: PushContext = { userId: user.id, clientId, now };
  return w.store.applyBatch(ctx, mutations);
}

/** Pushes one mutation as alice (or `user`) and returns its result. */
export async function one(w: World, m: Mutation, user: User = w.alice): Promise<MutationResult> {
  const { results } = await push(w, user, m.clientId, [m]);
  return results[0];
}

/** Narrows a result to `applied` (a test failure otherwise) and returns its seq and version. */
export function applied(r: MutationResult): { seq: number; version: number } {
  if (r.status !== 'applied') throw new Error(`expected applied, got ${JSON.stringify(r)}`);
  return { seq: r.seq, version: r.version };
}

export async function widgetOf(w: World, id: WidgetId) {
  const { widgets } = await w.store.snapshot(w.dashboardId);
  return widgets.find((x) => x.id === id) ?? null;
}
