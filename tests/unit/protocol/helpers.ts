/** Builders for protocol unit tests: mutations with a filled envelope and records made by running mutators. */
import {
  applyMutation,
  type ClientId,
  type DashboardId,
  type Mutation,
  type MutationInput,
  type UserId,
  type WidgetId,
  type WidgetRecord,
} from '../../../protocol/index.ts';

export const A = { userId: 'u_alice' as UserId, clientId: 'c_alice' as ClientId, now: 1_000 };
export const B = { userId: 'u_bob' as UserId, clientId: 'c_bob' as ClientId, now: 2_000 };
export const W = 'w_1' as WidgetId;

let n = 0;
export function m(input: MutationInput, baseVersion = 0, clientId: ClientId = A.clientId): Mutation {
  n += 1;
  return {
    id: `m_${String(n).padStart(6, '0')}`,
    clientId,
    dashboardId: 'd_1' as DashboardId,
    baseVersion,
    createdAt: 1,
    ...input,
  } as Mutation;
}

export type Actor = typeof A;

/** Applies `m` as `who` and returns the new record; fails the test if it did not apply. */
export function apply(record: WidgetRecord | null, mutation: Mutation, who: Actor = A): WidgetRecord {
  const out = applyMutation(record, mutation, who);
  if (out.kind !== 'applied') throw new Error(`expected applied, got ${JSON.stringify(out)}`);
  return out.record;
}

export const counter = (value = 0): MutationInput => ({
  name: 'widget.create',
  args: { widgetId: W, kind: 'counter', title: 'Pumps', position: 'a0', value },
});
export const note = (text = ''): MutationInput => ({
  name: 'widget.create',
  args: { widgetId: W, kind: 'note', title: 'Notes', position: 'a0', text },
});
export const checklist = (): MutationInput => ({
  name: 'widget.create',
  args: { widgetId: W, kind: 'checklist', title: 'Checks', position: 'a0', items: [] },
});
export const metric = (metricKey = 'flow'): MutationInput => ({
  name: 'widget.create',
  args: { widgetId: W, kind: 'metric', title: 'Flow', position: 'a0', metricKey },
});
