/**
 * The PostgreSQL schema, as versioned migrations (the same tables as migrations.ts for SQLite, in
 * PostgreSQL's types). `fieldboard_schema.version` holds how many have run; each runs in its own
 * transaction together with the version bump, under an advisory lock, so several nodes starting at once on
 * a fresh database run each migration exactly once and a crash mid-upgrade leaves the old version intact.
 *
 * What must stay true:
 * - Migrations are append-only: never edit one that has shipped, add the next instead.
 * - The epoch is created once, by the first migration, and belongs to the database: every node reads the
 *   same one, so a client's (epoch, cursor) means the same on any node (docs/server.md, "Several nodes").
 * - `mutations.id` is the primary key: two nodes inserting the same mutation id are decided by it, the
 *   second waits for the first's commit and then sees the recorded row (postgres-apply.ts).
 * - `ord` columns keep insertion order (SQLite's rowid) for listings that the conformance suite orders.
 */
import { randomBytes } from 'node:crypto';
import type { PoolClient } from 'pg';

type Migration = (client: PoolClient) => Promise<void>;

/** Any constant; it only has to differ from other advisory locks taken on the same database. */
const MIGRATION_LOCK = 7_310_012;

const MIGRATIONS: readonly Migration[] = [
  async (client) => {
    await client.query(`
      CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);

      CREATE TABLE users (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        password_hash text NOT NULL
      );

      CREATE TABLE sessions (
        token_hash text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at bigint NOT NULL
      );
      CREATE INDEX sessions_user ON sessions(user_id);

      CREATE TABLE dashboards (
        id text PRIMARY KEY,
        ord bigint GENERATED ALWAYS AS IDENTITY,
        name text NOT NULL,
        owner_id text NOT NULL REFERENCES users(id),
        head_seq bigint NOT NULL DEFAULT 0
      );

      CREATE TABLE members (
        dashboard_id text NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (dashboard_id, user_id)
      );
      CREATE INDEX members_user ON members(user_id);

      CREATE TABLE widgets (
        dashboard_id text NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
        widget_id text NOT NULL,
        ord bigint GENERATED ALWAYS AS IDENTITY,
        record text NOT NULL,
        deleted boolean NOT NULL,
        metric_key text,
        last_seq bigint NOT NULL,
        PRIMARY KEY (dashboard_id, widget_id)
      );
      CREATE INDEX widgets_feed ON widgets(dashboard_id, last_seq);
      CREATE INDEX widgets_metric ON widgets(dashboard_id, metric_key) WHERE metric_key IS NOT NULL;

      CREATE TABLE changes (
        dashboard_id text NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        widget_id text NOT NULL,
        version bigint NOT NULL,
        widget text,
        mutation_id text,
        client_id text,
        user_id text,
        at double precision NOT NULL,
        PRIMARY KEY (dashboard_id, seq)
      );
      CREATE UNIQUE INDEX changes_widget_version ON changes(dashboard_id, widget_id, version);

      CREATE TABLE mutations (
        id text PRIMARY KEY,
        user_id text NOT NULL,
        result text NOT NULL,
        created_at double precision NOT NULL
      );

      CREATE TABLE ingest_tokens (token_hash text PRIMARY KEY, label text NOT NULL);
    `);
    await client.query(`INSERT INTO meta (key, value) VALUES ('epoch', $1)`, [`e${randomBytes(12).toString('base64url')}`]);
  },
  // 2: login throttling counters (server/auth/login-throttle.ts), and an index to purge expired sessions.
  async (client) => {
    await client.query(`
      CREATE TABLE login_failures (
        key text PRIMARY KEY,
        count integer NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX login_failures_expiry ON login_failures(expires_at);
      CREATE INDEX sessions_expiry ON sessions(expires_at);
    `);
  },
  // 3: ingest tokens scoped to dashboards. Tokens made before keep writing everywhere (all_dashboards true).
  async (client) => {
    await client.query(`
      ALTER TABLE ingest_tokens ADD COLUMN all_dashboards boolean NOT NULL DEFAULT true;
      CREATE TABLE ingest_token_dashboards (
        token_hash text NOT NULL REFERENCES ingest_tokens(token_hash) ON DELETE CASCADE,
        dashboard_id text NOT NULL REFERENCES dashboards(id) ON DELETE CASCADE,
        PRIMARY KEY (token_hash, dashboard_id)
      );
    `);
  },
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database up to `PG_SCHEMA_VERSION`; refuses a database written by a newer Fieldboard. */
export async function migratePostgres(client: PoolClient): Promise<void> {
  for (;;) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      // Under the lock: two nodes creating it at once would otherwise collide on the catalog.
      await client.query('CREATE TABLE IF NOT EXISTS fieldboard_schema (version integer NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM fieldboard_schema');
      const current = rows[0]?.version ?? 0;
      if (current > MIGRATIONS.length) {
        throw new Error(
          `database schema version ${current} is newer than this server knows (${MIGRATIONS.length}); upgrade Fieldboard`,
        );
      }
      if (current === MIGRATIONS.length) {
        await client.query('COMMIT');
        return;
      }
      await MIGRATIONS[current](client);
      if (rows.length === 0) await client.query('INSERT INTO fieldboard_schema (version) VALUES (1)');
      else await client.query('UPDATE fieldboard_schema SET version = $1', [current + 1]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
