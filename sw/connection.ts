/**
 * The one WebSocket to the server, as a state machine over the protocol's `ConnectionState` union. Time,
 * randomness, the socket and the online check are injected (`ConnectionDelegate`), so tests drive it with
 * a fake socket and a fake clock.
 *
 *                         start()                 socket open + `welcome`
 *   idle ───────────────► connecting(attempt) ─────────────────────────► open(since)
 *    ▲                      ▲      │ close / error / no welcome              │  every watched dashboard
 *    │ stop()               │      ▼                                         ▼  caught up (setCaughtUp)
 *    │            timer     backoff(attempt, retryAt) ◄─── close / silence ── caught-up(since, lastSyncedAt)
 *    │                      │
 *   any ──── setOnline(false) or !isOnline() ───► offline ── setOnline(true) ──► connecting(1), backoff reset
 *   any ──── a failed connect + checkAuth() says 401 ─────► signed-out ── start() ──► connecting
 *
 * Invariants:
 * - At most one socket exists; events of a replaced socket are ignored (each socket has a generation).
 * - `attempt` counts consecutive failures; it goes back to 0 when a welcomed socket has stayed up for
 *   `stableMs` (so a server that welcomes and drops at once is backed off, not hammered) and on
 *   `setOnline(true)`.
 * - Offline closes the socket at once: DevTools' offline emulation freezes an open socket instead of
 *   closing it (docs/browser-facts.md "Offline"), so waiting for `onclose` would show "Online" for minutes.
 * - A socket that delivers no frame (pong included) for `silenceMs` is dead, whatever its readyState says.
 *
 * Over 300 lines and still one concept: the socket's state machine. Every method is a transition of the
 * union above; split apart, the transitions would be read away from the states and the invariants they keep.
 * - Recovery in seconds: while backing off from a server that could not be reached at all (no welcome), and
 *   someone wants the socket (a tab is open), a cheap health probe runs every `probeMs` (jittered); the
 *   first answer ends the wait. A server that welcomes and then drops is not probed: it gets the backoff.
 * - A server that refused the upgrade (429, asked through `admission`) is not probed either: no attempt is
 *   made before its Retry-After (plus up to a fifth more, jittered), whatever online, Retry or a probe say.
 *   Meanwhile pushes go over HTTP as in any backoff, so nothing waits on the socket.
 */
import type { ServerFrame, ClientFrame } from '../protocol/index.ts';
import type { ConnectionState } from '../contract/index.ts';
import { PROTOCOL_VERSION, ServerFrameSchema, parse, type ClientId } from '../protocol/index.ts';
import { backoffDelay } from './backoff.ts';

export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type TimerId = unknown;

export interface ConnectionDelegate {
  openSocket(): SocketLike;
  now(): number;
  random(): number;
  setTimer(fn: () => void, ms: number): TimerId;
  clearTimer(id: TimerId): void;
  /** `navigator.onLine` in the SW. */
  isOnline(): boolean;
  /** After a socket failed before `welcome`: is the session gone (HTTP 401), or was it the network? */
  checkAuth(): Promise<'ok' | 'unauthorized' | 'unknown'>;
  /** Every state change, in order. */
  onState(state: ConnectionState): void;
  /** `welcome` arrived: subscribe and send the outbox now. */
  onWelcome(frame: Extract<ServerFrame, { type: 'welcome' }>): void;
  /** Any other valid frame. */
  onFrame(frame: ServerFrame): void;
  /** The socket is gone (the engine fails its in-flight push as transient); `closeCode` when the socket said. */
  onDown(reason: string, closeCode: number | null): void;
  /** A frame failed validation (logged; the connection stays, as the server does for bad client frames). */
  onBadFrame?(message: string): void;
  /** Does the server answer at all (a cheap health request)? Absent: never probe. */
  probe?(): Promise<boolean>;
  /**
   * After a socket failed before `welcome`: did the server refuse the upgrade (429, too many sockets), and
   * how long does it ask to wait? `GET /api/ws` answers the upgrade's verdict; null when it was no refusal.
   */
  admission?(): Promise<{ retryAfterMs: number } | null>;
}

export interface ConnectionOptions {
  clientId: ClientId;
  /** App-level ping interval; silence of `silenceMs` means the socket is dead. */
  pingMs?: number;
  silenceMs?: number;
  /** How long `connecting` may take before it counts as a failure. */
  connectTimeoutMs?: number;
  /** How long a welcomed socket must stay up before its failure counts as a fresh start (no delay). */
  stableMs?: number;
  /** While offline because `isOnline()` said so, how often to look again (the SW gets no `online` event). */
  onlinePollMs?: number;
  /** While backing off from an unreachable server, about how often to probe it (0.5x to 1.5x, jittered). */
  probeMs?: number;
}

export class Connection {
  private state: ConnectionState = { kind: 'idle' };
  private socket: SocketLike | null = null;
  private generation = 0;
  private attempt = 0;
  private wanted = false;
  private reportedOffline = false;
  private lastSyncedAt: number | null = null;
  private lastFrameAt = 0;
  private timer: TimerId | null = null;
  private probeTimer: TimerId | null = null;
  private readonly probeMs: number;
  private readonly pingMs: number;
  private readonly silenceMs: number;
  private readonly connectTimeoutMs: number;
  private readonly onlinePollMs: number;
  private readonly stableMs: number;
  /** No socket is opened before this time: the server refused the last upgrade and said how long to wait. */
  private refusedUntil = 0;

  constructor(
    private readonly d: ConnectionDelegate,
    private readonly opts: ConnectionOptions,
  ) {
    this.pingMs = opts.pingMs ?? 10_000;
    this.silenceMs = opts.silenceMs ?? 2 * this.pingMs;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.onlinePollMs = opts.onlinePollMs ?? 1_000;
    this.stableMs = opts.stableMs ?? 10_000;
    this.probeMs = opts.probeMs ?? 2_000;
  }

  get current(): ConnectionState {
    return this.state;
  }

  /** Open (welcomed) and able to carry frames. */
  get isOpen(): boolean {
    return this.state.kind === 'open' || this.state.kind === 'caught-up';
  }

  /** Someone (a tab, a signed-in identity) wants a connection. Idempotent. */
  start(): void {
    this.wanted = true;
    if (this.state.kind === 'idle' || this.state.kind === 'signed-out') this.connectNow();
  }

  /** Nobody needs the socket (no identity): close it and rest. */
  stop(): void {
    this.wanted = false;
    this.drop('stopped');
    this.set({ kind: 'idle' });
  }

  /** The session is gone (401): close and wait for a new identity, keeping everything queued. */
  signOut(): void {
    this.wanted = false;
    this.drop('signed out');
    this.set({ kind: 'signed-out' });
  }

  /** A tab relayed `online`/`offline`. Online resets the backoff and connects at once. */
  setOnline(online: boolean): void {
    this.reportedOffline = !online;
    if (!online) {
      if (this.state.kind !== 'signed-out') this.goOffline();
      return;
    }
    this.attempt = 0;
    if (this.wanted && (this.state.kind === 'offline' || this.state.kind === 'backoff' || this.state.kind === 'idle')) {
      this.connectNow();
    }
  }

  /** The engine says whether every watched dashboard is caught up. */
  setCaughtUp(caughtUp: boolean): void {
    const s = this.state;
    if (caughtUp && s.kind === 'open') {
      this.lastSyncedAt = this.d.now();
      this.set({ kind: 'caught-up', since: s.since, lastSyncedAt: this.lastSyncedAt });
    } else if (caughtUp && s.kind === 'caught-up') {
      this.lastSyncedAt = this.d.now();
      this.set({ ...s, lastSyncedAt: this.lastSyncedAt });
    } else if (!caughtUp && s.kind === 'caught-up') {
      this.set({ kind: 'open', since: s.since });
    }
  }

  /** Sends a frame if the socket is welcomed; false otherwise (the caller falls back to HTTP or waits). */
  send(frame: ClientFrame): boolean {
    if (!this.isOpen || !this.socket) return false;
    try {
      this.socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private offlineNow(): boolean {
    return this.reportedOffline || !this.d.isOnline();
  }

  private goOffline(): void {
    this.drop('offline');
    this.set({ kind: 'offline', lastSyncedAt: this.lastSyncedAt });
    if (!this.reportedOffline) this.schedule(() => this.pollOnline(), this.onlinePollMs);
  }

  private pollOnline(): void {
    if (this.state.kind !== 'offline') return;
    if (this.offlineNow()) {
      this.schedule(() => this.pollOnline(), this.onlinePollMs);
      return;
    }
    this.attempt = 0;
    if (this.wanted) this.connectNow();
  }

  private connectNow(): void {
    this.drop('reconnecting');
    if (this.offlineNow()) {
      this.goOffline();
      return;
    }
    if (this.d.now() < this.refusedUntil) {
      this.waitRefused('the server refused the socket (too many open); waiting as it asked');
      return;
    }
    this.attempt += 1;
    const gen = ++this.generation;
    this.set({ kind: 'connecting', attempt: this.attempt });
    let socket: SocketLike;
    try {
      socket = this.d.openSocket();
    } catch (e) {
      this.failed(gen, `cannot open a socket: ${(e as Error).message}`, false);
      return;
    }
    this.socket = socket;
    // Welcomed = this generation's socket made the state open (`since` is when): no separate flag.
    const welcomed = () => gen === this.generation && this.isOpen;
    socket.onopen = () => {
      if (gen !== this.generation) return;
      this.lastFrameAt = this.d.now();
      socket.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, clientId: this.opts.clientId }));
    };
    socket.onmessage = (ev) => {
      if (gen !== this.generation) return;
      this.lastFrameAt = this.d.now();
      let json: unknown;
      try {
        json = JSON.parse(String(ev.data));
      } catch {
        this.d.onBadFrame?.('frame is not JSON');
        return;
      }
      const parsed = parse(ServerFrameSchema, json);
      if (!parsed.ok) {
        this.d.onBadFrame?.(parsed.message);
        return;
      }
      const frame = parsed.value;
      if (frame.type === 'welcome') {
        this.set({ kind: 'open', since: this.d.now() });
        this.schedule(() => this.tick(gen), this.pingMs);
        this.d.onWelcome(frame);
        return;
      }
      if (frame.type === 'error' && frame.code === 'unsupported-protocol') {
        this.failed(gen, `server refused protocol ${PROTOCOL_VERSION}: ${frame.message}`, false);
        return;
      }
      this.d.onFrame(frame);
    };
    socket.onerror = () => {
      /* onclose follows and carries the decision */
    };
    socket.onclose = (ev) => {
      if (gen !== this.generation) return;
      const reason = `socket closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`;
      // Closed before welcome, or by policy (logout elsewhere): find out whether the session is gone.
      this.failed(gen, reason, !welcomed() || ev.code === 1008, ev.code);
    };
    this.schedule(() => {
      if (gen === this.generation && !welcomed()) this.failed(gen, 'no welcome in time', true);
    }, this.connectTimeoutMs);
  }

  /** Heartbeat: ping, and declare the socket dead after `silenceMs` without any frame. */
  private tick(gen: number): void {
    if (gen !== this.generation || !this.isOpen) return;
    if (this.offlineNow()) {
      this.goOffline();
      return;
    }
    if (this.d.now() - this.lastFrameAt >= this.silenceMs) {
      this.failed(gen, 'no answer from the server', false);
      return;
    }
    this.send({ type: 'ping', t: this.d.now() });
    this.schedule(() => this.tick(gen), this.pingMs);
  }

  private failed(gen: number, reason: string, askAuth: boolean, closeCode: number | null = null): void {
    if (gen !== this.generation) return;
    // Read before anything changes the state: `since` is when this socket was welcomed (null: never was).
    const s = this.state;
    const welcomedAt = s.kind === 'open' || s.kind === 'caught-up' ? s.since : null;
    this.drop(reason, closeCode);
    if (this.offlineNow()) {
      this.goOffline();
      return;
    }
    const welcomed = welcomedAt !== null;
    if (welcomedAt !== null && this.d.now() - welcomedAt >= this.stableMs) this.attempt = 0;
    const idle = this.generation; // no socket of this generation exists; a new attempt bumps it
    const retryAt = this.d.now() + backoffDelay(this.attempt, () => this.d.random());
    this.set({ kind: 'backoff', attempt: this.attempt, retryAt, lastError: reason, lastSyncedAt: this.lastSyncedAt });
    this.schedule(() => {
      if (idle === this.generation && this.state.kind === 'backoff' && this.wanted) this.connectNow();
    }, retryAt - this.d.now());
    if (!welcomed) {
      this.scheduleProbe(idle, retryAt);
      this.askAdmission(idle, reason);
    }
    if (askAuth) {
      void this.d.checkAuth().then((answer) => {
        // Only if nothing else happened meanwhile (a new attempt, offline, a new identity).
        if (answer === 'unauthorized' && idle === this.generation && this.state.kind === 'backoff') this.signOut();
      });
    }
  }

  /** After a failure before `welcome`: if it was a refused upgrade, this backoff lasts until its Retry-After. */
  private askAdmission(idle: number, reason: string): void {
    const admission = this.d.admission;
    if (!admission) return;
    void admission.call(this.d).then(
      (refusal) => {
        if (!refusal || idle !== this.generation || this.state.kind !== 'backoff') return;
        const jitter = Math.floor(this.d.random() * refusal.retryAfterMs * 0.2);
        this.refusedUntil = this.d.now() + refusal.retryAfterMs + jitter;
        this.waitRefused(`${reason}; the server refused the socket (too many open)`);
      },
      () => {},
    );
  }

  /** Backs off until `refusedUntil`, with no probe: the server is up, and it asked for the wait. */
  private waitRefused(lastError: string): void {
    const idle = this.generation;
    const retryAt = this.refusedUntil;
    this.set({ kind: 'backoff', attempt: this.attempt, retryAt, lastError, lastSyncedAt: this.lastSyncedAt });
    this.schedule(() => {
      if (idle === this.generation && this.state.kind === 'backoff' && this.wanted) this.connectNow();
    }, retryAt - this.d.now());
  }

  /** Probes the server before `retryAt` while this backoff lasts; an answer connects at once. */
  private scheduleProbe(idle: number, retryAt: number): void {
    const probe = this.d.probe;
    if (!probe) return;
    const delay = Math.floor(this.probeMs * (0.5 + this.d.random()));
    if (this.d.now() + delay >= retryAt) return; // the retry comes first anyway
    const still = () => idle === this.generation && this.state.kind === 'backoff' && this.wanted && !this.offlineNow();
    this.probeTimer = this.d.setTimer(() => {
      this.probeTimer = null;
      if (!still()) return;
      void probe.call(this.d).then(
        (up) => {
          if (!still()) return;
          if (up) this.connectNow();
          else this.scheduleProbe(idle, retryAt);
        },
        () => still() && this.scheduleProbe(idle, retryAt),
      );
    }, delay);
  }

  /** Forgets the current socket (its late events are ignored) and closes it without waiting. */
  private drop(reason: string, closeCode: number | null = null): void {
    this.clearTimer();
    const s = this.socket;
    this.socket = null;
    this.generation++;
    if (!s) return;
    s.onopen = s.onmessage = s.onclose = s.onerror = null;
    try {
      s.close(1000, reason.slice(0, 100));
    } catch {
      /* already closed */
    }
    this.d.onDown(reason, closeCode);
  }

  private schedule(fn: () => void, ms: number): void {
    this.clearTimer();
    this.timer = this.d.setTimer(fn, Math.max(0, ms));
  }

  private clearTimer(): void {
    if (this.timer !== null) this.d.clearTimer(this.timer);
    this.timer = null;
    if (this.probeTimer !== null) this.d.clearTimer(this.probeTimer);
    this.probeTimer = null;
  }

  private set(state: ConnectionState): void {
    this.state = state;
    this.d.onState(state);
  }
}
