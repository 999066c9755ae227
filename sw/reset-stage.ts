/**
 * Paged resets over the socket (docs/protocol.md, "Paged resets"): a `reset` with `more` is only the first
 * page; the rest is the catch-up that follows it (`changes` frames, then `caught-up`). Until `caught-up`
 * the pages wait here, in memory, and the replica and its cursor are untouched, so no tab ever sees part of
 * a reset as the dashboard. At `caught-up` every page is committed in one IndexedDB transaction. A socket
 * that drops mid-reset forgets the pages: the stored cursor still names the old epoch, so the next
 * subscribe gets the reset again from its first page.
 */
import type { DashboardId } from '../protocol/index.ts';
import type { ReplicaUpdate } from './store.ts';

export class ResetStage {
  private readonly pages = new Map<DashboardId, ReplicaUpdate[]>();

  /** A reset page with `more`: the dashboard's staging starts over from it. */
  begin(update: Extract<ReplicaUpdate, { kind: 'reset' }>): void {
    this.pages.set(update.dashboardId, [update]);
  }

  /** Catch-up pages of a dashboard being reset are staged (true); others are not this stage's (false). */
  add(update: Extract<ReplicaUpdate, { kind: 'changes' }>): boolean {
    const staged = this.pages.get(update.dashboardId);
    if (!staged) return false;
    staged.push(update);
    return true;
  }

  /** `caught-up`: the whole reset, last update included, to commit at once; null when none was staged. */
  finish(last: Extract<ReplicaUpdate, { kind: 'changes' }>): ReplicaUpdate[] | null {
    const staged = this.pages.get(last.dashboardId);
    if (!staged) return null;
    this.pages.delete(last.dashboardId);
    return [...staged, last];
  }

  /** The socket is gone or the dashboard is subscribed again: what was staged will be sent again. */
  clear(dashboardId?: DashboardId): void {
    if (dashboardId === undefined) this.pages.clear();
    else this.pages.delete(dashboardId);
  }
}
