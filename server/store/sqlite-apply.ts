/**
 * The write paths of the SQLite store: a push batch and a metric ingest. Both run inside a transaction the
 * caller opened; they only read and write. What a mutation does is decided by decide.ts (idempotency,
 * ownership, membership, then the protocol's `applyMutation`), the same for every backend; this file reads
 * what it needs from SQLite and writes the records, changes and widgets.
 *
 * What must stay true:
 * - Every result for a mutation with a valid id that got past the ownership check is recorded before the
 *   next mutation is looked at, so a repeat inside the same batch already sees it.
 * - A change is inserted with the seq its dashboard's head was bumped to: no gaps, no reuse.
 * - Widget rows are written once per widget at the end of the batch (the in-batch cache holds the newest
 *   record); nothing reads them from SQL in between.
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
import type { BatchOutcome, PushContext } from './store.ts';
import { decide, type BatchState, type CachedWidget } from './decide.ts';
import type { Statements } from './sqlite-statements.ts';

/** The whole batch; call inside one write transaction. */
export function applyBatchInTx(st: Statements, ctx: PushContext, raw: readonly unknown[]): BatchOutcome {
  const results: MutationResult[] = [];
  const changes: Change[] = [];
  const widgets = new Map<string, CachedWidget>();
  const membership = new Map<string, boolean>();
  const live = new Map<string, { n: number }>();
  const sizes = new Map<string, { n: number }>();

  const record = (m: Mutation, result: MutationResult): MutationResult => {
    st.recordMutation.run(m.id, ctx.userId, JSON.stringify(result), ctx.now);
    return result;
  };

  const isMember = (dashboardId: DashboardId): boolean => {
    let known = membership.get(dashboardId);
    if (known === undefined) {
      known = st.isMember.get(dashboardId, ctx.userId) !== undefined;
      membership.set(dashboardId, known);
    }
    return known;
  };

  const widgetOf = (dashboardId: DashboardId, widgetId: WidgetId): CachedWidget => {
    const key = `${dashboardId}\u0000${widgetId}`;
    let cached = widgets.get(key);
    if (!cached) {
      const row = st.widget.get(dashboardId, widgetId);
      cached = {
        dashboardId,
        widgetId,
        record: row ? (JSON.parse(row.record) as WidgetRecord) : null,
        lastSeq: row?.last_seq ?? 0,
        dirty: false,
      };
      widgets.set(key, cached);
    }
    return cached;
  };

  const state: BatchState = {
    seen: (id) => {
      const row = st.mutation.get(id);
      return row ? { userId: row.user_id, result: JSON.parse(row.result) as MutationResult } : undefined;
    },
    isMember,
    widget: widgetOf,
    nextSeq: (dashboardId) => st.bumpHead.get(dashboardId)!.head_seq,
    addChange: (change) => {
      insertChange(st, change);
      changes.push(change);
    },
    record,
    liveWidgets: (dashboardId) => {
      let count = live.get(dashboardId);
      if (!count) live.set(dashboardId, (count = { n: st.countLiveWidgets.get(dashboardId)!.n }));
      return count;
    },
    storedSize: (dashboardId) => {
      let size = sizes.get(dashboardId);
      if (!size) sizes.set(dashboardId, (size = { n: st.liveWidgetsSize.get(dashboardId)!.n }));
      return size;
    },
  };
  const decideOne = (m: Mutation): MutationResult => {
    const d = decide(m, ctx, state);
    if ('result' in d) return d.result;
    // Deleting a deleted widget or removing a removed item: answer with the change that did it.
    const made = st.seqOfVersion.get(m.dashboardId, m.args.widgetId, d.unchanged);
    if (!made) throw new Error(`no change for ${m.args.widgetId} version ${d.unchanged}`);
    return record(m, { id: m.id, status: 'applied', seq: made.seq, version: d.unchanged });
  };

  for (const input of raw) {
    const parsed = parseMutation(input);
    // A mutation too broken to parse is not recorded: its id (if any) was never accepted as one.
    results.push(parsed.ok ? decideOne(parsed.mutation) : parsed.result);
  }
  for (const w of widgets.values()) {
    if (w.dirty && w.record) putWidget(st, w.dashboardId, w.widgetId, w.record, w.lastSeq);
  }
  return { results, changes };
}

/** Ingest of one metric point; call inside one write transaction. */
export function ingestInTx(
  st: Statements,
  dashboardId: DashboardId,
  metricKey: string,
  point: { value: number; at: number },
): Change[] {
  const changes: Change[] = [];
  for (const row of st.metricWidgets.all(dashboardId, metricKey)) {
    const next = applyIngest(JSON.parse(row.record) as WidgetRecord, point);
    if (!next) continue;
    const seq = st.bumpHead.get(dashboardId)!.head_seq;
    const change: Change = {
      seq,
      dashboardId,
      widgetId: row.widget_id as WidgetId,
      version: next.widget.version,
      widget: next.widget,
      mutationId: null,
      clientId: null,
      userId: null,
      at: point.at,
    };
    insertChange(st, change);
    putWidget(st, dashboardId, change.widgetId, next, seq);
    changes.push(change);
  }
  return changes;
}

function insertChange(st: Statements, c: Change): void {
  st.putChange.run(
    c.dashboardId,
    c.seq,
    c.widgetId,
    c.version,
    c.widget === null ? null : JSON.stringify(c.widget),
    c.mutationId,
    c.clientId,
    c.userId,
    c.at,
  );
}

function putWidget(st: Statements, dashboardId: DashboardId, widgetId: WidgetId, r: WidgetRecord, lastSeq: number): void {
  const metricKey = !r.deleted && r.widget.kind === 'metric' ? r.widget.metricKey : null;
  st.putWidget.run(dashboardId, widgetId, JSON.stringify(r), r.deleted ? 1 : 0, metricKey, lastSeq);
}
