/**
 * Draining the outbox (docs/service-worker.md, "Draining the outbox"): one loop, one state at a time.
 *
 *              drain()                a batch is due               the push ended
 *     idle ───────────────▶ choosing ───────────────▶ sending ───────────────────▶ settling
 *      ▲                      │  nothing due, no transport           │ failed: the batch waits     │ ok
 *      │                      ▼                                      ▼ (backoff), a retry is set   │
 *      └──────────────────── (again? choosing : idle) ◀──────────────┴─────────────────────────────┘
 *
 * `again`: something asked for a drain while the loop ran (a new mutation, a welcome, a retry); the loop
 * goes round once more instead of going idle, so no request is lost and two loops never run at once.
 * Beside the state, what failures taught is kept until a success or a retry resets it (`Backoff`), and one
 * timer (`retry`) drains again when the earliest waiting entry is due.
 *
 * Invariants:
 * - One push in flight at a time, in outbox order (outbox.ts `selectBatch`): a client's mutations reach
 *   the server in order over either transport.
 * - Only the signed-in user's entries are drained; a push that outlives its user leaves its entries
 *   `queued` for their owner, counted as sent (they must not coalesce: they may be applied).
 * - A rate limit's hint is the server's word: no retry, online event or sync event sends before it.
 */
import type { MutationId } from '../protocol/index.ts';
import type { OutboxEntry } from '../contract/index.ts';
import { backoffDelay } from './backoff.ts';
import type { TimerId } from './connection.ts';
import type { EngineCore, PushOutcome } from './core.ts';
import { MAX_BATCH, planTransientFailure, selectBatch } from './outbox.ts';
import type { Session } from './session.ts';
import type { Settler } from './settle.ts';
import { pushHttp, type SocketPush } from './transports.ts';

/** A Background Sync event within this long of a failed push keeps that push's backoff. */
const SYNC_RETRY_AFTER_FAILURE_MS = 5_000;

type Running = { run: Promise<void>; again: boolean };
export type DrainState =
  | { kind: 'idle' }
  | ({ kind: 'choosing' } & Running)
  | ({ kind: 'sending'; via: 'socket' | 'http'; batch: readonly MutationId[] } & Running)
  | ({ kind: 'settling' } & Running);

/** What failures taught: kept across loops until a push succeeds or a retry starts afresh. */
interface Backoff {
  /** Failed pushes in a row (the backoff attempt). */
  failures: number;
  lastFailureAt: number;
  /** The server asked (rate-limited) for no push before this time. */
  holdUntil: number;
  /** Mutations per push now: halved by a push refused as too big, back to the maximum on a success. */
  batchLimit: number;
}

export class Drain {
  private state: DrainState = { kind: 'idle' };
  private readonly maxBatch: number;
  private backoff: Backoff;
  private retry: { at: number; timer: TimerId } | null = null;
  /** Background Sync events running now (a tag registered inside its own event would fire again at once). */
  private syncEvents = 0;
  /** Entries the append already stored as `sending` (`take`): the next batch, pushed without marking it again. */
  private taken: OutboxEntry[] = [];

  constructor(
    private readonly core: EngineCore,
    private readonly parts: { socket: SocketPush; settler: Settler; session: Session },
  ) {
    this.maxBatch = core.env.maxBatch ?? MAX_BATCH;
    this.backoff = { failures: 0, lastFailureAt: -Infinity, holdUntil: -Infinity, batchLimit: this.maxBatch };
  }

  get current(): DrainState {
    return this.state;
  }

  /**
   * Whether a mutation appended now may be stored as `sending` and pushed at once (`take`): no loop runs (so
   * no push is in flight), the socket is open and the server asked for no pause. The store adds the last
   * condition, in the append's own transaction: the outbox held nothing else, so outbox order is kept.
   */
  canTake(): boolean {
    return this.state.kind === 'idle' && this.taken.length === 0 && this.core.conn.isOpen && this.backoff.holdUntil <= this.core.env.now();
  }

  /**
   * A click's fast path (docs/service-worker.md "Draining the outbox"): its entry is already durable as
   * `sending`, so the loop pushes it first, without reading the outbox or writing the mark again.
   */
  take(entry: OutboxEntry): Promise<void> {
    this.taken.push(entry);
    return this.run();
  }

  /** Sends what can be sent until nothing is left or sending fails. A call while it runs joins that run. */
  run(): Promise<void> {
    if (this.state.kind !== 'idle') {
      this.state.again = true;
      return this.state.run;
    }
    let finished!: () => void;
    const run = new Promise<void>((resolve) => (finished = resolve));
    this.state = { kind: 'choosing', run, again: false };
    void this.loop().finally(finished);
    return run;
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        await this.once();
        const s = this.state;
        if (s.kind === 'idle' || !s.again) break;
        this.state = { kind: 'choosing', run: s.run, again: false };
      }
    } catch (e) {
      this.core.log('drain failed', String(e));
    } finally {
      this.state = { kind: 'idle' };
    }
  }

  private enter(next: { kind: 'sending'; via: 'socket' | 'http'; batch: readonly MutationId[] } | { kind: 'settling' }): void {
    const s = this.state;
    if (s.kind === 'idle') return;
    this.state = { ...next, run: s.run, again: s.again };
  }

  /** Which way a push can go now, or null to wait (connecting: the welcome drains; offline). */
  private transport(): 'socket' | 'http' | null {
    const { conn, env } = this.core;
    if (conn.isOpen) return 'socket';
    const s = conn.current.kind;
    if (s === 'offline' || s === 'signed-out' || !env.isOnline()) return null;
    if (s === 'connecting') return null;
    return 'http'; // backoff (the socket fails, HTTP may not) or idle (no tab: Background Sync, SW start)
  }

  private async once(): Promise<void> {
    const c = this.core;
    const user = c.user;
    const via = this.transport();
    let taken = this.taken.splice(0);
    if (taken.length && (!user || !via || taken.some((e) => e.userId !== user.id))) {
      // Taken while the socket was open, and it closed (or the user changed) before the push: they wait
      // as any entry does, or the `sending` mark would hold them until the worker restarts.
      await c.env.store.setState(taken.map((e) => ({ ...e, state: 'queued' })));
      await c.broadcastOutbox();
      taken = [];
    }
    if (!user || !via) return;
    let batch: OutboxEntry[] = taken;
    if (batch.length === 0) {
      const entries = await c.env.store.outbox(user.id);
      const selected = selectBatch(entries, c.env.now(), this.backoff.batchLimit);
      this.scheduleRetry(selected.nextDueAt);
      batch = selected.batch;
      if (batch.length === 0) return;
      await c.env.store.setState(batch.map((e) => ({ ...e, state: 'sending' })));
      await c.broadcastOutbox();
    }
    this.enter({ kind: 'sending', via, batch: batch.map((e) => e.mutation.id) });
    const outcome = via === 'socket' ? await this.parts.socket.send(batch) : await pushHttp(c, batch);
    this.enter({ kind: 'settling' });
    if (c.user?.id !== user.id) {
      // Signed out (or another user) while the push was out: leave the entries for their owner, counted as
      // sent (they may be applied already, so they must not coalesce).
      await c.env.store.setState(batch.map((e) => ({ ...e, state: 'queued', attempts: e.attempts + 1 })));
      return;
    }
    if (outcome.ok) {
      this.backoff.failures = 0;
      this.backoff.batchLimit = this.maxBatch;
      await this.parts.settler.settle(user.id, batch, outcome.results);
      if (this.state.kind !== 'idle') this.state.again = true;
      return;
    }
    if (outcome.unauthorized) {
      await c.env.store.setState(batch.map((e) => ({ ...e, state: 'queued' })));
      await this.parts.session.lost();
      return;
    }
    await this.failed(batch, outcome);
  }

  private async failed(batch: OutboxEntry[], outcome: Extract<PushOutcome, { ok: false }>): Promise<void> {
    const { env } = this.core;
    const b = this.backoff;
    b.failures += 1;
    b.lastFailureAt = env.now();
    const hint = outcome.retryAfterMs ?? 0;
    if (hint > 0) b.holdUntil = env.now() + hint;
    const delay = Math.max(hint, backoffDelay(b.failures, () => env.random()));
    await env.store.setState(planTransientFailure(batch, env.now(), delay, outcome.error));
    await this.core.broadcastOutbox();
    this.scheduleRetry(env.now() + delay);
    // Not from inside a sync event: a tag registered while its event runs fires again at once; the event
    // throws instead, and the browser retries it with its own backoff.
    if (this.syncEvents === 0) void env.registerSync().catch(() => {});
  }

  /** The server refused a push as too big (an error frame, or close 1009): the next batches are halved. */
  tooBig(): void {
    this.backoff.batchLimit = Math.max(1, Math.floor(this.backoff.batchLimit / 2));
  }

  /** The browser is back online, a person pressed retry, or a sync event came: retry everything now. */
  async retryNow(): Promise<void> {
    const c = this.core;
    await this.releaseWaiting();
    if (c.user && (c.conn.current.kind === 'backoff' || c.conn.current.kind === 'offline')) c.conn.setOnline(true);
    await this.run();
  }

  /** Entries waiting out a push backoff become due now, and the next failure starts the backoff afresh. */
  async releaseWaiting(): Promise<void> {
    const { env, user } = this.core;
    this.backoff.failures = 0;
    this.backoff.batchLimit = this.maxBatch;
    if (!user) return;
    // A rate limit's hint is the server's word, not a guess: coming back online does not shorten it.
    const floor = this.backoff.holdUntil > env.now() ? this.backoff.holdUntil : 0;
    const entries = await env.store.outbox(user.id);
    const due = entries.filter((e) => e.state === 'failed' && e.nextAttemptAt > Math.max(floor, env.now()));
    if (due.length) await env.store.setState(due.map((e) => ({ ...e, nextAttemptAt: floor })));
  }

  private scheduleRetry(at: number | null): void {
    const { env } = this.core;
    if (this.retry) env.clearTimer(this.retry.timer);
    this.retry = null;
    if (at === null) return;
    const timer = env.setTimer(() => {
      this.retry = null;
      void this.run();
    }, Math.max(0, at - env.now()));
    this.retry = { at, timer };
  }

  /**
   * Background Sync (`fieldboard-outbox`): drain over whatever works, then throw if anything sendable is
   * left so the browser schedules another attempt.
   */
  async syncEvent(): Promise<void> {
    const c = this.core;
    if (!c.user) return;
    this.syncEvents += 1;
    try {
      // The browser fires this when it is online again: what waits out a push backoff may go now, unless a
      // push failed moments ago (the server answers, but refuses: a fresh failure keeps its backoff, or a
      // sync fired right after each failure would retry a refusing server several times a second).
      if (c.env.now() - this.backoff.lastFailureAt >= SYNC_RETRY_AFTER_FAILURE_MS) await this.retryNow();
      else await this.run();
    } finally {
      this.syncEvents -= 1;
    }
    if (!c.user) return;
    const left = (await c.env.store.outbox(c.user.id)).filter((e) => e.state !== 'conflict');
    if (left.length) throw new Error(`${left.length} mutations not yet synced`);
  }
}
