/**
 * The SQLite schema, as versioned migrations. `PRAGMA user_version` holds how many have run; each runs in
 * its own transaction together with the version bump, so a crash mid-upgrade leaves the old version intact.
 *
 * What must stay true:
 * - Migrations are append-only: never edit one that has shipped, add the next instead.
 * - The epoch is created once, by the first migration, and never changes afterwards: clients' cursors are
 *   only meaningful against the history it names.
 * - `widgets.last_seq` is the seq of the widget's latest change; catch-up reads it (through
 *   `widgets_feed`) so that its cost grows with changed widgets, not with the number of changes.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

type Migration = (db: Database.Database) => void;

const MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL
      ) STRICT;

      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sessions_user ON sessions(user_id);

      CREATE TABLE dashboards (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        owner_id TEXT NOT NULL REFERENCES users(id),
        head_seq INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      CREATE TABLE members (
        dashboard_id TEXT NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (dashboard_id, user_id)
      ) STRICT;
      CREATE INDEX members_user ON members(user_id);

      -- record: the protocol's WidgetRecord as JSON (tombstones included: widget ids are never reused).
      -- deleted and metric_key copy what the record says, for the snapshot and ingest lookups.
      CREATE TABLE widgets (
        dashboard_id TEXT NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
        widget_id TEXT NOT NULL,
        record TEXT NOT NULL,
        deleted INTEGER NOT NULL,
        metric_key TEXT,
        last_seq INTEGER NOT NULL,
        PRIMARY KEY (dashboard_id, widget_id)
      ) STRICT;
      CREATE INDEX widgets_feed ON widgets(dashboard_id, last_seq);
      CREATE INDEX widgets_metric ON widgets(dashboard_id, metric_key) WHERE metric_key IS NOT NULL;

      -- The change log. widget: the whole widget after the change as JSON, NULL for a deletion.
      -- at is REAL: ingest may stamp a point with a fractional time.
      CREATE TABLE changes (
        dashboard_id TEXT NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        widget_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        widget TEXT,
        mutation_id TEXT,
        client_id TEXT,
        user_id TEXT,
        at REAL NOT NULL,
        PRIMARY KEY (dashboard_id, seq)
      ) STRICT;
      CREATE UNIQUE INDEX changes_widget_version ON changes(dashboard_id, widget_id, version);

      -- Idempotency records: the first result of every mutation id, kept as long as the change log.
      CREATE TABLE mutations (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        result TEXT NOT NULL,
        created_at REAL NOT NULL
      ) STRICT;

      CREATE TABLE ingest_tokens (token_hash TEXT PRIMARY KEY, label TEXT NOT NULL) STRICT;
    `);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('epoch', ?)`).run(`e${randomBytes(12).toString('base64url')}`);
  },
  // 2: login throttling counters (server/auth/login-throttle.ts), and an index to purge expired sessions.
  (db) => {
    db.exec(`
      CREATE TABLE login_failures (
        key TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX login_failures_expiry ON login_failures(expires_at);
      CREATE INDEX sessions_expiry ON sessions(expires_at);
    `);
  },
  // 3: ingest tokens scoped to dashboards. Tokens made before keep writing everywhere (all_dashboards 1).
  (db) => {
    db.exec(`
      ALTER TABLE ingest_tokens ADD COLUMN all_dashboards INTEGER NOT NULL DEFAULT 1;
      CREATE TABLE ingest_token_dashboards (
        token_hash TEXT NOT NULL REFERENCES ingest_tokens(token_hash) ON DELETE CASCADE,
        dashboard_id TEXT NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
        PRIMARY KEY (token_hash, dashboard_id)
      ) STRICT;
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database up to `SCHEMA_VERSION`; refuses a database written by a newer Fieldboard. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this server knows (${MIGRATIONS.length}); upgrade Fieldboard`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    // IMMEDIATE: two processes opening a fresh file at once must not both run migration 1.
    db.transaction(() => {
      const now = db.pragma('user_version', { simple: true }) as number;
      if (now !== version) return;
      MIGRATIONS[version](db);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
