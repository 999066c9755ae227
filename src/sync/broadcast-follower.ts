/**
 * The broadcast follower: the page's side of the worker's BroadcastChannel (docs/service-worker.md "Tabs:
 * broadcasts in, commands out"). Broadcasts are numbered per worker instance; a gap in `seq` or a new
 * `swInstance` (the worker was stopped and started again with empty memory) means something was missed,
 * and IndexedDB, which the worker commits to before it broadcasts, holds all of it: the follower says
 * `missed` and the page re-reads it.
 *
 * Invariants: every broadcast is validated first (one that fails is logged and ignored, and does not move
 * the numbering); the numbering is the last broadcast heard, or the worker's `get-state` reply before any;
 * a state reply is stale (`adopt` answers false) only when a status broadcast newer than it was heard: other
 * broadcasts heard first say nothing about the connection, and the status broadcasts the reply follows may
 * have gone out before the page listened (a tab showed "Connecting" for 15 s with its socket up).
 */
import { assertNever, parse, type Change, type DashboardId, type User } from '../../protocol/index.ts';
import { BROADCAST_CHANNEL, SwBroadcastSchema, type ActivityEntry, type ConnectionState, type OutboxChange } from '../../contract/index.ts';
import { traceBroadcast } from './trace.ts';

export interface BroadcastHandlers {
  status(connection: ConnectionState): void;
  replica(dashboardId: DashboardId, reset: boolean, changes: Change[]): void;
  /** How the worker's outbox changed (a delta, or whole with `from: null`). */
  outbox(change: OutboxChange, seq: number): void;
  activity(entry: ActivityEntry): void;
  identity(user: User | null): void;
  /** A broadcast was missed: re-read IndexedDB. */
  missed(): void;
}

export class BroadcastFollower {
  private swInstance: string | null = null;
  private lastSeq = 0;
  /** The seq of the last status broadcast heard from `swInstance` (0: none). */
  private statusSeq = 0;

  constructor(private readonly on: BroadcastHandlers) {}

  /** The worker instance whose broadcasts are followed now (null before the first). */
  get instance(): string | null {
    return this.swInstance;
  }

  /** Opens the channel (where the browser has one). */
  listen(): void {
    if (typeof BroadcastChannel === 'undefined') return;
    const channel = new BroadcastChannel(BROADCAST_CHANNEL);
    channel.onmessage = (e) => this.receive(e.data);
  }

  receive(data: unknown): void {
    const parsed = parse(SwBroadcastSchema, data);
    if (!parsed.ok) {
      console.warn('fieldboard: ignored a broadcast that failed validation:', parsed.message);
      return;
    }
    const m = parsed.value;
    traceBroadcast(m);
    const gap = m.swInstance !== this.swInstance || m.seq !== this.lastSeq + 1;
    if (m.swInstance !== this.swInstance) this.statusSeq = 0;
    if (m.type === 'status') this.statusSeq = m.seq;
    this.swInstance = m.swInstance;
    this.lastSeq = m.seq;
    switch (m.type) {
      case 'status':
        this.on.status(m.connection);
        break;
      case 'replica':
        this.on.replica(m.dashboardId, m.reset, m.changes);
        break;
      case 'outbox':
        this.on.outbox(m, m.seq);
        break;
      case 'activity':
        this.on.activity(m.entry);
        break;
      case 'identity':
        this.on.identity(m.user);
        break;
      default:
        assertNever(m);
    }
    // Something was missed (or the SW restarted with empty memory): IndexedDB has all of it.
    if (gap) this.on.missed();
  }

  /**
   * The worker's state reply, written at its broadcast number `seq`: adopted as the numbering when no
   * broadcast was heard yet. Answers whether its state is current: status broadcasts sent after it
   * (connecting -> open -> caught-up) may have arrived first, and the older state must not overwrite them.
   */
  adopt(reply: { swInstance: string; seq: number }): boolean {
    const stale = this.swInstance === reply.swInstance && reply.seq < this.statusSeq;
    if (this.swInstance === null) {
      this.swInstance = reply.swInstance;
      this.lastSeq = reply.seq;
    }
    return !stale;
  }
}
