/**
 * What a returning device's catch-up costs (docs/protocol.md, `subscribe`; docs/server.md, catch-up): the
 * latest change of each widget changed after its cursor, so its size follows the widgets that changed, not
 * the metric points that arrived meanwhile. Real server, real ingest API, a real `ws` client counting the
 * bytes of the frames it receives from `subscribe` to `caught-up`. No timings.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { newWidgetId, type DashboardId } from '../../protocol/index.ts';
import { DEFAULT_LIMITS } from '../../server/limits/config.ts';
import { firstDashboard, login, mutation, openSocket, startWorld, type TestWorld } from './helpers.ts';

const TOKEN = 'catch-up-cost-ingest-token';
const KEYS = ['tank.a', 'tank.b', 'tank.c'];
/** A metric widget keeps its last 60 points (protocol/limits.ts): past that its size stops growing. */
const FULL_SERIES = 60;

let world: TestWorld;
let cookie: string;
let dashboardId: DashboardId;
let epoch: string;
let sent = 0;

beforeEach(async () => {
  world = await startWorld({ ingestToken: TOKEN, limits: { ...DEFAULT_LIMITS, ingestPointsPerMinute: 100_000 } });
  cookie = await login(world);
  dashboardId = await firstDashboard(world, cookie);
  const s = await openSocket(world, cookie);
  epoch = (await s.hello()).epoch;
  const creates = KEYS.map((metricKey, i) =>
    mutation(s.clientId, dashboardId, {
      name: 'widget.create',
      args: { widgetId: newWidgetId(), kind: 'metric', title: `Tank ${i}`, position: `t${i}`, metricKey },
    }),
  );
  const result = await s.push(creates);
  expect(result.results.map((r) => r.status)).toEqual(KEYS.map(() => 'applied'));
  s.close();
  sent = 0;
});
afterEach(async () => {
  await world.cleanup();
});

/** `count` points through the ingest API into `keys` in turn, values and times of one width. */
async function ingest(keys: string[], count: number): Promise<void> {
  const statuses: number[] = [];
  let next = 0;
  const sender = async () => {
    for (let i = next++; i < count; i = next++) {
      const k = sent + i;
      const res = await fetch(`${world.server.url}/api/ingest/${dashboardId}/${keys[i % keys.length]}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ value: 10 + (k % 9), at: 1_700_000_000_000 + k }),
      });
      await res.text();
      statuses.push(res.status);
    }
  };
  await Promise.all(Array.from({ length: 8 }, sender));
  sent += count;
  expect(statuses.filter((s) => s !== 202)).toEqual([]);
}

/** The device comes back from `cursor`: the changes it gets and the bytes of every frame up to `caught-up`. */
async function comeBack(cursor: number): Promise<{ changes: number; bytes: number; head: number; widgets: string[] }> {
  const s = await openSocket(world, cookie);
  await s.hello();
  let bytes = 0;
  s.ws.on('message', (data: Buffer) => (bytes += data.length));
  const got = await s.subscribe(dashboardId, cursor, epoch);
  s.close();
  if (got.kind !== 'caught-up') throw new Error('expected a catch-up, got a reset');
  return { changes: got.changes.length, bytes, head: got.seq, widgets: got.changes.map((c) => c.widget?.title ?? '') };
}

const headNow = async () => (await comeBack(0)).head;

it('costs the same after 10 and after 1,000 points into one widget: one change, the same bytes', async () => {
  await ingest(KEYS.slice(0, 1), FULL_SERIES);
  const before10 = await headNow();
  await ingest(KEYS.slice(0, 1), 10);
  const after10 = await comeBack(before10);

  const before1000 = await headNow();
  await ingest(KEYS.slice(0, 1), 1_000);
  const after1000 = await comeBack(before1000);

  // The points did arrive: the change log holds one change per point since that cursor.
  expect(await world.server.store.changesSince(dashboardId, before1000, 5_000)).toHaveLength(1_000);
  expect(after10.changes).toBe(1);
  expect(after1000.changes).toBe(1);
  expect(after1000.widgets).toEqual(['Tank 0']);
  // Only seq and version digits may differ (1,000 more of each is at most a few more characters).
  expect(Math.abs(after1000.bytes - after10.bytes)).toBeLessThanOrEqual(16);
}, 60_000);

it('grows with the widgets that changed: the same points into three widgets cost three widgets', async () => {
  await ingest(KEYS, 3 * FULL_SERIES);
  const beforeOne = await headNow();
  await ingest(KEYS.slice(0, 1), 300);
  const one = await comeBack(beforeOne);

  const beforeThree = await headNow();
  await ingest(KEYS, 300);
  const three = await comeBack(beforeThree);

  expect(one.changes).toBe(1);
  expect(three.changes).toBe(3);
  expect([...three.widgets].sort()).toEqual(['Tank 0', 'Tank 1', 'Tank 2']);
  // Three widgets' worth, less the frame envelope and `caught-up` the three share.
  expect(three.bytes).toBeGreaterThan(2.5 * one.bytes);
  expect(three.bytes).toBeLessThanOrEqual(3 * one.bytes);
}, 60_000);
