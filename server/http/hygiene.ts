/**
 * Connection hygiene of the one node:http server (issue 14): what an unauthenticated client can hold.
 * Node alone lets a client keep a socket after a malformed request (the 400 is a half-close the client may
 * ignore), never caps connections, and waits a minute for headers; each held socket is a descriptor, and
 * at `ulimit -n` the server stops accepting anyone, /api/health included.
 *
 * What must stay true:
 * - A socket whose request failed to parse is destroyed, not half-closed, once its 400 is written (or at
 *   once when it cannot be written).
 * - No address holds more than `maxConnectionsPerAddress` sockets, and the process no more than
 *   `maxConnections` (Node drops the extra at accept): one client cannot starve the others.
 * - A socket sends its headers within `headersTimeoutMs`, its whole request within `requestTimeoutMs`, and
 *   no HTTP socket idles past `idleTimeoutMs` (an upgraded WebSocket clears its timeout and is kept alive by
 *   the heartbeat instead).
 */
import { readFileSync } from 'node:fs';
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Limits } from '../limits/config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

/** How long a refused client gets to take its error answer before the socket is destroyed anyway. */
const ERROR_GRACE_MS = 1000;

/** Options that only createServer takes. */
export function serverOptions(limits: Limits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above on this interval (30 s by default, longer than short timeouts).
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** Writes a last answer and destroys the socket once it is flushed, or after a short grace at the latest. */
export function endAndDestroy(socket: Socket, answer: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(answer, () => socket.destroy());
  setTimeout(() => socket.destroy(), ERROR_GRACE_MS).unref();
}

const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/** Descriptors kept for the database, the log, static files and the listening socket. */
const DESCRIPTOR_HEADROOM = 64;

/** The soft "Max open files" of this process from /proc/self/limits text, or null when unknown. */
export function openFilesLimit(procLimits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(procLimits);
  return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
}

function readOpenFilesLimit(): number | null {
  try {
    return openFilesLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null; // not Linux: nothing to compare with
  }
}

export function guardConnections(http: Server, limits: Limits, metrics: Metrics, log: Logger): void {
  http.maxConnections = limits.maxConnections;
  // Past the descriptor limit the kernel refuses connections (and files) before the cap does, which is the
  // outage the cap exists to prevent: say so at start rather than at the first attack.
  const files = readOpenFilesLimit();
  if (files !== null && limits.maxConnections > files - DESCRIPTOR_HEADROOM) {
    log.warn(
      { maxConnections: limits.maxConnections, openFilesLimit: files },
      'FIELDBOARD_MAX_CONNECTIONS is not below the open files limit (ulimit -n) with room to spare; lower it or raise the limit',
    );
  }
  http.timeout = limits.idleTimeoutMs;

  const perAddress = new Map<string, number>();
  let lastWarned = 0;
  http.on('connection', (socket: Socket) => {
    const max = limits.maxConnectionsPerAddress;
    if (max === 0) return;
    const address = socket.remoteAddress ?? '';
    const held = perAddress.get(address) ?? 0;
    if (held >= max) {
      metrics.countLimited('connections-per-address');
      // One line a minute at most: the flood itself must not flood the log.
      if (Date.now() - lastWarned > 60_000) {
        lastWarned = Date.now();
        log.warn({ address, held }, 'connection refused: too many from this address');
      }
      socket.destroy();
      return;
    }
    perAddress.set(address, held + 1);
    socket.once('close', () => {
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
    });
  });

  http.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    metrics.countLimited('client-error');
    if (err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = CLIENT_ERROR_STATUS[err.code ?? ''] ?? '400 Bad Request';
    endAndDestroy(socket, `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
}
