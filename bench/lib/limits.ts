/**
 * Server limits lifted for benchmarks: a bench opens hundreds of sockets with one session cookie from one
 * address and pushes thousands of mutations a second, which is exactly what the production limits
 * (docs/server.md "Limits") refuse. Throughput is measured without them; the limits have their own tests.
 */
export const BENCH_LIMITS_ENV: Record<string, string> = {
  FIELDBOARD_MAX_CONNECTIONS: '100000',
  FIELDBOARD_MAX_CONNECTIONS_PER_ADDRESS: '0',
  FIELDBOARD_MAX_SOCKETS_PER_USER: '100000',
  FIELDBOARD_MAX_SOCKETS_PER_SESSION: '100000',
  FIELDBOARD_RATE_FRAMES_PER_S: '1000000',
  FIELDBOARD_RATE_SOCKET_MUTATIONS_PER_MIN: '10000000',
  FIELDBOARD_RATE_USER_WRITES_PER_MIN: '100000000',
  FIELDBOARD_RATE_INGEST_PER_MIN: '100000000',
};
