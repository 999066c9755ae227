/**
 * A tab's outbox from the worker's deltas (docs/service-worker.md, "Outbox broadcasts are deltas"): for any
 * run of outbox writes, broadcasts (some missed), and reads of IndexedDB that overlap them, the tab's outbox
 * (src/sync/provisional-outbox.ts over contract/outbox-copy.ts) ends equal to the outbox IndexedDB holds,
 * with the worker's side (sw/outbox-changes.ts) computing each delta only from the writes it made.
 */
import { signal } from '@preact/signals';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MutationId, UserId } from '../../../protocol/index.ts';
import { OutboxCopy, type OutboxChange, type OutboxEntry } from '../../../contract/index.ts';
import { newOutboxEntry } from '../../../contract/local-db/index.ts';
import { OutboxChanges } from '../../../sw/outbox-changes.ts';
import { ProvisionalOutbox } from '../../../src/sync/provisional-outbox.ts';
import { ALICE, BOB, WA, mk } from '../sw/helpers.ts';

const id = (k: number) => `m_k${k}` as MutationId;

/** IndexedDB as the model has it: entries by id and the generation every write bumps. */
class Db {
  gen = 0;
  nextOrder = 1;
  readonly rows = new Map<MutationId, OutboxEntry>();
  entries(user: UserId): OutboxEntry[] {
    return [...this.rows.values()].filter((e) => e.userId === user).sort((a, b) => a.order - b.order);
  }
}

type Op =
  /** `foreign`: a write this worker did not make (another worker, a restart's requeue): not recorded. */
  | { op: 'write'; put: { k: number; bob: boolean; attempts: number }[]; remove: number[]; foreign: boolean }
  | { op: 'flush' }
  | { op: 'deliver'; drop: boolean }
  | { op: 'read-start' }
  | { op: 'read-snapshot' }
  | { op: 'read-end' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('write' as const),
    put: fc.array(fc.record({ k: fc.nat(30), bob: fc.boolean(), attempts: fc.nat(3) }), { maxLength: 4 }),
    remove: fc.array(fc.nat(30), { maxLength: 3 }),
    foreign: fc.nat(4).map((n) => n === 0),
  }),
  fc.constant({ op: 'flush' as const }),
  fc.record({ op: fc.constant('deliver' as const), drop: fc.boolean() }),
  fc.constant({ op: 'read-start' as const }),
  fc.constant({ op: 'read-snapshot' as const }),
  fc.constant({ op: 'read-end' as const }),
);

function run(ops: Op[]): { tab: OutboxEntry[]; db: OutboxEntry[] } {
  const db = new Db();
  const changes = new OutboxChanges();
  const channel: { change: OutboxChange; seq: number }[] = [];
  let seq = 0;
  const shown = signal<OutboxEntry[]>([]);
  let missed = false;
  const tab = new ProvisionalOutbox(shown, () => ALICE.id, () => 'sw1', () => (missed = true));
  // Reads in flight: their mark, and what they read once their transaction ran.
  const reads: { at: number; snapshot: { gen: number; entries: OutboxEntry[] } | null }[] = [];
  let lastHeard = 0;

  const write = ({ put, remove, foreign }: Extract<Op, { op: 'write' }>) => {
    db.gen++;
    const written: OutboxEntry[] = [];
    for (const k of remove) db.rows.delete(id(k));
    for (const p of put) {
      const old = db.rows.get(id(p.k));
      const e = { ...newOutboxEntry(mk.add(WA, 1, { id: id(p.k) }), p.bob ? BOB.id : ALICE.id, old?.order ?? db.nextOrder++), attempts: p.attempts };
      db.rows.set(id(p.k), e);
      written.push(e);
    }
    // A write this worker did not make reaches tabs as another worker instance's broadcast: they read again.
    if (foreign) missed = true;
    else changes.wrote({ gen: db.gen, removed: remove.map(id), written });
  };
  const flush = () => {
    const change = changes.take(ALICE.id);
    if (change) channel.push({ change, seq: ++seq });
    else {
      changes.whole(ALICE.id, db.gen);
      channel.push({ change: { from: null, gen: db.gen, upserted: db.entries(ALICE.id), removed: [] }, seq: ++seq });
    }
  };
  const deliver = (drop: boolean) => {
    const m = channel.shift();
    if (!m) return;
    if (drop) return;
    // The broadcast follower's own check: a gap in seq means something was missed.
    if (m.seq !== lastHeard + 1) missed = true;
    lastHeard = m.seq;
    tab.fromBroadcast(m.change, m.seq);
  };
  const readStart = () => {
    missed = false;
    reads.push({ at: tab.readAt(), snapshot: null });
  };
  const snapshot = () => {
    const r = reads.find((x) => x.snapshot === null);
    if (r) r.snapshot = { gen: db.gen, entries: db.entries(ALICE.id) };
  };
  const readEnd = () => {
    const r = reads.findIndex((x) => x.snapshot !== null);
    if (r < 0) return;
    const [{ at, snapshot: s }] = reads.splice(r, 1) as [{ at: number; snapshot: { gen: number; entries: OutboxEntry[] } }];
    tab.fromRead(s.entries, s.gen, at);
    tab.readEnded();
  };

  readStart(); // first paint
  for (const o of ops) {
    if (o.op === 'write') write(o);
    else if (o.op === 'flush') flush();
    else if (o.op === 'deliver') deliver(o.drop);
    else if (o.op === 'read-start') readStart();
    else if (o.op === 'read-snapshot') snapshot();
    else readEnd();
  }
  // Quiet: the last writes are broadcast and heard, the reads finish, and one the tab asked for runs.
  flush();
  while (channel.length) deliver(false);
  while (reads.length) {
    snapshot();
    readEnd();
  }
  if (missed) {
    readStart();
    snapshot();
    readEnd();
  }
  return { tab: shown.value, db: db.entries(ALICE.id) };
}

describe('a tab following outbox deltas', () => {
  it('ends with the outbox IndexedDB holds, whatever it missed and however reads overlapped', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const { tab, db } = run(ops);
        expect(tab).toEqual(db);
      }),
      { numRuns: 500 },
    );
  });

  it('applies a delta in place: an entry changed keeps its position, a new one goes last, removed ones go', () => {
    const copy = new OutboxCopy();
    const e = (k: number, order: number, attempts = 0) => ({ ...newOutboxEntry(mk.add(WA, 1, { id: id(k) }), ALICE.id, order), attempts });
    copy.replace([e(1, 1), e(2, 2), e(3, 3)], 5);
    expect(copy.apply({ from: 5, gen: 6, upserted: [e(2, 2, 1), e(4, 4)], removed: [id(1)] })).toBe('applied');
    expect(copy.entries.map((x) => [x.mutation.id, x.attempts])).toEqual([[id(2), 1], [id(3), 0], [id(4), 0]]);
    expect(copy.apply({ from: 4, gen: 6, upserted: [], removed: [id(3)] })).toBe('applied'); // already at 6: the net change again is harmless
    expect(copy.apply({ from: 3, gen: 5, upserted: [e(9, 9)], removed: [] })).toBe('stale');
    expect(copy.apply({ from: 7, gen: 8, upserted: [], removed: [] })).toBe('gap');
    expect(copy.entries.map((x) => x.mutation.id)).toEqual([id(2), id(4)]);
  });
});
