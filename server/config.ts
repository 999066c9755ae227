/**
 * Server configuration from environment variables. Every variable has a default, so `npm start` works with
 * none set; a variable that is set but malformed stops the process with a message naming it, because a
 * server that silently falls back to a default port or database is worse than one that refuses to start.
 */
import type { Level } from 'pino';
import { ConfigError, integer, text } from './config-env.ts';
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
  limits: DEFAULT_LIMITS,
};

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
  const logLevel = text(env, 'LOG_LEVEL', DEFAULT_CONFIG.logLevel);
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const origins = env.FIELDBOARD_ALLOWED_ORIGINS;
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
    limits: loadLimits(env),
  };
}
