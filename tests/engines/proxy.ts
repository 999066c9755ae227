/**
 * A TCP forwarder in front of the kit server: the browser's origin is the proxy's port, so every request and
 * the service worker's WebSocket go through it. `offline()` destroys every open connection (the worker's
 * socket really closes, unlike Chromium's emulation, which freezes it) and resets new ones, which the
 * browser sees as a refused connection; `online()` forwards again. Firefox's and WebKit's network emulation
 * does not reach the service worker (docs/browser-facts.md "Offline"), so this is how a device goes offline here.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Proxy {
  readonly port: number;
  readonly url: string;
  offline(): void;
  online(): void;
  /** Connections accepted while online, since start (for a report line). */
  readonly accepted: number;
  /** Where connections go (the kit server's port, known only once it started). */
  setTarget(port: number): void;
  close(): Promise<void>;
}

export async function startProxy(): Promise<Proxy> {
  let targetPort = 0;
  const open = new Set<Socket>();
  let up = true;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (!up || targetPort === 0) {
      client.resetAndDestroy();
      return;
    }
    accepted += 1;
    const upstream = connect(targetPort, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  const { port } = server.address() as { port: number };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    setTarget(p) {
      targetPort = p;
    },
    offline() {
      up = false;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    online() {
      up = true;
    },
    async close() {
      up = false;
      for (const s of open) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
