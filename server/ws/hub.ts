/**
 * Fan-out within this node: which sockets follow which dashboard, and which belong to which user (for
 * notices). Changes reach it through server/fanout.ts, in seq order per dashboard. The hub only routes; each subscriber decides what it still has to send (see connection.ts),
 * which is what keeps catch-up and live changes free of gaps and duplicates.
 */
import type { Change, DashboardId, UserId } from '../../protocol/index.ts';
import { queuedBytes, type SlowReader } from './queue-budget.ts';

export interface Notice {
  kind: string;
  [key: string]: unknown;
}

export interface Subscriber extends SlowReader {
  readonly userId: UserId;
  readonly tokenHash: string;
  /** The dashboards this subscriber follows (what `remove` has to clean up). */
  dashboards(): Iterable<DashboardId>;
  /**
   * `frame` is the `changes` frame for all of `changes`, serialized and UTF-8 encoded once and shared by
   * every subscriber: encoding it per socket was most of the fan-out's CPU.
   */
  deliver(dashboardId: DashboardId, changes: readonly Change[], frame: Buffer): void;
  notice(notice: Notice): void;
  close(code: number, reason: string): void;
}

export class Hub {
  private readonly all = new Set<Subscriber>();
  private readonly byDashboard = new Map<DashboardId, Set<Subscriber>>();
  private readonly byUser = new Map<UserId, Set<Subscriber>>();
  /** Open sockets per session (token hash): the per-session cap is checked at every upgrade, in O(1). */
  private readonly perSession = new Map<string, number>();

  get size(): number {
    return this.all.size;
  }

  add(s: Subscriber): void {
    this.all.add(s);
    let mine = this.byUser.get(s.userId);
    if (!mine) this.byUser.set(s.userId, (mine = new Set()));
    if (mine.has(s)) return;
    mine.add(s);
    this.perSession.set(s.tokenHash, (this.perSession.get(s.tokenHash) ?? 0) + 1);
  }

  /** Forgets a closed socket everywhere. */
  remove(s: Subscriber): void {
    this.all.delete(s);
    const mine = this.byUser.get(s.userId);
    if (mine?.delete(s)) {
      const n = (this.perSession.get(s.tokenHash) ?? 1) - 1;
      if (n <= 0) this.perSession.delete(s.tokenHash);
      else this.perSession.set(s.tokenHash, n);
    }
    if (mine?.size === 0) this.byUser.delete(s.userId);
    for (const id of [...s.dashboards()]) this.unsubscribe(id, s);
  }

  subscribe(dashboardId: DashboardId, s: Subscriber): void {
    let set = this.byDashboard.get(dashboardId);
    if (!set) this.byDashboard.set(dashboardId, (set = new Set()));
    set.add(s);
  }

  unsubscribe(dashboardId: DashboardId, s: Subscriber): void {
    const set = this.byDashboard.get(dashboardId);
    set?.delete(s);
    if (set?.size === 0) this.byDashboard.delete(dashboardId);
  }

  /** Open sockets of a user, and of one of their sessions (the per-user and per-session caps). */
  socketsOf(userId: UserId, tokenHash: string): { user: number; session: number } {
    // Counted, not scanned: a scan of the user's sockets made opening N sockets cost O(N^2) (docs/server.md, "Memory and time per socket").
    return { user: this.byUser.get(userId)?.size ?? 0, session: this.perSession.get(tokenHash) ?? 0 };
  }

  hasSubscribers(dashboardId: DashboardId): boolean {
    return this.byDashboard.has(dashboardId);
  }

  /** Sends committed changes (in seq order) to every subscriber of the dashboard, synchronously. */
  publish(dashboardId: DashboardId, changes: readonly Change[]): void {
    const set = this.byDashboard.get(dashboardId);
    if (!set || changes.length === 0) return;
    const frame = Buffer.from(JSON.stringify({ type: 'changes', dashboardId, changes }));
    for (const s of set) {
      // The changes are committed: one broken socket must neither stop the others nor fail the push.
      try {
        s.deliver(dashboardId, changes, frame);
      } catch {
        s.close(1011, 'delivery failed');
      }
    }
  }

  notifyUser(userId: UserId, notice: Notice): void {
    for (const s of this.byUser.get(userId) ?? []) s.notice(notice);
  }

  /** Closes every socket opened with this session (logout). */
  closeSession(tokenHash: string, code: number, reason: string): void {
    for (const s of [...this.all]) if (s.tokenHash === tokenHash) s.close(code, reason);
  }

  /** Closes every socket of the user except those of `keepTokenHash` (revocation: a password change). */
  closeUser(userId: UserId, keepTokenHash: string | null, code: number, reason: string): void {
    for (const s of [...(this.byUser.get(userId) ?? [])]) if (s.tokenHash !== keepTokenHash) s.close(code, reason);
  }

  subscribers(): Iterable<Subscriber> {
    return this.all;
  }

  queuedBytes(): number {
    return queuedBytes(this.all);
  }
}
