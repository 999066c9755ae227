/**
 * The write paths of the SQLite store: a push batch and a metric ingest. Both run inside a transaction the
 * caller opened; they only decide and write. The decision of what a mutation does is the protocol's
 * `applyMutation`: this file adds idempotency, ownership, membership and the change log around it.
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
  applyMutation,
  parseMutation,
  type Change,
  type DashboardId,
  type Mutation,
  type MutationResult,
  type WidgetId,
  type WidgetRecord,
} from '../../protocol/index.ts';
import type { BatchOutcome, PushContext } from './store.ts';
import type { Statements } from './sqlite-statements.ts';

interface CachedWidget {
  dashboardId: DashboardId;
  widgetId: WidgetId;
  record: WidgetRecord | null;
  lastSeq: number;
  dirty: boolean;
}

/** The whole batch; call inside one write transaction. */
export function applyBatchInTx(st: Statements, ctx: PushContext, raw: readonly unknown[]): BatchOutcome {
  const results: MutationResult[] = [];
  const changes: Change[] = [];
  const widgets = new Map<string, CachedWidget>();
  const membership = new Map<string, boolean>();

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

  const decide = (m: Mutation): MutationResult => {
    const seen = st.mutation.get(m.id);
    if (seen) {
      // A replay answers exactly what the first attempt answered; an id is owned by its first sender.
      if (seen.user_id === ctx.userId) return JSON.parse(seen.result) as MutationResult;
      return { id: m.id, status: 'rejected', code: 'forbidden', message: 'mutation id belongs to another user' };
    }
    if (m.clientId !== ctx.clientId) {
      return record(m, { id: m.id, status: 'rejected', code: 'invalid', message: 'clientId is not this connection\'s client' });
    }
    if (!isMember(m.dashboardId)) {
      return record(m, { id: m.id, status: 'rejected', code: 'forbidden', message: `not a member of dashboard ${m.dashboardId}` });
    }
    const w = widgetOf(m.dashboardId, m.args.widgetId);
    const outcome = applyMutation(w.record, m, { userId: ctx.userId, now: ctx.now, clientId: ctx.clientId });
    switch (outcome.kind) {
      case 'applied': {
        const seq = st.bumpHead.get(m.dashboardId)!.head_seq;
        const version = outcome.record.widget.version;
        const change: Change = {
          seq,
          dashboardId: m.dashboardId,
          widgetId: m.args.widgetId,
          version,
          widget: outcome.widget,
          mutationId: m.id,
          clientId: ctx.clientId,
          userId: ctx.userId,
          at: ctx.now,
        };
        insertChange(st, change);
        changes.push(change);
        w.record = outcome.record;
        w.lastSeq = seq;
        w.dirty = true;
        return record(m, { id: m.id, status: 'applied', seq, version });
      }
      case 'unchanged': {
        // Deleting a deleted widget or removing a removed item: answer with the change that did it.
        const made = st.seqOfVersion.get(m.dashboardId, m.args.widgetId, outcome.version);
        if (!made) throw new Error(`no change for ${m.args.widgetId} version ${outcome.version}`);
        return record(m, { id: m.id, status: 'applied', seq: made.seq, version: outcome.version });
      }
      case 'conflict':
        return record(m, { id: m.id, status: 'conflict', fields: outcome.fields, server: outcome.server });
      case 'rejected':
        return record(m, { id: m.id, status: 'rejected', code: outcome.code, message: outcome.message });
    }
  };

  for (const input of raw) {
    const parsed = parseMutation(input);
    // A mutation too broken to parse is not recorded: its id (if any) was never accepted as one.
    results.push(parsed.ok ? decide(parsed.mutation) : parsed.result);
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
