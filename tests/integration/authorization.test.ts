/**
 * The authorization audit (docs/server.md, "Who may call what"): every API route refuses the signed-out
 * (401) and, when it changes state, a foreign or missing Origin (403); a non-member gets nothing of a
 * dashboard over either transport; another user's ids inside one's own batch and a mutation carrying
 * another clientId are refused per mutation while the rest of the batch applies; logout closes the
 * session's sockets. Rows not here are backed by the tests the table names.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newClientId, newWidgetId, type DashboardId } from '../../protocol/index.ts';
import { api, createUser, firstDashboard, login, mutation, openSocket, startWorld, type TestWorld } from './helpers.ts';

let world: TestWorld;
let demo: string;
let dashboardId: DashboardId;

beforeEach(async () => {
  world = await startWorld();
  demo = await login(world);
  dashboardId = await firstDashboard(world, demo);
});
afterEach(async () => {
  await world.cleanup();
});

const createNote = (clientId: ReturnType<typeof newClientId>, d: DashboardId) =>
  mutation(clientId, d, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'note', title: 'x', position: 'a9', text: '' } });

/** Every session route with a body that would pass validation. */
const SESSION_ROUTES = (d: DashboardId) => [
  { method: 'GET', path: '/api/me' },
  { method: 'GET', path: '/api/dashboards' },
  { method: 'POST', path: '/api/dashboards', body: { name: 'X' } },
  { method: 'POST', path: '/api/push', body: { clientId: newClientId(), mutations: [] } },
  { method: 'GET', path: `/api/pull?dashboardId=${d}` },
  { method: 'GET', path: `/api/activity?dashboardId=${d}` },
  { method: 'POST', path: '/api/password', body: { currentPassword: 'x', newPassword: 'long-enough' } },
];

describe('signed out', () => {
  it('every session route answers 401, with no cookie and with a forged one', async () => {
    for (const r of SESSION_ROUTES(dashboardId)) {
      for (const cookie of ['', 'fb_session=forged-token']) {
        const res = await api(world, cookie, r.path, { method: r.method, body: r.body });
        expect(res.status, `${r.method} ${r.path} cookie=${cookie}`).toBe(401);
      }
    }
  });
});

describe('foreign or missing Origin', () => {
  it('every state-changing route answers 403 and changes nothing', async () => {
    const before = (await (await api(world, demo, '/api/dashboards')).json()) as unknown;
    for (const r of SESSION_ROUTES(dashboardId).filter((x) => x.method === 'POST')) {
      for (const origin of ['https://evil.example', `http://127.0.0.1:${world.server.port + 1}`, null]) {
        const res = await fetch(`${world.server.url}${r.path}`, {
          method: 'POST',
          headers: { Cookie: demo, 'Content-Type': 'application/json', ...(origin === null ? {} : { Origin: origin }) },
          body: JSON.stringify(r.body),
        });
        expect(res.status, `${r.path} from ${origin}`).toBe(403);
      }
    }
    for (const path of ['/api/login', '/api/logout']) {
      const res = await fetch(`${world.server.url}${path}`, {
        method: 'POST',
        headers: { Cookie: demo, 'Content-Type': 'application/json', Origin: 'https://evil.example' },
        body: JSON.stringify({ username: 'demo', password: 'x' }),
      });
      expect(res.status, path).toBe(403);
    }
    expect(await (await api(world, demo, '/api/dashboards')).json()).toEqual(before);
    expect((await api(world, demo, '/api/me')).status).toBe(200);
  });
});

describe('a non-member', () => {
  it('cannot push to the dashboard over the socket: forbidden per mutation, nothing committed', async () => {
    await createUser(world, 'eve', 'eve-pw');
    const eve = await login(world, 'eve', 'eve-pw');
    const s = await openSocket(world, eve);
    await s.hello();
    const head = await world.server.store.head(dashboardId);
    const r = await s.push([createNote(s.clientId, dashboardId)]);
    expect(r.results).toMatchObject([{ status: 'rejected', code: 'forbidden' }]);
    expect(await world.server.store.head(dashboardId)).toBe(head);
    s.close();
  });
});

describe("another user's ids inside one's own batch", () => {
  it("refuses another user's mutation id and a mutation of another clientId, and applies the rest", async () => {
    const b = await createUser(world, 'bob', 'bob-pw');
    await world.server.store.addMember(dashboardId, b.id);
    const bob = await login(world, 'bob', 'bob-pw');
    const demoSocket = await openSocket(world, demo);
    await demoSocket.hello();
    const demosMutation = createNote(demoSocket.clientId, dashboardId);
    expect((await demoSocket.push([demosMutation])).results[0].status).toBe('applied');

    const s = await openSocket(world, bob);
    await s.hello();
    const own = createNote(s.clientId, dashboardId);
    const stolenId = { ...createNote(s.clientId, dashboardId), id: demosMutation.id };
    const otherClient = createNote(demoSocket.clientId, dashboardId);
    const r = await s.push([stolenId, own, otherClient]);
    expect(r.results.map((x) => (x.status === 'rejected' ? x.code : x.status))).toEqual(['forbidden', 'applied', 'invalid']);
    // demo's own replay still answers demo's first result.
    expect((await demoSocket.push([demosMutation])).results[0].status).toBe('applied');
    s.close();
    demoSocket.close();
  });
});

describe('logout', () => {
  it("closes that session's sockets with 1008 and leaves other sessions' open", async () => {
    const other = await login(world);
    const mine = await openSocket(world, demo);
    const theirs = await openSocket(world, other);
    await mine.hello();
    await theirs.hello();
    expect((await api(world, demo, '/api/logout', { method: 'POST' })).status).toBe(204);
    expect((await mine.closed).code).toBe(1008);
    await theirs.barrier();
    theirs.close();
  });
});
