/** What every request and socket handler shares within one running server. */
import type { ServerConfig } from './config.ts';
import type { Fanout } from './fanout.ts';
import type { Answers } from './http/answers.ts';
import type { Rates } from './limits/rates.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { Store } from './store/store.ts';
import type { Hub } from './ws/hub.ts';

export interface ServerContext {
  config: ServerConfig;
  store: Store;
  hub: Hub;
  /** Hands committed changes, this node's and other nodes', to the hub in seq order. */
  fanout: Fanout;
  metrics: Metrics;
  /** HTTP answers still being written, for the queue budgets (server/http/answers.ts). */
  answers: Answers;
  /** Rate limits of this node (server/limits/rates.ts). */
  rates: Rates;
  log: Logger;
  allowedOrigins: ReadonlySet<string>;
  startedAt: number;
  now(): number;
  /** True once shutdown began: no new pushes start, in-flight ones finish. */
  isClosing(): boolean;
  /** Registers a store write so that graceful shutdown waits for it before closing the database. */
  track<T>(work: Promise<T>): Promise<T>;
}
