/**
 * The `/api/*` router. Each route declares what it needs (a session, an Origin check), so the checks live in
 * one place instead of at the top of every handler: a state-changing request with a session cookie always
 * has its Origin checked, which is what stops cross-site request forgery.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, originAllowed, type Session } from '../auth/sessions.ts';
import type { ServerContext } from '../context.ts';
import { HttpError, sendError } from './respond.ts';

export interface RouteInput {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
}

export type Route =
  | { method: string; path: RegExp; auth: 'session'; handle(ctx: ServerContext, input: RouteInput, session: Session): Promise<void> }
  | { method: string; path: RegExp; auth: 'none'; handle(ctx: ServerContext, input: RouteInput): Promise<void> };

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function createRouter(ctx: ServerContext, routes: readonly Route[]) {
  return async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const onPath = routes.filter((r) => r.path.test(url.pathname));
    if (onPath.length === 0) return sendError(res, 404, 'not-found', `no API endpoint ${url.pathname}`);
    const r = onPath.find((x) => x.method === method);
    if (!r) {
      res.setHeader('Allow', onPath.map((x) => x.method).join(', '));
      return sendError(res, 405, 'method-not-allowed', `${req.method} is not allowed on ${url.pathname}`);
    }
    try {
      let params: string[];
      try {
        params = (r.path.exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p));
      } catch {
        throw new HttpError(400, 'bad-path', 'malformed percent-encoding in the path');
      }
      const input: RouteInput = { req, res, url, params };
      if (r.auth === 'none') return await r.handle(ctx, input);
      const session = await authenticate(ctx.store, req, ctx.now());
      if (!session) return sendError(res, 401, 'unauthorized', 'sign in first');
      ctx.answers.track(session.user.id, res);
      if (STATE_CHANGING.has(method) && !originAllowed(req, ctx.allowedOrigins)) {
        return sendError(res, 403, 'bad-origin', 'Origin header missing or not allowed');
      }
      return await r.handle(ctx, input, session);
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message, err.headers);
      ctx.log.error({ err, path: url.pathname }, 'request failed');
      if (!res.headersSent) sendError(res, 500, 'internal', 'internal error');
      else res.destroy();
    }
  };
}
