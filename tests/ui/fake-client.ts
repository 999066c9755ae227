/**
 * A SyncClient made of signals, for component tests: tests set its state directly and read the calls made
 * to its actions (vi.fn), so components are tested against the interface only.
 */
import type { BrowserCapabilities } from '../../src/state/capabilities.ts';
import { signal, type Signal } from '@preact/signals';
import { vi } from 'vitest';
import type { DashboardId, DashboardSummary, Mutation, MutationId, MutationInput, User, UserId, Widget, WidgetId, ClientId } from '../../protocol/index.ts';
import type { ActivityEntry, ConflictPolicy, ConnectionState, OutboxEntry } from '../../contract/index.ts';
import { newOutboxEntry } from '../../contract/local-db/index.ts';
import type { SignInResult, SyncClient } from '../../src/sync/types.ts';

export const USER: User = { id: 'u_demo' as UserId, name: 'demo' };
export const DASH = 'd_main' as DashboardId;
export const CLIENT = 'c_fake' as ClientId;

export interface FakeClient extends SyncClient {
  connection: Signal<ConnectionState>;
  user: Signal<User | null>;
  dashboards: Signal<DashboardSummary[]>;
  outbox: Signal<OutboxEntry[]>;
  activity: Signal<ActivityEntry[]>;
  policy: Signal<ConflictPolicy>;
  updateAvailable: Signal<boolean>;
  storageError: Signal<string | null>;
  checkingSession: Signal<boolean>;
  clientId: Signal<ClientId | null>;
  capabilities?: BrowserCapabilities;
  confirmedOf(id: DashboardId): Signal<Widget[]>;
  signIn: ReturnType<typeof vi.fn<(u: string, p: string) => Promise<SignInResult>>>;
  signOut: ReturnType<typeof vi.fn<(discard: boolean) => Promise<number>>>;
  createDashboard: ReturnType<typeof vi.fn<(name: string) => Promise<DashboardSummary>>>;
  watch: ReturnType<typeof vi.fn<(id: DashboardId) => void>>;
  mutate: ReturnType<typeof vi.fn<(d: DashboardId, input: MutationInput, baseVersion: number) => Promise<MutationId>>>;
  retryNow: ReturnType<typeof vi.fn<() => Promise<void>>>;
  discard: ReturnType<typeof vi.fn<(id: MutationId) => Promise<void>>>;
  resolve: ReturnType<typeof vi.fn<SyncClient['resolve']>>;
  setPolicy: ReturnType<typeof vi.fn<(p: ConflictPolicy) => Promise<void>>>;
  applyUpdate: ReturnType<typeof vi.fn<() => void>>;
}

export function fakeClient(opts: { signedIn?: boolean; widgets?: Widget[] } = {}): FakeClient {
  const replicas = new Map<DashboardId, Signal<Widget[]>>();
  const confirmedOf = (id: DashboardId) => {
    if (!replicas.has(id)) replicas.set(id, signal<Widget[]>([]));
    return replicas.get(id)!;
  };
  if (opts.widgets) confirmedOf(DASH).value = opts.widgets;
  let n = 0;
  const signedIn = opts.signedIn ?? true;
  return {
    connection: signal<ConnectionState>(signedIn ? { kind: 'caught-up', since: 0, lastSyncedAt: 0 } : { kind: 'signed-out' }),
    user: signal<User | null>(signedIn ? USER : null),
    dashboards: signal<DashboardSummary[]>([{ id: DASH, name: 'Main' }]),
    outbox: signal<OutboxEntry[]>([]),
    activity: signal<ActivityEntry[]>([]),
    policy: signal<ConflictPolicy>('manual'),
    updateAvailable: signal(false),
    storageError: signal<string | null>(null),
    checkingSession: signal(false),
    clientId: signal<ClientId | null>(CLIENT),
    confirmed: confirmedOf,
    confirmedOf,
    signIn: vi.fn(async () => ({ ok: true }) as SignInResult),
    signOut: vi.fn(async () => 0),
    createDashboard: vi.fn(async (name: string) => ({ id: 'd_new' as DashboardId, name })),
    watch: vi.fn(),
    mutate: vi.fn(async () => `m_${++n}` as MutationId),
    retryNow: vi.fn(async () => {}),
    discard: vi.fn(async () => {}),
    resolve: vi.fn(async () => {}),
    setPolicy: vi.fn(async () => {}),
    applyUpdate: vi.fn(),
  };
}

// Builders for test data.
const base = { updatedAt: 1000, updatedBy: USER.id };
export const counter = (id: string, title: string, value: number, position: string, version = 1): Widget => ({
  ...base, id: id as WidgetId, kind: 'counter', title, value, position, version,
});
export const note = (id: string, title: string, text: string, position: string, version = 1): Widget => ({
  ...base, id: id as WidgetId, kind: 'note', title, text, position, version,
});
export const checklist = (id: string, title: string, items: { id: string; text: string; done: boolean }[], position: string, version = 1): Widget => ({
  ...base, id: id as WidgetId, kind: 'checklist', title, position, version, items: items as never,
});
export const metric = (id: string, title: string, key: string, values: number[], position: string, version = 1): Widget => ({
  ...base, id: id as WidgetId, kind: 'metric', title, metricKey: key, position, version,
  value: values.at(-1) ?? null, at: values.length ? 5000 : null, series: values.map((value, i) => ({ at: 1000 + i, value })),
});

let order = 0;
/** An outbox entry for `input` (state 'queued' unless told), with increasing `order` unless given. */
export function entry(
  input: MutationInput,
  o: Partial<Omit<OutboxEntry, 'mutation'>> & { createdAt?: number; baseVersion?: number; dashboardId?: DashboardId } = {},
): OutboxEntry {
  const { createdAt = 2000, baseVersion = 1, dashboardId = DASH, ...rest } = o;
  order += 1;
  const mutation = {
    id: `m_e${order}` as MutationId,
    clientId: CLIENT,
    dashboardId,
    baseVersion,
    createdAt,
    ...input,
  } as Mutation;
  return { ...newOutboxEntry(mutation, USER.id, order), ...rest };
}
