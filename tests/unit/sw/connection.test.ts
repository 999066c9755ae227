/**
 * The connection state machine (sw/connection.ts) driven through its public methods with a fake socket,
 * a controllable online flag and Vitest's fake clock (this module touches no IndexedDB, so faking the
 * global timers is safe here).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PROTOCOL_VERSION } from '../../../protocol/index.ts';
import { type ConnectionState } from '../../../contract/index.ts';
import { Connection, type ConnectionDelegate } from '../../../sw/connection.ts';
import { ALICE, CLIENT, D1, FakeSocket, welcome } from './helpers.ts';

const T0 = 1_000_000;

function setup(o: { random?: number; online?: boolean; auth?: 'ok' | 'unauthorized' | 'unknown'; throwOnOpen?: boolean } = {}) {
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const net = { online: o.online ?? true, auth: o.auth ?? ('ok' as 'ok' | 'unauthorized' | 'unknown'), throwOnOpen: o.throwOnOpen ?? false };
  const d = {
    openSocket: vi.fn(() => {
      if (net.throwOnOpen) throw new Error('refused');
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    }),
    now: () => Date.now(),
    random: () => o.random ?? 0.5,
    setTimer: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimer: (id: unknown) => clearTimeout(id as ReturnType<typeof setTimeout>),
    isOnline: () => net.online,
    checkAuth: vi.fn(async () => net.auth),
    onState: (s: ConnectionState) => states.push(s),
    onWelcome: vi.fn(),
    onFrame: vi.fn(),
    onDown: vi.fn(),
    onBadFrame: vi.fn(),
  } satisfies ConnectionDelegate;
  const conn = new Connection(d, { clientId: CLIENT, pingMs: 10_000 });
  const last = () => sockets.at(-1)!;
  /** Opens the current socket and welcomes it. */
  const welcomeLast = () => {
    last().open();
    last().deliver(welcome());
  };
  return { conn, d, sockets, states, net, last, welcomeLast, kinds: () => states.map((s) => s.kind) };
}

/** Lets promise callbacks (checkAuth) run without moving the clock. */
const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('connecting and opening', () => {
  it('idle -> connecting(1) -> open on welcome -> caught-up and back, sending hello with the client id', () => {
    const t = setup();
    expect(t.conn.current).toEqual({ kind: 'idle' });
    expect(t.conn.isOpen).toBe(false);
    t.conn.start();
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 1 });
    t.last().open();
    expect(t.last().sent).toEqual([{ type: 'hello', protocol: PROTOCOL_VERSION, clientId: CLIENT }]);
    expect(t.conn.current.kind).toBe('connecting'); // open socket, but no welcome yet
    vi.advanceTimersByTime(40);
    t.last().deliver(welcome());
    expect(t.conn.current).toEqual({ kind: 'open', since: T0 + 40 });
    expect(t.conn.isOpen).toBe(true);
    expect(t.d.onWelcome).toHaveBeenCalledWith(expect.objectContaining({ type: 'welcome', epoch: 'e1', user: ALICE }));

    vi.advanceTimersByTime(10);
    t.conn.setCaughtUp(true);
    expect(t.conn.current).toEqual({ kind: 'caught-up', since: T0 + 40, lastSyncedAt: T0 + 50 });
    t.conn.setCaughtUp(false);
    expect(t.conn.current).toEqual({ kind: 'open', since: T0 + 40 });
    expect(t.kinds()).toEqual(['connecting', 'open', 'caught-up', 'open']);
  });

  it('start() is idempotent: one socket however often it is called', () => {
    const t = setup();
    t.conn.start();
    t.conn.start();
    t.welcomeLast();
    t.conn.start();
    expect(t.sockets).toHaveLength(1);
    expect(t.conn.current.kind).toBe('open');
  });

  it('setCaughtUp does nothing unless open', () => {
    const t = setup();
    t.conn.setCaughtUp(true);
    expect(t.conn.current).toEqual({ kind: 'idle' });
    t.conn.start();
    t.conn.setCaughtUp(true);
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 1 });
  });

  it('send() only carries frames while welcomed', () => {
    const t = setup();
    expect(t.conn.send({ type: 'ping', t: 1 })).toBe(false);
    t.conn.start();
    t.last().open();
    expect(t.conn.send({ type: 'ping', t: 2 })).toBe(false);
    t.last().deliver(welcome());
    expect(t.conn.send({ type: 'subscribe', dashboardId: D1, cursor: 0, epoch: null })).toBe(true);
    expect(t.last().sent.at(-1)).toEqual({ type: 'subscribe', dashboardId: D1, cursor: 0, epoch: null });
  });
});

describe('backoff timeline', () => {
  it('failures before welcome back off exponentially with jitter up to the cap, one attempt at a time', async () => {
    const t = setup({ random: 0.5 });
    t.conn.start();
    const delays: number[] = [];
    for (let n = 1; n <= 10; n++) {
      expect(t.conn.current).toEqual({ kind: 'connecting', attempt: n });
      t.last().serverClose(1006);
      const s = t.conn.current;
      if (s.kind !== 'backoff') throw new Error(`expected backoff, got ${s.kind}`);
      expect(s.attempt).toBe(n);
      expect(s.lastError).toBe('socket closed (1006)');
      expect(s.lastSyncedAt).toBeNull();
      delays.push(s.retryAt - Date.now());
      // Not a millisecond early...
      vi.advanceTimersByTime(s.retryAt - Date.now() - 1);
      expect(t.conn.current.kind).toBe('backoff');
      expect(t.sockets).toHaveLength(n);
      // ...and at retryAt exactly.
      vi.advanceTimersByTime(1);
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    // Every failure before a welcome asks whether the session is gone.
    await flush();
    expect(t.d.checkAuth).toHaveBeenCalledTimes(10);
  });

  it('jitter: with random() near 1 the delay approaches the 60 s cap and never exceeds it', () => {
    const t = setup({ random: 1 - Number.EPSILON });
    t.conn.start();
    let max = 0;
    for (let n = 1; n <= 12; n++) {
      t.last().serverClose(1006);
      const s = t.conn.current as Extract<ConnectionState, { kind: 'backoff' }>;
      max = Math.max(max, s.retryAt - Date.now());
      vi.advanceTimersByTime(s.retryAt - Date.now());
    }
    expect(max).toBe(59_999);
  });

  it('a socket that stays up resets the backoff: the next failure starts again from the first delay', () => {
    const t = setup({ random: 0.5 });
    t.conn.start();
    for (let n = 1; n <= 4; n++) {
      t.last().serverClose(1006);
      vi.advanceTimersByTime((t.conn.current as { retryAt: number }).retryAt - Date.now());
    }
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 5 });
    t.welcomeLast();
    expect(t.conn.current.kind).toBe('open');
    t.last().deliver({ type: 'pong', t: 0 }); // keep it from going silent
    vi.advanceTimersByTime(10_000);
    t.last().deliver({ type: 'pong', t: 0 });

    // An established socket that drops reconnects at once (attempt 0 has no delay)...
    t.last().serverClose(1001, 'going away');
    expect(t.conn.current).toMatchObject({ kind: 'backoff', attempt: 0, retryAt: Date.now(), lastError: 'socket closed (1001 going away)' });
    expect(t.d.onDown).toHaveBeenLastCalledWith('socket closed (1001 going away)', 1001);
    vi.advanceTimersByTime(0);
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 1 });
    // ...and a failure then waits the first delay again, not the fifth.
    t.last().serverClose(1006);
    expect((t.conn.current as { retryAt: number }).retryAt - Date.now()).toBe(250);
  });

  it('a server that welcomes and drops at once is backed off, not reconnected in a tight loop', () => {
    const t = setup({ random: 0.5 });
    t.conn.start();
    const delays: number[] = [];
    for (let n = 1; n <= 5; n++) {
      t.welcomeLast();
      expect(t.conn.current.kind).toBe('open');
      t.last().serverClose(1011, 'internal error');
      const delay = (t.conn.current as { retryAt: number }).retryAt - Date.now();
      delays.push(delay);
      vi.advanceTimersByTime(delay);
    }
    expect(delays[0]).toBeGreaterThan(0);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]!);
    expect(t.sockets).toHaveLength(6);
  });

  it('a socket that cannot even be created is a failure like any other', () => {
    const t = setup({ throwOnOpen: true });
    t.conn.start();
    expect(t.conn.current).toMatchObject({ kind: 'backoff', attempt: 1, lastError: 'cannot open a socket: refused' });
    t.net.throwOnOpen = false;
    vi.advanceTimersByTime(250);
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 2 });
  });

  it('no welcome within the connect timeout counts as a failure', () => {
    const t = setup();
    t.conn.start();
    t.last().open(); // TCP is up, the server never answers hello
    vi.advanceTimersByTime(9_999);
    expect(t.conn.current.kind).toBe('connecting');
    vi.advanceTimersByTime(1);
    expect(t.conn.current).toMatchObject({ kind: 'backoff', attempt: 1, lastError: 'no welcome in time' });
    expect(t.sockets[0].closedWith).toEqual({ code: 1000, reason: 'no welcome in time' });
  });

  it('the server refusing the protocol version backs off', () => {
    const t = setup();
    t.conn.start();
    t.last().open();
    t.last().deliver({ type: 'error', code: 'unsupported-protocol', message: 'need 2' });
    expect(t.conn.current).toMatchObject({ kind: 'backoff', lastError: `server refused protocol ${PROTOCOL_VERSION}: need 2` });
    expect(t.d.onFrame).not.toHaveBeenCalled();
  });
});

describe('recovery from a server outage', () => {
  /** A connection whose delegate can probe: `up` says whether the server answers its health request. */
  function probing(random = 0.99) {
    const t = setup({ random, throwOnOpen: true });
    const server = { up: false, probes: 0 };
    const d = { ...t.d, probe: vi.fn(async () => (server.probes++, server.up)) };
    const conn = new Connection(d, { clientId: CLIENT, pingMs: 10_000, probeMs: 2_000 });
    return { ...t, conn, server };
  }

  it('a long backoff from an unreachable server ends within a probe interval of the server coming back', async () => {
    const t = probing();
    t.conn.start();
    // Down for a while: the backoff grows towards the cap (random 0.99).
    for (let i = 0; i < 7; i++) {
      const retryAt = (t.conn.current as { retryAt: number }).retryAt;
      await vi.advanceTimersByTimeAsync(retryAt - Date.now());
    }
    const s = t.conn.current as Extract<ConnectionState, { kind: 'backoff' }>;
    expect(s.kind).toBe('backoff');
    expect(s.retryAt - Date.now()).toBeGreaterThan(20_000);
    expect(t.server.probes).toBeGreaterThan(0);
    // The server is back: the next probe (at most 1.5 x 2 s away) connects, long before retryAt.
    t.server.up = true;
    t.net.throwOnOpen = false;
    await vi.advanceTimersByTimeAsync(3_000);
    expect(t.conn.current.kind).toBe('connecting');
    expect(Date.now()).toBeLessThan(s.retryAt);
  });

  it('probes only while someone wants the socket, never while offline, and not a server that welcomes then drops', async () => {
    const t = probing();
    t.conn.start();
    t.conn.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.server.probes).toBe(0);

    t.conn.start();
    t.net.online = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.server.probes).toBe(0);

    const w = probing(0.99);
    w.net.throwOnOpen = false;
    w.conn.start();
    w.last().open();
    w.last().deliver(welcome());
    w.last().serverClose(1011, 'internal error');
    expect(w.conn.current.kind).toBe('backoff');
    await vi.advanceTimersByTimeAsync(200);
    expect(w.server.probes).toBe(0);
  });
});

describe('a refused upgrade (429 too-many-sockets)', () => {
  /**
   * The server refuses every upgrade and says so at `GET /api/ws` with Retry-After 25 s; its health probe
   * answers (the server is up). A browser sees the refusal only as a close with 1006 before `welcome`.
   */
  function refusing() {
    const t = setup({ random: 0.5 });
    const server = { refusing: true, probes: 0, asked: 0 };
    const d = {
      ...t.d,
      probe: vi.fn(async () => (server.probes++, true)),
      admission: vi.fn(async () => (server.asked++, server.refusing ? { retryAfterMs: 25_000 } : null)),
    };
    const conn = new Connection(d, { clientId: CLIENT, pingMs: 10_000, probeMs: 2_000 });
    const refuse = () => {
      t.last().open();
      t.last().serverClose(1006);
    };
    return { ...t, conn, server, refuse };
  }

  it('waits out Retry-After instead of reconnecting at every health probe; online and Retry do not shorten it', async () => {
    const t = refusing();
    t.conn.start();
    t.refuse();
    await flush();
    expect(t.server.asked).toBe(1);
    const s = t.conn.current as Extract<ConnectionState, { kind: 'backoff' }>;
    expect(s.kind).toBe('backoff');
    expect(s.retryAt - T0).toBeGreaterThanOrEqual(25_000);
    expect(s.lastError).toContain('refused');
    await vi.advanceTimersByTimeAsync(20_000);
    t.conn.setOnline(true); // a tab's online event, or the person's Retry
    await vi.advanceTimersByTimeAsync(4_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.conn.current.kind).toBe('backoff');

    // The hint has passed: the next attempt goes, and once admitted the socket opens as usual.
    t.server.refusing = false;
    await vi.advanceTimersByTimeAsync(s.retryAt - Date.now());
    expect(t.sockets).toHaveLength(2);
    t.welcomeLast();
    expect(t.conn.current.kind).toBe('open');
  });

  it('a failure the server does not call a refusal keeps the usual backoff and probes', async () => {
    const t = refusing();
    t.server.refusing = false;
    t.conn.start();
    t.refuse();
    await flush();
    const s = t.conn.current as Extract<ConnectionState, { kind: 'backoff' }>;
    expect(s.retryAt - T0).toBeLessThan(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.sockets).toHaveLength(2);
  });
});

describe('offline and online', () => {
  it('a reported offline closes an open socket at once; online reconnects at once with the backoff reset', () => {
    const t = setup();
    t.conn.start();
    t.welcomeLast();
    t.conn.setCaughtUp(true);
    const syncedAt = Date.now();
    t.conn.setOnline(false);
    expect(t.conn.current).toEqual({ kind: 'offline', lastSyncedAt: syncedAt });
    expect(t.sockets[0].closedWith).toEqual({ code: 1000, reason: 'offline' });
    expect(t.d.onDown).toHaveBeenCalledWith('offline', null);
    expect(t.conn.isOpen).toBe(false);

    // Nothing happens while offline, however long.
    vi.advanceTimersByTime(10 * 60_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.conn.current.kind).toBe('offline');

    t.conn.setOnline(true);
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 1 });
    expect(t.sockets).toHaveLength(2);
  });

  it('online during a long backoff connects now instead of at retryAt', () => {
    const t = setup({ random: 0.99 });
    t.conn.start();
    for (let n = 1; n <= 6; n++) {
      t.last().serverClose(1006);
      if (n < 6) vi.advanceTimersByTime((t.conn.current as { retryAt: number }).retryAt - Date.now());
    }
    expect(t.conn.current).toMatchObject({ kind: 'backoff', attempt: 6 });
    t.conn.setOnline(true);
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 1 });
  });

  it('offline is entered without a socket when navigator.onLine is false, and left by polling it', () => {
    const t = setup({ online: false });
    t.conn.start();
    expect(t.conn.current).toEqual({ kind: 'offline', lastSyncedAt: null });
    expect(t.d.openSocket).not.toHaveBeenCalled();
    vi.advanceTimersByTime(5_000);
    expect(t.conn.current.kind).toBe('offline');
    t.net.online = true;
    vi.advanceTimersByTime(1_000);
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 1 });
  });

  it('a reported offline wins over navigator.onLine until the tab reports online', () => {
    const t = setup();
    t.conn.start();
    t.conn.setOnline(false);
    vi.advanceTimersByTime(60_000);
    expect(t.conn.current.kind).toBe('offline');
    expect(t.d.openSocket).toHaveBeenCalledTimes(1);
  });

  it('the heartbeat notices navigator.onLine going false on an open socket', () => {
    const t = setup();
    t.conn.start();
    t.welcomeLast();
    t.net.online = false;
    vi.advanceTimersByTime(10_000);
    expect(t.conn.current.kind).toBe('offline');
    expect(t.sockets[0].closedWith?.reason).toBe('offline');
  });

  it('a failure while the browser is offline goes to offline, not backoff', () => {
    const t = setup();
    t.conn.start();
    t.last().open();
    t.net.online = false;
    t.last().serverClose(1006);
    expect(t.conn.current.kind).toBe('offline');
  });
});

describe('heartbeat', () => {
  it('pings every pingMs; pongs keep the socket; silence for 2 x pingMs declares it dead', () => {
    const t = setup();
    t.conn.start();
    t.welcomeLast();
    const s = t.last();
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(10_000);
      const ping = s.framesOf('ping').at(-1)!;
      s.deliver({ type: 'pong', t: ping.t });
    }
    expect(s.framesOf('ping')).toHaveLength(3);
    expect(t.conn.current.kind).toBe('open');
    expect(t.d.onFrame).toHaveBeenCalledWith({ type: 'pong', t: expect.any(Number) });

    // The network freezes: frames stop, the socket never closes by itself.
    vi.advanceTimersByTime(10_000);
    expect(t.conn.current.kind).toBe('open');
    vi.advanceTimersByTime(10_000);
    expect(t.conn.current).toMatchObject({ kind: 'backoff', lastError: 'no answer from the server' });
    expect(s.closedWith).toEqual({ code: 1000, reason: 'no answer from the server' });
    expect(t.d.checkAuth).not.toHaveBeenCalled(); // a dead socket is the network, not the session
  });
});

describe('sessions', () => {
  it('a failure before welcome with a 401 from checkAuth goes to signed-out and stops retrying', async () => {
    const t = setup({ auth: 'unauthorized' });
    t.conn.start();
    t.last().serverClose(1006);
    expect(t.conn.current.kind).toBe('backoff');
    await flush();
    expect(t.conn.current).toEqual({ kind: 'signed-out' });
    vi.advanceTimersByTime(10 * 60_000);
    expect(t.sockets).toHaveLength(1);

    // Offline does not hide that the person must sign in again.
    t.conn.setOnline(false);
    expect(t.conn.current).toEqual({ kind: 'signed-out' });
    t.conn.setOnline(true);
    expect(t.conn.current).toEqual({ kind: 'signed-out' });

    // A new identity starts it again.
    t.net.auth = 'ok';
    t.conn.start();
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 1 });
  });

  it('policy close (1008) after welcome asks about the session too', async () => {
    const t = setup({ auth: 'unauthorized' });
    t.conn.start();
    t.welcomeLast();
    t.last().serverClose(1008, 'logged out');
    await flush();
    expect(t.d.checkAuth).toHaveBeenCalledTimes(1);
    expect(t.conn.current.kind).toBe('signed-out');
  });

  it('a late 401 answer is ignored when a new attempt already started', async () => {
    const t = setup();
    let answer!: (a: 'unauthorized') => void;
    t.d.checkAuth.mockImplementationOnce(() => new Promise((r) => (answer = r)));
    t.conn.start();
    t.last().serverClose(1006);
    vi.advanceTimersByTime(250);
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 2 });
    answer('unauthorized');
    await flush();
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 2 });
  });

  it('stop() closes the socket and rests in idle; signOut() rests in signed-out', () => {
    const t = setup();
    t.conn.start();
    t.welcomeLast();
    t.conn.stop();
    expect(t.conn.current).toEqual({ kind: 'idle' });
    expect(t.sockets[0].closedWith).toEqual({ code: 1000, reason: 'stopped' });
    vi.advanceTimersByTime(60_000);
    expect(t.sockets).toHaveLength(1);
    t.conn.start();
    t.welcomeLast();
    t.conn.signOut();
    expect(t.conn.current).toEqual({ kind: 'signed-out' });
    expect(t.sockets[1].closedWith?.reason).toBe('signed out');
  });
});

describe('one socket at a time', () => {
  it('a replaced socket is detached: its late frames and close change nothing', () => {
    const t = setup();
    t.conn.start();
    t.welcomeLast();
    const old = t.last();
    t.conn.setOnline(false);
    t.conn.setOnline(true);
    expect(t.sockets).toHaveLength(2);
    expect(old.onmessage).toBeNull();
    expect(old.onclose).toBeNull();
    old.deliver(welcome()); // a frozen frame delivered late: nobody listens
    old.serverClose(1006);
    expect(t.conn.current).toEqual({ kind: 'connecting', attempt: 1 });
    expect(t.d.onWelcome).toHaveBeenCalledTimes(1);
  });
});

describe('frames from the server', () => {
  it('a frame that is not JSON or fails the schema is reported and changes nothing', () => {
    const t = setup();
    t.conn.start();
    t.welcomeLast();
    const before = t.conn.current;
    t.last().deliver('{not json');
    t.last().deliver({ type: 'changes', dashboardId: 'not-an-id', changes: [] });
    t.last().deliver({ type: 'teleport' });
    expect(t.d.onBadFrame).toHaveBeenCalledTimes(3);
    expect(t.d.onBadFrame).toHaveBeenNthCalledWith(1, 'frame is not JSON');
    expect(t.d.onBadFrame.mock.calls[1][0]).toMatch(/dashboardId/);
    expect(t.d.onFrame).not.toHaveBeenCalled();
    expect(t.conn.current).toBe(before);
    expect(t.last().closedWith).toBeNull();
  });

  it('valid frames other than welcome go to onFrame in order', () => {
    const t = setup();
    t.conn.start();
    t.welcomeLast();
    t.last().deliver({ type: 'caught-up', dashboardId: D1, seq: 4 });
    t.last().deliver({ type: 'push-result', requestId: 'r1', results: [] });
    expect(t.d.onFrame.mock.calls.map((c) => c[0].type)).toEqual(['caught-up', 'push-result']);
  });
});
