/**
 * The peers of the fan-out benchmark, each a broadcast relay with no storage:
 * - `ws`: a plain `ws` server that sends every message it receives to every client (the floor);
 * - `socketio`: Socket.IO's `io.emit` of every `m` event (the familiar choice);
 * - `socketio-pg DATABASE_URL`: the same with Socket.IO's PostgreSQL adapter, so several such processes on
 *   one database broadcast to each other's clients (the peer of bench/cluster).
 * Run as a child process: `node --import tsx bench/fanout/peer-servers.ts ws|socketio|socketio-pg [url]`;
 * prints `PORT <n>`.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { Server as SocketIOServer } from 'socket.io';
import { createAdapter } from '@socket.io/postgres-adapter';
import pg from 'pg';

const kind = process.argv[2];
const http = createServer();

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
} else if (kind === 'socketio-pg' && process.argv[3]) {
  const pool = new pg.Pool({ connectionString: process.argv[3], max: 4 });
  pool.on('error', () => undefined);
  await pool.query(`CREATE TABLE IF NOT EXISTS socket_io_attachments (
    id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`);
  const io = new SocketIOServer(http, { transports: ['websocket'], serveClient: false, adapter: createAdapter(pool) });
  io.on('connection', (socket) => socket.on('m', (d: unknown) => io.emit('m', d)));
} else {
  console.error('usage: peer-servers.ts ws|socketio|socketio-pg DATABASE_URL');
  process.exit(2);
}

http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as { port: number };
  console.log(`PORT ${port}`);
});
process.on('SIGTERM', () => process.exit(0));
