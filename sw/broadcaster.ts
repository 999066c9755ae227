/**
 * SW -> tabs messages on one BroadcastChannel, numbered per SW instance. A tab that sees a gap in `seq`, or
 * a new `swInstance` (the SW was stopped and started again with empty memory), re-reads IndexedDB, which
 * always holds everything a broadcast said (the SW commits before it broadcasts).
 */
import type { SwBroadcast } from '../contract/index.ts';

type Unnumbered = SwBroadcast extends infer B ? (B extends SwBroadcast ? Omit<B, 'seq' | 'swInstance'> : never) : never;
export type BroadcastBody = Unnumbered;

export interface ChannelLike {
  postMessage(message: unknown): void;
}

export class Broadcaster {
  private n = 0;
  constructor(
    private readonly channel: ChannelLike,
    readonly swInstance: string,
  ) {}

  /** Posts and answers the message's seq. */
  post(body: BroadcastBody): number {
    const seq = ++this.n;
    this.channel.postMessage({ ...body, seq, swInstance: this.swInstance });
    return seq;
  }

  get seq(): number {
    return this.n;
  }
}
