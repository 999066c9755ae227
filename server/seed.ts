/**
 * First-start demo data, so `npm start` shows something real at once: user `demo` and a dashboard with one
 * widget of each kind. Widgets are made through `applyBatch` like any client's, so they carry versions,
 * stamps and changes exactly as if a person had created them.
 */
import {
  newItemId,
  newMutationId,
  newWidgetId,
  type ClientId,
  type Mutation,
  type MutationInput,
} from '../protocol/index.ts';
import { hashPassword } from './auth/password.ts';
import type { Store } from './store/store.ts';

export const SERVER_CLIENT_ID = 'c_server' as ClientId;
export const DEMO_USER = 'demo';

export interface SeedOutcome {
  seeded: boolean;
  dashboardId?: string;
}

/**
 * Seeds only an empty database: an operator who created users with the CLI before the first start must not
 * find a `demo` account with a known password on their server.
 */
export async function seedDemo(store: Store, password: string, now: number): Promise<SeedOutcome> {
  if ((await store.countUsers()) > 0) return { seeded: false };
  let user;
  try {
    user = await store.createUser(DEMO_USER, await hashPassword(password));
  } catch (err) {
    // Several nodes starting together on an empty shared database: one of them seeds, the others find the
    // user it made (docs/server.md, "Several nodes on PostgreSQL").
    if (await store.findUserByName(DEMO_USER)) return { seeded: false };
    throw err;
  }
  const dashboard = await store.createDashboard('Demo', user.id);
  const inputs: MutationInput[] = [
    { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'counter', title: 'Pumps', position: 'a0', value: 0 } },
    { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'note', title: 'Shift notes', position: 'a1', text: '' } },
    {
      name: 'widget.create',
      args: {
        widgetId: newWidgetId(),
        kind: 'checklist',
        title: 'Valve check',
        position: 'a2',
        items: [
          { id: newItemId(), text: 'Inlet valve open', done: false },
          { id: newItemId(), text: 'Outlet valve open', done: false },
        ],
      },
    },
    { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'metric', title: 'Flow rate', position: 'a3', metricKey: 'flow' } },
  ];
  const mutations = inputs.map(
    (m) =>
      ({
        ...m,
        id: newMutationId(now),
        clientId: SERVER_CLIENT_ID,
        dashboardId: dashboard.id,
        baseVersion: 0,
        createdAt: now,
      }) as Mutation,
  );
  const { results } = await store.applyBatch({ userId: user.id, clientId: SERVER_CLIENT_ID, now }, mutations);
  const failed = results.find((r) => r.status !== 'applied');
  if (failed) throw new Error(`demo seed failed: ${JSON.stringify(failed)}`);
  return { seeded: true, dashboardId: dashboard.id };
}
