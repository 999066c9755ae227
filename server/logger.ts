/** One structured JSON logger per server instance (pino), so tests can silence theirs. */
import { pino, type Logger } from 'pino';
import type { ServerConfig } from './config.ts';

export type { Logger };

export function createLogger(level: ServerConfig['logLevel']): Logger {
  // Synchronous writes: a record is on stdout when the call returns, so the plain start-up line printed
  // after the last record (main.ts) really comes last, and nothing is lost when the process exits at once.
  return pino({ level, base: { service: 'fieldboard' } }, pino.destination({ dest: 1, sync: true }));
}
