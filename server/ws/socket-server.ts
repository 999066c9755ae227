/**
 * The `/api/ws` endpoint: checks Origin and the session cookie on the raw upgrade (answering 403 / 401 on
 * the TCP socket, before any WebSocket exists), then hands the socket to a Connection and to the hub.
 * Also owns the heartbeat: a socket that does not answer a ping within one interval is terminated.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { LIMITS } from '../../protocol/index.ts';
import type { Session } from '../auth/sessions.ts';
import type { ServerContext } from '../context.ts';
import { admit, type Admission } from './admission.ts';
import { Connection, connectionOf } from './connection.ts';
import { enforceQueueBudget, QUEUE_SWEEP_MS } from './queue-budget.ts';

export const WS_PATH = '/api/ws';

function refuse(socket: Duplex, a: Extract<Admission, { ok: false }>): void {
  const body = JSON.stringify({ error: { code: a.code, message: a.message } });
  socket.end(
    `HTTP/1.1 ${a.status} ${a.text}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      'X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n' +
      (a.retryAfterS === undefined ? '' : `Retry-After: ${a.retryAfterS}\r\n`) +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Until `ws` owns the raw socket (it installs its own error handling), an error just ends it. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

export class SocketServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxFrameBytes });
  private readonly connections = new Map<WebSocket, Connection>();
  private readonly timer: NodeJS.Timeout;
  private readonly sweep: NodeJS.Timeout;
  /** One close and one error listener for every socket, not a closure per socket (docs/server.md, "Memory and time per socket"). */
  private readonly onClose: (this: WebSocket, code: number) => void;
  private readonly onError: (this: WebSocket, err: Error) => void;

  constructor(private readonly ctx: ServerContext) {
    this.timer = setInterval(() => {
      for (const c of this.connections.values()) c.heartbeat();
    }, ctx.config.heartbeatMs);
    this.timer.unref();
    this.sweep = setInterval(() => enforceQueueBudget([...ctx.hub.subscribers(), ...ctx.answers.readers()], ctx.config.limits), QUEUE_SWEEP_MS);
    this.sweep.unref();
    const connections = this.connections;
    this.onClose = function (this: WebSocket, code: number) {
      const conn = connectionOf(this);
      connections.delete(this);
      if (conn) ctx.hub.remove(conn);
      ctx.log.debug({ userId: conn?.userId, code }, 'socket closed');
    };
    this.onError = function (this: WebSocket, err: Error) {
      ctx.log.warn({ err: err.message, userId: connectionOf(this)?.userId }, 'socket error');
    };
  }

  get size(): number {
    return this.connections.size;
  }

  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', destroyOnError);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== WS_PATH) return refuse(socket, { ok: false, status: 404, text: 'Not Found', code: 'not-found', message: 'Not Found' });
    const a = await admit(this.ctx, req, true);
    if (!a.ok) {
      if (a.limit) this.ctx.metrics.countLimited(a.limit);
      return refuse(socket, a);
    }
    const s = a.session;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // `ws` handles the raw socket's errors from here on.
      socket.off('error', destroyOnError);
      this.accept(ws, s);
    });
  }

  private accept(ws: WebSocket, session: Session): void {
    const conn = new Connection(this.ctx, ws, session);
    this.connections.set(ws, conn);
    this.ctx.hub.add(conn);
    this.ctx.log.debug({ userId: session.user.id }, 'socket open');
    ws.on('error', this.onError);
    ws.on('close', this.onClose);
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
