/**
 * The propagation peer's server: the minimal Socket.IO broadcast relay people reach for (default server
 * and client options: long-polling first, then the upgrade to a WebSocket), relaying every `edit` to every
 * other socket, and serving the built peer page from the same origin.
 *
 *   node --import tsx bench/propagation/relay-server.ts <static dir>   -> prints `PORT <n>`
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { Server } from 'socket.io';

const dir = resolve(process.argv[2] ?? '.');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

const http = createServer((req, res) => {
  let file = resolve(dir, '.' + decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
  if (!file.startsWith(dir) || !existsSync(file) || statSync(file).isDirectory()) file = join(dir, 'index.html');
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
});
const io = new Server(http);
io.on('connection', (socket) => socket.on('edit', (e: unknown) => socket.broadcast.emit('edit', e)));

http.listen(0, '127.0.0.1', () => console.log(`PORT ${(http.address() as { port: number }).port}`));
process.on('SIGTERM', () => process.exit(0));
