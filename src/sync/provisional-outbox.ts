/**
 * The page's outbox: the worker's outbox as last broadcast or read from IndexedDB, plus the provisional
 * entries of mutations this tab made that the worker's outbox does not show yet (docs/service-worker.md
 * "Tabs: broadcasts in, commands out").
 *
 * A mutation shows from the moment `mutate` is called, as a provisional entry; the worker's answer says at
 * which outbox broadcast (`outboxSeq` of its `swInstance`) it is in the worker's outbox, and the entry stays
 * provisional until that broadcast or a later one of the same worker instance arrives.
 *
 * Invariants:
 * - `outbox` (the signal) is the worker's entries of the signed-in user, then every provisional entry the
 *   worker's list does not hold, sorted by `order`: the optimistic view never waits for a round trip and
 *   never drops an edit between the worker's answer and its broadcast.
 * - A read from IndexedDB never overwrites a broadcast that arrived while it ran (`readAt` / `fromRead`).
 * - A mutation whose change the replica holds stops showing at once (`dropApplied`), in the same render as
 *   the replica: replaying it on top would count it twice.
 */
import type { Signal } from '@preact/signals';
import type { Change, MutationId, UserId } from '../../protocol/index.ts';
import type { OutboxEntry } from '../../contract/index.ts';

interface Provisional {
  entry: OutboxEntry;
  /** Dropped once an outbox broadcast with this seq (same SW instance) or later has arrived. */
  untilSeq: number;
  swInstance: string | null;
}

export class ProvisionalOutbox {
  /** The worker's entries of the signed-in user, as last broadcast or read. */
  private worker: OutboxEntry[] = [];
  private readonly provisional = new Map<MutationId, Provisional>();
  /** The seq of the last outbox broadcast. */
  private seq = 0;
  /** Bumped by every outbox broadcast, so a slower IndexedDB read never overwrites it. */
  private version = 0;

  constructor(
    private readonly outbox: Signal<OutboxEntry[]>,
    /** The signed-in user. */
    private readonly me: () => UserId | undefined,
    /** The worker instance whose broadcasts the page follows now. */
    private readonly instance: () => string | null,
  ) {}

  /** Before reading IndexedDB: the mark `fromRead` compares. */
  readAt(): number {
    return this.version;
  }

  /** The outbox read from IndexedDB, started at `at`; dropped if a broadcast came meanwhile. */
  fromRead(entries: OutboxEntry[], at: number): void {
    if (this.version === at) this.setWorker(entries);
  }

  /** The worker's outbox broadcast number `seq`. */
  fromBroadcast(entries: OutboxEntry[], seq: number): void {
    this.seq = seq;
    this.version++;
    this.setWorker(entries);
  }

  /** The order a new entry shows at: after everything shown. */
  nextOrder(): number {
    return Math.max(0, ...this.outbox.value.map((e) => e.order)) + 1;
  }

  /** A mutation this tab made, shown at once; the worker has not answered yet. */
  add(entry: OutboxEntry): void {
    this.provisional.set(entry.mutation.id, { entry, untilSeq: Infinity, swInstance: null });
    this.publish();
  }

  /** The worker answered `queued`: its entry is in the outbox broadcast `outboxSeq` of `swInstance`. */
  queued(id: MutationId, entry: OutboxEntry, outboxSeq: number, swInstance: string): void {
    this.provisional.set(id, { entry, untilSeq: outboxSeq, swInstance });
    this.setWorker(this.worker);
  }

  /** The mutation no longer shows as provisional (refused, or taken before and no longer pending). */
  drop(id: MutationId): void {
    this.provisional.delete(id);
    this.publish();
  }

  /** Forgets a provisional entry without showing the change yet (the worker's broadcast follows). */
  forget(id: MutationId): void {
    this.provisional.delete(id);
  }

  /** Mutations whose changes the replica now holds stop showing (the worker's broadcast saying so follows). */
  dropApplied(changes: Change[]): void {
    const applied = new Set(changes.map((c) => c.mutationId).filter((id) => id !== null));
    if (applied.size === 0) return;
    const before = this.worker.length + this.provisional.size;
    this.worker = this.worker.filter((e) => !applied.has(e.mutation.id));
    for (const id of applied) this.provisional.delete(id);
    if (this.worker.length + this.provisional.size !== before) this.publish();
  }

  /** Signed out: nothing shows. */
  clear(): void {
    this.worker = [];
    this.provisional.clear();
    this.publish();
  }

  private setWorker(entries: OutboxEntry[]): void {
    const me = this.me();
    this.worker = entries.filter((e) => e.userId === me);
    for (const [id, p] of this.provisional) {
      if (p.swInstance === this.instance() && this.seq >= p.untilSeq) this.provisional.delete(id);
    }
    this.publish();
  }

  private publish(): void {
    const ids = new Set(this.worker.map((e) => e.mutation.id));
    const extra = [...this.provisional.values()].map((p) => p.entry).filter((e) => !ids.has(e.mutation.id));
    this.outbox.value = [...this.worker, ...extra].sort((a, b) => a.order - b.order);
  }
}
