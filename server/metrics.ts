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
}

export interface Metrics {
  registry: Registry;
  countResults(results: readonly MutationResult[]): void;
  /** Starts a push latency timer; call the returned function when the push is answered. */
  startPush(): () => void;
}

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
  return {
    registry,
    countResults(results) {
      for (const r of results) mutations.inc({ status: r.status });
    },
    startPush() {
      return pushDuration.startTimer();
    },
  };
}
