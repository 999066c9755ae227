/**
 * Several nodes, one truth (docs/server.md, "Several nodes on PostgreSQL"): real node processes on one
 * PostgreSQL database, real `ws` clients on different nodes. Fan-out across nodes, a cookie valid on every
 * node, a node killed mid-stream with its device resuming on another, the same mutation sent to two nodes
 * at once, the LISTEN connection cut, and PostgreSQL itself restarted under load.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Change, DashboardId, MutationInput, WidgetId } from '../../protocol/index.ts';
import { freshDatabaseUrl, sql } from '../setup/pg.ts';
import { CLUSTER_PASSWORD, Device, health, metricsText, ROOT, startNode, type Node } from './cluster-helpers.ts';
import { firstDashboard, login, mutation, openSocket, waitUntil } from './helpers.ts';

const nodes: Node[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.kill()));
  for (const c of cleanups.splice(0)) c();
});

async function cluster(count: number, databaseUrl?: string, env: Record<string, string> = {}) {
  const url = databaseUrl ?? (await freshDatabaseUrl('cluster'));
  // The first node migrates and seeds; the others start together.
  const first = await startNode(url, { env });
  nodes.push(first);
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => startNode(url, { env })));
  nodes.push(...rest);
  const cookie = await login(first, 'demo', CLUSTER_PASSWORD);
  const dashboardId = await firstDashboard(first, cookie);
  return { url, nodes: [first, ...rest], cookie, dashboardId };
}

const counterId = 'w_cluster_counter' as WidgetId;
const add: MutationInput = { name: 'counter.add', args: { widgetId: counterId, delta: 1 } };
const create: MutationInput = { name: 'widget.create', args: { widgetId: counterId, kind: 'counter', title: 'Crews', position: 'b0', value: 0 } };

/** Every seq once and in order, as a live subscriber must see them. */
function expectStrictlyIncreasing(changes: readonly Change[]): void {
  const seqs = changes.map((c) => c.seq);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
}

/** The counter value as the device's last received change of it says. */
const lastValue = (d: Device) => {
  const mine = d.received.filter((c) => c.widgetId === counterId);
  const w = mine[mine.length - 1]?.widget;
  return w && w.kind === 'counter' ? w.value : null;
};

async function logStats(url: string, dashboardId: DashboardId) {
  const [row] = await sql<{ n: number; ids: number; head: number }>(
    url,
    `SELECT count(*)::int AS n, count(DISTINCT mutation_id)::int AS ids,
            (SELECT head_seq::int FROM dashboards WHERE id = $1) AS head
     FROM changes WHERE dashboard_id = $1`,
    [dashboardId],
  );
  return row;
}

describe('several nodes on one PostgreSQL', { timeout: 90_000 }, () => {
  it('shows an edit made through one node on a device connected to another; one cookie works on all; a drained node\'s device resumes elsewhere', async () => {
    const c = await cluster(3);
    const devices = c.nodes.map(() => new Device(c.cookie, c.dashboardId));
    for (const [i, d] of devices.entries()) await d.connect(c.nodes[i]);
    const head0 = Math.max(...devices.map((d) => d.cursor));

    devices[1].queue(create);
    await devices[1].flush();
    for (let i = 0; i < 5; i++) devices[i % 3].queue(add);
    await Promise.all(devices.map((d) => d.flush()));
    const head = head0 + 6;
    await waitUntil(() => devices.every((d) => d.cursor === head), 10_000, 'every device at the head');
    for (const d of devices) {
      expect(d.received.filter((x) => x.seq > head0).map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6].map((n) => head0 + n));
      expect(lastValue(d)).toBe(5);
    }
    for (const n of c.nodes) {
      await waitUntil(async () => (await health(n)).body?.listen === 'ok', 10_000, 'LISTEN up');
      expect((await health(n)).body).toMatchObject({ status: 'ok', db: 'ok', listen: 'ok' });
    }
    expect(await metricsText(c.nodes[0])).toMatch(/^fieldboard_fanout_changes_total\{source="log"\} [1-9]/m);
    expect(await metricsText(c.nodes[0])).toMatch(/^fieldboard_fanout_lag_seconds_count [1-9]/m);

    // A node stopped gracefully (SIGTERM) closes its sockets with 1001 and exits 0; its device resumes on
    // another node from its cursor and receives what it missed, once.
    const leaving = devices[2].socket!.closed;
    await c.nodes[2].stop();
    expect(await c.nodes[2].exited).toBe(0);
    expect((await leaving).code).toBe(1001);
    devices[0].queue(add);
    await devices[0].flush();
    await devices[2].connect(c.nodes[1]);
    await waitUntil(() => devices[2].cursor === head + 1, 10_000, 'resumed device at the head');
    expect(lastValue(devices[2])).toBe(6);
    expectStrictlyIncreasing(devices[2].received);
  });

  it('gives every live subscriber each seq once and in order while two nodes write one dashboard at once', async () => {
    const c = await cluster(2);
    const watchers = [new Device(c.cookie, c.dashboardId), new Device(c.cookie, c.dashboardId)];
    const writers = [new Device(c.cookie, c.dashboardId), new Device(c.cookie, c.dashboardId)];
    for (const [i, d] of [...watchers, ...writers].entries()) await d.connect(c.nodes[i % 2]);
    const head0 = watchers[0].cursor;
    writers[0].queue(create);
    await writers[0].flush();
    // Bursts from both nodes: each node's own commits interleave with the other's, so a node often holds a
    // commit whose seq is not next to what it published; it must fetch the other node's first.
    for (let round = 0; round < 10; round++) {
      for (const w of writers) {
        for (let i = 0; i < 5; i++) w.queue(add);
        w.sendOutbox();
      }
      await Promise.all(writers.map((w) => w.flush()));
    }
    const stats = await logStats(c.url, c.dashboardId);
    expect(stats.head).toBe(head0 + 101);
    const expected = Array.from({ length: 101 }, (_, i) => head0 + 1 + i);
    for (const d of [...watchers, ...writers]) {
      await waitUntil(() => d.cursor === stats.head, 10_000, 'every socket at the head');
      expect(d.received.filter((x) => x.seq > head0).map((x) => x.seq)).toEqual(expected);
      expect(lastValue(d)).toBe(100);
    }
  });

  it('applies the same mutation sent to two nodes at the same time once, and both answer the same result', async () => {
    const c = await cluster(2);
    const observer = new Device(c.cookie, c.dashboardId);
    await observer.connect(c.nodes[0]);
    const a = new Device(c.cookie, c.dashboardId);
    await a.connect(c.nodes[0]);
    a.queue(create);
    await a.flush();
    // The same client on a second socket, to the other node: a retry racing its first attempt.
    const twin = await openSocket(c.nodes[1], c.cookie, { clientId: a.clientId });
    await twin.hello();
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      const m = mutation(a.clientId, c.dashboardId, add);
      sent.push(m.id);
      const [r1, r2] = await Promise.all([a.socket!.push([m]), twin.push([m])]);
      expect(r1.results).toEqual(r2.results);
      expect(r1.results[0].status).toBe('applied');
    }
    const stats = await logStats(c.url, c.dashboardId);
    await waitUntil(() => observer.cursor === stats.head, 10_000, 'observer at the head');
    expect(lastValue(observer)).toBe(20);
    for (const id of sent) expect(observer.received.filter((x) => x.mutationId === id)).toHaveLength(1);
    expect(stats.n).toBe(stats.ids);
    twin.close();
  });

  it('after SIGKILL of a device\'s node mid-stream, the device resumes on another node: nothing lost or doubled', async () => {
    const c = await cluster(2);
    const [survivor, victim] = c.nodes;
    const observer = new Device(c.cookie, c.dashboardId);
    await observer.connect(survivor);
    const device = new Device(c.cookie, c.dashboardId);
    await device.connect(victim);
    device.queue(create);
    await device.flush();
    const before = observer.received.length;

    const ids: string[] = [];
    for (let frame = 0; frame < 40; frame++) {
      const batch = Array.from({ length: 25 }, () => device.queue(add));
      ids.push(...batch);
      device.socket!.send({ type: 'push', requestId: `burst${frame}`, mutations: device.outbox.slice(-25) });
    }
    // Kill once some of the burst has committed and been fanned out to the other node, not all of it.
    await waitUntil(() => observer.received.length >= before + 100, 20_000, 'part of the burst on the other node');
    await victim.kill();
    nodes.splice(nodes.indexOf(victim), 1);

    // The balancer sends the device to the surviving node: it resumes from its cursor and resends its outbox.
    await device.connect(survivor);
    await device.flush();
    expect(ids.every((id) => device.results.get(id)?.status === 'applied')).toBe(true);

    const stats = await logStats(c.url, c.dashboardId);
    expect(stats.n).toBe(stats.ids);
    await waitUntil(() => observer.cursor === stats.head && device.cursor === stats.head, 10_000, 'both at the head');
    expect(lastValue(observer)).toBe(1000);
    expect(lastValue(device)).toBe(1000);
    expectStrictlyIncreasing(device.received);
    expectStrictlyIncreasing(observer.received);
    // The observer was live throughout: it saw every change of the burst exactly once.
    for (const id of ids) expect(observer.received.filter((x) => x.mutationId === id)).toHaveLength(1);
  });

  it('still delivers other nodes\' changes when the LISTEN connection is cut', async () => {
    // No safety sweep during the test: only the hints and the re-read after reconnecting can deliver.
    const c = await cluster(2, undefined, { FIELDBOARD_RESYNC_MS: '3600000' });
    const [writerNode, readerNode] = c.nodes;
    const reader = new Device(c.cookie, c.dashboardId);
    await reader.connect(readerNode);
    const writer = new Device(c.cookie, c.dashboardId);
    await writer.connect(writerNode);
    writer.queue(create);
    await writer.flush();
    await waitUntil(() => reader.cursor === writer.cursor, 10_000, 'reader live');

    for (const n of c.nodes) await waitUntil(async () => (await health(n)).body?.listen === 'ok', 10_000, 'LISTEN up');
    const db = new URL(c.url).pathname.slice(1);
    const cut = await sql<{ ok: boolean }>(
      c.url,
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'fieldboard-listen' AND datname = $1`,
      [db],
    );
    expect(cut.length).toBe(2);
    // Written while the reader's node is (re)connecting: its hint is likely lost; the re-read must cover it.
    for (let i = 0; i < 10; i++) writer.queue(add);
    await writer.flush();
    const stats = await logStats(c.url, c.dashboardId);
    await waitUntil(() => reader.cursor === stats.head, 15_000, 'reader at the head after the cut');
    expect(lastValue(reader)).toBe(10);
    expectStrictlyIncreasing(reader.received);
    await waitUntil(async () => (await health(readerNode)).body?.listen === 'ok', 15_000, 'listening again');
    expect(await metricsText(readerNode)).toMatch(/^fieldboard_listen_drops_total [1-9]/m);
  });

  it('reports the database unavailable while PostgreSQL restarts under load, then recovers with nothing lost', async () => {
    // Its own PostgreSQL, with fsync on: the shared one serves other test files meanwhile.
    const dir = mkdtempSync(path.join(tmpdir(), 'fieldboard-pg-restart-'));
    chmodSync(dir, 0o755);
    const script = path.join(ROOT, 'tests/setup/postgres.sh');
    const data = path.join(dir, 'data');
    cleanups.push(() => {
      execFileSync('bash', [script, 'stop', data]);
      rmSync(dir, { recursive: true, force: true });
    });
    const url = execFileSync('bash', [script, 'start', data], { encoding: 'utf8' }).trim();
    const c = await cluster(2, url, { FIELDBOARD_RESYNC_MS: '1000' });
    const observer = new Device(c.cookie, c.dashboardId);
    await observer.connect(c.nodes[1]);
    const device = new Device(c.cookie, c.dashboardId);
    await device.connect(c.nodes[0]);
    device.queue(create);
    for (let i = 0; i < 50; i++) device.queue(add);
    await device.flush();

    execFileSync('bash', [script, 'stop', data]);
    for (const n of c.nodes) {
      await waitUntil(async () => (await health(n)).status === 503, 15_000, 'health reporting the database down');
      expect((await health(n)).body).toMatchObject({ status: 'error', db: 'error' });
    }
    // Under load while it is down: every push is answered unavailable and stays in the outbox.
    for (let i = 0; i < 50; i++) device.queue(add);
    const draining = device.flush(60_000);
    execFileSync('bash', [script, 'start', data]);
    await draining;
    for (const n of c.nodes) {
      await waitUntil(async () => (await health(n)).body?.status === 'ok', 20_000, 'health ok again');
    }
    const stats = await logStats(url, c.dashboardId);
    // The demo seed's 4 changes, then the counter's creation and its 100 additions, each once.
    expect(stats).toMatchObject({ n: 105, ids: 105, head: 105 });
    await waitUntil(() => observer.cursor === stats.head, 20_000, 'observer at the head');
    expect(lastValue(observer)).toBe(100);
    expectStrictlyIncreasing(observer.received);
  });
});
