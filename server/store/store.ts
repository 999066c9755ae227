/**
 * The storage interface. Every backend (SQLite now, PostgreSQL later) implements it and passes
 * tests/storage/conformance.ts. It is async so that a networked backend fits without a rewrite.
 *
 * What must stay true in every backend:
 * - `applyBatch` runs in one transaction: either every result and change of the batch is committed
 *   (with its idempotency record) or nothing is.
 * - A mutation id is applied at most once, ever: a repeat returns the first recorded result unchanged
 *   and creates no change. A mutation id belongs to the user who first sent it. A mutation refused
 *   because its sender is not a member of the dashboard is not recorded (it would cost a row per refusal).
 * - `seq` is strictly increasing per dashboard, with no gaps, assigned at commit.
 */
import type { GroupStats } from './group-commit.ts';
import type {
  Change,
  ClientId,
  DashboardId,
  DashboardSummary,
  MutationResult,
  User,
  UserId,
  Widget,
} from '../../protocol/index.ts';

export interface PushContext {
  userId: UserId;
  /** The connection's `hello` clientId or the `/api/push` body's; a mutation with another is `invalid`. */
  clientId: ClientId;
  now: number;
  /** Live widgets a dashboard may hold; a create past it is rejected `too-large`. Absent: no cap. */
  maxWidgets?: number;
  /**
   * Characters of stored JSON (the widget records) a dashboard's live widgets may take, about what a
   * reset of it carries; a mutation that would grow it past this is rejected `too-large`. Absent: no cap.
   */
  maxDashboardSize?: number;
}

export interface BatchOutcome {
  /** One per input, same order. */
  results: MutationResult[];
  /** The changes committed by this batch, in seq order (empty when everything was a replay). */
  changes: Change[];
}

/**
 * A page of catch-up, or the first page of a reset: the live widgets among the latest changes of the first
 * widgets in seq order (the feed from cursor 0), with `seq` the cursor after them. With `more`, the rest
 * of the reset is the catch-up from `seq` in `epoch` (docs/protocol.md, "Paged resets").
 */
export type CatchUp =
  | { kind: 'changes'; changes: Change[]; seq: number; more: boolean }
  | { kind: 'reset'; epoch: string; seq: number; widgets: Widget[]; more: boolean };

/** What a node tells the others after a commit: this dashboard's log now reaches `seq` (docs/server.md). */
export interface CommitHint {
  dashboardId: DashboardId;
  seq: number;
}

export interface HintHandlers {
  onHint(hint: CommitHint): void;
  /** The hint connection is (again) listening: hints may have been missed, re-read what is followed. */
  onConnect(): void;
  onDisconnect(err: unknown): void;
}

export interface HintListener {
  /** Whether hints are being received right now. */
  connected(): boolean;
  close(): Promise<void>;
}

/** A failure counter of login throttling (server/auth/login-throttle.ts). */
export interface FailureCount {
  count: number;
  /** When the counter lapses (ms since the epoch); from then on it counts as zero. */
  expiresAt: number;
}

export interface StoredUser extends User {
  passwordHash: string;
}

export interface Store {
  /** Identifies this database's history; a client holding another epoch gets a `reset`. */
  readonly epoch: string;

  createUser(name: string, passwordHash: string): Promise<User>;
  findUserByName(name: string): Promise<StoredUser | null>;
  getUser(id: UserId): Promise<User | null>;
  setPassword(userId: UserId, passwordHash: string): Promise<void>;
  /** The demo seed runs only on a database with no users. */
  countUsers(): Promise<number>;
  /** For the operator CLI. */
  listUsers(): Promise<User[]>;
  /** For the operator CLI: every dashboard with its members' names. */
  listAllDashboards(): Promise<(DashboardSummary & { members: string[] })[]>;

  /** Sessions are stored by a hash of their token, never the token itself. */
  createSession(tokenHash: string, userId: UserId, expiresAt: number): Promise<void>;
  getSession(tokenHash: string, now: number): Promise<{ userId: UserId; expiresAt: number } | null>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Revocation: deletes every session of the user but `keepTokenHash` (if given); answers how many went. */
  deleteUserSessions(userId: UserId, keepTokenHash?: string): Promise<number>;
  /** Deletes expired sessions and lapsed failure counters (run periodically by every node). */
  purgeExpired(now: number): Promise<{ sessions: number; failures: number }>;

  /**
   * Adds one failure to the counter `key`, atomically (several nodes count together): a lapsed or missing
   * counter starts again at 1 and lapses `ttlMs` from now; a live one lapses `ttlMs` from now when
   * `extend` (a sliding window), else keeps its end (a fixed window).
   */
  countFailure(key: string, now: number, ttlMs: number, extend: boolean): Promise<FailureCount>;
  /** The live counter `key`, or null (none, or lapsed). */
  failures(key: string, now: number): Promise<FailureCount | null>;
  clearFailures(key: string): Promise<void>;

  createDashboard(name: string, ownerId: UserId): Promise<DashboardSummary>;
  listDashboards(userId: UserId): Promise<DashboardSummary[]>;
  addMember(dashboardId: DashboardId, userId: UserId): Promise<void>;
  isMember(dashboardId: DashboardId, userId: UserId): Promise<boolean>;
  /** Members' user ids, for per-user notices. */
  members(dashboardId: DashboardId): Promise<UserId[]>;

  /**
   * Validates and applies raw mutations (as received) in order, in one transaction. Membership, clientId,
   * idempotency, conflicts and limits are all decided here, so every transport gets the same answers.
   * Batches that arrive while an earlier one of their lane commits are committed together, each with its
   * own outcome (group-commit.ts); `groupCommit.stats` counts the transactions and the batches they held.
   */
  applyBatch(ctx: PushContext, mutations: readonly unknown[]): Promise<BatchOutcome>;
  readonly groupCommit: { readonly stats: GroupStats };

  /**
   * Changes after `cursor` (exclusive) for catch-up, at most `limit` and about `maxBytes` (server/store/page.ts;
   * at least one change), the latest change of each widget only, in seq order; or the first page of a reset
   * when `epoch` is not this store's epoch (a null epoch with cursor 0 is fine) or the cursor is ahead of
   * the head.
   */
  catchUp(dashboardId: DashboardId, cursor: number, epoch: string | null, limit: number, maxBytes?: number): Promise<CatchUp>;
  /** Every live widget of a dashboard and the head seq, read consistently. */
  snapshot(dashboardId: DashboardId): Promise<{ seq: number; widgets: Widget[] }>;
  /**
   * Every change after `afterSeq` (exclusive), in seq order, at most `limit`: the live fan-out of changes
   * committed by another node (server/fanout.ts), which must see each seq, not only each widget's latest.
   */
  changesSince(dashboardId: DashboardId, afterSeq: number, limit: number): Promise<Change[]>;
  /** The dashboard's head seq (0 for none or an unknown dashboard). */
  head(dashboardId: DashboardId): Promise<number>;
  /**
   * Starts receiving other nodes' commit hints, or null for a backend with one writing process (SQLite),
   * where every commit happens in this node.
   */
  listenHints(handlers: HintHandlers): HintListener | null;
  /** The newest changes of a dashboard (newest first), for the activity list. */
  recentChanges(dashboardId: DashboardId, limit: number): Promise<Change[]>;

  /** Server-made change for every live metric widget of the dashboard with this key (none: no change). */
  ingest(dashboardId: DashboardId, metricKey: string, point: { value: number; at: number }): Promise<Change[]>;
  /** An ingest token for every dashboard, or for the dashboards listed (unknown ones: refused, nothing made). */
  createIngestToken(tokenHash: string, label: string, scope: 'all' | readonly DashboardId[]): Promise<void>;
  /** The dashboards a token may write (listed in id order), 'all', or null for an unknown token. */
  ingestTokenScope(tokenHash: string): Promise<'all' | DashboardId[] | null>;

  /** Cheap liveness probe of the database for /api/health. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
