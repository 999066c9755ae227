/**
 * The page's outbox: the worker's outbox as last broadcast or read from IndexedDB, plus the provisional
 * entries of mutations this tab made that the worker's outbox does not show yet (docs/service-worker.md
 * "Tabs: broadcasts in, commands out").
 *
 * The worker broadcasts its outbox as deltas, numbered by the outbox generation (docs/service-worker.md
 * "Outbox broadcasts are deltas"): the copy (contract/outbox-copy.ts) applies each in time that grows with
 * the delta, and one it cannot place (a generation missed) makes the page read IndexedDB again.
 *
 * A mutation shows from the moment `mutate` is called, as a provisional entry; the worker's answer says at
 * which outbox broadcast (`outboxSeq` of its `swInstance`) it is in the worker's outbox, and the entry stays
 * provisional until that broadcast or a later one of the same worker instance arrives.
 *
 * Invariants:
 * - `outbox` (the signal) is the worker's entries of the signed-in user, then every provisional entry the
 *   worker's list does not hold, in outbox order: the optimistic view never waits for a round trip and
 *   never drops an edit between the worker's answer and its broadcast.
 * - A read from IndexedDB is placed by its generation: the deltas heard while it ran are applied on top of
 *   it, those it already holds are skipped (`readAt` / `fromRead` / `readEnded`).
 * - A mutation whose change the replica holds stops showing at once (`dropApplied`), in the same render as
 *   the replica: replaying it on top would count it twice.
 */
import type { Signal } from '@preact/signals';
import type { Change, MutationId, UserId } from '../../protocol/index.ts';
import { OutboxCopy, compareOutbox, type OutboxChange, type OutboxEntry } from '../../contract/index.ts';

interface Provisional {
  entry: OutboxEntry;
  /** Dropped once an outbox broadcast with this seq (same SW instance) or later has arrived. */
  untilSeq: number;
  swInstance: string | null;
}

export class ProvisionalOutbox {
  /** The worker's entries of the signed-in user, as last broadcast or read. */
  private readonly worker: OutboxCopy;
  private readonly provisional = new Map<MutationId, Provisional>();
  /** The seq of the last outbox broadcast. */
  private seq = 0;
  /** Outbox broadcasts heard while reads of IndexedDB run (`heardBefore` were heard before the first kept). */
  private heard: OutboxChange[] = [];
  private heardBefore = 0;
  private reads = 0;

  constructor(
    private readonly outbox: Signal<OutboxEntry[]>,
    /** The signed-in user. */
    private readonly me: () => UserId | undefined,
    /** The worker instance whose broadcasts the page follows now. */
    private readonly instance: () => string | null,
    /** An outbox broadcast could not be placed: read IndexedDB again. */
    private readonly missed: () => void,
  ) {
    this.worker = new OutboxCopy((e) => e.userId === this.me());
  }

  /** Before reading IndexedDB: the mark `fromRead` takes. Every `readAt` is followed by one `readEnded`. */
  readAt(): number {
    this.reads++;
    return this.heardBefore + this.heard.length;
  }

  /**
   * The outbox read from IndexedDB at generation `gen`, started at mark `at`: it replaces the copy, and the
   * broadcasts heard since `at` are applied again on top (those the read already holds are skipped).
   */
  fromRead(entries: OutboxEntry[], gen: number, at: number): void {
    this.worker.replace(entries, gen);
    for (const change of this.heard.slice(at - this.heardBefore)) this.place(change);
    this.settle();
  }

  /** A read of IndexedDB ended (read or failed). */
  readEnded(): void {
    this.reads = Math.max(0, this.reads - 1);
    if (this.reads === 0) {
      this.heardBefore += this.heard.length;
      this.heard = [];
    }
  }

  /** The worker's outbox broadcast number `seq`. */
  fromBroadcast(change: OutboxChange, seq: number): void {
    this.seq = seq;
    if (this.reads > 0) this.heard.push(change);
    this.place(change);
    this.settle();
  }

  private place(change: OutboxChange): void {
    const r = this.worker.apply(change);
    // Unknown while a read runs: that read places it.
    if (r === 'gap' || (r === 'unknown' && this.reads === 0)) this.missed();
  }

  /** The order a new entry shows at: after everything shown. */
  nextOrder(): number {
    return (this.outbox.value.at(-1)?.order ?? 0) + 1;
  }

  /** A mutation this tab made, shown at once; the worker has not answered yet. */
  add(entry: OutboxEntry): void {
    this.provisional.set(entry.mutation.id, { entry, untilSeq: Infinity, swInstance: null });
    this.publish();
  }

  /** The worker answered `queued`: its entry is in the outbox broadcast `outboxSeq` of `swInstance`. */
  queued(id: MutationId, entry: OutboxEntry, outboxSeq: number, swInstance: string): void {
    this.provisional.set(id, { entry, untilSeq: outboxSeq, swInstance });
    this.settle();
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
    const applied = changes.map((c) => c.mutationId).filter((id) => id !== null);
    if (applied.length === 0) return;
    let dropped = this.worker.drop(applied);
    for (const id of applied) dropped = this.provisional.delete(id) || dropped;
    if (dropped) this.publish();
  }

  /** Signed out: nothing shows. */
  clear(): void {
    this.worker.replace([], null);
    this.provisional.clear();
    this.publish();
  }

  /** Provisional entries whose broadcast has arrived stop being provisional. */
  private settle(): void {
    for (const [id, p] of this.provisional) {
      if (p.swInstance === this.instance() && this.seq >= p.untilSeq) this.provisional.delete(id);
    }
    this.publish();
  }

  private publish(): void {
    const extra = [...this.provisional.values()].map((p) => p.entry).filter((e) => !this.worker.has(e.mutation.id));
    this.outbox.value = extra.length === 0 ? [...this.worker.entries] : merge(this.worker.entries, extra.sort(compareOutbox));
  }
}

/** Two lists in outbox order, merged (the provisional list is short). */
function merge(a: readonly OutboxEntry[], b: readonly OutboxEntry[]): OutboxEntry[] {
  const out: OutboxEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && compareOutbox(a[i]!, b[j]!) <= 0)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
