/**
 * Descriptor exhaustion without signing in (issue 14, item 1): malformed requests, idle connections and
 * over-limit bodies must not hold sockets, and /api/health must keep answering another address while one
 * address holds all it may. The server's own count of open connections (`server.connections()`) is the
 * measure: the attacking sockets live in this process too, so /proc/self/fd would count both ends.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../server/limits/config.ts';
import { login, startWorld, waitUntil, type TestWorld } from './helpers.ts';

let world: TestWorld | null = null;
const attackers: Socket[] = [];

afterEach(async () => {
  for (const s of attackers.splice(0)) s.destroy();
  await world?.cleanup();
  world = null;
});

async function start(limits: Partial<Limits>): Promise<TestWorld> {
  world = await startWorld({ limits: { ...DEFAULT_LIMITS, ...limits } });
  return world;
}

interface Attacker {
  socket: Socket;
  received: string;
  /** The server ended its side (FIN or reset); the attacker's side may still be open. */
  closed: boolean;
}

/**
 * A raw TCP connection that never closes its side on its own: `allowHalfOpen` keeps it open after the
 * server's FIN, as an attacker's client would (a plain Node client would politely close back).
 */
function attacker(w: TestWorld, payload: string | null, localAddress?: string): Promise<Attacker> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: w.server.port, localAddress, allowHalfOpen: true });
    attackers.push(socket);
    const a: Attacker = { socket, received: '', closed: false };
    socket.on('data', (d) => (a.received += d.toString()));
    socket.on('end', () => (a.closed = true));
    socket.on('close', () => (a.closed = true));
    socket.on('error', () => {});
    socket.once('connect', () => {
      if (payload !== null) socket.write(payload);
      resolve(a);
    });
    socket.once('error', reject);
  });
}

function health(w: TestWorld, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: w.server.port, path: '/api/health', localAddress, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('connection hygiene', () => {
  it('300 malformed requests get a 400 and leave no more than a handful of connections held', async () => {
    const w = await start({ maxConnectionsPerAddress: 0 });
    const before = await w.server.connections();
    const all: Attacker[] = [];
    for (let i = 0; i < 300; i++) all.push(await attacker(w, 'NOT HTTP AT ALL\r\n\r\n'));
    await waitUntil(() => all.every((a) => a.received !== '' || a.closed), 10_000, 'an answer to every malformed request');
    expect(all.filter((a) => a.received.startsWith('HTTP/1.1 400')).length).toBeGreaterThan(290);
    await waitUntil(async () => (await w.server.connections()) <= before + 5, 10_000, 'the server to let go of them');
    expect(await w.server.connections()).toBeLessThanOrEqual(5);
  });

  it('holds at most the per-address limit of idle connections, and /api/health answers another address', async () => {
    const w = await start({ maxConnectionsPerAddress: 20 });
    const all: Attacker[] = [];
    for (let i = 0; i < 40; i++) all.push(await attacker(w, null, '127.0.0.1'));
    await waitUntil(() => all.filter((a) => a.closed).length >= 20, 5000, 'the connections over the limit to be closed');
    expect(all.filter((a) => a.closed).length).toBe(20);
    expect(await w.server.connections()).toBe(20);
    expect(await health(w, '127.0.0.2')).toBe(200);
    // A closed connection gives its place back.
    all.find((a) => !a.closed)!.socket.destroy();
    await waitUntil(async () => (await w.server.connections()) === 19, 5000, 'the count to drop');
    expect(await health(w, '127.0.0.1')).toBe(200);
  });

  it('holds at most maxConnections in all, whatever the addresses', async () => {
    const w = await start({ maxConnections: 30, maxConnectionsPerAddress: 0 });
    const all: Attacker[] = [];
    for (let i = 0; i < 40; i++) all.push(await attacker(w, null, `127.0.0.${2 + (i % 5)}`));
    await waitUntil(() => all.filter((a) => a.closed).length >= 10, 5000, 'the connections over the limit to be closed');
    expect(await w.server.connections()).toBeLessThanOrEqual(30);
  });

  it('closes a connection that sends no complete request within the timeouts', async () => {
    const w = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 400 });
    const silent = await attacker(w, null);
    const partial = await attacker(w, 'GET /api/health HTTP/1.1\r\nHost: x\r\n');
    await waitUntil(() => silent.closed && partial.closed, 10_000, 'both to be closed by the server');
    expect(await w.server.connections()).toBe(0);
  });

  it('answers 413 to an over-limit chunked body and stops reading it at once', async () => {
    const w = await start({});
    const cookie = await login(w);
    const a = await attacker(
      w,
      `POST /api/push HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${w.origin}\r\nCookie: ${cookie}\r\n` +
        `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    // 64 MiB offered; the server must hang up long before it has read them.
    let sent = 0;
    while (!a.closed && sent < 64 * 1024 * 1024) {
      if (!a.socket.write(frame)) await new Promise<void>((r) => (a.closed ? r() : a.socket.once('drain', r).once('close', r)));
      sent += frame.length;
    }
    await waitUntil(() => a.closed, 5000, 'the server to close the connection');
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('answers 413 to a declared over-limit body without reading it, and closes', async () => {
    const w = await start({});
    const cookie = await login(w);
    const head = (c: string) =>
      `POST /api/push HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${w.origin}\r\n${c}` +
      `Content-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`;
    const a = await attacker(w, head(`Cookie: ${cookie}\r\n`));
    await waitUntil(() => a.received.includes('\r\n\r\n') || a.closed, 5000, 'an answer');
    expect(a.received).toMatch(/^HTTP\/1\.1 413/);
    await waitUntil(() => a.closed, 5000, 'the server to close the connection');
    // Signed out: answered 401 before the body, and the connection is not kept to swallow 100 MiB.
    const b = await attacker(w, head(''));
    await waitUntil(() => b.closed, 5000, 'the server to close the connection');
    expect(b.received).toMatch(/^HTTP\/1\.1 401/);
  });
});
