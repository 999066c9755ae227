/**
 * Whether `/api/ws` admits a socket: the same checks for the upgrade itself and for a plain `GET /api/ws`,
 * which is how a browser finds out why its upgrade failed (a WebSocket that is refused shows its page only
 * a close with code 1006, never the status). The service worker asks after a socket fails before
 * `welcome`, and honours a 429's `Retry-After` instead of reconnecting every time its health probe answers
 * (docs/server.md, "WebSocket /api/ws").
 */
import type { IncomingMessage } from 'node:http';
import { authenticate, originAllowed, type Session } from '../auth/sessions.ts';
import type { ServerContext } from '../context.ts';
import { sendEmpty, sendError } from '../http/respond.ts';
import type { Route } from '../http/router.ts';

export type Admission =
  | { ok: true; session: Session }
  | {
      ok: false;
      status: number;
      text: string;
      code: string;
      message: string;
      retryAfterS?: number;
      /** The socket cap that refused it, for `fieldboard_limited_total`. */
      limit?: 'sockets-per-session' | 'sockets-per-user';
    };

const refused = (status: number, text: string): Admission => ({ ok: false, status, text, code: text.toLowerCase().replace(/ /g, '-'), message: text });

/**
 * `origin`: check it (the upgrade, which carries the cookie cross-site otherwise); the plain GET changes
 * nothing and answers only the caller, so it needs none. Nothing is awaited between counting the sockets
 * held and answering, so an upgrade admitted here is accepted before another is counted.
 */
export async function admit(ctx: ServerContext, req: IncomingMessage, origin: boolean): Promise<Admission> {
  if (ctx.isClosing()) return refused(503, 'Service Unavailable');
  if (origin && !originAllowed(req, ctx.allowedOrigins)) return refused(403, 'Forbidden');
  let session: Session | null;
  try {
    session = await authenticate(ctx.store, req, ctx.now());
  } catch (err) {
    ctx.log.error({ err }, 'session lookup failed during upgrade');
    return refused(503, 'Service Unavailable');
  }
  if (!session) return refused(401, 'Unauthorized');
  const held = ctx.hub.socketsOf(session.user.id, session.tokenHash);
  const { maxSocketsPerSession, maxSocketsPerUser } = ctx.config.limits;
  if (held.session >= maxSocketsPerSession || held.user >= maxSocketsPerUser) {
    const perSession = held.session >= maxSocketsPerSession;
    const max = perSession ? `${maxSocketsPerSession} per session` : `${maxSocketsPerUser} per user`;
    // A place frees when a socket closes, or when the heartbeat ends a dead one (within two intervals).
    const retryAfterS = Math.max(1, Math.ceil(ctx.config.heartbeatMs / 1000));
    const limit = perSession ? 'sockets-per-session' : 'sockets-per-user';
    const message = `over ${max} open sockets; close one first`;
    return { ok: false, status: 429, text: 'Too Many Requests', code: 'too-many-sockets', message, retryAfterS, limit };
  }
  return { ok: true, session };
}

/** `GET /api/ws` without an upgrade: the upgrade's verdict, 426 when it would be admitted (docs/server.md). */
export const admissionRoute: Route = {
  method: 'GET',
  path: /^\/api\/ws$/,
  auth: 'none',
  async handle(ctx, { req, res }) {
    const a = await admit(ctx, req, false);
    if (a.ok) return sendEmpty(res, 426, { Upgrade: 'websocket' });
    sendError(res, a.status, a.code, a.message, a.retryAfterS === undefined ? {} : { 'Retry-After': String(a.retryAfterS) });
  },
};
