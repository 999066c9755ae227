/**
 * Session upkeep on every node, on timers:
 *
 * - Open sockets re-check their session every `sessionCheckMs`. A session deleted elsewhere (a password
 *   change or logout on another node, `revoke-sessions` or `set-password` from the CLI) closes its sockets
 *   here with 1008, the code the worker answers by asking the person to sign in again while keeping its
 *   outbox (sw/connection.ts). Revocations made on this node close its sockets at once instead (Hub).
 * - Expired sessions and lapsed login-throttling counters are deleted every `purgeIntervalMs`: expired rows
 *   were never read again but stayed forever.
 *
 * Store errors are logged and the next tick tries again: an unreachable database must not close sockets.
 */
import type { ServerContext } from '../context.ts';

export const REVOKED_CLOSE_CODE = 1008;

export interface SessionUpkeep {
  /** Runs the socket re-check now (and resolves when done); ticks do the same. */
  checkSockets(): Promise<void>;
  stop(): void;
}

export function startSessionUpkeep(ctx: ServerContext): SessionUpkeep {
  let checking: Promise<void> | null = null;
  let purging = false;

  async function check(): Promise<void> {
    const byToken = new Map<string, boolean>();
    for (const s of ctx.hub.subscribers()) byToken.set(s.tokenHash, true);
    for (const tokenHash of byToken.keys()) {
      const session = await ctx.store.getSession(tokenHash, ctx.now());
      if (!session) ctx.hub.closeSession(tokenHash, REVOKED_CLOSE_CODE, 'session revoked');
    }
  }

  function checkSockets(): Promise<void> {
    checking ??= check()
      .catch((err: unknown) => ctx.log.warn({ err }, 'session re-check failed; trying again at the next tick'))
      .finally(() => (checking = null));
    return checking;
  }

  async function purge(): Promise<void> {
    if (purging || ctx.isClosing()) return;
    purging = true;
    try {
      const gone = await ctx.track(ctx.store.purgeExpired(ctx.now()));
      if (gone.sessions > 0 || gone.failures > 0) ctx.log.info(gone, 'purged expired sessions and login counters');
    } catch (err) {
      ctx.log.warn({ err }, 'purge of expired sessions failed; trying again at the next tick');
    } finally {
      purging = false;
    }
  }

  const checkTimer = setInterval(() => void checkSockets(), ctx.config.sessionCheckMs);
  const purgeTimer = setInterval(() => void purge(), ctx.config.purgeIntervalMs);
  checkTimer.unref();
  purgeTimer.unref();
  return {
    checkSockets,
    stop() {
      clearInterval(checkTimer);
      clearInterval(purgeTimer);
    },
  };
}
