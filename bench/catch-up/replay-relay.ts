/**
 * The catch-up benchmark's peer: a relay that replays the change log, every change after the cursor, as a
 * log-replaying sync server (or a relay with a durable log) would. A child process:
 * `node --import tsx bench/catch-up/replay-relay.ts <sqlite file>`; prints `PORT <n>`.
 *
 * It reads Fieldboard's own SQLite file (read-only) with the server's own `since` statement
 * (server/store/sqlite-statements.ts) and cuts pages with the server's own rule (server/store/page.ts), then
 * frames them exactly as the server frames a catch-up (`changes` frames, then `caught-up`), waiting for each
 * page to be written before reading the next (as the server waits for its socket to drain). So the two
 * sides differ in one thing only: which changes are sent (the server walks `widgets_feed`: the latest
 * change of each widget changed after the cursor; the relay sends all of them).
 *
 * Protocol (the subset a returning device uses): the client sends `{ type: 'subscribe', dashboardId, cursor }`.
 */
import { createServer } from 'node:http';
import Database from 'better-sqlite3';
import { WebSocketServer, type WebSocket } from 'ws';
import { LIMITS } from '../../protocol/index.ts';
import { DEFAULT_CONFIG } from '../../server/config.ts';
import { cutPage } from '../../server/store/page.ts';
import { changeOf, prepareStatements } from '../../server/store/sqlite-statements.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: replay-relay.ts <fieldboard sqlite file>');
  process.exit(2);
}
const db = new Database(file, { readonly: true, fileMustExist: true });
const st = prepareStatements(db);
const take = LIMITS.defaultPullLimit;
const pageBytes = DEFAULT_CONFIG.limits.pageBytes;

const sendAndWait = (ws: WebSocket, data: string) =>
  new Promise<void>((res, rej) => ws.send(data, (err) => (err ? rej(err) : res())));

async function replay(ws: WebSocket, dashboardId: string, cursor: number): Promise<void> {
  let after = cursor;
  for (;;) {
    // One read transaction per page, like the server's catch-up.
    const page = db.transaction(() => cutPage(st.since.iterate(dashboardId, after, take + 1), take, pageBytes))();
    const changes = page.rows.map(changeOf);
    if (changes.length > 0) await sendAndWait(ws, JSON.stringify({ type: 'changes', dashboardId, changes }));
    if (changes.length > 0) after = changes[changes.length - 1].seq;
    if (!page.more) break;
  }
  await sendAndWait(ws, JSON.stringify({ type: 'caught-up', dashboardId, seq: after }));
}

const http = createServer();
const wss = new WebSocketServer({ server: http, path: '/replay', perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type?: string; dashboardId?: string; cursor?: number };
    if (frame.type !== 'subscribe' || typeof frame.dashboardId !== 'string' || typeof frame.cursor !== 'number') {
      ws.close(1008, 'expected { type: "subscribe", dashboardId, cursor }');
      return;
    }
    replay(ws, frame.dashboardId, frame.cursor).catch((err: unknown) => ws.close(1011, String(err).slice(0, 100)));
  });
});
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  console.log(`PORT ${typeof address === 'object' && address ? address.port : 0}`);
});
process.on('SIGTERM', () => {
  db.close();
  process.exit(0);
});
