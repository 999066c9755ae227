/**
 * The shared storage backend: PostgreSQL through a `pg` connection pool, for one node or several on the same
 * database (docs/server.md, "Several nodes"). Same Store contract as sqlite.ts (store.ts), with what a
 * networked, multi-writer database adds:
 *
 * - A write transaction that loses a race is rolled back and run again (postgres-pool.ts); only after a few
 *   attempts does the error reach the transport, which answers `unavailable` and the client retries.
 * - Reads that must agree with each other (head and widgets, a catch-up page and its head) run in one
 *   REPEATABLE READ transaction.
 * - The pool survives the database restarting (postgres-pool.ts); meanwhile queries fail and `ping` answers
 *   false.
 *
 * Just over 300 lines and still one concept: the Store contract on PostgreSQL, method for method beside
 * sqlite.ts (the conformance suite runs the same tests on both).
 */
import pg from 'pg';
import {
  newDashboardId,
  newUserId,
  type Change,
  type DashboardId,
  type DashboardSummary,
  type User,
  type UserId,
  type Widget,
  type WidgetRecord,
} from '../../protocol/index.ts';
import { changeOf, type ChangeRow } from './sqlite-statements.ts';
import { CHANGE_OVERHEAD_BYTES, cutPage, liveOf } from './page.ts';
import { applyGroupPg, ingestPg } from './postgres-apply.ts';
import { PgHintListener } from './postgres-listen.ts';
import { migratePostgres } from './postgres-migrations.ts';
import { countFailurePg, createIngestTokenPg, failuresPg, ingestTokenScopePg, purgeExpiredPg } from './postgres-security.ts';
import { openPool, runTx } from './postgres-pool.ts';
import { GroupCommit, dashboardLane } from './group-commit.ts';
import type { BatchOutcome, CatchUp, FailureCount, HintHandlers, HintListener, PushContext, Store, StoredUser } from './store.ts';

const CHANGE_COLUMNS = 'c.dashboard_id, c.seq, c.widget_id, c.version, c.widget, c.mutation_id, c.client_id, c.user_id, c.at';

export interface PostgresStoreOptions {
  /** Connections in this node's pool (the LISTEN connection is one more). */
  poolSize?: number;
}

/** Opens a pool on `url` (a libpq URL), migrates the database when needed and reads its epoch. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const { pool, config } = openPool(url, options.poolSize ?? 10);
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client);
      const { rows } = await client.query<{ value: string }>(`SELECT value FROM meta WHERE key = 'epoch'`);
      return new PostgresStore(pool, config, rows[0].value);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

export class PostgresStore implements Store {
  private closed = false;
  private readonly listeners = new Set<HintListener>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly config: pg.PoolConfig,
    readonly epoch: string,
  ) {
    // Batches for one dashboard wait for its running commit and then commit together (group-commit.ts).
    this.groupCommit = new GroupCommit((batches) => runTx(pool, 'BEGIN', (db) => applyGroupPg(db, batches)), dashboardLane, (run) => run());
  }

  readonly groupCommit: GroupCommit;

  async createUser(name: string, passwordHash: string): Promise<User> {
    const user: User = { id: newUserId(), name };
    await this.pool.query('INSERT INTO users (id, name, password_hash) VALUES ($1, $2, $3)', [user.id, name, passwordHash]);
    return user;
  }

  async findUserByName(name: string): Promise<StoredUser | null> {
    const { rows } = await this.pool.query<{ id: string; name: string; password_hash: string }>(
      'SELECT id, name, password_hash FROM users WHERE name = $1',
      [name],
    );
    return rows[0] ? { id: rows[0].id as UserId, name: rows[0].name, passwordHash: rows[0].password_hash } : null;
  }

  async getUser(id: UserId): Promise<User | null> {
    const { rows } = await this.pool.query<{ id: string; name: string }>('SELECT id, name FROM users WHERE id = $1', [id]);
    return rows[0] ? { id: rows[0].id as UserId, name: rows[0].name } : null;
  }

  async setPassword(userId: UserId, passwordHash: string): Promise<void> {
    const { rowCount } = await this.pool.query('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, userId]);
    if (rowCount === 0) throw new Error(`no user ${userId}`);
  }

  async countUsers(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM users');
    return rows[0].n;
  }

  async listUsers(): Promise<User[]> {
    const { rows } = await this.pool.query<{ id: string; name: string }>('SELECT id, name FROM users ORDER BY name');
    return rows.map((r) => ({ id: r.id as UserId, name: r.name }));
  }

  async listAllDashboards(): Promise<(DashboardSummary & { members: string[] })[]> {
    const { rows } = await this.pool.query<{ id: string; name: string; members: string[] }>(
      `SELECT d.id, d.name,
              coalesce(array_agg(u.name ORDER BY u.name) FILTER (WHERE u.name IS NOT NULL), '{}') AS members
       FROM dashboards d LEFT JOIN members m ON m.dashboard_id = d.id LEFT JOIN users u ON u.id = m.user_id
       GROUP BY d.id, d.name, d.ord ORDER BY d.ord`,
    );
    return rows.map((r) => ({ id: r.id as DashboardId, name: r.name, members: r.members }));
  }

  async createSession(tokenHash: string, userId: UserId, expiresAt: number): Promise<void> {
    await this.pool.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [
      tokenHash,
      userId,
      expiresAt,
    ]);
  }

  async getSession(tokenHash: string, now: number): Promise<{ userId: UserId; expiresAt: number } | null> {
    const { rows } = await this.pool.query<{ user_id: string; expires_at: number }>(
      'SELECT user_id, expires_at FROM sessions WHERE token_hash = $1',
      [tokenHash],
    );
    const row = rows[0];
    if (!row || row.expires_at <= now) return null;
    return { userId: row.user_id as UserId, expiresAt: row.expires_at };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.pool.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
  }

  async deleteUserSessions(userId: UserId, keepTokenHash?: string): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2', [
      userId,
      keepTokenHash ?? null,
    ]);
    return rowCount ?? 0;
  }

  purgeExpired(now: number): Promise<{ sessions: number; failures: number }> {
    return purgeExpiredPg(this.pool, now);
  }

  countFailure(key: string, now: number, ttlMs: number, extend: boolean): Promise<FailureCount> {
    return countFailurePg(this.pool, key, now, ttlMs, extend);
  }

  failures(key: string, now: number): Promise<FailureCount | null> {
    return failuresPg(this.pool, key, now);
  }

  async clearFailures(key: string): Promise<void> {
    await this.pool.query('DELETE FROM login_failures WHERE key = $1', [key]);
  }

  async createDashboard(name: string, ownerId: UserId): Promise<DashboardSummary> {
    const id = newDashboardId();
    await runTx(this.pool, 'BEGIN', async (db) => {
      await db.query('INSERT INTO dashboards (id, name, owner_id) VALUES ($1, $2, $3)', [id, name, ownerId]);
      await db.query('INSERT INTO members (dashboard_id, user_id) VALUES ($1, $2)', [id, ownerId]);
    });
    return { id, name };
  }

  async listDashboards(userId: UserId): Promise<DashboardSummary[]> {
    const { rows } = await this.pool.query<{ id: string; name: string }>(
      'SELECT d.id, d.name FROM dashboards d JOIN members m ON m.dashboard_id = d.id WHERE m.user_id = $1 ORDER BY d.ord',
      [userId],
    );
    return rows.map((r) => ({ id: r.id as DashboardId, name: r.name }));
  }

  async addMember(dashboardId: DashboardId, userId: UserId): Promise<void> {
    // The foreign keys refuse an unknown dashboard or user; a repeat is a no-op.
    await this.pool.query('INSERT INTO members (dashboard_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      dashboardId,
      userId,
    ]);
  }

  async isMember(dashboardId: DashboardId, userId: UserId): Promise<boolean> {
    const { rowCount } = await this.pool.query({
      name: 'fb_is_member',
      text: 'SELECT 1 FROM members WHERE dashboard_id = $1 AND user_id = $2',
      values: [dashboardId, userId],
    });
    return (rowCount ?? 0) > 0;
  }

  async members(dashboardId: DashboardId): Promise<UserId[]> {
    const { rows } = await this.pool.query<{ user_id: string }>(
      'SELECT user_id FROM members WHERE dashboard_id = $1 ORDER BY user_id',
      [dashboardId],
    );
    return rows.map((r) => r.user_id as UserId);
  }

  applyBatch(ctx: PushContext, mutations: readonly unknown[]): Promise<BatchOutcome> {
    return this.groupCommit.apply(ctx, mutations);
  }

  catchUp(dashboardId: DashboardId, cursor: number, epoch: string | null, limit: number, maxBytes = Infinity): Promise<CatchUp> {
    return runTx(this.pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (db): Promise<CatchUp> => {
      const head = await headIn(db, dashboardId);
      const epochOk = epoch === this.epoch || (epoch === null && cursor === 0);
      const reset = !epochOk || cursor > head;
      const take = Math.max(1, Math.floor(limit));
      // The latest change of each widget changed after the cursor, through widgets_feed (as in SQLite), one
      // row more than asked, and of those only the rows that start within maxBytes (the running size before
      // them), so a page of large widgets is not read whole; cutPage then applies the same rule as SQLite.
      const { rows } = await db.query<ChangeRow & { n: string }>({
        name: 'fb_feed_page',
        text: `SELECT * FROM (
                 SELECT f.*, count(*) OVER () AS n,
                        sum(coalesce(length(f.widget), 0) + $5) OVER (ORDER BY f.seq) - coalesce(length(f.widget), 0) - $5 AS before
                 FROM (SELECT ${CHANGE_COLUMNS} FROM widgets w
                       JOIN changes c ON c.dashboard_id = w.dashboard_id AND c.seq = w.last_seq
                       WHERE w.dashboard_id = $1 AND w.last_seq > $2 ORDER BY w.last_seq LIMIT $3) f
               ) p WHERE p.before < $4 ORDER BY p.seq`,
        values: [dashboardId, reset ? 0 : cursor, take + 1, Number.isFinite(maxBytes) ? maxBytes : Number.MAX_SAFE_INTEGER, CHANGE_OVERHEAD_BYTES],
      });
      const page = cutPage(rows, take, maxBytes);
      const more = page.more || Number(rows[0]?.n ?? 0) > page.rows.length;
      const changes = page.rows.map(changeOf);
      const seq = more ? changes[changes.length - 1].seq : head;
      if (reset) return { kind: 'reset', epoch: this.epoch, seq, widgets: liveOf(changes), more };
      return { kind: 'changes', changes, seq, more };
    });
  }

  snapshot(dashboardId: DashboardId): Promise<{ seq: number; widgets: Widget[] }> {
    return runTx(this.pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (db) => ({
      seq: await headIn(db, dashboardId),
      widgets: await liveWidgets(db, dashboardId),
    }));
  }

  async changesSince(dashboardId: DashboardId, afterSeq: number, limit: number): Promise<Change[]> {
    const { rows } = await this.pool.query<ChangeRow>({
      name: 'fb_since',
      text: `SELECT ${CHANGE_COLUMNS} FROM changes c WHERE c.dashboard_id = $1 AND c.seq > $2 ORDER BY c.seq LIMIT $3`,
      values: [dashboardId, afterSeq, Math.max(1, Math.floor(limit))],
    });
    return rows.map(changeOf);
  }

  async head(dashboardId: DashboardId): Promise<number> {
    return headIn(this.pool, dashboardId);
  }

  async recentChanges(dashboardId: DashboardId, limit: number): Promise<Change[]> {
    const { rows } = await this.pool.query<ChangeRow>(
      `SELECT ${CHANGE_COLUMNS} FROM changes c WHERE c.dashboard_id = $1 ORDER BY c.seq DESC LIMIT $2`,
      [dashboardId, Math.max(0, Math.floor(limit))],
    );
    return rows.map(changeOf);
  }

  ingest(dashboardId: DashboardId, metricKey: string, point: { value: number; at: number }): Promise<Change[]> {
    return runTx(this.pool, 'BEGIN', (db) => ingestPg(db, dashboardId, metricKey, point));
  }

  createIngestToken(tokenHash: string, label: string, scope: 'all' | readonly DashboardId[]): Promise<void> {
    return createIngestTokenPg(this.pool, tokenHash, label, scope);
  }

  ingestTokenScope(tokenHash: string): Promise<'all' | DashboardId[] | null> {
    return ingestTokenScopePg(this.pool, tokenHash);
  }

  listenHints(handlers: HintHandlers): HintListener {
    const listener = new PgHintListener(this.config, handlers);
    this.listeners.add(listener);
    return listener;
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const { rows } = await this.pool.query<{ ok: number }>('SELECT 1 AS ok');
      return rows[0]?.ok === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.listeners].map((l) => l.close()));
    await this.pool.end();
  }
}

async function headIn(db: pg.Pool | pg.PoolClient, dashboardId: DashboardId): Promise<number> {
  const { rows } = await db.query<{ head_seq: number }>({
    name: 'fb_head',
    text: 'SELECT head_seq FROM dashboards WHERE id = $1',
    values: [dashboardId],
  });
  return rows[0]?.head_seq ?? 0;
}

async function liveWidgets(db: pg.PoolClient, dashboardId: DashboardId): Promise<Widget[]> {
  const { rows } = await db.query<{ record: string }>({
    name: 'fb_live_widgets',
    text: 'SELECT record FROM widgets WHERE dashboard_id = $1 AND NOT deleted ORDER BY ord',
    values: [dashboardId],
  });
  return rows.map((r) => (JSON.parse(r.record) as WidgetRecord).widget);
}
