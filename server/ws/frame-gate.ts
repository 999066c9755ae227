/**
 * The per-socket frame rate limit, in front of a Connection's frame handling. A frame over the limit is
 * dropped unparsed (that is the point: a flood must cost as little as possible) and the client is told
 * once per window with `error { code: "rate-limited", retryAfterMs }`, not once per dropped frame (an
 * answer per frame would let a flood amplify itself). A socket that goes on to send `floodFactor` times
 * its limit in one window was told and ignored it: it is closed with 1008.
 *
 * What must stay true: admitted frames reach `pass` in arrival order (Rates settles verdicts in order).
 */
import type { ServerFrame } from '../../protocol/index.ts';
import type { ServerContext } from '../context.ts';
import type { Verdict } from '../limits/rates.ts';

/** The socket a gate stands in front of (the Connection itself: no closures per socket). */
export interface GatedSocket {
  send(frame: ServerFrame): void;
  close(code: number, reason: string): void;
}

export class FrameGate {
  /** No new `rate-limited` frame before this time: the client already has one for this window. */
  private quietUntil = 0;
  private closing = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly connId: string,
    private readonly socket: GatedSocket,
  ) {}

  /** Runs `pass` for a frame within the limit; drops it otherwise. */
  admit(pass: () => void): void {
    this.ctx.rates
      .frame(this.connId)
      .then((v) => (v.ok ? pass() : this.refused(v)))
      .catch((err: unknown) => this.ctx.log.error({ err }, 'socket frame failed'));
  }

  private refused(v: Exclude<Verdict, { ok: true }>): void {
    this.ctx.metrics.countLimited('frames');
    if (this.closing) return;
    if (v.consumed >= v.points * this.ctx.config.limits.floodFactor) {
      this.closing = true;
      this.ctx.metrics.countLimited('flood-close');
      this.ctx.log.warn({ connId: this.connId, frames: v.consumed }, 'socket kept flooding after rate-limited; closing it');
      this.socket.close(1008, 'rate limit exceeded');
      return;
    }
    const now = this.ctx.now();
    if (now < this.quietUntil) return;
    this.quietUntil = now + v.retryAfterMs;
    this.socket.send({
      type: 'error',
      code: 'rate-limited',
      message: `over ${v.points} frames per second; frames were dropped, send again after the hint`,
      retryAfterMs: v.retryAfterMs,
    });
  }
}
