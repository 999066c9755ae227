/** Dashboards and the HTTP fallbacks of the socket: push, pull, plus the activity feed (an extension). */
import * as v from 'valibot';
import {
  CreateDashboardBodySchema,
  DashboardIdSchema,
  PullQuerySchema,
  PushBodySchema,
  parse,
  type DashboardId,
  type PullResponse,
  type UserId,
} from '../../protocol/index.ts';
import type { ServerContext } from '../context.ts';
import type { ActivityResponse } from '../../protocol/index.ts';
import { runPush } from '../push.ts';
import { HttpError, invalid, rateLimited, readJson, sendJson } from './respond.ts';
import type { Route } from './router.ts';

const ACTIVITY_DEFAULT = 50;
const ACTIVITY_MAX = 200;

const ActivityQuerySchema = v.object({
  dashboardId: DashboardIdSchema,
  limit: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,4}$/, 'must be a whole number'), v.transform(Number), v.minValue(1), v.maxValue(ACTIVITY_MAX)),
    String(ACTIVITY_DEFAULT),
  ),
});

async function requireMember(ctx: ServerContext, dashboardId: DashboardId, userId: UserId) {
  if (!(await ctx.store.isMember(dashboardId, userId))) {
    throw new HttpError(403, 'forbidden', `not a member of dashboard ${dashboardId}`);
  }
}

export const syncRoutes: Route[] = [
  {
    method: 'GET',
    path: /^\/api\/dashboards$/,
    auth: 'session',
    async handle(ctx, { res }, session) {
      sendJson(res, 200, { dashboards: await ctx.store.listDashboards(session.user.id) });
    },
  },
  {
    method: 'POST',
    path: /^\/api\/dashboards$/,
    auth: 'session',
    async handle(ctx, { req, res }, session) {
      const body = parse(CreateDashboardBodySchema, await readJson(req));
      if (!body.ok) throw invalid(body);
      const dashboard = await ctx.track(ctx.store.createDashboard(body.value.name, session.user.id));
      ctx.hub.notifyUser(session.user.id, { kind: 'dashboard-shared', dashboardId: dashboard.id });
      sendJson(res, 201, dashboard);
    },
  },
  {
    method: 'POST',
    path: /^\/api\/push$/,
    auth: 'session',
    async handle(ctx, { req, res }, session) {
      // Only a malformed body is a 400; each mutation's own problems come back as its result.
      const body = parse(PushBodySchema, await readJson(req));
      if (!body.ok) throw invalid(body);
      if (ctx.isClosing()) throw new HttpError(503, 'shutting-down', 'server is shutting down; retry');
      const verdict = await ctx.rates.userWrites(session.user.id, Math.max(1, body.value.mutations.length));
      if (!verdict.ok) {
        ctx.metrics.countLimited('user-writes');
        throw rateLimited(verdict.retryAfterMs, `over ${verdict.points} mutations a minute; nothing was applied, retry later`);
      }
      const outcome = await runPush(ctx, session.user, body.value.clientId, body.value.mutations);
      sendJson(res, 200, { results: outcome.results });
    },
  },
  {
    method: 'GET',
    path: /^\/api\/pull$/,
    auth: 'session',
    async handle(ctx, { res, url }, session) {
      const query = parse(PullQuerySchema, Object.fromEntries(url.searchParams));
      if (!query.ok) throw new HttpError(400, 'invalid', query.message);
      const { dashboardId, cursor, epoch, limit } = query.value;
      await requireMember(ctx, dashboardId, session.user.id);
      const page = await ctx.store.catchUp(dashboardId, cursor, epoch ?? null, limit, ctx.config.limits.pageBytes);
      // A paged reset (docs/protocol.md): `more` says to pull the rest from its seq in its epoch.
      const body: PullResponse =
        page.kind === 'reset'
          ? { reset: { epoch: page.epoch, seq: page.seq, widgets: page.widgets, ...(page.more ? { more: true } : {}) } }
          : { epoch: ctx.store.epoch, changes: page.changes, seq: page.seq, more: page.more };
      sendJson(res, 200, body);
    },
  },
  {
    method: 'GET',
    path: /^\/api\/activity$/,
    auth: 'session',
    async handle(ctx, { res, url }, session) {
      const query = parse(ActivityQuerySchema, Object.fromEntries(url.searchParams));
      if (!query.ok) throw new HttpError(400, 'invalid', query.message);
      await requireMember(ctx, query.value.dashboardId, session.user.id);
      const changes = await ctx.store.recentChanges(query.value.dashboardId, query.value.limit);
      // Names of the people in the feed (not of every member): what the list needs to say who.
      const ids = [...new Set(changes.flatMap((c) => (c.userId ? [c.userId] : [])))];
      const users = (await Promise.all(ids.map((id) => ctx.store.getUser(id)))).filter((u) => u !== null);
      const body: ActivityResponse = { changes, users: users.map((u) => ({ id: u.id, name: u.name })) };
      sendJson(res, 200, body);
    },
  },
];
