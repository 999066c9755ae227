/**
 * Every SQL statement of the SQLite store, prepared once per connection (preparing is the expensive part of
 * a small query; the batch path runs several per mutation). Rows are typed here and mapped to protocol
 * objects by `changeOf`, so no other file knows a column name.
 */
import type Database from 'better-sqlite3';
import type { Change, ClientId, DashboardId, MutationId, UserId, Widget, WidgetId } from '../../protocol/index.ts';

export interface ChangeRow {
  dashboard_id: string;
  seq: number;
  widget_id: string;
  version: number;
  widget: string | null;
  mutation_id: string | null;
  client_id: string | null;
  user_id: string | null;
  at: number;
}

export function changeOf(r: ChangeRow): Change {
  return {
    seq: r.seq,
    dashboardId: r.dashboard_id as DashboardId,
    widgetId: r.widget_id as WidgetId,
    version: r.version,
    widget: r.widget === null ? null : (JSON.parse(r.widget) as Widget),
    mutationId: r.mutation_id as MutationId | null,
    clientId: r.client_id as ClientId | null,
    userId: r.user_id as UserId | null,
    at: r.at,
  };
}

const CHANGE_COLUMNS = 'c.dashboard_id, c.seq, c.widget_id, c.version, c.widget, c.mutation_id, c.client_id, c.user_id, c.at';

export function prepareStatements(db: Database.Database) {
  const s = <Row = unknown>(sql: string) => db.prepare<unknown[], Row>(sql);
  return {
    epoch: s<{ value: string }>(`SELECT value FROM meta WHERE key = 'epoch'`),
    ping: s<{ ok: number }>('SELECT 1 AS ok'),

    createUser: s('INSERT INTO users (id, name, password_hash) VALUES (?, ?, ?)'),
    userByName: s<{ id: string; name: string; password_hash: string }>(
      'SELECT id, name, password_hash FROM users WHERE name = ?',
    ),
    userById: s<{ id: string; name: string }>('SELECT id, name FROM users WHERE id = ?'),
    setPassword: s('UPDATE users SET password_hash = ? WHERE id = ?'),
    allUsers: s<{ id: string; name: string }>('SELECT id, name FROM users ORDER BY name'),
    countUsers: s<{ n: number }>('SELECT count(*) AS n FROM users'),

    createSession: s('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)'),
    session: s<{ user_id: string; expires_at: number }>('SELECT user_id, expires_at FROM sessions WHERE token_hash = ?'),
    deleteSession: s('DELETE FROM sessions WHERE token_hash = ?'),
    deleteUserSessions: s('DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?'),
    purgeSessions: s('DELETE FROM sessions WHERE expires_at <= ?'),
    purgeFailures: s('DELETE FROM login_failures WHERE expires_at <= ?'),
    // All right-hand sides read the row as it was, so `expires_at` below sees the old end.
    countFailure: s<{ count: number; expires_at: number }>(
      `INSERT INTO login_failures (key, count, expires_at) VALUES (@key, 1, @expires)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN login_failures.expires_at <= @now THEN 1 ELSE login_failures.count + 1 END,
         expires_at = CASE WHEN login_failures.expires_at <= @now OR @extend = 1 THEN excluded.expires_at
                           ELSE login_failures.expires_at END
       RETURNING count, expires_at`,
    ),
    failures: s<{ count: number; expires_at: number }>('SELECT count, expires_at FROM login_failures WHERE key = ? AND expires_at > ?'),
    clearFailures: s('DELETE FROM login_failures WHERE key = ?'),

    createDashboard: s('INSERT INTO dashboards (id, name, owner_id) VALUES (?, ?, ?)'),
    dashboardExists: s<{ ok: number }>('SELECT 1 AS ok FROM dashboards WHERE id = ?'),
    dashboardsOf: s<{ id: string; name: string }>(
      'SELECT d.id, d.name FROM dashboards d JOIN members m ON m.dashboard_id = d.id WHERE m.user_id = ? ORDER BY d.rowid',
    ),
    allDashboards: s<{ id: string; name: string }>('SELECT id, name FROM dashboards ORDER BY rowid'),
    addMember: s('INSERT OR IGNORE INTO members (dashboard_id, user_id) VALUES (?, ?)'),
    isMember: s<{ ok: number }>('SELECT 1 AS ok FROM members WHERE dashboard_id = ? AND user_id = ?'),
    members: s<{ user_id: string }>('SELECT user_id FROM members WHERE dashboard_id = ? ORDER BY user_id'),
    memberNames: s<{ name: string }>(
      'SELECT u.name FROM members m JOIN users u ON u.id = m.user_id WHERE m.dashboard_id = ? ORDER BY u.name',
    ),

    head: s<{ head_seq: number }>('SELECT head_seq FROM dashboards WHERE id = ?'),
    bumpHead: s<{ head_seq: number }>('UPDATE dashboards SET head_seq = head_seq + 1 WHERE id = ? RETURNING head_seq'),

    mutation: s<{ user_id: string; result: string }>('SELECT user_id, result FROM mutations WHERE id = ?'),
    recordMutation: s('INSERT INTO mutations (id, user_id, result, created_at) VALUES (?, ?, ?, ?)'),

    widget: s<{ record: string; last_seq: number }>(
      'SELECT record, last_seq FROM widgets WHERE dashboard_id = ? AND widget_id = ?',
    ),
    putWidget: s(
      `INSERT INTO widgets (dashboard_id, widget_id, record, deleted, metric_key, last_seq) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (dashboard_id, widget_id) DO UPDATE SET
         record = excluded.record, deleted = excluded.deleted, metric_key = excluded.metric_key, last_seq = excluded.last_seq`,
    ),
    liveWidgets: s<{ widget: string }>(
      `SELECT json_extract(record, '$.widget') AS widget FROM widgets WHERE dashboard_id = ? AND deleted = 0 ORDER BY rowid`,
    ),
    countLiveWidgets: s<{ n: number }>('SELECT count(*) AS n FROM widgets WHERE dashboard_id = ? AND deleted = 0'),
    liveWidgetsSize: s<{ n: number }>('SELECT coalesce(sum(length(record)), 0) AS n FROM widgets WHERE dashboard_id = ? AND deleted = 0'),
    metricWidgets: s<{ widget_id: string; record: string }>(
      'SELECT widget_id, record FROM widgets WHERE dashboard_id = ? AND metric_key = ? AND deleted = 0 ORDER BY rowid',
    ),

    putChange: s(
      `INSERT INTO changes (dashboard_id, seq, widget_id, version, widget, mutation_id, client_id, user_id, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    seqOfVersion: s<{ seq: number }>('SELECT seq FROM changes WHERE dashboard_id = ? AND widget_id = ? AND version = ?'),
    // The latest change of each widget changed after the cursor: walks widgets_feed, so a widget changed
    // a thousand times since the cursor costs one row, not a thousand.
    feed: s<ChangeRow>(
      `SELECT ${CHANGE_COLUMNS} FROM widgets w
       JOIN changes c ON c.dashboard_id = w.dashboard_id AND c.seq = w.last_seq
       WHERE w.dashboard_id = ? AND w.last_seq > ? ORDER BY w.last_seq LIMIT ?`,
    ),
    since: s<ChangeRow>(`SELECT ${CHANGE_COLUMNS} FROM changes c WHERE c.dashboard_id = ? AND c.seq > ? ORDER BY c.seq LIMIT ?`),
    recent: s<ChangeRow>(`SELECT ${CHANGE_COLUMNS} FROM changes c WHERE c.dashboard_id = ? ORDER BY c.seq DESC LIMIT ?`),

    createIngestToken: s('INSERT INTO ingest_tokens (token_hash, label, all_dashboards) VALUES (?, ?, ?)'),
    scopeIngestToken: s('INSERT INTO ingest_token_dashboards (token_hash, dashboard_id) VALUES (?, ?)'),
    ingestToken: s<{ all_dashboards: number }>('SELECT all_dashboards FROM ingest_tokens WHERE token_hash = ?'),
    ingestTokenDashboards: s<{ dashboard_id: string }>(
      'SELECT dashboard_id FROM ingest_token_dashboards WHERE token_hash = ? ORDER BY dashboard_id',
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
