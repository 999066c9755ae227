/** Sign in, sign out, who am I (docs/protocol.md "HTTP"). */
import { LoginBodySchema, parse, PasswordChangeBodySchema } from '../../protocol/index.ts';
import { clientAddress, lockedMessage, loginFailed, loginRetryAfterS, loginSucceeded } from '../auth/login-throttle.ts';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../auth/password.ts';
import { REVOKED_CLOSE_CODE } from '../auth/session-upkeep.ts';
import { clearedSessionCookie, hashToken, isHttps, parseCookies, SESSION_COOKIE, startSession } from '../auth/sessions.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from '../context.ts';
import { invalid, readJson, sendEmpty, sendError, sendJson } from './respond.ts';
import type { Route } from './router.ts';

/**
 * Login throttling's gate for every route that checks a password (docs/server.md, "Login throttling"):
 * answers 429 `too-many-attempts` with `Retry-After` and the message the form shows, logs the refusal at
 * warn, and returns null; or returns the client's address, under which a failure is then counted.
 */
async function refuseIfThrottled(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, name: string, what: string): Promise<string | null> {
  const address = clientAddress(req, ctx.config.trustProxy);
  const retryAfterS = await loginRetryAfterS(ctx.store, ctx.config, name, address, ctx.now());
  if (retryAfterS === null) return address;
  ctx.log.warn({ user: name, address, retryAfterS }, `${what} refused: too many failures`);
  sendError(res, 429, 'too-many-attempts', lockedMessage(retryAfterS), { 'Retry-After': String(retryAfterS) });
  return null;
}

export const authRoutes: Route[] = [
  {
    method: 'POST',
    path: /^\/api\/login$/,
    auth: 'none',
    async handle(ctx, { req, res }) {
      // No session yet, so no CSRF risk to a session; still refuse a foreign page signing the browser in.
      const origin = req.headers.origin;
      if (origin !== undefined && !ctx.allowedOrigins.has(origin)) {
        return sendError(res, 403, 'bad-origin', 'Origin not allowed');
      }
      const body = parse(LoginBodySchema, await readJson(req));
      if (!body.ok) throw invalid(body);
      const name = body.value.username;
      const address = await refuseIfThrottled(ctx, req, res, name, 'sign-in');
      if (address === null) return;
      const user = await ctx.store.findUserByName(name);
      // Verify against a dummy hash for unknown names so timing does not reveal which names exist.
      const ok = await verifyPassword(body.value.password, user?.passwordHash ?? (await dummyPasswordHash()));
      if (!user || !ok) {
        const failures = await loginFailed(ctx.store, ctx.config, name, address, ctx.now());
        // Never the password: a near miss is most of a password.
        ctx.log.warn({ user: name, address, failures }, 'sign-in failed');
        return sendError(res, 401, 'bad-credentials', 'wrong user name or password');
      }
      await loginSucceeded(ctx.store, name, address);
      const { cookie } = await startSession(ctx.store, user.id, ctx.config.sessionTtlDays, ctx.now(), isHttps(req));
      ctx.log.info({ userId: user.id }, 'signed in');
      sendEmpty(res, 204, { 'Set-Cookie': cookie });
    },
  },
  {
    method: 'POST',
    path: /^\/api\/logout$/,
    auth: 'none',
    async handle(ctx, { req, res }) {
      // Logout works without a valid session (idempotent), but a cookie-carrying request needs a good Origin.
      const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
      if (token) {
        const origin = req.headers.origin;
        if (origin === undefined || !ctx.allowedOrigins.has(origin)) {
          return sendError(res, 403, 'bad-origin', 'Origin header missing or not allowed');
        }
        const tokenHash = hashToken(token);
        await ctx.store.deleteSession(tokenHash);
        ctx.hub.closeSession(tokenHash, 1008, 'signed out');
      }
      sendEmpty(res, 204, { 'Set-Cookie': clearedSessionCookie() });
    },
  },
  {
    // Changing the password ends every other session of the user: whoever else held one (a stolen cookie,
    // a forgotten device) is out at once on this node and at the next session check on the others.
    method: 'POST',
    path: /^\/api\/password$/,
    auth: 'session',
    async handle(ctx, { req, res }, session) {
      const body = parse(PasswordChangeBodySchema, await readJson(req));
      if (!body.ok) throw invalid(body);
      const name = session.user.name;
      // A stolen cookie must not become an unthrottled oracle for the password.
      const address = await refuseIfThrottled(ctx, req, res, name, 'password change');
      if (address === null) return;
      const user = await ctx.store.findUserByName(name);
      if (!user || !(await verifyPassword(body.value.currentPassword, user.passwordHash))) {
        const failures = await loginFailed(ctx.store, ctx.config, name, address, ctx.now());
        ctx.log.warn({ user: name, address, failures }, 'password change refused: wrong current password');
        // 403, not 401: the session is fine, and a 401 would make the worker think it was signed out.
        return sendError(res, 403, 'bad-credentials', 'the current password is wrong');
      }
      await loginSucceeded(ctx.store, name, address);
      await ctx.store.setPassword(user.id, await hashPassword(body.value.newPassword));
      const revoked = await ctx.store.deleteUserSessions(user.id, session.tokenHash);
      ctx.hub.closeUser(user.id, session.tokenHash, REVOKED_CLOSE_CODE, 'session revoked');
      ctx.log.info({ userId: user.id, revoked }, 'password changed; other sessions revoked');
      sendEmpty(res, 204);
    },
  },
  {
    method: 'GET',
    path: /^\/api\/me$/,
    auth: 'session',
    async handle(_ctx, { res }, session) {
      sendJson(res, 200, { user: session.user });
    },
  },
];
