/**
 * The server process's network layer: one node:http server carrying the static PWA, the `/api` routes,
 * `/metrics` and the `/api/ws` upgrade, all on one port, over a Store.
 *
 * Shutdown order matters: stop accepting (HTTP and upgrades), let in-flight batches commit and answer, close
 * sockets with 1001 so clients reconnect elsewhere or later, stop listening for other nodes' commit hints, and
 * only then close the database.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSessionUpkeep } from './auth/session-upkeep.ts';
import { defaultOrigins, type ServerConfig } from './config.ts';
import type { ServerContext } from './context.ts';
import { authRoutes } from './http/auth-routes.ts';
import { metricsOnPublicPort, startMetricsListener } from './http/metrics-access.ts';
import { opsRoutes } from './http/ops-routes.ts';
import { sendError } from './http/respond.ts';
import { guardConnections, serverOptions } from './http/hygiene.ts';
import { createRouter } from './http/router.ts';
import { setSecurityHeaders } from './http/security-headers.ts';
import { createStaticHandler } from './http/static.ts';
import { syncRoutes } from './http/sync-routes.ts';
import { Answers } from './http/answers.ts';
import { admissionRoute } from './ws/admission.ts';
import { createLogger, type Logger } from './logger.ts';
import { Fanout } from './fanout.ts';
import { createRates } from './limits/rates.ts';
import { createMetrics } from './metrics.ts';
import { seedDemo, type SeedOutcome } from './seed.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';
import { Hub } from './ws/hub.ts';
import { SocketServer } from './ws/socket-server.ts';

export type { ServerConfig };

export interface RunningServer {
  /** http://host:port, with the port actually bound. */
  url: string;
  port: number;
  store: Store;
  /** The demo seed's outcome at this start (seeded only on a database without the demo user). */
  seed: SeedOutcome;
  log: Logger;
  /** The separate metrics address (FIELDBOARD_METRICS_LISTEN), or null when `/metrics` is on the main port. */
  metricsUrl: string | null;
  /** Graceful: stop accepting, finish in-flight batches, close sockets with 1001, close the database. */
  close(): Promise<void>;
  /** Terminates every socket without a close frame (tests of reconnect and resume). */
  dropSockets(): void;
  /** TCP connections the server holds now (HTTP, WebSocket and not yet parsed). */
  connections(): Promise<number>;
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const log = createLogger(config.logLevel);
  const store = await openStore(config.databaseUrl);
  let closing = false;
  const inFlight = new Set<Promise<unknown>>();
  const hub = new Hub();
  const allowedOrigins = new Set<string>(config.allowedOrigins ?? []);

  let fanout: Fanout | null = null;
  let answers: Answers | null = null;
  const metrics = createMetrics({
    connections: () => hub.size,
    queuedBytes: () => hub.queuedBytes() + (answers?.queuedBytes() ?? 0),
    listening: () => fanout?.listening() ?? null,
  });
  fanout = new Fanout(store, hub, metrics, log, () => Date.now());
  answers = new Answers(metrics, log);
  const ctx: ServerContext = {
    config,
    store,
    hub,
    answers,
    fanout,
    log,
    metrics,
    rates: createRates(config.limits),
    allowedOrigins,
    startedAt: Date.now(),
    now: () => Date.now(),
    isClosing: () => closing,
    track(work) {
      inFlight.add(work);
      const forget = () => inFlight.delete(work);
      work.then(forget, forget);
      return work;
    },
  };

  let seed: SeedOutcome;
  try {
    seed = await seedDemo(store, config.demoPassword, ctx.now());
  } catch (err) {
    await store.close();
    throw err;
  }

  fanout.start(config.resyncMs);
  const api = createRouter(ctx, [...authRoutes, ...syncRoutes, ...opsRoutes, admissionRoute]);
  const serveStatic = createStaticHandler(config.staticDir);
  const sockets = new SocketServer(ctx);
  const upkeep = startSessionUpkeep(ctx);

  async function onRequest(req: IncomingMessage, res: ServerResponse) {
    setSecurityHeaders(req, res, config.hstsMaxAgeS);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return api(req, res, url);
    if (url.pathname === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) return metricsOnPublicPort(ctx, req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendError(res, 405, 'method-not-allowed', `${req.method} is not allowed here`);
    }
    return serveStatic(req, res, url.pathname);
  }

  const http = createServer(serverOptions(config.limits), (req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'unhandled request error');
      if (!res.headersSent) sendError(res, 500, 'internal', 'internal error');
      else res.destroy();
    });
  });
  http.on('upgrade', (req, socket, head) => {
    sockets.handleUpgrade(req, socket, head).catch((err: unknown) => {
      log.error({ err }, 'upgrade failed');
      socket.destroy();
    });
  });
  guardConnections(http, config.limits, metrics, log);

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    upkeep.stop();
    await fanout.close();
    await store.close();
    throw err;
  }
  let metricsListener: Awaited<ReturnType<typeof startMetricsListener>> | null = null;
  if (config.metricsListen !== null) {
    try {
      metricsListener = await startMetricsListener(ctx, config.metricsListen);
    } catch (err) {
      upkeep.stop();
      http.close();
      await fanout.close();
      await store.close();
      throw err;
    }
  }
  const port = (http.address() as AddressInfo).port;
  // The default allow-list names the bound port, which is only known now when PORT is 0.
  if (config.allowedOrigins === null) for (const o of defaultOrigins(config.host, port)) allowedOrigins.add(o);
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;

  let closed: Promise<void> | null = null;
  async function close(): Promise<void> {
    closing = true;
    upkeep.stop();
    const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeIdleConnections();
    // Frames already received finish (their pushes commit and are answered) before sockets close.
    await sockets.drain();
    await Promise.allSettled([...inFlight]);
    await sockets.closeAll(1001, 'server shutting down');
    // Keep-alive HTTP connections with no request in flight would hold http.close() open forever.
    http.closeIdleConnections();
    const forceTimer = setTimeout(() => http.closeAllConnections(), 5000);
    await httpClosed;
    clearTimeout(forceTimer);
    await metricsListener?.close();
    await Promise.allSettled([...inFlight]);
    await fanout!.close();
    await store.close();
    log.info('closed');
  }

  return {
    url,
    port,
    store,
    seed,
    log,
    metricsUrl: metricsListener?.url ?? null,
    close: () => (closed ??= close()),
    dropSockets: () => sockets.terminateAll(),
    connections: () =>
      new Promise((resolve, reject) => http.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
  };
}
