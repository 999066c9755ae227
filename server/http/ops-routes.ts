/** Health, Prometheus metrics, and metric ingest (authenticated by bearer token, not by session). */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DashboardIdSchema, IngestBodySchema, MetricKeySchema, parse, type DashboardId, type HealthResponse } from '../../protocol/index.ts';
import { hashToken } from '../auth/sessions.ts';
import type { ServerContext } from '../context.ts';
import { HttpError, invalid, rateLimited, readJson, sendEmpty, sendJson } from './respond.ts';
import type { Route } from './router.ts';

/** The request's valid ingest token: its hash (the key of its rate limit) and the dashboards it may write
 * ('all' for the shared token); null when there is none. */
async function ingestToken(ctx: ServerContext, req: IncomingMessage): Promise<{ hash: string; scope: 'all' | DashboardId[] } | null> {
  const match = /^Bearer\s+(\S{1,500})$/i.exec(req.headers.authorization ?? '');
  if (!match) return null;
  const hash = hashToken(match[1]);
  const shared = ctx.config.ingestToken;
  if (shared !== null) {
    // Compare hashes so both sides have the same length and the comparison time says nothing.
    if (timingSafeEqual(Buffer.from(hash, 'hex'), Buffer.from(hashToken(shared), 'hex'))) return { hash, scope: 'all' };
  }
  const scope = await ctx.store.ingestTokenScope(hash);
  return scope === null ? null : { hash, scope };
}

/** One answer for an unknown dashboard, one outside the token's scope and an unused key: no existence oracle. */
const NO_TARGET = () => new HttpError(404, 'not-found', 'no metric widget with this key on this dashboard for this token');

export const opsRoutes: Route[] = [
  {
    method: 'GET',
    path: /^\/api\/health$/,
    auth: 'none',
    async handle(ctx, { res }) {
      let db = false;
      try {
        db = await ctx.store.ping();
      } catch (err) {
        ctx.log.warn({ err }, 'health: database ping failed');
      }
      // The hint connection only matters with several nodes: while it is down this node still serves
      // everything and still sees other nodes' changes, later (the safety sweep), so it stays in rotation.
      const listening = ctx.fanout.listening();
      const listen = listening === null ? 'none' : listening ? 'ok' : 'down';
      const body: HealthResponse = {
        status: !db ? 'error' : listen === 'down' ? 'degraded' : 'ok',
        db: db ? 'ok' : 'error',
        listen,
        connections: ctx.hub.size,
        uptimeS: Math.round((ctx.now() - ctx.startedAt) / 1000),
      };
      sendJson(res, db ? 200 : 503, body);
    },
  },
  {
    method: 'POST',
    path: /^\/api\/ingest\/([^/]+)\/([^/]+)$/,
    auth: 'none',
    async handle(ctx, { req, res, params }) {
      const token = await ingestToken(ctx, req);
      if (token === null) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        throw new HttpError(401, 'unauthorized', 'a valid ingest bearer token is required');
      }
      const verdict = await ctx.rates.ingest(token.hash);
      if (!verdict.ok) {
        ctx.metrics.countLimited('ingest');
        throw rateLimited(verdict.retryAfterMs, `over ${verdict.points} points a minute for this token; send it again later`);
      }
      const dashboardId = parse(DashboardIdSchema, params[0]);
      if (!dashboardId.ok) throw new HttpError(400, 'invalid', `dashboardId: ${dashboardId.message}`);
      if (token.scope !== 'all' && !token.scope.includes(dashboardId.value)) throw NO_TARGET();
      const metricKey = parse(MetricKeySchema, params[1]);
      if (!metricKey.ok) throw new HttpError(400, 'invalid', `metricKey: ${metricKey.message}`);
      const body = parse(IngestBodySchema, await readJson(req));
      if (!body.ok) throw invalid(body);
      const point = { value: body.value.value, at: body.value.at ?? ctx.now() };
      const changes = await ctx.track(ctx.store.ingest(dashboardId.value, metricKey.value, point));
      // Nothing written: an unknown dashboard or no live metric widget with this key. 404, so a sender whose
      // points go nowhere finds out (it used to get 202 and never knew).
      if (changes.length === 0) throw NO_TARGET();
      await ctx.fanout.committed(changes);
      sendEmpty(res, 202);
    },
  },
];

/** `/metrics` sits outside `/api` (where Prometheus looks by default). */
export async function serveMetrics(ctx: ServerContext, res: import('node:http').ServerResponse): Promise<void> {
  const text = await ctx.metrics.registry.metrics();
  res.writeHead(200, { 'Content-Type': ctx.metrics.registry.contentType, 'Cache-Control': 'no-store' });
  res.end(text);
}
