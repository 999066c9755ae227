/**
 * Reading the local database (schema.ts) back: every record is validated with the protocol's and the
 * contract's schemas; a record that fails is skipped and reported, never trusted and never allowed to crash a
 * reader. Also the meta keys with their schemas, and the reads the worker and the page share.
 */
import * as v from 'valibot';
import { ClientIdSchema, DashboardIdSchema, DashboardSummarySchema, UserIdSchema, UserSchema, WidgetSchema, newClientId, type ClientId, type DashboardId, type DashboardSummary, type User, type UserId, type Widget } from '../../protocol/index.ts';
import { ActivityEntrySchema, ConflictPolicySchema, OutboxEntrySchema, type ActivityEntry, type ConflictPolicy, type OutboxEntry } from '../index.ts';
import type { CursorRecord, FieldboardDb, FieldboardSchema, ReplicaRecord } from './schema.ts';
import type { IDBPTransaction, StoreNames } from 'idb';

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

// ---- Reads shared by the worker and the page ------------------------------------------------------------

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
