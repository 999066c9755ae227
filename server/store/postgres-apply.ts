/**
 * The write paths of the PostgreSQL store: a push batch and a metric ingest, inside a transaction the caller
 * opened (postgres.ts retries the whole transaction on the errors `isRetryable` names). What a mutation does
 * is decided by decide.ts, as for SQLite; what differs is how the batch talks to the database: a fixed
 * number of round trips per batch, not per mutation.
 *
 *   1. lock the batch's dashboards (`FOR UPDATE`, in id order so two batches never deadlock on them) and read
 *      their heads: seq is then assigned here, gap-free, while no other node can write those dashboards;
 *   2. read memberships, widgets and already recorded mutation ids in one query each;
 *   3. decide every mutation in memory, in order (a repeat inside the batch sees the earlier result);
 *   4. insert the idempotency records with a plain INSERT: a mutation id that another node committed in
 *      the meantime fails it on the primary key (23505), the transaction is retried, and step 2 then finds
 *      the winner's record, which is answered unchanged. The unique constraint decides, never a read;
 *   5. insert the changes, upsert the widgets, store the new heads, and send one NOTIFY per dashboard that
 *      moved (delivered by PostgreSQL only if the transaction commits).
 */
import {
  applyIngest,
  parseMutation,
  type Change,
  type DashboardId,
  type Mutation,
  type MutationResult,
  type WidgetId,
  type WidgetRecord,
} from '../../protocol/index.ts';
import type { PoolClient } from 'pg';
import type { BatchOutcome, PushContext } from './store.ts';
import { decide, type BatchState, type CachedWidget } from './decide.ts';
import type { PendingBatch, Settled } from './group-commit.ts';
import { isRetryable } from './postgres-pool.ts';

/** The NOTIFY channel every node LISTENs on; its payload is a `CommitHint` (postgres-listen.ts). */
export const HINT_CHANNEL = 'fieldboard_changes';

const key = (dashboardId: string, widgetId: string) => `${dashboardId}\u0000${widgetId}`;

/**
 * A group of batches in the caller's transaction (group-commit.ts), each under a savepoint of its own: a batch
 * that fails is rolled back alone, unless it lost a race, which `runTx` answers by running the whole group
 * again. A lone batch needs no savepoint.
 */
export async function applyGroupPg(db: PoolClient, batches: readonly PendingBatch[]): Promise<Settled[]> {
  if (batches.length === 1) return [{ ok: true, outcome: await applyBatchPg(db, batches[0].ctx, batches[0].raw) }];
  const settled: Settled[] = [];
  for (const b of batches) {
    await db.query('SAVEPOINT fb_batch');
    try {
      settled.push({ ok: true, outcome: await applyBatchPg(db, b.ctx, b.raw) });
      await db.query('RELEASE SAVEPOINT fb_batch');
    } catch (error) {
      if (isRetryable(error)) throw error;
      await db.query('ROLLBACK TO SAVEPOINT fb_batch');
      settled.push({ ok: false, error });
    }
  }
  return settled;
}

/** The whole batch; call inside one transaction (READ COMMITTED: each statement sees the latest commits). */
export async function applyBatchPg(db: PoolClient, ctx: PushContext, raw: readonly unknown[]): Promise<BatchOutcome> {
  const parsed = raw.map(parseMutation);
  const valid = parsed.flatMap((p) => (p.ok ? [p.mutation] : []));
  const dashboardIds = [...new Set(valid.map((m) => m.dashboardId))].sort();

  const heads = await lockHeads(db, dashboardIds);
  const members = new Set(
    (
      await db.query<{ dashboard_id: string }>({
        name: 'fb_batch_members',
        text: 'SELECT dashboard_id FROM members WHERE user_id = $1 AND dashboard_id = ANY($2::text[])',
        values: [ctx.userId, dashboardIds],
      })
    ).rows.map((r) => r.dashboard_id),
  );
  const widgets = await readWidgets(db, valid);
  // Counted under the dashboards' row locks (lockHeads), so no concurrent batch moves them meanwhile.
  const live = new Map<string, { n: number }>(dashboardIds.map((d) => [d, { n: 0 }]));
  const sizes = new Map<string, { n: number }>(dashboardIds.map((d) => [d, { n: 0 }]));
  // decide.ts asks for the size only for mutations that may grow a record, and for the count only for
  // creates and deletes: read them only when the batch has such mutations (the size reads every record).
  const wantSize = ctx.maxDashboardSize !== undefined && valid.some((m) => m.name !== 'counter.add' && m.name !== 'widget.move' && m.name !== 'widget.delete' && m.name !== 'checklist.remove');
  if (wantSize || valid.some((m) => m.name === 'widget.create' || m.name === 'widget.delete')) {
    for (const r of (
      await db.query<{ dashboard_id: string; n: string; size: string }>({
        name: wantSize ? 'fb_batch_usage_sized' : 'fb_batch_usage',
        text: `SELECT dashboard_id, count(*) AS n, ${wantSize ? 'coalesce(sum(length(record)), 0)' : '0'} AS size
               FROM widgets WHERE dashboard_id = ANY($1::text[]) AND NOT deleted GROUP BY dashboard_id`,
        values: [dashboardIds],
      })
    ).rows) {
      live.get(r.dashboard_id)!.n = Number(r.n);
      sizes.get(r.dashboard_id)!.n = Number(r.size);
    }
  }
  const seen = new Map<string, { userId: string; result: MutationResult }>();
  for (const r of (
    await db.query<{ id: string; user_id: string; result: string }>({
      name: 'fb_batch_seen',
      text: 'SELECT id, user_id, result FROM mutations WHERE id = ANY($1::text[])',
      values: [[...new Set(valid.map((m) => m.id))]],
    })
  ).rows) {
    seen.set(r.id, { userId: r.user_id, result: JSON.parse(r.result) as MutationResult });
  }

  const fresh: { id: string; result: MutationResult }[] = [];
  const changes: Change[] = [];
  const record = (m: Mutation, result: MutationResult): MutationResult => {
    seen.set(m.id, { userId: ctx.userId, result });
    fresh.push({ id: m.id, result });
    return result;
  };

  const state: BatchState = {
    seen: (id) => seen.get(id),
    isMember: (dashboardId) => members.has(dashboardId),
    widget: (dashboardId, widgetId) => widgets.get(key(dashboardId, widgetId))!,
    nextSeq: (dashboardId) => {
      const seq = heads.get(dashboardId)! + 1;
      heads.set(dashboardId, seq);
      return seq;
    },
    addChange: (change) => void changes.push(change),
    record,
    liveWidgets: (dashboardId) => live.get(dashboardId)!,
    storedSize: (dashboardId) => sizes.get(dashboardId)!,
  };
  const decideOne = async (m: Mutation): Promise<MutationResult> => {
    const d = decide(m, ctx, state);
    if ('result' in d) return d.result;
    // Deleting a deleted widget or removing a removed item: answer with the change that did it, which may
    // be earlier in this very batch (not inserted yet).
    const mine = changes.find((c) => c.dashboardId === m.dashboardId && c.widgetId === m.args.widgetId && c.version === d.unchanged);
    const seq = mine?.seq ?? (await seqOfVersion(db, m.dashboardId, m.args.widgetId, d.unchanged));
    return record(m, { id: m.id, status: 'applied', seq, version: d.unchanged });
  };

  const results: MutationResult[] = [];
  for (const p of parsed) {
    // A mutation too broken to parse is not recorded: its id (if any) was never accepted as one.
    results.push(p.ok ? await decideOne(p.mutation) : p.result);
  }

  if (fresh.length > 0) {
    // A plain INSERT: a concurrent commit of the same id fails this statement (and the transaction), never
    // a silent skip. The retry then answers the winner's result.
    await db.query({
      name: 'fb_batch_record',
      text: `INSERT INTO mutations (id, user_id, result, created_at)
             SELECT id, $2, result, $3 FROM unnest($1::text[], $4::text[]) AS t(id, result)`,
      values: [fresh.map((f) => f.id), ctx.userId, ctx.now, fresh.map((f) => JSON.stringify(f.result))],
    });
  }
  await writeChanges(db, changes, [...widgets.values()].filter((w) => w.dirty && w.record), heads);
  return { results, changes };
}

/** Ingest of one metric point; call inside one transaction. */
export async function ingestPg(
  db: PoolClient,
  dashboardId: DashboardId,
  metricKey: string,
  point: { value: number; at: number },
): Promise<Change[]> {
  const heads = await lockHeads(db, [dashboardId]);
  if (!heads.has(dashboardId)) return [];
  const rows = await db.query<{ widget_id: string; record: string }>(
    `SELECT widget_id, record FROM widgets WHERE dashboard_id = $1 AND metric_key = $2 AND NOT deleted ORDER BY ord`,
    [dashboardId, metricKey],
  );
  const changes: Change[] = [];
  const touched: CachedWidget[] = [];
  for (const row of rows.rows) {
    const next = applyIngest(JSON.parse(row.record) as WidgetRecord, point);
    if (!next) continue;
    const seq = heads.get(dashboardId)! + 1;
    heads.set(dashboardId, seq);
    const widgetId = row.widget_id as WidgetId;
    changes.push({
      seq,
      dashboardId,
      widgetId,
      version: next.widget.version,
      widget: next.widget,
      mutationId: null,
      clientId: null,
      userId: null,
      at: point.at,
    });
    touched.push({ dashboardId, widgetId, record: next, lastSeq: seq, dirty: true });
  }
  await writeChanges(db, changes, touched, heads);
  return changes;
}

/** Locks the dashboards' rows in id order and returns their heads; missing ids are simply absent. */
async function lockHeads(db: PoolClient, ids: readonly string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; head_seq: number }>({
    name: 'fb_lock_heads',
    text: 'SELECT id, head_seq FROM dashboards WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE',
    values: [ids],
  });
  return new Map(rows.map((r) => [r.id, r.head_seq]));
}

async function readWidgets(db: PoolClient, ms: readonly Mutation[]): Promise<Map<string, CachedWidget>> {
  const out = new Map<string, CachedWidget>();
  for (const m of ms) {
    const k = key(m.dashboardId, m.args.widgetId);
    if (!out.has(k)) out.set(k, { dashboardId: m.dashboardId, widgetId: m.args.widgetId, record: null, lastSeq: 0, dirty: false });
  }
  if (out.size === 0) return out;
  const all = [...out.values()];
  const { rows } = await db.query<{ dashboard_id: string; widget_id: string; record: string; last_seq: number }>({
    name: 'fb_batch_widgets',
    text: `SELECT w.dashboard_id, w.widget_id, w.record, w.last_seq
           FROM unnest($1::text[], $2::text[]) AS k(dashboard_id, widget_id)
           JOIN widgets w ON w.dashboard_id = k.dashboard_id AND w.widget_id = k.widget_id`,
    values: [all.map((w) => w.dashboardId), all.map((w) => w.widgetId)],
  });
  for (const r of rows) {
    const w = out.get(key(r.dashboard_id, r.widget_id))!;
    w.record = JSON.parse(r.record) as WidgetRecord;
    w.lastSeq = r.last_seq;
  }
  return out;
}

async function seqOfVersion(db: PoolClient, dashboardId: string, widgetId: string, version: number): Promise<number> {
  const { rows } = await db.query<{ seq: number }>(
    'SELECT seq FROM changes WHERE dashboard_id = $1 AND widget_id = $2 AND version = $3',
    [dashboardId, widgetId, version],
  );
  if (rows.length === 0) throw new Error(`no change for ${widgetId} version ${version}`);
  return rows[0].seq;
}

async function writeChanges(
  db: PoolClient,
  changes: readonly Change[],
  widgets: readonly CachedWidget[],
  heads: ReadonlyMap<string, number>,
): Promise<void> {
  if (changes.length === 0) return;
  await db.query({
    name: 'fb_put_changes',
    text: `INSERT INTO changes (dashboard_id, seq, widget_id, version, widget, mutation_id, client_id, user_id, at)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                                $7::text[], $8::text[], $9::float8[])`,
    values: [
      changes.map((c) => c.dashboardId),
      changes.map((c) => c.seq),
      changes.map((c) => c.widgetId),
      changes.map((c) => c.version),
      changes.map((c) => (c.widget === null ? null : JSON.stringify(c.widget))),
      changes.map((c) => c.mutationId),
      changes.map((c) => c.clientId),
      changes.map((c) => c.userId),
      changes.map((c) => c.at),
    ],
  });
  await db.query({
    name: 'fb_put_widgets',
    text: `INSERT INTO widgets (dashboard_id, widget_id, record, deleted, metric_key, last_seq)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::bigint[])
           ON CONFLICT (dashboard_id, widget_id) DO UPDATE SET
             record = excluded.record, deleted = excluded.deleted, metric_key = excluded.metric_key,
             last_seq = excluded.last_seq`,
    values: [
      widgets.map((w) => w.dashboardId),
      widgets.map((w) => w.widgetId),
      widgets.map((w) => JSON.stringify(w.record)),
      widgets.map((w) => w.record!.deleted),
      widgets.map((w) => (!w.record!.deleted && w.record!.widget.kind === 'metric' ? w.record!.widget.metricKey : null)),
      widgets.map((w) => w.lastSeq),
    ],
  });
  const moved = [...new Set(changes.map((c) => c.dashboardId))];
  const seqs = moved.map((id) => heads.get(id)!);
  await db.query({
    name: 'fb_put_heads',
    text: `UPDATE dashboards d SET head_seq = t.seq FROM unnest($1::text[], $2::bigint[]) AS t(id, seq) WHERE d.id = t.id`,
    values: [moved, seqs],
  });
  // One hint per dashboard that moved, never a change itself: the payload limit is 8000 bytes and the
  // log is the truth (docs/server.md, "Several nodes").
  await db.query({
    name: 'fb_notify',
    text: `SELECT pg_notify($1, json_build_object('dashboardId', t.id, 'seq', t.seq)::text)
           FROM unnest($2::text[], $3::bigint[]) AS t(id, seq)`,
    values: [HINT_CHANNEL, moved, seqs],
  });
}
