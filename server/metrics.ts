/**
 * Prometheus metrics. Each server instance owns its Registry (tests run several servers in one process, and
 * the global registry would mix them or throw on duplicate names).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MutationResult } from '../protocol/index.ts';

export interface MetricsSources {
  connections(): number;
  /** Bytes queued in sockets' send buffers: a slow reader shows up here before it runs out of memory. */
  queuedBytes(): number;
  /** The commit hint (LISTEN) connection: true up, false down, null for a backend without one (SQLite). */
  listening(): boolean | null;
}

export interface Metrics {
  registry: Registry;
  countResults(results: readonly MutationResult[]): void;
  /** Starts a push latency timer; call the returned function when the push is answered. */
  startPush(): () => void;
  /** A commit hint received from the database (any node's, this one's included). */
  countHint(): void;
  countListenDrop(): void;
  /** Changes handed to this node's subscribers: `local` from its own commits, `log` read after a hint. */
  countFanout(source: 'local' | 'log', n: number): void;
  /** Seconds from a change's commit (its server timestamp) to its fan-out here, for changes read from the log. */
  observeFanoutLag(seconds: number): void;
  /** A limit refused or dropped something (docs/server.md "Limits": the label names which limit). */
  countLimited(limit: LimitName): void;
}

export type LimitName =
  | 'connections-per-address'
  | 'client-error'
  | 'body-too-large'
  | 'frames'
  | 'mutations'
  | 'user-writes'
  | 'ingest'
  | 'flood-close'
  | 'sockets-per-user'
  | 'sockets-per-session'
  | 'socket-queue'
  | 'user-queue'
  | 'global-queue';

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'fieldboard_connections',
    help: 'Open WebSocket connections on this node',
    registers: [registry],
    collect() {
      this.set(sources.connections());
    },
  });
  new Gauge({
    name: 'fieldboard_fanout_queue_bytes',
    help: 'Bytes waiting in WebSocket send buffers (sum over open sockets)',
    registers: [registry],
    collect() {
      this.set(sources.queuedBytes());
    },
  });
  const mutations = new Counter({
    name: 'fieldboard_mutations_total',
    help: 'Mutation results by status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  // Zero-initialised so dashboards show all three series from the first scrape.
  for (const status of ['applied', 'conflict', 'rejected']) mutations.inc({ status }, 0);
  const pushDuration = new Histogram({
    name: 'fieldboard_push_duration_seconds',
    help: 'Time from receiving a push (socket or HTTP) to answering it',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'fieldboard_listen_connected',
    help: 'Whether the commit hint (LISTEN) connection is up: 1 up, 0 down, -1 none (SQLite, one process)',
    registers: [registry],
    collect() {
      const up = sources.listening();
      this.set(up === null ? -1 : up ? 1 : 0);
    },
  });
  const hints = new Counter({ name: 'fieldboard_hints_total', help: 'Commit hints received', registers: [registry] });
  const listenDrops = new Counter({
    name: 'fieldboard_listen_drops_total',
    help: 'Times the commit hint connection was lost (it reconnects with backoff)',
    registers: [registry],
  });
  const fanout = new Counter({
    name: 'fieldboard_fanout_changes_total',
    help: 'Changes handed to this node\'s subscribers, by source: local (own commit) or log (read after a hint)',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  for (const source of ['local', 'log']) fanout.inc({ source }, 0);
  const lag = new Histogram({
    name: 'fieldboard_fanout_lag_seconds',
    help: 'Time from a change\'s commit to its fan-out on this node, for changes read from the log (other nodes\' commits)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const limited = new Counter({
    name: 'fieldboard_limited_total',
    help: 'Connections, frames, requests and sockets refused or dropped by a limit, by limit',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  return {
    registry,
    countLimited: (limit) => limited.inc({ limit }),
    countHint: () => hints.inc(),
    countListenDrop: () => listenDrops.inc(),
    countFanout: (source, n) => fanout.inc({ source }, n),
    observeFanoutLag: (seconds) => lag.observe(Math.max(0, seconds)),
    countResults(results) {
      for (const r of results) mutations.inc({ status: r.status });
    },
    startPush() {
      return pushDuration.startTimer();
    },
  };
}
