/**
 * Server configuration from environment variables. Every variable has a default, so `npm start` works with
 * none set; a variable that is set but malformed stops the process with a message naming it, because a
 * server that silently falls back to a default port or database is worse than one that refuses to start.
 */
import type { Level } from 'pino';
import { ConfigError, flag, integer, text } from './config-env.ts';
import { DEFAULT_LIMITS, loadLimits, type Limits } from './limits/config.ts';

export { ConfigError };
export type { Limits };

export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  demoPassword: string;
  /** null: the server's own origin, http://localhost:PORT and http://127.0.0.1:PORT, with the bound port. */
  allowedOrigins: string[] | null;
  staticDir: string;
  /** A shared ingest bearer token besides those made with the CLI; null when unset. */
  ingestToken: string | null;
  heartbeatMs: number;
  logLevel: Level | 'silent';
  sessionTtlDays: number;
  /** How often each node re-reads the logs it fans out, in case a commit hint was lost (server/fanout.ts). */
  resyncMs: number;
  /** Strict-Transport-Security max-age for requests that came over TLS; 0: no HSTS header. */
  hstsMaxAgeS: number;
  /** Login throttling (server/auth/login-throttle.ts): consecutive failures of one name from one address. */
  loginMaxFailures: number;
  /** How long a name and address stay locked after their last failure over the limit. */
  loginLockoutS: number;
  /** Failures from one address (any names) per day, against password spraying. */
  loginMaxFailuresPerAddressDay: number;
  /** Take the client address from the last `X-Forwarded-For` entry (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** How often open sockets re-check their session, so a revocation made elsewhere closes them. */
  sessionCheckMs: number;
  /** How often expired sessions and lapsed login counters are deleted. */
  purgeIntervalMs: number;
  /** When set, `/metrics` needs `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** When set, `/metrics` is served on this address only (a private interface), not on the public port. */
  metricsListen: { host: string; port: number } | null;
  /** Connection, rate, queue and size limits (server/limits/config.ts). */
  limits: Limits;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const DEFAULT_CONFIG: ServerConfig = {
  port: 8080,
  host: '127.0.0.1',
  databaseUrl: 'sqlite:data/fieldboard.db',
  demoPassword: 'demo',
  allowedOrigins: null,
  staticDir: 'dist',
  ingestToken: null,
  heartbeatMs: 25_000,
  logLevel: 'info',
  sessionTtlDays: 30,
  resyncMs: 10_000,
  hstsMaxAgeS: 31_536_000,
  loginMaxFailures: 10,
  loginLockoutS: 900,
  loginMaxFailuresPerAddressDay: 100,
  trustProxy: false,
  sessionCheckMs: 60_000,
  purgeIntervalMs: 3_600_000,
  metricsToken: null,
  metricsListen: null,
  limits: DEFAULT_LIMITS,
};

/** `host:port` or `[v6]:port` of the separate metrics listener. */
function listenAddress(env: NodeJS.ProcessEnv, name: string): { host: string; port: number } | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(raw);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new ConfigError(`${name} must be host:port (e.g. 127.0.0.1:9464), got "${raw}"`);
  return { host: m[1] ?? m[2], port };
}

/** An origin is scheme://host[:port] with nothing after it; browsers send exactly that form. */
export function parseOrigins(raw: string): string[] {
  const origins = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const o of origins) {
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new ConfigError(`FIELDBOARD_ALLOWED_ORIGINS: "${o}" is not a URL`);
    }
    if (url.origin !== o.replace(/\/$/, '')) {
      throw new ConfigError(`FIELDBOARD_ALLOWED_ORIGINS: "${o}" must be an origin like http://host:port, no path`);
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

/** The default allow-list once the real port is known (port 0 binds a random one). */
export function defaultOrigins(host: string, port: number): string[] {
  const own = host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
  return [...new Set([own, `http://localhost:${port}`, `http://127.0.0.1:${port}`])];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const databaseUrl = text(env, 'DATABASE_URL', DEFAULT_CONFIG.databaseUrl);
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/i.test(databaseUrl)) {
    // Only the scheme is echoed: a URL may carry a password.
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1] ?? '';
    throw new ConfigError(
      `DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://user@host:port/db, got scheme "${scheme}"`,
    );
  }
  flag(env, 'FIELDBOARD_TRACE', false); // checked here, read by server/trace.ts (the hop trace)
  const logLevel = text(env, 'LOG_LEVEL', DEFAULT_CONFIG.logLevel);
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const origins = env.FIELDBOARD_ALLOWED_ORIGINS;
  const metricsToken = env.FIELDBOARD_METRICS_TOKEN?.trim() || null;
  if (metricsToken !== null && metricsToken.length < 16) {
    throw new ConfigError('FIELDBOARD_METRICS_TOKEN must be at least 16 characters');
  }
  const ingestToken = env.FIELDBOARD_INGEST_TOKEN?.trim() || null;
  if (ingestToken !== null && ingestToken.length < 16) {
    throw new ConfigError('FIELDBOARD_INGEST_TOKEN must be at least 16 characters');
  }
  return {
    port: integer(env, 'PORT', DEFAULT_CONFIG.port, 0, 65535),
    host: text(env, 'HOST', DEFAULT_CONFIG.host),
    databaseUrl,
    // The password is not trimmed: spaces may be part of it.
    demoPassword: env.FIELDBOARD_DEMO_PASSWORD || DEFAULT_CONFIG.demoPassword,
    allowedOrigins: origins === undefined || origins.trim() === '' ? null : parseOrigins(origins),
    staticDir: text(env, 'FIELDBOARD_STATIC_DIR', DEFAULT_CONFIG.staticDir),
    ingestToken,
    heartbeatMs: integer(env, 'FIELDBOARD_HEARTBEAT_MS', DEFAULT_CONFIG.heartbeatMs, 100, 3_600_000),
    logLevel: logLevel as ServerConfig['logLevel'],
    sessionTtlDays: integer(env, 'FIELDBOARD_SESSION_TTL_DAYS', DEFAULT_CONFIG.sessionTtlDays, 1, 3650),
    resyncMs: integer(env, 'FIELDBOARD_RESYNC_MS', DEFAULT_CONFIG.resyncMs, 100, 3_600_000),
    hstsMaxAgeS: integer(env, 'FIELDBOARD_HSTS_MAX_AGE_S', DEFAULT_CONFIG.hstsMaxAgeS, 0, 63_072_000),
    loginMaxFailures: integer(env, 'FIELDBOARD_LOGIN_MAX_FAILURES', DEFAULT_CONFIG.loginMaxFailures, 1, 1000),
    loginLockoutS: integer(env, 'FIELDBOARD_LOGIN_LOCKOUT_S', DEFAULT_CONFIG.loginLockoutS, 1, 86_400),
    loginMaxFailuresPerAddressDay: integer(
      env,
      'FIELDBOARD_LOGIN_MAX_FAILURES_PER_ADDRESS_DAY',
      DEFAULT_CONFIG.loginMaxFailuresPerAddressDay,
      1,
      1_000_000,
    ),
    trustProxy: flag(env, 'FIELDBOARD_TRUST_PROXY', DEFAULT_CONFIG.trustProxy),
    sessionCheckMs: integer(env, 'FIELDBOARD_SESSION_CHECK_MS', DEFAULT_CONFIG.sessionCheckMs, 100, 86_400_000),
    purgeIntervalMs: integer(env, 'FIELDBOARD_PURGE_INTERVAL_MS', DEFAULT_CONFIG.purgeIntervalMs, 100, 86_400_000),
    metricsToken,
    metricsListen: listenAddress(env, 'FIELDBOARD_METRICS_LISTEN'),
    limits: loadLimits(env),
  };
}
