/**
 * The one module that opens Fieldboard's IndexedDB. It owns the database name, the version, the schema type
 * and the upgrade steps; the service worker and the page (which paints from here before the SW answers)
 * both open it through `openFieldboardDb` / `DbHandle`.
 *
 * Invariants:
 * - The database is independent of the service worker's version: an app update never loses the outbox.
 *   Schema changes are new entries in MIGRATIONS (never edits of old ones), each tested from the version
 *   before it (tests/unit/sw/db.test.ts).
 * - Every record read back is validated with the protocol's schemas; a record that fails is skipped (and
 *   reported), never trusted and never allowed to crash a reader.
 * - Callers never await anything but the transaction's own requests inside a transaction.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import * as v from 'valibot';
import { ClientIdSchema, DashboardIdSchema, DashboardSummarySchema, UserIdSchema, UserSchema, WidgetSchema, newClientId, type ClientId, type DashboardId, type DashboardSummary, type MutationId, type User, type UserId, type Widget, type WidgetId } from '../protocol/index.ts';
import { ActivityEntrySchema, ConflictPolicySchema, OutboxEntrySchema, type ActivityEntry, type ConflictPolicy, type OutboxEntry } from '../contract/index.ts';

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

// ---- Validated reads -------------------------------------------------------------------------------------

/** Reports records that failed validation (the SW logs them; tests assert on them). */
export let onInvalidRecord: (store: string, message: string) => void = (store, message) =>
  console.warn(`fieldboard: skipped an invalid ${store} record: ${message}`);
export function setInvalidRecordReporter(fn: (store: string, message: string) => void): void {
  onInvalidRecord = fn;
}

export function validOr<S extends v.GenericSchema>(store: string, schema: S, value: unknown): v.InferOutput<S> | null {
  const r = v.safeParse(schema, value);
  if (r.success) return r.output;
  onInvalidRecord(store, `${v.getDotPath(r.issues[0]) ?? ''} ${r.issues[0].message}`.trim());
  return null;
}

const ReplicaRecordSchema = v.object({
  dashboardId: DashboardIdSchema,
  widgetId: v.string(),
  version: v.number(),
  widget: v.nullable(WidgetSchema),
});
const CursorRecordSchema = v.object({ dashboardId: DashboardIdSchema, cursor: v.number(), epoch: v.string() });
const ActivityRecordSchema = v.object({ userId: UserIdSchema, entry: ActivityEntrySchema });

export function validOutbox(values: unknown[]): OutboxEntry[] {
  return values.flatMap((x) => validOr('outbox', OutboxEntrySchema, x) ?? []);
}
export function validReplica(value: unknown): ReplicaRecord | null {
  if (value === undefined) return null;
  return validOr('widgets', ReplicaRecordSchema, value) as ReplicaRecord | null;
}
export function validCursor(value: unknown): CursorRecord | null {
  return value === undefined ? null : validOr('cursors', CursorRecordSchema, value);
}

/** Meta keys and the schema each value is checked against when read back. */
export const META = {
  clientId: ClientIdSchema,
  identity: v.nullable(UserSchema),
  policy: ConflictPolicySchema,
  /** Whose confirmed replica the widgets/cursors stores hold (cleared when another user signs in). */
  replicaOwner: v.nullable(UserIdSchema),
  nextOrder: v.number(),
  /** Bumped by every transaction that writes the outbox: a worker's in-memory copy is current while it matches. */
  outboxGen: v.number(),
  /** Dashboards the signed-in user's tabs showed most recently (subscribed, refreshed by periodicsync). */
  watched: v.array(DashboardIdSchema),
  /** Per tab, the highest mutation number this worker took (tab-order.ts). */
  tabs: v.record(v.string(), v.object({ n: v.number(), at: v.number() })),
} as const;
export type MetaKey = keyof typeof META;
export type MetaValue<K extends MetaKey> = v.InferOutput<(typeof META)[K]>;
export const dashboardsKey = (userId: UserId) => `dashboards:${userId}`;
const DashboardListSchema = v.array(DashboardSummarySchema);

type AnyTx = IDBPTransaction<FieldboardSchema, StoreNames<FieldboardSchema>[], 'readonly' | 'readwrite' | 'versionchange'>;
type MetaTx = Pick<AnyTx, 'objectStore'>;

export async function getMeta<K extends MetaKey>(tx: MetaTx, key: K): Promise<MetaValue<K> | undefined> {
  const raw = await tx.objectStore('meta').get(key);
  if (raw === undefined) return undefined;
  return (validOr(`meta.${key}`, META[key], raw) ?? undefined) as MetaValue<K> | undefined;
}

export async function setMeta<K extends MetaKey>(
  tx: IDBPTransaction<FieldboardSchema, StoreNames<FieldboardSchema>[], 'readwrite'>,
  key: K,
  value: MetaValue<K>,
): Promise<void> {
  await tx.objectStore('meta').put(value, key);
}

// ---- Reads shared by the SW and the page -----------------------------------------------------------------

/** This browser profile's client id, created once (the transaction makes SW and page agree on one). */
export async function ensureClientId(db: FieldboardDb): Promise<ClientId> {
  const tx = db.transaction('meta', 'readwrite', { durability: 'strict' });
  let id = await getMeta(tx, 'clientId');
  if (!id) {
    id = newClientId();
    await tx.objectStore('meta').put(id, 'clientId');
  }
  await tx.done;
  return id;
}

export async function readMeta<K extends MetaKey>(db: FieldboardDb, key: K): Promise<MetaValue<K> | undefined> {
  return getMeta(db.transaction('meta'), key);
}

export async function readIdentity(db: FieldboardDb): Promise<User | null> {
  return (await readMeta(db, 'identity')) ?? null;
}

export async function readPolicy(db: FieldboardDb): Promise<ConflictPolicy> {
  return (await readMeta(db, 'policy')) ?? 'manual';
}

export async function readDashboards(db: FieldboardDb, userId: UserId): Promise<DashboardSummary[]> {
  const raw = await db.get('meta', dashboardsKey(userId));
  if (raw === undefined) return [];
  return validOr('meta.dashboards', DashboardListSchema, raw) ?? [];
}

export async function writeDashboards(db: FieldboardDb, userId: UserId, list: DashboardSummary[]): Promise<void> {
  await db.put('meta', list, dashboardsKey(userId));
}

/** The user's outbox in outbox order. */
export async function readOutbox(db: FieldboardDb, userId: UserId): Promise<OutboxEntry[]> {
  const range = IDBKeyRange.bound([userId, -Infinity], [userId, Infinity]);
  return validOutbox(await db.getAllFromIndex('outbox', 'by-user-order', range));
}

/** Live confirmed widgets of a dashboard, if the replica belongs to `userId`. */
export async function readReplica(db: FieldboardDb, dashboardId: DashboardId, userId: UserId | null): Promise<Widget[]> {
  const tx = db.transaction(['widgets', 'meta']);
  const owner = await getMeta(tx, 'replicaOwner');
  if (userId === null || owner !== userId) return [];
  const records = await tx.objectStore('widgets').index('by-dashboard').getAll(dashboardId);
  return records.flatMap((r) => validReplica(r)?.widget ?? []);
}

export async function readCursor(db: FieldboardDb, dashboardId: DashboardId): Promise<CursorRecord | null> {
  return validCursor(await db.get('cursors', dashboardId));
}

/** Newest first, at most `limit`. */
export async function readActivity(db: FieldboardDb, userId: UserId, limit = 100): Promise<ActivityEntry[]> {
  const out: ActivityEntry[] = [];
  let cursor = await db.transaction('activity').store.index('by-user').openCursor(userId, 'prev');
  while (cursor && out.length < limit) {
    const r = validOr('activity', ActivityRecordSchema, cursor.value);
    if (r) out.push(r.entry);
    cursor = await cursor.continue();
  }
  return out;
}

/** Is this the browser's quota error (so callers show a storage state instead of crashing)? */
export function isQuotaError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'QuotaExceededError' || /quota/i.test(e.message));
}
