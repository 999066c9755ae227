/**
 * Every resource limit of the server, read from environment variables (README "Configuration", docs/server.md
 * "Limits"). Each exists because an unauthenticated or signed-in client could otherwise exhaust descriptors,
 * memory, CPU or disk (issue 14). A limit of 0 means "none" only where its comment says so.
 */
import { LIMITS } from '../../protocol/index.ts';
import { ConfigError, integer } from '../config-env.ts';

export interface Limits {
  /** TCP connections this process holds at most (HTTP and WebSocket); keep it under `ulimit -n`. */
  maxConnections: number;
  /** Connections from one remote address; 0: no limit (behind a proxy every client has its address). */
  maxConnectionsPerAddress: number;
  /** Time to receive a request's headers (Node `headersTimeout`). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (Node `requestTimeout`). */
  requestTimeoutMs: number;
  /** How long a kept-alive HTTP connection waits for its next request. */
  keepAliveTimeoutMs: number;
  /** An HTTP connection with no traffic at all for this long is closed (sockets are exempt: they ping). */
  idleTimeoutMs: number;

  /** Frames of any kind one socket may send per second. */
  framesPerSecond: number;
  /** Mutations one socket may push per minute (at least one full push of 500). */
  socketMutationsPerMinute: number;
  /** Mutations one user may push per minute, over all sockets and HTTP. */
  userWritesPerMinute: number;
  /** Metric points one ingest token may send per minute. */
  ingestPointsPerMinute: number;
  /** A socket over its limit in one window by this factor is closed with 1008 (it ignored `rate-limited`). */
  floodFactor: number;

  /** Open sockets per user, and per session (one signed-in browser). */
  maxSocketsPerUser: number;
  maxSocketsPerSession: number;
  /** Bytes queued to one socket that does not read; over it the socket is closed (4002) and resumes. */
  socketQueueBytes: number;
  /** Bytes queued to one user's sockets and HTTP answers; over it that user's slowest are dropped first. */
  userQueueBytes: number;
  /** Bytes queued to all sockets and HTTP answers of this process; over it the slowest are dropped first. */
  queueBytes: number;
  /** Live widgets in one dashboard. */
  maxWidgetsPerDashboard: number;
  /** Characters of stored JSON a dashboard's live widgets may take (about the size of its reset). */
  maxDashboardBytes: number;
  /** About how many bytes of widgets one catch-up or reset page carries (a frame or a pull answer). */
  pageBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Limits = {
  maxConnections: 4096,
  maxConnectionsPerAddress: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  framesPerSecond: 100,
  socketMutationsPerMinute: 30_000,
  userWritesPerMinute: 60_000,
  ingestPointsPerMinute: 1200,
  floodFactor: 3,
  maxSocketsPerUser: 50,
  maxSocketsPerSession: 10,
  socketQueueBytes: 16 * MiB,
  userQueueBytes: 64 * MiB,
  queueBytes: 256 * MiB,
  maxWidgetsPerDashboard: 1000,
  maxDashboardBytes: 8 * MiB,
  pageBytes: 256 * 1024,
};

export function loadLimits(env: NodeJS.ProcessEnv): Limits {
  const d = DEFAULT_LIMITS;
  const push = LIMITS.maxMutationsPerPush;
  const limits: Limits = {
    maxConnections: integer(env, 'FIELDBOARD_MAX_CONNECTIONS', d.maxConnections, 16, 1_000_000),
    maxConnectionsPerAddress: integer(env, 'FIELDBOARD_MAX_CONNECTIONS_PER_ADDRESS', d.maxConnectionsPerAddress, 0, 1_000_000),
    headersTimeoutMs: integer(env, 'FIELDBOARD_HEADERS_TIMEOUT_MS', d.headersTimeoutMs, 100, 600_000),
    requestTimeoutMs: integer(env, 'FIELDBOARD_REQUEST_TIMEOUT_MS', d.requestTimeoutMs, 100, 3_600_000),
    keepAliveTimeoutMs: integer(env, 'FIELDBOARD_KEEP_ALIVE_TIMEOUT_MS', d.keepAliveTimeoutMs, 100, 600_000),
    idleTimeoutMs: integer(env, 'FIELDBOARD_IDLE_TIMEOUT_MS', d.idleTimeoutMs, 100, 3_600_000),
    framesPerSecond: integer(env, 'FIELDBOARD_RATE_FRAMES_PER_S', d.framesPerSecond, 5, 1_000_000),
    // A limit under one full push could never let that push through: the client would retry it forever.
    socketMutationsPerMinute: integer(env, 'FIELDBOARD_RATE_SOCKET_MUTATIONS_PER_MIN', d.socketMutationsPerMinute, push, 10_000_000),
    userWritesPerMinute: integer(env, 'FIELDBOARD_RATE_USER_WRITES_PER_MIN', d.userWritesPerMinute, push, 100_000_000),
    ingestPointsPerMinute: integer(env, 'FIELDBOARD_RATE_INGEST_PER_MIN', d.ingestPointsPerMinute, 1, 100_000_000),
    floodFactor: integer(env, 'FIELDBOARD_RATE_FLOOD_FACTOR', d.floodFactor, 2, 1000),
    maxSocketsPerUser: integer(env, 'FIELDBOARD_MAX_SOCKETS_PER_USER', d.maxSocketsPerUser, 1, 1_000_000),
    maxSocketsPerSession: integer(env, 'FIELDBOARD_MAX_SOCKETS_PER_SESSION', d.maxSocketsPerSession, 1, 1_000_000),
    socketQueueBytes: integer(env, 'FIELDBOARD_SOCKET_QUEUE_BYTES', d.socketQueueBytes, 2 * LIMITS.maxFrameBytes, 2 ** 40),
    userQueueBytes: integer(env, 'FIELDBOARD_USER_QUEUE_BYTES', d.userQueueBytes, 2 * LIMITS.maxFrameBytes, 2 ** 40),
    queueBytes: integer(env, 'FIELDBOARD_QUEUE_BYTES', d.queueBytes, 2 * LIMITS.maxFrameBytes, 2 ** 40),
    maxWidgetsPerDashboard: integer(env, 'FIELDBOARD_MAX_WIDGETS_PER_DASHBOARD', d.maxWidgetsPerDashboard, 1, 1_000_000),
    maxDashboardBytes: integer(env, 'FIELDBOARD_MAX_DASHBOARD_BYTES', d.maxDashboardBytes, 64 * 1024, 2 ** 40),
    pageBytes: integer(env, 'FIELDBOARD_PAGE_BYTES', d.pageBytes, 16 * 1024, 2 ** 40),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError('FIELDBOARD_HEADERS_TIMEOUT_MS must not be longer than FIELDBOARD_REQUEST_TIMEOUT_MS');
  }
  if (limits.maxSocketsPerSession > limits.maxSocketsPerUser) {
    throw new ConfigError('FIELDBOARD_MAX_SOCKETS_PER_SESSION must not be over FIELDBOARD_MAX_SOCKETS_PER_USER');
  }
  return limits;
}
