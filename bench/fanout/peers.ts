/**
 * The peers of the fan-out benchmark, each a broadcast relay with no storage, as functions on a node:http
 * server (bench/fanout/peer-servers.ts runs one as a child process; bench/fanout/socket-memory.ts runs one
 * in-process to weigh its sockets):
 * - `ws`: a plain `ws` server that sends every message it receives to every client (the floor);
 * - `socketio`: Socket.IO's `io.emit` of every `m` event (the familiar choice);
 * - `socketio-pg`: the same with Socket.IO's PostgreSQL adapter, so several such processes on one database
 *   broadcast to each other's clients (the peer of bench/cluster).
 */
import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { Server as SocketIOServer } from 'socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
import pg from 'pg';

export type PeerKind = 'ws' | 'socketio' | 'socketio-pg';

export async function attachPeer(http: Server, kind: PeerKind, databaseUrl?: string): Promise<void> {
  if (kind === 'ws') {
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        for (const c of wss.clients) if (c.readyState === c.OPEN) c.send(data, { binary: isBinary });
      });
    });
  } else if (kind === 'socketio') {
    const io = new SocketIOServer(http, { transports: ['websocket'], serveClient: false });
    io.on('connection', (socket) => socket.on('m', (d: unknown) => io.emit('m', d)));
  } else {
    if (!databaseUrl) throw new Error('socketio-pg needs a DATABASE_URL');
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    pool.on('error', () => undefined);
    await pool.query(`CREATE TABLE IF NOT EXISTS socket_io_attachments (
      id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`);
    const io = new SocketIOServer(http, { transports: ['websocket'], serveClient: false, adapter: createAdapter(pool) });
    io.on('connection', (socket) => socket.on('m', (d: unknown) => io.emit('m', d)));
  }
}

/** Answers once `http` listens on a free port of 127.0.0.1. */
export function listen(http: Server): Promise<number> {
  return new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as { port: number }).port)));
}
