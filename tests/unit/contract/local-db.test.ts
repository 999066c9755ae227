/**
 * IndexedDB schema and migrations (contract/local-db/): a database left by an older version of the app, written with
 * raw IndexedDB in that version's shape, opens with the current code with its data kept; records that fail
 * validation are skipped and reported, never trusted and never fatal.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientId } from '../../../protocol/index.ts';
import type { OutboxEntry } from '../../../contract/index.ts';
import {
  DB_VERSION,
  DbHandle,
  MIGRATIONS,
  dashboardsKey,
  ensureClientId,
  onInvalidRecord,
  openFieldboardDb,
  readActivity,
  readCursor,
  readDashboards,
  readIdentity,
  readOutbox,
  readPolicy,
  readReplica,
  setInvalidRecordReporter,
} from '../../../contract/local-db/index.ts';
import { SwStore } from '../../../sw/store.ts';
import { ALICE, BOB, D1, WA, WB, counterWidget, entry, freshDbName, mk } from '../sw/helpers.ts';

/** Opens `name` at `version` with raw IndexedDB, running `upgrade` as that version of the app did. */
function rawOpen(name: string, version: number, upgrade?: (db: IDBDatabase, tx: IDBTransaction, oldVersion: number) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = (e) => upgrade?.(req.result, req.transaction!, e.oldVersion);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Writes records in one raw transaction: [store, value, key?]. */
function rawPut(db: IDBDatabase, records: [string, unknown, IDBValidKey?][]): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction([...new Set(records.map((r) => r[0]))], 'readwrite');
    for (const [store, value, key] of records) tx.objectStore(store).put(value, key);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

/** The version-1 schema exactly as the first release created it (keyPaths and index names included). */
function createV1(db: IDBDatabase): void {
  const outbox = db.createObjectStore('outbox', { keyPath: 'mutation.id' });
  outbox.createIndex('by-user-order', ['userId', 'order']);
  outbox.createIndex('by-widget', ['mutation.dashboardId', 'mutation.args.widgetId']);
  const widgets = db.createObjectStore('widgets', { keyPath: ['dashboardId', 'widgetId'] });
  widgets.createIndex('by-dashboard', 'dashboardId');
  db.createObjectStore('cursors', { keyPath: 'dashboardId' });
  db.createObjectStore('meta');
}

let invalid: [string, string][] = [];
const defaultReporter = onInvalidRecord;
beforeEach(() => {
  invalid = [];
  setInvalidRecordReporter((store, message) => invalid.push([store, message]));
});
afterEach(() => setInvalidRecordReporter(defaultReporter));

describe('schema versions', () => {
  it('the current version is the number of migrations, and a fresh database has every store and index', async () => {
    expect(DB_VERSION).toBe(MIGRATIONS.length);
    expect(DB_VERSION).toBe(2);
    const db = await openFieldboardDb({ name: freshDbName() });
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['activity', 'cursors', 'meta', 'outbox', 'widgets']);
    const tx = db.transaction(['outbox', 'widgets', 'activity']);
    expect([...tx.objectStore('outbox').indexNames].sort()).toEqual(['by-user-order', 'by-widget']);
    expect([...tx.objectStore('widgets').indexNames]).toEqual(['by-dashboard']);
    expect([...tx.objectStore('activity').indexNames]).toEqual(['by-user']);
    db.close();
  });

  it('1 -> 2: a version-1 database written with raw IndexedDB keeps outbox, replica, cursor and meta, and gains activity', async () => {
    const name = freshDbName();
    const queued = entry(mk.set(WA, { title: 'Pumps 2' }), { order: 4, base: counterWidget(WA, 3) });
    const failed = entry(mk.add(WB, 5), { order: 5, state: 'failed', attempts: 2, nextAttemptAt: 99, lastError: 'HTTP 503 on push' });
    const bobs = entry(mk.add(WA, 1), { order: 6, userId: BOB.id });
    const old = await rawOpen(name, 1, (db) => createV1(db));
    await rawPut(old, [
      ['outbox', queued],
      ['outbox', failed],
      ['outbox', bobs],
      ['widgets', { dashboardId: D1, widgetId: WA, version: 3, widget: counterWidget(WA, 3, 7) }],
      ['widgets', { dashboardId: D1, widgetId: WB, version: 2, widget: null }], // a tombstone
      ['cursors', { dashboardId: D1, cursor: 41, epoch: 'e1' }],
      ['meta', 'c_fromv1', 'clientId'],
      ['meta', ALICE, 'identity'],
      ['meta', ALICE.id, 'replicaOwner'],
      ['meta', 'remote-wins', 'policy'],
      ['meta', 7, 'nextOrder'],
      ['meta', [{ id: D1, name: 'Plant' }], dashboardsKey(ALICE.id)],
    ]);
    old.close();

    const db = await openFieldboardDb({ name });
    expect(db.version).toBe(2);
    expect(db.objectStoreNames.contains('activity')).toBe(true);
    expect((await readOutbox(db, ALICE.id)).entries).toEqual([queued, failed]);
    expect((await readOutbox(db, BOB.id)).entries).toEqual([bobs]);
    expect(await readReplica(db, D1, ALICE.id)).toEqual([counterWidget(WA, 3, 7)]);
    expect(await readCursor(db, D1)).toEqual({ dashboardId: D1, cursor: 41, epoch: 'e1' });
    expect(await readIdentity(db)).toEqual(ALICE);
    expect(await readPolicy(db)).toBe('remote-wins');
    expect(await ensureClientId(db)).toBe('c_fromv1');
    expect(await readDashboards(db, ALICE.id)).toEqual([{ id: D1, name: 'Plant' }]);
    expect(await readActivity(db, ALICE.id)).toEqual([]);
    // The old indexes still answer (by widget, used by coalescing).
    expect(await db.getAllFromIndex('outbox', 'by-widget', [D1, WB])).toEqual([failed]);
    expect(invalid).toEqual([]);
    db.close();

    // The migrated database works for the engine's store: the order continues, the data is used.
    const store = new SwStore(new DbHandle(name));
    const restored = await store.restore();
    expect(restored).toEqual({ clientId: 'c_fromv1', identity: ALICE, policy: 'remote-wins', watched: [] });
    const { entry: appended } = await store.append(ALICE.id, mk.add(WA, 1, { clientId: 'c_fromv1' as ClientId }));
    expect(appended.order).toBe(7);
    expect(appended.base).toEqual(counterWidget(WA, 3, 7));
    await store.handle.close();
  });

  it('the code opens an older version on request and upgrades it later (step by step, data kept)', async () => {
    const name = freshDbName();
    const v1 = await openFieldboardDb({ name, version: 1 });
    expect([...v1.objectStoreNames].sort()).toEqual(['cursors', 'meta', 'outbox', 'widgets']);
    const e = entry(mk.add(WA, 2));
    await v1.put('outbox', e);
    v1.close();
    const v2 = await openFieldboardDb({ name });
    expect(v2.version).toBe(2);
    expect((await readOutbox(v2, ALICE.id)).entries).toEqual([e]);
    v2.close();
  });

  it('an open older connection steps aside (blocking) so an updated worker can upgrade, and reports it', async () => {
    const name = freshDbName();
    let closed = 0;
    const v1 = await openFieldboardDb({ name, version: 1, onClosed: () => closed++ });
    await v1.put('meta', 'c_old', 'clientId');
    const v2 = await openFieldboardDb({ name }); // would hang if v1 did not close
    expect(closed).toBe(1);
    expect(v2.version).toBe(2);
    expect(await ensureClientId(v2)).toBe('c_old');
    v2.close();
  });

  it('DbHandle steps aside for a newer version and caches neither the closed nor a refused connection', async () => {
    const name = freshDbName();
    const handle = new DbHandle(name);
    const first = await handle.get();
    await first.put('meta', 'c_keep', 'clientId');
    // Another context bumps the version (a newer app with a third migration would do this).
    const newer = await rawOpen(name, DB_VERSION + 1);
    newer.close();
    // The handle forgot its closed connection; the next get() opens again, now refused as too old...
    await expect(handle.get()).rejects.toMatchObject({ name: 'VersionError' });
    // ...and a refused open is not cached either: every get() tries again.
    await expect(handle.get()).rejects.toMatchObject({ name: 'VersionError' });
    await new Promise((resolve, reject) => {
      const req = indexedDB.deleteDatabase(name);
      req.onsuccess = resolve;
      req.onerror = () => reject(req.error);
    });
    const again = await handle.get();
    expect(again.version).toBe(DB_VERSION);
    await handle.close();
  });

  it('a database newer than the code is refused with VersionError, not silently downgraded', async () => {
    const name = freshDbName();
    const newer = await rawOpen(name, DB_VERSION + 1, (db) => createV1(db));
    newer.close();
    await expect(openFieldboardDb({ name })).rejects.toMatchObject({ name: 'VersionError' });
  });
});

describe('records that fail validation', () => {
  async function seeded(records: [string, unknown, IDBValidKey?][]) {
    const name = freshDbName();
    const db = await openFieldboardDb({ name });
    db.close();
    const raw = await rawOpen(name, DB_VERSION);
    await rawPut(raw, records);
    raw.close();
    return { name, db: await openFieldboardDb({ name }) };
  }

  it('an invalid outbox record is skipped and reported; valid ones around it are read in order', async () => {
    const good1 = entry(mk.add(WA, 1), { order: 1 });
    const good2 = entry(mk.add(WA, 2), { order: 3 });
    const { db } = await seeded([
      ['outbox', good1],
      ['outbox', { mutation: { id: 'm_broken', name: 'counter.add', args: { widgetId: WA, delta: 'lots' } }, userId: ALICE.id, order: 2 }],
      ['outbox', good2],
    ]);
    expect((await readOutbox(db, ALICE.id)).entries).toEqual([good1, good2]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0][0]).toBe('outbox');
    db.close();
  });

  it('invalid replica, cursor, meta, dashboards and activity records read as missing', async () => {
    const { db } = await seeded([
      ['widgets', { dashboardId: D1, widgetId: WA, version: 2, widget: { id: WA, kind: 'counter', value: 'NaN' } }],
      ['widgets', { dashboardId: D1, widgetId: WB, version: 1, widget: counterWidget(WB, 1) }],
      ['cursors', { dashboardId: D1, cursor: 'forty', epoch: 'e1' }],
      ['meta', { id: 'not-a-user' }, 'identity'],
      ['meta', 'whoever-is-loudest', 'policy'],
      ['meta', ALICE.id, 'replicaOwner'],
      ['meta', [{ id: 'x' }], dashboardsKey(ALICE.id)],
      ['activity', { userId: ALICE.id, entry: { at: 'yesterday' } }],
      ['activity', { userId: ALICE.id, entry: { at: 5, dashboardId: D1, widgetId: WA, kind: 'rejected', message: 'ok' } }],
    ]);
    expect(await readReplica(db, D1, ALICE.id)).toEqual([counterWidget(WB, 1)]);
    expect(await readCursor(db, D1)).toBeNull();
    expect(await readIdentity(db)).toBeNull();
    expect(await readPolicy(db)).toBe('manual');
    expect(await readDashboards(db, ALICE.id)).toEqual([]);
    expect(await readActivity(db, ALICE.id)).toEqual([{ at: 5, dashboardId: D1, widgetId: WA, kind: 'rejected', message: 'ok' }]);
    expect(invalid.map(([store]) => store).sort()).toEqual(
      ['activity', 'cursors', 'meta.dashboards', 'meta.identity', 'meta.policy', 'widgets'].sort(),
    );
    db.close();
  });

  it('a missing record is not reported as invalid', async () => {
    const db = await openFieldboardDb({ name: freshDbName() });
    expect(await readCursor(db, D1)).toBeNull();
    expect(await readReplica(db, D1, ALICE.id)).toEqual([]);
    expect(await readIdentity(db)).toBeNull();
    expect(invalid).toEqual([]);
    db.close();
  });

  it('an invalid client id is replaced by a fresh valid one', async () => {
    const { db } = await seeded([['meta', 'not a client id', 'clientId']]);
    const id = await ensureClientId(db);
    expect(id).toMatch(/^c_[0-9A-Z]{26}$/);
    expect(await ensureClientId(db)).toBe(id);
    db.close();
  });

  it('the engine store restores past invalid records instead of crashing, and never drains them', async () => {
    const good = entry(mk.add(WA, 1), { order: 1, state: 'sending' });
    const { name, db } = await seeded([
      ['outbox', good],
      ['outbox', { mutation: { id: 'm_junk' }, userId: ALICE.id, order: 2, state: 'sending' }],
      ['meta', 17, 'watched'],
      ['meta', ALICE, 'identity'],
    ]);
    db.close();
    const store = new SwStore(new DbHandle(name));
    const r = await store.restore();
    expect(r.identity).toEqual(ALICE);
    expect(r.watched).toEqual([]);
    const outbox = await store.outbox(ALICE.id);
    expect(outbox.map((e: OutboxEntry) => e.mutation.id)).toEqual([good.mutation.id]);
    await store.handle.close();
  });
});
