/**
 * A copy of one user's outbox kept from the worker's `outbox` broadcasts (docs/service-worker.md, "Outbox
 * broadcasts are deltas"): entries by mutation id and in outbox order, moved by each broadcast in time that
 * grows with the broadcast, not with the outbox. The page keeps one (src/sync/provisional-outbox.ts); tests
 * and the simulation fold broadcasts with it too.
 *
 * Invariants:
 * - `gen` is the outbox generation the copy is at, null while unknown (nothing read or heard yet).
 * - `entries` are in outbox order: by `order`, then mutation id (what the `by-user-order` index gives).
 * - A delta is the net effect of every write between its `from` and `gen`, so applied to the outbox at any
 *   generation between the two it gives the outbox at `gen`; the copy applies it only then. A copy ahead of
 *   it (`stale`: a read of IndexedDB already held it) ignores it, and a whole outbox older than the copy too;
 *   one behind it (`gap`) must be read again.
 */
import type { MutationId } from '../protocol/index.ts';
import type { OutboxEntry, SwBroadcast } from './tab-messages.ts';

export type OutboxChange = Pick<Extract<SwBroadcast, { type: 'outbox' }>, 'from' | 'gen' | 'upserted' | 'removed'>;

/** What a broadcast did to a copy: moved it, nothing (already held), or nothing because one was missed. */
export type Applied = 'applied' | 'stale' | 'gap' | 'unknown';

/** Removals above this many rebuild the list in one pass instead of one splice each. */
const SPLICE_MAX = 16;

const before = (a: OutboxEntry, b: OutboxEntry) => a.order < b.order || (a.order === b.order && a.mutation.id < b.mutation.id);
/** Outbox order: by `order`, then mutation id. */
export const compareOutbox = (a: OutboxEntry, b: OutboxEntry) => (before(a, b) ? -1 : before(b, a) ? 1 : 0);

export class OutboxCopy {
  private readonly byId = new Map<MutationId, OutboxEntry>();
  private sorted: OutboxEntry[] = [];
  private at: number | null = null;

  /** `keep`: which entries belong in the copy (the page keeps the signed-in user's). */
  constructor(private readonly keep: (e: OutboxEntry) => boolean = () => true) {}

  get gen(): number | null {
    return this.at;
  }

  /** The entries in outbox order. The copy's own list: read it, do not keep it across changes. */
  get entries(): readonly OutboxEntry[] {
    return this.sorted;
  }

  get size(): number {
    return this.sorted.length;
  }

  has(id: MutationId): boolean {
    return this.byId.has(id);
  }

  /** The whole outbox at `gen` (read from IndexedDB, or a broadcast with `from: null`); null: forget it all. */
  replace(entries: readonly OutboxEntry[], gen: number | null): void {
    this.byId.clear();
    this.sorted = entries.filter((e) => this.keep(e)).sort(compareOutbox);
    for (const e of this.sorted) this.byId.set(e.mutation.id, e);
    this.at = gen;
  }

  apply(c: OutboxChange): Applied {
    if (this.at !== null && this.at > c.gen) return 'stale';
    if (c.from === null) {
      this.replace(c.upserted, c.gen);
      return 'applied';
    }
    if (this.at === null) return 'unknown';
    if (this.at < c.from) return 'gap';
    this.remove([...c.removed, ...c.upserted.map((e) => e.mutation.id)]);
    for (const e of c.upserted) if (this.keep(e)) this.insert(e);
    this.at = c.gen;
    return 'applied';
  }

  /** Drops entries by id (a mutation the replica shows applied, before the worker's broadcast says so). */
  drop(ids: Iterable<MutationId>): boolean {
    return this.remove([...ids]) > 0;
  }

  private remove(ids: MutationId[]): number {
    const gone = [...new Set(ids)].filter((id) => this.byId.has(id));
    if (gone.length > SPLICE_MAX) {
      const set = new Set(gone);
      this.sorted = this.sorted.filter((e) => !set.has(e.mutation.id));
    } else {
      for (const id of gone) this.sorted.splice(this.indexOf(this.byId.get(id)!), 1);
    }
    for (const id of gone) this.byId.delete(id);
    return gone.length;
  }

  private insert(e: OutboxEntry): void {
    this.byId.set(e.mutation.id, e);
    const last = this.sorted.at(-1);
    if (!last || before(last, e)) this.sorted.push(e);
    else this.sorted.splice(this.indexOf(e), 0, e);
  }

  /** Where `e` is, or would go, in `sorted` (binary search). */
  private indexOf(e: OutboxEntry): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.sorted[mid]!, e)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
