/** Sign in, sign out, who am I (PROTOCOL.md "HTTP"). */
import { LoginBodySchema, parse } from '../../protocol/index.ts';
import { clientAddress, lockedMessage, loginFailed, loginRetryAfterS, loginSucceeded } from '../auth/login-throttle.ts';
import { dummyPasswordHash, verifyPassword } from '../auth/password.ts';
import { clearedSessionCookie, hashToken, isHttps, parseCookies, SESSION_COOKIE, startSession } from '../auth/sessions.ts';
import { invalid, readJson, sendEmpty, sendError, sendJson } from './respond.ts';
import type { Route } from './router.ts';

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
      const address = clientAddress(req, ctx.config.trustProxy);
      const retryAfterS = await loginRetryAfterS(ctx.store, ctx.config, name, address, ctx.now());
      if (retryAfterS !== null) {
        ctx.log.warn({ user: name, address, retryAfterS }, 'sign-in refused: too many failures');
        return sendError(res, 429, 'too-many-attempts', lockedMessage(retryAfterS), { 'Retry-After': String(retryAfterS) });
      }
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
    method: 'GET',
    path: /^\/api\/me$/,
    auth: 'session',
    async handle(_ctx, { res }, session) {
      sendJson(res, 200, { user: session.user });
    },
  },
];
