/**
 * The local database's layout: its name, version, schema type, upgrade steps, and the handle that opens it.
 *
 * Why this lives in the client contract (contract/local-db/) and not in sw/: the IndexedDB layout is shared
 * by the service worker, which writes it, and the page, which paints from it before the worker answers and
 * re-reads it after a missed broadcast (docs/service-worker.md "What is kept in IndexedDB"). Both open it only
 * through this module: schema (here), validated reads (records.ts), the one outbox reader and the outbox
 * entry constructor (outbox.ts), and the replica-forward rule (replica.ts).
 *
 * Invariants:
 * - The database is independent of the service worker's version: an app update never loses the outbox.
 *   Schema changes are new entries in MIGRATIONS (never edits of old ones), each tested from the version
 *   before it (tests/unit/contract/local-db.test.ts).
 * - Callers never await anything but the transaction's own requests inside a transaction.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { DashboardId, MutationId, UserId, Widget, WidgetId } from '../../protocol/index.ts';
import type { ActivityEntry, OutboxEntry } from '../index.ts';

export const DB_NAME = 'fieldboard';

/** A replica record: the confirmed widget, or a tombstone (widget null) so a stale change cannot revive it. */
export interface ReplicaRecord {
  dashboardId: DashboardId;
  widgetId: WidgetId;
  version: number;
  widget: Widget | null;
}

export interface CursorRecord {
  dashboardId: DashboardId;
  cursor: number;
  epoch: string;
}

export interface ActivityRecord {
  userId: UserId;
  entry: ActivityEntry;
}

export interface FieldboardSchema extends DBSchema {
  outbox: {
    key: MutationId;
    value: OutboxEntry;
    indexes: { 'by-user-order': [UserId, number]; 'by-widget': [DashboardId, WidgetId] };
  };
  widgets: { key: [DashboardId, WidgetId]; value: ReplicaRecord; indexes: { 'by-dashboard': DashboardId } };
  cursors: { key: DashboardId; value: CursorRecord };
  meta: { key: string; value: unknown };
  activity: { key: number; value: ActivityRecord; indexes: { 'by-user': UserId } };
}

export type FieldboardDb = IDBPDatabase<FieldboardSchema>;
type UpgradeTx = IDBPTransaction<FieldboardSchema, StoreNames<FieldboardSchema>[], 'versionchange'>;

/**
 * Upgrade steps: MIGRATIONS[n] takes the database from version n to n + 1. Append only.
 * - 0 -> 1: outbox (by user and order, by widget), replica widgets, cursors, meta.
 * - 1 -> 2: the activity list of rejections and automatic resolutions, per user.
 */
export const MIGRATIONS: ReadonlyArray<(db: FieldboardDb, tx: UpgradeTx) => void> = [
  (db) => {
    const outbox = db.createObjectStore('outbox', { keyPath: 'mutation.id' });
    outbox.createIndex('by-user-order', ['userId', 'order']);
    outbox.createIndex('by-widget', ['mutation.dashboardId', 'mutation.args.widgetId']);
    const widgets = db.createObjectStore('widgets', { keyPath: ['dashboardId', 'widgetId'] });
    widgets.createIndex('by-dashboard', 'dashboardId');
    db.createObjectStore('cursors', { keyPath: 'dashboardId' });
    db.createObjectStore('meta');
  },
  (db) => {
    const activity = db.createObjectStore('activity', { autoIncrement: true });
    activity.createIndex('by-user', 'userId');
  },
];
export const DB_VERSION = MIGRATIONS.length;

export interface OpenOptions {
  name?: string;
  /** Open at an older version (migration tests); defaults to the current one. */
  version?: number;
  /** Called when another context needs a newer version, after this connection closed. */
  onClosed?: () => void;
}

export async function openFieldboardDb(opts: OpenOptions = {}): Promise<FieldboardDb> {
  const version = opts.version ?? DB_VERSION;
  const db = await openDB<FieldboardSchema>(opts.name ?? DB_NAME, version, {
    upgrade(database, oldVersion, _newVersion, tx) {
      for (let n = oldVersion; n < version; n++) MIGRATIONS[n](database, tx);
    },
    blocking() {
      // A newer version (an updated SW, another tab) wants to upgrade: step aside; the handle reopens later.
      db.close();
      opts.onClosed?.();
    },
    terminated() {
      opts.onClosed?.();
    },
  });
  return db;
}

/**
 * A lazily opened connection that reopens after `blocking` or `terminated`: the SW and the page hold one
 * each for their whole life.
 */
export class DbHandle {
  private opening: Promise<FieldboardDb> | null = null;
  constructor(private readonly name: string = DB_NAME) {}

  get(): Promise<FieldboardDb> {
    if (!this.opening) {
      const p = openFieldboardDb({ name: this.name, onClosed: () => this.forget(p) });
      this.opening = p;
      p.catch(() => this.forget(p));
    }
    return this.opening;
  }

  private forget(p: Promise<FieldboardDb>): void {
    if (this.opening === p) this.opening = null;
  }

  async close(): Promise<void> {
    const p = this.opening;
    this.opening = null;
    if (p) (await p.catch(() => null))?.close();
  }
}
