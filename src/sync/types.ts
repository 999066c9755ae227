/**
 * What the UI sees of the sync engine: read-only signals, changed only by the SW message handler, and named
 * actions. Components never post to the SW or open IndexedDB themselves. Implemented by
 * `sw-client.ts` (the real one, talking to the service worker); tests may pass a fake.
 */
import type { ReadonlySignal } from '@preact/signals';
import type { BrowserCapabilities } from '../state/capabilities.ts';
import type { ClientId, DashboardId, DashboardSummary, MutationId, MutationInput, User, Widget, WidgetId } from '../../protocol/index.ts';
import type { ActivityEntry, ConflictPolicy, ConflictResolution, ConnectionState, OutboxEntry } from '../../contract/index.ts';

export type SignInResult = { ok: true } | { ok: false; message: string };

export interface SyncClient {
  /** The SW's connection state (`signed-out` until an identity is known). */
  readonly connection: ReadonlySignal<ConnectionState>;
  /** The signed-in (or cached, when offline) user; null when nobody is. */
  readonly user: ReadonlySignal<User | null>;
  readonly dashboards: ReadonlySignal<DashboardSummary[]>;
  /** Confirmed widgets (server state as far as this browser knows), per dashboard. */
  confirmed(dashboardId: DashboardId): ReadonlySignal<Widget[]>;
  /**
   * Whether `confirmed` has been read from IndexedDB yet (a signal read: components re-render when it turns
   * true). Before that an empty list means "not known", and the board paints nothing rather than "no
   * widgets" and the Add form, which the widgets would then push down (Lighthouse measured a 0.21 layout
   * shift). Fakes may leave it out: then the replica counts as ready.
   */
  replicaReady?(dashboardId: DashboardId): boolean;
  /** The signed-in user's unsynced mutations, in outbox order. */
  readonly outbox: ReadonlySignal<OutboxEntry[]>;
  /** Rejections and automatic resolutions to show the person, newest first. */
  readonly activity: ReadonlySignal<ActivityEntry[]>;
  readonly policy: ReadonlySignal<ConflictPolicy>;
  /** A new app version is installed and waiting for the person's consent. */
  readonly updateAvailable: ReadonlySignal<boolean>;
  /** Quota or storage failures, shown as a state instead of a crash. */
  readonly storageError: ReadonlySignal<string | null>;
  /** No identity is cached and the app is asking the server whether the browser's session is still good. */
  readonly checkingSession: ReadonlySignal<boolean>;
  /** This browser profile's client id once read from IndexedDB (Activity says "on this device" by it). */
  readonly clientId?: ReadonlySignal<ClientId | null>;
  /** What this browser offers (Background Sync, persistent storage, install prompt); unknown in fakes. */
  readonly capabilities?: BrowserCapabilities;

  signIn(username: string, password: string): Promise<SignInResult>;
  /** Resolves with how many unsynced mutations the user had (kept unless `discard`). */
  signOut(discard: boolean): Promise<number>;
  createDashboard(name: string): Promise<DashboardSummary>;
  /** Tell the SW which dashboard this tab shows (it subscribes and catches up). */
  watch(dashboardId: DashboardId): void;
  /**
   * Queue a mutation: fills in id, clientId, createdAt; `baseVersion` is the confirmed version the edit
   * began from and `seen` that confirmed widget when known (contract/edit-base.ts). Resolves once the SW
   * has it durably in the outbox.
   */
  mutate(dashboardId: DashboardId, input: MutationInput, baseVersion: number, seen?: Widget | null): Promise<MutationId>;
  retryNow(): Promise<void>;
  discard(mutationId: MutationId): Promise<void>;
  resolve(dashboardId: DashboardId, widgetId: WidgetId, resolution: ConflictResolution): Promise<void>;
  setPolicy(policy: ConflictPolicy): Promise<void>;
  applyUpdate(): void;
}
