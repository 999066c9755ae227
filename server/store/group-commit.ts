/**
 * Group commit (docs/server.md "Group commit"): push batches that wait for the same lane are committed
 * together, in one transaction, instead of one transaction (one durable commit, one flush to disk) each.
 *
 *   apply() ──► lane idle? ──yes──► start the lane (PostgreSQL: at once; SQLite: after this turn's I/O)
 *                  │no
 *                  ▼
 *              wait in the lane ──► the running commit ends ──► everything waiting commits as one group
 *
 * A lane is what must be written one at a time anyway: PostgreSQL locks a batch's dashboards for the whole
 * transaction, so two batches for one dashboard never commit in parallel, and its lanes are keyed by
 * dashboard (other dashboards keep committing in parallel); SQLite has one writer, so it has one lane.
 *
 * What must stay true:
 * - Each batch keeps its own outcome: a batch that fails is rolled back alone (a savepoint, in the
 *   backend's `commit`), and the others of its group commit; if the group's commit itself fails, every
 *   batch of it fails and none is applied.
 * - Batches of a lane commit in the order `apply` was called, and their outcomes are delivered in that
 *   order (fan-out publishes each dashboard's changes in seq order, server/fanout.ts).
 * - A lone batch waits for nothing: an idle PostgreSQL lane starts at once; SQLite's waits only for the
 *   pushes already read from the sockets in the same turn of the event loop.
 */
import type { BatchOutcome, PushContext } from './store.ts';

export interface PendingBatch {
  ctx: PushContext;
  raw: readonly unknown[];
}

export type Settled = { ok: true; outcome: BatchOutcome } | { ok: false; error: unknown };

interface Waiting extends PendingBatch {
  resolve(outcome: BatchOutcome): void;
  reject(error: unknown): void;
}

/** Mutations one group commits at most (a group is still at least one batch, whatever its size). */
export const GROUP_MAX_MUTATIONS = 2_000;

export interface GroupStats {
  /** Transactions that committed push batches. */
  commits: number;
  /** Batches those transactions held. */
  batches: number;
}

export class GroupCommit {
  private readonly lanes = new Map<string, Waiting[]>();
  readonly stats: GroupStats = { commits: 0, batches: 0 };

  constructor(
    /** Commits `batches` in one transaction, in order, each one's failure rolled back alone. */
    private readonly commit: (batches: readonly PendingBatch[]) => Promise<Settled[]>,
    /** Which lane a batch waits in (batches of one lane are written one group at a time). */
    private readonly laneOf: (raw: readonly unknown[]) => string,
    /** Starts an idle lane's first group: at once, or after the event loop's pending I/O. */
    private readonly start: (run: () => void) => void,
  ) {}

  apply(ctx: PushContext, raw: readonly unknown[]): Promise<BatchOutcome> {
    const key = this.laneOf(raw);
    return new Promise<BatchOutcome>((resolve, reject) => {
      const lane = this.lanes.get(key);
      if (lane) {
        lane.push({ ctx, raw, resolve, reject });
        return;
      }
      const fresh: Waiting[] = [{ ctx, raw, resolve, reject }];
      this.lanes.set(key, fresh);
      this.start(() => void this.run(key, fresh));
    });
  }

  private async run(key: string, lane: Waiting[]): Promise<void> {
    while (lane.length > 0) {
      let n = 0;
      let mutations = 0;
      while (n < lane.length && (n === 0 || mutations + lane[n].raw.length <= GROUP_MAX_MUTATIONS)) mutations += lane[n++].raw.length;
      const group = lane.splice(0, n);
      let settled: Settled[];
      try {
        settled = await this.commit(group);
        this.stats.commits += 1;
        this.stats.batches += group.length;
      } catch (error) {
        settled = group.map(() => ({ ok: false, error }));
      }
      group.forEach((w, i) => {
        const s = settled[i];
        if (s.ok) w.resolve(s.outcome);
        else w.reject(s.error);
      });
    }
    this.lanes.delete(key);
  }
}

/** PostgreSQL's lane of a batch: the dashboards it names (a batch that names none, or is malformed, gets its own key). */
export function dashboardLane(raw: readonly unknown[]): string {
  const ids = new Set<string>();
  try {
    for (const m of raw) {
      const id = (m as { dashboardId?: unknown } | null)?.dashboardId;
      if (typeof id === 'string') ids.add(id);
    }
  } catch {
    return ''; // unreadable input: the apply says what is wrong with it; any lane will do
  }
  return [...ids].sort().join(' ');
}
