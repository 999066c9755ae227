/**
 * Who may read `/metrics` (process and traffic figures are reconnaissance for an attacker):
 *
 * - `FIELDBOARD_METRICS_LISTEN` set: only on that separate address (a private interface for the scraper);
 *   the public port answers 404.
 * - `FIELDBOARD_METRICS_TOKEN` set: only with `Authorization: Bearer <token>`, wherever it is asked.
 * - neither (the default): only a loopback peer that did not come through a proxy, so a scraper on the
 *   same machine works and the whole internet behind nginx (which adds X-Forwarded-For) does not.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { hashToken } from '../auth/sessions.ts';
import type { ServerContext } from '../context.ts';
import { serveMetrics } from './ops-routes.ts';
import { sendError } from './respond.ts';
import { setSecurityHeaders } from './security-headers.ts';

const PROXY_HEADERS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip'];

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function bearerMatches(req: IncomingMessage, token: string): boolean {
  const match = /^Bearer\s+(\S{1,500})$/i.exec(req.headers.authorization ?? '');
  // Hashes: equal lengths, and the comparison time says nothing about the token.
  return match !== null && timingSafeEqual(Buffer.from(hashToken(match[1]), 'hex'), Buffer.from(hashToken(token), 'hex'));
}

/** Answers `/metrics` on the public port, or refuses it as the configuration says. */
export async function metricsOnPublicPort(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (ctx.config.metricsListen !== null) return sendError(res, 404, 'not-found', 'metrics are served on another address');
  return guarded(ctx, req, res);
}

async function guarded(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = ctx.config.metricsToken;
  if (token !== null) {
    if (!bearerMatches(req, token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, 'unauthorized', 'a valid metrics bearer token is required');
    }
    return serveMetrics(ctx, res);
  }
  const proxied = PROXY_HEADERS.some((h) => req.headers[h] !== undefined);
  if (proxied || !isLoopback(req.socket.remoteAddress)) {
    return sendError(res, 403, 'forbidden', 'metrics are for loopback only; set FIELDBOARD_METRICS_TOKEN or FIELDBOARD_METRICS_LISTEN');
  }
  return serveMetrics(ctx, res);
}

/** The separate metrics listener: `/metrics` and nothing else. */
export async function startMetricsListener(ctx: ServerContext, listen: { host: string; port: number }) {
  const server = createServer((req, res) => {
    setSecurityHeaders(req, res, 0);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const answer =
      path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')
        ? ctx.config.metricsToken !== null && !bearerMatches(req, ctx.config.metricsToken)
          ? Promise.resolve(sendError(res, 401, 'unauthorized', 'a valid metrics bearer token is required'))
          : serveMetrics(ctx, res)
        : Promise.resolve(sendError(res, 404, 'not-found', 'only /metrics is served here'));
    answer.catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
