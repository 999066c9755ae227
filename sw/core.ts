/**
 * What every part of the worker's engine shares (docs/service-worker.md, "Inside the engine"): the
 * environment, the broadcaster, the connection, this profile's client id, the signed-in user, the conflict
 * policy, the watched dashboards, and the one rule for outbox writes (`serially`). The parts (session,
 * replica sync, drain, settle) each hold a reference to it; only `Session` and the engine's restore change
 * `user`.
 *
 * Invariants: an outbox read-plan-write sequence (append, settle, resolve) runs inside `serially`, never
 * interleaved with another; every broadcast describes something already committed to IndexedDB.
 */
import { newItemId, newMutationId, newWidgetId, type ClientId, type DashboardId, type MutationResult, type User } from '../protocol/index.ts';
import type { ConflictPolicy } from '../contract/index.ts';
import type { Broadcaster, ChannelLike } from './broadcaster.ts';
import type { Connection, ConnectionDelegate } from './connection.ts';
import type { FetchLike } from './http.ts';
import type { SwStore } from './store.ts';

/** The socket, clock, randomness and online check are the connection's own needs (connection.ts), declared there. */
export interface EngineEnv extends Pick<ConnectionDelegate, 'openSocket' | 'now' | 'random' | 'setTimer' | 'clearTimer' | 'isOnline'> {
  store: SwStore;
  channel: ChannelLike;
  fetch: FetchLike;
  /** Is any window of the app open (then the engine keeps a socket)? */
  hasWindowClient(): Promise<boolean>;
  /** Registers Background Sync for the outbox; may fail (no API, no window client): best effort. */
  registerSync(): Promise<void>;
  log?(message: string, extra?: unknown): void;
  pingMs?: number;
  /** How long a socket push may wait for its result before it counts as failed. */
  pushTimeoutMs?: number;
  /** Mutations per push at most (default `MAX_BATCH`); a push refused as too big halves it until a success. */
  maxBatch?: number;
}

/** How a push ended. `retryAfterMs`: refused for a rate limit; nothing is sent again before that long. */
export type PushOutcome =
  | { ok: true; results: MutationResult[] }
  | { ok: false; unauthorized: boolean; error: string; retryAfterMs?: number };

export class EngineCore {
  conn!: Connection;
  clientId!: ClientId;
  user: User | null = null;
  policy: ConflictPolicy = 'manual';
  watched: DashboardId[] = [];
  /** Outbox read-plan-write sequences that must not interleave (append, settle, resolve). */
  private outboxTurn: Promise<unknown> = Promise.resolve();

  constructor(
    readonly env: EngineEnv,
    readonly broadcaster: Broadcaster,
  ) {}

  log(message: string, extra?: unknown): void {
    this.env.log?.(message, extra);
  }

  /** Runs `fn` after every outbox sequence started before it, and before any started after it. */
  serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.outboxTurn.then(fn, fn);
    this.outboxTurn = run.catch(() => {});
    return run;
  }

  /** Ids and time for mutations the engine makes itself (merges, keep mine, restore). */
  ids() {
    return { now: this.env.now(), clientId: this.clientId, newMutationId: () => newMutationId(this.env.now()), newWidgetId, newItemId };
  }

  /**
   * Tells tabs how the signed-in user's outbox changed since the last outbox broadcast (a delta, or the
   * whole outbox once after a start or a new user: sw/outbox-changes.ts); answers the broadcast's seq.
   */
  async broadcastOutbox(): Promise<number> {
    const userId = this.user?.id ?? null;
    const change = this.env.store.changes.take(userId) ?? (await this.env.store.wholeOutbox(userId));
    return this.broadcaster.post({ type: 'outbox', ...change });
  }
}
