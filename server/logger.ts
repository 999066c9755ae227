/** One structured JSON logger per server instance (pino), so tests can silence theirs. */
import { pino, type Logger } from 'pino';
import type { ServerConfig } from './config.ts';

export type { Logger };

export function createLogger(level: ServerConfig['logLevel']): Logger {
  return pino({ level, base: { service: 'fieldboard' } });
}
