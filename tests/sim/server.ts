/**
 * The real server in process, without a network: the SQLite store (`SqliteStore`, its `applyBatch`,
 * `catchUp` and `snapshot`), the hub's fan-out, the socket sessions of server/ws/connection.ts and the HTTP
 * routes of server/http (router, auth and sync routes), driven through fake `ws` sockets and fake
 * request/response objects. Only the node:http and `ws` plumbing is left out.
 *
 * A kill drops every socket and every request in flight (net.ts checks `generation`); a restart builds a
 * new store object, hub and router on the same database, as a new process on the same file would find it.
 * The database is one better-sqlite3 connection kept across restarts: its transactions are synchronous,
 * so a kill can never land inside one, and a committed one survives as it would on disk.
 */
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import type { WebSocket } from 'ws';
import type { Change, DashboardId, Mutation, User, UserId, Widget } from '../../protocol/index.ts';
import { DEFAULT_CONFIG } from '../../server/config.ts';
import type { ServerContext } from '../../server/context.ts';
import { hashToken, SESSION_COOKIE, type Session } from '../../server/auth/sessions.ts';
import { authRoutes } from '../../server/http/auth-routes.ts';
import { createRouter } from '../../server/http/router.ts';
import { syncRoutes } from '../../server/http/sync-routes.ts';
import type { Logger } from '../../server/logger.ts';
import type { Metrics } from '../../server/metrics.ts';
import { migrate } from '../../server/store/migrations.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { Connection } from '../../server/ws/connection.ts';
import { Hub } from '../../server/ws/hub.ts';
import { Fanout } from '../../server/fanout.ts';
import { Answers } from '../../server/http/answers.ts';
import { DEFAULT_LIMITS } from '../../server/limits/config.ts';
import { createRates } from '../../server/limits/rates.ts';

export const ORIGIN = 'http://fieldboard.sim';

const noop = () => {};
const silent = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop } as unknown as Logger;
const metrics = {
  registry: null,
  countResults: noop,
  startPush: () => noop,
  countHint: noop,
  countListenDrop: noop,
  countFanout: noop,
  observeFanoutLag: noop,
} as unknown as Metrics;

/** What a fetch gets back: the parts sw/http.ts reads. */
export interface SimResponse {
  status: number;
  ok: boolean;
  json(): Promise<unknown>;
}

/** The server side of one socket, as `ws` would hand it to a Connection. */
export class ServerWs extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  constructor(
    /** Carries a frame to the client (net.ts queues it on the socket's ordered pipe). */
    private readonly toClient: (text: string) => void,
    /** The server closed it: tell the client (code), after what is already on the wire. */
    private readonly closeClient: (code: number, reason: string) => void,
  ) {
    super();
  }
  send(text: string | Buffer): void {
    if (this.readyState === 1) this.toClient(String(text));
  }
  close(code = 1000, reason = ''): void {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.closeClient(code, reason);
    this.emit('close', code);
  }
  terminate(): void {
    this.close(1006, '');
  }
  ping(): void {}
  /** The client's close reached the server (or the connection died under it). */
  gone(): void {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.emit('close', 1006);
  }
}

export class SimServer {
  readonly db: Database.Database;
  store!: SqliteStore;
  hub!: Hub;
  ctx!: ServerContext;
  private route!: ReturnType<typeof createRouter>;
  /** Bumped by every kill: work of an older generation is dropped. */
  generation = 0;
  up = true;
  /** Graceful shutdown began: pushes are refused as `unavailable` (socket) or 503 (HTTP), nothing applies. */
  closing = false;
  private sockets = new Set<ServerWs>();
  private readonly sessions = new Map<string, User>();

  constructor(private readonly now: () => number) {
    this.db = new Database(':memory:');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    this.db.prepare(`UPDATE meta SET value = 'e-sim' WHERE key = 'epoch'`).run();
    this.start();
  }

  private start(): void {
    this.store = new SqliteStore(this.db);
    this.hub = new Hub();
    this.ctx = {
      // Pages of a few widgets, so catch-ups that span several pages happen in every run (server/store/page.ts).
      config: { ...DEFAULT_CONFIG, logLevel: 'silent', limits: { ...DEFAULT_CONFIG.limits, pageBytes: 2048 } },
      store: this.store,
      hub: this.hub,
      answers: new Answers(metrics, silent),
      // Not started: its hint listener and sweep timer are for several nodes; one node publishes its own commits.
      fanout: new Fanout(this.store, this.hub, metrics, silent, this.now),
      metrics,
      // The simulation's clock is virtual and its people never flood: limits far above what it sends.
      rates: createRates({ ...DEFAULT_LIMITS, framesPerSecond: 1e6, socketMutationsPerMinute: 1e8, userWritesPerMinute: 1e8 }),
      log: silent,
      allowedOrigins: new Set([ORIGIN]),
      startedAt: this.now(),
      now: this.now,
      isClosing: () => this.closing,
      track: (work) => work,
    };
    this.route = createRouter(this.ctx, [...authRoutes, ...syncRoutes]);
    this.up = true;
    this.closing = false;
  }

  /** The process dies: every socket and request of this generation is gone. */
  kill(): void {
    this.generation++;
    this.up = false;
    for (const ws of this.sockets) ws.gone();
    this.sockets.clear();
  }

  /** Graceful stop (server/app.ts close): refuse new pushes now; sockets close with 1001 when it ends. */
  beginShutdown(): void {
    if (this.up) this.closing = true;
  }

  /** The end of a graceful stop: every socket gets a 1001 close, then the process is gone. */
  finishShutdown(): void {
    if (!this.up) return;
    for (const ws of [...this.sockets]) ws.close(1001, 'server shutting down');
    this.kill();
  }

  restart(): void {
    if (!this.up) this.start();
    this.closing = false;
  }

  /** A user with a fixed id (the store's own would be random) and a session `token`. */
  async addUser(id: string, name: string, token: string): Promise<User> {
    const user: User = { id: id as UserId, name };
    this.db.prepare(`INSERT INTO users (id, name, password_hash) VALUES (?, ?, 'x')`).run(id, name);
    await this.store.createSession(hashToken(token), user.id, this.now() + 365 * 86_400_000);
    this.sessions.set(token, user);
    return user;
  }

  /** A dashboard with a fixed id, every user a member. */
  addDashboard(id: string, owner: User, members: User[]): DashboardId {
    this.db.prepare(`INSERT INTO dashboards (id, name, owner_id) VALUES (?, 'Site', ?)`).run(id, owner.id);
    for (const u of members) this.db.prepare(`INSERT INTO members (dashboard_id, user_id) VALUES (?, ?)`).run(id, u.id);
    return id as DashboardId;
  }

  /** A socket upgrade with the session `token`: the Connection of server/ws/connection.ts takes it. */
  accept(token: string, toClient: (text: string) => void, closeClient: (code: number, reason: string) => void): ServerWs | null {
    const user = this.sessions.get(token);
    if (!this.up || !user) return null;
    const ws = new ServerWs(toClient, closeClient);
    const session: Session = { user, tokenHash: hashToken(token), expiresAt: this.now() + 365 * 86_400_000 };
    const conn = new Connection(this.ctx, ws as unknown as WebSocket, session);
    const hub = this.hub;
    hub.add(conn);
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      hub.remove(conn);
    });
    return ws;
  }

  /** One HTTP request through the real router; answers the response, or throws if the server is down. */
  async http(token: string, path: string, init: { method?: string; body?: string } = {}): Promise<SimResponse> {
    if (!this.up) throw new Error('connection refused');
    const url = new URL(path, ORIGIN);
    const body = init.body ?? '';
    const req = Readable.from(body ? [Buffer.from(body)] : []) as unknown as IncomingMessage & { method: string; url: string };
    req.method = init.method ?? 'GET';
    req.url = url.pathname + url.search;
    req.headers = {
      cookie: `${SESSION_COOKIE}=${token}`,
      origin: ORIGIN,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    };
    let status = 0;
    let text = '';
    // 'finish' and 'close' listeners (server/http/answers.ts stops tracking the answer): run when it ends.
    const ended: (() => void)[] = [];
    const res = {
      once(_event: string, fn: () => void) {
        ended.push(fn);
      },
      get headersSent() {
        return status !== 0;
      },
      writeHead(s: number) {
        status = s;
      },
      setHeader: noop,
      end(t?: string) {
        text = t ?? '';
        for (const fn of ended.splice(0)) fn();
      },
      destroy: noop,
    } as unknown as ServerResponse;
    await this.route(req, res, url);
    return { status, ok: status >= 200 && status < 300, json: async () => JSON.parse(text) };
  }

  // ---- Ground truth for the checks ------------------------------------------------------------------------

  async snapshot(d: DashboardId): Promise<{ seq: number; widgets: Widget[] }> {
    return this.store.snapshot(d);
  }

  /** Every change of the dashboard, in seq order (the whole log, not the compacted feed). */
  changes(d: DashboardId): Change[] {
    const rows = this.db
      .prepare(`SELECT seq, widget_id, version, widget, mutation_id, client_id, user_id, at FROM changes WHERE dashboard_id = ? ORDER BY seq`)
      .all(d) as { seq: number; widget_id: string; version: number; widget: string | null; mutation_id: string | null; client_id: string | null; user_id: string | null; at: number }[];
    return rows.map((r) => ({
      seq: r.seq,
      dashboardId: d,
      widgetId: r.widget_id,
      version: r.version,
      widget: r.widget === null ? null : JSON.parse(r.widget),
      mutationId: r.mutation_id,
      clientId: r.client_id,
      userId: r.user_id as UserId | null,
      at: r.at,
    })) as Change[];
  }

  /** The recorded result of every mutation id the server has seen. */
  results(): Map<string, { status: string; code?: string; message?: string }> {
    const rows = this.db.prepare(`SELECT id, result FROM mutations`).all() as { id: string; result: string }[];
    return new Map(rows.map((r) => [r.id, JSON.parse(r.result)]));
  }

  /** Applies setup mutations directly (the board people find when they start). */
  async seed(user: User, clientId: string, mutations: Mutation[]): Promise<void> {
    const out = await this.store.applyBatch({ userId: user.id, clientId: clientId as never, now: this.now() }, mutations);
    const bad = out.results.find((r) => r.status !== 'applied');
    if (bad) throw new Error(`seed failed: ${JSON.stringify(bad)}`);
  }

  close(): void {
    this.db.close();
  }
}
