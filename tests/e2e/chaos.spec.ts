/**
 * The chaos convergence test (issue 5; engine in tests/chaos/), against one server on SQLite and against a
 * cluster (nodes on PostgreSQL behind nginx, tests/kit/cluster.ts). `npm test` runs a short, bounded round
 * of each with a fixed seed; `npm run test:chaos -- --ops 5000 [--seed N] [--cluster N]` runs a long one
 * through tests/chaos/run.ts, which sets the environment read here:
 *
 *   CHAOS_SEED        seed of the PRNG (default: fixed for the short run)
 *   CHAOS_OPS         operations (default 120; 80 on the cluster)
 *   CHAOS_NODES       nodes of the cluster (default 2)
 *   CHAOS_ROUND_OPS   operations between two settle-and-audit points (default: half the run, at most 250)
 *   CHAOS_FAULT_RATE  probability that a fault precedes an operation (default 0.12; 0.2 on the cluster)
 *   CHAOS_TIMEOUT_MS  the test's time limit (default 115 s: the short run stays under two minutes)
 *   CHAOS_REPORT      a file to write the report to (JSON)
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, expect, type Browser, type TestInfo } from '@playwright/test';
import Database from 'better-sqlite3';
import { newMutationId, type ClientId, type DashboardId, type Mutation, type MutationInput } from '../../protocol/index.ts';
import { apiDashboards, apiLogin, serverState, signIn, startKitCluster, startKitServer, waitForSynced, type KitServer } from '../kit/index.ts';
import { audit } from '../chaos/audit.ts';
import { loadAuditRows } from '../chaos/audit-rows.ts';
import { INGEST_TOKEN, runChaos, summarize } from '../chaos/engine.ts';
import { Ledger } from '../chaos/ledger.ts';
import { seedFrom } from '../chaos/prng.ts';

const SHORT_RUN_SEED = 5;
const seed = seedFrom(process.env.CHAOS_SEED, () => SHORT_RUN_SEED);
const ops = Number(process.env.CHAOS_OPS ?? 120);
const roundOps = Number(process.env.CHAOS_ROUND_OPS ?? Math.min(250, Math.ceil(ops / 2)));
const faultRate = Number(process.env.CHAOS_FAULT_RATE ?? 0.12);
// The cluster run: devices behind nginx over several nodes on PostgreSQL, restarts hitting one node at a time.
const nodes = Number(process.env.CHAOS_NODES ?? 2);
const clusterOps = Number(process.env.CHAOS_OPS ?? 80);
const clusterRoundOps = Number(process.env.CHAOS_ROUND_OPS ?? Math.min(250, Math.ceil(clusterOps / 2)));
const clusterFaultRate = Number(process.env.CHAOS_FAULT_RATE ?? 0.2);

const timeoutMs = Number(process.env.CHAOS_TIMEOUT_MS ?? 115_000);
test.setTimeout(timeoutMs);
// A settle that cannot converge must fail with the state it waited on, before the test's own time limit
// cuts it off with a bare "timeout" (a short run once did, and it was mistaken for a loaded machine).
const settleTimeoutMs = Math.min(150_000, Math.floor(timeoutMs / 2));

/** Runs the chaos engine against `start()`'s server (on its own copy of the built app) and reports. */
async function chaos(
  info: TestInfo,
  run: { browser: Browser; ops: number; roundOps: number; faultRate: number },
  start: (staticDir: string) => Promise<KitServer>,
): Promise<void> {
  console.log(`chaos: seed ${seed}, ${run.ops} operations, rounds of ${run.roundOps} (replay with CHAOS_SEED=${seed})`);
  info.annotations.push({ type: 'seed', description: String(seed) });
  // Its own copy of the built app: a rebuild of dist/ during a long run must not offer an update mid-run.
  const dist = mkdtempSync(join(tmpdir(), 'fieldboard-chaos-dist-'));
  cpSync(resolve(import.meta.dirname, '../../dist'), dist, { recursive: true });
  const server = await start(dist);
  // Whatever ends the run, the server's own log goes with the report: a failure is read from both sides.
  const keepLog = async () => {
    writeFileSync(info.outputPath('server.log'), server.logs());
    await info.attach('server.log', { path: info.outputPath('server.log'), contentType: 'text/plain' });
  };
  try {
    const report = await runChaos({ ...run, server, seed, settleTimeoutMs }).catch(async (e: unknown) => {
      await keepLog();
      throw e;
    });
    if (report.failures.length) await keepLog();
    const summary = summarize(report);
    console.log(summary);
    await info.attach('chaos-report.json', { body: JSON.stringify(report, null, 2), contentType: 'application/json' });
    if (process.env.CHAOS_REPORT) writeFileSync(process.env.CHAOS_REPORT, JSON.stringify({ ...report, summary }, null, 2));
    expect(report.failures, `seed ${seed}: ${report.failures.length} failure(s)`).toEqual([]);
  } finally {
    await server.stop();
    rmSync(dist, { recursive: true, force: true });
  }
}

const env = { FIELDBOARD_INGEST_TOKEN: INGEST_TOKEN };

test(`chaos: ${ops} UI operations under faults converge, nothing lost or applied twice`, async ({ browser }, info) => {
  await chaos(info, { browser, ops, roundOps, faultRate }, (staticDir) => startKitServer({ staticDir, env }));
});

test(`chaos on a cluster: ${clusterOps} UI operations through nginx over ${nodes} nodes on PostgreSQL, under faults and node kills, converge, nothing lost or applied twice`, async ({
  browser,
}, info) => {
  await chaos(info, { browser, ops: clusterOps, roundOps: clusterRoundOps, faultRate: clusterFaultRate }, (staticDir) =>
    startKitCluster({ nodes, staticDir, env }),
  );
});

test('the chaos audit catches a lost, a duplicated, a phantom, an unqueued and a miscounted mutation, and a logged error', async () => {
  const server = await startKitServer();
  const dir = mkdtempSync(join(tmpdir(), 'fieldboard-chaos-audit-'));
  try {
    const api = await apiLogin(server.url);
    const [dashboard] = await apiDashboards(api);
    const pumps = (await serverState(api, dashboard.id)).find((w) => w.title === 'Pumps')!;
    const clientId = 'c_chaosaudit' as ClientId;
    const make = (input: MutationInput): Mutation =>
      ({ ...input, id: newMutationId(), clientId, dashboardId: dashboard.id as DashboardId, baseVersion: pumps.version, createdAt: Date.now() }) as Mutation;
    const add = (delta: number) => make({ name: 'counter.add', args: { widgetId: pumps.id, delta } });
    const [applied, lost, phantom, unseen, orphan] = [add(1), add(2), add(3), add(4), add(5)];
    const push = (mutations: Mutation[]) =>
      fetch(`${server.url}/api/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: api.cookie, origin: server.url },
        body: JSON.stringify({ clientId, mutations }),
      });
    expect((await push([applied, phantom, unseen, orphan])).status).toBe(200);

    // The SW answered `queued` for `applied` and `lost`; `phantom` never went through a device.
    const ledger = new Ledger();
    const queue = (m: Mutation, order: number) => {
      ledger.record('A', { t: 'post', requestId: `r${order}`, mutation: m });
      ledger.record('A', { t: 'reply', requestId: `r${order}`, ok: true, entry: { id: m.id, order } });
    };
    ledger.addDevice('A');
    queue(applied, 1);
    queue(lost, 2);
    // Posted and never answered: `unseen` from a page still open (the server has it, yet no page ever saw
    // it queued), `orphan` from a tab that closed right after the click (found by the long run, seed
    // 1829705107: the SW drained and settled it while no tab of the device was open).
    const [openTab, closedTab] = [{}, {}];
    ledger.record('A', { t: 'post', requestId: 'r3', mutation: unseen }, openTab);
    ledger.record('A', { t: 'post', requestId: 'r4', mutation: orphan }, closedTab);
    ledger.documentGone(closedTab);
    const widgets = await serverState(api, dashboard.id);
    const clean = audit({ ledger, rows: await loadAuditRows(server.databaseUrl), serverWidgets: widgets, serverLogs: server.logs() });
    expect(clean.failures.join('\n')).toContain(`mutation ${lost.id} (counter.add`);
    expect(clean.failures.join('\n')).toContain(`from mutation ${phantom.id}`);
    // The phantom's +3 is not explained by any known mutation's arguments either.
    expect(clean.failures.join('\n')).toContain(`counter ${pumps.id}`);
    expect(clean.failures.join('\n')).toContain(`mutation ${unseen.id} (counter.add, A) reached the server (applied) but no service worker ever queued it`);
    expect(clean.failures.join('\n')).not.toContain(orphan.id);
    expect(clean.stats.queuedReplyUnseen).toBe(1);
    expect(clean.failures).toHaveLength(4);

    // A copy of the database where `applied` is in the change log twice and a logged error.
    const copy = join(dir, 'copy.db');
    const source = new Database(server.databasePath, { readonly: true });
    await source.backup(copy);
    source.close();
    const db = new Database(copy);
    const row = db.prepare('SELECT * FROM changes WHERE mutation_id = ?').get(applied.id) as Record<string, unknown>;
    db.prepare('DROP INDEX changes_widget_version').run();
    db.prepare('INSERT INTO changes (dashboard_id, seq, widget_id, version, widget, mutation_id, client_id, user_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      row.dashboard_id, 100_000, row.widget_id, row.version, row.widget, row.mutation_id, row.client_id, row.user_id, row.at,
    );
    db.close();
    const logs = `${server.logs()}\n${JSON.stringify({ level: 50, msg: 'push failed' })}\n`;
    const broken = audit({ ledger, rows: await loadAuditRows(`sqlite:${copy}`), serverWidgets: widgets, serverLogs: logs });
    expect(broken.failures.join('\n')).toContain(`mutation ${applied.id} is in the change log twice`);
    expect(broken.failures.join('\n')).toContain('server logged an error');
    // Logs it cannot parse (each line prefixed, as a first cluster harness did) must fail, not hide errors.
    const prefixed = `${server.logs()}\n${JSON.stringify({ level: 50, msg: 'push failed' })}`.replace(/^/gm, '[node 1] ');
    const unreadable = audit({ ledger, rows: await loadAuditRows(server.databaseUrl), serverWidgets: widgets, serverLogs: prefixed });
    expect(unreadable.failures.join('\n')).toContain('the server logs hold no JSON log record');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tab that opens while changes stream in paints every widget (found by the chaos run)', async ({ browser }) => {
  // The first chaos long run (seed 1852936934) reopened a tab that stayed "Online" with an empty board: a
  // replica broadcast arriving during the tab's IndexedDB read discarded the read, leaving only the
  // broadcast's widgets. Metric ingest makes such broadcasts arrive all the time.
  // Ingest every 10 ms for as long as the tabs take: over the default points a minute of one token.
  const server = await startKitServer({ env: { FIELDBOARD_INGEST_TOKEN: INGEST_TOKEN, FIELDBOARD_RATE_INGEST_PER_MIN: '1000000' } });
  const context = await browser.newContext({ baseURL: server.url });
  let streaming = true;
  try {
    const first = await context.newPage();
    await signIn(first);
    await waitForSynced(first);
    const [dashboard] = await apiDashboards(await apiLogin(server.url));
    const stream = (async () => {
      for (let v = 0; streaming; v++) {
        await fetch(`${server.url}/api/ingest/${dashboard.id}/flow`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` },
          body: JSON.stringify({ value: v }),
        });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    for (let i = 0; i < 8; i++) {
      const tab = await context.newPage();
      await tab.goto('/');
      await expect(tab.getByRole('article'), `tab ${i + 1}`).toHaveCount(4, { timeout: 5_000 });
      await tab.close();
    }
    streaming = false;
    await stream;
  } finally {
    streaming = false;
    await context.close();
    await server.stop();
  }
});
