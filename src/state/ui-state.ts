/**
 * The state of one mounted app that is not the sync engine's: which dashboard and which screen the person
 * chose, and the derived signals every component reads (view, unsynced count, parked conflicts). Created
 * once per `<App>`, so tests get a fresh world per render.
 */
import { computed, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import type { DashboardId, User, UserId } from '../../protocol/index.ts';
import type { OutboxEntry } from '../../contract/index.ts';
import type { SyncClient } from '../sync/types.ts';
import { inOutboxOrder, optimisticView, type ViewWidget } from './optimistic.ts';

export type Screen = 'board' | 'pending' | 'conflicts' | 'activity' | 'transfer';

/** The toast's offer to take back the last delete, remove or discard (src/app/undo-toast.tsx). */
export interface UndoOffer {
  /** What was done, in words ("Deleted ‘Pumps’."). */
  message: string;
  /** Queues the inverse mutation (src/state/undo.ts); rejects when the service worker did not take it. */
  undo(): Promise<unknown>;
}
const LAST_DASHBOARD_KEY = 'fieldboard.dashboard';

export interface UiState {
  /** The dashboard on screen: the person's choice while it exists, else the first one. */
  dashboardId: ReadonlySignal<DashboardId | null>;
  choose(id: DashboardId): void;
  screen: Signal<Screen>;
  view: ReadonlySignal<ViewWidget[]>;
  /** The signed-in user's outbox entries, in outbox order. */
  mine: ReadonlySignal<OutboxEntry[]>;
  /** Entries still on their way to the server (parked conflicts wait for a person, not the network). */
  unsynced: ReadonlySignal<OutboxEntry[]>;
  conflicts: ReadonlySignal<OutboxEntry[]>;
  /**
   * The counts and age the status bar shows, as numbers: a number signal notifies only when it changes, so
   * an outbox entry turning from queued to sending, or the worker's copy replacing the tab's, renders none
   * of the header (docs/service-worker.md "Paint within a frame").
   */
  mineCount: ReadonlySignal<number>;
  unsyncedCount: ReadonlySignal<number>;
  conflictCount: ReadonlySignal<number>;
  /** When the oldest unsynced change was made (null when none waits). */
  oldestUnsynced: ReadonlySignal<number | null>;
  /** A command the SW refused or never answered (shown as an alert; the edit is not in the outbox). */
  uiError: Signal<string | null>;
  /** "Edit layout" mode: cards show their handles, Rename, Move and Delete. */
  editing: Signal<boolean>;
  /** The newest change that can be taken back, while its toast shows; a new one replaces it. */
  undo: Signal<UndoOffer | null>;
  /** Names of people the server told about (the activity feed), to say who changed something. */
  names: ReadonlySignal<ReadonlyMap<UserId, string>>;
  learnNames(users: readonly User[]): void;
}

function readLast(): DashboardId | null {
  try {
    return (globalThis.localStorage?.getItem(LAST_DASHBOARD_KEY) as DashboardId | null) ?? null;
  } catch {
    return null; // storage may be blocked; remembering the dashboard is a nicety
  }
}

export function createUiState(client: SyncClient): UiState {
  const chosen = signal<DashboardId | null>(readLast());
  const dashboardId = computed(() => {
    const list = client.dashboards.value;
    const c = chosen.value;
    // Offline cold start may paint before the list arrives: trust the remembered id until it does.
    if (list.length === 0) return c;
    return list.some((d) => d.id === c) ? c : list[0].id;
  });
  const mine = computed(() => {
    const me = client.user.value?.id ?? null;
    return inOutboxOrder(client.outbox.value.filter((e) => me === null || e.userId === me));
  });
  const unsynced = computed(() => mine.value.filter((e) => e.state !== 'conflict'));
  const conflicts = computed(() => mine.value.filter((e) => e.state === 'conflict'));
  const names = signal<ReadonlyMap<UserId, string>>(new Map());
  return {
    names,
    learnNames(users) {
      if (users.every((u) => names.value.get(u.id) === u.name)) return;
      names.value = new Map([...names.value, ...users.map((u) => [u.id, u.name] as const)]);
    },
    dashboardId,
    choose(id) {
      chosen.value = id;
      try {
        globalThis.localStorage?.setItem(LAST_DASHBOARD_KEY, id);
      } catch {
        /* see readLast */
      }
    },
    screen: signal<Screen>('board'),
    view: optimisticView(client, dashboardId),
    mine,
    unsynced,
    conflicts,
    mineCount: computed(() => mine.value.length),
    unsyncedCount: computed(() => unsynced.value.length),
    conflictCount: computed(() => conflicts.value.length),
    oldestUnsynced: computed(() => {
      let oldest: number | null = null;
      for (const e of unsynced.value) if (oldest === null || e.mutation.createdAt < oldest) oldest = e.mutation.createdAt;
      return oldest;
    }),
    uiError: signal<string | null>(null),
    editing: signal(false),
    undo: signal<UndoOffer | null>(null),
  };
}
