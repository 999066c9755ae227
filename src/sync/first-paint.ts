/**
 * First paint from IndexedDB: everything the page shows (identity, dashboards, outbox, activity, policy,
 * replicas) read from the local database (contract/local-db/) before the worker answers, so an offline cold
 * start shows the last state. The same read runs again whenever the page missed a broadcast, since the
 * worker commits to IndexedDB before it broadcasts (docs/service-worker.md "Tabs: broadcasts in, commands
 * out").
 *
 * Invariants: a storage failure becomes the `storageError` state, never a crash; no identity cached means
 * `signed-out`; a read never overwrites an outbox or a replica that a broadcast set while it ran (the
 * provisional outbox and the replicas each guard their own).
 */
import type { Signal } from '@preact/signals';
import type { DashboardSummary, User } from '../../protocol/index.ts';
import type { ActivityEntry, ConflictPolicy, ConnectionState } from '../../contract/index.ts';
import { isQuotaError, readActivity, readDashboards, readIdentity, readOutbox, readPolicy, type DbHandle } from '../../contract/local-db/index.ts';
import type { ProvisionalOutbox } from './provisional-outbox.ts';
import type { Replicas } from './replicas.ts';

export interface PaintTargets {
  db: DbHandle;
  user: Signal<User | null>;
  connection: Signal<ConnectionState>;
  dashboards: Signal<DashboardSummary[]>;
  activity: Signal<ActivityEntry[]>;
  policy: Signal<ConflictPolicy>;
  outbox: ProvisionalOutbox;
  replicas: Replicas;
  storageFailed(e: unknown): void;
}

/** What the storage banner says about a failed read or write. */
export function storageProblem(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return isQuotaError(e) ? `Storage is full: ${message}` : `Storage is unavailable: ${message}`;
}

/** Everything from IndexedDB (first paint, and after a missed broadcast). */
export async function paintFromDisk(t: PaintTargets): Promise<void> {
  const outboxAt = t.outbox.readAt();
  try {
    const db = await t.db.get();
    const user = await readIdentity(db);
    const [dashboards, outbox, activity, policy] = user
      ? await Promise.all([readDashboards(db, user.id), readOutbox(db, user.id), readActivity(db, user.id), readPolicy(db)])
      : [[], await readOutbox(db, null), [], await readPolicy(db)];
    t.user.value = user;
    if (user && t.connection.value.kind === 'signed-out') t.connection.value = { kind: 'idle' };
    if (!user) t.connection.value = { kind: 'signed-out' };
    if (dashboards.length || !user) t.dashboards.value = dashboards;
    t.activity.value = activity;
    t.policy.value = policy;
    t.outbox.fromRead(outbox.entries, outbox.gen, outboxAt);
    await t.replicas.reloadAll();
  } catch (e) {
    t.storageFailed(e);
  } finally {
    t.outbox.readEnded();
  }
}
