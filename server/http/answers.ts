/**
 * HTTP answers still being written, as readers of the queue budgets (server/ws/queue-budget.ts): an answer
 * a client does not read stays in this process once the kernel's socket buffers are full (issue 14: 20
 * unread pulls of a reset held 1,481 MiB). Every answer to a signed-in request is tracked from its route
 * until Node has handed its last byte to the kernel ('finish') or the connection is gone ('close').
 */
import type { ServerResponse } from 'node:http';
import type { UserId } from '../../protocol/index.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { queuedBytes, type QueueLimit, type SlowReader } from '../ws/queue-budget.ts';

class Answer implements SlowReader {
  dropped = false;

  constructor(
    readonly userId: UserId,
    private readonly res: ServerResponse,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  bufferedAmount(): number {
    return this.res.socket?.writableLength ?? 0;
  }

  dropSlow(limit: QueueLimit): void {
    if (this.dropped) return;
    this.dropped = true;
    this.metrics.countLimited(limit);
    this.log.warn({ userId: this.userId, buffered: this.bufferedAmount(), limit }, 'HTTP answer not read; dropping its connection');
    this.res.destroy();
  }
}

export class Answers {
  private readonly open = new Set<Answer>();

  constructor(
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  track(userId: UserId, res: ServerResponse): void {
    const a = new Answer(userId, res, this.metrics, this.log);
    this.open.add(a);
    const done = () => this.open.delete(a);
    res.once('finish', done);
    res.once('close', done);
  }

  readers(): Iterable<SlowReader> {
    return this.open;
  }

  queuedBytes(): number {
    return queuedBytes(this.open);
  }
}
