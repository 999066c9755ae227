/**
 * This node's live fan-out of committed changes, whichever node committed them (docs/server.md, "Several
 * nodes on PostgreSQL"). The change log is the truth; other nodes' commit hints only say when to read it.
 *
 * For every dashboard that has subscribers on this node, `last` is the highest seq published to the hub:
 *
 *   own commit (push, ingest) ── first seq is last+1? ──yes──► publish at once (the pusher's echo precedes
 *                                     │no (another node's change is missing)        its push-result)
 *                                     ▼
 *   hint {dashboardId, seq > last}, LISTEN reconnect, safety timer ──► read the log for seq > last, publish
 *
 * What must stay true:
 * - The hub receives each dashboard's changes in seq order with no gap and no repeat: subscribers
 *   (connection.ts) drop what they already sent, and would miss a seq published out of order.
 * - `follow` reads the head before the subscriber joins the hub and reads its own catch-up, so whatever is
 *   committed after the subscriber's catch-up read is above `last` and gets published to it.
 * - A failed log read is not fatal: the changes are committed, so the next hint, reconnect or sweep
 *   publishes them. Lost hints cost latency, never data.
 */
import type { Change, DashboardId } from '../protocol/index.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { HintListener, Store } from './store/store.ts';
import type { Hub } from './ws/hub.ts';
import { traceServer } from './trace.ts';

/** Changes read from the log per query while catching a dashboard's fan-out up. */
const PAGE = 500;

interface Followed {
  last: number;
  reading: Promise<void> | null;
  /** Set when a read was asked for while one ran: it runs once more, so nothing committed is left behind. */
  again: boolean;
}

export class Fanout {
  private readonly followed = new Map<DashboardId, Followed>();
  private readonly starting = new Map<DashboardId, Promise<void>>();
  private listener: HintListener | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** Starts listening for other nodes' hints and the safety sweep every `resyncMs`. */
  start(resyncMs: number): void {
    this.listener = this.store.listenHints({
      onHint: (hint) => {
        this.metrics.countHint();
        const st = this.followed.get(hint.dashboardId);
        if (st && hint.seq > st.last) void this.pull(hint.dashboardId, st);
      },
      onConnect: () => {
        this.log.info('listening for commit hints');
        for (const [id, st] of this.followed) void this.pull(id, st);
      },
      onDisconnect: (err) => {
        this.metrics.countListenDrop();
        this.log.warn({ err }, 'commit hint connection lost; reconnecting');
      },
    });
    this.timer = setInterval(() => this.sweep(), resyncMs);
    this.timer.unref();
  }

  /** null: this backend has no other writers, so there is nothing to listen to. */
  listening(): boolean | null {
    return this.listener ? this.listener.connected() : null;
  }

  /** Call before a subscriber joins the hub for `dashboardId` (and join synchronously after it resolves). */
  follow(dashboardId: DashboardId): Promise<void> {
    if (this.followed.has(dashboardId)) return Promise.resolve();
    let started = this.starting.get(dashboardId);
    if (!started) {
      started = this.store
        .head(dashboardId)
        .then((head) => {
          this.followed.set(dashboardId, { last: head, reading: null, again: false });
        })
        .finally(() => this.starting.delete(dashboardId));
      this.starting.set(dashboardId, started);
    }
    return started;
  }

  /**
   * This node's own commit (one batch or ingest): published at once when it follows what was published,
   * otherwise after reading the missing changes from the log. Resolves once published; never rejects.
   */
  async committed(changes: readonly Change[]): Promise<void> {
    const groups = new Map<DashboardId, Change[]>();
    for (const c of changes) {
      const g = groups.get(c.dashboardId);
      if (g) g.push(c);
      else groups.set(c.dashboardId, [c]);
    }
    const waits: Promise<void>[] = [];
    for (const [id, group] of groups) {
      const st = this.followed.get(id);
      if (!st) {
        // Followed from the moment its head read returns; a commit in between is read from the log then.
        const started = this.starting.get(id);
        if (started) waits.push(started.then(() => this.pull(id), () => undefined));
        continue;
      }
      const fresh = group.filter((c) => c.seq > st.last);
      if (fresh.length === 0) continue;
      if (fresh[0].seq === st.last + 1) {
        this.publish(id, st, fresh, 'local');
      } else {
        waits.push(this.pull(id, st));
      }
    }
    await Promise.all(waits);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.listener?.close();
    this.listener = null;
  }

  /** Forgets dashboards nobody here follows any more, and re-reads the others (a hint may have been lost). */
  private sweep(): void {
    for (const [id, st] of this.followed) {
      if (!this.hub.hasSubscribers(id)) this.followed.delete(id);
      else void this.pull(id, st);
    }
  }

  private pull(dashboardId: DashboardId, st = this.followed.get(dashboardId)): Promise<void> {
    if (!st) return Promise.resolve();
    if (st.reading) {
      st.again = true;
      return st.reading;
    }
    st.reading = (async () => {
      try {
        do {
          st.again = false;
          for (;;) {
            const page = await this.store.changesSince(dashboardId, st.last, PAGE);
            const fresh = page.filter((c) => c.seq > st.last);
            if (fresh.length > 0) this.publish(dashboardId, st, fresh, 'log');
            if (page.length < PAGE) break;
          }
        } while (st.again);
      } catch (err) {
        this.log.warn({ err, dashboardId }, 'fan-out: reading the change log failed; the next hint or sweep retries');
      } finally {
        st.reading = null;
      }
    })();
    return st.reading;
  }

  private publish(dashboardId: DashboardId, st: Followed, changes: Change[], source: 'local' | 'log'): void {
    st.last = changes[changes.length - 1].seq;
    this.hub.publish(dashboardId, changes);
    traceServer('fanned-out', changes);
    if (source === 'log') {
      const now = this.now();
      // Server-stamped changes only: an ingest may carry the sender's own time.
      for (const c of changes) if (c.mutationId !== null) this.metrics.observeFanoutLag((now - c.at) / 1000);
    }
    this.metrics.countFanout(source, changes.length);
  }
}
