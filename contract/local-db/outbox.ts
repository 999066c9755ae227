/**
 * The outbox in the local database: the one reader of a user's entries (the only place their key range is
 * written), the generation every outbox write bumps, and `newOutboxEntry`, the one constructor of an entry.
 *
 * Invariants:
 * - A user's entries are read through `userOutbox`, in outbox order (the `by-user-order` index), validated.
 * - Every transaction that writes the outbox bumps `outboxGen` (`bumpOutboxGen`): a worker's in-memory copy
 *   of the outbox is current while its generation matches (docs/service-worker.md "What is kept in
 *   IndexedDB").
 * - A new entry is `queued`, never attempted, due at once, with no error; it carries the widget it was made
 *   on (`base`) when one is known.
 */
import type { IDBPTransaction, StoreNames } from 'idb';
import type { Mutation, UserId, Widget } from '../../protocol/index.ts';
import type { OutboxEntry } from '../index.ts';
import { getMeta, setMeta, validOutbox } from './records.ts';
import type { FieldboardDb, FieldboardSchema } from './schema.ts';

type Tx = Pick<IDBPTransaction<FieldboardSchema, StoreNames<FieldboardSchema>[], 'readonly' | 'readwrite'>, 'objectStore'>;

/** One user's entries in a transaction over `outbox`: counted, read (validated, in order) or keyed. */
export function userOutbox(tx: Tx, userId: UserId) {
  const index = tx.objectStore('outbox').index('by-user-order');
  const range = IDBKeyRange.bound([userId, -Infinity], [userId, Infinity]);
  return {
    count: () => index.count(range),
    entries: async (): Promise<OutboxEntry[]> => validOutbox(await index.getAll(range)),
    keys: () => index.getAllKeys(range),
  };
}

/**
 * The user's outbox in outbox order and the generation it is at, read in one transaction (a page places the
 * read among the worker's outbox deltas by it: docs/service-worker.md, "Outbox broadcasts are deltas").
 * No user: no entries, at the current generation.
 */
export async function readOutbox(db: FieldboardDb, userId: UserId | null): Promise<{ gen: number; entries: OutboxEntry[] }> {
  const tx = db.transaction(['outbox', 'meta']);
  const [gen, entries] = await Promise.all([getMeta(tx, 'outboxGen'), userId ? userOutbox(tx, userId).entries() : []]);
  return { gen: gen ?? 0, entries };
}

/** Bumps the outbox generation inside a transaction that writes the outbox; answers the new one. */
export async function bumpOutboxGen(tx: IDBPTransaction<FieldboardSchema, StoreNames<FieldboardSchema>[], 'readwrite'>): Promise<number> {
  const gen = ((await getMeta(tx, 'outboxGen')) ?? 0) + 1;
  await setMeta(tx, 'outboxGen', gen);
  return gen;
}

/** A new outbox entry for `mutation` at `order`, made on `base` when known. */
export function newOutboxEntry(mutation: Mutation, userId: UserId, order: number, base: Widget | null = null): OutboxEntry {
  const entry: OutboxEntry = { mutation, userId, state: 'queued', order, attempts: 0, nextAttemptAt: 0, lastError: null };
  if (base) entry.base = base;
  return entry;
}
