/**
 * server/fanout.ts on its own, deterministically: two SQLite stores on one file stand for two nodes on one
 * database (SQLite sends no hints, so nothing arrives unless the fan-out reads the log itself). A node's own
 * commit that follows what it published goes out at once; one that skips another writer's commits waits
 * until those are read from the log and published first; the sweep publishes other writers' commits with
 * no commit of its own. The hub always receives each seq once, in order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Change, DashboardId, UserId } from '../../protocol/index.ts';
import { Fanout } from '../../server/fanout.ts';
import { createLogger } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics.ts';
import { openStore } from '../../server/store/open-store.ts';
import type { Store } from '../../server/store/store.ts';
import { Hub, type Subscriber } from '../../server/ws/hub.ts';
import { createCounter, makeWorld, mut, push, wid, type World } from '../storage/fixtures.ts';
import { waitUntil } from './helpers.ts';

let dir: string;
let stores: Store[] = [];
let fanouts: Fanout[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fieldboard-fanout-'));
});
afterEach(async () => {
  await Promise.all(fanouts.splice(0).map((f) => f.close()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

/** A subscriber that keeps every change the hub hands it. */
function collector(dashboardId: DashboardId, userId: UserId): Subscriber & { got: Change[] } {
  const got: Change[] = [];
  return {
    got,
    userId,
    tokenHash: 't',
    dashboards: () => [dashboardId],
    deliver: (_id, changes) => void got.push(...changes),
    notice: () => undefined,
    bufferedAmount: () => 0,
    close: () => undefined,
    dropSlow: () => undefined,
    dropped: false,
  };
}

async function twoWriters(resyncMs = 3_600_000) {
  const file = path.join(dir, 'shared.db');
  const mine = await openStore(`sqlite:${file}`);
  const other = await openStore(`sqlite:${file}`);
  stores.push(mine, other);
  const w = await makeWorld(mine);
  const hub = new Hub();
  const metrics = createMetrics({ connections: () => 0, queuedBytes: () => 0, listening: () => null });
  const fanout = new Fanout(mine, hub, metrics, createLogger('silent'), () => Date.now());
  fanout.start(resyncMs);
  fanouts.push(fanout);
  await fanout.follow(w.dashboardId);
  const sub = collector(w.dashboardId, w.alice.id);
  hub.subscribe(w.dashboardId, sub);
  const viaOther: World = { ...w, store: other };
  return { w, viaOther, fanout, sub, metrics, hub };
}

const add = (w: World) => mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } });

describe('fan-out', () => {
  it('publishes its own commit at once when it follows what was published', async () => {
    const { w, fanout, sub } = await twoWriters();
    const out = await push(w, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a'))), add(w)]);
    await fanout.committed(out.changes);
    expect(sub.got.map((c) => c.seq)).toEqual([1, 2]);
    // A repeat of what was already published changes nothing.
    await fanout.committed(out.changes);
    expect(sub.got.map((c) => c.seq)).toEqual([1, 2]);
  });

  it('reads another writer\'s commits from the log before publishing its own that follow them', async () => {
    const { w, viaOther, fanout, sub, metrics } = await twoWriters();
    await push(viaOther, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a'))), add(w), add(w)]);
    expect(sub.got).toEqual([]);
    const mine = await push(w, w.alice, w.ca, [add(w)]);
    expect(mine.changes.map((c) => c.seq)).toEqual([4]);
    await fanout.committed(mine.changes);
    expect(sub.got.map((c) => c.seq)).toEqual([1, 2, 3, 4]);
    expect(await metrics.registry.getSingleMetricAsString('fieldboard_fanout_changes_total')).toMatch(/source="log"} 4/);
  });

  it('publishes other writers\' commits on its safety sweep, with no hint and no commit of its own', async () => {
    const { w, viaOther, sub } = await twoWriters(100);
    await push(viaOther, w.alice, w.ca, [mut(w, w.ca, createCounter(wid('a')))]);
    await push(viaOther, w.alice, w.ca, [add(w), add(w)]);
    await waitUntil(() => sub.got.length === 3, 5_000, 'the sweep to publish');
    expect(sub.got.map((c) => c.seq)).toEqual([1, 2, 3]);
  });

  it('starts a newly followed dashboard at its head: what came before is the subscriber\'s own catch-up', async () => {
    const { w, viaOther, fanout, hub } = await twoWriters();
    const d2 = await w.store.createDashboard('Second', w.alice.id);
    const on2 = { ...w, dashboardId: d2.id };
    await push({ ...viaOther, dashboardId: d2.id }, w.alice, w.ca, [mut(on2, w.ca, createCounter(wid('b')))]);
    await fanout.follow(d2.id);
    const sub = collector(d2.id, w.alice.id);
    hub.subscribe(d2.id, sub);
    const mine = await push(on2, w.alice, w.ca, [mut(on2, w.ca, { name: 'counter.add', args: { widgetId: wid('b'), delta: 1 } })]);
    await fanout.committed(mine.changes);
    expect(sub.got.map((c) => c.seq)).toEqual([2]);
    expect(fanout.listening()).toBeNull();
  });
});
