/**
 * One WebSocket session, from `hello` to close.
 *
 *   open ──hello──► ready ──subscribe──► (per dashboard) catching-up ──last page──► live
 *                                                          │ queue live changes       │ send changes with
 *                                                          ▼ drop seq <= caught-up    ▼ seq > sentSeq
 *
 * Frames are handled one at a time, in arrival order, and answered in that order (a `pong` included, so a
 * ping works as a barrier): a client's pushes apply in outbox order, and a push that follows a subscribe is
 * answered after that subscribe's catch-up, so its own changes (queued during catch-up) still reach it
 * before its `push-result`.
 *
 * No gap, no duplicate: the socket joins the dashboard's fan-out set before the first catch-up read, so a
 * change committed during catch-up is either in a page or queued (or both); `sentSeq` drops the repeats.
 *
 * Over 300 lines and still one concept: one socket's session. Its frame handlers share the in-order queue
 * and the catch-up bookkeeping above; apart, the ordering rule would have to be kept in several files.
 */
import type { WebSocket, RawData } from 'ws';
import {
  CLOSE_CODES,
  ClientFrameSchema,
  LIMITS,
  PROTOCOL_VERSION,
  parse,
  type Change,
  type ClientFrame,
  type ClientId,
  type DashboardId,
  type ErrorCode,
  type FrameOf,
  type ServerFrame,
} from '../../protocol/index.ts';
import type { Session } from '../auth/sessions.ts';
import type { ServerContext } from '../context.ts';
import { runPush } from '../push.ts';
import { drained } from './drained.ts';
import { FrameGate } from './frame-gate.ts';
import type { QueueLimit } from './queue-budget.ts';
import type { Notice, Subscriber } from './hub.ts';

/** null queue: live. A queue: catch-up is running and live changes wait in it. */
interface Subscription {
  sentSeq: number;
  queue: Change[] | null;
}

const SESSION_WARNING_MS = 24 * 3_600_000;
/** A dropped reader gets this long to take its close frame before its socket (and queue) is destroyed. */
const DROP_GRACE_MS = 1000;
/** Live changes kept for one dashboard while its catch-up runs (20 pages' worth). */
const MAX_QUEUED_DURING_CATCH_UP = 20 * LIMITS.defaultPullLimit;
let connections = 0;

/**
 * The Connection of a socket, kept on the socket itself: the socket's listeners are functions shared by
 * every socket that find their Connection here, rather than closures made per socket (docs/server.md,
 * "Memory and time per socket": at 10,000 sockets each closure and its context cost about 1 MiB).
 */
const OWNER = Symbol('fieldboard.connection');
type Owned = WebSocket & { [OWNER]?: Connection };

/** The Connection that took `ws`, if any. */
export function connectionOf(ws: WebSocket): Connection | undefined {
  return (ws as Owned)[OWNER];
}

export class Connection implements Subscriber {
  readonly userId;
  readonly tokenHash;
  private clientId: ClientId | null = null;
  private readonly subs = new Map<DashboardId, Subscription>();
  private chain: Promise<void> = Promise.resolve();
  /** Set by every pong; the heartbeat terminates a socket that stayed silent for a whole interval. */
  private alive = true;
  private warnedExpiry = false;
  dropped = false;
  /** This node's name for the socket: the key of its rate limits. */
  private readonly connId = `s${++connections}`;
  private readonly gate: FrameGate;

  constructor(
    private readonly ctx: ServerContext,
    private readonly ws: WebSocket,
    private readonly session: Session,
  ) {
    this.userId = session.user.id;
    this.tokenHash = session.tokenHash;
    this.gate = new FrameGate(ctx, this.connId, this);
    (ws as Owned)[OWNER] = this;
    ws.on('pong', Connection.onPong);
    ws.on('message', Connection.onFrame);
  }

  private static onPong(this: Owned): void {
    const c = this[OWNER];
    if (c) c.alive = true;
  }

  private static onFrame(this: Owned, data: RawData, isBinary: boolean): void {
    const c = this[OWNER];
    c?.gate.admit(() => c.onMessage(data, isBinary));
  }

  heartbeat(): void {
    const left = this.session.expiresAt - this.ctx.now();
    if (left <= 0) {
      this.ws.close(1008, 'session expired');
      return;
    }
    if (left < SESSION_WARNING_MS) this.warnExpiry();
    if (!this.alive) {
      this.ctx.log.info({ userId: this.userId }, 'socket missed a heartbeat; terminating');
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /** Tells the user once per socket (after hello) that the session ends soon, so the app can ask to sign in. */
  private warnExpiry(): void {
    if (this.warnedExpiry || this.clientId === null) return;
    this.warnedExpiry = true;
    this.notice({ kind: 'session-expiring', expiresAt: this.session.expiresAt });
  }

  /** Resolves once every frame received so far has been handled (graceful shutdown waits on it). */
  idle(): Promise<void> {
    return this.chain;
  }

  deliver(dashboardId: DashboardId, changes: readonly Change[], frame: Buffer): void {
    const sub = this.subs.get(dashboardId);
    if (!sub) return;
    if (sub.queue) {
      sub.queue.push(...changes);
      // Catch-up waits for a reader that does not read (drained.ts); what is committed meanwhile must not
      // pile up without bound either: that far behind, reconnecting and resuming is cheaper.
      if (sub.queue.length > MAX_QUEUED_DURING_CATCH_UP) this.dropSlow('socket-queue');
      return;
    }
    if (changes[0].seq > sub.sentSeq) {
      this.sendText(frame);
      sub.sentSeq = changes[changes.length - 1].seq;
      return;
    }
    this.sendNew(dashboardId, sub, changes);
  }

  notice(notice: Notice): void {
    this.send({ ...notice, type: 'notice' } as ServerFrame);
  }

  dashboards(): Iterable<DashboardId> {
    return this.subs.keys();
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /**
   * A reader this far behind is dropped rather than buffered without bound (close 4002, then destroyed if
   * it does not take the close frame); it resumes from its cursor on reconnect.
   */
  dropSlow(limit: QueueLimit): void {
    if (this.dropped) return;
    this.dropped = true;
    this.ctx.metrics.countLimited(limit);
    this.ctx.log.warn({ userId: this.userId, buffered: this.ws.bufferedAmount, limit }, 'socket too far behind; dropping it');
    this.ws.close(CLOSE_CODES.tooSlow, 'too far behind; reconnect and resume from your cursor');
    setTimeout(() => this.ws.terminate(), DROP_GRACE_MS).unref();
  }

  send(frame: ServerFrame): void {
    this.sendText(JSON.stringify(frame));
  }

  private get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** A Buffer is sent as a text frame too: it is an already encoded JSON frame. */
  private sendText(text: string | Buffer): void {
    if (!this.open || this.dropped) return;
    if (this.ws.bufferedAmount > this.ctx.config.limits.socketQueueBytes) return this.dropSlow('socket-queue');
    this.ws.send(text, { binary: false });
  }

  private error(code: ErrorCode, message: string, requestId?: string, retryAfterMs?: number): void {
    this.send({
      type: 'error',
      code,
      message,
      ...(requestId === undefined ? {} : { requestId }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  /** Sends the changes not yet sent on this subscription, in seq order. */
  private sendNew(dashboardId: DashboardId, sub: Subscription, changes: readonly Change[]): void {
    const fresh = changes.filter((c) => c.seq > sub.sentSeq);
    if (fresh.length === 0) return;
    this.send({ type: 'changes', dashboardId, changes: fresh });
    sub.sentSeq = fresh[fresh.length - 1].seq;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.error('bad-message', 'frames are JSON text, not binary');
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      return this.error('bad-message', 'frame is not valid JSON');
    }
    const parsed = parse(ClientFrameSchema, json);
    if (!parsed.ok) {
      const raw = json as { requestId?: unknown } | null;
      const requestId = typeof raw?.requestId === 'string' ? raw.requestId.slice(0, 100) : undefined;
      return this.error(parsed.code === 'too-large' ? 'too-large' : 'bad-message', parsed.message, requestId);
    }
    const frame = parsed.value;
    this.chain = this.chain
      .then(() => this.handle(frame))
      .catch((err: unknown) => this.ctx.log.error({ err, userId: this.userId }, 'socket frame failed'));
  }

  private async handle(frame: ClientFrame): Promise<void> {
    if (frame.type === 'ping') return this.send({ type: 'pong', t: frame.t });
    if (frame.type === 'hello') return this.onHello(frame);
    if (this.clientId === null) return this.error('bad-message', `send hello before ${frame.type}`);
    switch (frame.type) {
      case 'subscribe':
        return this.onSubscribe(frame).catch((err: unknown) => this.subscribeFailed(frame.dashboardId, err));
      case 'unsubscribe':
        this.subs.delete(frame.dashboardId);
        this.ctx.hub.unsubscribe(frame.dashboardId, this);
        return;
      case 'push':
        return this.onPush(frame);
      default: {
        const unreachable: never = frame;
        return unreachable;
      }
    }
  }

  private onHello(frame: FrameOf<ClientFrame, 'hello'>): void {
    if (frame.protocol !== PROTOCOL_VERSION) {
      return this.error('unsupported-protocol', `this server speaks protocol ${PROTOCOL_VERSION}, not ${frame.protocol}`);
    }
    if (this.clientId !== null && this.clientId !== frame.clientId) {
      return this.error('bad-message', 'hello again with another clientId; open a new socket instead');
    }
    this.clientId = frame.clientId;
    this.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      epoch: this.ctx.store.epoch,
      user: this.session.user,
      heartbeatMs: this.ctx.config.heartbeatMs,
    });
    if (this.session.expiresAt - this.ctx.now() < SESSION_WARNING_MS) this.warnExpiry();
  }

  private async onSubscribe(frame: FrameOf<ClientFrame, 'subscribe'>): Promise<void> {
    const { dashboardId } = frame;
    if (!(await this.ctx.store.isMember(dashboardId, this.userId))) {
      return this.error('forbidden', `not a member of dashboard ${dashboardId}`);
    }
    // A new object per subscribe: an older catch-up of the same dashboard notices it was replaced.
    const sub: Subscription = { sentSeq: 0, queue: [] };
    this.subs.set(dashboardId, sub);
    // The node's fan-out knows the dashboard's head before this socket joins and reads its catch-up, so
    // every change committed after that read is published to it (server/fanout.ts).
    await this.ctx.fanout.follow(dashboardId);
    if (this.subs.get(dashboardId) !== sub || !this.open) return;
    this.ctx.hub.subscribe(dashboardId, this);
    let cursor = frame.cursor;
    let epoch = frame.epoch ?? null;
    for (;;) {
      // A graceful stop ends the wait but not the catch-up: a subscription left half caught up would queue
      // live changes forever on a socket that outlives the stop (the simulation found it: seeds 222, 251, 356).
      await drained(this.ws, () => this.ctx.isClosing());
      if (this.subs.get(dashboardId) !== sub || !this.open) return;
      const page = await this.ctx.store.catchUp(dashboardId, cursor, epoch, LIMITS.defaultPullLimit, this.ctx.config.limits.pageBytes);
      // Replaced by a newer subscribe of the same dashboard, or the socket is gone: stop reading pages.
      if (this.subs.get(dashboardId) !== sub || !this.open) return;
      if (page.kind === 'reset') {
        // A paged reset (docs/protocol.md): its first page says `more`, the rest is the catch-up from its seq.
        const { epoch: resetEpoch, seq, widgets, more } = page;
        this.send({ type: 'reset', dashboardId, epoch: resetEpoch, seq, widgets, ...(more ? { more } : {}) });
        sub.sentSeq = seq;
        if (!more) break;
        cursor = seq;
        epoch = resetEpoch;
        continue;
      }
      if (page.changes.length > 0) this.send({ type: 'changes', dashboardId, changes: page.changes });
      sub.sentSeq = Math.max(sub.sentSeq, page.seq);
      if (!page.more) {
        this.send({ type: 'caught-up', dashboardId, seq: page.seq });
        break;
      }
      cursor = page.seq;
      epoch = this.ctx.store.epoch;
    }
    const queued = sub.queue ?? [];
    sub.queue = null;
    this.sendNew(dashboardId, sub, queued);
  }

  /**
   * The store failed during a subscribe (the database is restarting, say). The socket cannot be left
   * subscribed without a catch-up, and a client waits for `caught-up` without a deadline, so it is closed
   * with 1011: the client reconnects with backoff and subscribes again from its cursor.
   */
  private subscribeFailed(dashboardId: DashboardId, err: unknown): void {
    this.ctx.log.warn({ err, dashboardId }, 'subscribe failed; closing the socket so that the client retries');
    this.subs.delete(dashboardId);
    this.ctx.hub.unsubscribe(dashboardId, this);
    this.error('unavailable', 'the server could not read this dashboard now; reconnect and subscribe again');
    this.ws.close(1011, 'store unavailable');
  }

  private async onPush(frame: FrameOf<ClientFrame, 'push'>): Promise<void> {
    const { requestId } = frame;
    if (this.ctx.isClosing()) {
      // Not applied: the client keeps the batch and sends it again after reconnecting.
      return this.error('unavailable', 'server is shutting down; retry after reconnecting', requestId);
    }
    // Counted before anything is read or written: a refused batch costs no storage at all.
    const verdict = await this.ctx.rates.socketWrites(this.connId, this.userId, Math.max(1, frame.mutations.length));
    if (!verdict.ok) {
      this.ctx.metrics.countLimited('mutations');
      const message = `over the write limit (${verdict.points} mutations); nothing was applied, send it again later`;
      return this.error('rate-limited', message, requestId, verdict.retryAfterMs);
    }
    try {
      const outcome = await runPush(this.ctx, this.session.user, this.clientId!, frame.mutations);
      this.send({ type: 'push-result', requestId, results: outcome.results });
    } catch (err) {
      // The store rolled the batch back, so this is transient: the client retries the same mutation ids.
      this.ctx.log.error({ err, requestId }, 'push failed');
      this.error('unavailable', 'the server could not apply this batch; nothing was committed, retry later', requestId);
    }
  }
}
