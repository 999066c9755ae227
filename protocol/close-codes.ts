/**
 * WebSocket close codes the server uses, and what a client does on each (docs/protocol.md "Close codes").
 * Every one of them means "reconnect with backoff and subscribe again from your cursor"; only 1008 also asks
 * whether the session is still valid (a 401 there means sign in again, keeping the outbox).
 */
export const CLOSE_CODES = {
  /** Server shutting down: reconnect (behind a balancer, to another node). */
  goingAway: 1001,
  /** Policy: signed out, session expired, or a socket that kept flooding past `rate-limited`. */
  policy: 1008,
  /** A frame over the size limit. */
  tooBig: 1009,
  /** The store failed during a subscribe. */
  unavailable: 1011,
  /** This socket fell too far behind in reading (its queue passed a budget): resume from the cursor. */
  tooSlow: 4002,
} as const;
