/**
 * The service worker's transactions over the local database (contract/local-db/): each method is one
 * transaction that does only IndexedDB work (network happens before or after, never inside). Outbox writes
 * are `strict`, so a `queued` answer means the mutation is on disk.
 *
 * Invariants:
 * - Replica changes and the cursor that covers them commit together, with any outbox entries they settle:
 *   a tab never sees an applied mutation leave the outbox before its change is in the replica.
 * - A replica record only moves forward in version; deletions leave tombstones so a stale change cannot
 *   bring a widget back.
 * - The replica belongs to one user (`replicaOwner`); another user's sign-in clears it (never their outbox).
 *
 * Over 300 lines and still one concept: the worker's transactions. Outbox and replica writes share the
 * transactions that settle them (the first invariant), so they cannot live in separate modules without
 * one of them opening the other's transaction.
 */
import type { IDBPTransaction } from 'idb';
import type { Change, DashboardId, Mutation, MutationId, User, UserId, Widget, WidgetId } from '../protocol/index.ts';
import { OutboxCopy, type ActivityEntry, type ConflictPolicy, type MutateFrom, type OutboxChange, type OutboxEntry } from '../contract/index.ts';
import {
  DbHandle,
  bumpOutboxGen,
  ensureClientId,
  getMeta,
  movesForward,
  readCursor,
  setMeta,
  userOutbox,
  validCursor,
  validOutbox,
  validReplica,
  type CursorRecord,
  type FieldboardSchema,
} from '../contract/local-db/index.ts';
import { planAppend } from './outbox.ts';
import { OutboxChanges, type OutboxWrite } from './outbox-changes.ts';
import { admit } from './tab-order.ts';

/** What `append` did: `queued` (new, or the same id already stored), `duplicate`, or `out-of-order`. */
export type Appended =
  /** `taken`: stored as `sending`, for the drain to push at once (`sendIfAlone`, Drain.take). */
  | { kind: 'queued'; entry: OutboxEntry; taken: boolean }
  | { kind: 'duplicate'; entry: null }
  | { kind: 'out-of-order'; expected: number };

export type ReplicaUpdate =
  | { dashboardId: DashboardId; kind: 'changes'; changes: Change[]; seq: number | null; epoch: string | null }
  | { dashboardId: DashboardId; kind: 'reset'; epoch: string; seq: number; widgets: Widget[] };

export interface Commit {
  replica?: ReplicaUpdate[];
  remove?: MutationId[];
  /** New entries (re-issued mutations). */
  put?: OutboxEntry[];
  /** New states of existing entries; skipped for entries no longer there. */
  update?: OutboxEntry[];
  activity?: { userId: UserId; entry: ActivityEntry }[];
}

type Stores = ('outbox' | 'widgets' | 'cursors' | 'meta' | 'activity')[];
type RwTx = IDBPTransaction<FieldboardSchema, Stores, 'readwrite'>;

const ACTIVITY_KEEP = 200;
const WATCHED_KEEP = 20;

export interface Restored {
  clientId: import('../protocol/index.ts').ClientId;
  identity: User | null;
  policy: ConflictPolicy;
  watched: DashboardId[];
}

/**
 * The outbox of one user as this worker last read or wrote it. A drain reads the whole outbox several
 * times per batch; reading and validating 10,000 entries from IndexedDB each time made draining quadratic.
 * IndexedDB stays the truth: every transaction that writes the outbox bumps `outboxGen` in meta, and a
 * read checks the generation and the number of the user's entries first (two small requests), so a write
 * this copy did not see (another worker; an older version that does not bump the generation, if it adds or
 * removes entries) makes the next read go to IndexedDB.
 */
interface OutboxMirror {
  /** The connection it was read through: a database deleted and opened again starts over. */
  db: object;
  userId: UserId;
  /** The user's entries by id and in outbox order, at its generation, following each write in place. */
  copy: OutboxCopy;
}

export class SwStore {
  private mirror: OutboxMirror | null = null;
  /**
   * The outbox writes since the last outbox broadcast (outbox-changes.ts). Taking a delta is no IndexedDB
   * work, so nothing can stop the worker between a commit and the broadcast of its delta.
   */
  readonly changes = new OutboxChanges();

  constructor(readonly handle: DbHandle = new DbHandle()) {}

  /** Bumps the outbox generation inside a writing transaction; answers the new one. */
  private bump(tx: RwTx): Promise<number> {
    return bumpOutboxGen(tx);
  }

  /** After a committed write: the mirror follows it if it saw the previous generation, else it goes. */
  private follow(w: OutboxWrite): void {
    const m = this.mirror;
    const upserted = w.written.map((e) => Object.freeze(e));
    if (m?.copy.apply({ from: w.gen - 1, gen: w.gen, upserted, removed: [...w.removed] }) !== 'applied') this.mirror = null;
  }

  /** Runs an outbox write; a failure forgets the mirror (IndexedDB is read again next time). */
  private async writing<T>(fn: () => Promise<{ result: T; write: OutboxWrite | null }>): Promise<T> {
    try {
      const { result, write } = await fn();
      if (write) {
        this.follow(write);
        this.changes.wrote(write);
      }
      return result;
    } catch (e) {
      this.mirror = null;
      this.changes.lose();
      throw e;
    }
  }

  private mirrored(db: object, userId: UserId, gen: number, count: number): OutboxEntry[] | null {
    const m = this.mirror;
    if (!m || m.db !== db || m.userId !== userId || m.copy.gen !== gen || m.copy.size !== count) return null;
    return [...m.copy.entries];
  }

  private remember(db: object, userId: UserId, gen: number, entries: OutboxEntry[]): void {
    const copy = new OutboxCopy((e) => e.userId === userId);
    copy.replace(entries.map((e) => Object.freeze(e)), gen);
    this.mirror = { db, userId, copy };
  }

  private async rw(stores: Stores, strict = true): Promise<RwTx> {
    const db = await this.handle.get();
    return db.transaction(stores, 'readwrite', { durability: strict ? 'strict' : 'default' }) as unknown as RwTx;
  }

  /**
   * Everything the SW needs after a (re)start. Entries left `sending` by a stopped SW become `queued`,
   * counted as an attempt: they may have reached the server, so they must never be coalesced.
   */
  async restore(): Promise<Restored> {
    const db = await this.handle.get();
    const clientId = await ensureClientId(db);
    const tx = await this.rw(['outbox', 'meta']);
    const identity = (await getMeta(tx, 'identity')) ?? null;
    const policy = (await getMeta(tx, 'policy')) ?? 'manual';
    const watched = (await getMeta(tx, 'watched')) ?? [];
    // One read of every entry, not a cursor step per entry (a round trip each: seconds at every start with
    // 10,000 pending), and the requeued ones written together.
    const outbox = tx.objectStore('outbox');
    const sending = ((await outbox.getAll()) as OutboxEntry[]).filter((e) => e.state === 'sending');
    await Promise.all(sending.map((e) => outbox.put({ ...e, state: 'queued', attempts: e.attempts + 1 })));
    if (sending.length) await this.bump(tx);
    await tx.done;
    this.mirror = null;
    this.changes.lose();
    return { clientId, identity, policy, watched };
  }

  /** The user's outbox in outbox order (entries are frozen: change one by writing a copy). */
  async outbox(userId: UserId): Promise<OutboxEntry[]> {
    return (await this.outboxAt(userId)).entries;
  }

  /** The user's outbox and the generation it is at (one transaction); no user: nothing, at the generation. */
  private async outboxAt(userId: UserId | null): Promise<{ gen: number; entries: OutboxEntry[] }> {
    const db = await this.handle.get();
    const tx = db.transaction(['outbox', 'meta']);
    const gen = getMeta(tx, 'outboxGen').then((g) => g ?? 0);
    if (!userId) return { gen: await gen, entries: [] };
    const mine = userOutbox(tx, userId);
    const count = await mine.count();
    const cached = this.mirrored(db, userId, await gen, count);
    if (cached) return { gen: await gen, entries: cached };
    const entries = await mine.entries();
    this.remember(db, userId, await gen, entries);
    return { gen: await gen, entries: [...entries] };
  }

  /**
   * The whole outbox of `userId` as the next outbox broadcast, when `changes` cannot say what changed (the
   * worker just started, the user changed, a write it did not make): docs/service-worker.md, "Outbox
   * broadcasts are deltas".
   */
  async wholeOutbox(userId: UserId | null): Promise<OutboxChange> {
    const { gen, entries } = await this.outboxAt(userId);
    this.changes.whole(userId, gen);
    return { from: null, gen, upserted: entries, removed: [] };
  }

  /** Appends (or coalesces) in one strict transaction; answers the entry as stored and the new outbox. */
  /** `seen`: the widget the edit began from, as the tab says (see edit-base.ts). */
  /**
   * Appends a tab's mutation in one strict transaction. With `from` (the tab's numbering, tab-order.ts) a
   * post the worker took before answers `duplicate`, and one ahead of a mutation the tab still waits for is
   * refused `out-of-order`; without it, the same mutation id twice answers what is stored.
   */
  append(userId: UserId, mutation: Mutation, seen?: Widget | null): Promise<Extract<Appended, { kind: 'queued' }>>;
  append(userId: UserId, mutation: Mutation, seen: Widget | null, from: MutateFrom | undefined, now: number, sendIfAlone?: boolean): Promise<Appended>;
  async append(userId: UserId, mutation: Mutation, seen: Widget | null = null, from?: MutateFrom, now = 0, sendIfAlone = false): Promise<Appended> {
    return this.writing<Appended>(async () => {
      const db = await this.handle.get();
      const tx = await this.rw(['outbox', 'widgets', 'meta']);
      const outbox = tx.objectStore('outbox');
      // Every read at once and every write at once: a transaction runs its requests in order, and a round
      // trip per request was most of an append's time (docs/service-worker.md "Draining the outbox").
      const [existing, tabs, widgetRaw, nextOrder, baseRaw, genBefore] = await Promise.all([
        outbox.get(mutation.id),
        from ? getMeta(tx, 'tabs') : undefined,
        outbox.index('by-widget').getAll([mutation.dashboardId, mutation.args.widgetId]),
        getMeta(tx, 'nextOrder'),
        tx.objectStore('widgets').get([mutation.dashboardId, mutation.args.widgetId]),
        getMeta(tx, 'outboxGen'),
      ]);
      if (existing) {
        // The same mutation twice (a tab posted it again): answer what is stored.
        await tx.done;
        return { result: { kind: 'queued', entry: validOutbox([existing])[0] ?? existing, taken: false }, write: null };
      }
      const admission = from ? admit(tabs ?? {}, from, now) : null;
      if (admission && admission.kind !== 'take') {
        await tx.done;
        const result: Appended = admission.kind === 'duplicate' ? { kind: 'duplicate', entry: null } : admission;
        return { result, write: null };
      }
      const widgetEntries = validOutbox(widgetRaw).sort((a, b) => a.order - b.order);
      const order = nextOrder ?? 1;
      const plan = planAppend({ widgetEntries, mutation, userId, order, replica: validReplica(baseRaw)?.widget ?? null, seen });
      // Alone in the outbox (the in-memory copy, current at this generation, holds none of the user's
      // entries; no copy: not known) and asked to: stored as `sending`, so the drain pushes it without a
      // second transaction (the `sending` mark is durable before it leaves, as always; Drain.take).
      const taken = sendIfAlone && !plan.replaces && this.mirrored(db, userId, genBefore ?? 0, 0) !== null;
      const put: OutboxEntry = taken ? { ...plan.put, state: 'sending' } : plan.put;
      const gen = (genBefore ?? 0) + 1;
      await Promise.all([
        plan.replaces ? outbox.delete(plan.replaces) : undefined,
        outbox.put(put),
        setMeta(tx, 'nextOrder', order + 1),
        admission ? setMeta(tx, 'tabs', admission.log) : undefined,
        setMeta(tx, 'outboxGen', gen),
      ]);
      await tx.done;
      return { result: { kind: 'queued', entry: put, taken }, write: { gen, removed: plan.replaces ? [plan.replaces] : [], written: [put] } };
    });
  }

  async setState(entries: OutboxEntry[]): Promise<void> {
    await this.commit({ update: entries });
  }

  /** One transaction for replica updates, outbox settlement and activity. */
  async commit(c: Commit): Promise<void> {
    const touchesOutbox = (c.put?.length ?? 0) + (c.update?.length ?? 0) + (c.remove?.length ?? 0) > 0;
    return this.writing(async () => {
      const tx = await this.rw(['outbox', 'widgets', 'cursors', 'meta', 'activity'], touchesOutbox);
      for (const u of c.replica ?? []) await applyReplica(tx, u);
      const outbox = tx.objectStore('outbox');
      // Requests are issued together and awaited once: a transaction runs its requests in the order they
      // were made, and awaiting each one cost a task per request (500 entries: 1,000 round trips, 400 ms;
      // docs/service-worker.md "Draining the outbox").
      // A settle finds most of its batch removed already (the server's echo of the changes proved them
      // applied): only what is still there is deleted, and a commit that then writes nothing to the outbox
      // leaves its generation alone.
      const remove = c.remove ?? [];
      const held = await Promise.all(remove.map((id) => outbox.getKey(id)));
      const removed = remove.filter((_, i) => held[i] !== undefined);
      await Promise.all([...removed.map((id) => outbox.delete(id)), ...(c.put ?? []).map((e) => outbox.put(e))]);
      const written: OutboxEntry[] = [...(c.put ?? [])];
      const update = c.update ?? [];
      // An entry removed meanwhile (discarded, resolved, signed out with discard) must not come back.
      const present = await Promise.all(update.map((e) => outbox.getKey(e.mutation.id)));
      const kept = update.filter((_, i) => present[i] !== undefined);
      await Promise.all(kept.map((e) => outbox.put(e)));
      written.push(...kept);
      const gen = removed.length + written.length > 0 ? await this.bump(tx) : null;
      await this.commitActivity(tx, c);
      await tx.done;
      return { result: undefined, write: gen === null ? null : { gen, removed, written } };
    });
  }

  private async commitActivity(tx: RwTx, c: Commit): Promise<void> {
    if (c.activity?.length) {
      const store = tx.objectStore('activity');
      await Promise.all(c.activity.map((a) => store.add(a)));
      const count = await store.count();
      if (count > ACTIVITY_KEEP) {
        let cursor = await store.openCursor();
        for (let n = count - ACTIVITY_KEEP; cursor && n > 0; n--) {
          await cursor.delete();
          cursor = await cursor.continue();
        }
      }
    }
  }

  async cursor(dashboardId: DashboardId): Promise<CursorRecord | null> {
    return readCursor(await this.handle.get(), dashboardId);
  }

  async cursors(ids: DashboardId[]): Promise<Map<DashboardId, CursorRecord>> {
    const db = await this.handle.get();
    const tx = db.transaction('cursors');
    const out = new Map<DashboardId, CursorRecord>();
    const read = await Promise.all(ids.map((id) => tx.store.get(id)));
    ids.forEach((id, i) => {
      const c = validCursor(read[i]);
      if (c) out.set(id, c);
    });
    return out;
  }

  async replicaWidget(dashboardId: DashboardId, widgetId: WidgetId): Promise<Widget | null> {
    const db = await this.handle.get();
    return validReplica(await db.get('widgets', [dashboardId, widgetId]))?.widget ?? null;
  }

  /**
   * Adopts an identity. Another user than the replica's owner: their replica and cursors go (the outbox
   * stays, keyed by user). null: nobody is signed in.
   */
  async setIdentity(user: User | null): Promise<void> {
    const tx = await this.rw(['widgets', 'cursors', 'meta']);
    await setMeta(tx, 'identity', user);
    if (user) {
      const owner = (await getMeta(tx, 'replicaOwner')) ?? null;
      if (owner !== user.id) {
        await tx.objectStore('widgets').clear();
        await tx.objectStore('cursors').clear();
        await setMeta(tx, 'watched', []);
        await setMeta(tx, 'replicaOwner', user.id);
      }
    }
    await tx.done;
  }

  async setPolicy(policy: ConflictPolicy): Promise<void> {
    const tx = await this.rw(['meta']);
    await setMeta(tx, 'policy', policy);
    await tx.done;
  }

  /** Most recent first, bounded; answers the new list. */
  async addWatched(ids: DashboardId[]): Promise<DashboardId[]> {
    const tx = await this.rw(['meta'], false);
    const before = (await getMeta(tx, 'watched')) ?? [];
    const next = [...ids, ...before.filter((d) => !ids.includes(d))].slice(0, WATCHED_KEEP);
    await setMeta(tx, 'watched', next);
    await tx.done;
    return next;
  }

  /** Removes one of the user's entries; false if it was not there (or not theirs). */
  async discard(userId: UserId, id: MutationId): Promise<OutboxEntry | null> {
    return this.writing(async () => {
      const tx = await this.rw(['outbox', 'meta']);
      const e = await tx.objectStore('outbox').get(id);
      if (!e || e.userId !== userId) {
        await tx.done;
        return { result: null, write: null };
      }
      await tx.objectStore('outbox').delete(id);
      const gen = await this.bump(tx);
      await tx.done;
      return { result: e, write: { gen, removed: [id], written: [] } };
    });
  }

  /** Signs out: answers how many entries the user had, deleting them when asked. */
  async signOut(userId: UserId, discard: boolean): Promise<number> {
    return this.writing(async () => {
      const tx = await this.rw(['outbox', 'meta']);
      const keys = await userOutbox(tx, userId).keys();
      if (discard) await Promise.all(keys.map((k) => tx.objectStore('outbox').delete(k)));
      await setMeta(tx, 'identity', null);
      const gen = discard && keys.length ? await this.bump(tx) : null;
      await tx.done;
      return { result: keys.length, write: gen === null ? null : { gen, removed: keys, written: [] } };
    });
  }
}

async function applyReplica(tx: RwTx, u: ReplicaUpdate): Promise<void> {
  const widgets = tx.objectStore('widgets');
  const cursors = tx.objectStore('cursors');
  const before = validCursor(await cursors.get(u.dashboardId));
  if (u.kind === 'reset') {
    const keys = await widgets.index('by-dashboard').getAllKeys(u.dashboardId);
    await Promise.all([
      ...keys.map((k) => widgets.delete(k)),
      ...u.widgets.map((w) => widgets.put({ dashboardId: u.dashboardId, widgetId: w.id, version: w.version, widget: w })),
      cursors.put({ dashboardId: u.dashboardId, cursor: u.seq, epoch: u.epoch }),
    ]);
    return;
  }
  // Only each widget's newest change can move it forward; its record is read once and written at most once.
  const newest = new Map<string, Change>();
  for (const c of u.changes) {
    const held = newest.get(c.widgetId);
    if (!held || c.version > held.version) newest.set(c.widgetId, c);
  }
  const latest = [...newest.values()];
  const olds = await Promise.all(latest.map((c) => widgets.get([u.dashboardId, c.widgetId])));
  await Promise.all(
    latest
      .filter((c, i) => movesForward(validReplica(olds[i])?.version, c.version))
      .map((c) => widgets.put({ dashboardId: u.dashboardId, widgetId: c.widgetId, version: c.version, widget: c.widget })),
  );
  const top = Math.max(u.seq ?? 0, ...u.changes.map((c) => c.seq));
  const epoch = u.epoch ?? before?.epoch ?? null;
  if (epoch !== null && (before === null || top > before.cursor || before.epoch !== epoch)) {
    await cursors.put({ dashboardId: u.dashboardId, cursor: Math.max(top, before?.epoch === epoch ? before.cursor : 0), epoch });
  }
}
