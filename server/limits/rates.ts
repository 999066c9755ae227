/**
 * Token-bucket-like rate limits (rate-limiter-flexible, fixed windows in memory): frames and mutations per
 * socket, writes per user (socket and HTTP together), points per ingest token.
 *
 * Memory limiters are per node. That is the right scope for the per-socket limits (a socket lives on one
 * node). Per-user and per-token limits are therefore per node too: with N nodes behind a balancer a user
 * can write up to N times the limit, which bounds the damage by the number of nodes (docs/server.md
 * "Limits" says why that is accepted rather than a PostgreSQL round trip per push).
 *
 * What must stay true: `consume` of the memory limiter settles synchronously inside its promise, so
 * verdicts asked for in arrival order are delivered in arrival order (the socket's frame order relies on it).
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Limits } from './config.ts';

export type Verdict = { ok: true } | { ok: false; retryAfterMs: number; consumed: number; points: number };

/** The keyed limits this node enforces. */
export interface Rates {
  /** One frame of socket `connId`. */
  frame(connId: string): Promise<Verdict>;
  /** `n` mutations pushed over socket `connId` by `userId` (the socket's budget, then the user's). */
  socketWrites(connId: string, userId: string, n: number): Promise<Verdict>;
  /** `n` mutations pushed over HTTP by `userId`. */
  userWrites(userId: string, n: number): Promise<Verdict>;
  /** One metric point sent with the ingest token whose hash is `tokenHash`. */
  ingest(tokenHash: string): Promise<Verdict>;
}

function verdictOf(limiter: RateLimiterMemory, key: string, n: number): Promise<Verdict> {
  return limiter.consume(key, n).then(
    (): Verdict => ({ ok: true }),
    (res: unknown): Verdict => {
      if (!(res instanceof RateLimiterRes)) throw res;
      // At least 1 ms: a zero hint would read as "retry at once" when the window is just ending.
      return { ok: false, retryAfterMs: Math.max(1, res.msBeforeNext), consumed: res.consumedPoints, points: limiter.points };
    },
  );
}

export function createRates(limits: Limits): Rates {
  const frames = new RateLimiterMemory({ keyPrefix: 'frames', points: limits.framesPerSecond, duration: 1 });
  const socketMutations = new RateLimiterMemory({ keyPrefix: 'mutations', points: limits.socketMutationsPerMinute, duration: 60 });
  const userWrites = new RateLimiterMemory({ keyPrefix: 'writes', points: limits.userWritesPerMinute, duration: 60 });
  const ingest = new RateLimiterMemory({ keyPrefix: 'ingest', points: limits.ingestPointsPerMinute, duration: 60 });
  return {
    frame: (connId) => verdictOf(frames, connId, 1),
    async socketWrites(connId, userId, n) {
      const own = await verdictOf(socketMutations, connId, n);
      return own.ok ? verdictOf(userWrites, userId, n) : own;
    },
    userWrites: (userId, n) => verdictOf(userWrites, userId, n),
    ingest: (tokenHash) => verdictOf(ingest, tokenHash, 1),
  };
}
