/**
 * The embedded storage backend: one better-sqlite3 connection in WAL mode. Every method is synchronous
 * underneath (better-sqlite3 is), so a method's reads and writes never interleave with another call's in
 * this process; transactions still wrap every multi-statement read or write, because another process (the
 * CLI) may write the same file.
 *
 * What must stay true: see store.ts; in addition, `synchronous = FULL`, because an `applied` result makes a
 * client drop the mutation from its outbox, so the commit behind it must survive a power loss too.
 */
import Database from 'better-sqlite3';
import {
  newDashboardId,
  newUserId,
  type Change,
  type DashboardId,
  type DashboardSummary,
  type User,
  type UserId,
  type Widget,
} from '../../protocol/index.ts';
import { migrate } from './migrations.ts';
import { applyBatchInTx, ingestInTx } from './sqlite-apply.ts';
import { GroupCommit, type PendingBatch, type Settled } from './group-commit.ts';
import { changeOf, prepareStatements, type Statements } from './sqlite-statements.ts';
import { cutPage, liveOf } from './page.ts';
import type { BatchOutcome, CatchUp, FailureCount, HintListener, PushContext, Store, StoredUser } from './store.ts';

export interface SqliteStoreOptions {
  /** How long a statement waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number;
}

/** Opens (creating and migrating when needed) the database at `filename`, or `:memory:`. */
export function openSqliteStore(filename: string, options: SqliteStoreOptions = {}): SqliteStore {
  const db = new Database(filename);
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return new SqliteStore(db);
  } catch (err) {
    db.close();
    throw err;
  }
}

export class SqliteStore implements Store {
  readonly epoch: string;
  private readonly st: Statements;
  /** Push batches read in one turn of the event loop commit together (group-commit.ts). */
  readonly groupCommit: GroupCommit;

  constructor(private readonly db: Database.Database) {
    this.st = prepareStatements(db);
    this.epoch = this.st.epoch.get()!.value;
    // Called inside the group's transaction, a better-sqlite3 transaction function runs as a savepoint:
    // a batch that throws is rolled back alone and the rest of its group commits.
    const batch = db.transaction((ctx: PushContext, raw: readonly unknown[]) => applyBatchInTx(this.st, ctx, raw));
    const group = db.transaction((batches: readonly PendingBatch[]) =>
      batches.map((b): Settled => {
        try {
          return { ok: true, outcome: batch(b.ctx, b.raw) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes can fail
    // with SQLITE_BUSY instead of waiting when another process wrote in between. One writer: one lane.
    this.groupCommit = new GroupCommit(
      async (batches) => group.immediate(batches),
      () => '',
      (run) => setImmediate(run),
    );
  }

  async createUser(name: string, passwordHash: string): Promise<User> {
    const user: User = { id: newUserId(), name };
    this.st.createUser.run(user.id, name, passwordHash);
    return user;
  }

  async findUserByName(name: string): Promise<StoredUser | null> {
    const row = this.st.userByName.get(name);
    return row ? { id: row.id as UserId, name: row.name, passwordHash: row.password_hash } : null;
  }

  async getUser(id: UserId): Promise<User | null> {
    const row = this.st.userById.get(id);
    return row ? { id: row.id as UserId, name: row.name } : null;
  }

  async setPassword(userId: UserId, passwordHash: string): Promise<void> {
    if (this.st.setPassword.run(passwordHash, userId).changes === 0) throw new Error(`no user ${userId}`);
  }

  async createSession(tokenHash: string, userId: UserId, expiresAt: number): Promise<void> {
    this.st.createSession.run(tokenHash, userId, expiresAt);
  }

  async getSession(tokenHash: string, now: number): Promise<{ userId: UserId; expiresAt: number } | null> {
    const row = this.st.session.get(tokenHash);
    if (!row || row.expires_at <= now) return null;
    return { userId: row.user_id as UserId, expiresAt: row.expires_at };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    this.st.deleteSession.run(tokenHash);
  }

  async deleteUserSessions(userId: UserId, keepTokenHash?: string): Promise<number> {
    return this.st.deleteUserSessions.run(userId, keepTokenHash ?? null).changes;
  }

  async purgeExpired(now: number): Promise<{ sessions: number; failures: number }> {
    return this.db.transaction(() => ({
      sessions: this.st.purgeSessions.run(now).changes,
      failures: this.st.purgeFailures.run(now).changes,
    }))();
  }

  async countFailure(key: string, now: number, ttlMs: number, extend: boolean): Promise<FailureCount> {
    const row = this.st.countFailure.get({ key, now, expires: now + ttlMs, extend: extend ? 1 : 0 })!;
    return { count: row.count, expiresAt: row.expires_at };
  }

  async failures(key: string, now: number): Promise<FailureCount | null> {
    const row = this.st.failures.get(key, now);
    return row ? { count: row.count, expiresAt: row.expires_at } : null;
  }

  async clearFailures(key: string): Promise<void> {
    this.st.clearFailures.run(key);
  }

  async createDashboard(name: string, ownerId: UserId): Promise<DashboardSummary> {
    const id = newDashboardId();
    this.db.transaction(() => {
      this.st.createDashboard.run(id, name, ownerId);
      this.st.addMember.run(id, ownerId);
    }).immediate();
    return { id, name };
  }

  async listDashboards(userId: UserId): Promise<DashboardSummary[]> {
    return this.st.dashboardsOf.all(userId).map((r) => ({ id: r.id as DashboardId, name: r.name }));
  }

  async addMember(dashboardId: DashboardId, userId: UserId): Promise<void> {
    this.db.transaction(() => {
      if (!this.st.dashboardExists.get(dashboardId)) throw new Error(`no dashboard ${dashboardId}`);
      if (!this.st.userById.get(userId)) throw new Error(`no user ${userId}`);
      this.st.addMember.run(dashboardId, userId);
    }).immediate();
  }

  async isMember(dashboardId: DashboardId, userId: UserId): Promise<boolean> {
    return this.st.isMember.get(dashboardId, userId) !== undefined;
  }

  async members(dashboardId: DashboardId): Promise<UserId[]> {
    return this.st.members.all(dashboardId).map((r) => r.user_id as UserId);
  }

  applyBatch(ctx: PushContext, mutations: readonly unknown[]): Promise<BatchOutcome> {
    // Any throw inside rolls the whole batch back (results and idempotency records included) and
    // propagates: the transport answers it as a transient failure and the client retries.
    return this.groupCommit.apply(ctx, mutations);
  }

  async catchUp(dashboardId: DashboardId, cursor: number, epoch: string | null, limit: number, maxBytes = Infinity): Promise<CatchUp> {
    return this.db.transaction((): CatchUp => {
      const head = this.headOf(dashboardId);
      const epochOk = epoch === this.epoch || (epoch === null && cursor === 0);
      const reset = !epochOk || cursor > head;
      const take = Math.max(1, Math.floor(limit));
      // Lazily, through widgets_feed: the page stops at the first row it leaves (server/store/page.ts).
      const page = cutPage(this.st.feed.iterate(dashboardId, reset ? 0 : cursor, take + 1), take, maxBytes);
      const changes = page.rows.map(changeOf);
      const seq = page.more ? changes[changes.length - 1].seq : head;
      if (reset) return { kind: 'reset', epoch: this.epoch, seq, widgets: liveOf(changes), more: page.more };
      return { kind: 'changes', changes, seq, more: page.more };
    })();
  }

  async snapshot(dashboardId: DashboardId): Promise<{ seq: number; widgets: Widget[] }> {
    return this.db.transaction(() => ({ seq: this.headOf(dashboardId), widgets: this.liveWidgets(dashboardId) }))();
  }

  async changesSince(dashboardId: DashboardId, afterSeq: number, limit: number): Promise<Change[]> {
    return this.st.since.all(dashboardId, afterSeq, Math.max(1, Math.floor(limit))).map(changeOf);
  }

  async head(dashboardId: DashboardId): Promise<number> {
    return this.headOf(dashboardId);
  }

  /** Every commit happens in this process: the node's own fan-out sees all of them. */
  listenHints(): HintListener | null {
    return null;
  }

  async recentChanges(dashboardId: DashboardId, limit: number): Promise<Change[]> {
    return this.st.recent.all(dashboardId, Math.max(0, Math.floor(limit))).map(changeOf);
  }

  async ingest(dashboardId: DashboardId, metricKey: string, point: { value: number; at: number }): Promise<Change[]> {
    return this.db.transaction(() => ingestInTx(this.st, dashboardId, metricKey, point)).immediate();
  }

  async createIngestToken(tokenHash: string, label: string, scope: 'all' | readonly DashboardId[]): Promise<void> {
    // One transaction: an unknown dashboard (foreign key) leaves no token behind.
    this.db.transaction(() => {
      this.st.createIngestToken.run(tokenHash, label, scope === 'all' ? 1 : 0);
      if (scope !== 'all') for (const id of scope) this.st.scopeIngestToken.run(tokenHash, id);
    }).immediate();
  }

  async ingestTokenScope(tokenHash: string): Promise<'all' | DashboardId[] | null> {
    return this.db.transaction(() => {
      const row = this.st.ingestToken.get(tokenHash);
      if (!row) return null;
      if (row.all_dashboards === 1) return 'all' as const;
      return this.st.ingestTokenDashboards.all(tokenHash).map((r) => r.dashboard_id as DashboardId);
    })();
  }

  async ping(): Promise<boolean> {
    try {
      return this.st.ping.get()?.ok === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** For the operator CLI (not part of Store: the server never lists everything). */
  async countUsers(): Promise<number> {
    return this.st.countUsers.get()!.n;
  }

  async listUsers(): Promise<User[]> {
    return this.st.allUsers.all().map((r) => ({ id: r.id as UserId, name: r.name }));
  }

  /** For the operator CLI: every dashboard with its members' names. */
  async listAllDashboards(): Promise<(DashboardSummary & { members: string[] })[]> {
    return this.db.transaction(() =>
      this.st.allDashboards.all().map((d) => ({
        id: d.id as DashboardId,
        name: d.name,
        members: this.st.memberNames.all(d.id).map((m) => m.name),
      })),
    )();
  }

  private headOf(dashboardId: DashboardId): number {
    return this.st.head.get(dashboardId)?.head_seq ?? 0;
  }

  private liveWidgets(dashboardId: DashboardId): Widget[] {
    return this.st.liveWidgets.all(dashboardId).map((r) => JSON.parse(r.widget) as Widget);
  }
}
