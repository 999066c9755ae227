/**
 * The `/api/ws` endpoint: checks Origin and the session cookie on the raw upgrade (answering 403 / 401 on
 * the TCP socket, before any WebSocket exists), then hands the socket to a Connection and to the hub.
 * Also owns the heartbeat: a socket that does not answer a ping within one interval is terminated.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { LIMITS } from '../../protocol/index.ts';
import { authenticate, originAllowed, type Session } from '../auth/sessions.ts';
import type { ServerContext } from '../context.ts';
import { Connection } from './connection.ts';
import { enforceQueueBudget, QUEUE_SWEEP_MS } from './queue-budget.ts';

export const WS_PATH = '/api/ws';

function refuse(socket: Duplex, status: number, text: string, code = text.toLowerCase().replace(/ /g, '-'), message = text): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      'X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export class SocketServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxFrameBytes });
  private readonly connections = new Map<WebSocket, Connection>();
  private readonly timer: NodeJS.Timeout;
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly ctx: ServerContext) {
    this.timer = setInterval(() => {
      for (const c of this.connections.values()) c.heartbeat();
    }, ctx.config.heartbeatMs);
    this.timer.unref();
    this.sweep = setInterval(() => enforceQueueBudget(ctx.hub, ctx.config.limits), QUEUE_SWEEP_MS);
    this.sweep.unref();
  }

  get size(): number {
    return this.connections.size;
  }

  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (this.ctx.isClosing()) return refuse(socket, 503, 'Service Unavailable');
    if (!originAllowed(req, this.ctx.allowedOrigins)) return refuse(socket, 403, 'Forbidden');
    let session: Session | null;
    try {
      session = await authenticate(this.ctx.store, req, this.ctx.now());
    } catch (err) {
      this.ctx.log.error({ err }, 'session lookup failed during upgrade');
      return refuse(socket, 503, 'Service Unavailable');
    }
    if (!session) return refuse(socket, 401, 'Unauthorized');
    // Counted after the awaits above and before accepting, with nothing awaited in between.
    const held = this.ctx.hub.socketsOf(session.user.id, session.tokenHash);
    const { maxSocketsPerSession, maxSocketsPerUser } = this.ctx.config.limits;
    if (held.session >= maxSocketsPerSession || held.user >= maxSocketsPerUser) {
      const perSession = held.session >= maxSocketsPerSession;
      this.ctx.metrics.countLimited(perSession ? 'sockets-per-session' : 'sockets-per-user');
      const max = perSession ? `${maxSocketsPerSession} per session` : `${maxSocketsPerUser} per user`;
      return refuse(socket, 429, 'Too Many Requests', 'too-many-sockets', `over ${max} open sockets; close one first`);
    }
    const s = session;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, s));
  }

  private accept(ws: WebSocket, session: Session): void {
    const conn = new Connection(this.ctx, ws, session);
    this.connections.set(ws, conn);
    this.ctx.hub.add(conn);
    this.ctx.log.debug({ userId: session.user.id }, 'socket open');
    ws.on('error', (err) => this.ctx.log.warn({ err: err.message, userId: session.user.id }, 'socket error'));
    ws.on('close', (code) => {
      this.connections.delete(ws);
      this.ctx.hub.remove(conn);
      this.ctx.log.debug({ userId: session.user.id, code }, 'socket closed');
    });
  }

  /** Waits until every socket has handled the frames it already received (in-flight pushes included). */
  async drain(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.idle()));
  }

  /** Closes every socket with `code` and waits (bounded) for the close handshakes. */
  async closeAll(code: number, reason: string, timeoutMs = 2000): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.sweep);
    const sockets = [...this.connections.keys()];
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            const t = setTimeout(() => {
              ws.terminate();
              resolve();
            }, timeoutMs);
            ws.once('close', () => {
              clearTimeout(t);
              resolve();
            });
            ws.close(code, reason);
          }),
      ),
    );
    this.wss.close();
  }

  /** Drops every socket without a close frame, as a network failure would (tests of resume use it). */
  terminateAll(): void {
    for (const ws of this.connections.keys()) ws.terminate();
  }
}
