/**
 * What the next outbox broadcast says (docs/service-worker.md, "Outbox broadcasts are deltas"). The store
 * records here every outbox write it commits (what it put and deleted, and the generation it bumped
 * `outboxGen` to), and `take` answers the net change since the last broadcast without reading the outbox:
 * a broadcast costs what changed, not what is pending.
 *
 * Invariants:
 * - A change covers every write from its `from` to its `gen`, none missing: a write whose generation does
 *   not follow the last one recorded (another worker, a restart's requeue) breaks the chain, and so does a
 *   new user; then `take` answers null and the store sends the whole outbox once, from which deltas go on.
 * - Per mutation id only the last write counts (an entry put then deleted is removed; deleted then put is
 *   upserted), so the change applied on the outbox at any generation in [from, gen] gives the one at `gen`.
 */
import type { MutationId, UserId } from '../protocol/index.ts';
import type { OutboxChange, OutboxEntry } from '../contract/index.ts';

/** One committed outbox transaction. */
export interface OutboxWrite {
  gen: number;
  removed: readonly MutationId[];
  written: readonly OutboxEntry[];
}

export class OutboxChanges {
  /** The generation of the last write recorded; null: the chain is broken, the next broadcast is whole. */
  private at: number | null = null;
  /** The generation the last broadcast left tabs at. */
  private from = 0;
  /** Whose outbox the last broadcast described. */
  private user: UserId | null = null;
  private readonly changed = new Map<MutationId, OutboxEntry | null>();

  wrote(w: OutboxWrite): void {
    if (this.at === null) return;
    if (w.gen !== this.at + 1) return this.lose();
    for (const id of w.removed) this.changed.set(id, null);
    for (const e of w.written) this.changed.set(e.mutation.id, e);
    this.at = w.gen;
  }

  /** The outbox changed in a way not recorded: the next broadcast is whole. */
  lose(): void {
    this.at = null;
    this.changed.clear();
  }

  /** The net change since the last broadcast, as `userId`'s outbox; null when only the whole outbox will do. */
  take(userId: UserId | null): OutboxChange | null {
    if (this.at === null || userId !== this.user) return null;
    const upserted: OutboxEntry[] = [];
    const removed: MutationId[] = [];
    for (const [id, e] of this.changed) {
      if (e && e.userId === userId) upserted.push(e);
      else removed.push(id);
    }
    const change = { from: this.from, gen: this.at, upserted, removed };
    this.changed.clear();
    this.from = this.at;
    return change;
  }

  /** `userId`'s whole outbox, read at `gen`, is being broadcast: the next changes go on from there. */
  whole(userId: UserId | null, gen: number): void {
    this.user = userId;
    this.at = gen;
    this.from = gen;
    this.changed.clear();
  }
}
