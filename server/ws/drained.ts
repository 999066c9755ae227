/**
 * Backpressure for catch-up: a socket that has not read what it was already sent gets no new catch-up or
 * reset page until it has (issue 14: 20 sockets asking three resets each and never reading held 2,468 MiB,
 * most of it pages made for readers that would never take them). Live fan-out is not held back this way,
 * since one reader must not slow the others; the queue budgets drop such a reader instead.
 *
 * `ws` has no drain event, so the wait polls `bufferedAmount`; only a socket that is behind ever waits, and
 * the wait ends when the socket closes (the heartbeat terminates a reader that stopped reading, pongs included).
 */
import type { WebSocket } from 'ws';

/** At most this much unread before the next page is made. */
export const CATCH_UP_LOW_WATER_BYTES = 1024 * 1024;
const POLL_MS = 25;

/**
 * Resolves once `ws` has at most `lowWater` bytes unsent, is no longer open, or `stop()` says to give up
 * (the server is shutting down: graceful close waits for every socket's frames, this one included).
 */
export function drained(ws: WebSocket, stop: () => boolean, lowWater = CATCH_UP_LOW_WATER_BYTES): Promise<void> {
  const ready = () => ws.readyState !== ws.OPEN || ws.bufferedAmount <= lowWater || stop();
  if (ready()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!ready()) return;
      clearInterval(timer);
      resolve();
    }, POLL_MS);
  });
}
