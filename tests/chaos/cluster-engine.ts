/**
 * The chaos run's cluster mode (docs/testing.md, "Cluster chaos"): devices speaking the real protocol over
 * real `ws` sockets to a deployment of several node processes on one PostgreSQL, while a seeded scheduler
 * kills nodes (SIGKILL), stops them gracefully, drops every socket of a node, cuts the LISTEN connections
 * and moves devices to other nodes. Every (re)connect goes to a node drawn at random among the live ones,
 * which is what a balancer without sticky sessions does. Then everyone settles and the audit checks:
 *
 * - every mutation a device queued was answered `applied` and is in the change log exactly once;
 * - no device received a seq twice (live and catch-up together, across nodes);
 * - every device's view (the latest change of each widget it received) equals the database's, and each
 *   counter equals the sum of the deltas the devices queued for it.
 */
import type { DashboardId, MutationInput, Widget, WidgetId } from '../../protocol/index.ts';
import { openStore } from '../../server/store/open-store.ts';
import { sql } from '../setup/pg.ts';
import { CLUSTER_PASSWORD, Device, startNode, type Node } from '../integration/cluster-helpers.ts';
import { firstDashboard, login, waitUntil } from '../integration/helpers.ts';
import { Rng } from './prng.ts';

export interface ClusterChaosOptions {
  databaseUrl: string;
  seed: number;
  ops: number;
  nodes?: number;
  devices?: number;
  log?: (line: string) => void;
}

export interface ClusterChaosReport {
  seed: number;
  ops: number;
  edits: number;
  mutations: number;
  faults: Record<Fault, number>;
  changes: number;
  durationS: number;
  /** Empty when the run held every promise; otherwise what broke. */
  problems: string[];
}

type Fault = 'kill' | 'term' | 'drop' | 'cutListen' | 'move';

const COUNTERS = ['w_chaos_a', 'w_chaos_b', 'w_chaos_c'] as WidgetId[];

export async function runClusterChaos(opts: ClusterChaosOptions): Promise<ClusterChaosReport> {
  const started = Date.now();
  const rng = new Rng(opts.seed);
  const log = opts.log ?? (() => undefined);
  const url = opts.databaseUrl;
  const live: Node[] = [await startNode(url)];
  for (let i = 1; i < (opts.nodes ?? 2); i++) live.push(await startNode(url));
  const faults: Record<Fault, number> = { kill: 0, term: 0, drop: 0, cutListen: 0, move: 0 };
  const expected = new Map<WidgetId, number>(COUNTERS.map((id) => [id, 0]));
  const queued: string[] = [];
  let edits = 0;
  try {
    const cookie = await login(live[0], 'demo', CLUSTER_PASSWORD);
    const dashboardId = await firstDashboard(live[0], cookie);
    const devices = Array.from({ length: opts.devices ?? 3 }, () => new Device(cookie, dashboardId));

    /** Connects a device to a random live node, retrying while nodes come and go. */
    const ensureOnline = async (d: Device) => {
      for (let attempt = 0; !d.online; attempt++) {
        try {
          await d.connect(rng.pick(live));
        } catch (err) {
          if (attempt > 20) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const tryFlush = async (d: Device) => {
      try {
        await d.flush();
      } catch {
        // Its node went away mid-push: the outbox keeps the batch, the next connect resends it.
      }
    };

    await ensureOnline(devices[0]);
    for (const id of COUNTERS) {
      queued.push(devices[0].queue({ name: 'widget.create', args: { widgetId: id, kind: 'counter', title: id, position: 'z0', value: 0 } }));
    }
    await devices[0].flush();

    for (let op = 0; op < opts.ops; op++) {
      const kind = rng.weighted({ edit: 82, kill: 2, term: 2, drop: 5, cutListen: 3, move: 6 });
      if (kind === 'edit') {
        edits++;
        const d = rng.pick(devices);
        await ensureOnline(d);
        for (let n = 1 + rng.int(3); n > 0; n--) {
          const widgetId = rng.pick(COUNTERS);
          const delta = rng.pick([1, 2, -1]);
          expected.set(widgetId, expected.get(widgetId)! + delta);
          const input: MutationInput = { name: 'counter.add', args: { widgetId, delta } };
          queued.push(d.queue(input));
        }
        // Half the time fire and forget (a burst whose answers may be lost), half wait for the answers.
        if (rng.chance(0.5)) d.sendOutbox();
        else await tryFlush(d);
        continue;
      }
      faults[kind]++;
      const node = rng.pick(live);
      log(`op ${op}: ${kind} ${node.server.url}`);
      if (kind === 'kill' || kind === 'term') {
        if (live.length < 2) continue;
        live.splice(live.indexOf(node), 1);
        if (kind === 'kill') await node.kill();
        else await node.stop();
        live.push(await startNode(url));
      } else if (kind === 'drop') {
        node.proc.kill('SIGUSR2');
      } else if (kind === 'cutListen') {
        await sql(url, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fieldboard-listen' AND datname = current_database()`);
      } else {
        const d = rng.pick(devices);
        d.socket?.close();
        await ensureOnline(d);
      }
    }

    // Settle: everyone online, every outbox drained, every device at the head.
    for (let round = 0; devices.some((d) => d.outbox.length > 0 || !d.online); round++) {
      if (round > 50) throw new Error('devices did not settle');
      for (const d of devices) {
        await ensureOnline(d);
        await tryFlush(d);
      }
    }
    const [{ head }] = await sql<{ head: number }>(url, 'SELECT head_seq::int AS head FROM dashboards WHERE id = $1', [dashboardId]);
    for (const d of devices) await waitUntil(() => d.cursor === head, 20_000, 'every device at the head');
    const problems = await audit(url, dashboardId, devices, queued, expected);
    const [{ n }] = await sql<{ n: number }>(url, 'SELECT count(*)::int AS n FROM changes WHERE dashboard_id = $1', [dashboardId]);
    return { seed: opts.seed, ops: opts.ops, edits, mutations: queued.length, faults, changes: n, durationS: (Date.now() - started) / 1000, problems };
  } finally {
    await Promise.all(live.map((n) => n.kill()));
  }
}

async function audit(
  url: string,
  dashboardId: DashboardId,
  devices: Device[],
  queued: string[],
  expected: Map<WidgetId, number>,
): Promise<string[]> {
  const problems: string[] = [];
  const results = new Map(devices.flatMap((d) => [...d.results]));
  for (const id of queued) {
    const r = results.get(id);
    if (r?.status !== 'applied') problems.push(`mutation ${id}: ${JSON.stringify(r ?? 'no answer')}`);
  }
  const counts = await sql<{ mutation_id: string; n: number }>(
    url,
    'SELECT mutation_id, count(*)::int AS n FROM changes WHERE mutation_id = ANY($1::text[]) GROUP BY mutation_id',
    [queued],
  );
  const inLog = new Map(counts.map((c) => [c.mutation_id, c.n]));
  for (const id of queued) if (inLog.get(id) !== 1) problems.push(`mutation ${id} is in the log ${inLog.get(id) ?? 0} times`);

  const store = await openStore(url);
  try {
    const server = new Map((await store.snapshot(dashboardId)).widgets.map((w) => [w.id, w]));
    for (const [id, sum] of expected) {
      const w = server.get(id);
      if (w?.kind !== 'counter' || w.value !== sum) problems.push(`counter ${id} is ${JSON.stringify(w?.kind === 'counter' ? w.value : w)}, expected ${sum}`);
    }
    for (const [i, d] of devices.entries()) {
      const seqs = d.received.map((c) => c.seq);
      for (let k = 1; k < seqs.length; k++) {
        if (seqs[k] <= seqs[k - 1]) problems.push(`device ${i} received seq ${seqs[k]} after ${seqs[k - 1]}`);
      }
      const view = new Map<string, Widget | null>();
      for (const c of d.received) view.set(c.widgetId, c.widget);
      for (const [id, w] of server) {
        if (JSON.stringify(view.get(id)) !== JSON.stringify(w)) problems.push(`device ${i} shows ${id} unlike the server`);
      }
    }
  } finally {
    await store.close();
  }
  return problems;
}
