/**
 * One fan-out peer (bench/fanout/peers.ts) as a child process:
 * `node --import tsx bench/fanout/peer-servers.ts ws|socketio|socketio-pg [DATABASE_URL]`; prints `PORT <n>`.
 */
import { createServer } from 'node:http';
import { attachPeer, listen, type PeerKind } from './peers.ts';

const kind = process.argv[2];
if (kind !== 'ws' && kind !== 'socketio' && !(kind === 'socketio-pg' && process.argv[3])) {
  console.error('usage: peer-servers.ts ws|socketio|socketio-pg DATABASE_URL');
  process.exit(2);
}
const http = createServer();
await attachPeer(http, kind as PeerKind, process.argv[3]);
console.log(`PORT ${await listen(http)}`);
process.on('SIGTERM', () => process.exit(0));
